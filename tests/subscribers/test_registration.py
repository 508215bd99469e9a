"""Registration of natural and legal persons, activation by SMS code, and the register
page (field errors in Persian naming the field, Persian digits, Jalali dates)."""

import uuid
from datetime import date

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from portal.errors import PortalError, RateLimited
from subscribers.models import LegalProfile, NaturalProfile, OtpChallenge, User
from subscribers.services import accounts as svc
from tests.factories import (
    PASSWORD,
    UserFactory,
    last_otp_code,
    legal_national_id,
    national_code,
    natural_registration_data,
)

pytestmark = pytest.mark.django_db

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def legal_data(**overrides):
    data = {
        "company_name": "شرکت نمونه",
        "registration_date": date(2005, 1, 1),
        "registration_number": "12345",
        "place_of_issue": "تبریز",
        "subscriber_type": "تجاری",
        "legal_national_id": legal_national_id(),
        "representative_first_name": "رضا",
        "representative_last_name": "کریمی",
        "representative_national_code": national_code(),
        "representative_mobile": "09141234000",
        "username": None,
        "password": PASSWORD,
        "client_ip": "10.1.1.1",
    }
    data.update(overrides)
    return data


def test_natural_registration_creates_inactive_account_and_sends_code():
    data = natural_registration_data()
    user, issued = svc.account_register_natural(**data)
    assert user.username == data["national_code"]
    assert not user.is_active and user.mobile_verified_at is None
    assert user.natural_profile.father_name == "حسن"
    assert issued.challenge.purpose == "register"
    assert OutboxMessage.objects.filter(recipient=data["mobile"]).count() == 1
    with pytest.raises(PortalError) as exc:
        svc.account_check_password(
            request=None, username=user.username, password=PASSWORD, client_ip=None
        )
    assert exc.value.code == "inactive"

    activated = svc.account_activate(
        challenge_id=issued.challenge.id, code=last_otp_code(data["mobile"])
    )
    assert activated.is_active and activated.mobile_verified_at is not None
    # single use
    with pytest.raises(PortalError):
        svc.account_activate(challenge_id=issued.challenge.id, code=last_otp_code(data["mobile"]))


def test_duplicate_national_code_is_refused_without_new_row():
    existing = UserFactory()
    count = User.objects.count()
    with pytest.raises(PortalError) as exc:
        svc.account_register_natural(
            **natural_registration_data(national_code=existing.national_code)
        )
    assert "national_code" in exc.value.fields
    assert "قبلاً" in exc.value.message
    assert User.objects.count() == count
    assert not OutboxMessage.objects.exists()


def test_unverified_registration_can_be_replaced_in_place():
    data = natural_registration_data()
    first, _ = svc.account_register_natural(**data)
    second, issued = svc.account_register_natural(**{**data, "mobile": "09129998877"})
    assert second.pk == first.pk
    assert User.objects.filter(national_code=data["national_code"]).count() == 1
    assert NaturalProfile.objects.filter(user=second).count() == 1
    # The code sent to the first number no longer activates the account.
    old = OtpChallenge.objects.filter(mobile=data["mobile"]).latest("created_at")
    with pytest.raises(PortalError):
        svc.account_activate(challenge_id=old.id, code=last_otp_code(data["mobile"]))
    svc.account_activate(challenge_id=issued.challenge.id, code=last_otp_code("09129998877"))


def test_weak_password_is_refused_on_the_password_field():
    with pytest.raises(PortalError) as exc:
        svc.account_register_natural(**natural_registration_data(password="short"))
    assert "password" in exc.value.fields
    assert not User.objects.exists()


def test_nothing_is_half_created_when_the_sms_limit_refuses():
    mobile = "09350000001"
    for _ in range(3):
        svc.account_register_natural(**natural_registration_data(mobile=mobile))
    count = User.objects.count()
    with pytest.raises(RateLimited):
        svc.account_register_natural(**natural_registration_data(mobile=mobile))
    assert User.objects.count() == count
    assert NaturalProfile.objects.count() == count
    assert OutboxMessage.objects.filter(recipient=mobile).count() == 3


def test_legal_registration_with_chosen_and_issued_usernames():
    user, _ = svc.account_register_legal(**legal_data(username="acme.co"))
    assert user.username == "acme.co" and user.kind == "legal" and not user.is_active
    assert user.mobile == "09141234000"
    assert LegalProfile.objects.get(user=user).representative_mobile == "09141234000"
    issued_user, _ = svc.account_register_legal(**legal_data(representative_mobile="09141234001"))
    assert issued_user.username.startswith("org") and issued_user.username[3:].isdigit()
    with pytest.raises(PortalError) as exc:
        svc.account_register_legal(**legal_data(username="ACME.co"))
    assert "username" in exc.value.fields
    for bad in ("ab", "12345678", "نام", "a b c d"):
        with pytest.raises(PortalError) as exc:
            svc.account_register_legal(**legal_data(username=bad))
        assert "username" in exc.value.fields


def test_activate_with_malformed_or_unknown_challenge():
    for challenge_id in ("nope", uuid.uuid4()):
        with pytest.raises(PortalError) as exc:
            svc.account_activate(challenge_id=challenge_id, code="123456")
        assert exc.value.code == "otp_invalid"


