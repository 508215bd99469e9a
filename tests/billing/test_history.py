"""Bill history pages: the bills home, history by bill ID and start year, one bill, and the
CSV download — with the owner, a tenant (lease-bounded), another subscriber, staff of another
office, a kiosk operator acting for the citizen and an anonymous visitor."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import jdatetime
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Bill
from billing.selectors.bills import bill_access_for_user, payable_bill
from billing.selectors.history import bill_history, default_from_year
from portal.digits import to_persian_digits
from portal.identifiers import generate_bill_id
from subscribers.middleware import ON_BEHALF_SESSION_KEY
from subscribers.models import AuditLog, OnBehalfSession, SubscriptionLink
from subscribers.services.kiosk import kiosk_session_start
from tests.billing.factories import BillFactory, jalali_month, paid
from tests.factories import (
    DistrictOfficeFactory,
    KioskOperatorFactory,
    SubscriptionLinkFactory,
    UserFactory,
    login_with_second_factor,
)
from tests.requests_app.factories import office_staff, owned_subscription

pytestmark = pytest.mark.django_db

HOME = reverse("billing:home")
HISTORY = reverse("billing:history")
EXPORT = reverse("billing:export")


# --- helpers shared by the billing test modules ---------------------------------------------


def make_history(subscription, *, years=(1403, 1404), periods=range(1, 7)) -> list[Bill]:
    """Monthly bills for ``years`` × ``periods`` (consumption differs per bill), all paid
    except the latest one. Returned oldest first."""
    bills = [
        BillFactory(
            subscription=subscription,
            year=year,
            period=period,
            consumption=100 * period + (year - 1400),
            amount=1_000_000 + 10_000 * period + 1_000 * (year - 1400),
            tax=80_000,
        )
        for year in years
        for period in periods
    ]
    for bill in bills[:-1]:
        paid(bill)
    return bills


def kiosk_client(client, citizen):
    """``client`` logged in as a kiosk operator with an open on-behalf session for
    ``citizen``; returns the operator."""
    operator = KioskOperatorFactory()
    session = kiosk_session_start(
        operator=operator.user, citizen=citizen, kiosk=operator.kiosk,
        consent=OnBehalfSession.Consent.OTP, client_ip=None,
    )  # fmt: skip
    login_with_second_factor(client, operator.user)
    django_session = client.session
    django_session[ON_BEHALF_SESSION_KEY] = session.pk
    django_session.save()
    return operator


def unknown_bill_id() -> str:
    """A bill ID with a valid check digit that belongs to no subscription."""
    return generate_bill_id(file_code=99_999_999, company_code="987", service_type=2)


def jalali_month_offset(offset: int) -> tuple[int, int]:
    """(year, month) of the Jalali month ``offset`` months from this one."""
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    index = today.year * 12 + (today.month - 1) + offset
    return index // 12, index % 12 + 1


def tenant_setup():
    """A subscription with an owner and a tenant whose lease starts three days into the month
    six months ago and ends three days before the end of next month. Returns
    ``(owner, tenant, subscription, inside, before, after)``."""
    owner, subscription = owned_subscription()
    start_year, start_month = jalali_month_offset(-6)
    end_year, end_month = jalali_month_offset(1)
    lease_start = jalali_month(start_year, start_month)[0] + dt.timedelta(days=3)
    lease_end = jalali_month(end_year, end_month)[1] - dt.timedelta(days=3)
    tenant = UserFactory()
    SubscriptionLinkFactory(
        user=tenant,
        subscription=subscription,
        role=SubscriptionLink.Role.TENANT,
        lease_start=lease_start,
        lease_end=lease_end,
    )
    bills = {}
    for offset in range(-7, 2):
        year, month = jalali_month_offset(offset)
        bills[offset] = BillFactory(subscription=subscription, year=year, period=month)
    inside = [bills[o] for o in range(-5, 1)]
    return owner, tenant, subscription, inside, bills[-6], bills[1]


def _url(bill_id, year=None) -> str:
    query = f"?bill_id={bill_id}"
    if year is not None:
        query += f"&from_year={year}"
    return HISTORY + query


@pytest.fixture
def owner_history(client):
    user, subscription = owned_subscription()
    bills = make_history(subscription)
    client.force_login(user)
    return user, subscription, bills


# --- bills home -----------------------------------------------------------------------------


def test_home_needs_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert reverse("subscribers:login") in response["Location"]


def test_home_lists_my_subscriptions_with_a_history_link(client):
    user, subscription = owned_subscription()
    _other_user, other = owned_subscription()
    client.force_login(user)
    page = client.get(HOME).content.decode()
    assert to_persian_digits(subscription.bill_id) in page
    assert f"{HISTORY}?bill_id={subscription.bill_id}" in page
    assert to_persian_digits(other.bill_id) not in page
    assert 'name="from_year"' in page


def test_bills_section_links_to_the_bill_pages(client):
    page = client.get(reverse("requests_app:section-bills")).content.decode()
    for name in ("billing:home", "billing:history", "billing:lookup"):
        assert f'href="{reverse(name)}"' in page


# --- history --------------------------------------------------------------------------------


def test_history_needs_login(client):
    response = client.get(_url(unknown_bill_id(), 1403))
    assert response.status_code == 302
    assert reverse("subscribers:login") in response["Location"]


def test_history_without_a_query_shows_the_form(client, owner_history):
    response = client.get(HISTORY)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="bill_id"' in page
    assert "history-table" not in page


def test_owner_sees_every_period_with_consumption_amount_status_and_payments(client, owner_history):
    _user, subscription, bills = owner_history
    response = client.get(_url(subscription.bill_id, 1403))
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", page, flags=re.S)
    assert len(rows) == len(bills) == 12
    newest_first = sorted(bills, key=lambda b: (b.year, b.period), reverse=True)
    for row, bill in zip(rows, newest_first, strict=True):
        assert f"{to_persian_digits(bill.year)}/{to_persian_digits(f'{bill.period:02d}')}" in row
        assert to_persian_digits(f"{bill.consumption:,}".replace(",", "٬")) in row
        assert to_persian_digits(f"{bill.amount:,}".replace(",", "٬")) in row
        assert reverse("billing:bill-detail", args=[bill.uid]) in row
        assert reverse("billing:bill-pdf", args=[bill.uid]) in row
        if bill.is_paid:
            assert "پرداخت‌شده" in row
            payment = bill.payments.get()
            assert to_persian_digits(payment.reference) in row
            assert "بانک" in row
        else:
            assert "پرداخت‌نشده" in row
    assert "کیلووات‌ساعت" in page
    assert "format=csv" in page and "format=espi" in page


def test_only_the_latest_unpaid_bill_shows_its_bill_id_and_payment_id(client, owner_history):
    _user, subscription, bills = owner_history
    page = client.get(_url(subscription.bill_id, 1403)).content.decode()
    latest = bills[-1]
    assert page.count("payable-payment-id") == 1
    assert to_persian_digits(latest.payment_id) in page
    for older in bills[:-1]:
        assert to_persian_digits(older.payment_id) not in page
        assert older.payment_id not in page


def test_history_payable_is_payable_bills_choice(owner_history):
    user, subscription, bills = owner_history
    access = bill_access_for_user(user=user, bill_id=subscription.bill_id)
    for year in (1403, 1404):
        assert bill_history(access=access, from_year=year).payable.uid == bills[-1].uid
    assert payable_bill(access=access) == bills[-1]
    paid(bills[-1])
    assert bill_history(access=access, from_year=1403).payable is None
    assert payable_bill(access=access) is None


def test_no_payable_box_when_the_latest_bill_is_paid(client, owner_history):
    _user, subscription, bills = owner_history
    paid(bills[-1])
    page = client.get(_url(subscription.bill_id, 1403)).content.decode()
    assert "payable-payment-id" not in page
    assert "قبض پرداخت‌نشده‌ای ندارید" in page


def test_start_year_filters_and_the_chart_compares_with_the_year_before(client, owner_history):
    _user, subscription, bills = owner_history
    response = client.get(_url(subscription.bill_id, 1404))
    page = response.content.decode()
    shown = [b for b in bills if b.year == 1404]
    assert len(re.findall(r"<tr>\s*<th scope=\"row\"", page)) == len(shown)
    data = json.loads(
        re.search(
            r'<script id="consumption-chart-data" type="application/json">(.*?)</script>',
            page,
            flags=re.S,
        ).group(1)
    )
    assert data["labels"] == [f"1404/{p:02d}" for p in range(1, 7)]
    assert data["current"] == [100 * p + 4 for p in range(1, 7)]
    assert data["previous"] == [100 * p + 3 for p in range(1, 7)]
    assert data["unit"] == "کیلووات‌ساعت"
    assert "js/billing-chart.js" in page
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_chart_has_a_gap_where_the_year_before_had_no_bill(client, owner_history):
    _user, subscription, _bills = owner_history
    page = client.get(_url(subscription.bill_id, 1403)).content.decode()
    raw = re.search(r'id="consumption-chart-data" type="application/json">(.*?)</script>', page)
    data = json.loads(raw.group(1))
    assert data["previous"][:6] == [None] * 6
    assert data["previous"][6:] == [100 * p + 3 for p in range(1, 7)]


def test_persian_digits_in_bill_id_and_year_are_accepted(client, owner_history):
    _user, subscription, _bills = owner_history
    response = client.get(_url(to_persian_digits(subscription.bill_id), "۱۴۰۴"))
    assert response.status_code == 200
    assert len(re.findall(r"<tr>\s*<th scope=\"row\"", response.content.decode())) == 6


def test_default_start_year_is_the_last_five_years(client):
    user, subscription = owned_subscription()
    old = BillFactory(subscription=subscription, year=default_from_year() - 1, period=1)
    recent = BillFactory(subscription=subscription, year=default_from_year(), period=1)
    client.force_login(user)
    page = client.get(_url(subscription.bill_id)).content.decode()
    assert reverse("billing:bill-detail", args=[recent.uid]) in page
    assert reverse("billing:bill-detail", args=[old.uid]) not in page


@pytest.mark.parametrize(
    ("bill_id", "year", "field", "text"),
    [
        ("12345", "1403", "bill_id", "شناسه قبض"),
        ("abc-def", "1403", "bill_id", "شناسه قبض"),
        ("", "1403", "bill_id", "شناسه قبض"),
        (None, "14x3", "from_year", "«سال شروع»"),
        (None, "1200", "from_year", "«سال شروع»"),
        (None, "9999", "from_year", "«سال شروع»"),
        (None, "14030", "from_year", "«سال شروع»"),
    ],
)
def test_bad_input_is_a_persian_field_error(client, owner_history, bill_id, year, field, text):
    _user, subscription, _bills = owner_history
    response = client.get(_url(subscription.bill_id if bill_id is None else bill_id, year))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}-error"' in page
    error = re.search(rf'id="id_{field}-error">(.*?)</div>', page).group(1)
    assert text in error
    assert "history-table" not in page


def test_someone_elses_bill_id_looks_exactly_like_an_unknown_one(client, owner_history):
    _other, other_subscription = owned_subscription()
    make_history(other_subscription, years=(1404,), periods=range(1, 3))
    theirs = client.get(_url(other_subscription.bill_id, 1403))
    unknown = client.get(_url(unknown_bill_id(), 1403))
    assert theirs.status_code == unknown.status_code == 404

    def error(response):
        return re.search(r'id="id_bill_id-error">(.*?)</div>', response.content.decode()).group(1)

    assert error(theirs) == error(unknown)
    assert "«شناسه قبض»" in error(theirs)
    assert "history-table" not in theirs.content.decode()


def test_staff_of_another_office_get_not_found(client, owner_history):
    _user, subscription, _bills = owner_history
    login_with_second_factor(client, office_staff(DistrictOfficeFactory()))
    response = client.get(_url(subscription.bill_id, 1403))
    assert response.status_code == 404
    assert "history-table" not in response.content.decode()


def test_tenant_sees_only_periods_inside_the_lease(client):
    _owner, tenant, subscription, inside, before, after = tenant_setup()
    client.force_login(tenant)
    page = client.get(_url(subscription.bill_id, before.year - 1)).content.decode()
    for bill in inside:
        assert reverse("billing:bill-detail", args=[bill.uid]) in page
    assert reverse("billing:bill-detail", args=[before.uid]) not in page
    assert reverse("billing:bill-detail", args=[after.uid]) not in page
    assert "مستأجر" in page


def test_owner_sees_the_periods_a_tenant_cannot(client):
    owner, _tenant, subscription, inside, before, after = tenant_setup()
    client.force_login(owner)
    page = client.get(_url(subscription.bill_id, before.year - 1)).content.decode()
    for bill in [before, *inside, after]:
        assert reverse("billing:bill-detail", args=[bill.uid]) in page


def test_kiosk_operator_acting_for_the_owner_sees_it_and_it_is_audited(client):
    user, subscription = owned_subscription()
    bills = make_history(subscription, years=(1404,), periods=range(1, 3))
    operator = kiosk_client(client, user)
    response = client.get(_url(subscription.bill_id, 1404))
    assert response.status_code == 200
    assert reverse("billing:bill-detail", args=[bills[0].uid]) in response.content.decode()
    row = AuditLog.objects.get(action="billing.history.view")
    assert (row.actor, row.on_behalf_of, row.kiosk) == (operator.user, user, operator.kiosk)
    assert row.details == {"bill_id": subscription.bill_id, "from_year": 1404}


def test_own_view_writes_no_kiosk_audit_row(client, owner_history):
    _user, subscription, _bills = owner_history
    client.get(_url(subscription.bill_id, 1403))
    assert not AuditLog.objects.filter(action__startswith="billing.").exists()


def _history_queries(client, subscription) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(_url(subscription.bill_id, 1300))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _periods(subscription, count: int) -> None:
    for index in range(count):
        year, period = 1395 + index // 12, index % 12 + 1
        bill = BillFactory(subscription=subscription, year=year, period=period)
        if index % 2:
            paid(bill)


def test_history_query_count_is_the_same_at_1_and_50_periods(client):
    one_user, one = owned_subscription()
    _periods(one, 1)
    fifty_user, fifty = owned_subscription()
    _periods(fifty, 50)
    client.force_login(one_user)
    at_one = _history_queries(client, one)
    client.force_login(fifty_user)
    at_fifty = _history_queries(client, fifty)
    assert at_one == at_fifty <= 8


def test_history_with_120_periods_stays_within_8_queries(client, django_assert_max_num_queries):
    user, subscription = owned_subscription()
    _periods(subscription, 120)
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(_url(subscription.bill_id, 1300))
    assert len(re.findall(r"<tr>\s*<th scope=\"row\"", response.content.decode())) == 120


# --- one bill -------------------------------------------------------------------------------


def test_bill_detail_shows_every_line_item_and_the_payable_ids(client):
    user, subscription = owned_subscription()
    bill = BillFactory(
        subscription=subscription,
        year=1404,
        period=3,
        previous_reading=5_000,
        consumption=320,
        energy=900_000,
        energy_tiers=[
            {"up_to": 100, "units": 100, "rate": 300, "amount": 30_000},
            {"up_to": None, "units": 220, "rate": 3_954, "amount": 870_000},
        ],
        subscription_fee=50_000,
        tax=95_000,
        duties=15_000,
        debt=120_000,
        adjustment=-10_000,
        amount=1_170_000,
    )
    client.force_login(user)
    response = client.get(reverse("billing:bill-detail", args=[bill.uid]))
    assert response.status_code == 200
    page = response.content.decode()
    for value in (900_000, 30_000, 870_000, 50_000, 95_000, 15_000, 120_000, 1_170_000, 320):
        assert to_persian_digits(f"{value:,}".replace(",", "٬")) in page
    assert to_persian_digits("-۱۰٬۰۰۰") in page
    for label in ("بهای مصرف", "آبونمان", "مالیات بر ارزش افزوده", "عوارض", "بدهی قبلی"):
        assert label in page
    assert "کسر و اضافه" in page
    assert to_persian_digits("5000") in page and to_persian_digits("5320") in page
    assert "payable-payment-id" in page
    assert to_persian_digits(bill.payment_id) in page
    assert to_persian_digits(subscription.bill_id) in page
    assert reverse("billing:bill-pdf", args=[bill.uid]) in page


def test_older_bill_shows_its_items_but_not_its_ids(client, owner_history):
    _user, _subscription, bills = owner_history
    older = bills[0]
    page = client.get(reverse("billing:bill-detail", args=[older.uid])).content.decode()
    assert "payable-payment-id" not in page
    assert to_persian_digits(older.payment_id) not in page
    assert to_persian_digits(older.payments.get().reference) in page


def test_unpaid_older_bill_explains_where_its_debt_went(client):
    user, subscription = owned_subscription()
    older = BillFactory(subscription=subscription, year=1404, period=1)
    BillFactory(subscription=subscription, year=1404, period=2)
    client.force_login(user)
    page = client.get(reverse("billing:bill-detail", args=[older.uid])).content.decode()
    assert "payable-payment-id" not in page
    assert "فقط روی آخرین قبض پرداخت‌نشده" in page


@pytest.mark.parametrize("who", ["other_subscriber", "other_office_staff"])
def test_bill_detail_is_404_for_others(client, owner_history, who):
    _user, _subscription, bills = owner_history
    if who == "other_subscriber":
        client.force_login(owned_subscription()[0])
    else:
        login_with_second_factor(client, office_staff(DistrictOfficeFactory()))
    response = client.get(reverse("billing:bill-detail", args=[bills[0].uid]))
    assert response.status_code == 404


def test_bill_detail_needs_login(client, owner_history):
    _user, _subscription, bills = owner_history
    client.logout()
    response = client.get(reverse("billing:bill-detail", args=[bills[0].uid]))
    assert response.status_code == 302


def test_tenant_cannot_open_a_bill_from_before_the_lease(client):
    _owner, tenant, _subscription, inside, before, _after = tenant_setup()
    client.force_login(tenant)
    assert client.get(reverse("billing:bill-detail", args=[before.uid])).status_code == 404
    assert client.get(reverse("billing:bill-detail", args=[inside[0].uid])).status_code == 200


def test_kiosk_view_of_a_bill_is_audited(client):
    user, subscription = owned_subscription()
    bill = BillFactory(subscription=subscription, year=1404, period=1)
    operator = kiosk_client(client, user)
    assert client.get(reverse("billing:bill-detail", args=[bill.uid])).status_code == 200
    row = AuditLog.objects.get(action="billing.bill.view")
    assert (row.actor, row.on_behalf_of, row.object_id) == (operator.user, user, str(bill.pk))


# --- CSV download ---------------------------------------------------------------------------


def _export(client, bill_id, fmt="csv", year=1403):
    return client.get(f"{EXPORT}?bill_id={bill_id}&from_year={year}&format={fmt}")


def test_csv_export_is_excel_friendly_with_jalali_dates(client, owner_history):
    _user, subscription, bills = owner_history
    response = _export(client, subscription.bill_id)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="bill-history-{subscription.bill_id}-1403.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["سال", "دوره", "از تاریخ"]
    body = rows[1:]
    assert len(body) == len(bills)
    newest_first = sorted(bills, key=lambda b: (b.year, b.period), reverse=True)
    for row, bill in zip(body, newest_first, strict=True):
        start = jdatetime.date.fromgregorian(date=bill.period_start).strftime("%Y/%m/%d")
        end = jdatetime.date.fromgregorian(date=bill.period_end).strftime("%Y/%m/%d")
        assert row[:4] == [str(bill.year), str(bill.period), start, end]
        assert row[7] == str(bill.consumption)
        assert row[8] == "کیلووات‌ساعت"
        assert row[9] == str(bill.amount)
        assert row[12] == ("پرداخت‌شده" if bill.is_paid else "پرداخت‌نشده")
        if bill.is_paid:
            assert bill.payments.get().reference in row[13]
    assert all(bill.payment_id not in response.content.decode("utf-8") for bill in bills)


def test_export_of_someone_elses_bill_id_is_not_found(client, owner_history):
    _other_user, other = owned_subscription()
    make_history(other, years=(1404,), periods=range(1, 2))
    response = _export(client, other.bill_id)
    assert response.status_code == 404
    assert "Content-Disposition" not in response


def test_export_with_a_bad_format_names_the_field(client, owner_history):
    _user, subscription, _bills = owner_history
    response = _export(client, subscription.bill_id, fmt="xlsx")
    assert response.status_code == 400
    assert "«قالب خروجی»" in response.content.decode()


def test_export_needs_login(client):
    response = _export(client, unknown_bill_id())
    assert response.status_code == 302


def test_espi_download_from_the_page(client, owner_history):
    _user, subscription, _bills = owner_history
    response = _export(client, subscription.bill_id, fmt="espi")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert response["Content-Disposition"].endswith(f'-{subscription.bill_id}-1403.xml"')
    assert b"http://naesb.org/espi" in response.content


def test_espi_for_a_telephone_line_is_a_format_error(client):
    user, subscription = owned_subscription(kind="telecom")
    BillFactory(subscription=subscription, year=1404, period=1)
    client.force_login(user)
    response = _export(client, subscription.bill_id, fmt="espi", year=1404)
    assert response.status_code == 400
    assert "گرین باتن فقط برای اشتراک برق و گاز" in response.content.decode()


def test_kiosk_export_is_audited(client):
    user, subscription = owned_subscription()
    BillFactory(subscription=subscription, year=1404, period=1)
    operator = kiosk_client(client, user)
    assert _export(client, subscription.bill_id, year=1404).status_code == 200
    row = AuditLog.objects.get(action="billing.export")
    assert (row.actor, row.on_behalf_of) == (operator.user, user)
    assert row.details["format"] == "csv"
