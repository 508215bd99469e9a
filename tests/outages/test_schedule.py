"""Saving and cancelling planned windows: validation per field with nothing saved, the version
bump only on a real change, the office scope, the audit, and the alert opt-out."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import OutageAlertOptOut, ScheduledOutage
from outages.services.schedule import (
    outage_alert_opt_out_set,
    scheduled_outage_cancel,
    scheduled_outage_save,
)
from portal.errors import NotFound, PortalError
from subscribers import roles
from subscribers.models import AuditLog
from tests.factories import StaffFactory, UserFactory, add_role
from tests.outages.factories import FeederFactory, ScheduledOutageFactory

pytestmark = pytest.mark.django_db

TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


@pytest.fixture
def feeder():
    return FeederFactory()


@pytest.fixture
def clerk(feeder):
    return add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)


def tomorrow_at(hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TEHRAN)


def save(feeder, *, outage=None, actor=None, **overrides):
    values = {
        "starts_at": tomorrow_at(9),
        "ends_at": tomorrow_at(11),
        "reason": "تعمیرات شبکه",
    }
    values |= overrides
    return scheduled_outage_save(outage=outage, feeder=feeder, actor=actor, **values)


def test_create_saves_the_window_and_audits(feeder, clerk):
    outage = save(feeder, actor=clerk)
    outage.refresh_from_db()
    assert outage.status == ScheduledOutage.Status.PLANNED
    assert outage.version == 1
    assert outage.created_by == clerk
    assert outage.alerted_at is None
    log = AuditLog.objects.get(action="outages.schedule.save")
    assert log.actor == clerk
    assert log.object_id == str(outage.pk)
    assert log.details["created"] is True


def test_command_line_actor_none_is_allowed_and_audited(feeder):
    outage = save(feeder, actor=None)
    assert outage.created_by is None
    assert AuditLog.objects.filter(action="outages.schedule.save", actor=None).count() == 1


def test_end_before_start_names_the_field_and_saves_nothing(feeder):
    with pytest.raises(PortalError) as exc:
        save(feeder, starts_at=tomorrow_at(11), ends_at=tomorrow_at(9))
    assert exc.value.message == "پایان: باید بعد از شروع باشد"
    assert list(exc.value.fields) == ["ends_at"]
    assert not ScheduledOutage.objects.exists()
    assert not AuditLog.objects.exists()


def test_end_equal_to_start_is_refused(feeder):
    with pytest.raises(PortalError) as exc:
        save(feeder, starts_at=tomorrow_at(9), ends_at=tomorrow_at(9))
    assert "ends_at" in exc.value.fields


@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_is_required(feeder, reason):
    with pytest.raises(PortalError) as exc:
        save(feeder, reason=reason)
    assert list(exc.value.fields) == ["reason"]
    assert exc.value.message.startswith("علت:")
    assert not ScheduledOutage.objects.exists()


def test_too_long_reason_is_refused(feeder):
    with pytest.raises(PortalError) as exc:
        save(feeder, reason="ب" * 301)
    assert "reason" in exc.value.fields


def test_both_errors_are_reported_at_once(feeder):
    with pytest.raises(PortalError) as exc:
        save(feeder, reason="", starts_at=tomorrow_at(11), ends_at=tomorrow_at(10))
    assert set(exc.value.fields) == {"reason", "ends_at"}


def test_a_new_window_may_not_end_in_the_past(feeder):
    now = timezone.now()
    with pytest.raises(PortalError) as exc:
        save(feeder, starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1))
    assert list(exc.value.fields) == ["ends_at"]
    assert not ScheduledOutage.objects.exists()


def test_a_window_already_under_way_may_be_entered(feeder):
    now = timezone.now()
    outage = save(
        feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    assert outage.pk


def test_naive_datetimes_are_tehran_wall_clock(feeder):
    day = timezone.localdate() + dt.timedelta(days=1)
    outage = save(
        feeder,
        starts_at=dt.datetime.combine(day, dt.time(8)),
        ends_at=dt.datetime.combine(day, dt.time(10)),
    )
    outage.refresh_from_db()
    utc = outage.starts_at.astimezone(dt.UTC)
    assert (utc.hour, utc.minute) == (4, 30)


def test_version_grows_only_on_a_real_change(feeder):
    outage = save(feeder)
    same = save(feeder, outage=outage)
    same.refresh_from_db()
    assert same.version == 1
    changed = save(feeder, outage=outage, reason="جابه‌جایی تیر")
    changed.refresh_from_db()
    assert (changed.version, changed.reason) == (2, "جابه‌جایی تیر")
    moved = save(feeder, outage=outage, reason="جابه‌جایی تیر", ends_at=tomorrow_at(12))
    moved.refresh_from_db()
    assert moved.version == 3
    other = FeederFactory(office=feeder.office)
    refed = save(other, outage=outage, reason="جابه‌جایی تیر", ends_at=tomorrow_at(12))
    refed.refresh_from_db()
    assert (refed.version, refed.feeder) == (4, other)
    assert AuditLog.objects.filter(action="outages.schedule.save").count() == 4


def test_a_refused_change_keeps_the_old_window(feeder):
    outage = save(feeder)
    with pytest.raises(PortalError):
        save(feeder, outage=outage, starts_at=tomorrow_at(12), ends_at=tomorrow_at(10))
    outage.refresh_from_db()
    assert (outage.version, timezone.localtime(outage.ends_at).hour) == (1, 11)


def test_a_cancelled_window_cannot_be_changed(feeder):
    outage = ScheduledOutageFactory(feeder=feeder, status=ScheduledOutage.Status.CANCELLED)
    with pytest.raises(PortalError) as exc:
        save(feeder, outage=outage, reason="دیگر")
    assert exc.value.code == "cancelled"
    outage.refresh_from_db()
    assert outage.reason == "تعمیرات شبکه"


def test_cancel_bumps_version_and_twice_is_an_error(feeder, clerk):
    outage = ScheduledOutageFactory(feeder=feeder)
    cancelled = scheduled_outage_cancel(outage=outage, actor=clerk)
    assert (cancelled.status, cancelled.version) == (ScheduledOutage.Status.CANCELLED, 2)
    assert outage.status == ScheduledOutage.Status.CANCELLED
    assert AuditLog.objects.filter(action="outages.schedule.cancel", actor=clerk).count() == 1
    with pytest.raises(PortalError) as exc:
        scheduled_outage_cancel(outage=outage, actor=clerk)
    assert exc.value.code == "already_cancelled"
    outage.refresh_from_db()
    assert outage.version == 2
    # Not alerted: cancelling sends nothing.
    assert not OutboxMessage.objects.exists()


def test_staff_of_another_office_get_not_found(feeder):
    outsider = add_role(StaffFactory(), roles.OFFICE_CLERK)
    with pytest.raises(NotFound):
        save(feeder, actor=outsider)
    outage = ScheduledOutageFactory(feeder=feeder)
    with pytest.raises(NotFound):
        save(feeder, outage=outage, actor=outsider, reason="دیگر")
    with pytest.raises(NotFound):
        scheduled_outage_cancel(outage=outage, actor=outsider)
    outage.refresh_from_db()
    assert (outage.version, outage.status) == (1, ScheduledOutage.Status.PLANNED)
    assert ScheduledOutage.objects.count() == 1


@pytest.mark.parametrize("role", [roles.CALL_CENTER_OPERATOR, None])
def test_office_staff_without_a_schedule_role_get_not_found(feeder, role):
    staff = StaffFactory(office=feeder.office)
    if role:
        add_role(staff, role)
    with pytest.raises(NotFound):
        save(feeder, actor=staff)


def test_a_subscriber_gets_not_found(feeder):
    with pytest.raises(NotFound):
        save(feeder, actor=UserFactory())


def test_supervisor_and_system_admin_may_keep_the_schedule(feeder):
    supervisor = add_role(StaffFactory(office=feeder.office), roles.OFFICE_SUPERVISOR)
    admin = add_role(StaffFactory(office=None), roles.SYSTEM_ADMINISTRATOR)
    assert save(feeder, actor=supervisor).pk
    assert save(feeder, actor=admin, starts_at=tomorrow_at(13), ends_at=tomorrow_at(14)).pk


def test_moving_to_another_office_feeder_is_refused(feeder, clerk):
    outage = save(feeder, actor=clerk)
    with pytest.raises(NotFound):
        save(FeederFactory(), outage=outage, actor=clerk)
    outage.refresh_from_db()
    assert outage.feeder == feeder


def test_opt_out_is_idempotent_both_ways():
    user = UserFactory()
    outage_alert_opt_out_set(user=user, opted_out=True)
    outage_alert_opt_out_set(user=user, opted_out=True)
    assert OutageAlertOptOut.objects.filter(user=user).count() == 1
    outage_alert_opt_out_set(user=user, opted_out=False)
    outage_alert_opt_out_set(user=user, opted_out=False)
    assert not OutageAlertOptOut.objects.filter(user=user).exists()
