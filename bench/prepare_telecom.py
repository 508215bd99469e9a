"""Data for the ``cdr-search`` HTTP scenario: 10 M call records in the partitioned table, spread
over twelve months and 2,000 lines of the demo telephone center, one busy line (about 100
listed and local calls a day) owned and activated for a bench subscriber with a DRF token.

The rows are written by PostgreSQL itself (``INSERT … SELECT`` over ``generate_series``, one
statement per monthly partition after ``partitions_ensure``) in time order, as imports arrive,
so one line's calls are scattered over the heap like real traffic. The fill and a marker row
(a ``CdrImport`` whose checksum names this data set) commit together: a re-run finds the
marker and reuses the data; an interrupted fill leaves nothing behind. Independent of
``seed_demo --scale bench`` and the importer (it only needs the demo telecom office).

``python -m bench.prepare_telecom --rows 200000`` fills a smaller set for development
(another marker, so it never passes for the full one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import time
from urllib.parse import urlencode

import jdatetime

from bench.scenarios import Prepared

ROWS = 10_000_000
LINES = 2_000
MONTHS = 12
BUSY_EVERY = 274  # one row in 274 is the busy line's: ~100 calls a day at 10 M rows a year
BENCH_USERNAME = "bench-cdr"
BENCH_NATIONAL_CODE = "0013542419"  # valid check digit; the bench user only
FIRST_NUMBER = 4_135_500_000  # 0413550000x…: the bench lines' numbers
MONTHS_IN_PATHS = 6


def _marker(rows: int) -> str:
    return hashlib.sha256(f"bench-cdr-search:v1:{rows}:{LINES}:{MONTHS}".encode()).hexdigest()


def _span(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Twelve whole UTC months ending with last month (partition-aligned)."""
    end = dt.datetime(today.year, today.month, 1, tzinfo=dt.UTC)
    index = today.year * 12 + today.month - 1 - MONTHS
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC), end


def _lines_and_user():
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from portal.identifiers import generate_bill_id
    from subscribers.models import (
        City,
        DistrictOffice,
        IdentityVerification,
        Subscription,
        SubscriptionLink,
        User,
    )
    from telecom.models import LineActivation, PhoneLine

    office = (
        DistrictOffice.objects.select_related("company")
        .filter(company__kind="telecom")
        .order_by("pk")
        .first()
    )
    if office is None:
        raise RuntimeError("run seed_demo first: no telecom office")
    city = office.cities.order_by("pk").first() or City.objects.order_by("pk").first()
    with transaction.atomic():
        numbers = [f"0{FIRST_NUMBER + i}" for i in range(LINES)]
        existing = set(
            PhoneLine.objects.filter(number__in=numbers).values_list("number", flat=True)
        )
        missing = [n for n in numbers if n not in existing]
        if missing:
            subs = Subscription.objects.bulk_create(
                [
                    Subscription(
                        company=office.company,
                        office=office,
                        city=city,
                        subscription_number=number[1:],
                        bill_id=generate_bill_id(
                            file_code=int(number[-8:]),
                            company_code=office.company.code,
                            service_type=4,
                        ),
                        address="بنچمارک ریزمکالمات",
                        tariff="تلفن ثابت",
                    )
                    for number in missing
                ]
            )
            PhoneLine.objects.bulk_create(
                [PhoneLine(subscription=s, number=n) for s, n in zip(subs, missing, strict=True)]
            )
        lines = dict(PhoneLine.objects.filter(number__in=numbers).values_list("number", "pk"))
        busy = PhoneLine.objects.select_related("subscription").get(number=numbers[0])

        user, _ = User.objects.get_or_create(
            username=BENCH_USERNAME,
            defaults={
                "kind": User.Kind.NATURAL,
                "national_code": BENCH_NATIONAL_CODE,
                "mobile": "09120000274",
            },
        )
        operator, _ = User.objects.get_or_create(
            username=f"{BENCH_USERNAME}-operator",
            defaults={"kind": User.Kind.STAFF, "office": office, "is_staff": True},
        )
        link, _ = SubscriptionLink.objects.get_or_create(
            user=user,
            subscription=busy.subscription,
            defaults={"role": SubscriptionLink.Role.OWNER, "proof": SubscriptionLink.Proof.OFFICE},
        )
        if not LineActivation.objects.filter(link=link).exists():
            verification = IdentityVerification.objects.create(
                user=user,
                verified_by=operator,
                channel=IdentityVerification.Channel.TELECOM_CENTER,
                document_type=IdentityVerification.DocumentType.NATIONAL_CARD,
                document_number=BENCH_NATIONAL_CODE,
                documents_seen=["id_original", "id_copy", "last_paid_bills"],
            )
            LineActivation.objects.create(
                link=link, verification=verification, activated_by=operator
            )
        token, _ = Token.objects.get_or_create(user=user)
    return busy, [lines[n] for n in numbers[1:]], token


