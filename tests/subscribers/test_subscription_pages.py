"""«اشتراک‌های من» pages: owner, outsider, expired tenant and staff; the link and unlink flows;
the organisation request page; query budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from subscribers.models import OrganisationAccess, SubscriptionLink
from tests.factories import (
    LegalUserFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned():
    return SubscriptionLinkFactory()


def pages(sub) -> list[str]:
    return [
        reverse("subscribers:subscription_detail", args=[sub.pk]),
        reverse("subscribers:subscription_unlink", args=[sub.pk]),
    ]


def test_anonymous_is_sent_to_login(client, owned):
    for url in [reverse("subscribers:subscription_list"), *pages(owned.subscription)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_owner_sees_list_and_detail(client, owned):
    client.force_login(owned.user)
    sub = owned.subscription
    response = client.get(reverse("subscribers:subscription_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert to_persian_digits(sub.bill_id) in html
    assert "مالک" in html
    for url in pages(sub):
        assert client.get(url).status_code == 200


def test_other_subscriber_gets_404(client, owned):
    client.force_login(UserFactory())
    assert (
        to_persian_digits(owned.subscription.bill_id)
        not in client.get(reverse("subscribers:subscription_list")).content.decode()
    )
    for url in pages(owned.subscription):
        assert client.get(url).status_code == 404
    response = client.post(reverse("subscribers:subscription_unlink", args=[owned.subscription.pk]))
    assert response.status_code == 404
    owned.refresh_from_db()
    assert owned.ended_at is None


def test_tenant_after_lease_end_gets_404_and_is_not_listed(client):
    link = SubscriptionLinkFactory(
        role=SubscriptionLink.Role.TENANT, lease_end=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(link.user)
    html = client.get(reverse("subscribers:subscription_list")).content.decode()
    assert to_persian_digits(link.subscription.bill_id) not in html
    for url in pages(link.subscription):
        assert client.get(url).status_code == 404


def test_tenant_in_lease_sees_jalali_lease_end(client):
    link = SubscriptionLinkFactory(
        role=SubscriptionLink.Role.TENANT, lease_end=timezone.localdate() + timedelta(days=30)
    )
    client.force_login(link.user)
    from portal.jalali import jalali_display

    html = client.get(reverse("subscribers:subscription_list")).content.decode()
    assert "مستأجر" in html and jalali_display(link.lease_end, with_time=False) in html


@pytest.mark.parametrize("same_office", [True, False])
def test_staff_get_404_on_subscriber_pages(client, owned, same_office):
    office = owned.subscription.office if same_office else None
    staff = StaffFactory(office=office) if office else StaffFactory()
    client.force_login(staff)
    for url in pages(owned.subscription):
        assert client.get(url).status_code == 404


def test_unlink_flow(client, owned):
    client.force_login(owned.user)
    url = reverse("subscribers:subscription_unlink", args=[owned.subscription.pk])
    assert "بله، حذف شود" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers:subscription_list")
    owned.refresh_from_db()
    assert owned.ended_at is not None


def test_link_by_national_code(client):
    user = UserFactory()
    sub = SubscriptionFactory(holder_id=user.national_code)
    client.force_login(user)
    response = client.post(
        reverse("subscribers:subscription_link"),
        {"bill_id": to_persian_digits(sub.bill_id), "role": "owner"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "subscribers:subscription_detail", args=[sub.pk]
    )
    assert "متصل شد" in response.content.decode()


def test_link_by_otp_with_jalali_lease_end(client):
    user = UserFactory()
    sub = SubscriptionFactory(holder_id="", mobile="09147778899")
    client.force_login(user)
    response = client.post(
        reverse("subscribers:subscription_link"),
        {"bill_id": sub.bill_id, "role": "tenant", "lease_end": "۱۴۲۰/۰۶/۳۱"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers:subscription_link_confirm")
    page = client.get(response["Location"]).content.decode()
    assert to_persian_digits("0914***8899") in page
    wrong = client.post(response["Location"], {"code": "12345"})
    assert "کد تایید" in wrong.content.decode()
    code = OutboxMessage.objects.get(recipient="09147778899").tokens["token"]
    done = client.post(response["Location"], {"code": to_persian_digits(code)})
    assert done.status_code == 302
    link = SubscriptionLink.objects.get(user=user)
    assert (link.role, link.proof, link.lease_end.year) == ("tenant", "otp", 2041)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"bill_id": "", "role": "owner"}, "شناسه قبض: این مورد را وارد کنید"),
        ({"bill_id": "2234322344613", "role": "owner"}, "شناسه قبض: رقم کنترل"),
        ({"bill_id": "7748317800142", "role": "owner"}, "اشتراکی با این مشخصات یافت نشد"),
        ({"bill_id": "__sub__", "role": "tenant"}, "پایان اجاره: برای مستأجر"),
        ({"bill_id": "__sub__", "role": "tenant", "lease_end": "۱۴۰۵/۱۳/۰۱"}, "پایان اجاره: تاریخ"),
        (
            {"bill_id": "__sub__", "role": "tenant", "lease_end": "۱۳۹۰/۰۱/۰۱"},
            "پایان اجاره: تاریخ پایان اجاره باید در آینده",
        ),
    ],
)
def test_link_form_errors_are_persian_and_name_the_field(client, data, fragment):
    sub = SubscriptionFactory()
    client.force_login(UserFactory())
    if data["bill_id"] == "__sub__":
        data = {**data, "bill_id": sub.bill_id}
    response = client.post(reverse("subscribers:subscription_link"), data)
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert not SubscriptionLink.objects.exists()


def test_duplicate_link_shows_message(client, owned):
    client.force_login(owned.user)
    response = client.post(
        reverse("subscribers:subscription_link"),
        {"bill_id": owned.subscription.bill_id, "role": "owner"},
    )
    assert "هم‌اکنون به حساب شما متصل است" in response.content.decode()


def test_confirm_without_pending_redirects(client):
    client.force_login(UserFactory())
    response = client.get(reverse("subscribers:subscription_link_confirm"))
    assert response["Location"] == reverse("subscribers:subscription_link")


def test_organisation_access_page(client):
    org = LegalUserFactory()
    for _ in range(6):
        SubscriptionLinkFactory(user=org)
    rep = UserFactory()
    client.force_login(org)
    url = reverse("subscribers:organisation_access")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"representative_national_code": "123", "introduction_letter": ""})
    html = bad.content.decode()
    assert "کد ملی نماینده:" in html and "شماره معرفی‌نامه: این مورد را وارد کنید" in html
    response = client.post(
        url, {"representative_national_code": rep.national_code, "introduction_letter": "۱۲/ن"}
    )
    assert response.status_code == 302
    assert OrganisationAccess.objects.get().representative == rep


def test_organisation_page_refuses_few_subscriptions(client):
    org = LegalUserFactory()
    SubscriptionLinkFactory(user=org)
    client.force_login(org)
    response = client.post(
        reverse("subscribers:organisation_access"),
        {"representative_national_code": UserFactory().national_code, "introduction_letter": "1"},
    )
    assert "بیش از پنج اشتراک" in response.content.decode()


def test_organisation_page_is_for_legal_persons(client):
    client.force_login(UserFactory())
    response = client.get(reverse("subscribers:organisation_access"))
    assert response.status_code == 302


@pytest.mark.parametrize("count", [1, 50])
def test_list_page_query_budget(client, django_assert_num_queries, count):
    user = UserFactory()
    for _ in range(count):
        SubscriptionLinkFactory(user=user)
    client.force_login(user)
    url = reverse("subscribers:subscription_list")
    client.get(url)  # warm up session/caches
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("/subscriptions/") >= count


LIST_QUERIES = 3  # session, user, the one joined list query (≤ 8 and flat)
