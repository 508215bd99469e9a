"""Bill import throughput: ``bills_import`` on a generated file beside a raw COPY of the same file.

At scale 1.0: 10,000 subscriptions × 100 monthly periods = 1,000,000 bill rows; the target is
≥50,000 rows/s (TARGETS.md). The baseline is PostgreSQL's own COPY of the same CSV into an
unindexed plain table with one text column per CSV column — what loading the bytes costs with no
parsing, validation, indexes or constraints — measured in the same run, so the ratio says how
close the import gets to the database's floor on this machine at this moment.

Everything the benchmark creates carries recognisable codes (company «بنچمارک ورود قبض», code
997, office BENCH-BILL, subscription numbers ``BB…``) and is deleted at the end, also after a
failure, and ``billing_bill`` is vacuumed so the next run starts from the same table. The
import's audit row stays: the audit log is append-only by design.

``measured.phases`` is the import's own split (``imports._Clock``, logged per import): on the
copy path ``copy`` (COPY of the raw file), ``decide`` (distinct periods/dates/kinds parsed in
Python, bill IDs joined to subscriptions), ``check`` (the SQL checks into the typed staging
table), ``match`` (issued bills of the same keys), ``insert`` (into ``billing_bill`` with its
indexes), ``finish`` and ``commit``; ``other`` is reading, decoding and hashing the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import tempfile
import time
from pathlib import Path
from unittest import mock

import jdatetime
from django.db import connection, transaction

from billing.models import Bill, BillImport
from billing.services.imports import BILL_COLUMNS, bills_import
from portal.identifiers import generate_bill_id, generate_payment_id
from subscribers.models import City, DistrictOffice, Subscription, UtilityCompany

TARGET_ROWS_PER_S = 50_000
FULL_ROWS = 1_000_000
PERIODS_PER_SUBSCRIPTION = 100
COMPANY_NAME = "بنچمارک ورود قبض"
COMPANY_CODE = "997"
OFFICE_CODE = "BENCH-BILL"
NUMBER_PREFIX = "BB"
# The required columns, then the optional ones this file fills.
HEADER = [*BILL_COLUMNS, "energy", "tax", "subscription_fee", "kind"]


def _cleanup() -> None:
    """Delete whatever an earlier (possibly interrupted) run of this benchmark left behind."""
    company = UtilityCompany.objects.filter(name=COMPANY_NAME).first()
    if company is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM billing_bill WHERE subscription_id IN (
                SELECT id FROM subscribers_subscription WHERE company_id = %s)
            """,
            [company.pk],
        )
        cursor.execute("DELETE FROM subscribers_subscription WHERE company_id = %s", [company.pk])
    BillImport.objects.filter(file_name__startswith="bench-bills-").delete()
    DistrictOffice.objects.filter(company=company).delete()
    company.delete()
    City.objects.filter(name=COMPANY_NAME).delete()
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        # The dead rows of a million deleted bills would otherwise slow the next run's insert.
        cursor.execute("VACUUM billing_bill")


