"""Consumption, bill and payment history by bill ID from a Jalali start year (seed 001).

``bill_history`` is what a subscriber (or the kiosk operator acting for one) sees: every issued
bill from the start year that their ``BillAccess`` allows (a tenant only inside the lease), with
payments, the one payable bill (seed 000: only the latest unpaid bill shows its bill ID and
payment ID) and, per period, the consumption of the same period a year earlier for the chart.
The periods are plain ``PeriodRow`` values read with ``values_list`` (no model instances: a
120-period history is read far more often than anything else in billing) and come from the
history cache (``billing.services.history_cache``) when the subscription's bills and payments
have not changed since they were built. A miss costs three queries whatever the number of
periods — the cache's stamp, the bills, their payments — a hit one (none after
``history_access_for_user``, which reads the stamp).

``history_access_for_user`` is ``bill_access_for_user`` in one query (a tenant's lease window
is read in the same statement), for the history page and API that run it on every request;
the same statement reads the cache's stamp, so a cache hit costs no further query.

``bill_history_public`` is the no-login lookup: it returns plain ``PublicPeriod`` rows (period,
consumption, amount, paid or not) and never a ``Bill``, so no template or serializer can reach
a name, address, mobile, bill ID or payment ID through it.

``history_csv`` renders a history as the CSV download (UTF-8 with BOM, Jalali dates).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import jdatetime
from django.db import connections, router
from django.db.models import OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.utils import timezone, translation

from billing.models import CONSUMPTION_UNITS, Bill, BillPayment
from billing.selectors.bills import (
    BillAccess,
    bill_access_for_user,
    bill_get_for_user,
    bills_visible,
    payable_bill,
)
from billing.services.history_cache import history_cached, stamp_subquery
from portal.errors import NotFound
from portal.identifiers import InvalidIdentifier, clean_bill_id
from portal.jalali import jalali_iso
from portal.prepared import PreparedStatement, statement_prepare
from subscribers.models import Subscription, SubscriptionLink, User, UtilityCompany
from subscribers.selectors.subscriptions import subscriptions_for_user

# Jalali years a history may start from: the oldest billing-system records are from the 1300s.
HISTORY_MIN_YEAR = 1300
# Without a chosen start year the last five years are shown (issue 5, "Done when").
DEFAULT_YEARS = 5


def current_jalali_year() -> int:
    return jdatetime.date.fromgregorian(date=timezone.localdate()).year


def default_from_year() -> int:
    return current_jalali_year() - (DEFAULT_YEARS - 1)


@functools.lru_cache(maxsize=64)
def _choice_label(choices: type, value: str, language: str | None) -> str:
    # ``language`` is only the cache key: the label is translated for the active language.
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def choice_label(choices: type, value: str) -> str:
    """``get_FOO_display()`` for a value read with ``values_list``, translated once per
    language rather than once per row."""
    return _choice_label(choices, value, translation.get_language())


# --- access -----------------------------------------------------------------------------------


# The history's permission check runs on every request, and building and compiling its ORM
# statement (subscriptions_for_user's subqueries) cost several times what PostgreSQL needs to
# run it. So the statement is compiled once per process and database with placeholder values
# for the user, the bill ID and today, and each request runs that SQL with its own values: a
# prepared statement (portal.prepared). The placeholders are values no request can have, and
# statement_prepare checks that each reached the parameters and none the SQL text.
_USER = -917_000_000_000_001
_BILL_ID = "\x00history-access-bill-id"
_TODAY = date(1901, 2, 3)
_ACCESS_COLUMNS = (
    "pk",
    "bill_id",
    "company_id",
    "company__name",
    "company__kind",
    "link_role",
    "link_lease_end",
    "link_lease_start",
    "link_created_at",
    "history_stamp",
)


def _access_queryset(*, user: User, bill_id: str, today: date):
    link = SubscriptionLink.objects.filter(pk=OuterRef("link_id"))
    return (
        subscriptions_for_user(user=user, today=today)
        .filter(bill_id=bill_id)
        .annotate(
            link_lease_start=Subquery(link.values("lease_start")[:1]),
            link_created_at=Subquery(link.values("created_at")[:1]),
            history_stamp=stamp_subquery(),
        )
        .order_by("pk")
        .values_list(*_ACCESS_COLUMNS)[:1]
    )


_prepared: dict[str, PreparedStatement] = {}


def _compile(alias: str) -> PreparedStatement:
    user = User(pk=_USER)
    queryset = _access_queryset(user=user, bill_id=_BILL_ID, today=_TODAY).using(alias)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    # The backend may pass a date as text (SQLite): match the value as it adapts it.
    today = connections[alias].ops.adapt_datefield_value(_TODAY)
    return statement_prepare(
        alias=alias,
        sql=sql,
        params=params,
        compiler=compiler,
        placeholders={_USER: "user", _BILL_ID: "bill_id", today: "today"},
        texts=(str(_USER), _BILL_ID),
    )


def _loaded(model, alias: str, **values):
    """An instance as the ORM loads one with only ``values`` selected (the rest deferred)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(alias, names, [values[n] for n in names])


