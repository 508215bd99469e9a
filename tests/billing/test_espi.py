"""Green Button (NAESB ESPI) export: parse the Atom document back and compare every value —
each period's start, duration and consumption, each bill's summary — including the periods
around Iran's last daylight-saving changes in 1401 (2022)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from billing.espi import espi_feed
from billing.selectors.bills import bill_access_for_user
from billing.selectors.history import bill_history
from portal.errors import PortalError
from tests.billing.factories import BillFactory, jalali_month
from tests.billing.test_history import make_history
from tests.requests_app.factories import owned_subscription

pytestmark = pytest.mark.django_db

NS = {"atom": "http://www.w3.org/2005/Atom", "espi": "http://naesb.org/espi"}
BASE = "https://portal.example.ir/"
NOW = dt.datetime(2026, 1, 5, 8, 30, tzinfo=dt.UTC)


def _epoch(year, month, day, hour, minute) -> int:
    """Epoch seconds of a UTC wall-clock time, spelled out so the expectations are
    independent of the code under test."""
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).timestamp())


def _feed(user, subscription, from_year) -> ET.Element:
    access = bill_access_for_user(user=user, bill_id=subscription.bill_id)
    history = bill_history(access=access, from_year=from_year)
    body = espi_feed(history=history, base_url=BASE, self_url=BASE + "bills/export/", now=NOW)
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(body)  # noqa: S314 - our own document, not untrusted input


def _entry(root, resource: str) -> ET.Element:
    [entry] = [
        e
        for e in root.findall("atom:entry", NS)
        if e.find(f"atom:content/espi:{resource}", NS) is not None
    ]
    return entry


def _entries(root, resource: str) -> list[ET.Element]:
    return [
        e
        for e in root.findall("atom:entry", NS)
        if e.find(f"atom:content/espi:{resource}", NS) is not None
    ]


def _links(entry, rel: str) -> list[str]:
    return [link.get("href") for link in entry.findall("atom:link", NS) if link.get("rel") == rel]


def _int(element, path: str) -> int:
    return int(element.find(path, NS).text)


@pytest.fixture
def dst_history():
    """Electricity bills of Farvardin 1401 (DST began 2022-03-22), Shahrivar 1401 (DST ended
    at the end of 1401/06/30), Mehr 1401 and Farvardin 1402 (no DST any more)."""
    user, subscription = owned_subscription()
    specs = [(1401, 1, 410), (1401, 6, 620), (1401, 7, 530), (1402, 1, 300)]
    bills = [
        BillFactory(
            subscription=subscription,
            year=year,
            period=month,
            consumption=kwh,
            amount=1_000_000 + kwh * 1_000,
        )
        for year, month, kwh in specs
    ]
    return user, subscription, bills


def test_feed_and_usage_point(dst_history):
    user, subscription, _bills = dst_history
    root = _feed(user, subscription, 1401)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.find("atom:id", NS).text.startswith("urn:uuid:")
    assert root.find("atom:updated", NS).text == "2026-01-05T08:30:00Z"
    assert _links(root, "self") == [BASE + "bills/export/"]
    point = _entry(root, "UsagePoint")
    assert _int(point, "atom:content/espi:UsagePoint/espi:ServiceCategory/espi:kind") == 0
    [self_href] = _links(point, "self")
    assert self_href == (
        f"https://portal.example.ir/espi/1_1/resource/Subscription/{subscription.bill_id}"
        "/UsagePoint/1"
    )
    assert _links(point, "up") == [self_href.rsplit("/", 1)[0]]
    related = _links(point, "related")
    assert related == [
        self_href + "/MeterReading",
        self_href + "/UsageSummary",
        "https://portal.example.ir/espi/1_1/resource/LocalTimeParameters/1",
    ]
    for entry in root.findall("atom:entry", NS):
        assert entry.find("atom:id", NS).text.startswith("urn:uuid:")
        assert entry.find("atom:published", NS) is not None
        assert entry.find("atom:updated", NS) is not None
    ids = [e.find("atom:id", NS).text for e in root.findall("atom:entry", NS)]
    assert len(ids) == len(set(ids))


def test_local_time_parameters_are_tehran_without_dst(dst_history):
    user, subscription, _bills = dst_history
    root = _feed(user, subscription, 1401)
    params = _entry(root, "LocalTimeParameters").find("atom:content/espi:LocalTimeParameters", NS)
    assert [child.tag.split("}")[1] for child in params] == [
        "dstEndRule",
        "dstOffset",
        "dstStartRule",
        "tzOffset",
    ]
    assert _int(params, "espi:tzOffset") == 12600
    assert _int(params, "espi:dstOffset") == 0
    point = _entry(root, "UsagePoint")
    assert _links(_entry(root, "LocalTimeParameters"), "self")[0] in _links(point, "related")


def test_reading_type_for_electricity_is_kwh_in_rials(dst_history):
    user, subscription, _bills = dst_history
    root = _feed(user, subscription, 1401)
    rtype = _entry(root, "ReadingType").find("atom:content/espi:ReadingType", NS)
    values = {child.tag.split("}")[1]: int(child.text) for child in rtype}
    assert values == {
        "accumulationBehaviour": 4,
        "commodity": 1,
        "currency": 364,
        "dataQualifier": 12,
        "flowDirection": 1,
        "kind": 12,
        "powerOfTenMultiplier": 3,
        "timeAttribute": 0,
        "uom": 72,
    }
    # Schema order is alphabetical for ReadingType's elements.
    assert list(values) == sorted(values)


def test_meter_reading_links_to_its_block_and_reading_type(dst_history):
    user, subscription, _bills = dst_history
    root = _feed(user, subscription, 1401)
    point, reading = _entry(root, "UsagePoint"), _entry(root, "MeterReading")
    block, rtype = _entry(root, "IntervalBlock"), _entry(root, "ReadingType")
    assert _links(reading, "up")[0] in _links(point, "related")
    assert _links(reading, "related") == [_links(block, "up")[0], _links(rtype, "self")[0]]
    assert _links(block, "self")[0].startswith(_links(reading, "self")[0] + "/IntervalBlock/")


def test_interval_readings_are_the_billing_periods_with_tehran_midnights(dst_history):
    user, subscription, bills = dst_history
    root = _feed(user, subscription, 1401)
    block = _entry(root, "IntervalBlock").find("atom:content/espi:IntervalBlock", NS)
    readings = [
        (
            _int(r, "espi:timePeriod/espi:start"),
            _int(r, "espi:timePeriod/espi:duration"),
            _int(r, "espi:value"),
        )
        for r in block.findall("espi:IntervalReading", NS)
    ]
    day = 86_400
    assert readings == [
        # 1401/01/01 = 2022-03-21 00:00 +03:30; clocks went forward on 03-22; 31 days − 1 h.
        (_epoch(2022, 3, 20, 20, 30), 31 * day - 3600, 410),
        # 1401/06/01 = 2022-08-23 00:00 +04:30; back to +03:30 after 1401/06/30; 31 days + 1 h.
        (_epoch(2022, 8, 22, 19, 30), 31 * day + 3600, 620),
        # 1401/07/01 = 2022-09-23 00:00 +03:30; 30 days, no change.
        (_epoch(2022, 9, 22, 20, 30), 30 * day, 530),
        # 1402/01/01 = 2023-03-21 00:00 +03:30: no DST any more, 31 whole days.
        (_epoch(2023, 3, 20, 20, 30), 31 * day, 300),
    ]
    # Consecutive periods touch: each ends where the next begins.
    assert readings[1][0] + readings[1][1] == readings[2][0]
    first, last = readings[0], readings[-1]
    assert _int(block, "espi:interval/espi:start") == first[0]
    assert _int(block, "espi:interval/espi:duration") == last[0] + last[1] - first[0]
    assert [b.consumption for b in bills] == [r[2] for r in readings]


def test_one_usage_summary_per_bill_with_amount_in_hundred_thousandths(dst_history):
    user, subscription, bills = dst_history
    root = _feed(user, subscription, 1401)
    summaries = _entries(root, "UsageSummary")
    assert len(summaries) == len(bills)
    up = {_links(s, "up")[0] for s in summaries}
    assert up == {_links(_entry(root, "UsagePoint"), "self")[0] + "/UsageSummary"}
    block = _entry(root, "IntervalBlock").find("atom:content/espi:IntervalBlock", NS)
    periods = [
        (_int(r, "espi:timePeriod/espi:start"), _int(r, "espi:timePeriod/espi:duration"))
        for r in block.findall("espi:IntervalReading", NS)
    ]
    for entry, bill, (start, duration) in zip(summaries, bills, periods, strict=True):
        summary = entry.find("atom:content/espi:UsageSummary", NS)
        assert _int(summary, "espi:billingPeriod/espi:start") == start
        assert _int(summary, "espi:billingPeriod/espi:duration") == duration
        assert _int(summary, "espi:billLastPeriod") == bill.amount * 100_000
        assert _int(summary, "espi:currency") == 364
        overall = summary.find("espi:overallConsumptionLastPeriod", NS)
        assert _int(overall, "espi:value") == bill.consumption
        assert _int(overall, "espi:uom") == 72
        assert _int(overall, "espi:powerOfTenMultiplier") == 3
        assert _int(overall, "espi:timeStamp") == start + duration
        assert _int(summary, "espi:qualityOfReading") == 19
        assert _int(summary, "espi:statusTimeStamp") == int(bill.created_at.timestamp())
        order = [child.tag.split("}")[1] for child in summary]
        assert order == [
            "billingPeriod",
            "billLastPeriod",
            "currency",
            "overallConsumptionLastPeriod",
            "qualityOfReading",
            "statusTimeStamp",
        ]


def test_gas_is_volume_in_cubic_metres():
    user, subscription = owned_subscription(kind="gas")
    start, end = jalali_month(1404, 11)
    BillFactory(subscription=subscription, year=1404, period=11, consumption=840)
    root = _feed(user, subscription, 1404)
    assert (
        _int(
            _entry(root, "UsagePoint"),
            "atom:content/espi:UsagePoint/espi:ServiceCategory/espi:kind",
        )
        == 1
    )
    rtype = _entry(root, "ReadingType").find("atom:content/espi:ReadingType", NS)
    assert (_int(rtype, "espi:commodity"), _int(rtype, "espi:kind")) == (7, 58)
    assert (_int(rtype, "espi:uom"), _int(rtype, "espi:powerOfTenMultiplier")) == (42, 0)
    reading = _entry(root, "IntervalBlock").find(
        "atom:content/espi:IntervalBlock/espi:IntervalReading", NS
    )
    # 1404/11/01 = 2026-01-21, 30 days of Bahman.
    assert start == dt.date(2026, 1, 21)
    assert _int(reading, "espi:timePeriod/espi:start") == _epoch(2026, 1, 20, 20, 30)
    assert _int(reading, "espi:timePeriod/espi:duration") == ((end - start).days + 1) * 86_400
    assert _int(reading, "espi:value") == 840


def test_only_the_history_range_and_the_users_periods_are_exported():
    user, subscription = owned_subscription()
    make_history(subscription, years=(1403, 1404), periods=range(1, 4))
    root = _feed(user, subscription, 1404)
    block = _entry(root, "IntervalBlock").find("atom:content/espi:IntervalBlock", NS)
    assert [_int(r, "espi:value") for r in block.findall("espi:IntervalReading", NS)] == [
        104,
        204,
        304,
    ]
    assert len(_entries(root, "UsageSummary")) == 3


def test_empty_history_has_no_interval_block():
    user, subscription = owned_subscription()
    root = _feed(user, subscription, 1404)
    assert _entries(root, "IntervalBlock") == []
    assert _entries(root, "UsageSummary") == []
    assert len(_links(_entry(root, "MeterReading"), "related")) == 1


def test_telephone_lines_have_no_green_button():
    user, subscription = owned_subscription(kind="telecom")
    BillFactory(subscription=subscription, year=1404, period=1)
    with pytest.raises(PortalError) as exc:
        _feed(user, subscription, 1404)
    assert exc.value.fields == {"format": ["خروجی گرین باتن فقط برای اشتراک برق و گاز ممکن است."]}
