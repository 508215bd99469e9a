"""Consumption, bill and payment history by bill ID from a Jalali start year (seed 001).

``bill_history`` is what a subscriber (or the kiosk operator acting for one) sees: every issued
bill from the start year that their ``BillAccess`` allows (a tenant only inside the lease), with
payments, the one payable bill (seed 000: only the latest unpaid bill shows its bill ID and
payment ID) and, per period, the consumption of the same period a year earlier for the chart.
It costs two queries whatever the number of periods: the bills and their payments.

``bill_history_public`` is the no-login lookup: it returns plain ``PublicPeriod`` rows (period,
consumption, amount, paid or not) and never a ``Bill``, so no template or serializer can reach
a name, address, mobile, bill ID or payment ID through it.

``history_csv`` renders a history as the CSV download (UTF-8 with BOM, Jalali dates).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import jdatetime
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from billing.models import CONSUMPTION_UNITS, Bill, BillPayment
from billing.selectors.bills import (
    BillAccess,
    bill_access_for_user,
    bill_get_for_user,
    bills_visible,
    payable_bill,
)
from portal.errors import NotFound
from portal.identifiers import InvalidIdentifier, clean_bill_id
from portal.jalali import jalali_iso
from subscribers.models import Subscription

# Jalali years a history may start from: the oldest billing-system records are from the 1300s.
HISTORY_MIN_YEAR = 1300
# Without a chosen start year the last five years are shown (issue 5, "Done when").
DEFAULT_YEARS = 5


def current_jalali_year() -> int:
    return jdatetime.date.fromgregorian(date=timezone.localdate()).year


def default_from_year() -> int:
    return current_jalali_year() - (DEFAULT_YEARS - 1)


@dataclass(frozen=True)
class ChartPoint:
    """One period on the consumption chart: this period and the same period a year before
    (``None`` when there was no bill then, so the chart shows a gap rather than a false 0)."""

    year: int
    period: int
    consumption: int
    previous_year: int | None

    @property
    def label(self) -> str:
        return f"{self.year}/{self.period:02d}"


@dataclass
class BillHistory:
    access: BillAccess
    from_year: int
    bills: list[Bill]
    payable: Bill | None
    chart: list[ChartPoint] = field(default_factory=list)

    @property
    def subscription(self) -> Subscription:
        return self.access.subscription

    @property
    def unit(self) -> str:
        return str(CONSUMPTION_UNITS.get(self.subscription.company.kind, ""))

    @property
    def total_amount(self) -> int:
        return sum(b.amount for b in self.bills)

    @property
    def total_consumption(self) -> int:
        return sum(b.consumption for b in self.bills)

    def chart_data(self) -> dict:
        """The chart's data for ``json_script``: oldest period first, as a chart reads."""
        return {
            "unit": self.unit,
            "labels": [p.label for p in self.chart],
            "current": [p.consumption for p in self.chart],
            "previous": [p.previous_year for p in self.chart],
        }


def _per_period(bills: list[Bill]) -> dict[tuple[int, int], int]:
    # A settlement or provisional bill can share its period with the periodic bill: the
    # period's consumption is what all its issued bills counted.
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for bill in bills:
        totals[(bill.year, bill.period)] += bill.consumption
    return totals


PAYMENTS_OLDEST_FIRST = Prefetch("payments", queryset=BillPayment.objects.order_by("paid_at", "pk"))


@dataclass(frozen=True)
class BillDetail:
    bill: Bill
    is_payable: bool  # the one bill whose bill ID and payment ID may be shown (seed 000)


def bill_detail_for_user(*, user, uid) -> BillDetail:
    """One bill ``user`` may see, its payments (oldest first) prefetched, and whether it is
    the payable bill; ``NotFound`` otherwise. The bill page and the API read it here."""
    bill = bill_get_for_user(user=user, uid=uid)
    access = bill_access_for_user(user=user, bill_id=bill.subscription.bill_id)
    payable = payable_bill(access=access)
    prefetch_related_objects([bill], PAYMENTS_OLDEST_FIRST)
    return BillDetail(bill=bill, is_payable=payable is not None and payable.pk == bill.pk)


