"""An organisation's aggregated bills: who may open the page and the API, totals, filters,
the CSV/XLSX exports read back and the combined PDF. Pagination, totals over every filtered
row and the query budget: test_organisation_pages.py."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from billing.selectors.organisations import (
    OrganisationBillFilters,
    organisation_bills,
    organisation_totals,
)
from billing.views.organisations import parse_period
from portal.digits import normalize_digits
from tests.billing.factories import BillFactory, paid
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    LegalProfileFactory,
    OrganisationAccessFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    UtilityCompanyFactory,
)

pytestmark = pytest.mark.django_db

PAGE = "billing:organisation-bills"
API = "billing_api:organization-bills"


def organisation_with(count: int, *, gas_every: int = 3, paid_every: int = 2):
    """A legal person with ``count`` subscriptions (every ``gas_every``-th one gas, the rest
    electricity; two cities), each with an older paid bill and a current bill, every
    ``paid_every``-th current bill paid; and an approved access. Returns (access, current)."""
    organisation = LegalProfileFactory(company_name="دانشگاه نمونه").user
    current = link_subscriptions(organisation, count, gas_every=gas_every, paid_every=paid_every)
    access = OrganisationAccessFactory(organisation=organisation, status="approved")
    return access, current


def link_subscriptions(organisation, count: int, *, gas_every: int = 3, paid_every: int = 2):
    """``count`` more subscriptions linked to ``organisation`` (see ``organisation_with``);
    returns their current bills."""
    electricity = DistrictOfficeFactory(company=UtilityCompanyFactory(kind="electricity"))
    gas = DistrictOfficeFactory(company=UtilityCompanyFactory(kind="gas"))
    cities = [CityFactory(name="تبریز"), CityFactory(name="مراغه")]
    current = []
    for index in range(count):
        office = gas if index % gas_every == gas_every - 1 else electricity
        subscription = SubscriptionFactory(office=office, city=cities[index % 2])
        SubscriptionLinkFactory(user=organisation, subscription=subscription)
        paid(BillFactory(subscription=subscription, year=1403, period=4))
        bill = BillFactory(
            subscription=subscription, year=1403, period=5, amount=1_000_000 + index * 1_000
        )
        if index % paid_every == 0:
            paid(bill)
        current.append(bill)
    return current


@pytest.fixture
def org():
    return organisation_with(6)


def test_rows_are_each_subscriptions_latest_bill_with_totals(org):
    access, current = org
    bills = organisation_bills(access=access)
    assert sorted(b.pk for b in bills) == sorted(b.pk for b in current)
    totals = organisation_totals(access=access)
    unpaid = [b for b in current if not b.is_paid]
    assert totals.count == 6
    assert totals.total_amount == sum(b.amount for b in current)
    assert totals.unpaid_count == len(unpaid) == 3
    assert totals.unpaid_amount == sum(b.amount for b in unpaid)


def test_filters_kind_paid_city_period(org):
    access, current = org
    gas = organisation_bills(access=access, filters=OrganisationBillFilters(company_kind="gas"))
    assert {b.subscription.company.kind for b in gas} == {"gas"} and len(gas) == 2
    unpaid = organisation_bills(access=access, filters=OrganisationBillFilters(paid=False))
    assert all(not b.is_paid for b in unpaid) and len(unpaid) == 3
    paid_rows = organisation_bills(access=access, filters=OrganisationBillFilters(paid=True))
    assert all(b.is_paid for b in paid_rows) and len(paid_rows) == 3
    city = current[0].subscription.city
    in_city = organisation_bills(access=access, filters=OrganisationBillFilters(city_id=city.pk))
    assert {b.subscription.city_id for b in in_city} == {city.pk} and len(in_city) == 3
    older = organisation_bills(access=access, filters=OrganisationBillFilters(year=1403, period=4))
    assert {(b.year, b.period) for b in older} == {(1403, 4)} and len(older) == 6
    assert all(b.latest_pk != b.pk for b in older)  # not payable any more


def test_unlinked_and_other_subscriptions_are_not_rows(org):
    access, current = org
    stranger_bill = BillFactory()
    link = current[0].subscription.links.get()
    link.ended_at = link.created_at
    link.save(update_fields=["ended_at"])
    pks = {b.pk for b in organisation_bills(access=access)}
    assert stranger_bill.pk not in pks and current[0].pk not in pks and len(pks) == 5


@pytest.mark.parametrize("value, expected", [("1403/05", (1403, 5)), ("۱۴۰۳-۰۵", (1403, 5))])
def test_parse_period(value, expected):
    assert parse_period(value) == expected


@pytest.mark.parametrize("value", ["1403", "05/1403", "abc", "1403/0", "1403/x5"])
def test_parse_period_refuses(value):
    with pytest.raises(ValueError):
        parse_period(value)


# --- who may open it -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [PAGE, API])
def test_organisation_and_representative_see_it(client, org, name):
    access, _ = org
    for user in (access.organisation, access.representative):
        client.force_login(user)
        assert client.get(reverse(name, args=[access.pk])).status_code == 200


@pytest.mark.parametrize("name", [PAGE, API])
@pytest.mark.parametrize("status", ["pending", "rejected", "revoked"])
def test_access_not_approved_is_404(client, org, name, status):
    access, _ = org
    access.status = status
    access.save(update_fields=["status"])
    for user in (access.organisation, access.representative):
        client.force_login(user)
        assert client.get(reverse(name, args=[access.pk])).status_code == 404


@pytest.mark.parametrize("name", [PAGE, API])
def test_strangers_get_404(client, org, name):
    access, current = org
    other_org_access = OrganisationAccessFactory(status="approved")
    strangers = [
        UserFactory(),
        StaffFactory(),
        StaffFactory(office=current[0].subscription.office),
        other_org_access.representative,
        # Someone linked to one of the organisation's subscriptions is still not the org.
        SubscriptionLinkFactory(subscription=current[0].subscription, user=UserFactory()).user,
    ]
    for user in strangers:
        client.force_login(user)
        assert client.get(reverse(name, args=[access.pk])).status_code == 404
    client.force_login(access.representative)
    assert client.get(reverse(name, args=[access.pk + 999])).status_code == 404


def test_anonymous_goes_to_login(client, org):
    access, _ = org
    assert client.get(reverse(PAGE, args=[access.pk])).status_code == 302


# --- the page ------------------------------------------------------------------------------


def test_page_shows_rows_totals_and_payment_ids_only_for_payable(client, org):
    access, current = org
    client.force_login(access.representative)
    response = client.get(reverse(PAGE, args=[access.pk]))
    html = normalize_digits(response.content.decode()).replace("٬", ",")
    assert "دانشگاه نمونه" in html
    total = sum(b.amount for b in current)
    assert f"{total:,}" in html
    for bill in current:
        assert (bill.payment_id in html) is (not bill.is_paid)
        assert str(bill.uid) in html


def test_bad_filters_give_persian_errors_and_no_rows(client, org):
    access, _ = org
    client.force_login(access.representative)
    response = client.get(
        reverse(PAGE, args=[access.pk]),
        {"period": "۱۴۰۳", "status": "x", "company_kind": "water", "city": "99999"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "دوره: سال و شماره دوره را مانند ۱۴۰۳/۰۵ وارد کنید." in text
    assert "وضعیت پرداخت: یکی از گزینه‌های فهرست را انتخاب کنید." in text
    assert "نوع خدمت: یکی از گزینه‌های فهرست را انتخاب کنید." in text
    assert "شهر: یکی از شهرهای فهرست را انتخاب کنید." in text
    assert response.context["bills"] == []


def test_api_rows_totals_filters_and_errors(client, org):
    access, current = org
    client.force_login(access.organisation)
    url = reverse(API, args=[access.pk])
    body = client.get(url, {"status": "unpaid"}).json()
    assert body["totals"]["count"] == 3
    assert all(row["payment_id"] for row in body["results"])
    assert {row["uid"] for row in body["results"]} == {str(b.uid) for b in current if not b.is_paid}
    older = client.get(url, {"period": "1403/04"}).json()
    assert all(row["payment_id"] is None for row in older["results"])
    bad = client.get(url, {"period": "x"})
    assert bad.status_code == 400
    assert "period" in bad.json()["error"]["fields"]


# --- exports -------------------------------------------------------------------------------


def test_csv_has_bom_and_every_row(client, org):
    access, current = org
    client.force_login(access.representative)
    response = client.get(reverse(PAGE, args=[access.pk]), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="organisation-{access.pk}-bills.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "نوع خدمت" and len(rows) == 7
    by_bill_id = {row[3]: row for row in rows[1:]}
    for bill in current:
        row = by_bill_id[bill.subscription.bill_id]
        assert row[6] == "1403/05" and int(row[11]) == bill.amount
        assert row[16] == ("" if bill.is_paid else bill.payment_id)


def test_csv_neutralises_formulas(client, org):
    access, current = org
    subscription = current[0].subscription
    subscription.address = '=HYPERLINK("http://x")'
    subscription.save(update_fields=["address"])
    client.force_login(access.representative)
    response = client.get(reverse(PAGE, args=[access.pk]), {"format": "csv"})
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")


def test_xlsx_reads_back(client, org):
    access, current = org
    client.force_login(access.representative)
    response = client.get(
        reverse(PAGE, args=[access.pk]), {"format": "xlsx", "company_kind": "electricity"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    electricity = [b for b in current if b.subscription.company.kind == "electricity"]
    assert len(rows) == 1 + len(electricity)
    assert sorted(row[11] for row in rows[1:]) == sorted(b.amount for b in electricity)
    assert all(isinstance(row[11], int) for row in rows[1:])


def _pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "combined.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def test_combined_pdf_prints_unpaid_by_default_one_page_each(client, org, tmp_path):
    access, current = org
    client.force_login(access.representative)
    url = reverse(PAGE, args=[access.pk])
    response = client.get(url, {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert _pages(response.content, tmp_path) == 3
    path = tmp_path / "combined.pdf"
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = normalize_digits(re.sub("[\u200e\u200f\u202a-\u202e]", "", text))
    for bill in current:
        assert (bill.payment_id in text) is (not bill.is_paid)
    filtered = client.get(url, {"format": "pdf", "company_kind": "gas"})
    assert _pages(filtered.content, tmp_path) == 2


def test_combined_pdf_with_nothing_to_print_explains(client, org):
    access, _ = org
    client.force_login(access.representative)
    url = reverse(PAGE, args=[access.pk])
    response = client.get(url, {"format": "pdf", "period": "1399/01"}, follow=True)
    assert response.status_code == 200
    assert "صورتحسابی برای چاپ با این فیلترها وجود ندارد." in response.content.decode()
