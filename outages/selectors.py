"""Reads of the outages app: what covers a feeder now, the public schedule, tracking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from outages.models import (
    OPEN_INCIDENT_STATES,
    Feeder,
    Incident,
    IncidentEvent,
    OutageReport,
    ScheduledOutage,
)
from portal.errors import NotFound
from portal.identifiers import InvalidIdentifier, is_valid_tracking_number, normalize_identifier
from subscribers import roles
from subscribers.permissions import sees_all_offices


def covering_outage(*, feeder: Feeder, at: dt.datetime) -> ScheduledOutage | None:
    """The planned window on ``feeder`` that covers the instant ``at`` (half-open [start, end):
    at the end instant the power is back), or None."""
    return (
        ScheduledOutage.objects.filter(
            feeder=feeder,
            status=ScheduledOutage.Status.PLANNED,
            starts_at__lte=at,
            ends_at__gt=at,
        )
        .order_by("ends_at")
        .last()
    )


def open_incident(*, feeder: Feeder) -> Incident | None:
    return Incident.objects.filter(feeder=feeder, state__in=OPEN_INCIDENT_STATES).first()


@dataclass(frozen=True)
class FeederStatus:
    """Is the feeder out now, and why: a planned window, an open incident, or neither."""

    feeder: Feeder
    scheduled_outage: ScheduledOutage | None
    incident: Incident | None

    @property
    def is_out(self) -> bool:
        return self.scheduled_outage is not None or self.incident is not None


def feeder_status(*, feeder: Feeder, at: dt.datetime | None = None) -> FeederStatus:
    at = at or timezone.now()
    window = covering_outage(feeder=feeder, at=at)
    return FeederStatus(
        feeder=feeder,
        scheduled_outage=window,
        incident=None if window else open_incident(feeder=feeder),
    )


def schedule_for_day(*, day: dt.date, city_id: int | None = None) -> QuerySet[ScheduledOutage]:
    """Planned (not cancelled) windows that overlap the local calendar day ``day`` (Asia/Tehran),
    optionally in one city, in start order."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    windows = ScheduledOutage.objects.filter(
        status=ScheduledOutage.Status.PLANNED, starts_at__lt=end, ends_at__gt=start
    ).select_related("feeder", "feeder__city", "feeder__office")
    if city_id is not None:
        windows = windows.filter(feeder__city_id=city_id)
    return windows.order_by("starts_at", "feeder__code")


def report_get_by_code(code: str) -> OutageReport:
    """The report with this tracking code (Persian digits accepted); ``NotFound`` for a malformed
    or unknown code alike."""
    try:
        code = normalize_identifier(code, label="کد رهگیری")
    except InvalidIdentifier:
        raise NotFound("گزارشی با این کد رهگیری یافت نشد.") from None
    if not is_valid_tracking_number(code, length=8):
        raise NotFound("گزارشی با این کد رهگیری یافت نشد.")
    report = (
        OutageReport.objects.select_related(
            "incident", "scheduled_outage", "feeder", "feeder__city", "feeder__office"
        )
        .filter(code=code)
        .first()
    )
    if report is None:
        raise NotFound("گزارشی با این کد رهگیری یافت نشد.")
    return report


@dataclass(frozen=True)
class TimelineStep:
    at: dt.datetime
    title: str
    note: str


@dataclass(frozen=True)
class ReportTracking:
    """What anyone holding a tracking code may see: no name, mobile or address."""

    code: str
    created_at: dt.datetime
    state: str  # IncidentState value, or "scheduled"
    state_label: str
    is_open: bool
    expected_at: dt.datetime | None
    result: str
    feeder_name: str
    city_name: str
    timeline: list[TimelineStep]


def report_track(*, code: str, now: dt.datetime | None = None) -> ReportTracking:
    """The public tracking view of a report; ``NotFound`` when the code is unknown."""
    report = report_get_by_code(code)
    now = now or timezone.now()
    steps = [TimelineStep(at=report.created_at, title="گزارش شما ثبت شد", note="")]
    if report.scheduled_outage_id:
        window = report.scheduled_outage
        ended = window.status == ScheduledOutage.Status.CANCELLED or window.ends_at <= now
        if window.status == ScheduledOutage.Status.CANCELLED:
            label, result = "خاموشی برنامه‌ریزی‌شده لغو شد", "خاموشی برنامه‌ریزی‌شده لغو شد."
        else:
            label = "خاموشی برنامه‌ریزی‌شده"
            result = f"خاموشی طبق برنامه؛ علت: {window.reason}"
        return ReportTracking(
            code=report.code,
            created_at=report.created_at,
            state="scheduled",
            state_label=label,
            is_open=not ended,
            expected_at=window.ends_at,
            result=result,
            feeder_name=report.feeder.name,
            city_name=report.feeder.city.name,
            timeline=steps,
        )
    incident = report.incident
    # The outage's own public timeline (it may predate this report: others reported first).
    events = IncidentEvent.objects.filter(
        incident=incident, public=True, kind=IncidentEvent.Kind.TRANSITION
    ).order_by("created_at", "id")
    steps += [
        TimelineStep(at=event.created_at, title=event.get_new_state_display(), note=event.note)
        for event in events
    ]
    steps.sort(key=lambda s: s.at)
    return ReportTracking(
        code=report.code,
        created_at=report.created_at,
        state=incident.state,
        state_label=incident.get_state_display(),
        is_open=incident.is_open,
        expected_at=incident.restored_at or incident.expected_at,
        result=incident.result if not incident.is_open else "",
        feeder_name=report.feeder.name,
        city_name=report.feeder.city.name,
        timeline=steps,
    )


# Staff roles that work incidents (the same set ``incident_check_staff`` allows to act).
INCIDENT_WORKING_ROLES = (roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR, roles.CALL_CENTER_OPERATOR)


def incidents_for_staff(user) -> QuerySet[Incident]:
    """Incidents the staff member may see: their office's feeders, or all for system admins.
    Staff without an incident-working role (e.g. a telecom center operator) see none, matching
    ``incident_check_staff``, so a list never shows what its detail page would 404."""
    incidents = Incident.objects.select_related("feeder", "feeder__office", "feeder__city")
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return incidents.none()
    if sees_all_offices(user):
        return incidents
    if not getattr(user, "office_id", None):
        return incidents.none()
    if not user.groups.filter(name__in=INCIDENT_WORKING_ROLES).exists():
        return incidents.none()
    return incidents.filter(feeder__office_id=user.office_id)
