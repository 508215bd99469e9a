"""seed_demo's billing step: tariff tables, five years of monthly bills with valid payment IDs
and seasonal consumption for every demo electricity and gas subscription, payments for most,
carried debt after an unpaid bill, one corrected bill; a second run creates nothing and one
seed always gives the same bills."""

from __future__ import annotations

import re
from collections import defaultdict
from io import StringIO
from itertools import pairwise
from statistics import mean

import pytest
from django.core.management import call_command

from billing.demo import MONTHS, TARIFFS
from billing.models import Bill, BillPayment, Tariff, TariffTier
from billing.selectors.bills import bill_access_for_user, bills_visible
from portal.identifiers import is_valid_payment_id, payment_id_matches
from subscribers.models import Subscription, SubscriptionLink, UtilityCompany

pytestmark = pytest.mark.django_db

Kind = UtilityCompany.Kind


def run(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def billing_line(output: str) -> str:
    return next(line for line in output.splitlines() if "صورتحساب و پرداخت" in line)


def bills_snapshot() -> list[tuple]:
    return sorted(
        Bill.objects.values_list(
            "subscription__bill_id",
            "year",
            "period",
            "kind",
            "version",
            "status",
            "consumption",
            "amount",
            "payment_id",
            "debt",
            "paid_amount",
        )
    )


def payments_snapshot() -> list[tuple]:
    return sorted(
        BillPayment.objects.values_list(
            "bill__subscription__bill_id", "bill__year", "bill__period", "reference", "channel"
        )
    )


@pytest.fixture
def seeded() -> str:
    return run()


def test_tariff_tables_with_dates_and_steps(seeded):
    assert Tariff.objects.count() == 2 * len(TARIFFS)
    for tariff in Tariff.objects.prefetch_related("tiers"):
        steps = [tier.up_to for tier in tariff.tiers.all()]
        assert steps[-1] is None and None not in steps[:-1], tariff
        assert steps[:-1] == sorted(steps[:-1]), tariff
    newest = Tariff.objects.filter(valid_to__isnull=True)
    assert newest.count() == len(TARIFFS)
    residential = TariffTier.objects.filter(
        tariff__company_kind=Kind.ELECTRICITY, tariff__use="residential", up_to=100
    ).order_by("tariff__valid_from")
    old, new = residential.values_list("rate", flat=True)
    assert new > old  # the 1403 table is dearer


def test_five_years_of_monthly_bills_with_valid_ids(seeded):
    subscriptions = Subscription.objects.filter(company__kind__in=[Kind.ELECTRICITY, Kind.GAS])
    assert subscriptions.count() >= 10
    assert subscriptions.filter(company__kind=Kind.GAS).exists()
    for subscription in subscriptions:
        issued = subscription.bills.filter(status=Bill.Status.ISSUED)
        assert issued.count() == MONTHS, subscription
        assert issued.values("year").distinct().count() >= 5
    assert not Bill.objects.filter(subscription__company__kind=Kind.TELECOM).exists()

    for bill in Bill.objects.select_related("subscription"):
        bill_id = bill.subscription.bill_id
        assert is_valid_payment_id(bill.payment_id, bill_id=bill_id), bill
        assert payment_id_matches(
            bill_id, bill.payment_id, amount_rial=bill.amount, jalali_year=bill.year,
            period=bill.period,
        ), bill  # fmt: skip
        assert bill.amount > 0 and bill.amount % 1000 == 0
        items = (
            bill.energy + bill.subscription_fee + bill.tax + bill.duties + bill.debt
            + bill.adjustment
        )  # fmt: skip
        assert items == bill.amount, bill
        assert -1000 < bill.adjustment <= 0
        assert sum(tier["amount"] for tier in bill.energy_tiers) == bill.energy
        assert bill.current_reading - bill.previous_reading == bill.consumption
        assert bill.period_start.day and bill.period_end >= bill.period_start


def test_payments_unpaid_bills_and_carried_debt(seeded):
    assert BillPayment.objects.count() > 0.8 * Bill.objects.count()
    assert set(BillPayment.objects.values_list("channel", flat=True)) == set(
        BillPayment.Channel.values
    )
    for bill in Bill.objects.prefetch_related("payments"):
        payments = list(bill.payments.all())
        if bill.paid_at:
            assert [p.amount for p in payments] == [bill.amount] == [bill.paid_amount]
            assert payments[0].payment_id == bill.payment_id
            assert payments[0].paid_at.date() > bill.period_end
        else:
            assert payments == [] and bill.paid_amount == 0

    unpaid_old = 0
    for subscription in Subscription.objects.filter(bills__isnull=False).distinct():
        issued = list(
            subscription.bills.filter(status=Bill.Status.ISSUED).order_by("year", "period")
        )
        for before, after in pairwise(issued):
            if before.paid_at is None:
                unpaid_old += 1
                assert after.debt == before.amount, after
            else:
                assert after.debt == 0, after
    assert unpaid_old >= 3

    latest_unpaid = {
        s.subscription_number
        for s in Subscription.objects.all()
        if (last := s.bills.filter(status="issued").order_by("-year", "-period").first())
        and last.paid_at is None
    }
    assert {"1100201", "3300401", "1100202"} <= latest_unpaid
    assert "2200301" not in latest_unpaid


def test_seasonal_consumption(seeded):
    def by_month(number: str) -> dict[int, float]:
        months = defaultdict(list)
        bills = Bill.objects.filter(
            subscription__subscription_number=number, status=Bill.Status.ISSUED
        )
        for period, consumption in bills.values_list("period", "consumption"):
            months[period].append(consumption)
        return {month: mean(values) for month, values in months.items()}

    electricity = by_month("1100201")
    assert mean([electricity[4], electricity[5]]) > 1.3 * mean([electricity[1], electricity[8]])
    gas = by_month("2200301")
    assert mean([gas[10], gas[11]]) > 5 * mean([gas[4], gas[5]])


def test_one_corrected_bill_supersedes_the_first(seeded):
    old = Bill.objects.get(status=Bill.Status.SUPERSEDED)
    assert old.superseded_by.kind == old.kind == Bill.Kind.PERIODIC
    assert old.superseded_by.status == Bill.Status.ISSUED
    assert (old.superseded_by.year, old.superseded_by.period) == (old.year, old.period)
    assert old.superseded_by.consumption < old.consumption
    assert old.superseded_by.version == old.version + 1


def test_tenant_sees_only_the_lease_months(seeded):
    link = SubscriptionLink.objects.select_related("user", "subscription").get(
        role=SubscriptionLink.Role.TENANT,
        ended_at=None,
        subscription__subscription_number="1100202",
    )
    access = bill_access_for_user(user=link.user, bill_id=link.subscription.bill_id)
    visible = bills_visible(access=access)
    assert 0 < visible.count() < MONTHS
    assert all(b.period_start >= link.lease_start for b in visible)
    assert link.subscription.bills.filter(period_start__lt=link.lease_start).exists()


def test_second_run_creates_nothing_and_one_seed_gives_the_same_bills(seeded):
    bills, payments = bills_snapshot(), payments_snapshot()

    again = run()

    assert re.search(r"created 0, updated 0", billing_line(again))
    assert bills_snapshot() == bills and payments_snapshot() == payments

    BillPayment.objects.all().delete()
    Bill.objects.filter(status=Bill.Status.SUPERSEDED).delete()
    Bill.objects.all().delete()
    run()
    assert bills_snapshot() == bills and payments_snapshot() == payments
