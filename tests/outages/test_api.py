"""/api/v1/outages/: filing a report (subscriber, or a mobile verified by an SMS code), the
public tracking and feeder-status lookups, and the schedule list. Actors, Persian errors on
fields, Persian digits, query budgets, privacy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from notifications.models import OutboxMessage
from outages.api.reports import LOOKUP_LIMIT
from outages.models import Incident, IncidentState, OutageReport, ReportChannel
from outages.services.incidents import incident_move
from outages.services.reports import report_file
from portal import identifiers
from portal.digits import to_persian_digits
from portal.jalali import jalali_iso
from subscribers import roles
from subscribers.models import OtpChallenge, OtpPurpose, UtilityCompany
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    UtilityCompanyFactory,
    add_role,
    last_otp_code,
)
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/outages/reports/"
OTP = "/api/v1/outages/reports/otp/"
OTP_VERIFY = "/api/v1/outages/reports/otp/verify/"
SCHEDULE = "/api/v1/outages/schedule/"
STATUS = "/api/v1/outages/status/"
MOBILE = "09121234567"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def fa(value) -> str:
    return to_persian_digits(str(value))


def error(response) -> dict:
    return response.json()["error"]


@pytest.fixture
def feeder():
    return FeederFactory(name="فیدر آزمون API")


@pytest.fixture
def owner(feeder):
    subscription = fed_subscription(feeder)
    user = UserFactory()
    SubscriptionLinkFactory(user=user, subscription=subscription)
    return user, subscription


def gas_bill_id() -> str:
    gas = UtilityCompanyFactory(kind=UtilityCompany.Kind.GAS, code="502")
    return SubscriptionFactory(office=DistrictOfficeFactory(company=gas)).bill_id


def verified_challenge(bill_id: str, mobile: str = MOBILE) -> str:
    client = api()
    started = client.post(OTP, {"bill_id": bill_id, "mobile": mobile}, format="json")
    assert started.status_code == 202, started.json()
    challenge_id = started.json()["challenge_id"]
    verified = client.post(
        OTP_VERIFY,
        {"challenge_id": challenge_id, "code": fa(last_otp_code(mobile))},
        format="json",
    )
    assert verified.status_code == 204
    return challenge_id


# --- filing as a subscriber -------------------------------------------------------------------


def test_subscriber_files_for_own_subscription(owner):
    user, subscription = owner
    response = api(user).post(
        REPORTS, {"bill_id": fa(subscription.bill_id), "description": "کل محله"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    report = OutageReport.objects.get()
    assert body["code"] == report.code and body["created"] is True
    assert body["state"] == IncidentState.RECEIVED and body["state_label"] == "دریافت شده"
    assert body["expected_at"] and body["scheduled_outage"] is None
    assert fa(report.code) in body["message"]
    assert (report.mobile, report.reporter, report.channel) == (
        user.mobile,
        user,
        ReportChannel.APP,
    )
    again = api(user).post(REPORTS, {"bill_id": subscription.bill_id}, format="json")
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["code"] == report.code
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.OUTAGE_NOTICE).count() == 1


def test_subscriber_report_joins_planned_window(owner, feeder):
    user, subscription = owner
    now = timezone.now()
    window = ScheduledOutageFactory(
        feeder=feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    response = api(user).post(
        REPORTS, {"bill_id": subscription.bill_id, "mobile": fa(MOBILE)}, format="json"
    )
    body = response.json()
    assert response.status_code == 201
    assert body["state"] == "scheduled" and body["scheduled_outage"]["reason"] == window.reason
    assert dt.datetime.fromisoformat(body["expected_at"]) == window.ends_at
    assert OutageReport.objects.get().mobile == MOBILE


def test_someone_elses_or_unlinked_bill_id_is_404(owner):
    _user, subscription = owner
    stranger = UserFactory()
    staff = add_role(StaffFactory(office=subscription.office), roles.OFFICE_CLERK)
    for actor in (stranger, staff):
        response = api(actor).post(REPORTS, {"bill_id": subscription.bill_id}, format="json")
        assert response.status_code == 404
        assert error(response)["code"] == "not_found"
    assert not OutageReport.objects.exists()


def test_subscriber_bad_input_is_a_field_error(owner):
    user, subscription = owner
    cases = [
        ({}, "bill_id"),
        ({"bill_id": "123"}, "bill_id"),
        ({"bill_id": gas_bill_id()}, "bill_id"),
        ({"bill_id": subscription.bill_id, "mobile": "0912"}, "mobile"),
        ({"bill_id": subscription.bill_id, "description": "x" * 1001}, "description"),
    ]
    for data, field in cases:
        response = api(user).post(REPORTS, data, format="json")
        assert response.status_code == 400, data
        assert field in error(response)["fields"], response.json()
    assert not OutageReport.objects.exists() and not OutboxMessage.objects.exists()


# --- filing with a verified mobile ------------------------------------------------------------


def test_anonymous_files_with_verified_code(feeder):
    subscription = fed_subscription(feeder)
    challenge_id = verified_challenge(fa(subscription.bill_id))
    challenge = OtpChallenge.objects.get(pk=challenge_id)
    assert challenge.purpose == OtpPurpose.OUTAGE_REPORT
    assert challenge.payload == {"bill_id": subscription.bill_id}
    response = api().post(
        REPORTS,
        {"bill_id": subscription.bill_id, "mobile": MOBILE, "challenge_id": challenge_id},
        format="json",
    )
    assert response.status_code == 201, response.json()
    report = OutageReport.objects.get()
    assert report.reporter is None and report.mobile == MOBILE
    # The verification is spent.
    again = api().post(
        REPORTS,
        {"bill_id": subscription.bill_id, "mobile": MOBILE, "challenge_id": challenge_id},
        format="json",
    )
    assert again.status_code == 400 and error(again)["code"] == "otp_not_verified"


def test_anonymous_needs_a_verified_challenge_for_that_bill_and_mobile(feeder):
    subscription = fed_subscription(feeder)
    other = fed_subscription(feeder)
    missing = api().post(REPORTS, {"bill_id": subscription.bill_id}, format="json")
    assert missing.status_code == 400
    assert {"mobile", "challenge_id"} <= set(error(missing)["fields"])
    # Issued but not verified.
    started = api().post(OTP, {"bill_id": subscription.bill_id, "mobile": MOBILE}, format="json")
    unverified = api().post(
        REPORTS,
        {
            "bill_id": subscription.bill_id,
            "mobile": MOBILE,
            "challenge_id": started.json()["challenge_id"],
        },
        format="json",
    )
    assert unverified.status_code == 400 and error(unverified)["code"] == "otp_not_verified"
    challenge_id = verified_challenge(subscription.bill_id, mobile="09351234567")
    other_mobile = api().post(
        REPORTS,
        {"bill_id": subscription.bill_id, "mobile": MOBILE, "challenge_id": challenge_id},
        format="json",
    )
    assert other_mobile.status_code == 400
    other_bill = api().post(
        REPORTS,
        {"bill_id": other.bill_id, "mobile": "09351234567", "challenge_id": challenge_id},
        format="json",
    )
    assert other_bill.status_code == 400 and "bill_id" in error(other_bill)["fields"]
    assert not OutageReport.objects.exists()
    # The failed attempts rolled back: the verification is still usable.
    ok = api().post(
        REPORTS,
        {"bill_id": subscription.bill_id, "mobile": "09351234567", "challenge_id": challenge_id},
        format="json",
    )
    assert ok.status_code == 201


def test_otp_is_not_sent_for_a_bad_bill_id(feeder):
    unknown = identifiers.generate_bill_id(
        file_code=987_654, company_code=feeder.company.code, service_type=2
    )
    unfed = SubscriptionFactory(feeder_code="")
    for bill_id, status in [
        ("123", 400),
        (gas_bill_id(), 400),
        (unknown, 404),
        (unfed.bill_id, 400),
    ]:
        response = api().post(OTP, {"bill_id": bill_id, "mobile": MOBILE}, format="json")
        assert response.status_code == status, (bill_id, response.json())
        assert "bill_id" in error(response)["fields"]
    bad_mobile = api().post(OTP, {"bill_id": fed_subscription(feeder).bill_id, "mobile": "1"})
    assert bad_mobile.status_code == 400 and "mobile" in error(bad_mobile)["fields"]
    assert not OtpChallenge.objects.exists() and not OutboxMessage.objects.exists()


def test_otp_verify_wrong_code(feeder):
    subscription = fed_subscription(feeder)
    started = api().post(OTP, {"bill_id": subscription.bill_id, "mobile": MOBILE}, format="json")
    code = last_otp_code(MOBILE)
    response = api().post(
        OTP_VERIFY,
        {
            "challenge_id": started.json()["challenge_id"],
            "code": "000000" if code != "000000" else "111111",
        },
        format="json",
    )
    assert response.status_code == 400 and "code" in error(response)["fields"]
    garbage = api().post(OTP_VERIFY, {"challenge_id": "nope", "code": "1"}, format="json")
    assert garbage.status_code == 400 and "challenge_id" in error(garbage)["fields"]


# --- tracking ---------------------------------------------------------------------------------


def test_tracking_is_public_and_private_data_free(feeder):
    subscription = fed_subscription(feeder)
    report = report_file(subscription=subscription, mobile=MOBILE, channel=ReportChannel.WEB).report
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    incident_move(incident=report.incident, to=IncidentState.INVESTIGATING, actor=clerk)
    incident_move(incident=Incident.objects.get(), to=IncidentState.RESOLVED, actor=clerk)
    response = api().get(f"{REPORTS}{fa(report.code)}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == report.code and body["state"] == "resolved"
    assert body["state_label"] == "برق وصل شد" and body["is_open"] is False and body["result"]
    assert body["timeline"][0]["title"] == "گزارش شما ثبت شد" and body["timeline"][0]["at_jalali"]
    text = response.content.decode()
    for private in (MOBILE, subscription.bill_id, subscription.subscription_number):
        assert private not in text
    assert set(body) == {
        "code", "created_at", "created_at_jalali", "state", "state_label", "is_open",
        "expected_at", "expected_at_jalali", "result", "feeder_name", "city_name", "timeline",
    }  # fmt: skip


def test_tracking_unknown_code_is_404():
    for code in ("12345678", "abc"):
        response = api().get(f"{REPORTS}{code}/")
        assert response.status_code == 404 and error(response)["message"]


def test_tracking_is_rate_limited():
    for _ in range(LOOKUP_LIMIT):
        api().get(f"{REPORTS}12345678/")
    response = api().get(f"{REPORTS}12345678/")
    assert response.status_code == 429 and response["Retry-After"]


# --- feeder status ----------------------------------------------------------------------------


def test_status_quiet_planned_and_incident(feeder):
    subscription = fed_subscription(feeder)
    quiet = api().get(STATUS, {"bill_id": fa(subscription.bill_id)})
    assert quiet.status_code == 200
    assert quiet.json() == {
        "is_out": False, "kind": None, "state_label": None, "ends_at": None,
        "expected_at": None, "feeder_name": feeder.name,
    }  # fmt: skip
    report_file(subscription=subscription, mobile=MOBILE, channel=ReportChannel.WEB)
    incident = api().get(STATUS, {"bill_id": subscription.bill_id}).json()
    assert incident["is_out"] is True and incident["kind"] == "incident"
    assert incident["state_label"] == "دریافت شده" and incident["expected_at"]
    now = timezone.now()
    ScheduledOutageFactory(
        feeder=feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    planned = api().get(STATUS, {"bill_id": subscription.bill_id}).json()
    assert planned["kind"] == "scheduled" and planned["ends_at"] and planned["is_out"] is True
    assert MOBILE not in str(planned)


def test_status_bad_bill_ids(feeder):
    unknown = identifiers.generate_bill_id(
        file_code=987_654, company_code=feeder.company.code, service_type=2
    )
    for params, status in [
        ({}, 400),
        ({"bill_id": "12"}, 400),
        ({"bill_id": gas_bill_id()}, 400),
        ({"bill_id": unknown}, 404),
    ]:
        response = api().get(STATUS, params)
        assert response.status_code == status, (params, response.json())
        assert "bill_id" in error(response)["fields"]


def test_status_is_rate_limited(feeder):
    subscription = fed_subscription(feeder)
    for _ in range(LOOKUP_LIMIT):
        api().get(STATUS, {"bill_id": subscription.bill_id})
    assert api().get(STATUS, {"bill_id": subscription.bill_id}).status_code == 429


# --- schedule ---------------------------------------------------------------------------------


def _tomorrow_noon() -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=timezone.get_default_timezone())


def test_schedule_by_city_and_date(feeder):
    start = _tomorrow_noon()
    mine = ScheduledOutageFactory(
        feeder=feeder, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    ScheduledOutageFactory(
        feeder=FeederFactory(city=CityFactory(name="اهر")),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    for date in (fa(jalali_iso(start.date())), start.date().isoformat()):
        response = api().get(SCHEDULE, {"city": fa(feeder.city_id), "date": date})
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [row["id"] for row in rows] == [mine.pk]
        assert rows[0]["feeder_name"] == feeder.name and rows[0]["starts_at_jalali"]
    assert api().get(SCHEDULE, {"city": feeder.city_id}).json()["results"] == []
    assert len(api().get(SCHEDULE, {"date": start.date().isoformat()}).json()["results"]) == 2


@pytest.mark.parametrize(
    "params,field",
    [({"date": "1405/13/01"}, "date"), ({"date": "دیروز"}, "date"), ({"city": "x"}, "city"),
     ({"city": "999999"}, "city")],
)  # fmt: skip
def test_schedule_bad_params(params, field):
    response = api().get(SCHEDULE, params)
    assert response.status_code == 400
    assert field in error(response)["fields"]


@pytest.mark.parametrize("rows", [1, 50])
def test_schedule_query_budget(django_assert_max_num_queries, rows):
    start = _tomorrow_noon()
    for _ in range(rows):
        ScheduledOutageFactory(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    with django_assert_max_num_queries(3):
        response = api().get(SCHEDULE, {"date": start.date().isoformat()})
    assert len(response.json()["results"]) == rows


def test_schema_documents_the_outage_endpoints():
    generator = SchemaGenerator(patterns=[path("api/v1/", include("outages.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert {
        "/api/v1/outages/reports/",
        "/api/v1/outages/reports/otp/",
        "/api/v1/outages/reports/otp/verify/",
        "/api/v1/outages/reports/{code}/",
        "/api/v1/outages/schedule/",
        "/api/v1/outages/status/",
    } <= set(schema["paths"])
