"""Green Button "Download My Data": a bill history as a NAESB ESPI Atom feed.

The feed follows the Green Button Alliance sample files so existing tools read it unchanged:
an Atom ``feed`` whose entries carry, in ``content``, one ESPI resource each —

- ``UsagePoint`` (ServiceCategory kind 0 electricity, 1 gas), linked ``related`` to its
  MeterReading, its UsageSummary collection and the LocalTimeParameters;
- ``LocalTimeParameters`` for Asia/Tehran: tzOffset 12600 s (UTC+03:30) and dstOffset 0, because
  Iran stopped daylight saving after 2022; with no DST both rules are the empty rule 00000000;
- ``MeterReading`` linked ``related`` to its IntervalBlock collection and its ReadingType;
- ``ReadingType``: deltaData (4), forward flow (1), IRR (ISO 4217 364); electricity as energy (12)
  in Wh (uom 72) × 10³, i.e. kWh; gas as volume (58) in m³ (uom 42);
- one ``IntervalBlock`` whose ``IntervalReading``\\s are the billing periods, oldest first;
- one ``UsageSummary`` per bill (billingPeriod, billLastPeriod in hundred-thousandths of the
  currency as the standard defines it, currency, overall consumption, quality, status time).

Times are epoch seconds of real instants: a period starts at 00:00 Asia/Tehran on its first day
and ends at 00:00 of the day after its last day. Periods before the end of DST in 2022 get the
offset then in force (UTC+04:30 in summer), so a period across a DST change is an hour longer
or shorter — the IANA zone database knows the history, the LocalTimeParameters the present rule.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from billing.models import Bill
from billing.selectors.history import BillHistory
from portal.errors import PortalError
from subscribers.models import UtilityCompany

ATOM_NS = "http://www.w3.org/2005/Atom"
ESPI_NS = "http://naesb.org/espi"
ET.register_namespace("", ATOM_NS)
ET.register_namespace("espi", ESPI_NS)

TEHRAN = ZoneInfo("Asia/Tehran")
TZ_OFFSET = 12_600  # UTC+03:30 in seconds
DST_OFFSET = 0
NO_DST_RULE = "00000000"
CURRENCY_IRR = 364  # ISO 4217
# UsageSummary amounts are "in hundred-thousandths of the currency" (ESPI BillingChargeSource).
CURRENCY_SCALE = 100_000
CONTENT_TYPE = "application/atom+xml"

UNSUPPORTED = "خروجی گرین باتن فقط برای اشتراک برق و گاز ممکن است."


@dataclass(frozen=True)
class ReadingSpec:
    """ESPI enumerations for one kind of meter."""

    service_kind: int  # ServiceKind: 0 electricity, 1 gas
    commodity: int  # CommodityKind: 1 electricity secondary metered, 7 natural gas
    kind: int  # MeasurementKind: 12 energy, 58 volume
    uom: int  # UnitSymbolKind: 72 Wh, 42 m³
    power_of_ten: int  # the value times 10^this is in ``uom``
    title: str


READING_SPECS = {
    UtilityCompany.Kind.ELECTRICITY: ReadingSpec(0, 1, 12, 72, 3, "مصرف برق (کیلووات‌ساعت)"),
    UtilityCompany.Kind.GAS: ReadingSpec(1, 7, 58, 42, 0, "مصرف گاز (مترمکعب)"),
}
ACCUMULATION_DELTA = 4
FLOW_FORWARD = 1
DATA_QUALIFIER_NORMAL = 12
TIME_ATTRIBUTE_NONE = 0
# QualityOfReading: company bills are revenue quality (19); a provisional bill rests on the
# subscriber's own reading, which the company has not verified (16 "other").
QUALITY_REVENUE = 19
QUALITY_OTHER = 16


def local_midnight(day: dt.date) -> int:
    """Epoch seconds of 00:00 Asia/Tehran on ``day``."""
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=TEHRAN).timestamp())


def period_span(bill: Bill) -> tuple[int, int]:
    """``(start, duration)`` in seconds: from 00:00 of the first day to 00:00 of the day after
    the last day, both in Tehran local time."""
    start = local_midnight(bill.period_start)
    end = local_midnight(bill.period_end + dt.timedelta(days=1))
    return start, end - start


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def _atom_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _a(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _e(parent: ET.Element, tag: str, value: object | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ESPI_NS}}}{tag}")
    if value is not None:
        element.text = str(value)
    return element


def _interval(parent: ET.Element, tag: str, start: int, duration: int) -> None:
    interval = _e(parent, tag)
    _e(interval, "duration", duration)
    _e(interval, "start", start)


class _Feed:
    def __init__(self, *, root: ET.Element, stamp: str) -> None:
        self.root = root
        self.stamp = stamp

    def entry(
        self,
        *,
        self_href: str,
        up_href: str,
        title: str,
        related: tuple[str, ...] = (),
        published: str | None = None,
    ) -> ET.Element:
        """An Atom entry with id, links (self, up, related…), title; returns its ``content``."""
        entry = _a(self.root, "entry")
        _a(entry, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self_href)}")
        _a(entry, "link", rel="self", href=self_href)
        _a(entry, "link", rel="up", href=up_href)
        for href in related:
            _a(entry, "link", rel="related", href=href)
        _a(entry, "title", title)
        content = _a(entry, "content")
        _a(entry, "published", published or self.stamp)
        _a(entry, "updated", published or self.stamp)
        return content


def espi_feed(
    *, history: BillHistory, base_url: str, self_url: str, now: dt.datetime | None = None
) -> bytes:
    """The Atom document for ``history``. ``base_url`` is the site root the resource links
    hang from (``https://…``), ``self_url`` the address this export was requested at.
    ``PortalError`` (field ``format``) for a telephone subscription: ESPI has no pulses."""
    subscription = history.subscription
    spec = READING_SPECS.get(subscription.company.kind)
    if spec is None:
        raise PortalError("espi_unsupported", UNSUPPORTED, fields={"format": [UNSUPPORTED]})
    now = now or timezone.now()
    stamp = _atom_time(now)
    resource = f"{base_url.rstrip('/')}/espi/1_1/resource"
    points = f"{resource}/Subscription/{subscription.bill_id}/UsagePoint"
    point = f"{points}/1"
    readings, reading = f"{point}/MeterReading", f"{point}/MeterReading/1"
    blocks = f"{reading}/IntervalBlock"
    summaries = f"{point}/UsageSummary"
    time_params = f"{resource}/LocalTimeParameters/1"
    reading_type = f"{resource}/ReadingType/{spec.service_kind + 1}"

    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _a(root, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, point)}")
    _a(root, "title", f"گرین باتن — شناسه قبض {subscription.bill_id}")
    _a(root, "updated", stamp)
    _a(root, "link", rel="self", href=self_url)
    feed = _Feed(root=root, stamp=stamp)

    content = feed.entry(
        self_href=point,
        up_href=points,
        title=f"اشتراک {subscription.bill_id}",
        related=(readings, summaries, time_params),
    )
    usage_point = _e(content, "UsagePoint")
    _e(_e(usage_point, "ServiceCategory"), "kind", spec.service_kind)

    content = feed.entry(
        self_href=time_params,
        up_href=f"{resource}/LocalTimeParameters",
        title="وقت رسمی ایران (Asia/Tehran)",
    )
    params = _e(content, "LocalTimeParameters")
    _e(params, "dstEndRule", NO_DST_RULE)
    _e(params, "dstOffset", DST_OFFSET)
    _e(params, "dstStartRule", NO_DST_RULE)
    _e(params, "tzOffset", TZ_OFFSET)

    bills = sorted(history.bills, key=lambda b: (b.period_start, b.period_end, b.pk))
    related = (blocks, reading_type) if bills else (reading_type,)
    content = feed.entry(self_href=reading, up_href=readings, title=spec.title, related=related)
    _e(content, "MeterReading")

    content = feed.entry(
        self_href=reading_type, up_href=f"{resource}/ReadingType", title=spec.title
    )
    rtype = _e(content, "ReadingType")
    _e(rtype, "accumulationBehaviour", ACCUMULATION_DELTA)
    _e(rtype, "commodity", spec.commodity)
    _e(rtype, "currency", CURRENCY_IRR)
    _e(rtype, "dataQualifier", DATA_QUALIFIER_NORMAL)
    _e(rtype, "flowDirection", FLOW_FORWARD)
    _e(rtype, "kind", spec.kind)
    _e(rtype, "powerOfTenMultiplier", spec.power_of_ten)
    _e(rtype, "timeAttribute", TIME_ATTRIBUTE_NONE)
    _e(rtype, "uom", spec.uom)

    spans = [period_span(b) for b in bills]
    if bills:
        first = min(start for start, _ in spans)
        last = max(start + duration for start, duration in spans)
        content = feed.entry(self_href=f"{blocks}/1", up_href=blocks, title=spec.title)
        block = _e(content, "IntervalBlock")
        _interval(block, "interval", first, last - first)
        for bill, (start, duration) in zip(bills, spans, strict=True):
            item = _e(block, "IntervalReading")
            _interval(item, "timePeriod", start, duration)
            _e(item, "value", bill.consumption)

    for index, (bill, (start, duration)) in enumerate(zip(bills, spans, strict=True), start=1):
        content = feed.entry(
            self_href=f"{summaries}/{index}",
            up_href=summaries,
            title=f"صورتحساب دوره {bill.period:02d} سال {bill.year}",
            published=_atom_time(bill.created_at),
        )
        summary = _e(content, "UsageSummary")
        _interval(summary, "billingPeriod", start, duration)
        _e(summary, "billLastPeriod", bill.amount * CURRENCY_SCALE)
        _e(summary, "currency", CURRENCY_IRR)
        overall = _e(summary, "overallConsumptionLastPeriod")
        _e(overall, "powerOfTenMultiplier", spec.power_of_ten)
        _e(overall, "timeStamp", start + duration)
        _e(overall, "uom", spec.uom)
        _e(overall, "value", bill.consumption)
        quality = QUALITY_OTHER if bill.kind == Bill.Kind.PROVISIONAL else QUALITY_REVENUE
        _e(summary, "qualityOfReading", quality)
        _e(summary, "statusTimeStamp", _epoch(bill.created_at))

    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
