"""Reads behind Open311's GET requests: many reports in one query, with only what the public
tracking page shows (no mobile, name, description, address or location of the reporter).

The state rules mirror ``outages.selectors.report_track`` (a planned window is open until it
ends or is cancelled; an incident until it is resolved or closed); they are computed here for a
whole page of reports at once so the query count does not grow with the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from outages.models import (
    FINAL_INCIDENT_STATES,
    OPEN_INCIDENT_STATES,
    IncidentEvent,
    OutageReport,
    ScheduledOutage,
)

MAX_RESULTS = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)


@dataclass(frozen=True)
class Open311Request:
    code: str
    token: str
    is_open: bool
    status_notes: str
    agency_responsible: str
    requested_at: dt.datetime
    updated_at: dt.datetime
    expected_at: dt.datetime | None
    address: str


def _open_q(now: dt.datetime) -> Q:
    return Q(incident__state__in=[s.value for s in OPEN_INCIDENT_STATES]) | Q(
        scheduled_outage__status=ScheduledOutage.Status.PLANNED,
        scheduled_outage__ends_at__gt=now,
    )


def _closed_q(now: dt.datetime) -> Q:
    return (
        Q(incident__state__in=[s.value for s in FINAL_INCIDENT_STATES])
        | Q(scheduled_outage__status=ScheduledOutage.Status.CANCELLED)
        | Q(
            scheduled_outage__status=ScheduledOutage.Status.PLANNED,
            scheduled_outage__ends_at__lte=now,
        )
    )


def _base() -> QuerySet[OutageReport]:
    last_event = (
        IncidentEvent.objects.filter(
            incident_id=OuterRef("incident_id"),
            public=True,
            kind=IncidentEvent.Kind.TRANSITION,
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        OutageReport.objects.select_related(
            "incident", "scheduled_outage", "feeder", "feeder__city", "feeder__office"
        )
        .annotate(last_event_at=Subquery(last_event))
        .order_by("-created_at", "-id")
    )


def open311_reports(
    *,
    codes: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: set[str] | None = None,
    now: dt.datetime | None = None,
) -> list[Open311Request]:
    """Reports for GET requests, newest first, at most ``MAX_RESULTS``.

    ``codes`` (the spec's service_request_id) overrides every other filter. Otherwise reports
    created in [start, end]; without ``start`` the 90 days before ``end`` (or before now), as
    the spec's default. ``statuses`` is a subset of {"open", "closed"}; None means both.
    """
    now = now or timezone.now()
    reports = _base()
    if codes is not None:
        reports = reports.filter(code__in=codes)
    else:
        if start is None:
            start = (end or now) - DEFAULT_WINDOW
        reports = reports.filter(created_at__gte=start)
        if end is not None:
            reports = reports.filter(created_at__lte=end)
        if statuses is not None and statuses != {"open", "closed"}:
            reports = reports.filter(_open_q(now) if "open" in statuses else _closed_q(now))
    return [_to_request(report, now) for report in reports[:MAX_RESULTS]]


def open311_report_by_token(token) -> OutageReport | None:
    return OutageReport.objects.filter(token=token).only("code", "token").first()


def _to_request(report: OutageReport, now: dt.datetime) -> Open311Request:
    updated = [report.created_at]
    if report.scheduled_outage_id:
        window = report.scheduled_outage
        cancelled = window.status == ScheduledOutage.Status.CANCELLED
        ended = cancelled or window.ends_at <= now
        if cancelled:
            label, result = "خاموشی برنامه‌ریزی‌شده لغو شد", "خاموشی برنامه‌ریزی‌شده لغو شد."
        else:
            label = "خاموشی برنامه‌ریزی‌شده"
            result = f"خاموشی طبق برنامه؛ علت: {window.reason}"
        updated.append(window.updated_at)
        if ended and not cancelled:
            updated.append(window.ends_at)
        is_open, expected = not ended, window.ends_at
    else:
        incident = report.incident
        label = incident.get_state_display()
        result = incident.result if not incident.is_open else ""
        if report.last_event_at is not None:
            updated.append(report.last_event_at)
        is_open, expected = incident.is_open, incident.restored_at or incident.expected_at
    notes = f"{label} — {result}" if result and result != label + "." else label
    feeder = report.feeder
    address = "، ".join(part for part in (feeder.city.name, feeder.area) if part)
    return Open311Request(
        code=report.code,
        token=str(report.token),
        is_open=is_open,
        status_notes=notes,
        agency_responsible=feeder.office.name,
        requested_at=report.created_at,
        updated_at=max(at for at in updated if at is not None),
        expected_at=expected,
        address=address,
    )
