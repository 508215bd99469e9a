"""Filing outage reports (seed 003, steps 1–3): joining a planned window, joining or opening an
incident, one tracking code and one SMS per mobile per outage, and bad input saving nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import (
    Incident,
    IncidentEvent,
    IncidentState,
    OutageReport,
    ReportChannel,
)
from outages.services.incidents import incident_move
from outages.services.reports import (
    feeder_for_subscription,
    report_file,
    subscription_for_outage,
)
from portal import identifiers
from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.jalali import jalali_display
from subscribers import roles
from subscribers.models import UtilityCompany
from tests.factories import (
    DistrictOfficeFactory,
    StaffFactory,
    SubscriptionFactory,
    UtilityCompanyFactory,
    add_role,
)
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = pytest.mark.django_db


def file(subscription, mobile="09121234567", **kwargs):
    return report_file(
        subscription=subscription, mobile=mobile, channel=ReportChannel.WEB, **kwargs
    )


def counts() -> tuple[int, int, int, int]:
    return (
        OutageReport.objects.count(),
        Incident.objects.count(),
        IncidentEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


# --- joining a planned window -----------------------------------------------------------------


def test_a_report_inside_a_planned_window_joins_it_without_an_incident():
    feeder = FeederFactory()
    now = timezone.now()
    outage = ScheduledOutageFactory(
        feeder=feeder,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
        reason="تعمیرات پست",
    )
    outcome = file(fed_subscription(feeder), now=now)
    assert outcome.created is True
    assert outcome.scheduled_outage == outage
    assert outcome.incident is None
    assert Incident.objects.count() == 0
    assert jalali_display(outage.ends_at) in outcome.message
    assert "تعمیرات پست" in outcome.message
    assert to_persian_digits(outcome.report.code) in outcome.message
    sms = OutboxMessage.objects.get()
    assert sms.recipient == "09121234567"
    assert sms.idempotency_key == f"outage-report:{outcome.report.code}"
    assert jalali_display(outage.ends_at) in sms.text


def test_a_report_at_the_window_start_joins_and_at_its_end_opens_an_incident():
    feeder = FeederFactory()
    start = timezone.now() - dt.timedelta(hours=3)
    outage = ScheduledOutageFactory(
        feeder=feeder, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    subscription = fed_subscription(feeder)
    at_start = file(subscription, mobile="09120000001", now=outage.starts_at)
    assert at_start.scheduled_outage == outage
    just_before = file(
        subscription, mobile="09120000002", now=outage.ends_at - dt.timedelta(microseconds=1)
    )
    assert just_before.scheduled_outage == outage
    at_end = file(subscription, mobile="09120000003", now=outage.ends_at)
    assert at_end.scheduled_outage is None
    assert at_end.incident is not None and at_end.incident.opened_at == outage.ends_at


def test_a_cancelled_window_is_not_joined():
    feeder = FeederFactory()
    now = timezone.now()
    ScheduledOutageFactory(
        feeder=feeder,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        status="cancelled",
    )
    outcome = file(fed_subscription(feeder), now=now)
    assert outcome.scheduled_outage is None
    assert outcome.incident.state == IncidentState.RECEIVED


# --- incidents --------------------------------------------------------------------------------


def test_the_first_report_opens_an_incident_with_the_sla_and_a_received_event():
    feeder = FeederFactory()
    now = timezone.now()
    outcome = file(fed_subscription(feeder), now=now)
    incident = outcome.incident
    assert outcome.created is True
    assert incident.feeder == feeder
    assert incident.state == IncidentState.RECEIVED
    assert incident.opened_at == now
    assert incident.expected_at == now + dt.timedelta(hours=settings.OUTAGE_RESTORE_SLA_HOURS)
    assert incident.expected_at == now + dt.timedelta(hours=4)
    assert incident.report_count == 1
    event = IncidentEvent.objects.get(incident=incident)
    assert (event.kind, event.old_state, event.new_state, event.actor) == (
        IncidentEvent.Kind.TRANSITION,
        "",
        IncidentState.RECEIVED,
        None,
    )
    assert "ارجاع شد" in outcome.message
    assert OutboxMessage.objects.count() == 1


def test_reports_while_an_incident_is_open_join_it():
    feeder = FeederFactory()
    first = file(fed_subscription(feeder), mobile="09120000001")
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    incident_move(incident=first.incident, to=IncidentState.INVESTIGATING, actor=clerk)
    second = file(fed_subscription(feeder), mobile="09120000002")
    assert second.created is True
    assert second.incident == first.incident
    second.incident.refresh_from_db()
    assert second.incident.report_count == 2
    assert Incident.objects.count() == 1
    assert "«در حال بررسی»" in second.message
    assert second.report.code != first.report.code
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.OUTAGE_NOTICE).count() == 2


def test_a_report_on_another_feeder_opens_its_own_incident():
    one = file(fed_subscription(FeederFactory()))
    two = file(fed_subscription(FeederFactory()))
    assert one.incident != two.incident
    assert Incident.objects.count() == 2


def test_after_the_incident_is_resolved_a_new_report_opens_a_new_incident():
    feeder = FeederFactory()
    subscription = fed_subscription(feeder)
    first = file(subscription, now=timezone.now() - dt.timedelta(hours=1))
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    incident_move(incident=first.incident, to=IncidentState.INVESTIGATING, actor=clerk)
    incident_move(incident=first.incident, to=IncidentState.RESOLVED, actor=clerk)
    again = file(subscription)  # the same mobile: this is a new outage, not the old one
    assert again.created is True
    assert again.incident != first.incident
    assert again.incident.state == IncidentState.RECEIVED
    assert again.incident.report_count == 1
    assert again.report.code != first.report.code
    assert Incident.objects.count() == 2


def test_the_same_mobile_reporting_again_gets_its_code_back_and_no_sms():
    feeder = FeederFactory()
    subscription = fed_subscription(feeder)
    first = file(subscription, mobile="09121234567")
    before = counts()
    again = file(subscription, mobile="+98 912 123 4567")
    assert again.created is False
    assert again.report == first.report
    assert again.report.code == first.report.code
    assert counts() == before
    first.incident.refresh_from_db()
    assert first.incident.report_count == 1


def test_the_same_mobile_in_a_planned_window_gets_its_code_back():
    feeder = FeederFactory()
    now = timezone.now()
    ScheduledOutageFactory(
        feeder=feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    first = file(fed_subscription(feeder))
    before = counts()
    again = file(fed_subscription(feeder))
    assert (again.created, again.report) == (False, first.report)
    assert counts() == before


def test_persian_digits_in_the_mobile_are_accepted():
    outcome = file(fed_subscription(), mobile="۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert outcome.report.mobile == "09121234567"
    assert OutboxMessage.objects.get().recipient == "09121234567"


def test_the_tracking_code_is_eight_digits_with_a_luhn_check():
    feeder = FeederFactory()
    codes = {file(fed_subscription(feeder), mobile=f"0912000000{n}").report.code for n in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == 8 and code.isdigit()
        assert identifiers.is_valid_tracking_number(code, length=8)
        wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
        assert not identifiers.is_valid_tracking_number(wrong, length=8)


def test_the_report_keeps_who_and_how():
    operator = add_role(StaffFactory(), roles.CALL_CENTER_OPERATOR)
    outcome = report_file(
        subscription=fed_subscription(),
        mobile="09121234567",
        channel=ReportChannel.CALL_CENTER,
        taken_by=operator,
        description="  سیم پاره شده  ",
        first_name=" علی ",
    )
    report = OutageReport.objects.get(pk=outcome.report.pk)
    assert (report.channel, report.taken_by, report.reporter) == ("call_center", operator, None)
    assert (report.description, report.first_name) == ("سیم پاره شده", "علی")
    assert report.token is not None


# --- bad input: a clear error on the right field and nothing saved ----------------------------


@pytest.mark.parametrize("mobile", ["", "0912123456", "08121234567", "abc", "091212345678"])
def test_a_bad_mobile_is_refused_and_nothing_saved(mobile):
    subscription = fed_subscription()
    with pytest.raises(PortalError) as caught:
        file(subscription, mobile=mobile)
    assert caught.value.code == "invalid"
    assert list(caught.value.fields) == ["mobile"]
    assert caught.value.message.startswith("تلفن همراه:")
    assert counts() == (0, 0, 0, 0)


def test_a_gas_subscription_is_refused_and_nothing_saved():
    gas = UtilityCompanyFactory(kind=UtilityCompany.Kind.GAS)
    feeder = FeederFactory(office=DistrictOfficeFactory(company=gas))
    subscription = fed_subscription(feeder)
    with pytest.raises(PortalError) as caught:
        file(subscription)
    assert caught.value.code == "not_electricity"
    assert list(caught.value.fields) == ["subscription"]
    assert counts() == (0, 0, 0, 0)


def test_a_subscription_without_a_feeder_code_is_refused():
    feeder = FeederFactory(code="")  # even a feeder with an empty code does not match
    subscription = SubscriptionFactory(office=feeder.office, company=feeder.company, feeder_code="")
    with pytest.raises(PortalError) as caught:
        file(subscription)
    assert caught.value.code == "no_feeder"
    assert list(caught.value.fields) == ["subscription"]
    assert counts() == (0, 0, 0, 0)


def test_an_unregistered_feeder_code_is_refused():
    subscription = SubscriptionFactory(feeder_code="NOPE-1")
    with pytest.raises(PortalError) as caught:
        file(subscription)
    assert caught.value.code == "no_feeder"
    assert counts() == (0, 0, 0, 0)


def test_a_feeder_code_of_another_company_does_not_match():
    feeder = FeederFactory()
    subscription = SubscriptionFactory(feeder_code=feeder.code)  # another company
    assert subscription.company_id != feeder.company_id
    with pytest.raises(PortalError) as caught:
        feeder_for_subscription(subscription)
    assert caught.value.code == "no_feeder"


# --- subscription_for_outage ------------------------------------------------------------------


def test_subscription_for_outage_finds_the_electricity_subscription():
    subscription = fed_subscription()
    assert subscription_for_outage(bill_id=subscription.bill_id) == subscription
    assert subscription_for_outage(bill_id=to_persian_digits(subscription.bill_id)) == subscription


def test_a_gas_bill_id_is_refused_on_the_bill_id_field():
    gas = UtilityCompanyFactory(kind=UtilityCompany.Kind.GAS)
    subscription = SubscriptionFactory(office=DistrictOfficeFactory(company=gas))
    with pytest.raises(PortalError) as caught:
        subscription_for_outage(bill_id=subscription.bill_id)
    assert caught.value.code == "invalid_bill_id"
    assert list(caught.value.fields) == ["bill_id"]
    assert caught.value.message.startswith("شناسه قبض:")


def test_an_unknown_bill_id_is_refused():
    company = UtilityCompanyFactory()
    bill_id = identifiers.generate_bill_id(
        file_code=99_999_999, company_code=company.code, service_type=2
    )
    with pytest.raises(PortalError) as caught:
        subscription_for_outage(bill_id=bill_id)
    assert caught.value.code == "unknown_bill_id"
    assert list(caught.value.fields) == ["bill_id"]


@pytest.mark.parametrize("bill_id", ["", "abc", "12", "1234567890123456"])
def test_a_malformed_bill_id_is_refused(bill_id):
    with pytest.raises(PortalError) as caught:
        subscription_for_outage(bill_id=bill_id)
    assert caught.value.code == "invalid_bill_id"
    assert list(caught.value.fields) == ["bill_id"]


def test_a_bill_id_with_a_wrong_check_digit_is_refused():
    subscription = fed_subscription()
    bill = subscription.bill_id
    wrong = bill[:-1] + str((int(bill[-1]) + 1) % 10)
    with pytest.raises(PortalError) as caught:
        subscription_for_outage(bill_id=wrong)
    assert caught.value.code == "invalid_bill_id"
    assert counts() == (0, 0, 0, 0)


def test_an_unknown_channel_is_a_programming_error_and_saves_nothing():
    before = counts()
    with pytest.raises(ValueError):
        report_file(subscription=fed_subscription(), mobile="09121234567", channel="fax")
    assert counts() == before
