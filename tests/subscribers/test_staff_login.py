"""Staff and kiosk-operator login: password + SMS code, lockout on username + IP, and the
admin site requiring the second factor."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from subscribers.models import LoginFailure
from subscribers.permissions import STAFF_SECOND_FACTOR_SESSION_KEY
from tests.factories import PASSWORD, KioskOperatorFactory, StaffFactory, UserFactory, last_otp_code

pytestmark = pytest.mark.django_db

URL = "subscribers:staff-login"


def step1(client, username, password=PASSWORD, ip="10.0.0.5", next_url="/admin/"):
    return client.post(
        f"{reverse(URL)}?next={next_url}",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def step2(client, code, ip="10.0.0.5"):
    return client.post(reverse(URL), {"code": code}, REMOTE_ADDR=ip)


def test_two_steps_log_in_and_set_the_second_factor_flag(client):
    staff = StaffFactory()
    client.get(reverse(URL))
    assert step1(client, staff.username).status_code == 302
    assert "_auth_user_id" not in client.session  # not logged in after the password alone
    page = client.get(reverse(URL))
    assert "کد" in page.content.decode() and page.context["step"] == 2
    before = client.session.session_key
    done = step2(client, last_otp_code(staff.mobile))
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.session[STAFF_SECOND_FACTOR_SESSION_KEY] is True
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.session.session_key != before
    assert client.get("/admin/").status_code == 200


def test_kiosk_operator_may_use_it_and_subscribers_may_not(client):
    operator = KioskOperatorFactory().user
    assert step1(client, operator.username).status_code == 302
    assert OutboxMessage.objects.filter(recipient=operator.mobile).count() == 1
    subscriber = UserFactory()
    other = Client()
    response = step1(other, subscriber.username)
    assert response.status_code == 400
    assert OutboxMessage.objects.filter(recipient=subscriber.mobile).count() == 0


def test_lockout_after_five_failures_then_cool_off(client):
    staff = StaffFactory()
    for _ in range(5):
        assert step1(client, staff.username, "wrong-password-1").status_code == 400
    locked = step1(client, staff.username)  # right password, but locked: not even checked
    assert locked.status_code == 400
    text = locked.content.decode()
    assert "دقیقه" in text and "۳۰" in text
    assert not OutboxMessage.objects.exists()
    # A different IP is not locked for this username.
    assert step1(Client(), staff.username, ip="10.0.0.6").status_code == 302
    # Thirty minutes after the last failure the pair is free again.
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    assert step1(client, staff.username).status_code == 302


def test_lockout_is_per_username_on_a_shared_kiosk_ip(client):
    kiosk_ip = "10.20.30.40"
    a, b = KioskOperatorFactory().user, KioskOperatorFactory().user
    for _ in range(5):
        step1(client, a.username, "wrong-password-1", ip=kiosk_ip)
    assert step1(Client(), a.username, ip=kiosk_ip).status_code == 400  # same user, same IP
    assert step1(Client(), b.username, ip=kiosk_ip).status_code == 302  # colleague unaffected


def test_success_resets_the_failures(client):
    staff = StaffFactory()
    for _ in range(4):
        step1(client, staff.username, "wrong-password-1")
    step1(client, staff.username)
    step2(client, last_otp_code(staff.mobile))
    assert not LoginFailure.objects.filter(username=staff.username).exists()


def test_wrong_codes_count_towards_the_lockout(client):
    staff = StaffFactory()
    step1(client, staff.username)
    code = last_otp_code(staff.mobile)
    wrong = "000000" if code != "000000" else "111111"
    response = step2(client, wrong)
    assert response.status_code == 400
    assert LoginFailure.objects.filter(username=staff.username).count() == 1
    assert "_auth_user_id" not in client.session


def test_admin_sends_to_staff_login_keeping_next(client):
    response = client.get("/admin/subscribers/user/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith(reverse(URL))
    assert "next=%2Fadmin%2Fsubscribers%2Fuser%2F" in login["Location"]


@pytest.mark.parametrize("superuser", [False, True])
def test_admin_requires_the_second_factor(client, superuser):
    staff = StaffFactory(is_superuser=superuser)
    client.force_login(staff)  # password-only session
    response = client.get("/admin/")
    assert response.status_code == 302
    session = client.session
    session[STAFF_SECOND_FACTOR_SESSION_KEY] = True
    session.save()
    assert client.get("/admin/").status_code == 200


def test_debug_hint_only_in_debug(client, settings):
    assert "sms_outbox" not in client.get(reverse(URL)).content.decode()
    settings.DEBUG = True
    assert "sms_outbox --last 1" in client.get(reverse(URL)).content.decode()


def test_external_next_is_ignored(client):
    staff = StaffFactory()
    step1(client, staff.username, next_url="https://evil.example/")
    done = step2(client, last_otp_code(staff.mobile))
    assert done["Location"] == "/admin/"
