"""Tariff lookup and bill arithmetic (billing.services.tariffs)."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import Bill, Tariff, TariffTier, TariffUse
from billing.services.tariffs import (
    bill_compute,
    carried_debt,
    consumption_between,
    lines_compute,
    prorate,
    tariff_for,
)
from portal.errors import PortalError
from tests.billing.factories import BillFactory, paid, residential_electricity_tariff
from tests.factories import SubscriptionFactory

# The residential table of tests.billing.factories (monthly kWh → rials/kWh):
# ≤100: 300, ≤200: 350, ≤300: 750, ≤400: 1350, ≤500: 1550, rest: 2900; fee 30,000; VAT 10 %.


def _table(**overrides) -> Tariff:
    values = {
        "company_kind": "electricity",
        "use": TariffUse.RESIDENTIAL,
        "title": "جدول آزمون",
        "valid_from": dt.date(2020, 1, 1),
        "subscription_fee": 30_000,
        "tax_percent": 10,
        "duties_percent": 0,
    }
    values.update(overrides)
    return Tariff(**values)


def _tiers(*steps) -> list[TariffTier]:
    return [TariffTier(up_to=up_to, rate=rate) for up_to, rate in steps]


STEPS = _tiers((100, 300), (200, 350), (300, 750), (None, 2900))


@pytest.mark.parametrize(
    ("monthly", "days", "expected"),
    [(100, 30, 100), (100, 45, 150), (100, 31, 103), (100, 1, 3), (30_000, 15, 15_000)],
)
def test_prorate_is_monthly_times_days_over_thirty_rounded_half_up(monthly, days, expected):
    assert prorate(monthly, days) == expected


def test_consumption_in_the_first_step_only():
    lines = lines_compute(tariff=_table(), tiers=STEPS, consumption=100, days=30)
    assert [t.as_json() for t in lines.tiers] == [
        {"up_to": 100, "units": 100, "rate": 300, "amount": 30_000}
    ]
    assert lines.energy == 30_000


def test_one_unit_over_a_step_edge_goes_to_the_next_step():
    lines = lines_compute(tariff=_table(), tiers=STEPS, consumption=101, days=30)
    assert [(t.units, t.rate) for t in lines.tiers] == [(100, 300), (1, 350)]
    assert lines.energy == 100 * 300 + 350


def test_the_open_last_step_takes_the_rest():
    lines = lines_compute(tariff=_table(), tiers=STEPS, consumption=450, days=30)
    assert [(t.up_to, t.units) for t in lines.tiers] == [(100, 100), (200, 100), (300, 100),
                                                           (None, 150)]  # fmt: skip
    assert lines.energy == 100 * 300 + 100 * 350 + 100 * 750 + 150 * 2900


def test_step_limits_are_prorated_to_the_period_days():
    # 45 days: steps become 150 / 300 / 450 units.
    lines = lines_compute(tariff=_table(), tiers=STEPS, consumption=320, days=45)
    assert [(t.units, t.rate) for t in lines.tiers] == [(150, 300), (150, 350), (20, 750)]


def test_fee_duties_vat_and_rounding_down_to_a_thousand_rials():
    tariff = _table(subscription_fee=30_000, tax_percent=9, duties_percent=10)
    lines = lines_compute(tariff=tariff, tiers=STEPS, consumption=101, days=15, debt=12_345)
    # 15 days: first step 50 units, second 50 → 50×300 + 50×350 + 1×750.
    assert lines.energy == 15_000 + 17_500 + 750
    assert lines.subscription_fee == 15_000
    assert lines.duties == 3_325  # 10 % of energy only
    assert lines.tax == 4_343  # 9 % of energy + fee (48,250 → 4,342.5 → half up)
    assert lines.debt == 12_345
    raw = 33_250 + 15_000 + 3_325 + 4_343 + 12_345
    assert lines.amount == raw - raw % 1000 == 68_000
    assert lines.adjustment == lines.amount - raw == -263
    total = (
        lines.energy + lines.subscription_fee + lines.duties + lines.tax + lines.debt
        + lines.adjustment
    )  # fmt: skip
    assert total == lines.amount


def test_zero_consumption_still_pays_the_prorated_fee():
    lines = lines_compute(tariff=_table(), tiers=STEPS, consumption=0, days=30)
    assert (lines.energy, lines.subscription_fee, lines.tax, lines.amount) == (0, 30_000, 3_000,
                                                                               33_000)  # fmt: skip


def test_a_credit_larger_than_the_charges_leaves_nothing_to_pay_and_still_adds_up():
    lines = lines_compute(tariff=_table(), tiers=STEPS, consumption=0, days=30, debt=-50_000)
    assert lines.amount == 0
    assert lines.subscription_fee + lines.tax + lines.debt + lines.adjustment == 0


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [(99_999, 12, 13), (99_990, 0, 10), (9_995, 5, 10), (999_999, 1, 2)],
)
def test_rollover_uses_the_meter_digit_count(previous, current, expected):
    assert (
        consumption_between(previous_reading=previous, current_reading=current, rollover=True)
        == expected
    )


def test_a_lower_reading_without_rollover_is_refused_naming_the_field():
    with pytest.raises(PortalError) as caught:
        consumption_between(previous_reading=500, current_reading=400)
    assert caught.value.code == "reading_below_previous"
    assert "reading" in caught.value.fields


@pytest.mark.django_db
def test_tariff_for_picks_the_table_valid_on_the_day_by_label_or_value():
    old = residential_electricity_tariff(valid_from=dt.date(2020, 1, 1))
    old.valid_to = dt.date(2024, 3, 20)
    old.save()
    new = residential_electricity_tariff(valid_from=dt.date(2024, 3, 20))
    assert tariff_for(company_kind="electricity", use_label_or_value="خانگی",
                      on=dt.date(2024, 3, 19)) == old  # fmt: skip
    # valid_to is exclusive: on that day the new table applies.
    assert tariff_for(company_kind="electricity", use_label_or_value="residential",
                      on=dt.date(2024, 3, 20)) == new  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "use", "on"),
    [
        ("gas", "خانگی", dt.date(2024, 5, 1)),  # no gas table at all
        ("electricity", "خانگی", dt.date(2019, 12, 31)),  # before the first table
        ("electricity", "تجاری", dt.date(2024, 5, 1)),  # no table for that use
    ],
)
def test_no_valid_tariff_is_a_clear_persian_error(kind, use, on):
    residential_electricity_tariff()
    with pytest.raises(PortalError) as caught:
        tariff_for(company_kind=kind, use_label_or_value=use, on=on)
    assert caught.value.code == "tariff_missing"
    assert "جدول تعرفه" in caught.value.message


@pytest.mark.django_db
def test_an_unknown_use_label_is_a_clear_persian_error():
    with pytest.raises(PortalError) as caught:
        tariff_for(company_kind="electricity", use_label_or_value="فضایی", on=dt.date.today())
    assert caught.value.code == "tariff_use_unknown"
    assert "فضایی" in caught.value.message


@pytest.mark.django_db
def test_carried_debt_is_the_unpaid_balance_of_the_latest_bill_only():
    subscription = SubscriptionFactory()
    BillFactory(subscription=subscription, period=1, amount=900_000)  # carried into period 2
    latest = BillFactory(subscription=subscription, period=2, amount=1_400_000)
    assert carried_debt(subscription=subscription) == 1_400_000
    paid(latest)
    assert carried_debt(subscription=subscription) == 0


@pytest.mark.django_db
def test_bill_compute_reads_tariff_and_debt_from_the_database():
    residential_electricity_tariff()
    subscription = SubscriptionFactory(tariff="خانگی")
    BillFactory(subscription=subscription, period=1, amount=500_000)
    lines = bill_compute(
        subscription=subscription,
        previous_reading=1_000,
        current_reading=1_150,
        period_start=dt.date(2024, 4, 20),
        period_end=dt.date(2024, 5, 19),  # 30 days
    )
    assert lines.consumption == 150
    assert lines.energy == 100 * 300 + 50 * 350
    assert lines.debt == 500_000
    assert lines.amount % 1000 == 0
    assert Bill.objects.count() == 1  # computing writes nothing


@pytest.mark.django_db
def test_bill_compute_with_rollover_counts_through_zero():
    residential_electricity_tariff()
    subscription = SubscriptionFactory(tariff="خانگی")
    lines = bill_compute(
        subscription=subscription,
        previous_reading=99_999,
        current_reading=12,
        period_start=dt.date(2024, 4, 20),
        period_end=dt.date(2024, 5, 19),
        rollover=True,
    )
    assert lines.consumption == 13
    assert lines.energy == 13 * 300
