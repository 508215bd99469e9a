"""The no-login lookup by bill ID: only consumption, amounts and paid status; rate-limited per
client IP; unknown and malformed bill IDs answer without revealing anything."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.digits import to_persian_digits
from subscribers.models import RateCounter
from tests.billing.factories import BillFactory
from tests.billing.test_history import make_history, unknown_bill_id
from tests.requests_app.factories import owned_subscription

pytestmark = pytest.mark.django_db

LOOKUP = reverse("billing:lookup")


def _rial(value: int) -> str:
    return to_persian_digits(f"{value:,}".replace(",", "٬"))


@pytest.fixture
def subscription():
    user, subscription = owned_subscription(
        address="تبریز، خیابان ولیعصر، کوچه لاله، پلاک ۴۲", mobile="09147778899"
    )
    user.first_name, user.last_name = "سیمین", "دانشور"
    user.save()
    return subscription


def test_form_without_a_query(client):
    response = client.get(LOOKUP)
    assert response.status_code == 200
    assert 'name="bill_id"' in response.content.decode()
    assert not RateCounter.objects.exists()


def test_shows_consumption_amount_and_paid_status_per_period(client, subscription):
    bills = make_history(subscription, years=(1404,), periods=range(1, 5))
    response = client.get(f"{LOOKUP}?bill_id={subscription.bill_id}&from_year=1404")
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", page, flags=re.S)
    assert len(rows) == 4
    for row, bill in zip(rows, reversed(bills), strict=True):
        assert _rial(bill.consumption) in row
        assert _rial(bill.amount) in row
        assert ("پرداخت‌شده" if bill.is_paid else "پرداخت‌نشده") in row
    assert response["Cache-Control"] == "private, no-store"


def test_shows_no_personal_data_and_no_payment_ids(client, subscription):
    bills = make_history(subscription, years=(1404,), periods=range(1, 4))
    page = client.get(f"{LOOKUP}?bill_id={subscription.bill_id}&from_year=1404").content.decode()
    user = subscription.links.get().user
    for secret in (
        user.first_name,
        user.last_name,
        subscription.address,
        subscription.mobile,
        to_persian_digits(subscription.mobile),
        subscription.subscription_number,
        to_persian_digits(subscription.subscription_number),
        subscription.postal_code,
        to_persian_digits(subscription.postal_code),
    ):
        assert secret not in page
    for bill in bills:
        assert bill.payment_id not in page
        assert to_persian_digits(bill.payment_id) not in page
        assert str(bill.uid) not in page
        for payment in bill.payments.all():
            assert payment.reference not in page
    assert "payable-payment-id" not in page


def test_persian_digits_are_accepted(client, subscription):
    make_history(subscription, years=(1404,), periods=range(1, 3))
    bill_id = to_persian_digits(subscription.bill_id)
    response = client.get(f"{LOOKUP}?bill_id={bill_id}&from_year=۱۴۰۴")
    assert response.status_code == 200
    assert len(re.findall(r"<tr>\s*<th scope=\"row\"", response.content.decode())) == 2


def test_start_year_limits_the_periods(client, subscription):
    make_history(subscription, years=(1403, 1404), periods=range(1, 3))
    page = client.get(f"{LOOKUP}?bill_id={subscription.bill_id}&from_year=1404").content.decode()
    assert len(re.findall(r"<tr>\s*<th scope=\"row\"", page)) == 2


def test_superseded_bills_are_not_shown(client, subscription):
    new = BillFactory(subscription=subscription, year=1404, period=1, version=2, amount=2_000_000)
    BillFactory(
        subscription=subscription,
        year=1404,
        period=1,
        version=1,
        status="superseded",
        superseded_by=new,
        amount=3_000_000,
    )
    page = client.get(f"{LOOKUP}?bill_id={subscription.bill_id}&from_year=1404").content.decode()
    assert _rial(2_000_000) in page
    assert _rial(3_000_000) not in page


def test_unknown_bill_id_is_not_found_with_a_field_error(client):
    response = client.get(f"{LOOKUP}?bill_id={unknown_bill_id()}")
    assert response.status_code == 404
    error = re.search(r'id="id_bill_id-error">(.*?)</div>', response.content.decode()).group(1)
    assert "«شناسه قبض» یافت نشد" in error


@pytest.mark.parametrize(
    ("query", "field"),
    [("bill_id=123", "bill_id"), ("bill_id=", "bill_id"), ("bill_id=&from_year=abc", "from_year")],
)
def test_malformed_input_is_a_field_error(client, query, field):
    response = client.get(f"{LOOKUP}?{query}")
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in response.content.decode()


def test_lookups_are_rate_limited_per_client_ip(client, subscription, settings):
    settings.BILL_LOOKUP_PER_IP_HOUR = 3
    make_history(subscription, years=(1404,), periods=range(1, 2))
    url = f"{LOOKUP}?bill_id={subscription.bill_id}&from_year=1404"
    for _ in range(2):
        assert client.get(url, REMOTE_ADDR="10.0.0.7").status_code == 200
    # A malformed lookup counts too, so the limit cannot be dodged by probing bad IDs.
    assert client.get(f"{LOOKUP}?bill_id=1", REMOTE_ADDR="10.0.0.7").status_code == 400
    limited = client.get(url, REMOTE_ADDR="10.0.0.7")
    assert limited.status_code == 429
    page = limited.content.decode()
    assert "بیش از حد مجاز" in page
    assert "lookup-table" not in page
    assert 0 < int(limited["Retry-After"]) <= 3600
    # Another client is not affected.
    assert client.get(url, REMOTE_ADDR="10.0.0.8").status_code == 200


def test_lookup_needs_no_login_and_does_not_use_the_session_user(client, subscription):
    other_user, _other = owned_subscription()
    client.force_login(other_user)
    make_history(subscription, years=(1404,), periods=range(1, 2))
    response = client.get(f"{LOOKUP}?bill_id={subscription.bill_id}&from_year=1404")
    assert response.status_code == 200
    assert "payable-payment-id" not in response.content.decode()
