"""Factories for billing. ``BillFactory`` builds a bill whose payment ID is valid for its
subscription's bill ID, amount, year and period, with Jalali monthly periods (period 1 of 1403
starts on 1403/01/01)."""

from __future__ import annotations

import datetime as dt

import factory
import jdatetime
from factory.django import DjangoModelFactory

from billing.models import Bill, BillPayment, Tariff, TariffTier, TariffUse
from portal.identifiers import generate_payment_id
from tests.factories import SubscriptionFactory


def jalali_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of Jalali ``year``/``month``."""
    start = jdatetime.date(year, month, 1)
    nxt = jdatetime.date(year + (month == 12), month % 12 + 1, 1)
    return start.togregorian(), nxt.togregorian() - dt.timedelta(days=1)


class BillFactory(DjangoModelFactory):
    class Meta:
        model = Bill

    subscription = factory.SubFactory(SubscriptionFactory)
    year = 1403
    period = factory.Sequence(lambda n: n % 12 + 1)
    period_start = factory.LazyAttribute(lambda o: jalali_month(o.year, min(o.period, 12))[0])
    period_end = factory.LazyAttribute(lambda o: jalali_month(o.year, min(o.period, 12))[1])
    previous_reading = 1000
    consumption = 250
    current_reading = factory.LazyAttribute(lambda o: o.previous_reading + o.consumption)
    energy = factory.LazyAttribute(lambda o: o.amount - o.tax - o.subscription_fee)
    subscription_fee = 50_000
    tax = 80_000
    amount = 1_250_000
    due_date = factory.LazyAttribute(lambda o: o.period_end + dt.timedelta(days=15))
    payment_id = factory.LazyAttribute(
        lambda o: generate_payment_id(
            bill_id=o.subscription.bill_id,
            amount_rial=o.amount,
            jalali_year=o.year,
            period=o.period,
        )
    )


class BillPaymentFactory(DjangoModelFactory):
    class Meta:
        model = BillPayment

    bill = factory.SubFactory(BillFactory)
    payment_id = factory.LazyAttribute(lambda o: o.bill.payment_id)
    amount = factory.LazyAttribute(lambda o: o.bill.amount)
    paid_at = factory.LazyAttribute(
        lambda o: dt.datetime.combine(o.bill.due_date, dt.time(10), tzinfo=dt.UTC)
    )
    channel = BillPayment.Channel.BANK
    reference = factory.Sequence(lambda n: f"REF{n:010d}")


def paid(bill: Bill, **kwargs) -> BillPayment:
    """Record a full payment of ``bill`` and keep its ``paid_amount``/``paid_at`` in step
    the way the payment services do."""
    payment = BillPaymentFactory(bill=bill, **kwargs)
    bill.paid_amount += payment.amount
    if bill.paid_amount >= bill.amount and bill.paid_at is None:
        bill.paid_at = payment.paid_at
    bill.save(update_fields=["paid_amount", "paid_at"])
    return payment


def residential_electricity_tariff(valid_from: dt.date = dt.date(2020, 1, 1)) -> Tariff:
    """A residential electricity table with the usual steps (monthly kWh)."""
    tariff = Tariff.objects.create(
        company_kind="electricity",
        use=TariffUse.RESIDENTIAL,
        title="خانگی برق",
        valid_from=valid_from,
        subscription_fee=30_000,
        tax_percent=10,
        duties_percent=0,
    )
    for up_to, rate in [(100, 300), (200, 350), (300, 750), (400, 1350), (500, 1550), (None, 2900)]:
        TariffTier.objects.create(tariff=tariff, up_to=up_to, rate=rate)
    return tariff
