"""Queuing bill SMS notices: N issued bills → N outbox rows, delivery grouped ≤200 per call.

Target (TARGETS.md): 1 M bill notices queued in ≤2 minutes with the provider stubbed, in
batches of ≤200. Registered in ``bench/offline.py`` as ``bill-notices``; ``run(scale)``:

1. seeds N = 1,000,000 × scale subscriptions and issued bills (valid bill and payment IDs,
   computed in Python, loaded with COPY and one INSERT … SELECT) under the company code
   ``BENCH_COMPANY_CODE`` and the import file ``BENCH_SHA``; not timed;
2. times ``bill_notices_send`` over them — the service the import task calls — with the
   Celery publishing replaced by a recorder (``notifications.services._publish``): nothing is
   sent to a broker or a provider; the recorder counts the delivery groups and their sizes;
3. as the baseline, in the same run, times one raw ``INSERT … SELECT`` that writes the same
   number of outbox-shaped rows (recipient, a text of the same shape with Persian digits,
   the same keys) from the same bills into an unlogged scratch table with the outbox's
   indexes — the database's own speed for the same rows, with no Python in between;
4. reports ``EXPLAIN ANALYZE`` of the due-date reminder query over those bills (it must use
   the partial index ``bill_unpaid_due``);
5. deletes everything it created: outbox rows, bills, subscriptions, office, company, city,
   import record and the scratch table (also the leftovers of an interrupted run, first).
"""

from __future__ import annotations

import datetime as dt
import io
import time
from unittest import mock

from django.db import connection, transaction

BENCH_COMPANY_CODE = "987"
BENCH_NAME = "بنچمارک پیامک قبض"
BENCH_SHA = "b" * 56 + "notices0"
SCRATCH = "bench_bill_notice_outbox"  # also spelled out in _baseline's INSERT
TARGET = "1 M notices queued ≤120 s, batches ≤200"
TARGET_SECONDS = 120
BATCH_LIMIT = 200
BASE_DUE = dt.date(2025, 10, 6)


def run(scale: float = 1.0) -> dict:
    from billing.models import Bill
    from billing.services.notices import bill_notices_send
    from notifications import services

    n = max(int(1_000_000 * scale), 1)
    _cleanup()
    try:
        bill_import, seed_seconds = _seed(n)
        groups: list[int] = []

        def record(task_name: str, kwargs: dict) -> None:
            assert task_name == "sms_deliver_batch", task_name
            groups.append(len(kwargs["message_ids"]))

        bills = Bill.objects.filter(source=bill_import)
        with mock.patch.object(services, "_publish", record):
            started = time.perf_counter()
            result = bill_notices_send(bills=bills)
            seconds = time.perf_counter() - started
        queued = len(result.created_ids)
        if queued != n or sum(groups) != n or result.invalid:
            raise RuntimeError(
                f"queued {queued}, scheduled {sum(groups)}, invalid {len(result.invalid)} of {n}"
            )
        baseline_seconds = _baseline(bill_import.pk)
        plan = _reminder_plan()
    finally:
        _cleanup()

    max_batch = max(groups)
    measured = {
        "bills": n,
        "seconds": round(seconds, 3),
        "rows_per_s": round(n / seconds),
        "batches": len(groups),
        "max_batch": max_batch,
        "seed_seconds": round(seed_seconds, 2),
    }
    baseline = {
        "what": "raw INSERT … SELECT of the same rows into an unlogged outbox-shaped table",
        "rows": n,
        "seconds": round(baseline_seconds, 3),
        "rows_per_s": round(n / baseline_seconds),
    }
    projected = seconds / scale if scale else seconds
    return {
        "measured": measured,
        "baseline": baseline,
        # Service throughput as a fraction of the database's raw insert of the same rows.
        "ratio": round(baseline_seconds / seconds, 3),
        "projected_seconds_at_1M": round(projected, 1),
        "reminder_query": plan,
        "target": TARGET,
        "target_met": projected <= TARGET_SECONDS and max_batch <= BATCH_LIMIT,
    }


