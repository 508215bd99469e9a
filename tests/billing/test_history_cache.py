"""The history cache (billing.services.history_cache): a cached history is never stale (a new
imported bill, a payment, a correction, a provisional or settlement bill each change the next
answer), each caller gets their own view of it (a tenant's lease window, the public lookup's
reduced shape), a cache that is down costs speed and nothing else, the answer is the one the
uncached path and DRF's generic rendering give, and the query budget holds at 1 and 120
periods, hit or miss. Runs with the local-memory cache and, where there is one, real Redis."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from billing.api.history import BillPaymentSerializer, PeriodSerializer, history_payload
from billing.models import Bill, BillPayment
from billing.selectors.bills import bill_access_for_user, bills_visible
from billing.selectors.history import bill_history, history_access_for_user
from billing.services import history_cache
from billing.services.imports import bills_import, payments_import
from portal.jalali import jalali_iso
from subscribers.models import SubscriptionLink
from tests.billing.factories import BillFactory, paid
from tests.billing.test_history import kiosk_client, make_history, tenant_setup
from tests.billing.test_import_bills import bill_row
from tests.billing.test_import_bills import write_csv as write_bills
from tests.billing.test_import_payments import pay_row
from tests.billing.test_import_payments import write_csv as write_payments
from tests.factories import OrganisationAccessFactory, UserFactory
from tests.requests_app.factories import owned_subscription

pytestmark = pytest.mark.django_db

HISTORY_API = reverse("billing_api:history")
HISTORY_PAGE = reverse("billing:history")
LOOKUP = reverse("billing:lookup")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: every connection is refused, as with Redis stopped.
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


class BrokenCache(BaseCache):
    """A cache whose every call fails the way a lost Redis connection does."""

    def __init__(self, location, params):
        super().__init__(params)

    def _fail(self, *args, **kwargs):
        raise ConnectionError("cache down")

    get = set = add = delete = get_many = set_many = touch = incr = has_key = clear = _fail


BROKEN = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)], autouse=True)
def history_cache_backend(request, settings):
    """Every test runs against the local-memory cache and against real Redis."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.TEST_REDIS_URL,
            }
        }
    else:
        settings.CACHES = LOCMEM
    caches["default"].clear()  # this run's database reuses primary keys of earlier runs
    history_cache.reset_backoff()
    yield request.param
    history_cache.reset_backoff()


def _api(client, subscription, year=1403) -> dict:
    response = client.get(HISTORY_API, {"bill_id": subscription.bill_id, "from_year": year})
    assert response.status_code == 200, response.content
    return response.json()


def _by_uid(data: dict) -> dict[str, dict]:
    return {p["uid"]: p for p in data["periods"]}


@pytest.fixture
def owner(client):
    user, subscription = owned_subscription()
    bills = make_history(subscription)
    client.force_login(user)
    return user, subscription, bills


def _served_from_cache(client, subscription, year=1403) -> tuple[dict, bool]:
    with CaptureQueriesContext(connection) as ctx:
        data = _api(client, subscription, year)
    read_bills = any(
        '"billing_bill"."uid"' in q["sql"] or "billing_billpayment" in q["sql"].split("FROM")[1]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and "FROM" in q["sql"]
    )
    return data, not read_bills


# --- hits, and nothing stale -------------------------------------------------------------------


def test_a_repeated_request_is_served_from_the_cache(client, owner):
    _user, subscription, _bills = owner
    first, first_cached = _served_from_cache(client, subscription)
    second, second_cached = _served_from_cache(client, subscription)
    assert (first_cached, second_cached) == (False, True)
    assert first == second


def test_a_newly_imported_bill_is_in_the_next_answer(client, owner, tmp_path):
    _user, subscription, _bills = owner
    before = _api(client, subscription)
    row = bill_row(subscription, year=1404, period=7, amount=1_990_000)
    bills_import(file=write_bills(tmp_path / "bills.csv", [row]))
    after = _api(client, subscription)
    new = Bill.objects.get(subscription=subscription, year=1404, period=7)
    assert str(new.uid) in _by_uid(after) and str(new.uid) not in _by_uid(before)
    assert after["payable"]["payment_id"] == new.payment_id != before["payable"]["payment_id"]


