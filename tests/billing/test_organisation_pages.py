"""An organisation's aggregated bills in pages: 50 rows a page with the filters kept in the
links, bad page numbers, totals over every filtered row (one aggregate query, equal to a
Python sum), downloads still whole, the API's cursor pages, and a query budget that is the
same at 1 row and at 120."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.selectors.organisations import (
    OrganisationBillFilters,
    OrganisationTotals,
    organisation_bills,
    organisation_totals,
)
from portal.digits import normalize_digits
from tests.billing.test_organisations import API, PAGE, link_subscriptions, organisation_with

pytestmark = pytest.mark.django_db


def _order_key(bill):
    sub = bill.subscription
    return (sub.company.kind, sub.company.name, sub.bill_id)


def _expected_totals(bills) -> OrganisationTotals:
    unpaid = [b for b in bills if not b.is_paid]
    return OrganisationTotals(
        count=len(bills),
        total_amount=sum(b.amount for b in bills),
        unpaid_count=len(unpaid),
        unpaid_amount=sum(b.balance for b in unpaid),
    )


@pytest.fixture
def org60():
    """60 subscriptions: 20 gas, 40 electricity; every other current bill paid."""
    return organisation_with(60)


# --- the page ------------------------------------------------------------------------------


def test_page_two_has_the_rest_in_order_and_totals_cover_every_row(client, org60):
    access, current = org60
    client.force_login(access.representative)
    url = reverse(PAGE, args=[access.pk])
    first = client.get(url)
    second = client.get(url, {"page": "2"})
    assert first.status_code == second.status_code == 200
    assert len(first.context["bills"]) == 50 and len(second.context["bills"]) == 10
    assert first.context["page"].number == 1 and second.context["page"].number == 2
    rows = first.context["bills"] + second.context["bills"]
    assert len({b.pk for b in rows}) == 60
    assert {b.pk for b in rows} == {b.pk for b in current}
    assert [_order_key(b) for b in rows] == sorted(_order_key(b) for b in current)
    expected = _expected_totals(current)
    assert first.context["totals"] == second.context["totals"] == expected
    html = second.content.decode()
    assert "صفحه ۲ از ۲" in html and "ردیف ۵۱ تا ۶۰ از ۶۰" in html
    assert f"{expected.total_amount:,}" in normalize_digits(html).replace("٬", ",")


def test_page_links_keep_the_filters(client):
    # 59 unpaid electricity bills and one paid: two pages of unpaid ones.
    access, _ = organisation_with(60, gas_every=1000, paid_every=1000)
    client.force_login(access.representative)
    url = reverse(PAGE, args=[access.pk])
    query = {"company_kind": "electricity", "status": "unpaid"}
    first = client.get(url, query).content.decode()
    assert 'href="?company_kind=electricity&amp;status=unpaid&amp;page=2"' in first
    # Downloads take the filters, never the page.
    assert 'href="?company_kind=electricity&amp;status=unpaid&amp;format=csv"' in first
    response = client.get(url, {**query, "page": "2"})
    bills = response.context["bills"]
    assert len(bills) == 9 and all(not b.is_paid for b in bills)
    assert response.context["totals"].count == 59
    html = response.content.decode()
    assert 'href="?company_kind=electricity&amp;status=unpaid&amp;page=1"' in html
    assert 'href="?company_kind=electricity&amp;status=unpaid&amp;format=pdf"' in html
    assert "page=2&amp;format" not in html and "page=2&amp;page" not in html


@pytest.mark.parametrize(
    "value, number",
    [
        ("۲", 2),
        ("٢", 2),
        ("2", 2),
        ("abc", 1),
        ("", 1),
        ("1.5", 1),
        ("999", 2),
        ("0", 2),
        ("-1", 2),
        ("9" * 40, 2),
    ],
)
def test_bad_or_persian_page_numbers_never_fail(client, org60, value, number):
    """Persian and Arabic-Indic digits are read; not a number → the first page; out of range
    → the last (Django's ``Paginator.get_page``, as on the requests list)."""
    access, _ = org60
    client.force_login(access.representative)
    response = client.get(reverse(PAGE, args=[access.pk]), {"page": value})
    assert response.status_code == 200
    assert response.context["page"].number == number
    assert len(response.context["bills"]) == (50 if number == 1 else 10)


def test_one_page_shows_no_page_links(client):
    access, _ = organisation_with(3)
    client.force_login(access.representative)
    html = client.get(reverse(PAGE, args=[access.pk])).content.decode()
    assert 'class="pagination' not in html


def test_downloads_hold_every_filtered_row_whatever_the_page(client, org60):
    access, current = org60
    client.force_login(access.representative)
    response = client.get(reverse(PAGE, args=[access.pk]), {"format": "csv", "page": "2"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 61
    assert {row[3] for row in rows[1:]} == {b.subscription.bill_id for b in current}


def test_combined_pdf_cap_refuses_without_loading_every_bill(client, org60, monkeypatch):
    """bills_pdf caps the combined print (``COMBINED_MAX_BILLS``); the view fetches one
    row past the cap, not all of them, to let it refuse."""
    monkeypatch.setattr("billing.pdf.COMBINED_MAX_BILLS", 2)
    monkeypatch.setattr("billing.views.organisations.COMBINED_MAX_BILLS", 2)
    access, _ = org60
    client.force_login(access.representative)
    url = reverse(PAGE, args=[access.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"format": "pdf", "company_kind": "gas"})
    assert response.status_code == 302
    bill_rows = [q["sql"] for q in queries.captured_queries if 'FROM "billing_bill"' in q["sql"]]
    assert bill_rows and all("LIMIT 3" in sql for sql in bill_rows)
    page = client.get(response["Location"])
    assert "چاپ یکجا حداکثر ۲ صورتحساب است" in page.content.decode()


# --- totals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        OrganisationBillFilters(),
        OrganisationBillFilters(paid=False),
        OrganisationBillFilters(paid=True),
        OrganisationBillFilters(company_kind="gas"),
        OrganisationBillFilters(company_kind="electricity", paid=False),
        OrganisationBillFilters(year=1403, period=4),
        OrganisationBillFilters(year=1399, period=1),
    ],
)
def test_totals_equal_a_python_sum_over_the_filtered_bills(org60, filters):
    access, current = org60
    # Partly paid bills: the balance is what is left, not the amount.
    for bill in current[1:12:2]:
        bill.paid_amount = bill.amount // 3
        bill.save(update_fields=["paid_amount"])
    bills = list(organisation_bills(access=access, filters=filters))
    totals = organisation_totals(access=access, filters=filters)
    assert totals == _expected_totals(bills)
    assert all(type(value) is int for value in vars(totals).values())


def test_totals_are_one_aggregate_query(org60, django_assert_num_queries):
    access, current = org60
    with django_assert_num_queries(1):
        totals = organisation_totals(access=access, filters=OrganisationBillFilters(paid=False))
    assert totals == _expected_totals([b for b in current if not b.is_paid])


# --- the API -------------------------------------------------------------------------------


def test_api_cursor_pages_cover_every_row_once_and_keep_the_filters(client):
    access, current = organisation_with(60, gas_every=1000, paid_every=1000)
    client.force_login(access.organisation)
    url = reverse(API, args=[access.pk])
    first = client.get(url, {"status": "unpaid"}).json()
    assert len(first["results"]) == 50 and first["previous"] is None
    assert first["totals"]["count"] == 59
    assert parse_qs(urlsplit(first["next"]).query)["status"] == ["unpaid"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 9 and second["next"] is None
    assert second["totals"] == first["totals"]
    uids = [row["uid"] for row in first["results"] + second["results"]]
    assert len(set(uids)) == 59
    assert set(uids) == {str(b.uid) for b in current if not b.is_paid}
    assert [row["bill_id"] for row in first["results"]] == sorted(
        row["bill_id"] for row in first["results"]
    )
    whole = client.get(url, {"page_size": "200"}).json()
    assert len(whole["results"]) == 60 and whole["next"] is None


def test_api_tampered_cursor_is_not_a_500(client, org60):
    access, _ = org60
    client.force_login(access.organisation)
    cursor = "bz1hYmMmcD0x"  # base64 of "o=abc&p=1": an offset that is not a number
    response = client.get(reverse(API, args=[access.pk]), {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- query budget --------------------------------------------------------------------------


def _measure(client, requests) -> list[int]:
    counts = []
    for name, args, query in requests:
        client.get(reverse(name, args=args), query)  # warm up: the session's first write
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name, args=args), query)
        assert response.status_code == 200
        counts.append(len(queries.captured_queries))
    return counts


def test_query_budget_is_the_same_at_1_and_120_rows(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    access, _ = organisation_with(1)
    client.force_login(access.representative)
    args = [access.pk]
    requests = [
        (PAGE, args, {}),
        # The one row is a paid electricity bill; page 2 of one page is page 1.
        (PAGE, args, {"page": "2", "status": "paid", "company_kind": "electricity"}),
        (API, args, {}),
        (API, args, {"status": "paid"}),
        (PAGE, args, {"format": "csv"}),
        (PAGE, args, {"format": "xlsx"}),
    ]
    at_one = _measure(client, requests)
    assert max(at_one) <= 8, at_one
    link_subscriptions(access.organisation, 119, paid_every=3)
    for (name, args, query), expected in zip(requests, at_one, strict=True):
        with django_assert_num_queries(expected):
            response = client.get(reverse(name, args=args), query)
        assert response.status_code == 200
    with django_assert_max_num_queries(8):
        page = client.get(reverse(PAGE, args=args))
    assert len(page.context["bills"]) == 50 and page.context["totals"].count == 120
    with django_assert_max_num_queries(8):
        body = client.get(reverse(API, args=args)).json()
    assert len(body["results"]) == 50 and body["totals"]["count"] == 120