def _seed(n: int):
    """N subscriptions with one issued, unpaid bill each; returns (import, seconds)."""
    from billing.models import BillImport
    from portal.identifiers import generate_bill_id, generate_payment_id
    from subscribers.models import City, DistrictOffice, UtilityCompany

    started = time.perf_counter()
    company = UtilityCompany.objects.create(
        kind=UtilityCompany.Kind.ELECTRICITY, name=BENCH_NAME, code=BENCH_COMPANY_CODE
    )
    office = DistrictOffice.objects.create(company=company, code="98", name=BENCH_NAME)
    city = City.objects.create(name=BENCH_NAME, province=BENCH_NAME)
    bill_import = BillImport.objects.create(
        kind=BillImport.Kind.BILLS, sha256=BENCH_SHA, file_name="bench-notices.csv", rows=n
    )
    subs = io.StringIO()
    pays = io.StringIO()
    for i in range(1, n + 1):
        bill_id = generate_bill_id(file_code=i, company_code=BENCH_COMPANY_CODE, service_type=2)
        amount = (100 + i % 4_900) * 1_000
        payment_id = generate_payment_id(
            bill_id=bill_id, amount_rial=amount, jalali_year=1404, period=7
        )
        subs.write(f"B{i}\t{bill_id}\t0912{i % 10_000_000:07d}\n")
        pays.write(f"{bill_id}\t{payment_id}\t{amount}\t{i % 30}\n")
    subs.seek(0)
    pays.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        cursor.execute(
            "CREATE TEMP TABLE bench_subs (number text, bill_id text, mobile text) "
            "ON COMMIT DROP;"
            "CREATE TEMP TABLE bench_pays (bill_id text, payment_id text, amount bigint, "
            "due_shift int) ON COMMIT DROP"
        )
        raw.copy_expert("COPY bench_subs FROM STDIN", subs)
        raw.copy_expert("COPY bench_pays FROM STDIN", pays)
        cursor.execute(
            """
            INSERT INTO subscribers_subscription (subscription_number, bill_id, address,
                postal_code, mobile, tariff, branches, meter_serial, feeder_code, holder_id,
                created_at, updated_at, city_id, company_id, office_id)
            SELECT number, bill_id, 'بنچمارک', '', mobile, 'خانگی', 1, '', '', '',
                now(), now(), %(city)s, %(company)s, %(office)s
            FROM bench_subs
            """,
            {"city": city.pk, "company": company.pk, "office": office.pk},
        )
        cursor.execute(
            """
            INSERT INTO billing_bill (uid, year, period, period_start, period_end,
                previous_reading, current_reading, consumption, energy, energy_tiers,
                subscription_fee, tax, duties, debt, adjustment, amount, due_date, payment_id,
                kind, status, version, paid_amount, paid_at, created_at, request_id,
                subscription_id, superseded_by_id, source_id)
            SELECT gen_random_uuid(), 1404, 7, %(start)s, %(end)s, 1000, 1250, 250,
                p.amount, '[]'::jsonb, 0, 0, 0, 0, 0, p.amount,
                %(due)s::date + p.due_shift, p.payment_id, 'periodic', 'issued', 1, 0, NULL,
                now() - interval '2 days', NULL, s.id, NULL, %(import)s
            FROM bench_pays p JOIN subscribers_subscription s
                ON s.bill_id = p.bill_id AND s.company_id = %(company)s
            """,
            {
                "start": BASE_DUE - dt.timedelta(days=45),
                "end": BASE_DUE - dt.timedelta(days=15),
                "due": BASE_DUE,
                "import": bill_import.pk,
                "company": company.pk,
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subscribers_subscription; ANALYZE billing_bill")
    return bill_import, time.perf_counter() - started


def _baseline(import_id: int) -> float:
    """The same rows written by PostgreSQL alone into an unlogged copy of the outbox."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE UNLOGGED TABLE {SCRATCH} "
            "(LIKE notifications_outboxmessage INCLUDING DEFAULTS INCLUDING INDEXES "
            "INCLUDING IDENTITY)"
        )
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO bench_bill_notice_outbox (recipient, kind, text, template, tokens,
                status, attempts,
                provider_message_id, failure_reason, idempotency_key, batch_id,
                created_at, updated_at, next_attempt_at)
            SELECT s.mobile, 'bill_notice',
                'قبض برق' || E'\\n' || 'مبلغ: ' || translate(
                    to_char(b.amount, 'FM999,999,999,999'), '0123456789,', '۰۱۲۳۴۵۶۷۸۹٬')
                || ' ریال' || E'\\n' || 'مهلت: ' || translate(b.due_date::text, '0123456789',
                    '۰۱۲۳۴۵۶۷۸۹')
                || E'\\n' || 'شناسه قبض: ' || translate(s.bill_id, '0123456789', '۰۱۲۳۴۵۶۷۸۹')
                || E'\\n' || 'شناسه پرداخت: '
                || translate(b.payment_id, '0123456789', '۰۱۲۳۴۵۶۷۸۹'),
                '', '{}'::jsonb, 'ready', 0, '', '', 'bill-notice:' || b.id,
                gen_random_uuid(), now(), now(), now()
            FROM billing_bill b JOIN subscribers_subscription s ON s.id = b.subscription_id
            WHERE b.source_id = %s AND b.status = 'issued' AND b.paid_at IS NULL
            ORDER BY b.id
            ON CONFLICT (idempotency_key) DO NOTHING
            """,
            [import_id],
        )
        return time.perf_counter() - started


def _reminder_plan() -> dict:
    """EXPLAIN ANALYZE of the reminder candidates over the seeded due dates."""
    from django.utils import timezone

    from billing.services.notices import reminder_rows

    query = reminder_rows(first=BASE_DUE, last=BASE_DUE + dt.timedelta(days=1), now=timezone.now())
    plan = query.explain(analyze=True)
    return {
        "uses_bill_unpaid_due": "bill_unpaid_due" in plan,
        "plan": plan.splitlines(),
    }


def _cleanup() -> None:
    """Remove what this benchmark creates, including an interrupted run's leftovers."""
    from subscribers.models import UtilityCompany

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        company = UtilityCompany.objects.filter(
            kind=UtilityCompany.Kind.ELECTRICITY, code=BENCH_COMPANY_CODE, name=BENCH_NAME
        ).first()
        if company is not None:
            params = {"company": company.pk}
            for statement in (
                """DELETE FROM notifications_outboxmessage o USING billing_bill b,
                       subscribers_subscription s
                   WHERE s.company_id = %(company)s AND b.subscription_id = s.id
                     AND o.idempotency_key IN ('bill-notice:' || b.id, 'bill-reminder:' || b.id)""",
                """DELETE FROM billing_bill b USING subscribers_subscription s
                   WHERE s.company_id = %(company)s AND b.subscription_id = s.id""",
                "DELETE FROM subscribers_subscription WHERE company_id = %(company)s",
                "DELETE FROM subscribers_districtoffice WHERE company_id = %(company)s",
                "DELETE FROM subscribers_utilitycompany WHERE id = %(company)s",
            ):
                cursor.execute(statement, params)
        cursor.execute("DELETE FROM billing_billimport WHERE sha256 = %s", [BENCH_SHA])
        cursor.execute(
            "DELETE FROM subscribers_city WHERE name = %s AND province = %s",
            [BENCH_NAME, BENCH_NAME],
        )
