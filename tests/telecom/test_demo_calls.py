"""seed_demo's call-record step: calls for the demo telecom company's lines through the
importer, a realistic mix over the last ~13 months, one batch per scale (a second run adds
nothing), the same calls for the same seed. The volume is made small through
``TELECOM_DEMO_CALL_RECORDS`` (the default is a million on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.demo import SeedContext
from subscribers.models import UtilityCompany
from telecom.demo.calls import MIN_LINES, seed_call_records
from telecom.models import CallRecord, CdrImport, PhoneLine

pytestmark = pytest.mark.django_db
ROWS = 3_000


@pytest.fixture(autouse=True)
def small(settings):
    settings.TELECOM_DEMO_CALL_RECORDS = ROWS


def calls() -> list[tuple]:
    return list(
        CallRecord.objects.order_by("started_at", "line_id", "other_number").values_list(
            "line__number", "started_at", "other_number", "call_type", "duration_s", "cost_rial"
        )
    )


@pytest.fixture
def seeded():
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return calls()


def test_calls_cover_the_company_lines_with_a_realistic_mix(seeded):
    assert len(seeded) == ROWS
    company = UtilityCompany.objects.get(code="141")
    lines = PhoneLine.objects.filter(subscription__company=company)
    assert lines.count() >= MIN_LINES
    assert {number for number, *_ in seeded} <= set(lines.values_list("number", flat=True))
    types = Counter(call_type for _, _, _, call_type, _, _ in seeded)
    assert types.most_common(1)[0][0] == "local"
    assert set(types) == {"local", "mobile", "intercity", "smart", "international"}
    assert types["mobile"] > types["intercity"] > types["international"]
    now = timezone.now()
    starts = [started for _, started, *_ in seeded]
    assert min(starts) > now - dt.timedelta(days=400) and max(starts) < now
    assert max(starts) - min(starts) > dt.timedelta(days=360)
    hours = Counter(timezone.localtime(s).hour for s in starts)
    assert sum(hours[h] for h in range(9, 13)) > 3 * sum(hours[h] for h in range(0, 7))
    batch = CdrImport.objects.get(file_name="seed_demo-calls-demo.csv")
    assert batch.rows == ROWS


def test_second_run_adds_nothing(seeded):
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert calls() == seeded
    assert CdrImport.objects.filter(file_name__startswith="seed_demo-calls-").count() == 1


def test_bench_scale_adds_only_the_difference(seeded):
    ctx = SeedContext(rng=random.Random(5), scale="bench")
    seed_call_records(ctx)
    assert len(calls()) == 10 * ROWS
    seed_call_records(SeedContext(rng=random.Random(5), scale="bench"))
    assert len(calls()) == 10 * ROWS


def test_same_seed_same_calls(seeded):
    CallRecord.objects.all().delete()
    CdrImport.objects.all().delete()
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert calls() == seeded