def bill_history(*, access: BillAccess, from_year: int) -> BillHistory:
    """Every issued bill of ``access`` from Jalali ``from_year`` on, newest first, with its
    payments (oldest first) prefetched, the payable bill and the chart series. Bills of the
    year before ``from_year`` are read only to compare the first year's periods."""
    rows = list(
        bills_visible(access=access)
        .filter(year__gte=from_year - 1)
        .prefetch_related(PAYMENTS_OLDEST_FIRST)
    )
    bills = [b for b in rows if b.year >= from_year]
    totals = _per_period(rows)
    chart = [
        ChartPoint(
            year=year,
            period=period,
            consumption=consumption,
            previous_year=totals.get((year - 1, period)),
        )
        for (year, period), consumption in sorted(totals.items())
        if year >= from_year
    ]
    # payable_bill's rule applied to the rows already read (a query saved on a page that must
    # stay within 8): ``rows`` has bills_visible's order, and a year filter keeps the newest
    # bill whenever it keeps any, so rows[0] is the latest issued bill. With no rows from the
    # start year the latest bill is older than the history and is not shown at all.
    latest = rows[0] if rows else None
    payable = latest if latest is not None and not latest.is_paid else None
    return BillHistory(
        access=access, from_year=from_year, bills=bills, payable=payable, chart=chart
    )


# --- no-login lookup -------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPeriod:
    """What the no-login lookup may show of one period; nothing that identifies a person."""

    year: int
    period: int
    period_start: date
    period_end: date
    consumption: int
    amount: int
    is_paid: bool


@dataclass(frozen=True)
class PublicHistory:
    unit: str
    company_kind: str
    periods: list[PublicPeriod]


def bill_history_public(*, bill_id: str, from_year: int) -> PublicHistory:
    """The lookup by bill ID alone: per period only consumption, amount and paid status.
    ``NotFound`` for an unknown (or malformed) bill ID. Rate limiting is the caller's job."""
    try:
        cleaned = clean_bill_id(bill_id)
    except InvalidIdentifier:
        raise NotFound() from None
    subscription = (
        Subscription.objects.filter(bill_id=cleaned)
        .select_related("company")
        .only("pk", "company__kind")
        .first()
    )
    if subscription is None:
        raise NotFound()
    rows = (
        Bill.objects.filter(
            subscription=subscription, status=Bill.Status.ISSUED, year__gte=from_year
        )
        .order_by("-year", "-period", "-version", "-pk")
        .values_list(
            "year", "period", "period_start", "period_end", "consumption", "amount", "paid_amount"
        )
    )
    periods = [
        PublicPeriod(
            year=year,
            period=period,
            period_start=start,
            period_end=end,
            consumption=consumption,
            amount=amount,
            is_paid=paid >= amount,
        )
        for year, period, start, end, consumption, amount, paid in rows
    ]
    kind = subscription.company.kind
    return PublicHistory(
        unit=str(CONSUMPTION_UNITS.get(kind, "")), company_kind=kind, periods=periods
    )


# --- CSV export ------------------------------------------------------------------------------

CSV_HEADER = [
    "سال",
    "دوره",
    "از تاریخ",
    "تا تاریخ",
    "نوع صورتحساب",
    "شمارنده قبلی",
    "شمارنده فعلی",
    "مصرف",
    "واحد",
    "مبلغ قابل پرداخت (ریال)",
    "مهلت پرداخت",
    "پرداخت‌شده (ریال)",
    "وضعیت",
    "پرداخت‌ها",
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _payment_text(payment: BillPayment) -> str:
    return (
        f"{jalali_iso(payment.paid_at)} {payment.get_channel_display()} "
        f"{payment.amount} ریال پیگیری {payment.reference}"
    )


def history_csv(*, history: BillHistory) -> bytes:
    """The history as CSV: a header row, one row per bill, Jalali dates (``1403/01/31``),
    amounts in rials. UTF-8 with a BOM so Excel shows Persian. No bill ID or payment ID:
    the export is the bills' items, like older bills on the page (seed 000)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    unit = history.unit
    for bill in history.bills:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    bill.year,
                    bill.period,
                    jalali_iso(bill.period_start),
                    jalali_iso(bill.period_end),
                    bill.get_kind_display(),
                    bill.previous_reading,
                    bill.current_reading,
                    bill.consumption,
                    unit,
                    bill.amount,
                    jalali_iso(bill.due_date),
                    bill.paid_amount,
                    "پرداخت‌شده" if bill.is_paid else "پرداخت‌نشده",
                    "؛ ".join(_payment_text(p) for p in bill.payments.all()),
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


__all__ = [
    "BillHistory",
    "ChartPoint",
    "PublicHistory",
    "PublicPeriod",
    "bill_history",
    "bill_history_public",
    "current_jalali_year",
    "default_from_year",
    "history_csv",
]