FILL_SQL = """
INSERT INTO telecom_callrecord
    (line_id, started_at, other_number, call_type, duration_s, cost_rial, batch_id)
SELECT CASE WHEN x.g %% %(busy_every)s = 0 THEN %(busy)s
            ELSE (%(others)s::bigint[])[1 + x.h %% %(n_others)s] END,
       %(span_start)s::timestamptz + x.g * %(step)s * interval '1 microsecond',
       CASE x.kind WHEN 'mobile' THEN '0912' || lpad((x.h %% 10000000)::text, 7, '0')
                   WHEN 'intercity' THEN '021' || lpad((x.h %% 100000000)::text, 8, '0')
                   WHEN 'international' THEN '0044' || lpad((x.h %% 10000000000)::text, 10, '0')
                   WHEN 'smart' THEN '0990' || lpad((x.h %% 10000000)::text, 7, '0')
                   ELSE '0413' || lpad((x.h %% 10000000)::text, 7, '0') END,
       x.kind,
       5 + (x.h / 7) %% 1200,
       (5 + (x.h / 7) %% 1200) * CASE x.kind WHEN 'mobile' THEN 30 WHEN 'intercity' THEN 20
                                             WHEN 'international' THEN 500 WHEN 'smart' THEN 40
                                             ELSE 5 END,
       %(batch)s
FROM (
    SELECT g, h, CASE (h / 3) %% 20 WHEN 0 THEN 'smart'
                                    WHEN 1 THEN 'international' WHEN 2 THEN 'international'
                                    WHEN 3 THEN 'intercity' WHEN 4 THEN 'intercity'
                                    WHEN 5 THEN 'intercity' WHEN 6 THEN 'intercity'
                                    WHEN 7 THEN 'mobile' WHEN 8 THEN 'mobile' WHEN 9 THEN 'mobile'
                                    WHEN 10 THEN 'mobile' WHEN 11 THEN 'mobile'
                                    ELSE 'local' END AS kind
    FROM (SELECT g, (g * 2654435761) %% 4294967296 AS h
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g) s
) x
"""


def fill(*, rows: int = ROWS, today: dt.date | None = None, verbose: bool = True) -> dict:
    """Write ``rows`` call records (once; the marker makes a re-run a no-op) and return the
    span the data covers."""
    from django.db import connection, transaction
    from django.utils import timezone

    from telecom.models import CdrImport
    from telecom.services.partitions import months_between, partitions_ensure

    busy, others, _token = _lines_and_user()
    marker = _marker(rows)
    found = CdrImport.objects.filter(sha256=marker).first()
    if found is not None:
        return {"busy": busy, "first": found.first_call, "last": found.last_call, "reused": True}
    if connection.vendor != "postgresql":
        raise RuntimeError("the cdr-search data set needs PostgreSQL (partitions, generate_series)")
    span_start, span_end = _span(today or timezone.now().date())
    step = (span_end - span_start) / dt.timedelta(microseconds=1) / (rows + 1)
    tick = time.perf_counter()
    with transaction.atomic():
        record = CdrImport.objects.create(
            file_name="bench: cdr-search", sha256=marker, rows=rows,
            first_call=span_start, last_call=span_end - dt.timedelta(microseconds=1),
        )  # fmt: skip
        months = months_between(span_start, span_end - dt.timedelta(microseconds=1))
        partitions_ensure(months=months)
        # One statement per partition month, rows in time order.
        done = 0
        with connection.cursor() as cursor:
            for year, month in months:
                lo = dt.datetime(year, month, 1, tzinfo=dt.UTC)
                hi = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=dt.UTC)
                first = max(1, int((lo - span_start) / dt.timedelta(microseconds=1) / step) + 1)
                last = min(rows, int((hi - span_start) / dt.timedelta(microseconds=1) / step))
                while first <= last and _moment(span_start, first, step) < lo:
                    first += 1
                while last >= first and _moment(span_start, last, step) >= hi:
                    last -= 1
                if first > last:
                    continue
                cursor.execute(
                    FILL_SQL,
                    {
                        "busy_every": BUSY_EVERY,
                        "busy": busy.pk,
                        "others": others,
                        "n_others": len(others),
                        "span_start": span_start,
                        "step": step,
                        "batch": record.pk,
                        "first": first,
                        "last": last,
                    },
                )
                done += cursor.rowcount
                if verbose:
                    rate = done / (time.perf_counter() - tick)
                    print(f"  cdr-search: {year}-{month:02d} → {done:,} rows ({rate:,.0f}/s)")
            cursor.execute("ANALYZE telecom_callrecord")
        record.seconds = time.perf_counter() - tick
        record.save(update_fields=["seconds"])
    return {"busy": busy, "first": span_start, "last": span_end, "reused": False}