def test_an_imported_payment_is_in_the_next_answer(client, owner, tmp_path):
    _user, subscription, bills = owner
    latest = bills[-1]
    before = _api(client, subscription)
    assert before["payable"]["payment_id"] == latest.payment_id
    payments_import(
        file=write_payments(tmp_path / "pay.csv", [pay_row(latest, reference="PAYH5B1")])
    )
    after = _api(client, subscription)
    assert after["payable"] is None
    period = _by_uid(after)[str(latest.uid)]
    assert period["is_paid"] is True and period["balance"] == 0
    assert [p["reference"] for p in period["payments"]] == ["PAYH5B1"]
    assert _by_uid(before)[str(latest.uid)]["payments"] == []


def test_a_partial_payment_changes_the_payable_amount(client, owner):
    _user, subscription, bills = owner
    latest = bills[-1]
    assert _api(client, subscription)["payable"]["amount"] == latest.amount
    paid(latest, amount=250_000)
    assert _api(client, subscription)["payable"]["amount"] == latest.amount - 250_000


def test_an_imported_correction_supersedes_in_the_next_answer(client, owner, tmp_path):
    _user, subscription, bills = owner
    old = bills[-1]  # 1404-06, unpaid
    before = _api(client, subscription)
    row = bill_row(subscription, year=old.year, period=old.period, amount=1_777_000)
    bills_import(file=write_bills(tmp_path / "fix.csv", [row]))
    old.refresh_from_db()
    assert old.status == Bill.Status.SUPERSEDED
    after = _api(client, subscription)
    assert str(old.uid) in _by_uid(before) and str(old.uid) not in _by_uid(after)
    assert after["payable"]["amount"] == 1_777_000 and after["periods"][0]["version"] == 2


@pytest.mark.parametrize("kind", [Bill.Kind.PROVISIONAL, Bill.Kind.SETTLEMENT])
def test_a_provisional_or_settlement_bill_is_in_the_next_answer(client, owner, kind):
    _user, subscription, bills = owner
    paid(bills[-1])
    before = _api(client, subscription)
    assert before["payable"] is None
    extra = BillFactory(subscription=subscription, year=1404, period=7, kind=kind)
    after = _api(client, subscription)
    assert _by_uid(after)[str(extra.uid)]["kind"] == kind
    assert after["payable"]["uid"] == str(extra.uid)
    assert after["chart"][-1]["period"] == 7


def test_every_kind_of_write_changes_the_stamp(owner):
    _user, subscription, bills = owner
    seen = {history_cache.history_stamp(subscription_id=subscription.pk)}

    def changed() -> bool:
        stamp = history_cache.history_stamp(subscription_id=subscription.pk)
        new = stamp not in seen
        seen.add(stamp)
        return new

    latest = bills[-1]
    BillPayment.objects.create(
        bill=latest,
        payment_id=latest.payment_id,
        amount=1,
        paid_at=timezone.now(),
        channel=BillPayment.Channel.KIOSK,
        reference="STAMP-1",
    )
    assert changed()  # a payment row, before the bill's paid_amount follows it
    Bill.objects.filter(pk=latest.pk).update(paid_amount=latest.amount)
    assert changed()  # paid state
    successor = BillFactory(subscription=subscription, year=1404, period=8)
    assert changed()  # a new bill
    Bill.objects.filter(pk=latest.pk).update(status=Bill.Status.SUPERSEDED, superseded_by=successor)
    assert changed()  # a bill superseded without a new row
    BillFactory(subscription=subscription, year=1404, period=8, kind=Bill.Kind.PROVISIONAL)
    assert changed()
    # Another subscription's bills do not touch this one's stamp.
    BillFactory(year=1404, period=8)
    assert not changed()


# --- each caller's own view -------------------------------------------------------------------


def test_tenant_and_owner_get_their_own_views_from_the_cache(client):
    owner, tenant, subscription, inside, before, after = tenant_setup()
    year = before.year - 1
    client.force_login(owner)
    owner_first = _api(client, subscription, year)
    client.force_login(tenant)
    tenant_view = _api(client, subscription, year)
    tenant_again, from_cache = _served_from_cache(client, subscription, year)
    client.force_login(owner)
    owner_again = _api(client, subscription, year)
    assert set(_by_uid(tenant_view)) == {str(b.uid) for b in inside}
    assert tenant_again == tenant_view and from_cache
    assert owner_again == owner_first
    assert {str(before.uid), str(after.uid)} <= set(_by_uid(owner_first))