class _Phases(logging.Handler):
    """Keeps the phase split the bill import logs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.phases: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.phases.update(getattr(record, "phases", {}))


def _subscriptions(count: int) -> list[str]:
    """``count`` electricity subscriptions of the benchmark company; returns their bill IDs."""
    company = UtilityCompany.objects.create(
        kind=UtilityCompany.Kind.ELECTRICITY, name=COMPANY_NAME, code=COMPANY_CODE
    )
    office = DistrictOffice.objects.create(company=company, code=OFFICE_CODE, name=COMPANY_NAME)
    city = City.objects.create(name=COMPANY_NAME, province=COMPANY_NAME)
    bill_ids = [
        generate_bill_id(
            file_code=90_000_000 + i, company_code=COMPANY_CODE, service_type=company.service_digit
        )
        for i in range(count)
    ]
    Subscription.objects.bulk_create(
        [
            Subscription(
                company=company,
                office=office,
                city=city,
                subscription_number=f"{NUMBER_PREFIX}{i:08d}",
                bill_id=bill_id,
                address="نشانی آزمون بنچمارک",
                tariff="خانگی",
            )
            for i, bill_id in enumerate(bill_ids)
        ],
        batch_size=5_000,
    )
    return bill_ids


def _write_file(path: Path, bill_ids: list[str], periods: int) -> int:
    """Monthly bills from 1395/01 on for every subscription, with valid payment IDs."""
    months = []
    for n in range(periods):
        year, month = 1395 + n // 12, n % 12 + 1
        start = jdatetime.date(year, month, 1)
        end = jdatetime.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        due = end + dt.timedelta(days=10)
        months.append((year, month, start.strftime("%Y/%m/%d"), end.strftime("%Y/%m/%d"),
                       due.strftime("%Y/%m/%d")))  # fmt: skip
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for s, bill_id in enumerate(bill_ids):
            reading = 10_000 + s
            for i, (year, month, start, end, due) in enumerate(months):
                consumption = 150 + (s * 7 + i * 13) % 400
                amount = 200_000 + consumption * 1_000
                payment_id = generate_payment_id(
                    bill_id=bill_id, amount_rial=amount, jalali_year=year, period=month
                )
                tax = amount // 11
                writer.writerow(
                    (bill_id, payment_id, f"{year}-{month:02d}", start, end, reading,
                     reading + consumption, consumption, amount, due, amount - tax - 30_000, tax,
                     30_000, "periodic")
                )  # fmt: skip
                reading += consumption
                rows += 1
    return rows


def _raw_copy_seconds(path: Path) -> float:
    """COPY the same CSV into an unindexed table of text columns (the floor)."""
    columns = ", ".join(f"{name} text" for name in HEADER)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_bill_copy_baseline ({columns})")
        try:
            with path.open(encoding="utf-8") as handle:
                started = time.perf_counter()
                cursor.cursor.copy_expert(
                    "COPY bench_bill_copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)",
                    handle,
                )
                seconds = time.perf_counter() - started
        finally:
            cursor.execute("DROP TABLE bench_bill_copy_baseline")
    return seconds


def run_bills(scale: float) -> dict:
    """Generate ``1_000_000 * scale`` bill rows, time a raw COPY of them and ``bills_import``."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the bill import benchmark needs PostgreSQL")
    rows_wanted = max(int(FULL_ROWS * scale), PERIODS_PER_SUBSCRIPTION)
    subscriptions = max(rows_wanted // PERIODS_PER_SUBSCRIPTION, 1)
    _cleanup()
    handle, name = tempfile.mkstemp(prefix="bench-bills-", suffix=".csv")
    os.close(handle)
    path = Path(name)
    try:
        bill_ids = _subscriptions(subscriptions)
        rows = _write_file(path, bill_ids, PERIODS_PER_SUBSCRIPTION)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE subscribers_subscription")
            cursor.execute("ANALYZE billing_bill")
        baseline_seconds = _raw_copy_seconds(path)
        # The SMS notices of the imported bills are the "bill-notices" benchmark's subject;
        # here they are left out so this one times the import alone.
        phases = _Phases()
        logger = logging.getLogger("billing.services.imports")
        level = logger.level
        logger.addHandler(phases)
        logger.setLevel(logging.INFO)
        try:
            with mock.patch("billing.services.imports.enqueue_task_on_commit"):
                started = time.perf_counter()
                result = bills_import(file=path, actor=None, file_name=path.name)
                seconds = time.perf_counter() - started
        finally:
            logger.removeHandler(phases)
            logger.setLevel(level)
        if not result.ok or result.created != rows:
            raise RuntimeError(f"import did not create every row: {result.errors[:5]}")
        created = Bill.objects.filter(source=result.bill_import).count()
        if created != rows:
            raise RuntimeError(f"{created} bills in the table, {rows} in the file")
    finally:
        path.unlink(missing_ok=True)
        _cleanup()
    rows_per_s = rows / seconds
    baseline_rows_per_s = rows / baseline_seconds
    return {
        "measured": {
            "rows": rows,
            "subscriptions": subscriptions,
            "seconds": round(seconds, 2),
            "rows_per_s": round(rows_per_s),
            "path": result.path,
            "phases": {
                **{phase: round(value, 2) for phase, value in phases.phases.items()},
                "other": round(seconds - sum(phases.phases.values()), 2),
            },
        },
        "baseline": {
            "what": "raw COPY of the same CSV into an unindexed text table",
            "seconds": round(baseline_seconds, 2),
            "rows_per_s": round(baseline_rows_per_s),
        },
        "ratio": round(rows_per_s / baseline_rows_per_s, 3),
        "target": f"≥{TARGET_ROWS_PER_S:,} rows/s at 1 M rows",
        "target_met": rows_per_s >= TARGET_ROWS_PER_S,
    }
