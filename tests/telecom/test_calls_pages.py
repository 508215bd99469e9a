"""The call-detail search page and its exports: the permission matrix, the form (Jalali and
Persian digits, errors naming the field), next/previous, the tenant's note, audit rows, the
rate limit and the query budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.digits import to_persian_digits
from subscribers.models import AuditLog
from telecom.models import CallType
from tests.billing.test_history import kiosk_client
from tests.factories import DistrictOfficeFactory, login_with_second_factor
from tests.requests_app.factories import office_staff
from tests.telecom.factories import telecom_operator
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


def page_url(line) -> str:
    return reverse("telecom:calls", args=[line.number])


def export_url(line) -> str:
    return reverse("telecom:calls-export", args=[line.number])


@pytest.fixture
def owner(client):
    user, line = owner_line()
    made = calls(line, *[at(AZAR_FIRST + dt.timedelta(days=i), 10 + i % 10) for i in range(3)])
    calls(line, at(AZAR_FIRST, 8), call_type=CallType.LOCAL, other="04133330000")
    client.force_login(user)
    return user, line, made


def test_owner_sees_the_calls_totals_and_export_links(client, owner):
    _user, line, _made = owner
    response = client.get(page_url(line), AZAR_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="call-row"') == 3
    assert to_persian_digits("09121234567") in page
    assert to_persian_digits("04133330000") not in page  # local calls never listed
    assert 'id="calls-total-count">۳<' in page
    assert "۳٬۰۰۰ ریال" in page  # 3 × 1,000 rials; the local call's cost is not counted
    assert 'id="export-csv"' in page and 'id="export-pdf"' in page
    assert "from=1403%2F09%2F01&amp;to=1403%2F09%2F30&amp;format=csv" in page
    assert 'value="۱۴۰۳/۰۹/۰۱"' in page  # the form shows what was searched
    assert response["Cache-Control"] == "private, no-store"
    assert "calls-lease-note" not in page


def test_without_dates_the_current_month_is_searched(client, owner):
    _user, line, _made = owner
    today_call = calls(line, at(dt.date.today(), 0, 0, 1))
    page = client.get(page_url(line)).content.decode()
    assert page.count('class="call-row"') == 1
    assert to_persian_digits(today_call[0].started_at.astimezone().strftime("%S")) in page


def test_persian_digits_in_every_input(client, owner):
    _user, line, _made = owner
    calls(line, at(AZAR_FIRST, 20), other="02188887777", call_type=CallType.INTERCITY)
    query = {**AZAR_QUERY, "other_number": "۰۲۱-۸۸۸۸ ۷۷۷۷", "call_type": "intercity"}
    page = client.get(page_url(line), query).content.decode()
    assert page.count('class="call-row"') == 1
    assert 'value="۰۲۱۸۸۸۸۷۷۷۷"' in page
    assert 'value="intercity" id="id_call_type_intercity" checked' in page
    # The line number in the address may be typed with Persian digits too.
    persian = reverse("telecom:calls", args=[to_persian_digits(line.number)])
    assert client.get(persian, AZAR_QUERY).status_code == 200


@pytest.mark.parametrize(
    ("query", "field_id", "words"),
    [
        ({"from": "۱۴۰۳/۱۳/۰۱"}, "id_from", "«از تاریخ»"),
        ({"from": "1403/09/10", "to": "1403/09/01"}, "id_to", "«تا تاریخ» نباید پیش از"),
        ({"from": "1402/01/01", "to": "1403/09/01"}, "id_to", "حداکثر ۱۲ ماه"),
        ({"call_type": "local"}, "id_call_type_intercity", "مکالمات شهری"),
        ({"other_number": "۱۲"}, "id_other_number", "«شماره طرف مقابل»"),
        ({"cursor": "not-a-cursor"}, None, "«صفحه»"),
    ],
)
def test_bad_input_is_a_400_that_names_the_field(client, owner, query, field_id, words):
    _user, line, _made = owner
    response = client.get(page_url(line), query)
    assert response.status_code == 400
    page = response.content.decode()
    assert words in page
    assert 'id="calls-errors"' in page
    if field_id:
        assert f'href="#{field_id}"' in page
    assert 'class="call-row"' not in page
    assert not AuditLog.objects.filter(action="telecom.calls.search").exists()


def test_next_and_previous_pages(client):
    user, line = owner_line()
    made = calls(line, *[at(AZAR_FIRST, 0, 0) + dt.timedelta(minutes=i) for i in range(55)])
    client.force_login(user)
    first = client.get(page_url(line), AZAR_QUERY).content.decode()
    assert first.count('class="call-row"') == 50
    assert 'id="calls-previous"' not in first and 'id="calls-first"' not in first
    next_url = first.split('id="calls-next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_url).content.decode()
    assert second.count('class="call-row"') == 5
    assert 'id="calls-next"' not in second and 'id="calls-previous"' in second
    oldest = min(made, key=lambda c: c.started_at)
    assert to_persian_digits(oldest.started_at.astimezone().strftime("%H:%M:%S")) in second


def test_tenant_sees_the_lease_note_and_only_lease_calls(client):
    lease_start = dt.date(2024, 12, 1)
    owner, line = owner_line()
    tenant, _line = tenant_line(
        lease_start=lease_start, lease_end=dt.date.today() + dt.timedelta(200), line=line
    )
    calls(line, at(AZAR_FIRST, 9), other="09120000001")
    calls(line, at(lease_start, 9), other="09120000002")
    client.force_login(tenant)
    page = client.get(page_url(line), AZAR_QUERY).content.decode()
    assert 'id="calls-lease-note"' in page and "دوره اجاره" in page
    assert 'id="calls-clipped-note"' in page
    assert to_persian_digits("09120000002") in page
    assert to_persian_digits("09120000001") not in page
    client.force_login(owner)
    page = client.get(page_url(line), AZAR_QUERY).content.decode()
    assert to_persian_digits("09120000001") in page and 'id="calls-lease-note"' not in page


def test_tenant_before_the_lease_sees_an_empty_window(client):
    tenant, line = tenant_line(
        lease_start=dt.date(2024, 12, 10), lease_end=dt.date.today() + dt.timedelta(200)
    )
    calls(line, at(AZAR_FIRST, 9))
    client.force_login(tenant)
    response = client.get(page_url(line), {"from": "1403/09/01", "to": "1403/09/15"})
    assert response.status_code == 200
    assert 'id="calls-outside"' in response.content.decode()


def test_tenant_after_the_lease_end_gets_404(client):
    tenant, line = tenant_line(
        lease_start=dt.date(2024, 1, 1), lease_end=dt.date.today() - dt.timedelta(days=1)
    )
    calls(line, at(AZAR_FIRST, 9))
    client.force_login(tenant)
    assert client.get(page_url(line), AZAR_QUERY).status_code == 404
    assert client.get(export_url(line), {**AZAR_QUERY, "format": "csv"}).status_code == 404


@pytest.mark.parametrize("who", ["another subscriber", "staff of another office", "operator"])
def test_what_is_not_yours_is_404(client, owner, who):
    _user, line, _made = owner
    if who == "another subscriber":
        _their, _their_line = owner_line()
        client.force_login(_their)
    elif who == "staff of another office":
        login_with_second_factor(client, office_staff(DistrictOfficeFactory()))
    else:  # even the telecom-center operator of the line's own center: admin is for staff
        login_with_second_factor(client, telecom_operator(line.subscription.office))
    assert client.get(page_url(line), AZAR_QUERY).status_code == 404
    assert client.get(export_url(line), {**AZAR_QUERY, "format": "csv"}).status_code == 404
    assert client.get(reverse("telecom:calls", args=["04100000000"])).status_code == 404
    assert not AuditLog.objects.filter(action__startswith="telecom.calls").exists()


def test_a_linked_but_not_activated_line_is_404(client):
    from tests.factories import SubscriptionLinkFactory
    from tests.telecom.factories import PhoneLineFactory

    line = PhoneLineFactory()
    link = SubscriptionLinkFactory(subscription=line.subscription, role="owner")
    client.force_login(link.user)
    assert client.get(page_url(line)).status_code == 404


def test_anonymous_is_sent_to_login(client, owner):
    _user, line, _made = owner
    client.logout()
    for url in (page_url(line), export_url(line)):
        response = client.get(url, AZAR_QUERY)
        assert response.status_code == 302
        assert reverse("subscribers:login") in response["Location"]


def test_every_search_is_audited_without_the_other_numbers(client, owner):
    user, line, _made = owner
    client.get(page_url(line), {**AZAR_QUERY, "call_type": "mobile"})
    row = AuditLog.objects.get(action="telecom.calls.search")
    assert row.actor == user and row.on_behalf_of is None
    assert (row.object_type, row.object_id) == ("telecom.phoneline", str(line.pk))
    details = row.details
    assert details["line"] == line.number and details["kind"] == "page"
    assert details["filters"] == {
        "from": "2024-11-21",
        "to": "2024-12-20",
        "call_types": ["mobile"],
        "other_number": "",
    }
    assert (details["rows"], details["total"], details["clipped"]) == (3, 3, False)
    assert "09121234567" not in str(details)


def test_kiosk_operator_search_is_audited_with_the_operator_as_actor(client):
    user, line = owner_line()
    calls(line, at(AZAR_FIRST, 9))
    operator = kiosk_client(client, user)
    assert client.get(page_url(line), AZAR_QUERY).status_code == 200
    row = AuditLog.objects.get(action="telecom.calls.search")
    assert (row.actor, row.on_behalf_of, row.kiosk) == (operator.user, user, operator.kiosk)


def test_searches_are_rate_limited_per_user(client, owner, settings):
    settings.TELECOM_CALL_SEARCHES_PER_MINUTE = 2
    _user, line, _made = owner
    assert client.get(page_url(line), AZAR_QUERY).status_code == 200
    assert client.get(page_url(line), AZAR_QUERY).status_code == 200
    response = client.get(page_url(line), AZAR_QUERY)
    assert response.status_code == 429
    assert "بیش از حد مجاز" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert AuditLog.objects.filter(action="telecom.calls.search").count() == 2
    # Another user is counted apart.
    other, other_line = owner_line()
    client.force_login(other)
    assert client.get(page_url(other_line), AZAR_QUERY).status_code == 200


def test_page_query_budget_is_the_same_at_1_and_50_rows(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    user, line = owner_line()
    calls(line, at(AZAR_FIRST, 9))
    client.force_login(user)
    client.get(page_url(line), AZAR_QUERY)  # the session's first request does bookkeeping
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as one:
        response = client.get(page_url(line), AZAR_QUERY)
    assert response.content.decode().count('class="call-row"') == 1
    calls(line, *[at(AZAR_FIRST, 10) + dt.timedelta(minutes=i) for i in range(60)])
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(page_url(line), AZAR_QUERY)
    assert response.content.decode().count('class="call-row"') == 50


def test_mobile_layout_has_no_fixed_width_table(client, owner):
    _user, line, _made = owner
    page = client.get(page_url(line), AZAR_QUERY).content.decode()
    assert '<meta name="viewport"' in page
    assert "@media (max-width: 575.98px)" in page and "data-label=" in page


def test_local_calls_are_never_counted_on_the_page(client):
    user, line = owner_line()
    calls(line, at(AZAR_FIRST, 9), call_type=CallType.LOCAL)
    client.force_login(user)
    page = client.get(page_url(line), AZAR_QUERY).content.decode()
    assert 'id="calls-total-count">۰<' in page and 'id="calls-none"' in page
    assert 'id="export-csv"' not in page
    page = client.get(page_url(line), {**AZAR_QUERY, "call_type": "local"})
    assert page.status_code == 400


def test_export_from_the_page_carries_the_filter(client, owner):
    _user, line, _made = owner
    calls(line, at(AZAR_LAST, 9), call_type=CallType.INTERNATIONAL, other="00442071234567")
    response = client.get(
        export_url(line), {**AZAR_QUERY, "call_type": "international", "format": "csv"}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "00442071234567" in body and "09121234567" not in body
    assert response["Content-Disposition"] == (
        f'attachment; filename="calls-{line.number}-20241121-20241220.csv"'
    )
    row = AuditLog.objects.get(action="telecom.calls.export")
    assert row.details["format"] == "csv" and row.details["rows"] == 1


def test_export_page_errors_are_shown_on_the_search_page(client, owner):
    _user, line, _made = owner
    response = client.get(export_url(line), {**AZAR_QUERY, "format": "xls"})
    assert response.status_code == 400
    assert "«قالب خروجی»" in response.content.decode()
    response = client.get(export_url(line), {"from": "bad", "format": "csv"})
    assert response.status_code == 400 and "«از تاریخ»" in response.content.decode()
    assert not AuditLog.objects.filter(action="telecom.calls.export").exists()


def test_exports_are_rate_limited(client, owner, settings):
    settings.TELECOM_CALL_EXPORTS_PER_HOUR = 1
    _user, line, _made = owner
    query = {**AZAR_QUERY, "format": "csv"}
    assert client.get(export_url(line), query).status_code == 200
    response = client.get(export_url(line), query)
    assert response.status_code == 429
    assert "دریافت فایل ریزمکالمات" in response.content.decode()
