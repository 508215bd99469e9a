"""Deep call-record pages: page 10,000 of a search against page 1 of the same search.

TARGETS.md: keyset/cursor pagination — page 10,000 no slower than 2× page 1. A PBX trunk of
an organisation makes ~1,400 listed calls a day, so one year of it holds 10,000 pages of 50
calls. At scale 1.0 this benchmark writes 520,000 calls of one line over 2019 (Tehran time,
every ~61 s, PostgreSQL ``INSERT … SELECT`` into the monthly partitions), then times the
search's own ``calls_page`` for page 1 (no cursor) and for page 10,000 (the cursor the 9,999th
page would hand out: the call at offset 499,950 of the newest-first order) alternately, and
reports their medians and the ratio deep / first. For contrast it also times the same page as
``OFFSET 499950`` a few times (what keyset paging avoids).

The access is the owner's (no lease window), built directly: the line access rule itself is
measured by the ``cdr-search`` HTTP scenario, not here. Everything the benchmark creates
carries recognisable names (company «بنچمارک صفحه‌های عمیق», code 995, number 04190999999,
the 2019 partitions) and is deleted at the end, also after a failure.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from django.db import connection

from portal.identifiers import generate_bill_id
from subscribers.models import City, DistrictOffice, Subscription, UtilityCompany
from telecom.models import LISTED_CALL_TYPES, CallRecord, PhoneLine
from telecom.selectors.calls import NEXT, PAGE_SIZE, CallFilter, Cursor, calls_page
from telecom.selectors.lines import LineAccess
from telecom.services.partitions import partition_name, partitions_ensure, partitions_existing

TARGET_RATIO = 2.0
DEEP_PAGE = 10_000
FULL_ROWS = DEEP_PAGE * PAGE_SIZE + 20_000  # page 10,000 is full, with calls beyond it
ROUNDS = 200
OFFSET_ROUNDS = 5
COMPANY_NAME = "بنچمارک صفحه‌های عمیق"
COMPANY_CODE = "995"
NUMBER = "04190999999"
YEAR = 2019
MONTHS = [(2018, 12), *((YEAR, m) for m in range(1, 13)), (YEAR + 1, 1)]


def _cleanup() -> None:
    existing = partitions_existing()
    line = PhoneLine.objects.filter(number=NUMBER).first()
    with connection.cursor() as cursor:
        for month in MONTHS:
            name = partition_name(*month)
            if name not in existing:
                continue
            if line is not None:
                cursor.execute(f'DELETE FROM "{name}" WHERE line_id = %s', [line.pk])  # noqa: S608
            cursor.execute(f'SELECT 1 FROM "{name}" LIMIT 1')  # noqa: S608
            if cursor.fetchone() is None:
                cursor.execute(f'DROP TABLE "{name}"')
    company = UtilityCompany.objects.filter(name=COMPANY_NAME).first()
    if company is None:
        return
    PhoneLine.objects.filter(subscription__company=company).delete()
    Subscription.objects.filter(company=company).delete()
    DistrictOffice.objects.filter(company=company).delete()
    company.delete()
    City.objects.filter(name=COMPANY_NAME).delete()


def _line() -> PhoneLine:
    company = UtilityCompany.objects.create(
        kind=UtilityCompany.Kind.TELECOM, name=COMPANY_NAME, code=COMPANY_CODE
    )
    office = DistrictOffice.objects.create(company=company, code="BENCH-PG", name=COMPANY_NAME)
    city = City.objects.create(name=COMPANY_NAME, province=COMPANY_NAME)
    subscription = Subscription.objects.create(
        company=company,
        office=office,
        city=city,
        subscription_number="BP00000001",
        bill_id=generate_bill_id(
            file_code=90_000_001, company_code=COMPANY_CODE, service_type=company.service_digit
        ),
        address="نشانی آزمون بنچمارک",
        tariff="تلفن ثابت",
    )
    return PhoneLine.objects.create(subscription=subscription, number=NUMBER)


def _fill(line: PhoneLine, rows: int) -> None:
    """``rows`` listed calls spread evenly over the Tehran year 2019, written in time order."""
    partitions_ensure(months=MONTHS)
    types = [str(t.value) for t in LISTED_CALL_TYPES]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO telecom_callrecord
                (line_id, started_at, other_number, call_type, duration_s, cost_rial)
            SELECT %s,
                   timestamptz '{YEAR}-01-01 00:00:00+03:30'
                     + i * (interval '365 days' / %s),
                   '0912' || lpad(((i * 37) %% 10000000)::text, 7, '0'),
                   (%s::text[])[1 + i %% %s],
                   (i * 13) %% 900 + 5,
                   ((i * 13) %% 900 + 5) * 60
            FROM generate_series(0::bigint, %s) AS i
            """,  # noqa: S608 - the year is this module's constant
            [line.pk, rows, types, len(types), rows - 1],
        )
        cursor.execute("ANALYZE telecom_callrecord")


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _p95_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


