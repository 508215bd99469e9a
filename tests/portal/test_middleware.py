"""Persian digits in every input, and the session idle/absolute limits."""

import time

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.urls("tests.portal.echo_urls")


def test_query_string_digits_become_ascii(client):
    response = client.get("/echo/", {"bill_id": "۹۹۸۵۲۳۵۴۰۴۱۲۴", "code": "٠٩١٢"})
    assert response.json()["get"] == {"bill_id": "9985235404124", "code": "0912"}


def test_form_post_digits_become_ascii_but_passwords_stay(client):
    response = client.post(
        "/echo/",
        {"national_code": "۰۴۹۹۳۷۰۸۹۹", "password": "رمز۱۲۳", "new_password1": "۱۲"},
    )
    post = response.json()["post"]
    assert post["national_code"] == "0499370899"
    assert post["password"] == "رمز۱۲۳"
    assert post["new_password1"] == "۱۲"


def test_multipart_post_digits_become_ascii(client):
    response = client.post("/echo/", {"mobile": "۰۹۱۲۱۲۳۴۵۶۷"}, format="multipart")
    assert response.json()["post"]["mobile"] == "09121234567"


def test_json_api_digits_become_ascii(client):
    response = client.post(
        "/api/echo/", {"name": "ab", "count": "۴۲"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"name": "ab", "count": 42}


@pytest.mark.django_db
class TestSessionLimits:
    @pytest.fixture
    def logged_in(self, client):
        user = get_user_model().objects.create_user("clerk", password="a-long-password-1")
        client.force_login(user)
        client.get("/echo/")  # first authenticated request stamps start and last-seen
        return client

    def _age(self, client, **shift):
        session = client.session
        for key, seconds in shift.items():
            session[key] = int(time.time()) - seconds
        session.save()

    def test_active_session_survives(self, logged_in):
        self._age(logged_in, _last_seen=29 * 60)
        logged_in.get("/echo/")
        assert "_auth_user_id" in logged_in.session

    def test_idle_30_minutes_logs_out(self, logged_in):
        self._age(logged_in, _last_seen=31 * 60)
        logged_in.get("/echo/")
        assert "_auth_user_id" not in logged_in.session

    def test_absolute_12_hours_logs_out_even_when_active(self, logged_in):
        self._age(logged_in, _session_started=12 * 3600 + 5, _last_seen=10)
        logged_in.get("/echo/")
        assert "_auth_user_id" not in logged_in.session
