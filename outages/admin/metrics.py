"""Incident metrics for the admin page: time to restore and reports per incident, per office
and per feeder, computed in the database (one grouped query per table)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
)
from django.utils import timezone

from outages.admin.common import duration_text
from outages.models import Incident, IncidentState
from portal.digits import to_persian_digits


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``; works on intervals as well as numbers."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


_RESTORE = ExpressionWrapper(F("restored_at") - F("opened_at"), output_field=DurationField())
_RESOLVED = Q(state=IncidentState.RESOLVED, restored_at__isnull=False)


@dataclass(frozen=True)
class MetricsRow:
    label: str
    office: str
    incidents: int
    resolved: int
    average_restore: dt.timedelta | None
    median_restore: dt.timedelta | None
    reports_average: float | None
    reports_max: int | None

    @property
    def average_text(self) -> str:
        return duration_text(self.average_restore)

    @property
    def median_text(self) -> str:
        return duration_text(self.median_restore)

    @property
    def reports_average_text(self) -> str:
        if self.reports_average is None:
            return "—"
        return to_persian_digits(f"{self.reports_average:.1f}").replace(".", "٫")


def _aggregates() -> dict:
    aggregates = {
        "incidents": Count("id"),
        "resolved": Count("id", filter=_RESOLVED),
        "average_restore": Avg(_RESTORE, filter=_RESOLVED, output_field=DurationField()),
        "reports_average": Avg("report_count"),
        "reports_max": Max("report_count"),
    }
    # SQLite (local runs without PostgreSQL) has no ordered-set aggregates: no median there.
    if connection.vendor == "postgresql":
        aggregates["median_restore"] = Median(
            _RESTORE, filter=_RESOLVED, output_field=DurationField()
        )
    return aggregates


def _row(values: dict, label: str, office: str) -> MetricsRow:
    return MetricsRow(
        label=label,
        office=office,
        incidents=values["incidents"],
        resolved=values["resolved"],
        average_restore=values["average_restore"],
        median_restore=values.get("median_restore"),
        reports_average=(
            float(values["reports_average"]) if values["reports_average"] is not None else None
        ),
        reports_max=values["reports_max"],
    )


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local (Tehran) calendar days ``start``..``end`` inclusive as a half-open instant range."""
    tz = timezone.get_default_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


@dataclass(frozen=True)
class Metrics:
    total: MetricsRow
    offices: list[MetricsRow]
    feeders: list[MetricsRow]


def incident_metrics(*, incidents: QuerySet[Incident], start: dt.date, end: dt.date) -> Metrics:
    """Incidents opened in ``start``..``end`` (local days) among ``incidents`` (already scoped
    to the caller), totalled, per office and per feeder."""
    since, until = period_bounds(start, end)
    scoped = incidents.filter(opened_at__gte=since, opened_at__lt=until).order_by()
    total = scoped.aggregate(**_aggregates())
    offices = (
        scoped.values("feeder__office_id", "feeder__office__name")
        .annotate(**_aggregates())
        .order_by("feeder__office__name")
    )
    feeders = (
        scoped.values("feeder_id", "feeder__code", "feeder__name", "feeder__office__name")
        .annotate(**_aggregates())
        .order_by("feeder__office__name", "feeder__code")
    )
    return Metrics(
        total=_row(total, "", ""),
        offices=[_row(v, v["feeder__office__name"], v["feeder__office__name"]) for v in offices],
        feeders=[
            _row(v, f"{v['feeder__code']} — {v['feeder__name']}", v["feeder__office__name"])
            for v in feeders
        ],
    )
