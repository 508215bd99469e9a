"""The rate limit's one statement: per scope, key and window, ``limit`` hits then
``RateLimited`` with nothing counted, a fresh window starts over; ``rate_limit_hit`` and
``rate_limit_count`` share the counters; ``rate_limit_count_insert`` writes its row only with a
counted hit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.errors import RateLimited
from subscribers.models import RateCounter
from subscribers.services.ratelimit import (
    rate_limit_count,
    rate_limit_count_insert,
    rate_limit_hit,
)

pytestmark = pytest.mark.django_db

WINDOW = timedelta(minutes=10)


def _count(fn, **kwargs) -> int | str:
    try:
        fn(window=WINDOW, message="بیش از حد مجاز", **kwargs)
    except RateLimited as exc:
        assert exc.code == "rate_limited" and exc.status_code == 429
        assert exc.message == "بیش از حد مجاز"
        return f"429 after {exc.retry_after}s"
    return "ok"


@pytest.mark.parametrize("limit", [1, 3])
def test_limit_hits_per_key_then_429_until_the_window_ends(limit):
    now = timezone.now()
    answers = [
        _count(rate_limit_count, scope="t", key="1.2.3.4", limit=limit, now=now) for _ in range(5)
    ]
    assert answers[:limit] == ["ok"] * limit
    refused = answers[limit:]
    assert refused and all(a.startswith("429 after ") for a in refused)
    assert all(0 < int(a.split()[2][:-1]) <= WINDOW.total_seconds() + 1 for a in refused)
    assert _count(rate_limit_count, scope="t", key="5.6.7.8", limit=limit, now=now) == "ok"
    later = now + WINDOW
    assert _count(rate_limit_count, scope="t", key="1.2.3.4", limit=limit, now=later) == "ok"
    hits = sorted(RateCounter.objects.filter(scope="t").values_list("hits", flat=True))
    assert hits == sorted([limit, 1, 1])


def test_a_zero_limit_refuses_everything_and_counts_nothing():
    now = timezone.now()
    for _ in range(3):
        assert _count(rate_limit_hit, scope="z", key="1", limit=0, now=now).startswith("429")
    assert not RateCounter.objects.filter(scope="z").exists()


def test_both_count_into_the_same_row():
    now = timezone.now()
    assert rate_limit_count(scope="s", key="7", limit=3, window=WINDOW, message="x", now=now) == 1
    rate_limit_hit(scope="s", key="7", limit=3, window=WINDOW, now=now)
    assert rate_limit_count(scope="s", key="7", limit=3, window=WINDOW, message="x", now=now) == 3
    with pytest.raises(RateLimited):
        rate_limit_hit(scope="s", key="7", limit=3, window=WINDOW, now=now)
    with pytest.raises(RateLimited) as caught:
        rate_limit_count(scope="s", key="7", limit=3, window=WINDOW, message="x", now=now)
    assert 0 < caught.value.retry_after <= 601
    row = RateCounter.objects.get(scope="s")
    assert row.hits == 3 and row.key != "7"  # the key is stored hashed


def _row(audit) -> dict:
    return {
        f.attname: getattr(audit, f.attname)
        for f in audit._meta.concrete_fields
        if f.attname not in ("id", "created_at")
    }


@pytest.mark.parametrize("ip", ["127.0.0.1", "2001:db8::1", None])
def test_the_row_inserted_with_the_count_is_the_row_audit_record_writes(ip):
    from subscribers.models import AuditLog
    from subscribers.services.audit import audit_record, audit_row
    from tests.factories import KioskOfficeFactory, StaffFactory, UserFactory
    from tests.telecom.factories import PhoneLineFactory

    line = PhoneLineFactory()
    arguments = {
        "actor": StaffFactory(),
        "on_behalf_of": UserFactory(),
        "kiosk": KioskOfficeFactory(),
        "action": "telecom.calls.search",
        "obj": line,
        "ip": ip,
        "details": {"line": line.number, "rows": 50, "filters": {"call_types": []}, "fa": "همراه"},
    }
    before = timezone.now()
    written = audit_record(**arguments)
    row = audit_row(**arguments)
    rate_limit_count_insert(scope="s", key="k", limit=1, window=WINDOW, message="x", obj=row)
    assert row.pk is not None and row.pk != written.pk
    stored = {a.pk: a for a in AuditLog.objects.filter(pk__in=[written.pk, row.pk])}
    assert _row(stored[row.pk]) == _row(stored[written.pk])
    assert before <= stored[row.pk].created_at <= timezone.now()
    # Over the limit: no row, no count.
    with pytest.raises(RateLimited):
        rate_limit_count_insert(
            scope="s", key="k", limit=1, window=WINDOW, message="x", obj=audit_row(**arguments)
        )
    assert AuditLog.objects.count() == 2 and RateCounter.objects.get(scope="s").hits == 1
