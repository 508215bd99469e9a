"""Demo tariffs, five years of bills and their payments for ``seed_demo`` (issue 5 item 12).

- **Tariffs**: residential, commercial and public tables for electricity and gas, an older
  table valid from 1400/01/01 and a dearer one from 1403/01/01 (open-ended), so the admin
  shows validity dates and the bill amounts step up when the tables change.
- **Bills**: one periodic bill per Jalali month (period = month number, like the billing
  system's monthly export and ``tests/billing/factories.py``) for every demo electricity and
  gas subscription, for the 60 months up to the last complete month. Consumption follows the
  season — electricity peaks in summer (coolers) and a little in the dark winter months, gas
  peaks in Dey and Bahman (heating) — with ±12 % noise. Line items come from
  ``lines_compute`` with the table valid on the period's last day, so every amount is a
  multiple of 1,000 rials and every payment ID is valid for its bill.
- **Payments**: most bills are paid once, in full, by bank, app, kiosk or IVR with a unique
  reference. About one older bill in twenty-five is left unpaid and the next bill carries its
  balance as debt; the latest bill is unpaid for some subscriptions (Maryam's and Ali's
  electricity, the rented flat) so the history shows a payable bill. One of Maryam's
  electricity bills was corrected the way the import does it: the first version (a misread
  meter) is superseded by version 2 of the same period and kind and kept in history.
- The rented flat's tenant (Zahra) has a lease from 1405/01/01 (subscribers/demo.py), so she
  sees only the last months of its five-year history.

Idempotent: rows are keyed on (subscription, year, period, kind, version) and on the payment
reference, and only missing rows are written (``bulk_create``). Deterministic: each
subscription's history comes from its own generator seeded by one draw of ``ctx.rng`` and its
bill ID, so adding a subscription does not change the others.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass

import jdatetime
from django.db import models
from django.utils import timezone

from billing.models import Bill, BillPayment, Tariff, TariffTier, TariffUse
from billing.services.tariffs import lines_compute
from portal.demo import SeedContext, upsert
from portal.identifiers import generate_payment_id
from subscribers.models import Subscription, UtilityCompany

Kind = UtilityCompany.Kind

MONTHS = 60
DUE_DAYS = 14
FIRST_TABLE = jdatetime.date(1400, 1, 1).togregorian()
SECOND_TABLE = jdatetime.date(1403, 1, 1).togregorian()

# (company kind, use) → title, monthly subscription fee, VAT %, duties %, steps (up_to, rate)
# of the 1400 table. The 1403 table costs 30 % more (rates rounded to 10 rials).
TARIFFS: dict[tuple[str, str], tuple[str, int, int, int, list[tuple[int | None, int]]]] = {
    (Kind.ELECTRICITY, TariffUse.RESIDENTIAL): (
        "برق خانگی",
        20_000,
        10,
        3,
        [(100, 350), (200, 410), (300, 880), (400, 1540), (500, 1780), (600, 3300), (None, 3850)],
    ),
    (Kind.ELECTRICITY, TariffUse.COMMERCIAL): (
        "برق تجاری",
        60_000,
        10,
        3,
        [(1000, 2400), (None, 3100)],
    ),
    (Kind.ELECTRICITY, TariffUse.PUBLIC): ("برق عمومی", 80_000, 10, 3, [(None, 1900)]),
    (Kind.GAS, TariffUse.RESIDENTIAL): (
        "گاز خانگی",
        15_000,
        10,
        0,
        [(50, 1000), (100, 1350), (150, 2000), (200, 3100), (300, 4800), (None, 9500)],
    ),
    (Kind.GAS, TariffUse.COMMERCIAL): ("گاز تجاری", 40_000, 10, 0, [(None, 5000)]),
}

# Share of a month's average use in each Jalali month (فروردین … اسفند).
SEASON = {
    Kind.ELECTRICITY: (0.85, 0.9, 1.15, 1.55, 1.65, 1.35, 0.95, 0.9, 1.0, 1.1, 1.05, 0.95),
    Kind.GAS: (1.3, 0.55, 0.3, 0.25, 0.25, 0.3, 0.6, 1.4, 2.6, 3.2, 3.0, 2.0),
}
# A typical month's use by (company kind, use): kWh or m³.
BASE_USE = {
    (Kind.ELECTRICITY, TariffUse.RESIDENTIAL): 230,
    (Kind.ELECTRICITY, TariffUse.COMMERCIAL): 900,
    (Kind.ELECTRICITY, TariffUse.PUBLIC): 2600,
    (Kind.GAS, TariffUse.RESIDENTIAL): 110,
    (Kind.GAS, TariffUse.COMMERCIAL): 400,
}
CHANNELS = (
    (BillPayment.Channel.APP, 45),
    (BillPayment.Channel.BANK, 30),
    (BillPayment.Channel.IVR, 15),
    (BillPayment.Channel.KIOSK, 10),
)
# Subscriptions (by subscription number, subscribers/demo.py) whose latest bill is left
# unpaid so their history shows a payable bill; the organisation's are drawn at random.
LATEST_UNPAID = {"1100201", "3300401", "1100202"}
LATEST_PAID = {"2200301"}
# Maryam's electricity, 1404/03: a misread meter, corrected by the billing system.
CORRECTION = ("1100201", 1404, 3)


@dataclass
class _Planned:
    bill: Bill
    payment: BillPayment | None = None
    superseded_key: tuple | None = None  # key of the corrected bill that replaces this one


def jalali_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of Jalali ``year``/``month``."""
    start = jdatetime.date(year, month, 1)
    following = jdatetime.date(year + (month == 12), month % 12 + 1, 1)
    return start.togregorian(), following.togregorian() - dt.timedelta(days=1)


