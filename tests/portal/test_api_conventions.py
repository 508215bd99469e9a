"""Every API failure has the shape {"error": {"code", "message" (Persian), "fields"}}."""

import re

import pytest

pytestmark = pytest.mark.urls("tests.portal.echo_urls")

PERSIAN = re.compile(r"[\u0600-\u06FF]")


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert PERSIAN.search(body["error"]["message"]), body
    return body["error"]


def test_validation_error_names_each_field(client):
    response = client.post("/api/echo/", {"name": "too long name"}, content_type="application/json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "count"}
    assert all(PERSIAN.search(m) for msgs in error["fields"].values() for m in msgs)


def test_malformed_json_is_a_400_not_a_500(client):
    response = client.post("/api/echo/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


def test_domain_error(client):
    response = client.get("/api/domain-error/")
    assert response.status_code == 400
    assert _error(response) == {
        "code": "bill_unpaid",
        "message": "ابتدا بدهی قبلی را پرداخت کنید.",
        "fields": {},
    }


def test_rate_limited_says_when_to_retry(client):
    response = client.get("/api/rate-limited/")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert _error(response)["code"] == "rate_limited"


@pytest.mark.django_db
def test_not_authenticated(client):
    response = client.get("/api/private/")
    assert response.status_code in (401, 403)
    assert _error(response)["code"] == "not_authenticated"


def test_method_not_allowed(client):
    response = client.get("/api/echo/")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served_locally(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