# --- the page ---------------------------------------------------------------------------


def natural_post(**overrides):
    data = natural_registration_data()
    post = {
        "kind": "natural",
        "n-first_name": data["first_name"],
        "n-last_name": data["last_name"],
        "n-gender": "female",
        "n-father_name": data["father_name"],
        "n-nationality": "ایرانی",
        "n-birth_date": "۱۳۷۰/۰۱/۰۱",
        "n-id_number": "۱۲۳۴",
        "n-place_of_issue": "تبریز",
        "n-national_code": data["national_code"].translate(FA),
        "n-postal_code": "۵۱۵۳۸۴۷۹۱۱",
        "n-mobile": "۰۹۳۵۱۲۳۴۵۶۷",
        "n-password": PASSWORD,
        "n-password2": PASSWORD,
    }
    post.update(overrides)
    return post, data["national_code"]


def test_register_page_shows_both_forms(client):
    page = client.get(reverse("subscribers:register"))
    assert page.status_code == 200
    assert "شخص حقیقی" in page.content.decode()
    legal = client.get(reverse("subscribers:register") + "?kind=legal")
    assert 'name="l-legal_national_id"' in legal.content.decode()


def test_register_page_accepts_persian_digits_and_jalali_date(client):
    post, code = natural_post()
    response = client.post(reverse("subscribers:register"), post)
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers:verify")
    user = User.objects.get(national_code=code)
    assert user.mobile == "09351234567"
    assert user.natural_profile.birth_date == date(1991, 3, 21)
    page = client.get(reverse("subscribers:verify"))
    assert "۰۹۳۵***۴۵۶۷" in page.content.decode()  # masked, in Persian digits
    done = client.post(reverse("subscribers:verify"), {"code": last_otp_code("09351234567")})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.is_active and user.mobile_verified_at
    assert client.get(reverse("subscribers:account")).status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("n-national_code", "1234567890", "کد ملی"),
        ("n-birth_date", "1370/13/40", "تاریخ تولد"),
        ("n-birth_date", "yesterday", "تاریخ تولد"),
        ("n-mobile", "0912", "تلفن همراه"),
        ("n-postal_code", "12", "کد پستی"),
        ("n-first_name", "", "نام"),
        ("n-password2", "something-else-1234", "تکرار رمز عبور"),
    ],
)
def test_register_page_field_errors_name_the_field(client, field, value, label):
    post, _ = natural_post(**{field: value})
    response = client.post(reverse("subscribers:register"), post)
    assert response.status_code == 400
    errors = response.context["natural_form"].errors[field.removeprefix("n-")]
    assert errors[0].startswith(label)
    assert not User.objects.exists()


def test_register_page_duplicate_national_code(client):
    existing = UserFactory()
    post, _ = natural_post(**{"n-national_code": existing.national_code})
    response = client.post(reverse("subscribers:register"), post)
    assert response.status_code == 400
    errors = response.context["natural_form"].errors["national_code"]
    assert errors[0].startswith("کد ملی") and "قبلاً" in errors[0]
    assert User.objects.count() == 1


def test_register_page_weak_password(client):
    post, _ = natural_post(**{"n-password": "1234567890", "n-password2": "1234567890"})
    response = client.post(reverse("subscribers:register"), post)
    assert response.status_code == 400
    assert response.context["natural_form"].errors["password"][0].startswith("رمز عبور")


def test_legal_register_page(client):
    post = {
        "kind": "legal",
        "l-company_name": "شرکت آزمون",
        "l-registration_date": "1385/05/01",
        "l-registration_number": "999",
        "l-place_of_issue": "تبریز",
        "l-subscriber_type": "صنعتی",
        "l-legal_national_id": legal_national_id(),
        "l-representative_first_name": "رضا",
        "l-representative_last_name": "کریمی",
        "l-representative_national_code": national_code(),
        "l-representative_mobile": "09141110000",
        "l-username": "",
        "l-password": PASSWORD,
        "l-password2": PASSWORD,
    }
    response = client.post(reverse("subscribers:register"), post)
    assert response.status_code == 302
    user = User.objects.get(kind="legal")
    assert user.username.startswith("org")
    assert user.legal_profile.registration_date == date(2006, 7, 23)


def test_verify_resend_respects_limits(client):
    post, _ = natural_post()
    client.post(reverse("subscribers:register"), post)
    client.post(reverse("subscribers:verify-resend"))
    client.post(reverse("subscribers:verify-resend"))
    assert OutboxMessage.objects.filter(recipient="09351234567").count() == 3
    response = client.post(reverse("subscribers:verify-resend"), follow=True)
    assert OutboxMessage.objects.filter(recipient="09351234567").count() == 3
    assert "دقیقه" in response.content.decode()
    # The latest code works.
    done = client.post(reverse("subscribers:verify"), {"code": last_otp_code("09351234567")})
    assert done.status_code == 302


def test_wrong_code_on_verify_page_names_the_field(client):
    post, _ = natural_post()
    client.post(reverse("subscribers:register"), post)
    code = last_otp_code("09351234567")
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("subscribers:verify"), {"code": wrong})
    assert response.status_code == 400
    assert response.context["form"].errors["code"][0].startswith("کد تایید")
    assert not User.objects.get(mobile="09351234567").is_active
