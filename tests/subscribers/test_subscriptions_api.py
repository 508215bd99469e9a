"""/api/v1/subscriptions/: list, link (201/202), confirm, detail, unlink; actors and budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import OutboxMessage
from portal.jalali import jalali_iso
from subscribers.models import SubscriptionLink
from tests.factories import (
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
LIST = "/api/v1/subscriptions/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def detail(sub) -> str:
    return f"{LIST}{sub.pk}/"


def test_anonymous_is_refused():
    response = api().get(LIST)
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_owner_lists_and_reads():
    link = SubscriptionLinkFactory()
    response = api(link.user).get(LIST)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["bill_id"] == link.subscription.bill_id
    assert row["role"] == "owner" and row["linked_via_organisation"] is False
    assert row["company"]["kind"] == "electricity"
    assert set(row) >= {"lease_end", "lease_end_jalali", "address", "office", "city"}
    assert api(link.user).get(detail(link.subscription)).status_code == 200


def test_tenant_has_jalali_lease_end():
    lease_end = timezone.localdate() + timedelta(days=30)
    link = SubscriptionLinkFactory(role="tenant", lease_end=lease_end)
    row = api(link.user).get(detail(link.subscription)).json()
    assert row["lease_end"] == lease_end.isoformat()
    assert row["lease_end_jalali"] == jalali_iso(lease_end)


@pytest.mark.parametrize("actor", ["other", "expired_tenant", "staff_same_office", "staff_other"])
def test_not_yours_is_404(actor):
    link = SubscriptionLinkFactory()
    sub = link.subscription
    if actor == "other":
        user = UserFactory()
    elif actor == "expired_tenant":
        user = SubscriptionLinkFactory(
            subscription=sub, role="tenant", lease_end=timezone.localdate() - timedelta(days=1)
        ).user
    elif actor == "staff_same_office":
        user = StaffFactory(office=sub.office)
    else:
        user = StaffFactory()
    client = api(user)
    response = client.get(detail(sub))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.delete(detail(sub)).status_code == 404
    assert client.get(LIST).json()["results"] == []
    link.refresh_from_db()
    assert link.ended_at is None


def test_link_by_national_code_is_201():
    user = UserFactory()
    sub = SubscriptionFactory(holder_id=user.national_code)
    response = api(user).post(LIST, {"bill_id": sub.bill_id, "role": "owner"}, format="json")
    assert response.status_code == 201
    assert response.json()["id"] == sub.pk


def test_link_by_otp_is_202_then_confirm_201():
    user = UserFactory()
    sub = SubscriptionFactory(holder_id="", mobile="09147778899")
    client = api(user)
    response = client.post(
        LIST, {"bill_id": sub.bill_id, "role": "tenant", "lease_end": "۱۴۲۰/۰۱/۱۵"}, format="json"
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["masked_mobile"] == "0914***8899" and body["expires_in"] == 300
    code = OutboxMessage.objects.get(recipient="09147778899").tokens["token"]
    bad = client.post(
        f"{LIST}confirm/",
        {"challenge_id": body["challenge_id"], "code": "000000" if code != "000000" else "111111"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "otp_invalid"
    done = client.post(
        f"{LIST}confirm/", {"challenge_id": body["challenge_id"], "code": code}, format="json"
    )
    assert done.status_code == 201
    assert done.json()["role"] == "tenant"
    assert SubscriptionLink.objects.get(user=user).proof == "otp"


def test_link_validation_errors():
    user = UserFactory()
    client = api(user)
    response = client.post(LIST, {"bill_id": "2234322344613", "role": "boss"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"bill_id", "role"}
    sub = SubscriptionFactory()
    response = client.post(LIST, {"bill_id": sub.bill_id, "role": "tenant"}, format="json")
    assert response.status_code == 400
    assert "lease_end" in response.json()["error"]["fields"]


def test_duplicate_link_is_409():
    link = SubscriptionLinkFactory()
    response = api(link.user).post(
        LIST, {"bill_id": link.subscription.bill_id, "role": "owner"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_linked"


def test_delete_unlinks():
    link = SubscriptionLinkFactory()
    client = api(link.user)
    assert client.delete(detail(link.subscription)).status_code == 204
    link.refresh_from_db()
    assert link.ended_at is not None
    assert client.get(detail(link.subscription)).status_code == 404


@pytest.mark.parametrize("count", [1, 50])
def test_list_query_budget(django_assert_num_queries, count):
    user = UserFactory()
    for _ in range(count):
        SubscriptionLinkFactory(user=user)
    client = api(user)
    with django_assert_num_queries(1):
        response = client.get(LIST)
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 50])
def test_list_query_budget_with_session(client, django_assert_num_queries, count):
    user = UserFactory()
    for _ in range(count):
        SubscriptionLinkFactory(user=user)
    client.force_login(user)
    client.get(LIST)
    # session, user, the one joined list query: ≤ 8 and the same at 1 and 50 rows
    with django_assert_num_queries(3):
        assert len(client.get(LIST).json()["results"]) == count


def test_schema_documents_the_endpoints():
    staff = StaffFactory(is_superuser=True)
    response = api(staff).get("/api/v1/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/subscriptions/confirm/" in text and "lease_end_jalali" in text


def test_otp_send_limit_answers_429_and_sends_nothing_more():
    user = UserFactory()
    sub = SubscriptionFactory(holder_id="", mobile="09147770000")
    client = api(user)
    for _ in range(3):
        response = client.post(LIST, {"bill_id": sub.bill_id, "role": "owner"}, format="json")
        assert response.status_code == 202
    response = client.post(LIST, {"bill_id": sub.bill_id, "role": "owner"}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert OutboxMessage.objects.filter(recipient="09147770000").count() == 3
