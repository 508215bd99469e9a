"""Billing API: history, one bill and the export — shapes, the payable-bill rule, the access
matrix (owner, tenant, another subscriber, staff of another office, kiosk operator, anonymous),
errors in the house shape and the query budget."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.digits import to_persian_digits
from subscribers.models import AuditLog
from tests.billing.factories import BillFactory, paid
from tests.billing.test_history import kiosk_client, make_history, tenant_setup, unknown_bill_id
from tests.factories import DistrictOfficeFactory, login_with_second_factor
from tests.requests_app.factories import office_staff, owned_subscription

pytestmark = pytest.mark.django_db

HISTORY = reverse("billing_api:history")
EXPORT = reverse("billing_api:export")


def _detail(bill) -> str:
    return reverse("billing_api:bill-detail", args=[bill.uid])


@pytest.fixture
def owner(client):
    user, subscription = owned_subscription()
    bills = make_history(subscription)
    client.force_login(user)
    return user, subscription, bills


def test_history_shape_and_values(client, owner):
    _user, subscription, bills = owner
    response = client.get(HISTORY, {"bill_id": subscription.bill_id, "from_year": 1403})
    assert response.status_code == 200
    data = response.json()
    assert data["bill_id"] == subscription.bill_id
    assert (data["from_year"], data["unit"], data["company_kind"]) == (
        1403,
        "کیلووات‌ساعت",
        "electricity",
    )
    periods = data["periods"]
    newest_first = sorted(bills, key=lambda b: (b.year, b.period), reverse=True)
    assert [p["uid"] for p in periods] == [str(b.uid) for b in newest_first]
    first = periods[-1]
    bill = newest_first[-1]
    assert first["period_start"] == bill.period_start.isoformat()
    assert first["period_start_jalali"] == "1403/01/01"
    assert first["period_end_jalali"] == "1403/01/31"
    assert (first["consumption"], first["amount"], first["is_paid"]) == (
        bill.consumption,
        bill.amount,
        True,
    )
    assert isinstance(first["amount"], int)
    [payment] = first["payments"]
    stored = bill.payments.get()
    assert payment["reference"] == stored.reference
    assert payment["amount"] == stored.amount
    assert payment["channel"] == "bank" and payment["channel_label"] == "بانک"
    assert payment["paid_at_jalali"]
    assert all("payment_id" not in p and "bill_id" not in p for p in periods)
    assert periods[0]["is_paid"] is False
    assert data["chart"][-1] == {
        "year": 1404,
        "period": 6,
        "consumption": 604,
        "previous_year": 603,
    }


def test_history_payable_is_the_latest_unpaid_bill_only(client, owner):
    _user, subscription, bills = owner
    data = client.get(HISTORY, {"bill_id": subscription.bill_id, "from_year": 1403}).json()
    latest = bills[-1]
    assert data["payable"] == {
        "uid": str(latest.uid),
        "bill_id": subscription.bill_id,
        "payment_id": latest.payment_id,
        "amount": latest.amount,
        "due_date": latest.due_date.isoformat(),
        "due_date_jalali": data["payable"]["due_date_jalali"],
    }
    paid(latest)
    data = client.get(HISTORY, {"bill_id": subscription.bill_id, "from_year": 1403}).json()
    assert data["payable"] is None


def test_history_accepts_persian_digits(client, owner):
    _user, subscription, _bills = owner
    response = client.get(
        HISTORY, {"bill_id": to_persian_digits(subscription.bill_id), "from_year": "۱۴۰۴"}
    )
    assert response.status_code == 200
    assert len(response.json()["periods"]) == 6


def test_history_bad_input_is_a_field_error(client, owner):
    response = client.get(HISTORY, {"bill_id": "12345", "from_year": "abcd"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"bill_id", "from_year"}
    assert "«سال شروع»" in error["fields"]["from_year"][0]
    response = client.get(HISTORY, {})
    assert response.json()["error"]["fields"]["bill_id"] == ["شناسه قبض الزامی است."]


def test_someone_elses_bill_id_answers_like_an_unknown_one(client, owner):
    _other, other_subscription = owned_subscription()
    make_history(other_subscription, years=(1404,), periods=range(1, 2))
    theirs = client.get(HISTORY, {"bill_id": other_subscription.bill_id})
    unknown = client.get(HISTORY, {"bill_id": unknown_bill_id()})
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert theirs.json()["error"]["code"] == "not_found"
    assert "«شناسه قبض»" in theirs.json()["error"]["fields"]["bill_id"][0]


def test_staff_of_another_office_get_404(client, owner):
    _user, subscription, bills = owner
    login_with_second_factor(client, office_staff(DistrictOfficeFactory()))
    assert client.get(HISTORY, {"bill_id": subscription.bill_id}).status_code == 404
    assert client.get(_detail(bills[0])).status_code == 404


def test_anonymous_is_refused(client):
    _user, subscription = owned_subscription()
    bill = BillFactory(subscription=subscription, year=1404, period=1)
    for url, query in ((HISTORY, {"bill_id": subscription.bill_id}), (_detail(bill), {})):
        response = client.get(url, query)
        assert response.status_code in (401, 403)
        assert response.json()["error"]["code"] == "not_authenticated"


def test_tenant_gets_only_lease_periods(client):
    _owner, tenant, subscription, inside, before, after = tenant_setup()
    client.force_login(tenant)
    data = client.get(HISTORY, {"bill_id": subscription.bill_id, "from_year": before.year - 1})
    uids = {p["uid"] for p in data.json()["periods"]}
    assert uids == {str(b.uid) for b in inside}
    assert client.get(_detail(before)).status_code == 404
    assert client.get(_detail(after)).status_code == 404


def test_kiosk_operator_acting_gets_the_history_and_it_is_audited(client):
    user, subscription = owned_subscription()
    make_history(subscription, years=(1404,), periods=range(1, 3))
    operator = kiosk_client(client, user)
    response = client.get(HISTORY, {"bill_id": subscription.bill_id, "from_year": 1404})
    assert response.status_code == 200
    assert len(response.json()["periods"]) == 2
    row = AuditLog.objects.get(action="billing.history.view")
    assert (row.actor, row.on_behalf_of) == (operator.user, user)


def _history_queries(client, subscription) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(HISTORY, {"bill_id": subscription.bill_id, "from_year": 1300})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_history_api_query_count_same_at_1_and_50_and_within_budget_at_120(client):
    counts = []
    for periods in (1, 50, 120):
        user, subscription = owned_subscription()
        for index in range(periods):
            bill = BillFactory(
                subscription=subscription, year=1395 + index // 12, period=index % 12 + 1
            )
            if index % 3 == 0:
                paid(bill)
        client.force_login(user)
        counts.append(_history_queries(client, subscription))
    assert counts[0] == counts[1] == counts[2] <= 8


# --- one bill -------------------------------------------------------------------------------


def test_bill_detail_of_the_payable_bill_has_its_ids(client, owner):
    _user, subscription, bills = owner
    latest = bills[-1]
    data = client.get(_detail(latest)).json()
    assert data["is_payable"] is True
    assert data["bill_id"] == subscription.bill_id
    assert data["payment_id"] == latest.payment_id
    assert data["barcode"] == latest.barcode and len(data["barcode"]) == 26
    for item in ("energy", "subscription_fee", "tax", "duties", "debt", "adjustment", "amount"):
        assert data[item] == getattr(latest, item)
    assert data["energy_tiers"] == []
    assert data["status"] == "issued"


def test_bill_detail_of_an_older_bill_hides_its_ids(client, owner):
    _user, _subscription, bills = owner
    data = client.get(_detail(bills[0])).json()
    assert data["is_payable"] is False
    assert (data["bill_id"], data["payment_id"], data["barcode"]) == (None, None, None)
    assert [p["reference"] for p in data["payments"]] == [bills[0].payments.get().reference]


def test_bill_detail_energy_tiers(client):
    user, subscription = owned_subscription()
    tiers = [
        {"up_to": 100, "units": 100, "rate": 300, "amount": 30_000},
        {"up_to": None, "units": 50, "rate": 750, "amount": 37_500},
    ]
    bill = BillFactory(subscription=subscription, year=1404, period=1, energy_tiers=tiers)
    client.force_login(user)
    assert client.get(_detail(bill)).json()["energy_tiers"] == tiers


def test_bill_detail_of_someone_elses_bill_is_404(client, owner):
    _other, other_subscription = owned_subscription()
    bill = BillFactory(subscription=other_subscription, year=1404, period=1)
    response = client.get(_detail(bill))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- export ---------------------------------------------------------------------------------


def test_export_csv_and_espi(client, owner):
    _user, subscription, bills = owner
    query = {"bill_id": subscription.bill_id, "from_year": 1404}
    csv_response = client.get(EXPORT, {**query, "format": "csv"})
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"].startswith("attachment; filename=")
    lines = csv_response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len([b for b in bills if b.year == 1404])
    espi_response = client.get(EXPORT, {**query, "format": "espi"})
    assert espi_response.status_code == 200
    assert espi_response["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert espi_response.content.count(b"IntervalReading>") == 2 * 6


def test_export_errors_are_json_in_the_house_shape(client, owner):
    _user, subscription, _bills = owner
    response = client.get(EXPORT, {"bill_id": subscription.bill_id, "format": "pdf"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "format" in response.json()["error"]["fields"]
    response = client.get(EXPORT, {"bill_id": unknown_bill_id(), "format": "csv"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_export_espi_for_a_telephone_line_is_refused(client):
    user, subscription = owned_subscription(kind="telecom")
    BillFactory(subscription=subscription, year=1404, period=1)
    client.force_login(user)
    response = client.get(EXPORT, {"bill_id": subscription.bill_id, "format": "espi"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "espi_unsupported"


def test_the_fast_period_representation_equals_the_declared_fields():
    """PeriodSerializer builds its dict by hand for speed; it must say exactly what DRF's
    generic rendering of the declared fields says (values, formats, keys, order)."""
    from rest_framework import serializers

    from billing.api.history import BillPaymentSerializer, PeriodSerializer
    from billing.models import Bill

    bill = BillFactory(year=1402, period=7)
    paid(bill)
    bill = Bill.objects.prefetch_related("payments").get(pk=bill.pk)
    period = PeriodSerializer(context={"unit": "کیلووات‌ساعت"})
    payment = BillPaymentSerializer()
    assert period.to_representation(bill) == {
        **serializers.ModelSerializer.to_representation(period, bill),
        "payments": [
            serializers.ModelSerializer.to_representation(payment, p) for p in bill.payments.all()
        ],
    }
    assert list(period.to_representation(bill)) == list(period.fields)
