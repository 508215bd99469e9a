"""Tariff lookup and the bill computation a provisional (self reading) or settlement bill is
issued from.

Rules, in the order a bill is built (Iranian distribution companies' practice):

- **Which table**: the table of the subscription's company kind and use (``Subscription.tariff``
  holds the use's Persian label, e.g. «خانگی») that is valid on the period's last day. A period
  that straddles a tariff change is billed wholly at the newer table; the billing system's
  periodic bill, which splits such periods, later replaces the provisional one anyway.
- **Steps (پلکان)**: each step's limit is *monthly*; for a period of ``days`` days (both ends
  included) it becomes ``limit × days / 30`` rounded half up to a whole unit, so a 45-day
  period gets 150 units in a 100-unit step and a 31-day period 103.
- **Subscription fee (آبونمان)**: monthly, prorated the same way: ``fee × days / 30``.
- **Duties (عوارض برق/گاز)**: ``duties_percent`` of the energy charge only (the budget law
  levies it on the price of the energy sold).
- **VAT (مالیات بر ارزش افزوده)**: ``tax_percent`` of energy + subscription fee. Duties are not
  part of the VAT base: under the VAT law one levy is never charged on another.
- **Carried debt**: the unpaid balance of the subscription's latest issued bill. Every bill
  already carries the debt of the ones before it (only the latest bill is payable, seed 000),
  so summing all unpaid bills would count old debt twice.
- **Credit**: a negative debt (what was paid on a provisional bill that a new one replaces)
  is deducted; when it exceeds the charges the amount is zero and ``adjustment`` holds the
  excess, which the company's billing system refunds or carries on its next periodic bill.
- **Total**: rounded DOWN to a multiple of 1,000 rials, because a payment ID encodes the amount
  in thousands (DOMAIN.md §1); the cut remainder is the (negative) ``adjustment`` so the line
  items still add up to the amount.

Every amount is an integer number of rials; percentages are applied with ``Decimal`` and
rounded half up, never with floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q

from billing.models import Bill, Tariff, TariffTier, TariffUse
from portal.errors import PortalError
from portal.jalali import jalali_display

DAYS_PER_MONTH = 30
PAYMENT_UNIT = 1000  # rials: payment IDs carry the amount in thousands


@dataclass(frozen=True)
class TierLine:
    up_to: int | None  # the step's monthly limit as the table says it (None: last step)
    units: int
    rate: int
    amount: int

    def as_json(self) -> dict[str, Any]:
        return {"up_to": self.up_to, "units": self.units, "rate": self.rate, "amount": self.amount}


@dataclass(frozen=True)
class BillLines:
    """The computed line items of one bill; ``amount`` is what the payment ID carries."""

    tariff_id: int | None
    previous_reading: int
    current_reading: int
    consumption: int
    days: int
    tiers: tuple[TierLine, ...]
    energy: int
    subscription_fee: int
    duties: int
    tax: int
    debt: int
    adjustment: int
    amount: int
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def energy_tiers(self) -> list[dict[str, Any]]:
        return [tier.as_json() for tier in self.tiers]

    def bill_fields(self) -> dict[str, Any]:
        """Readings, consumption and line items as ``Bill`` field values."""
        return {
            "previous_reading": self.previous_reading,
            "current_reading": self.current_reading,
            "consumption": self.consumption,
            "energy": self.energy,
            "energy_tiers": self.energy_tiers,
            "subscription_fee": self.subscription_fee,
            "tax": self.tax,
            "duties": self.duties,
            "debt": self.debt,
            "adjustment": self.adjustment,
            "amount": self.amount,
        }


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _percent(base: int, percent: Decimal | int | str) -> int:
    return _half_up(Decimal(base) * Decimal(str(percent)) / Decimal(100))


def prorate(monthly: int, days: int) -> int:
    """``monthly × days / 30`` rounded half up: a monthly limit or fee for a ``days``-day period."""
    return _half_up(Decimal(monthly) * Decimal(days) / Decimal(DAYS_PER_MONTH))


def consumption_between(
    *, previous_reading: int, current_reading: int, rollover: bool = False, digits: int = 0
) -> int:
    """Units the meter counted from ``previous_reading`` to ``current_reading``.

    A mechanical register of ``digits`` digits passes from all nines back to zero (a 5-digit
    99999 → 00012 counted 13 units). ``digits`` defaults to the previous reading's length: a
    register can only have rolled over from a reading close to its top, which has all of its
    digits. Without ``rollover`` a lower current reading is an error, never a negative use.
    """
    if previous_reading < 0 or current_reading < 0:
        raise ValueError("readings are never negative")
    if current_reading >= previous_reading:
        return current_reading - previous_reading
    if not rollover:
        raise PortalError(
            "reading_below_previous",
            "شماره فعلی کنتور از شماره قبلی کمتر است.",
            fields={"reading": ["شماره فعلی کنتور از شماره قبلی کمتر است."]},
        )
    digits = max(digits or len(str(previous_reading)), len(str(current_reading)))
    return 10**digits - previous_reading + current_reading


def lines_compute(
    *,
    tariff: Tariff,
    tiers: Iterable[TariffTier],
    consumption: int,
    days: int,
    debt: int = 0,
    previous_reading: int = 0,
    current_reading: int = 0,
) -> BillLines:
    """The line items of ``consumption`` units over ``days`` days under ``tariff`` (pure: no
    queries; ``tiers`` are the table's steps). See the module docstring for the rules."""
    if days < 1:
        raise ValueError("a period has at least one day")
    ordered = sorted(tiers, key=lambda t: (t.up_to is None, t.up_to or 0))
    lines: list[TierLine] = []
    remaining, floor = consumption, 0
    for tier in ordered:
        if remaining <= 0:
            break
        if tier.up_to is None:
            units = remaining
        else:
            ceiling = prorate(tier.up_to, days)
            units = min(remaining, max(ceiling - floor, 0))
            floor = max(floor, ceiling)
        if units:
            lines.append(TierLine(tier.up_to, units, tier.rate, units * tier.rate))
            remaining -= units
    if remaining > 0:
        # A table without an open last step: bill the rest at the top step's rate.
        top = ordered[-1] if ordered else None
        if top is None:
            raise PortalError("tariff_empty", f"جدول تعرفه «{tariff.title}» پلکانی ندارد.")
        lines.append(TierLine(top.up_to, remaining, top.rate, remaining * top.rate))
    energy = sum(line.amount for line in lines)
    fee = prorate(tariff.subscription_fee, days)
    duties = _percent(energy, tariff.duties_percent)
    tax = _percent(energy + fee, tariff.tax_percent)
    debt = int(debt)
    raw = energy + fee + duties + tax + debt
    # A credit (negative debt, e.g. a paid provisional bill being replaced) larger than the
    # charges leaves nothing to pay; the rest of the credit is the billing system's to carry.
    amount = max(raw - raw % PAYMENT_UNIT, 0)
    return BillLines(
        tariff_id=tariff.pk,
        previous_reading=previous_reading,
        current_reading=current_reading,
        consumption=consumption,
        days=days,
        tiers=tuple(lines),
        energy=energy,
        subscription_fee=fee,
        duties=duties,
        tax=tax,
        debt=debt,
        adjustment=amount - raw,
        amount=amount,
    )


def _use_value(use_label_or_value: str) -> str:
    text = (use_label_or_value or "").strip()
    for value, label in TariffUse.choices:
        if text in (value, str(label)):
            return value
    raise PortalError(
        "tariff_use_unknown",
        f"نوع تعرفه «{text}» در جدول‌های تعرفه تعریف نشده است؛ با امور مشترکین تماس بگیرید.",
    )


def tariff_for(*, company_kind: str, use_label_or_value: str, on: dt.date) -> Tariff:
    """The tariff table of ``company_kind`` × use valid on ``on`` (``valid_to`` exclusive),
    with its steps prefetched. ``PortalError`` with a Persian message when none is valid."""
    use = _use_value(use_label_or_value)
    tariff = (
        Tariff.objects.filter(company_kind=company_kind, use=use, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .prefetch_related("tiers")
        .order_by("-valid_from")
        .first()
    )
    if tariff is None:
        raise PortalError(
            "tariff_missing",
            f"برای تعرفه «{TariffUse(use).label}» در تاریخ {jalali_display(on)} جدول تعرفه "
            "معتبری ثبت نشده است؛ صدور صورتحساب ممکن نیست. با امور مشترکین تماس بگیرید.",
        )
    return tariff


def carried_debt(*, subscription, exclude: Bill | None = None) -> int:
    """The unpaid balance of ``subscription``'s latest issued bill (see the module docstring),
    leaving out ``exclude`` (a bill about to be superseded)."""
    latest = latest_issued_bill(subscription=subscription, exclude=exclude)
    return latest.balance if latest is not None else 0


def latest_issued_bill(*, subscription, exclude: Bill | None = None) -> Bill | None:
    """The subscription's issued bill that ends last (any kind)."""
    queryset = Bill.objects.filter(subscription=subscription, status=Bill.Status.ISSUED)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.order_by("-period_end", "-created_at", "-pk").first()


def bill_compute(
    *,
    subscription,
    previous_reading: int,
    current_reading: int,
    period_start: dt.date,
    period_end: dt.date,
    rollover: bool = False,
    on: dt.date | None = None,
    debt: int | None = None,
) -> BillLines:
    """Compute a bill of ``subscription`` from two readings over a period (both ends included).

    Looks up the tariff valid on ``on`` (default: ``period_end``) and, unless ``debt`` is
    given, the carried debt (``carried_debt``). Raises ``PortalError`` when the current reading
    is below the previous one without ``rollover``, or when no tariff table is valid. Writes
    nothing.
    """
    if period_end < period_start:
        raise PortalError(
            "period_invalid",
            "پایان دوره پیش از آغاز آن است.",
            fields={"read_on": ["تاریخ قرائت باید بعد از پایان دوره قبلی باشد."]},
        )
    consumption = consumption_between(
        previous_reading=previous_reading, current_reading=current_reading, rollover=rollover
    )
    tariff = tariff_for(
        company_kind=subscription.company.kind,
        use_label_or_value=subscription.tariff,
        on=on or period_end,
    )
    if debt is None:
        debt = carried_debt(subscription=subscription)
    lines = lines_compute(
        tariff=tariff,
        tiers=tariff.tiers.all(),
        consumption=consumption,
        days=(period_end - period_start).days + 1,
        debt=debt,
        previous_reading=previous_reading,
        current_reading=current_reading,
    )
    return BillLines(**{**lines.__dict__, "period_start": period_start, "period_end": period_end})


__all__ = [
    "BillLines",
    "TierLine",
    "bill_compute",
    "carried_debt",
    "consumption_between",
    "latest_issued_bill",
    "lines_compute",
    "prorate",
    "tariff_for",
]