def test_tenant_page_from_the_cache_hides_periods_outside_the_lease(client):
    owner, tenant, subscription, _inside, before, _after = tenant_setup()
    url = f"{HISTORY_PAGE}?bill_id={subscription.bill_id}&from_year={before.year - 1}"
    client.force_login(owner)
    assert str(before.uid) in client.get(url).content.decode()
    client.force_login(tenant)
    for _ in range(2):
        page = client.get(url).content.decode()
        assert str(before.uid) not in page


def test_public_lookup_is_its_own_shape_and_never_stale(client, owner):
    _user, subscription, bills = owner
    _api(client, subscription)  # the owner's view is cached first
    client.logout()
    query = {"bill_id": subscription.bill_id, "from_year": 1403}
    page = client.get(LOOKUP, query).content.decode()
    assert bills[-1].payment_id not in page and str(bills[-1].uid) not in page
    assert page.count("پرداخت‌نشده") == 1
    paid(bills[-1])
    page = client.get(LOOKUP, query).content.decode()
    assert "پرداخت‌نشده" not in page


def test_kiosk_operator_is_audited_on_every_request_cached_or_not(client):
    from subscribers.models import AuditLog

    user, subscription = owned_subscription()
    make_history(subscription, years=(1404,), periods=range(1, 3))
    kiosk_client(client, user)
    for _ in range(2):
        assert len(_api(client, subscription, 1404)["periods"]) == 2
    assert AuditLog.objects.filter(action="billing.history.view").count() == 2


def test_a_lost_link_is_refused_even_with_the_history_cached(client, owner):
    user, subscription, _bills = owner
    _api(client, subscription)
    SubscriptionLink.objects.filter(user=user).update(ended_at="2025-01-01T00:00:00Z")
    response = client.get(HISTORY_API, {"bill_id": subscription.bill_id, "from_year": 1403})
    assert response.status_code == 404


# --- the cache down -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", [BROKEN, DEAD_REDIS], ids=["raising", "redis-stopped"])
def test_with_the_cache_down_everything_still_answers(client, owner, settings, backend):
    _user, subscription, _bills = owner
    expected = _api(client, subscription)
    settings.CACHES = backend
    history_cache.reset_backoff()
    for _ in range(2):  # the first fails over, the second runs inside the back-off
        assert _api(client, subscription) == expected
    query = f"?bill_id={subscription.bill_id}&from_year=1403"
    assert client.get(HISTORY_PAGE + query).status_code == 200
    assert client.get(reverse("billing:export") + query + "&format=csv").status_code == 200
    client.logout()
    assert client.get(LOOKUP + query).status_code == 200


# --- same output as without the cache and as DRF's generic rendering -------------------------


def _reference(user, subscription, from_year) -> dict:
    """The history as DRF's generic ModelSerializer rendering of model instances says it,
    independent of the rows, the hand-built payload and the cache."""
    access = bill_access_for_user(user=user, bill_id=subscription.bill_id)
    rows = list(
        bills_visible(access=access).filter(year__gte=from_year - 1).prefetch_related("payments")
    )
    unit = "کیلووات‌ساعت"
    period = PeriodSerializer(context={"unit": unit})
    payment = BillPaymentSerializer()

    def one(bill):
        payments = sorted(bill.payments.all(), key=lambda p: (p.paid_at, p.pk))
        return {
            **serializers.ModelSerializer.to_representation(period, bill),
            "payments": [
                serializers.ModelSerializer.to_representation(payment, p) for p in payments
            ],
        }

    latest = rows[0] if rows else None
    payable = latest if latest is not None and not latest.is_paid else None
    periods = [b for b in rows if b.year >= from_year]
    totals: dict = {}
    for b in rows:
        totals[(b.year, b.period)] = totals.get((b.year, b.period), 0) + b.consumption
    return {
        "bill_id": subscription.bill_id,
        "company": subscription.company.name,
        "company_kind": subscription.company.kind,
        "from_year": from_year,
        "unit": unit,
        "periods": [one(b) for b in periods],
        "payable": None
        if payable is None
        else {
            "uid": str(payable.uid),
            "bill_id": subscription.bill_id,
            "payment_id": payable.payment_id,
            "amount": payable.balance,
            "due_date": payable.due_date.isoformat(),
            "due_date_jalali": jalali_iso(payable.due_date),
        },
        "chart": [
            {
                "year": y,
                "period": p,
                "consumption": c,
                "previous_year": totals.get((y - 1, p)),
            }
            for (y, p), c in sorted(totals.items())
            if y >= from_year
        ],
    }