def run(scale: float) -> dict:
    if connection.vendor != "postgresql":
        raise RuntimeError("the deep-page benchmark needs PostgreSQL")
    rows = max(int(FULL_ROWS * scale), 2_000)
    deep_page = max(min(DEEP_PAGE, rows // PAGE_SIZE - 10), 2)
    rounds = max(int(ROUNDS * min(scale * 10, 1)), 20)
    _cleanup()
    try:
        line = _line()
        started = time.perf_counter()
        _fill(line, rows)
        fill_seconds = time.perf_counter() - started
        access = LineAccess(line=line, link=None, activation=None, visible_from=None,
                            visible_until=None)  # fmt: skip
        flt = CallFilter(date_from=dt.date(YEAR, 1, 1), date_to=dt.date(YEAR, 12, 31))
        newest_first = CallRecord.objects.filter(line_id=line.pk).order_by("-started_at", "-id")
        offset = (deep_page - 1) * PAGE_SIZE
        before = newest_first.values_list("started_at", "id")[offset - 1 : offset].get()
        cursor = Cursor(line.pk, before[0], before[1], NEXT).encode()

        first_page = calls_page(access=access, flt=flt)
        deep = calls_page(access=access, flt=flt, cursor=cursor)
        expected = list(newest_first.values_list("id", flat=True)[offset : offset + PAGE_SIZE])
        if [row.id for row in deep.rows] != expected or len(first_page.rows) != PAGE_SIZE:
            raise RuntimeError("the deep page is not the rows an OFFSET reads")

        first_times: list[float] = []
        deep_times: list[float] = []
        for _ in range(rounds):  # alternated, so drift of the machine hits both alike
            tick = time.perf_counter()
            calls_page(access=access, flt=flt)
            first_times.append(time.perf_counter() - tick)
            tick = time.perf_counter()
            calls_page(access=access, flt=flt, cursor=cursor)
            deep_times.append(time.perf_counter() - tick)
        offset_times = []
        for _ in range(OFFSET_ROUNDS):
            tick = time.perf_counter()
            list(newest_first.values_list("id", flat=True)[offset : offset + PAGE_SIZE])
            offset_times.append(time.perf_counter() - tick)
    finally:
        _cleanup()
    ratio = _median_ms(deep_times) / _median_ms(first_times)
    return {
        "measured": {
            "rows": rows,
            "deep_page": deep_page,
            "rounds": rounds,
            "deep_page_median_ms": round(_median_ms(deep_times), 3),
            "deep_page_p95_ms": round(_p95_ms(deep_times), 3),
            "offset_same_page_median_ms": round(_median_ms(offset_times), 1),
            "fill_s": round(fill_seconds, 2),
        },
        "baseline": {
            "what": "page 1 of the same search (calls_page without a cursor), alternated",
            "median_ms": round(_median_ms(first_times), 3),
            "p95_ms": round(_p95_ms(first_times), 3),
        },
        "ratio": round(ratio, 3),
        "target": f"page {DEEP_PAGE:,} ≤{TARGET_RATIO:g}× page 1 (median)",
        "target_met": ratio <= TARGET_RATIO,
    }