def history_access_for_user(*, user: User, bill_id: str) -> BillAccess:
    """``bill_access_for_user`` in one prepared query: the same subscriptions
    (``subscriptions_for_user``) and the same ``BillAccess``, with the tenant's lease start and
    link date read in the same statement instead of a second one, and the history cache's
    stamp with it (``access_stamp``). ``access.subscription`` has its bill ID and company; any
    other field loads on first use. ``NotFound`` for anything the user may not see."""
    try:
        cleaned = clean_bill_id(bill_id)
    except InvalidIdentifier:
        raise NotFound() from None
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    alias = router.db_for_read(Subscription)
    prepared = _prepared.get(alias)
    if prepared is None:
        prepared = _prepared[alias] = _compile(alias)
    today = connections[alias].ops.adapt_datefield_value(timezone.localdate())
    rows = prepared.fetch({"user": user.pk, "bill_id": cleaned, "today": today})
    if not rows:
        raise NotFound()
    [row] = rows
    (pk, cleaned_id, company_id, company_name, company_kind, role, until, lease_start,
     created_at, stamp) = row  # fmt: skip
    subscription = _loaded(Subscription, alias, id=pk, bill_id=cleaned_id, company_id=company_id)
    subscription.company = _loaded(
        UtilityCompany, alias, id=company_id, name=company_name, kind=company_kind
    )
    subscription.link_role = role
    subscription.history_stamp = stamp
    if role == SubscriptionLink.Role.TENANT:
        # As billing.selectors.bills._access: the lease start, else the day the link was made.
        return BillAccess(
            subscription=subscription,
            role=role,
            since=lease_start or created_at.date(),
            until=until,
        )
    return BillAccess(subscription=subscription, role=role or "organisation")


# --- rows -------------------------------------------------------------------------------------


class PaymentRows(tuple):
    """A bill's payments, oldest first. ``all()`` lets templates written for a related
    manager (``bill.payments.all``) read it unchanged."""

    __slots__ = ()

    def all(self) -> PaymentRows:
        return self


NO_PAYMENTS = PaymentRows()


@dataclass(frozen=True)
class PaymentRow:
    paid_at: dt.datetime
    channel: str
    amount: int
    reference: str

    def get_channel_display(self) -> str:
        return choice_label(BillPayment.Channel, self.channel)


@dataclass(frozen=True)
class PeriodRow:
    """One issued bill as the history shows it: the ``Bill`` fields it reads, no instance."""

    pk: int
    uid: uuid.UUID
    year: int
    period: int
    kind: str
    version: int
    period_start: date
    period_end: date
    previous_reading: int
    current_reading: int
    consumption: int
    amount: int
    due_date: date
    payment_id: str
    paid_amount: int
    created_at: dt.datetime
    payments: PaymentRows = NO_PAYMENTS

    # Same rules as the model's properties (billing.models.Bill).
    @property
    def is_paid(self) -> bool:
        return self.paid_amount >= self.amount

    @property
    def balance(self) -> int:
        return max(self.amount - self.paid_amount, 0)

    def get_kind_display(self) -> str:
        return choice_label(Bill.Kind, self.kind)


PERIOD_FIELDS = (
    "pk",
    "uid",
    "year",
    "period",
    "kind",
    "version",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "consumption",
    "amount",
    "due_date",
    "payment_id",
    "paid_amount",
    "created_at",
)
PAYMENT_FIELDS = ("bill_id", "paid_at", "channel", "amount", "reference")


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


@dataclass(frozen=True)
class HistoryRows:
    """What a history shows of a subscription for one view of it (start year, lease window):
    the part that is cached. The caller's ``BillAccess`` is not in it."""

    bills: tuple[PeriodRow, ...]
    payable: PeriodRow | None
    chart: tuple[ChartPoint, ...]


@dataclass
class BillHistory:
    access: BillAccess
    from_year: int
    bills: list[PeriodRow]
    payable: PeriodRow | None
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