def test_cached_uncached_and_generic_rendering_agree(client, owner, settings):
    user, subscription, bills = owner
    paid(bills[2], amount=5_000)  # a second, partial payment on a paid bill
    BillFactory(subscription=subscription, year=1404, period=6, kind=Bill.Kind.PROVISIONAL)
    reference = _reference(user, subscription, 1404)
    miss = _api(client, subscription, 1404)
    hit, from_cache = _served_from_cache(client, subscription, 1404)
    assert from_cache
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    access = history_access_for_user(user=user, bill_id=subscription.bill_id)
    uncached = history_payload(access=access, from_year=1404)
    assert miss == hit == uncached == reference
    assert list(hit) == list(reference) and list(hit["periods"][0]) == list(reference["periods"][0])


def test_history_access_for_user_is_bill_access_for_user_in_one_query():
    owner_user, tenant, subscription, *_ = tenant_setup()
    organisation, org_subscription = owned_subscription()
    representative = UserFactory()
    OrganisationAccessFactory(
        organisation=organisation, representative=representative, status="approved"
    )
    cases = [
        (owner_user, subscription),
        (tenant, subscription),
        (representative, org_subscription),
    ]
    for user, sub in cases:
        expected = bill_access_for_user(user=user, bill_id=sub.bill_id)
        with CaptureQueriesContext(connection) as ctx:
            access = history_access_for_user(user=user, bill_id=sub.bill_id)
        assert len(ctx.captured_queries) == 1
        assert (access.subscription.pk, access.role, access.since, access.until) == (
            expected.subscription.pk,
            expected.role,
            expected.since,
            expected.until,
        )


# --- query budget ---------------------------------------------------------------------------


def _periods(subscription, count: int) -> None:
    for index in range(count):
        bill = BillFactory(
            subscription=subscription, year=1395 + index // 12, period=index % 12 + 1
        )
        if index % 2:
            paid(bill)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# Not named "page": that is pytest-playwright's fixture, whose session-scoped browser parameter
# would make pytest reorder the suite around this test.
@pytest.mark.parametrize("html", [False, True], ids=["api", "page"])
def test_query_budget_same_at_1_and_120_periods_hit_or_miss(client, html):
    counts = []
    for size in (1, 120):
        user, subscription = owned_subscription()
        _periods(subscription, size)
        client.force_login(user)
        base = HISTORY_PAGE if html else HISTORY_API
        url = f"{base}?bill_id={subscription.bill_id}&from_year=1300"
        counts.append((_queries(client, url), _queries(client, url)))
    assert counts[0] == counts[1]
    miss, hit = counts[0]
    assert miss <= 8 and hit <= miss - 2  # a hit reads neither the bills nor the payments


# --- the stamp's query plan -----------------------------------------------------------------


@pytest.mark.postgres
def test_stamp_reads_the_subscription_index(owner):
    _user, subscription, _bills = owner
    stamps = history_cache._stamps().filter(subscription_id=subscription.pk)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = stamps.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on billing_bill" not in plan
    # The stamp reads the subscription's bills through an index that leads with the
    # subscription, and each bill's payments through the index that leads with the bill.
    assert re.search(r"Index (Only )?Scan (using|on) bill_\w+", plan), plan
    assert "billpayment_bill_time" in plan, plan
    assert "Seq Scan on billing_billpayment" not in plan, plan


def test_stamp_is_one_query(owner):
    _user, subscription, _bills = owner
    with CaptureQueriesContext(connection) as ctx:
        history_cache.history_stamp(subscription_id=subscription.pk)
    assert len(ctx.captured_queries) == 1


def test_history_rows_feed_the_page_and_csv_like_models(owner):
    """The page, CSV and ESPI read PeriodRow the way they read Bill."""
    user, subscription, bills = owner
    access = history_access_for_user(user=user, bill_id=subscription.bill_id)
    history = bill_history(access=access, from_year=1403)
    row = next(b for b in history.bills if b.uid == bills[0].uid)
    bill = Bill.objects.get(pk=bills[0].pk)
    assert (row.get_kind_display(), row.is_paid, row.balance) == (
        bill.get_kind_display(),
        bill.is_paid,
        bill.balance,
    )
    [payment] = row.payments.all()
    assert payment.get_channel_display() == bill.payments.get().get_channel_display()
