"""Working incidents (seed 003, steps 4–5): every transition in the table and every one not in
it, crew, close reasons, restoration time, stale pages, office scoping, events, and the result
SMS sent to each reporter exactly once."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import (
    INCIDENT_TRANSITIONS,
    Incident,
    IncidentEvent,
    IncidentState,
    OutageReport,
    ReportChannel,
)
from outages.services.incidents import (
    DEFAULT_RESULTS,
    incident_add_note,
    incident_assign_crew,
    incident_check_staff,
    incident_move,
    incident_notify_result,
)
from outages.services.reports import report_file
from portal.errors import NotFound, PortalError
from subscribers import roles
from tests.factories import StaffFactory, UserFactory, add_role
from tests.outages.factories import FeederFactory, fed_subscription

pytestmark = pytest.mark.django_db

STATES = [s.value for s in IncidentState]
ALL_PAIRS = list(itertools.product(STATES, STATES))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in INCIDENT_TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in INCIDENT_TRANSITIONS[a]]


@pytest.fixture
def feeder():
    return FeederFactory()


@pytest.fixture
def clerk(feeder):
    return add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)


def make_incident(feeder, state=IncidentState.RECEIVED, **kwargs) -> Incident:
    if state == IncidentState.CLOSED:
        kwargs.setdefault("close_reason", Incident.CloseReason.CUSTOMER_SIDE)
    return Incident.objects.create(
        feeder=feeder,
        state=state,
        opened_at=timezone.now() - dt.timedelta(hours=2),
        **kwargs,
    )


def move_kwargs(to: str) -> dict:
    if to == IncidentState.CLOSED:
        return {"close_reason": Incident.CloseReason.NOT_OUR_NETWORK}
    if to == IncidentState.CREW_DISPATCHED:
        return {"crew": "اکیپ ۳"}
    return {}


def test_the_table_has_the_expected_moves():
    assert len(ALLOWED) == 8 and len(REFUSED) == 17


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_every_allowed_move_works_and_writes_an_event(feeder, clerk, old, new):
    incident = make_incident(feeder, old)
    event = incident_move(incident=incident, to=new, actor=clerk, note="ok", **move_kwargs(new))
    incident.refresh_from_db()
    assert incident.state == new
    assert (event.kind, event.old_state, event.new_state, event.actor) == (
        IncidentEvent.Kind.TRANSITION,
        old,
        new,
        clerk,
    )
    assert event.note == "ok"
    assert IncidentEvent.objects.filter(incident=incident).count() == 1


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_every_other_move_is_refused_and_changes_nothing(feeder, clerk, old, new):
    incident = make_incident(feeder, old)
    with pytest.raises(PortalError) as caught:
        incident_move(incident=incident, to=new, actor=clerk, **move_kwargs(new))
    assert caught.value.code == "transition_not_allowed"
    assert caught.value.status_code == 409
    incident.refresh_from_db()
    assert incident.state == old
    assert IncidentEvent.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_an_unknown_target_state_is_refused(feeder, clerk):
    incident = make_incident(feeder)
    with pytest.raises(PortalError) as caught:
        incident_move(incident=incident, to="bogus", actor=clerk)
    assert caught.value.code == "transition_not_allowed"


def test_a_result_text_on_a_move_that_is_not_final_is_refused(feeder, clerk):
    incident = make_incident(feeder)
    with pytest.raises(PortalError) as caught:
        incident_move(
            incident=incident, to=IncidentState.INVESTIGATING, actor=clerk, result="وصل شد"
        )
    assert caught.value.fields == {"result": ["نتیجه فقط هنگام رفع یا بستن حادثه ثبت می‌شود."]}
    incident.refresh_from_db()
    assert (incident.state, incident.result) == (IncidentState.RECEIVED, "")
    assert not IncidentEvent.objects.filter(incident=incident).exists()


# --- crew ----------------------------------------------------------------------------------


def test_dispatching_needs_a_crew(feeder, clerk):
    incident = make_incident(feeder)
    with pytest.raises(PortalError) as caught:
        incident_move(incident=incident, to=IncidentState.CREW_DISPATCHED, actor=clerk, crew="  ")
    assert caught.value.code == "invalid"
    assert list(caught.value.fields) == ["crew"]
    incident.refresh_from_db()
    assert (incident.state, incident.crew) == (IncidentState.RECEIVED, "")
    assert IncidentEvent.objects.count() == 0


def test_dispatching_with_a_crew_already_named_needs_no_new_name(feeder, clerk):
    incident = make_incident(feeder, IncidentState.INVESTIGATING, crew="اکیپ ۱")
    incident_move(incident=incident, to=IncidentState.CREW_DISPATCHED, actor=clerk)
    incident.refresh_from_db()
    assert (incident.state, incident.crew) == (IncidentState.CREW_DISPATCHED, "اکیپ ۱")


def test_assign_crew_dispatches_then_records_a_change(feeder, clerk):
    incident = make_incident(feeder)
    first = incident_assign_crew(incident=incident, actor=clerk, crew=" اکیپ ۱ ")
    assert (first.kind, first.new_state) == ("transition", IncidentState.CREW_DISPATCHED)
    assert incident.crew == "اکیپ ۱"
    change = incident_assign_crew(incident=incident, actor=clerk, crew="اکیپ ۲")
    assert (change.kind, change.public, change.actor) == ("crew", False, clerk)
    incident.refresh_from_db()
    assert (incident.state, incident.crew) == (IncidentState.CREW_DISPATCHED, "اکیپ ۲")


def test_assign_crew_on_a_finished_incident_is_refused(feeder, clerk):
    incident = make_incident(feeder, IncidentState.RESOLVED)
    with pytest.raises(PortalError) as caught:
        incident_assign_crew(incident=incident, actor=clerk, crew="اکیپ ۲")
    assert caught.value.code == "closed"


# --- close reasons -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "bogus", "resolved"])
def test_closing_needs_a_valid_reason(feeder, clerk, reason):
    incident = make_incident(feeder)
    with pytest.raises(PortalError) as caught:
        incident_move(incident=incident, to=IncidentState.CLOSED, actor=clerk, close_reason=reason)
    assert caught.value.code == "invalid"
    assert list(caught.value.fields) == ["close_reason"]
    incident.refresh_from_db()
    assert incident.state == IncidentState.RECEIVED


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (IncidentState.RECEIVED, IncidentState.INVESTIGATING),
        (IncidentState.INVESTIGATING, IncidentState.RESOLVED),
        (IncidentState.RECEIVED, IncidentState.CREW_DISPATCHED),
    ],
)
def test_only_closing_accepts_a_reason(feeder, clerk, old, new):
    incident = make_incident(feeder, old)
    with pytest.raises(PortalError) as caught:
        incident_move(
            incident=incident,
            to=new,
            actor=clerk,
            crew="اکیپ",
            close_reason=Incident.CloseReason.CUSTOMER_SIDE,
        )
    assert list(caught.value.fields) == ["close_reason"]
    incident.refresh_from_db()
    assert (incident.state, incident.close_reason) == (old, "")


def test_closing_records_the_reason_and_time(feeder, clerk):
    incident = make_incident(feeder)
    event = incident_move(
        incident=incident,
        to=IncidentState.CLOSED,
        actor=clerk,
        close_reason=Incident.CloseReason.PLANNED_OUTAGE,
    )
    incident.refresh_from_db()
    assert incident.close_reason == "planned_outage"
    assert incident.closed_at is not None and incident.restored_at is None
    assert incident.result == DEFAULT_RESULTS[Incident.CloseReason.PLANNED_OUTAGE]
    assert event.note == incident.result


# --- restoration time ----------------------------------------------------------------------


def test_resolving_records_now_by_default(feeder, clerk):
    incident = make_incident(feeder, IncidentState.INVESTIGATING)
    before = timezone.now()
    incident_move(incident=incident, to=IncidentState.RESOLVED, actor=clerk)
    incident.refresh_from_db()
    assert before <= incident.restored_at <= timezone.now()
    assert incident.closed_at is not None
    assert incident.result == DEFAULT_RESULTS[IncidentState.RESOLVED]


def test_resolving_records_the_given_time(feeder, clerk):
    incident = make_incident(feeder, IncidentState.INVESTIGATING)
    restored = incident.opened_at + dt.timedelta(minutes=45)
    incident_move(incident=incident, to=IncidentState.RESOLVED, actor=clerk, restored_at=restored)
    incident.refresh_from_db()
    assert incident.restored_at == restored


@pytest.mark.parametrize(
    "shift", [dt.timedelta(hours=1), dt.timedelta(hours=-3)], ids=["future", "before_opened"]
)
def test_resolving_refuses_a_time_in_the_future_or_before_opening(feeder, clerk, shift):
    incident = make_incident(feeder, IncidentState.INVESTIGATING)
    with pytest.raises(PortalError) as caught:
        incident_move(
            incident=incident,
            to=IncidentState.RESOLVED,
            actor=clerk,
            restored_at=timezone.now() + shift,
        )
    assert list(caught.value.fields) == ["restored_at"]
    incident.refresh_from_db()
    assert (incident.state, incident.restored_at) == (IncidentState.INVESTIGATING, None)


# --- stale pages ---------------------------------------------------------------------------


def test_a_stale_seen_state_is_a_conflict(feeder, clerk):
    incident = make_incident(feeder)
    stale = Incident.objects.get(pk=incident.pk)
    incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=clerk)
    with pytest.raises(PortalError) as caught:
        incident_move(incident=stale, to=IncidentState.CLOSED, actor=clerk,
                      close_reason="customer_side")  # fmt: skip
    assert caught.value.code == "conflict"
    assert caught.value.status_code == 409
    assert "«در حال بررسی»" in caught.value.message
    with pytest.raises(PortalError) as caught:
        incident_move(
            incident=incident,
            to=IncidentState.RESOLVED,
            actor=clerk,
            seen_state=IncidentState.RECEIVED,
        )
    assert caught.value.code == "conflict"
    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING
    assert IncidentEvent.objects.count() == 1


# --- who may act ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR, roles.CALL_CENTER_OPERATOR]
)
def test_office_working_roles_may_act(feeder, role):
    staff = add_role(StaffFactory(office=feeder.office), role)
    incident = make_incident(feeder)
    incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=staff)
    assert incident.state == IncidentState.INVESTIGATING


def test_staff_of_another_office_get_not_found(feeder):
    other = add_role(StaffFactory(), roles.OFFICE_SUPERVISOR)
    incident = make_incident(feeder)
    with pytest.raises(NotFound):
        incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=other)
    with pytest.raises(NotFound):
        incident_add_note(incident=incident, actor=other, note="x")
    with pytest.raises(NotFound):
        incident_assign_crew(incident=incident, actor=other, crew="x")
    incident.refresh_from_db()
    assert incident.state == IncidentState.RECEIVED
    assert IncidentEvent.objects.count() == 0


def test_a_subscriber_gets_not_found(feeder):
    subscriber = UserFactory()
    incident = make_incident(feeder)
    with pytest.raises(NotFound):
        incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=subscriber)
    with pytest.raises(NotFound):
        incident_check_staff(incident=incident, actor=subscriber)


def test_staff_without_a_working_role_get_not_found(feeder):
    telecom = add_role(StaffFactory(office=feeder.office), roles.TELECOM_CENTER_OPERATOR)
    bare = StaffFactory(office=feeder.office)
    incident = make_incident(feeder)
    for actor in (telecom, bare):
        with pytest.raises(NotFound):
            incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=actor)


def test_a_system_administrator_works_everywhere(feeder):
    admin = add_role(StaffFactory(), roles.SYSTEM_ADMINISTRATOR)
    assert admin.office_id != feeder.office_id
    incident = make_incident(feeder)
    event = incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=admin)
    assert (event.actor, incident.state) == (admin, IncidentState.INVESTIGATING)


def test_notes_are_private_unless_marked_public(feeder, clerk):
    incident = make_incident(feeder)
    private = incident_add_note(incident=incident, actor=clerk, note="  تماس با پست  ")
    public = incident_add_note(incident=incident, actor=clerk, note="در حال بررسی", public=True)
    assert (private.kind, private.note, private.public) == ("note", "تماس با پست", False)
    assert public.public is True
    with pytest.raises(PortalError) as caught:
        incident_add_note(incident=incident, actor=clerk, note="   ")
    assert list(caught.value.fields) == ["note"]


# --- the result SMS ------------------------------------------------------------------------


def _three_reporters(feeder):
    mobiles = ["09120000001", "09120000002", "09120000003"]
    reports = [
        report_file(
            subscription=fed_subscription(feeder),
            mobile=mobile,
            channel=ReportChannel.WEB,
            now=timezone.now() - dt.timedelta(minutes=30),
        ).report
        for mobile in mobiles
    ]
    assert len({r.incident_id for r in reports}) == 1
    return reports[0].incident, reports


def _result_sms():
    return OutboxMessage.objects.filter(idempotency_key__startswith="outage-result:")


def test_resolving_sends_one_result_sms_per_reporter(feeder, clerk):
    incident, reports = _three_reporters(feeder)
    incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=clerk)
    assert _result_sms().count() == 0
    incident_move(incident=incident, to=IncidentState.RESOLVED, actor=clerk)
    sms = _result_sms()
    assert sorted(sms.values_list("recipient", flat=True)) == [r.mobile for r in reports]
    assert sorted(sms.values_list("idempotency_key", flat=True)) == sorted(
        f"outage-result:{r.code}" for r in reports
    )
    assert all(DEFAULT_RESULTS[IncidentState.RESOLVED] in m.text for m in sms)
    assert OutageReport.objects.filter(result_sent_at__isnull=True).count() == 0

    incident.refresh_from_db()
    assert incident_notify_result(incident=incident) == 0
    assert _result_sms().count() == 3


def test_notify_result_does_nothing_for_an_open_incident(feeder):
    incident, _reports = _three_reporters(feeder)
    assert incident_notify_result(incident=incident) == 0
    assert _result_sms().count() == 0


def test_closing_sends_the_reasons_default_text(feeder, clerk):
    incident, _reports = _three_reporters(feeder)
    incident_move(
        incident=incident,
        to=IncidentState.CLOSED,
        actor=clerk,
        close_reason=Incident.CloseReason.CUSTOMER_SIDE,
    )
    texts = list(_result_sms().values_list("text", flat=True))
    assert len(texts) == 3
    assert all(DEFAULT_RESULTS[Incident.CloseReason.CUSTOMER_SIDE] in t for t in texts)


def test_a_custom_result_text_is_used(feeder, clerk):
    incident, _reports = _three_reporters(feeder)
    incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=clerk)
    incident_move(
        incident=incident,
        to=IncidentState.RESOLVED,
        actor=clerk,
        result="  کابل خودنگهدار تعویض و برق وصل شد.  ",
    )
    incident.refresh_from_db()
    assert incident.result == "کابل خودنگهدار تعویض و برق وصل شد."
    texts = list(_result_sms().values_list("text", flat=True))
    assert len(texts) == 3
    assert all("کابل خودنگهدار تعویض و برق وصل شد." in t for t in texts)
    assert not any(DEFAULT_RESULTS[IncidentState.RESOLVED] in t for t in texts)


def test_a_refused_move_sends_no_result(feeder, clerk):
    incident, _reports = _three_reporters(feeder)
    with pytest.raises(PortalError):
        incident_move(incident=incident, to=IncidentState.RESOLVED, actor=clerk)
    assert _result_sms().count() == 0
    assert OutageReport.objects.filter(result_sent_at__isnull=False).count() == 0


def test_a_restoration_time_to_the_minute_just_before_opening_is_clamped(feeder, clerk):
    # Staff type "10:00" for an incident opened at 10:00:30: that is the same minute.
    incident = make_incident(feeder, IncidentState.INVESTIGATING)
    incident_move(
        incident=incident,
        to=IncidentState.RESOLVED,
        actor=clerk,
        restored_at=incident.opened_at - dt.timedelta(seconds=30),
    )
    incident.refresh_from_db()
    assert incident.restored_at == incident.opened_at


def test_a_restoration_two_minutes_before_opening_is_refused(feeder, clerk):
    incident = make_incident(feeder, IncidentState.INVESTIGATING)
    with pytest.raises(PortalError) as caught:
        incident_move(
            incident=incident,
            to=IncidentState.RESOLVED,
            actor=clerk,
            restored_at=incident.opened_at - dt.timedelta(minutes=2),
        )
    assert list(caught.value.fields) == ["restored_at"]