def _per_period(bills: list[PeriodRow]) -> dict[tuple[int, int], int]:
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


def history_rows(*, access: BillAccess, from_year: int) -> HistoryRows:
    """Every issued bill of ``access`` from Jalali ``from_year`` on, newest first, with its
    payments (oldest first), the payable bill and the chart series, read from the database
    (two queries). Bills of the year before ``from_year`` are read only to compare the first
    year's periods (and, being newer than anything older, may be the payable bill)."""
    values = list(
        bills_visible(access=access).filter(year__gte=from_year - 1).values_list(*PERIOD_FIELDS)
    )
    payments: dict[int, list[PaymentRow]] = defaultdict(list)
    if values:
        for bill_pk, *payment in (
            BillPayment.objects.filter(bill_id__in=[v[0] for v in values])
            .order_by("bill_id", "paid_at", "pk")
            .values_list(*PAYMENT_FIELDS)
        ):
            payments[bill_pk].append(PaymentRow(*payment))
    rows = [
        PeriodRow(*v, payments=PaymentRows(payments[v[0]])) if v[0] in payments else PeriodRow(*v)
        for v in values
    ]
    bills = tuple(r for r in rows if r.year >= from_year)
    totals = _per_period(rows)
    chart = tuple(
        ChartPoint(
            year=year,
            period=period,
            consumption=consumption,
            previous_year=totals.get((year - 1, period)),
        )
        for (year, period), consumption in sorted(totals.items())
        if year >= from_year
    )
    # payable_bill's rule applied to the rows already read (a query saved on a page that must
    # stay within 8): ``rows`` has bills_visible's order, and a year filter keeps the newest
    # bill whenever it keeps any, so rows[0] is the latest issued bill. With no rows from the
    # year before the start year on, the latest bill is older than the history and is not
    # shown at all.
    latest = rows[0] if rows else None
    payable = latest if latest is not None and not latest.is_paid else None
    return HistoryRows(bills=bills, payable=payable, chart=chart)


def access_stamp(access: BillAccess) -> str | None:
    """The history stamp ``history_access_for_user`` read with the access, if it did."""
    if not hasattr(access.subscription, "history_stamp"):
        return None
    return access.subscription.history_stamp or ""  # NULL: no bills yet, as history_stamp


def history_view(*, access: BillAccess, from_year: int) -> tuple:
    """What distinguishes one caller's history of a subscription from another's in the cache:
    the start year and the lease window (unbounded for owners and representatives)."""
    return (from_year, access.since, access.until)


def bill_history(*, access: BillAccess, from_year: int, use_cache: bool = True) -> BillHistory:
    """The history ``access`` may see from Jalali ``from_year`` on (``history_rows``), from
    the history cache unless ``use_cache`` is false; see the module docstring."""

    def build() -> HistoryRows:
        return history_rows(access=access, from_year=from_year)

    if use_cache:
        content = history_cached(
            shape="rows",
            subscription_id=access.subscription.pk,
            parts=history_view(access=access, from_year=from_year),
            build=build,
            stamp=access_stamp(access),
        )
    else:
        content = build()
    return BillHistory(
        access=access,
        from_year=from_year,
        bills=list(content.bills),
        payable=content.payable,
        chart=list(content.chart),
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
    kind = subscription.company.kind
    periods = history_cached(
        shape="public",
        subscription_id=subscription.pk,
        parts=(from_year,),
        build=lambda: _public_periods(subscription=subscription, from_year=from_year),
    )
    return PublicHistory(
        unit=str(CONSUMPTION_UNITS.get(kind, "")), company_kind=kind, periods=list(periods)
    )


def _public_periods(*, subscription: Subscription, from_year: int) -> tuple[PublicPeriod, ...]:
    rows = (
        Bill.objects.filter(
            subscription=subscription, status=Bill.Status.ISSUED, year__gte=from_year
        )
        .order_by("-year", "-period", "-version", "-pk")
        .values_list(
            "year", "period", "period_start", "period_end", "consumption", "amount", "paid_amount"
        )
    )
    return tuple(
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


def _payment_text(payment: PaymentRow) -> str:
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
    "HistoryRows",
    "PaymentRow",
    "PeriodRow",
    "PublicHistory",
    "PublicPeriod",
    "bill_history",
    "bill_history_public",
    "current_jalali_year",
    "default_from_year",
    "history_access_for_user",
    "history_csv",
    "history_rows",
    "history_view",
]
