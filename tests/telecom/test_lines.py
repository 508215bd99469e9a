"""«خطوط تلفن من» and ``/api/v1/telecom/lines/``: claims, the permission matrix, query budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.errors import PortalError
from subscribers.models import AuditLog
from telecom.models import LineClaim
from telecom.services.lines import line_claim_cancel, line_claim_create
from tests.factories import StaffFactory, UserFactory
from tests.telecom.factories import PhoneLineFactory, activated_link

pytestmark = pytest.mark.django_db
API = "/api/v1/telecom/lines/"
PAGE = "/telecom/lines/"


def test_claim_once_per_user_and_line_and_correction():
    line = PhoneLineFactory()
    user = UserFactory()
    first = line_claim_create(user=user, number=line.number, role="owner")
    end = timezone.localdate() + timedelta(days=300)
    again = line_claim_create(
        user=user, number=f" {line.number[:3]}-{line.number[3:]} ", role="tenant", lease_end=end
    )
    assert again.pk == first.pk and again.role == "tenant" and again.lease_end == end
    assert LineClaim.objects.filter(user=user).count() == 1
    assert AuditLog.objects.filter(action="telecom.line_claim").count() == 2


def test_claim_errors_name_the_field():
    line = PhoneLineFactory()
    user = UserFactory()
    for kwargs, field in (
        ({"number": "123"}, "number"),
        ({"number": "04199999999"}, "number"),
        ({"number": line.number, "role": "tenant"}, "lease_end"),
        (
            {"number": line.number, "role": "tenant", "lease_end": timezone.localdate()},
            "lease_end",
        ),
        ({"number": line.number, "role": "boss"}, "role"),
    ):
        with pytest.raises(PortalError) as exc:
            line_claim_create(user=user, **{"role": "owner", **kwargs})
        assert field in exc.value.fields
    assert not LineClaim.objects.exists()


def test_active_line_cannot_be_claimed_again_and_staff_cannot_claim():
    line = PhoneLineFactory()
    link = activated_link(line=line)
    with pytest.raises(PortalError) as exc:
        line_claim_create(user=link.user, number=line.number, role="owner")
    assert exc.value.status_code == 409
    with pytest.raises(PortalError):
        line_claim_create(user=StaffFactory(), number=line.number, role="owner")


def test_cancel_only_own_open_claim():
    from portal.errors import NotFound

    line = PhoneLineFactory()
    claim = line_claim_create(user=UserFactory(), number=line.number, role="owner")
    with pytest.raises(NotFound):
        line_claim_cancel(user=UserFactory(), claim_id=claim.pk)
    line_claim_cancel(user=claim.user, claim_id=claim.pk)
    with pytest.raises(NotFound):
        line_claim_cancel(user=claim.user, claim_id=claim.pk)


def test_page_shows_active_and_pending_with_what_to_bring(client):
    user = UserFactory()
    active = PhoneLineFactory()
    activated_link(line=active, user=user)
    pending = PhoneLineFactory()
    line_claim_create(
        user=user,
        number=pending.number,
        role="tenant",
        lease_end=timezone.localdate() + timedelta(days=200),
    )
    client.force_login(user)
    body = client.get(PAGE).content.decode()
    assert "خطوط تلفن من" in body
    assert "اجاره‌نامه معتبر" in body and pending.subscription.office.name in body
    assert "در انتظار احراز هویت حضوری" in body and "فعال" in body


def test_page_add_and_errors(client):
    line = PhoneLineFactory()
    user = UserFactory()
    client.force_login(user)
    bad = client.post("/telecom/lines/add/", {"number": "۰۴۱", "role": "owner"})
    assert bad.status_code == 400 and "شماره تلفن" in bad.content.decode()
    bad = client.post(
        "/telecom/lines/add/", {"number": line.number, "role": "tenant", "lease_end": "۱۴۰۵/۱۳/۰۱"}
    )
    assert bad.status_code == 400 and "تاریخ پایان اجاره‌نامه" in bad.content.decode()
    ok = client.post("/telecom/lines/add/", {"number": _fa(line.number), "role": "owner"})
    assert ok.status_code == 302
    assert LineClaim.objects.filter(user=user, line=line).exists()


def _fa(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def test_cancel_view_matrix(client):
    line = PhoneLineFactory()
    owner = UserFactory()
    claim = line_claim_create(user=owner, number=line.number, role="owner")
    url = f"/telecom/lines/claims/{claim.pk}/cancel/"
    client.force_login(UserFactory())
    assert client.post(url).status_code == 404
    client.force_login(StaffFactory(office=line.subscription.office))
    assert client.post(url).status_code == 404
    client.force_login(owner)
    assert client.post(url).status_code == 302
    claim.refresh_from_db()
    assert claim.status == LineClaim.Status.CANCELLED


def test_api_matrix_owner_other_subscriber_staff(client):
    line = PhoneLineFactory()
    link = activated_link(line=line)
    client.force_login(link.user)
    data = client.get(API).json()["results"]
    assert [r["number"] for r in data] == [line.number]
    assert data[0]["status"] == "active" and data[0]["flags"]["directory_listed"] is True
    client.force_login(UserFactory())
    assert client.get(API).json()["results"] == []
    client.force_login(StaffFactory(office=line.subscription.office))
    assert client.get(API).json()["results"] == []
    client.logout()
    assert client.get(API).status_code in (401, 403)


def test_api_post_claim(client):
    line = PhoneLineFactory()
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        API,
        {"number": _fa(line.number), "role": "tenant", "lease_end": "1499/01/01"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    bad = client.post(API, {"number": "1", "role": "owner"}, content_type="application/json")
    assert bad.status_code == 400 and "number" in bad.json()["error"]["fields"]


def _lines_for(user, n: int) -> None:
    for i in range(n):
        line = PhoneLineFactory()
        if i % 3 == 2:
            line_claim_create(user=user, number=line.number, role="owner")
        else:
            activated_link(line=line, user=user)


@pytest.mark.parametrize("n", [1, 50])
def test_query_budget_api(client, django_assert_max_num_queries, n):
    user = UserFactory()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("telecom.services.lines.CLAIM_LIMIT", 1000)
        _lines_for(user, n)
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(API)
    assert len(response.json()["results"]) == n


@pytest.mark.parametrize("n", [1, 50])
def test_query_budget_page(client, django_assert_max_num_queries, n):
    user = UserFactory()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("telecom.services.lines.CLAIM_LIMIT", 1000)
        _lines_for(user, n)
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(PAGE)
    assert response.status_code == 200
