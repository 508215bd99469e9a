"""Call-detail API: list (keyset cursors), summary and export — shapes, the permission matrix
(owner, tenant, another subscriber, staff of another office, anonymous), errors in the house
shape, audit rows, the rate limit, the query budget and the OpenAPI schema."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from subscribers.models import AuditLog
from telecom.models import CallType
from tests.factories import DistrictOfficeFactory, login_with_second_factor
from tests.requests_app.factories import office_staff
from tests.telecom.test_calls_search import (
    AZAR_FIRST,
    AZAR_LAST,
    AZAR_QUERY,
    at,
    calls,
    owner_line,
    tenant_line,
)

pytestmark = pytest.mark.django_db


def url(name: str, line) -> str:
    return reverse(f"telecom_api:{name}", args=[line.number])


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def owner(api):
    user, line = owner_line()
    made = calls(line, *[at(AZAR_FIRST + dt.timedelta(days=i), 9) for i in range(3)])
    calls(line, at(AZAR_FIRST, 8), call_type=CallType.LOCAL, other="04133330000")
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return user, line, made


def test_list_shape(api, owner):
    _user, line, made = owner
    response = api.get(url("calls", line), {"from": "1403/09/01", "to": "2024-12-20"})
    assert response.status_code == 200
    data = response.json()
    assert data["line"] == line.number
    assert data["filter"] == {
        "date_from": "2024-11-21",
        "date_to": "2024-12-20",
        "date_from_jalali": "1403/09/01",
        "date_to_jalali": "1403/09/30",
        "call_types": ["intercity", "mobile", "international", "smart"],
        "other_number": "",
        "window_start": "2024-11-21T00:00:00+03:30",
        "window_end": "2024-12-21T00:00:00+03:30",
        "clipped": False,
    }
    assert data["next"] is None and data["previous"] is None
    newest = made[-1]
    assert data["results"][0] == {
        "started_at": newest.started_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "started_at_jalali": "1403/09/03 09:00:00",
        "other_number": "09121234567",
        "call_type": "mobile",
        "call_type_label": "تلفن همراه",
        "duration_s": 60,
        "cost_rial": 1000,
    }
    assert len(data["results"]) == 3  # the local call is never listed
    assert "id" not in data["results"][0]


def test_summary_counts_listed_calls_only(api, owner):
    _user, line, _made = owner
    data = api.get(url("calls-summary", line), AZAR_QUERY).json()
    assert (data["count"], data["duration_s"], data["cost_rial"]) == (3, 180, 3000)
    data = api.get(url("calls-summary", line), {**AZAR_QUERY, "other_number": "0999"}).json()
    assert data["count"] == 0 and data["cost_rial"] == 0


def test_cursor_links_walk_forward_and_back_under_inserts(api):
    user, line = owner_line()
    made = calls(line, *[at(AZAR_FIRST, 0) + dt.timedelta(minutes=i) for i in range(120)])
    api.force_authenticate(user)
    first = api.get(url("calls", line), AZAR_QUERY).json()
    assert len(first["results"]) == 50 and first["previous"] is None
    calls(line, at(AZAR_LAST, 23))  # a newer call arrives meanwhile
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    assert third["next"] is None and len(third["results"]) == 20
    seen = [r["started_at"] for page in (first, second, third) for r in page["results"]]
    assert len(seen) == len(set(seen)) == 120
    back = api.get(third["previous"]).json()
    assert back["results"] == second["results"]
    assert "cursor=" in first["next"] and "from=1403%2F09%2F01" in first["next"]
    assert first["next"].startswith("http://testserver/api/v1/telecom/lines/")
    assert len(made) == 120


def test_tampered_cursor_is_a_400_in_the_house_shape(api, owner):
    _user, line, _made = owner
    response = api.get(url("calls", line), {**AZAR_QUERY, "cursor": "abc:def"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_cursor" and "«صفحه»" in error["fields"]["cursor"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "1403/02/31x"}, "from"),
        ({"from": "2023-01-01", "to": "2024-12-01"}, "to"),
        ({"call_type": "local"}, "call_type"),
        ({"other_number": "۱"}, "other_number"),
    ],
)
def test_bad_filter_is_a_400_naming_the_parameter(api, owner, query, field):
    _user, line, _made = owner
    for name in ("calls", "calls-summary"):
        response = api.get(url(name, line), query)
        assert response.status_code == 400
        body = response.json()["error"]
        assert body["code"] == "invalid" and list(body["fields"]) == [field]
    assert not AuditLog.objects.filter(action="telecom.calls.search").exists()


def test_tenant_lists_only_the_lease_period(api):
    owner, line = owner_line()
    tenant, _line = tenant_line(
        lease_start=dt.date(2024, 12, 1),
        lease_end=dt.date.today() + dt.timedelta(days=200),
        line=line,
    )
    calls(line, at(dt.date(2024, 11, 30), 23, 59, 59), other="09120000001")
    inside = calls(line, at(dt.date(2024, 12, 1), 0, 0, 0), other="09120000002")
    api.force_authenticate(tenant)
    data = api.get(url("calls", line), AZAR_QUERY).json()
    assert [r["other_number"] for r in data["results"]] == ["09120000002"]
    assert data["filter"]["clipped"] is True
    assert data["filter"]["window_start"] == "2024-12-01T00:00:00+03:30"
    assert api.get(url("calls-summary", line), AZAR_QUERY).json()["count"] == 1
    assert len(inside) == 1
    api.force_authenticate(owner)
    assert api.get(url("calls-summary", line), AZAR_QUERY).json()["count"] == 2


def test_tenant_after_lease_end_is_404(api):
    tenant, line = tenant_line(
        lease_start=dt.date(2024, 1, 1), lease_end=dt.date.today() - dt.timedelta(days=1)
    )
    api.force_authenticate(tenant)
    for name in ("calls", "calls-summary", "calls-export"):
        extra = {"format": "csv"} if name == "calls-export" else {}
        assert api.get(url(name, line), {**AZAR_QUERY, **extra}).status_code == 404


@pytest.mark.parametrize("who", ["another subscriber", "staff of another office"])
def test_not_yours_is_404_like_missing(client, owner, who):
    _user, line, _made = owner
    if who == "another subscriber":
        their, _their_line = owner_line()
        client.force_login(their)
    else:
        login_with_second_factor(client, office_staff(DistrictOfficeFactory()))
    for name in ("calls", "calls-summary", "calls-export"):
        extra = {"format": "csv"} if name == "calls-export" else {}
        theirs = client.get(url(name, line), {**AZAR_QUERY, **extra})
        missing = client.get(reverse(f"telecom_api:{name}", args=["04100000000"]), extra)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()
        assert theirs.json()["error"]["code"] == "not_found"
    assert not AuditLog.objects.filter(action__startswith="telecom.calls").exists()


def test_anonymous_is_refused(client, owner):
    _user, line, _made = owner
    for name in ("calls", "calls-summary", "calls-export"):
        response = client.get(url(name, line), {"format": "csv"} if name == "calls-export" else {})
        assert response.status_code in (401, 403)
        assert response.json()["error"]["code"] == "not_authenticated"


def test_searches_and_exports_are_audited(api, owner):
    user, line, _made = owner
    api.get(url("calls", line), {**AZAR_QUERY, "other_number": "09121234567"})
    api.get(url("calls-summary", line), AZAR_QUERY)
    api.get(url("calls-export", line), {**AZAR_QUERY, "format": "csv"})
    rows = {r.details.get("kind", r.action): r for r in AuditLog.objects.all()}
    assert rows["list"].details["filters"]["other_number"] == "09121234567"
    assert rows["list"].details["rows"] == 3
    assert rows["summary"].details["total"] == 3
    export = rows["telecom.calls.export"]
    assert export.details["format"] == "csv" and export.details["rows"] == 3
    assert all(r.actor == user and r.object_id == str(line.pk) for r in rows.values())


def test_rate_limit_answers_429_in_persian(api, owner, settings):
    settings.TELECOM_CALL_SEARCHES_PER_MINUTE = 1
    _user, line, _made = owner
    assert api.get(url("calls", line), AZAR_QUERY).status_code == 200
    response = api.get(url("calls-summary", line), AZAR_QUERY)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert "بیش از حد مجاز" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) > 0


def test_export_csv_and_errors(api, owner):
    _user, line, _made = owner
    response = api.get(url("calls-export", line), {**AZAR_QUERY, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Export-Capped"] == "false" and response["X-Export-Rows"] == "3"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "ردیف" and len([r for r in rows[1:] if r and r[0].isdigit()]) == 3
    bad = api.get(url("calls-export", line), {**AZAR_QUERY, "format": "xlsx"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"format": ["«قالب خروجی» را انتخاب کنید: csv یا pdf."]}
    missing = api.get(url("calls-export", line), AZAR_QUERY)
    assert missing.status_code == 400 and "format" in missing.json()["error"]["fields"]


@pytest.mark.parametrize("name", ["calls", "calls-summary"])
def test_query_budget_is_the_same_at_1_and_50_rows(
    api, name, django_assert_max_num_queries, django_assert_num_queries
):
    user, line = owner_line()
    calls(line, at(AZAR_FIRST, 9))
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    api.get(url(name, line), AZAR_QUERY)
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as one:
        response = api.get(url(name, line), AZAR_QUERY)
    assert response.status_code == 200
    calls(line, *[at(AZAR_FIRST, 10) + dt.timedelta(minutes=i) for i in range(60)])
    with django_assert_num_queries(len(one.captured_queries)):
        response = api.get(url(name, line), AZAR_QUERY)
    if name == "calls":
        assert len(response.json()["results"]) == 50
    else:
        assert response.json()["count"] == 61


def test_session_auth_list_stays_within_budget(client, django_assert_max_num_queries):
    user, line = owner_line()
    calls(line, *[at(AZAR_FIRST, 10) + dt.timedelta(minutes=i) for i in range(60)])
    client.force_login(user)
    client.get(url("calls", line), AZAR_QUERY)
    with django_assert_max_num_queries(8):
        assert client.get(url("calls", line), AZAR_QUERY).status_code == 200


def test_schema_documents_the_endpoints(client):
    from drf_spectacular.validation import validate_schema

    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    base = "/api/v1/telecom/lines/{number}/calls/"
    assert {base, base + "summary/", base + "export/"} <= set(paths)
    params = {p["name"] for p in paths[base]["get"]["parameters"]}
    assert {"from", "to", "call_type", "other_number", "cursor"} <= params


def test_declared_serializers_match_the_hand_built_output(api, owner):
    """The list and summary are built by hand (no serializer per row on the hottest read); the
    serializers that document them in the schema must name exactly the keys sent."""
    from telecom.api.calls import (
        CallListSerializer,
        CallSerializer,
        SummarySerializer,
        WindowSerializer,
    )

    _user, line, _made = owner
    listed = api.get(url("calls", line), AZAR_QUERY).json()
    summary = api.get(url("calls-summary", line), AZAR_QUERY).json()
    assert set(listed) == set(CallListSerializer().fields)
    assert set(listed["filter"]) == set(WindowSerializer().fields)
    assert listed["results"]
    assert all(set(row) == set(CallSerializer().fields) for row in listed["results"])
    assert set(summary) == set(SummarySerializer().fields)
    assert set(summary["filter"]) == set(WindowSerializer().fields)


def test_a_search_that_fails_validation_counts_but_is_not_audited(api, owner, settings):
    settings.TELECOM_CALL_SEARCHES_PER_MINUTE = 1
    _user, line, _made = owner
    assert api.get(url("calls", line), {"from": "۱۴۰۳/۱۳/۰۱"}).status_code == 400
    assert not AuditLog.objects.filter(action="telecom.calls.search").exists()
    assert api.get(url("calls", line), AZAR_QUERY).status_code == 429  # the bad one counted
    assert not AuditLog.objects.filter(action="telecom.calls.search").exists()


def test_a_429_creates_nothing_and_a_counted_search_is_audited(api, owner, settings):
    from subscribers.models import RateCounter

    settings.TELECOM_CALL_SEARCHES_PER_MINUTE = 2
    _user, line, _made = owner
    assert api.get(url("calls", line), AZAR_QUERY).status_code == 200
    assert api.get(url("calls-summary", line), AZAR_QUERY).status_code == 200
    audited = AuditLog.objects.filter(action="telecom.calls.search").count()
    assert audited == 2 and RateCounter.objects.get().hits == 2
    for name in ("calls", "calls-summary"):
        assert api.get(url(name, line), AZAR_QUERY).status_code == 429
        assert api.get(url(name, line), {"from": "bad"}).status_code == 429  # the limit wins
    assert AuditLog.objects.filter(action="telecom.calls.search").count() == audited
    assert RateCounter.objects.get().hits == 2