def demo_periods(today: dt.date, months: int = MONTHS) -> list[tuple[int, int]]:
    """The ``months`` Jalali (year, month) pairs ending with the last complete month."""
    j = jdatetime.date.fromgregorian(date=today)
    year, month = j.year, j.month
    periods = []
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        periods.append((year, month))
    return periods[::-1]


def _use(subscription: Subscription) -> str:
    text = (subscription.tariff or "").strip()
    for value, label in TariffUse.choices:
        if text in (value, str(label)):
            return value
    return TariffUse.RESIDENTIAL


def _count(ctx: SeedContext, model: type[models.Model], created: int, unchanged: int) -> None:
    ctx.stats["created"] += created
    ctx.stats["unchanged"] += unchanged
    if model not in ctx.touched_models:
        ctx.touched_models.append(model)


def seed_tariffs(ctx: SeedContext) -> dict[tuple[str, str], list[Tariff]]:
    """The 1400 and 1403 tables of every group in ``TARIFFS`` with their steps."""
    tables: dict[tuple[str, str], list[Tariff]] = {}
    for (kind, use), (title, fee, tax, duties, steps) in TARIFFS.items():
        for valid_from, valid_to, factor, year in (
            (FIRST_TABLE, SECOND_TABLE, 1.0, "۱۴۰۰"),
            (SECOND_TABLE, None, 1.3, "۱۴۰۳"),
        ):
            tariff = upsert(
                ctx,
                Tariff,
                {"company_kind": kind, "use": use, "valid_from": valid_from},
                {
                    "title": f"{title} {year}",
                    "valid_to": valid_to,
                    "subscription_fee": round(fee * factor),
                    "tax_percent": tax,
                    "duties_percent": duties,
                },
            )
            for up_to, rate in steps:
                upsert(
                    ctx,
                    TariffTier,
                    {"tariff": tariff, "up_to": up_to},
                    {"rate": round(rate * factor / 10) * 10},
                )
            tables.setdefault((kind, use), []).append(tariff)
    return tables


def _tariff_on(tables: list[Tariff], day: dt.date) -> Tariff:
    return next(
        t for t in tables if t.valid_from <= day and (t.valid_to is None or day < t.valid_to)
    )


