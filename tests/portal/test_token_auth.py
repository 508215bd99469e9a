"""The API's token check (``PreparedTokenAuthentication``: DRF's own with its query prepared,
the project's default) answers exactly as DRF's ``TokenAuthentication`` does: a valid token,
an unknown one, a malformed header, an inactive user, another scheme, no header."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.authentication import PreparedTokenAuthentication
from subscribers.models import User
from tests.telecom.test_calls_search import AZAR_QUERY, owner_line

pytestmark = pytest.mark.django_db


def _get(path: str, authorization: str | None, query=None):
    api = APIClient()
    if authorization is not None:
        api.credentials(HTTP_AUTHORIZATION=authorization)
    response = api.get(path, query or {})
    return response.status_code, response.json(), response.get("WWW-Authenticate")


def test_the_prepared_token_check_answers_like_drfs(monkeypatch):
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.settings import api_settings

    from telecom.api.calls import CallListAPI

    user, line = owner_line()
    token = Token.objects.create(user=user)
    calls = reverse("telecom_api:calls", args=[line.number])
    inactive_user, _line = owner_line()
    inactive = Token.objects.create(user=inactive_user)
    User.objects.filter(pk=inactive_user.pk).update(is_active=False)
    headers = {
        "valid": f"Token {token.key}",
        "unknown": "Token 0123456789abcdef0123456789abcdef01234567",
        "no key": "Token",
        "spaces": "Token a b",
        "inactive user": f"Token {inactive.key}",
        "another scheme": f"Bearer {token.key}",
        "none": None,
    }
    prepared = {label: _get(calls, header, AZAR_QUERY) for label, header in headers.items()}
    drf_classes = [
        TokenAuthentication if cls is PreparedTokenAuthentication else cls
        for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
    ]
    assert drf_classes != api_settings.DEFAULT_AUTHENTICATION_CLASSES
    monkeypatch.setattr(CallListAPI, "authentication_classes", drf_classes)
    drf = {label: _get(calls, header, AZAR_QUERY) for label, header in headers.items()}
    for label in headers:
        if label == "valid":
            assert prepared[label][0] == drf[label][0] == 200
            assert prepared[label][1]["results"] == drf[label][1]["results"]
        else:
            assert prepared[label] == drf[label], label
    # Session authentication comes first, so a refused token is DRF's 403 with its message.
    for label in ("unknown", "inactive user", "spaces"):
        assert prepared[label][1]["error"]["code"] == "authentication_failed", label


def test_the_user_is_loaded_whole_in_one_query(django_assert_num_queries):
    user, _line = owner_line()
    token = Token.objects.create(user=user)
    check = PreparedTokenAuthentication()
    check.authenticate_credentials(token.key)  # compiled
    with django_assert_num_queries(1):
        found, found_token = check.authenticate_credentials(token.key)
        assert (found.pk, found.username, found.kind, found.is_active) == (
            user.pk,
            user.username,
            user.kind,
            True,
        )
        assert found.password == user.password and found_token.key == token.key
        assert found_token.user is found and found_token.created == token.created


def test_it_is_the_projects_token_check_after_the_session():
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.settings import api_settings

    from telecom.api.calls import CallListAPI

    classes = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    assert classes == [SessionAuthentication, PreparedTokenAuthentication]
    assert CallListAPI.authentication_classes == classes


def test_the_schema_documents_it_as_drfs_token_scheme(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"cookieAuth", "tokenAuth"}
    calls = schema["paths"]["/api/v1/telecom/lines/{number}/calls/"]["get"]["security"]
    me = schema["paths"]["/api/v1/me/"]["get"]["security"]
    assert {"tokenAuth": []} in calls and {"tokenAuth": []} in me
