"""Reads of the outages app: window matching at its edges and across Tehran's midnight, the
public schedule per local day and city, the open incident, and the public tracking view."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from outages.models import Incident, IncidentState, ReportChannel, ScheduledOutage
from outages.selectors import (
    covering_outage,
    feeder_status,
    incidents_for_staff,
    open_incident,
    report_get_by_code,
    report_track,
    schedule_for_day,
)
from outages.services.incidents import incident_move
from outages.services.reports import report_file
from portal.digits import to_persian_digits
from portal.errors import NotFound
from subscribers import roles
from tests.factories import CityFactory, StaffFactory, UserFactory, add_role
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
UTC = dt.UTC
US = dt.timedelta(microseconds=1)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TEHRAN)


# --- covering_outage: half-open [starts_at, ends_at) -------------------------------------------


@pytest.fixture
def window():
    start = local(2026, 11, 23, 9, 0)
    return ScheduledOutageFactory(starts_at=start, ends_at=start + dt.timedelta(hours=2))


def test_a_window_covers_its_start_instant(window):
    assert covering_outage(feeder=window.feeder, at=window.starts_at) == window


def test_a_window_does_not_cover_its_end_instant(window):
    assert covering_outage(feeder=window.feeder, at=window.ends_at) is None
    assert window.covers(window.ends_at) is False


def test_a_window_covers_one_microsecond_before_its_end(window):
    assert covering_outage(feeder=window.feeder, at=window.ends_at - US) == window
    assert window.covers(window.ends_at - US) is True


def test_a_window_does_not_cover_one_microsecond_before_its_start(window):
    assert covering_outage(feeder=window.feeder, at=window.starts_at - US) is None


def test_a_cancelled_window_never_matches(window):
    window.status = ScheduledOutage.Status.CANCELLED
    window.save()
    assert covering_outage(feeder=window.feeder, at=window.starts_at) is None
    assert (
        covering_outage(feeder=window.feeder, at=window.starts_at + dt.timedelta(hours=1)) is None
    )
    assert window.covers(window.starts_at) is False


def test_a_window_on_another_feeder_does_not_match(window):
    other = FeederFactory(office=window.feeder.office)
    assert covering_outage(feeder=other, at=window.starts_at) is None


def test_a_window_across_tehran_midnight_is_matched_after_midnight():
    # 23:30–01:30 Tehran (UTC+3:30) is 20:00–22:00 UTC of the first day.
    outage = ScheduledOutageFactory(
        starts_at=local(2026, 11, 23, 23, 30), ends_at=local(2026, 11, 24, 1, 30)
    )
    outage.refresh_from_db()
    assert outage.starts_at == dt.datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    assert outage.ends_at == dt.datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    assert covering_outage(feeder=outage.feeder, at=local(2026, 11, 24, 0, 15)) == outage
    assert covering_outage(feeder=outage.feeder, at=local(2026, 11, 24, 1, 30)) is None
    # 00:15 UTC of the 24th is 03:45 Tehran: long after the window.
    assert (
        covering_outage(feeder=outage.feeder, at=dt.datetime(2026, 11, 24, 0, 15, tzinfo=UTC))
        is None
    )


def test_overlapping_windows_answer_the_one_ending_last():
    feeder = FeederFactory()
    ScheduledOutageFactory(
        feeder=feeder, starts_at=local(2026, 11, 23, 9), ends_at=local(2026, 11, 23, 11)
    )
    later = ScheduledOutageFactory(
        feeder=feeder, starts_at=local(2026, 11, 23, 10), ends_at=local(2026, 11, 23, 13)
    )
    assert covering_outage(feeder=feeder, at=local(2026, 11, 23, 10, 30)) == later


# --- schedule_for_day -------------------------------------------------------------------------


def test_schedule_lists_a_midnight_crossing_window_on_both_local_days():
    outage = ScheduledOutageFactory(
        starts_at=local(2026, 11, 23, 23, 30), ends_at=local(2026, 11, 24, 1, 30)
    )
    assert list(schedule_for_day(day=dt.date(2026, 11, 23))) == [outage]
    assert list(schedule_for_day(day=dt.date(2026, 11, 24))) == [outage]
    assert list(schedule_for_day(day=dt.date(2026, 11, 22))) == []
    assert list(schedule_for_day(day=dt.date(2026, 11, 25))) == []


def test_a_window_ending_exactly_at_local_midnight_is_not_on_the_next_day():
    outage = ScheduledOutageFactory(
        starts_at=local(2026, 11, 23, 22, 0), ends_at=local(2026, 11, 24, 0, 0)
    )
    assert list(schedule_for_day(day=dt.date(2026, 11, 23))) == [outage]
    assert list(schedule_for_day(day=dt.date(2026, 11, 24))) == []


def test_a_window_starting_exactly_at_local_midnight_is_not_on_the_previous_day():
    outage = ScheduledOutageFactory(
        starts_at=local(2026, 11, 24, 0, 0), ends_at=local(2026, 11, 24, 2, 0)
    )
    assert list(schedule_for_day(day=dt.date(2026, 11, 23))) == []
    assert list(schedule_for_day(day=dt.date(2026, 11, 24))) == [outage]


def test_a_window_late_in_the_utc_day_belongs_to_the_next_tehran_day():
    # 21:00 UTC on the 23rd is 00:30 Tehran on the 24th.
    outage = ScheduledOutageFactory(
        starts_at=dt.datetime(2026, 11, 23, 21, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 11, 23, 22, 0, tzinfo=UTC),
    )
    assert list(schedule_for_day(day=dt.date(2026, 11, 23))) == []
    assert list(schedule_for_day(day=dt.date(2026, 11, 24))) == [outage]


def test_schedule_filters_by_city_skips_cancelled_and_orders_by_start():
    tabriz, marand = CityFactory(name="تبریز"), CityFactory(name="مرند")
    late = ScheduledOutageFactory(
        feeder=FeederFactory(city=tabriz),
        starts_at=local(2026, 11, 23, 14),
        ends_at=local(2026, 11, 23, 16),
    )
    early = ScheduledOutageFactory(
        feeder=FeederFactory(city=tabriz),
        starts_at=local(2026, 11, 23, 8),
        ends_at=local(2026, 11, 23, 10),
    )
    elsewhere = ScheduledOutageFactory(
        feeder=FeederFactory(city=marand),
        starts_at=local(2026, 11, 23, 9),
        ends_at=local(2026, 11, 23, 10),
    )
    ScheduledOutageFactory(
        feeder=FeederFactory(city=tabriz),
        starts_at=local(2026, 11, 23, 11),
        ends_at=local(2026, 11, 23, 12),
        status=ScheduledOutage.Status.CANCELLED,
    )
    day = dt.date(2026, 11, 23)
    assert list(schedule_for_day(day=day, city_id=tabriz.pk)) == [early, late]
    assert list(schedule_for_day(day=day, city_id=marand.pk)) == [elsewhere]
    assert list(schedule_for_day(day=day)) == [early, elsewhere, late]


def test_schedule_query_count_does_not_grow_with_rows(django_assert_num_queries):
    for hour in range(5):
        ScheduledOutageFactory(
            starts_at=local(2026, 11, 23, 8 + hour), ends_at=local(2026, 11, 23, 9 + hour)
        )
    with django_assert_num_queries(1):
        names = [
            (w.feeder.city.name, w.feeder.office.name)
            for w in schedule_for_day(day=dt.date(2026, 11, 23))
        ]
    assert len(names) == 5


# --- open incident and feeder status ----------------------------------------------------------


def test_feeder_status_prefers_the_window_then_the_open_incident():
    feeder = FeederFactory()
    now = timezone.now()
    assert feeder_status(feeder=feeder, at=now).is_out is False
    incident = Incident.objects.create(feeder=feeder, state=IncidentState.INVESTIGATING)
    status = feeder_status(feeder=feeder, at=now)
    assert (status.is_out, status.incident, status.scheduled_outage) == (True, incident, None)
    outage = ScheduledOutageFactory(
        feeder=feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    status = feeder_status(feeder=feeder, at=now)
    assert (status.scheduled_outage, status.incident) == (outage, None)


def test_open_incident_ignores_finished_ones():
    feeder = FeederFactory()
    Incident.objects.create(feeder=feeder, state=IncidentState.RESOLVED)
    Incident.objects.create(
        feeder=feeder, state=IncidentState.CLOSED, close_reason=Incident.CloseReason.CUSTOMER_SIDE
    )
    assert open_incident(feeder=feeder) is None
    current = Incident.objects.create(feeder=feeder, state=IncidentState.CREW_DISPATCHED)
    assert open_incident(feeder=feeder) == current


def test_incidents_for_staff_are_scoped_to_the_office():
    mine, theirs = FeederFactory(), FeederFactory()
    own = Incident.objects.create(feeder=mine)
    other = Incident.objects.create(feeder=theirs)
    clerk = add_role(StaffFactory(office=mine.office), roles.OFFICE_CLERK)
    admin = add_role(StaffFactory(office=None), roles.SYSTEM_ADMINISTRATOR)
    telecom = add_role(StaffFactory(office=mine.office), roles.TELECOM_CENTER_OPERATOR)
    assert list(incidents_for_staff(clerk)) == [own]
    assert set(incidents_for_staff(admin)) == {own, other}
    assert list(incidents_for_staff(UserFactory())) == []
    assert list(incidents_for_staff(telecom)) == []


# --- tracking ---------------------------------------------------------------------------------


def _file(feeder=None, mobile="09121234567", **kwargs):
    subscription = fed_subscription(feeder)
    return report_file(
        subscription=subscription,
        mobile=mobile,
        channel=ReportChannel.WEB,
        first_name="مریم",
        last_name="احمدی",
        address_string="تبریز، کوچه محرمانه، پلاک ۷",
        description="برق کل کوچه رفته",
        **kwargs,
    ).report


def _all_text(tracking) -> str:
    parts = []
    for value in dataclasses.asdict(tracking).values():
        parts.append(repr(value))
    return " ".join(parts)


def test_tracking_shows_no_personal_data():
    report = _file(mobile="09121234567")
    tracking = report_track(code=report.code)
    text = _all_text(tracking)
    for secret in ("09121234567", "9121234567", "مریم", "احمدی", "محرمانه", "برق کل کوچه"):
        assert secret not in text
    assert to_persian_digits("09121234567") not in text
    field_names = {f.name for f in dataclasses.fields(tracking)}
    assert not field_names & {"mobile", "first_name", "last_name", "address_string", "reporter"}


def test_tracking_timeline_in_time_order_and_result_only_when_final():
    feeder = FeederFactory()
    first = _file(feeder, mobile="09120000001", now=timezone.now() - dt.timedelta(minutes=30))
    mine = _file(feeder, mobile="09120000002")
    assert mine.incident_id == first.incident_id
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    incident = mine.incident
    incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=clerk)

    tracking = report_track(code=mine.code)
    assert tracking.state == IncidentState.INVESTIGATING
    assert tracking.state_label == "در حال بررسی"
    assert tracking.is_open is True
    assert tracking.result == ""
    assert tracking.expected_at == incident.expected_at
    # The incident's "received" predates this report, which predates the investigation.
    assert [s.title for s in tracking.timeline] == [
        "دریافت شده",
        "گزارش شما ثبت شد",
        "در حال بررسی",
    ]
    assert [s.at for s in tracking.timeline] == sorted(s.at for s in tracking.timeline)

    incident_move(incident=incident, to=IncidentState.RESOLVED, actor=clerk, result="وصل شد.")
    tracking = report_track(code=mine.code)
    assert (tracking.state, tracking.is_open, tracking.result) == ("resolved", False, "وصل شد.")
    assert tracking.timeline[-1].title == "برق وصل شد"
    incident.refresh_from_db()
    assert tracking.expected_at == incident.restored_at


def test_tracking_a_scheduled_window_report_shows_the_window_end():
    feeder = FeederFactory()
    now = timezone.now()
    outage = ScheduledOutageFactory(
        feeder=feeder,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        reason="تعویض ترانسفورماتور",
    )
    report = _file(feeder)
    tracking = report_track(code=report.code)
    assert tracking.state == "scheduled"
    assert tracking.expected_at == outage.ends_at
    assert tracking.is_open is True
    assert "تعویض ترانسفورماتور" in tracking.result
    assert report_track(code=report.code, now=outage.ends_at).is_open is False


def test_tracking_accepts_persian_digits():
    report = _file()
    assert report_track(code=to_persian_digits(report.code)).code == report.code
    assert report_get_by_code(f" {to_persian_digits(report.code)} ") == report


@pytest.mark.parametrize("code", ["", "abc", "1234", "123456789", "۱۲۳۴۵۶۷۸", "00000000"])
def test_tracking_a_malformed_code_is_not_found(code):
    _file()
    with pytest.raises(NotFound):
        report_track(code=code)


def test_tracking_an_unknown_valid_code_is_not_found():
    from portal.identifiers import generate_tracking_number

    report = _file()
    code = generate_tracking_number(8)
    while code == report.code:  # pragma: no cover - one in ten million
        code = generate_tracking_number(8)
    with pytest.raises(NotFound) as caught:
        report_track(code=code)
    assert caught.value.message == "گزارشی با این کد رهگیری یافت نشد."


def test_tracking_a_report_on_a_window_cancelled_later():
    feeder = FeederFactory()
    now = timezone.now()
    outage = ScheduledOutageFactory(
        feeder=feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    report = _file(feeder)
    outage.status = ScheduledOutage.Status.CANCELLED
    outage.save()
    tracking = report_track(code=report.code)
    assert (tracking.state, tracking.is_open) == ("scheduled", False)
    assert tracking.state_label == "خاموشی برنامه‌ریزی‌شده لغو شد"
    assert [s.title for s in tracking.timeline] == ["گزارش شما ثبت شد"]