def _paid_at(rng: random.Random, period_end: dt.date, due: dt.date, today: dt.date):
    """When a bill was paid: mostly before the due date, sometimes a little late; ``None``
    when the period ended too recently for a payment to have happened yet."""
    latest = today - dt.timedelta(days=1)
    day = period_end + dt.timedelta(days=rng.randint(1, (due - period_end).days + 6))
    if day > latest:
        if period_end + dt.timedelta(days=1) > latest:
            return None
        day = latest
    moment = dt.datetime.combine(day, dt.time(rng.randint(7, 22), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _plan_subscription(
    subscription: Subscription,
    *,
    seed: float,
    periods: list[tuple[int, int]],
    tables: dict[tuple[str, str], list[Tariff]],
    tiers: dict[int, list[TariffTier]],
    today: dt.date,
) -> list[_Planned]:
    kind = subscription.company.kind
    use = _use(subscription)
    group = (kind, use) if (kind, use) in TARIFFS else (kind, TariffUse.RESIDENTIAL)
    rng = random.Random(f"{seed}-{subscription.bill_id}")  # noqa: S311 - demo data
    base = BASE_USE[group] * rng.uniform(0.8, 1.2)
    reading = rng.randint(1_000, 40_000)
    debt = 0
    previous_unpaid = False
    number = subscription.subscription_number
    if number in LATEST_UNPAID:
        latest_unpaid = True
    elif number in LATEST_PAID:
        latest_unpaid = False
    else:
        latest_unpaid = rng.random() < 0.5
    planned: list[_Planned] = []
    for index, (year, month) in enumerate(periods):
        start, end = jalali_month(year, month)
        days = (end - start).days + 1
        use_units = base * SEASON[kind][month - 1] * days / 30 * rng.uniform(0.88, 1.12)
        consumption = max(1, round(use_units))
        tariff = _tariff_on(tables[group], end)

        priced = functools.partial(
            _bill, subscription, year=year, month=month, reading=reading, tariff=tariff, tiers=tiers
        )
        last = index == len(periods) - 1
        unpaid = latest_unpaid if last else (not previous_unpaid and rng.random() < 0.04)
        if (number, year, month) == CORRECTION:
            bill = priced(units=consumption, debt=debt, kind=Bill.Kind.PERIODIC, version=2)
            misread = round(consumption * 1.8)
            wrong = priced(units=misread, debt=debt, kind=Bill.Kind.PERIODIC, version=1)
            planned.append(_Planned(wrong, superseded_key=_key(bill)))
        else:
            bill = priced(units=consumption, debt=debt, kind=Bill.Kind.PERIODIC, version=1)
        item = _Planned(bill)
        planned.append(item)
        paid_at = None if unpaid else _paid_at(rng, end, bill.due_date, today)
        if paid_at is not None:
            bill.paid_amount = bill.amount
            bill.paid_at = paid_at
            item.payment = BillPayment(
                payment_id=bill.payment_id,
                amount=bill.amount,
                paid_at=paid_at,
                channel=rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0],
                reference=str(rng.randrange(10**11, 10**12)),
            )
        debt = 0 if paid_at is not None else bill.amount
        previous_unpaid = paid_at is None
        reading += consumption
    return planned


def _bill(
    subscription: Subscription,
    *,
    year: int,
    month: int,
    reading: int,
    units: int,
    tariff: Tariff,
    tiers: dict[int, list[TariffTier]],
    debt: int,
    kind: str,
    version: int,
) -> Bill:
    """One month's bill priced by ``lines_compute``, with its payment ID."""
    start, end = jalali_month(year, month)
    lines = lines_compute(
        tariff=tariff,
        tiers=tiers[tariff.pk],
        consumption=units,
        days=(end - start).days + 1,
        debt=debt,
        previous_reading=reading,
        current_reading=reading + units,
    )
    return Bill(
        subscription=subscription,
        year=year,
        period=month,
        period_start=start,
        period_end=end,
        **lines.bill_fields(),
        due_date=end + dt.timedelta(days=DUE_DAYS),
        payment_id=generate_payment_id(
            bill_id=subscription.bill_id, amount_rial=lines.amount, jalali_year=year, period=month
        ),
        kind=kind,
        version=version,
    )


def _key(bill: Bill) -> tuple:
    return (bill.subscription_id, bill.year, bill.period, bill.kind, bill.version)


def seed_bills(ctx: SeedContext) -> None:
    """Tariff tables, then five years of monthly bills and payments for every demo
    electricity and gas subscription (see the module docstring)."""
    tables = seed_tariffs(ctx)
    tiers: dict[int, list[TariffTier]] = {}
    for tier in TariffTier.objects.filter(
        tariff__in=[t for group in tables.values() for t in group]
    ):
        tiers.setdefault(tier.tariff_id, []).append(tier)
    seed = ctx.rng.random()
    today = timezone.localdate()
    periods = demo_periods(today)
    subscriptions = list(
        Subscription.objects.filter(company__kind__in=[Kind.ELECTRICITY, Kind.GAS])
        .select_related("company")
        .order_by("bill_id")
    )
    planned: list[_Planned] = []
    for subscription in subscriptions:
        planned += _plan_subscription(
            subscription, seed=seed, periods=periods, tables=tables, tiers=tiers, today=today
        )

    existing = {
        tuple(row[:5]): row[5]
        for row in Bill.objects.filter(subscription__in=subscriptions).values_list(
            "subscription_id", "year", "period", "kind", "version", "pk"
        )
    }
    new = [p for p in planned if _key(p.bill) not in existing]
    # Issued bills first: a superseded bill points at the bill that replaced it.
    issued = [p for p in new if p.superseded_key is None]
    Bill.objects.bulk_create([p.bill for p in issued], batch_size=500)
    for item in issued:
        existing[_key(item.bill)] = item.bill.pk
    superseded = [p for p in new if p.superseded_key is not None]
    for item in superseded:
        item.bill.status = Bill.Status.SUPERSEDED
        item.bill.superseded_by_id = existing[item.superseded_key]
    Bill.objects.bulk_create([p.bill for p in superseded], batch_size=500)
    _count(ctx, Bill, len(new), len(planned) - len(new))

    # Payments only for bills written now: an existing bill keeps the paid state it has.
    payments = []
    for item in new:
        if item.payment is not None:
            item.payment.bill = item.bill
            payments.append(item.payment)
    known = set(
        BillPayment.objects.filter(reference__in=[p.reference for p in payments]).values_list(
            "reference", flat=True
        )
    )
    payments = [p for p in payments if p.reference not in known]
    BillPayment.objects.bulk_create(payments, batch_size=500)
    total = sum(1 for p in planned if p.payment is not None)
    _count(ctx, BillPayment, len(payments), total - len(payments))
