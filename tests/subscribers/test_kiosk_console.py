"""The kiosk console (/pishkhan/): who gets in, lookup with masked output, identity checks."""

import pytest
from django.urls import reverse

from portal.digits import to_persian_digits
from portal.identifiers import mask_mobile, mask_national_code
from subscribers.models import AuditLog, IdentityVerification
from subscribers.views.kiosk import LOOKUP_SESSION_KEY
from tests.factories import (
    KioskOperatorFactory,
    LegalProfileFactory,
    SubscriptionLinkFactory,
    UserFactory,
    login_with_second_factor,
)

pytestmark = pytest.mark.django_db

HOME = reverse("subscribers:kiosk-home")


@pytest.fixture
def operator():
    return KioskOperatorFactory()


@pytest.fixture
def operator_client(client, operator):
    login_with_second_factor(client, operator.user)
    return client


def _lookup(client, by, value):
    return client.post(HOME, {"by": by, "value": value}, follow=True)


def test_anonymous_is_sent_to_the_staff_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert "next=/pishkhan/" in response["Location"]


def test_console_needs_the_second_factor(client, operator):
    client.force_login(operator.user)
    response = client.get(HOME)
    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_subscribers_and_inactive_operators_are_turned_away(client):
    login_with_second_factor(client, UserFactory())
    assert client.get(HOME).status_code == 302
    inactive = KioskOperatorFactory(is_active=False)
    login_with_second_factor(client, inactive.user)
    assert client.get(HOME).status_code == 302


def test_operator_sees_the_console(operator_client, operator):
    response = operator_client.get(HOME)
    assert response.status_code == 200
    assert to_persian_digits(operator.kiosk.name) in response.content.decode()


def test_lookup_by_national_code_in_persian_digits_shows_only_masked_facts(operator_client):
    citizen = UserFactory(first_name="زهرا", last_name="رضایی")
    link = SubscriptionLinkFactory(user=citizen)

    response = _lookup(operator_client, "national_code", to_persian_digits(citizen.national_code))

    page = response.content.decode()
    assert response.status_code == 200
    assert "زهرا رضایی" in page
    assert to_persian_digits(mask_national_code(citizen.national_code)) in page
    assert to_persian_digits(mask_mobile(citizen.mobile)) in page
    for secret in (citizen.national_code, citizen.mobile, link.subscription.address):
        assert secret not in page
        assert to_persian_digits(secret) not in page
    assert link.subscription.bill_id not in page
    assert "انجام نشده" in page  # identity not verified yet
    row = AuditLog.objects.get(action="kiosk.lookup")
    assert row.details == {"by": "national_code", "found": 1}
    assert citizen.national_code not in str(row.details)


def test_lookup_by_legal_national_id(operator_client):
    company = LegalProfileFactory(company_name="شرکت فولاد آزمون").user
    response = _lookup(operator_client, "legal_national_id", company.legal_national_id)
    page = response.content.decode()
    assert "شرکت فولاد آزمون" in page
    assert company.legal_national_id not in page


def test_lookup_by_bill_id_finds_the_linked_citizen(operator_client):
    link = SubscriptionLinkFactory(user=UserFactory(first_name="سارا", last_name="کاظمی"))
    UserFactory(first_name="نفر", last_name="دیگر")
    response = _lookup(operator_client, "bill_id", link.subscription.bill_id)
    page = response.content.decode()
    assert "سارا کاظمی" in page
    assert "نفر دیگر" not in page


def test_malformed_identifier_is_reported(operator_client):
    response = operator_client.post(HOME, {"by": "national_code", "value": "123"})
    assert response.status_code == 200
    assert "کد ملی" in response.content.decode()
    assert LOOKUP_SESSION_KEY not in operator_client.session


def test_unknown_citizen_finds_nothing(operator_client):
    response = _lookup(operator_client, "national_code", UserFactory.build().national_code)
    assert "پیدا نشد" in response.content.decode()


def test_citizen_pages_answer_404_unless_looked_up(operator_client):
    citizen = UserFactory()
    for name in ("subscribers:kiosk-consent", "subscribers:kiosk-verify"):
        assert operator_client.get(reverse(name, args=[citizen.pk])).status_code == 404
    _lookup(operator_client, "national_code", citizen.national_code)
    for name in ("subscribers:kiosk-consent", "subscribers:kiosk-verify"):
        assert operator_client.get(reverse(name, args=[citizen.pk])).status_code == 200


@pytest.mark.parametrize("rows", [1, 8])
def test_console_query_budget(operator_client, django_assert_max_num_queries, rows):
    link = SubscriptionLinkFactory()
    for _ in range(rows - 1):
        SubscriptionLinkFactory(subscription=link.subscription)
    _lookup(operator_client, "bill_id", link.subscription.bill_id)
    assert len(operator_client.session[LOOKUP_SESSION_KEY]) == rows
    with django_assert_max_num_queries(8):
        response = operator_client.get(HOME)
    assert response.status_code == 200


def test_record_identity_check_without_a_session(operator_client, operator):
    citizen = UserFactory()
    _lookup(operator_client, "national_code", citizen.national_code)
    url = reverse("subscribers:kiosk-verify", args=[citizen.pk])
    form = {"document_type": "national_card", "document_number": "۱۲۳۴۵", "intent": "verify"}

    incomplete = operator_client.post(url, {**form, "documents_seen": ["id_original"]})
    assert incomplete.status_code == 200
    assert "دیده نشده" in incomplete.content.decode()
    assert not IdentityVerification.objects.exists()

    documents = ["id_original", "id_copy", "last_paid_bills"]
    response = operator_client.post(url, {**form, "documents_seen": documents})
    assert response.status_code == 302
    verification = IdentityVerification.objects.get()
    assert (verification.channel, verification.kiosk) == ("kiosk", operator.kiosk)
    assert verification.document_number == "12345"
    assert "kiosk_on_behalf_session_id" not in operator_client.session
    page = operator_client.get(HOME).content.decode()
    assert "انجام شده" in page