def _moment(span_start: dt.datetime, g: int, step: float) -> dt.datetime:
    return span_start + dt.timedelta(microseconds=int(g * step))


def _jalali_months(first: dt.datetime, last: dt.datetime) -> list[tuple[str, str]]:
    """Whole Jalali months inside [first, last), newest first, as (from, to) query values."""
    months = []
    j = jdatetime.date.fromgregorian(date=(last - dt.timedelta(days=1)).date())
    year, month = j.year, j.month
    while True:
        start = jdatetime.date(year, month, 1)
        nxt = jdatetime.date(year + (month == 12), month % 12 + 1, 1)
        if start.togregorian() < first.date():
            break
        if nxt.togregorian() <= last.date():
            end = nxt.togregorian() - dt.timedelta(days=1)
            months.append(
                (
                    start.strftime("%Y/%m/%d"),
                    jdatetime.date.fromgregorian(date=end).strftime("%Y/%m/%d"),
                )
            )
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def _months(rows: int):
    info = fill(rows=rows)
    return info["busy"], _jalali_months(info["first"], info["last"])[:MONTHS_IN_PATHS]


def cdr_search(*, rows: int = ROWS) -> Prepared:
    """The scenario's data, paths (one-month first pages of the busy line's listed calls via
    the API, spread over the last ``MONTHS_IN_PATHS`` whole Jalali months) and token."""
    from rest_framework.authtoken.models import Token

    busy, months = _months(rows)
    token = Token.objects.get(user__username=BENCH_USERNAME)
    paths = tuple(
        f"/api/v1/telecom/lines/{busy.number}/calls/?from={start}&to={end}" for start, end in months
    )
    return Prepared(
        paths=paths,
        headers={"Authorization": f"Token {token.key}", "Accept": "application/json"},
    )


def cdr_minimal(*, rows: int = ROWS) -> Prepared:
    """The ``cdr-minimal`` baseline's paths (bench/urls.py): the same line and the same months
    as ``cdr_search``, each month as the moments ``[first day 00:00, day after the last
    00:00)`` Asia/Tehran that the search itself queries."""
    from telecom.selectors.lines import TEHRAN

    busy, months = _months(rows)
    paths = []
    for start, end in months:
        first = jdatetime.datetime.strptime(start, "%Y/%m/%d").togregorian().date()
        last = jdatetime.datetime.strptime(end, "%Y/%m/%d").togregorian().date()
        bounds = {
            "start": dt.datetime.combine(first, dt.time.min, tzinfo=TEHRAN).isoformat(),
            "end": dt.datetime.combine(
                last + dt.timedelta(days=1), dt.time.min, tzinfo=TEHRAN
            ).isoformat(),
        }
        paths.append(f"/bench/minimal/calls/{busy.pk}/?{urlencode(bounds)}")
    return Prepared(paths=tuple(paths), headers={"Accept": "application/json"})


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    django.setup()
    prepared = cdr_search(rows=args.rows)
    print("\n".join(prepared.paths))


if __name__ == "__main__":
    main()
