"""Acting on a citizen's behalf at a kiosk: consent, the user swap, the banner, audit, expiry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from subscribers.middleware import KIOSK_NOTICE_KEY, ON_BEHALF_SESSION_KEY
from subscribers.models import AuditLog, OnBehalfSession, OtpChallenge
from subscribers.permissions import STAFF_SECOND_FACTOR_SESSION_KEY
from subscribers.services.kiosk import SESSION_DURATION
from tests.factories import (
    KioskOperatorFactory,
    UserFactory,
    login_with_second_factor,
)

pytestmark = pytest.mark.django_db

HOME = reverse("subscribers:kiosk-home")
PAGE = reverse("portal:home")


@pytest.fixture
def operator():
    return KioskOperatorFactory()


@pytest.fixture
def citizen():
    return UserFactory(first_name="نرگس", last_name="مرادی")


@pytest.fixture
def operator_client(client, operator, citizen):
    login_with_second_factor(client, operator.user)
    client.post(HOME, {"by": "national_code", "value": citizen.national_code})
    return client


def _send_consent(client, citizen) -> str:
    url = reverse("subscribers:kiosk-consent", args=[citizen.pk])
    assert client.post(url, {"intent": "send"}).status_code == 302
    message = OutboxMessage.objects.filter(recipient=citizen.mobile).latest("id")
    return message.tokens["token"]


def _start_with_consent(client, citizen) -> OnBehalfSession:
    code = _send_consent(client, citizen)
    url = reverse("subscribers:kiosk-consent", args=[citizen.pk])
    response = client.post(url, {"intent": "verify", "code": to_persian_digits(code)})
    assert response.status_code == 302, response.content.decode()[:500]
    return OnBehalfSession.objects.get()


def test_without_a_session_the_operator_is_just_themselves(operator_client, operator):
    response = operator_client.get(PAGE)
    assert response.wsgi_request.user == operator.user
    assert not hasattr(response.wsgi_request, "kiosk_session")
    assert 'role="status"' not in response.content.decode().split("<main")[0]
    assert not AuditLog.objects.filter(action="kiosk.request").exists()


def test_consent_code_starts_a_session_and_requests_run_as_the_citizen(
    operator_client, operator, citizen
):
    session = _start_with_consent(operator_client, citizen)
    challenge = OtpChallenge.objects.get()
    assert challenge.purpose == "consent"
    assert challenge.payload == {"operator_id": operator.user.pk, "kiosk_id": operator.kiosk.pk}
    assert (session.operator, session.citizen, session.kiosk) == (
        operator.user,
        citizen,
        operator.kiosk,
    )
    assert session.consent == "otp"
    duration = session.expires_at - session.started_at
    assert duration == pytest.approx(SESSION_DURATION, abs=timedelta(seconds=5))
    assert operator_client.session[ON_BEHALF_SESSION_KEY] == session.pk

    response = operator_client.get(PAGE, REMOTE_ADDR="10.1.2.3")
    request = response.wsgi_request
    assert request.user == citizen
    assert request.operator == operator.user
    assert request.kiosk_session == session
    page = response.content.decode()
    assert 'role="status"' in page
    assert "شما به‌جای نرگس مرادی در دفتر پیشخوان" in page
    assert f"زمان باقی‌مانده: {to_persian_digits(20)} دقیقه" in page
    assert "پایان نشست" in page

    row = AuditLog.objects.filter(action="kiosk.request").get()
    assert (row.actor, row.on_behalf_of, row.kiosk) == (operator.user, citizen, operator.kiosk)
    assert row.ip == "10.1.2.3"
    assert row.details == {"method": "GET", "path": PAGE}
    assert AuditLog.objects.filter(action="kiosk.session_start", on_behalf_of=citizen).exists()


def test_every_non_get_request_is_audited_but_static_is_not(operator_client, citizen):
    _start_with_consent(operator_client, citizen)
    operator_client.post("/api/v1/me/", {}, REMOTE_ADDR="10.9.9.9")
    operator_client.get("/static/css/portal.css")
    rows = list(AuditLog.objects.filter(action="kiosk.request"))
    assert [(r.details["method"], r.details["path"]) for r in rows] == [("POST", "/api/v1/me/")]
    assert rows[0].on_behalf_of == citizen


def test_console_and_admin_are_never_swapped(operator_client, operator, citizen):
    _start_with_consent(operator_client, citizen)
    console = operator_client.get(HOME)
    assert console.wsgi_request.user == operator.user
    assert "شما به‌جای" in console.content.decode()  # the banner still shows
    admin = operator_client.get(reverse("admin:index"))
    assert admin.wsgi_request.user == operator.user
    assert not AuditLog.objects.filter(action="kiosk.request").exists()


def test_wrong_consent_code_opens_nothing(operator_client, citizen):
    code = _send_consent(operator_client, citizen)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    url = reverse("subscribers:kiosk-consent", args=[citizen.pk])
    response = operator_client.post(url, {"intent": "verify", "code": wrong})
    assert response.status_code == 200
    assert "کد تایید درست نیست" in response.content.decode()
    assert not OnBehalfSession.objects.exists()
    assert operator_client.get(PAGE).wsgi_request.user != citizen


def test_consent_code_of_another_operator_is_refused(client, operator_client, operator, citizen):
    code = _send_consent(operator_client, citizen)
    other = KioskOperatorFactory(kiosk=operator.kiosk)
    login_with_second_factor(client, other.user)
    client.post(HOME, {"by": "national_code", "value": citizen.national_code})
    session = client.session
    session["kiosk_consent"] = {
        "citizen": citizen.pk,
        "challenge": str(OtpChallenge.objects.get().pk),
    }
    session.save()
    url = reverse("subscribers:kiosk-consent", args=[citizen.pk])
    client.post(url, {"intent": "verify", "code": code})
    assert not OnBehalfSession.objects.exists()


def test_expired_session_is_ended_and_the_operator_returns_to_the_console(
    operator_client, operator, citizen
):
    session = _start_with_consent(operator_client, citizen)
    OnBehalfSession.objects.filter(pk=session.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = operator_client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert response.wsgi_request.user == operator.user
    session.refresh_from_db()
    assert session.ended_at == session.expires_at
    assert ON_BEHALF_SESSION_KEY not in operator_client.session
    assert operator_client.session[KIOSK_NOTICE_KEY] == "expired"
    end = AuditLog.objects.get(action="kiosk.session_end")
    assert end.details == {"reason": "expired"}
    console = operator_client.get(HOME).content.decode()
    assert "مهلت نشست" in console
    assert operator_client.get(PAGE).wsgi_request.user == operator.user


def test_deactivated_operator_loses_the_session(operator_client, operator, citizen):
    session = _start_with_consent(operator_client, citizen)
    operator.is_active = False
    operator.save()
    response = operator_client.get(PAGE)
    assert response.status_code == 302
    assert response.wsgi_request.user == operator.user
    session.refresh_from_db()
    assert session.ended_at is not None
    # …and the console itself is closed to them now.
    assert operator_client.get(HOME).status_code == 302


def test_inactive_operator_cannot_send_consent(client, citizen):
    operator = KioskOperatorFactory(is_active=False)
    login_with_second_factor(client, operator.user)
    url = reverse("subscribers:kiosk-consent", args=[citizen.pk])
    assert client.post(url, {"intent": "send"}).status_code == 302
    assert not OtpChallenge.objects.exists()


def test_without_the_second_factor_nothing_is_swapped(operator_client, citizen):
    session = _start_with_consent(operator_client, citizen)
    django_session = operator_client.session
    del django_session[STAFF_SECOND_FACTOR_SESSION_KEY]
    django_session.save()
    assert operator_client.get(PAGE).wsgi_request.user != citizen
    session.refresh_from_db()
    assert session.ended_at is not None


def test_end_button_ends_the_session(operator_client, operator, citizen):
    session = _start_with_consent(operator_client, citizen)
    response = operator_client.post(reverse("subscribers:kiosk-session-end"))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.ended_at is not None
    assert operator_client.get(PAGE).wsgi_request.user == operator.user


def test_logout_ends_the_operator_and_the_on_behalf_session(operator_client, operator, citizen):
    session = _start_with_consent(operator_client, citizen)
    operator_client.post(reverse("subscribers:logout"))
    session.refresh_from_db()
    assert session.ended_at is not None
    assert AuditLog.objects.get(action="kiosk.session_end").details == {"reason": "logout"}
    assert not operator_client.get(PAGE).wsgi_request.user.is_authenticated


def test_in_person_check_can_open_the_session(operator_client, operator, citizen):
    url = reverse("subscribers:kiosk-verify", args=[citizen.pk])
    response = operator_client.post(
        url,
        {
            "document_type": "passport",
            "document_number": "A1234567",
            "documents_seen": ["id_original", "id_copy", "last_paid_bills"],
            "intent": "start",
        },
    )
    assert response.status_code == 302
    session = OnBehalfSession.objects.get()
    assert session.consent == "in_person"
    assert session.verification.user == citizen
    assert operator_client.get(PAGE).wsgi_request.user == citizen


def test_a_new_session_replaces_the_old_one(operator_client, operator, citizen):
    first = _start_with_consent(operator_client, citizen)
    other = UserFactory()
    operator_client.post(HOME, {"by": "national_code", "value": other.national_code})
    code = _send_consent(operator_client, other)
    url = reverse("subscribers:kiosk-consent", args=[other.pk])
    operator_client.post(url, {"intent": "verify", "code": code})
    first.refresh_from_db()
    assert first.ended_at is not None
    assert operator_client.get(PAGE).wsgi_request.user == other


def test_a_view_that_logs_the_citizen_in_cannot_leave_the_operator_as_the_citizen(
    rf, operator_client, operator, citizen
):
    from django.contrib.auth import login
    from django.http import HttpResponse

    from subscribers.middleware import OnBehalfMiddleware

    kiosk_session = _start_with_consent(operator_client, citizen)
    request = rf.get("/account/")
    request.session = operator_client.session
    request.user = operator.user

    def view(req):
        assert req.user == citizen
        login(req, citizen, backend="django.contrib.auth.backends.ModelBackend")
        return HttpResponse("ok")

    OnBehalfMiddleware(view)(request)
    assert "_auth_user_id" not in request.session
    kiosk_session.refresh_from_db()
    assert kiosk_session.ended_at is not None


def test_account_control_pages_are_refused_on_behalf(operator_client, operator, citizen):
    _start_with_consent(operator_client, citizen)
    page = operator_client.get(reverse("subscribers:mobile-change"))
    assert page.status_code == 302
    assert page["Location"] == HOME
    api = operator_client.post(reverse("auth-login"), {}, content_type="application/json")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "on_behalf_forbidden"
    blocked = AuditLog.objects.filter(action="kiosk.request", details__blocked=True)
    assert blocked.count() == 2
    assert "تلفن همراه" in operator_client.get(HOME).content.decode()
