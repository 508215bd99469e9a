"""Subscriber login (password and SMS code), sessions (rotation, logout, disable, mobile
change), and password reset by SMS code."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from notifications.models import OutboxMessage
from subscribers.models import AuditLog, LoginFailure, OtpChallenge
from subscribers.services import accounts as svc
from tests.factories import PASSWORD, StaffFactory, UserFactory, last_otp_code

pytestmark = pytest.mark.django_db

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LOGIN = "subscribers:login"


def password_login(client, username, password=PASSWORD, **extra):
    return client.post(
        reverse(LOGIN), {"method": "password", "username": username, "password": password, **extra}
    )


def test_password_login_with_persian_digits_rotates_session_key(client):
    user = UserFactory()
    client.get(reverse(LOGIN))
    client.session.save()
    before = client.session.session_key
    response = password_login(client, user.national_code.translate(FA))
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers:account")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session.session_key != before


def test_password_login_respects_safe_next_only(client):
    user = UserFactory()
    ok = password_login(client, user.username, next="/help/")
    assert ok["Location"] == "/help/"
    other = Client()
    evil = password_login(other, user.username, next="https://evil.example/")
    assert evil["Location"] == reverse("subscribers:account")


def test_wrong_password_is_generic_and_counts(client):
    user = UserFactory()
    response = password_login(client, user.username, "wrong-password-123")
    assert response.status_code == 400
    assert "نام کاربری یا رمز عبور درست نیست" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username=user.username).count() == 1


def test_unverified_account_gets_clear_message(client):
    user = UserFactory(is_active=False, mobile_verified_at=None)
    response = password_login(client, user.username)
    assert response.status_code == 400
    assert "فعال نشده" in response.content.decode()


def test_staff_cannot_use_the_subscriber_login(client):
    staff = StaffFactory()
    response = password_login(client, staff.username)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_otp_login_same_answer_for_unknown_account_but_no_sms(client):
    user = UserFactory()
    known = client.post(reverse(LOGIN), {"method": "otp", "otp-username_or_mobile": user.username})
    other = Client()
    unknown = other.post(reverse(LOGIN), {"method": "otp", "otp-username_or_mobile": "0499370899"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("subscribers:verify")
    assert OutboxMessage.objects.count() == 1
    assert OutboxMessage.objects.get().recipient == user.mobile
    # The unknown one's page looks the same and no code works on it.
    assert other.get(reverse("subscribers:verify")).status_code == 200
    assert other.post(reverse("subscribers:verify"), {"code": "123456"}).status_code == 400
    # The real one logs in with the code, with a new session key.
    before = client.session.session_key
    done = client.post(reverse("subscribers:verify"), {"code": last_otp_code(user.mobile)})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session.session_key != before


def test_otp_login_by_mobile():
    user = UserFactory()
    started = svc.account_login_otp_start(username_or_mobile=user.mobile, client_ip=None)
    found = svc.account_otp_login_user(
        challenge_id=started.challenge_id, code=last_otp_code(user.mobile)
    )
    assert found == user


def test_logout_is_post_only_and_ends_the_session_server_side(client):
    user = UserFactory()
    client.force_login(user)
    key = client.session.session_key
    assert client.get(reverse("subscribers:logout")).status_code == 405
    response = client.post(reverse("subscribers:logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    # Replaying the old cookie does not bring the session back.
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get(reverse("subscribers:account")).status_code == 302


def test_disabled_user_is_logged_out_on_next_request_and_tokens_die(client):
    user = UserFactory()
    Token.objects.create(user=user)
    client.force_login(user)
    assert client.get(reverse("subscribers:account")).status_code == 200
    svc.account_disable(user=user, actor=StaffFactory())
    assert not Token.objects.filter(user=user).exists()
    response = client.get(reverse("subscribers:account"))
    assert response.status_code == 302
    assert reverse(LOGIN) in response["Location"]
    assert AuditLog.objects.filter(action="account.disable", object_id=str(user.pk)).exists()


def test_mobile_change_ends_other_sessions_and_keeps_this_one():
    user = UserFactory()
    Token.objects.create(user=user)
    here, there = Client(), Client()
    password_login(here, user.username)
    password_login(there, user.username)
    assert there.get(reverse("subscribers:account")).status_code == 200

    start = here.post(
        reverse("subscribers:mobile-change"),
        {"new_mobile": "۰۹۱۹۸۸۸۷۷۶۶", "password": PASSWORD},
    )
    assert start.status_code == 302
    assert OutboxMessage.objects.filter(recipient="09198887766").count() == 1
    code = last_otp_code("09198887766")
    done = here.post(reverse("subscribers:mobile-change-verify"), {"code": code})
    assert done.status_code == 302

    user.refresh_from_db()
    assert user.mobile == "09198887766" and user.mobile_verified_at
    assert here.get(reverse("subscribers:account")).status_code == 200
    assert there.get(reverse("subscribers:account")).status_code == 302
    assert not Token.objects.filter(user=user).exists()
    audit = AuditLog.objects.get(action="account.mobile_change")
    assert "09198887766" not in str(audit.details)


def test_mobile_change_needs_the_current_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("subscribers:mobile-change"),
        {"new_mobile": "09198887766", "password": "wrong-password-1"},
    )
    assert response.status_code == 400
    assert response.context["mobile_form"].errors["password"][0].startswith("رمز عبور فعلی")
    assert not OutboxMessage.objects.exists()


def test_mobile_change_code_of_another_user_is_refused(client):
    owner, other = UserFactory(), UserFactory()
    started = svc.account_mobile_change_start(
        user=owner, password=PASSWORD, new_mobile="09190000001", client_ip=None
    )
    client.force_login(other)
    session = client.session
    session["auth_pending"] = {
        "challenge_id": str(started.challenge_id),
        "purpose": "mobile_change",
        "masked": "x",
        "sent_at": int(timezone.now().timestamp()),
        "next": "",
    }
    session.save()
    response = client.post(
        reverse("subscribers:mobile-change-verify"), {"code": last_otp_code("09190000001")}
    )
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.mobile != "09190000001"


def test_password_reset_by_code(client):
    user = UserFactory()
    other_session = Client()
    other_session.force_login(user)
    start = client.post(reverse("subscribers:password-reset"), {"username": user.username})
    assert start.status_code == 302
    code = last_otp_code(user.mobile)
    weak = client.post(
        reverse("subscribers:password-reset-confirm"),
        {"code": code, "new_password": "1234567890", "new_password2": "1234567890"},
    )
    assert weak.context["form"].errors["new_password"]
    # The refused password did not spend the code.
    new = "another-Long-passw0rd"
    done = client.post(
        reverse("subscribers:password-reset-confirm"),
        {"code": code, "new_password": new, "new_password2": new},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert other_session.get(reverse("subscribers:account")).status_code == 302
    assert OtpChallenge.objects.get(user=user).consumed_at is not None


def test_password_reset_unknown_account_same_answer_no_sms(client):
    response = client.post(reverse("subscribers:password-reset"), {"username": "nobody"})
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers:password-reset-confirm")
    assert not OutboxMessage.objects.exists()


def test_subscriber_login_lockout_after_five_failures(client):
    user = UserFactory()
    for _ in range(5):
        password_login(client, user.username, "wrong-password-123")
    locked = password_login(client, user.username)
    assert locked.status_code == 400
    assert "دقیقه" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    assert password_login(client, user.username).status_code == 302
