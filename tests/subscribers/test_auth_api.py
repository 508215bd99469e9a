"""The account API: shapes, errors, limits (429 + Retry-After, no SMS row) and tokens."""

from datetime import date

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications.models import OutboxMessage
from subscribers.models import OtpChallenge, User
from tests.factories import (
    PASSWORD,
    UserFactory,
    last_otp_code,
    legal_national_id,
    national_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    # enforce_csrf_checks: anonymous JSON endpoints must work without a CSRF token.
    return APIClient(enforce_csrf_checks=True)


def natural_body(**overrides):
    body = {
        "kind": "natural",
        "first_name": "زهرا",
        "last_name": "رضایی",
        "gender": "female",
        "father_name": "حسن",
        "birth_date": "۱۳۷۰/۰۱/۰۱",
        "id_number": "1234",
        "place_of_issue": "تبریز",
        "national_code": national_code(),
        "postal_code": "5153847911",
        "mobile": "۰۹۳۵۷۷۷۶۶۵۵",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def test_register_verify_login_me_logout(api):
    body = natural_body()
    response = api.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == {"challenge_id", "expires_in", "username"}
    assert data["username"] == body["national_code"] and data["expires_in"] == 300
    user = User.objects.get(username=data["username"])
    assert user.natural_profile.birth_date == date(1991, 3, 21)

    not_yet = api.post(
        "/api/v1/auth/login/", {"username": data["username"], "password": PASSWORD}, format="json"
    )
    assert not_yet.status_code == 400 and not_yet.json()["error"]["code"] == "inactive"

    verified = api.post(
        "/api/v1/auth/otp/verify/",
        {"challenge_id": data["challenge_id"], "code": last_otp_code("09357776655")},
        format="json",
    )
    assert verified.status_code == 200 and verified.json() == {"verified": True}

    login = api.post(
        "/api/v1/auth/login/", {"username": data["username"], "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200
    token = login.json()["token"]
    assert Token.objects.filter(key=token, user=user).exists()

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/").json()
    assert me["kind"] == "natural" and me["username"] == data["username"]
    assert me["mobile_verified"] is True and me["mobile"] == "09357776655"
    assert "*" in me["national_code"] and me["national_code"] != body["national_code"]
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert not Token.objects.filter(key=token).exists()
    assert api.get("/api/v1/me/").status_code == 401


def test_register_errors_are_persian_and_per_field(api):
    existing = UserFactory()
    response = api.post(
        "/api/v1/auth/register/",
        natural_body(national_code=existing.national_code),
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "national_code" in error["fields"] and "قبلاً" in error["message"]
    missing = api.post("/api/v1/auth/register/", {"kind": "natural"}, format="json")
    fields = missing.json()["error"]["fields"]
    assert {"first_name", "national_code", "mobile", "password"} <= set(fields)
    assert fields["first_name"] == ["نام الزامی است."]
    bad_date = api.post(
        "/api/v1/auth/register/", natural_body(birth_date="1370/14/01"), format="json"
    )
    assert "birth_date" in bad_date.json()["error"]["fields"]
    assert User.objects.count() == 1


def test_register_legal(api):
    body = {
        "kind": "legal",
        "company_name": "شرکت نمونه",
        "registration_date": "1385/05/01",
        "registration_number": "123",
        "place_of_issue": "تبریز",
        "subscriber_type": "تجاری",
        "legal_national_id": legal_national_id(),
        "representative_first_name": "رضا",
        "representative_last_name": "کریمی",
        "representative_national_code": national_code(),
        "representative_mobile": "09141112200",
        "username": "acme-co",
        "password": PASSWORD,
    }
    response = api.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201 and response.json()["username"] == "acme-co"


def test_otp_login_gives_a_token_and_unknown_mobile_still_202(api):
    user = UserFactory()
    known = api.post(
        "/api/v1/auth/otp/", {"mobile": user.mobile, "purpose": "login"}, format="json"
    )
    unknown = api.post(
        "/api/v1/auth/otp/", {"mobile": "09390000000", "purpose": "login"}, format="json"
    )
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()) == set(unknown.json()) == {"challenge_id", "expires_in"}
    assert OutboxMessage.objects.count() == 1
    response = api.post(
        "/api/v1/auth/otp/verify/",
        {"challenge_id": known.json()["challenge_id"], "code": last_otp_code(user.mobile)},
        format="json",
    )
    assert response.status_code == 200
    assert Token.objects.get(user=user).key == response.json()["token"]
    fake = api.post(
        "/api/v1/auth/otp/verify/",
        {"challenge_id": unknown.json()["challenge_id"], "code": "123456"},
        format="json",
    )
    assert fake.status_code == 400 and fake.json()["error"]["code"] == "otp_invalid"


def test_register_purpose_resends_only_for_a_pending_registration(api):
    api.post("/api/v1/auth/register/", natural_body(), format="json")
    pending = api.post(
        "/api/v1/auth/otp/", {"mobile": "09357776655", "purpose": "register"}, format="json"
    )
    stranger = api.post(
        "/api/v1/auth/otp/", {"mobile": "09357776600", "purpose": "register"}, format="json"
    )
    assert pending.status_code == stranger.status_code == 202
    assert OutboxMessage.objects.filter(recipient="09357776655").count() == 2
    assert not OutboxMessage.objects.filter(recipient="09357776600").exists()
    assert OtpChallenge.objects.filter(pk=pending.json()["challenge_id"]).exists()


def test_reset_needs_new_password_in_the_same_call(api):
    user = UserFactory()
    started = api.post(
        "/api/v1/auth/otp/", {"mobile": user.mobile, "purpose": "reset"}, format="json"
    ).json()
    code = last_otp_code(user.mobile)
    missing = api.post(
        "/api/v1/auth/otp/verify/",
        {"challenge_id": started["challenge_id"], "code": code},
        format="json",
    )
    assert missing.status_code == 400 and "new_password" in missing.json()["error"]["fields"]
    done = api.post(
        "/api/v1/auth/otp/verify/",
        {"challenge_id": started["challenge_id"], "code": code, "new_password": "A-new-passw0rd!"},
        format="json",
    )
    assert done.status_code == 200 and done.json() == {"password_reset": True}
    user.refresh_from_db()
    assert user.check_password("A-new-passw0rd!")


def test_over_the_limit_is_429_with_retry_after_and_no_sms_row(api):
    user = UserFactory()
    for _ in range(3):
        ok = api.post(
            "/api/v1/auth/otp/", {"mobile": user.mobile, "purpose": "login"}, format="json"
        )
        assert ok.status_code == 202
    before = OutboxMessage.objects.count()
    response = api.post(
        "/api/v1/auth/otp/", {"mobile": user.mobile, "purpose": "login"}, format="json"
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "rate_limited"
    assert "دقیقه" in response.json()["error"]["message"]
    assert OutboxMessage.objects.count() == before


def test_other_purposes_and_bad_input(api):
    response = api.post(
        "/api/v1/auth/otp/", {"mobile": "09120000000", "purpose": "mobile_change"}, format="json"
    )
    assert response.status_code == 401
    bad = api.post("/api/v1/auth/otp/", {"mobile": "0912", "purpose": "nope"}, format="json")
    assert bad.status_code == 400
    assert {"mobile", "purpose"} <= set(bad.json()["error"]["fields"])
    wrong_id = api.post(
        "/api/v1/auth/otp/verify/", {"challenge_id": "nope", "code": "123456"}, format="json"
    )
    assert wrong_id.status_code == 400 and "challenge_id" in wrong_id.json()["error"]["fields"]


def test_login_errors(api):
    user = UserFactory()
    wrong = api.post(
        "/api/v1/auth/login/", {"username": user.username, "password": "nope-nope-1"}, format="json"
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "bad_credentials"
    assert api.get("/api/v1/me/").status_code == 401


def test_me_with_session_and_schema_documents_endpoints(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/api/v1/me/").json()["username"] == user.username
    schema = client.get("/api/v1/schema/?format=json").json()
    for route in ("/api/v1/auth/otp/", "/api/v1/auth/otp/verify/", "/api/v1/auth/register/",
                  "/api/v1/auth/login/", "/api/v1/auth/logout/", "/api/v1/me/"):  # fmt: skip
        assert route in schema["paths"]
