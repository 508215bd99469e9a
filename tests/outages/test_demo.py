"""seed_demo's outages steps: feeders for every demo electricity subscription, a week of
planned windows, an open and a resolved incident made through the services, a printed Open311
key; a second run creates nothing and one seed always gives the same schedule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.demo import DEMO_OPEN311_KEY, FEEDERS
from outages.models import (
    Feeder,
    Incident,
    IncidentEvent,
    IncidentState,
    Open311ApiKey,
    OutageReport,
    ScheduledOutage,
)
from subscribers.models import Subscription, UtilityCompany

pytestmark = pytest.mark.django_db

MODELS = (Feeder, ScheduledOutage, Incident, IncidentEvent, OutageReport, Open311ApiKey)


def run(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    counted = {model.__name__: model.objects.count() for model in MODELS}
    counted["sms"] = OutboxMessage.objects.count()
    return counted


def schedule() -> list[tuple]:
    return sorted(
        ScheduledOutage.objects.values_list("feeder__code", "starts_at", "ends_at", "reason")
    )


def test_feeders_for_every_demo_electricity_subscription():
    run()
    electricity = Subscription.objects.filter(company__kind=UtilityCompany.Kind.ELECTRICITY)
    assert electricity.count() >= 10
    for subscription in electricity:
        feeder = Feeder.objects.get(company=subscription.company, code=subscription.feeder_code)
        assert feeder.office_id == subscription.office_id, subscription
        assert feeder.city_id == subscription.city_id, subscription
    assert Feeder.objects.count() == sum(len(specs) for specs in FEEDERS.values())
    for feeder in Feeder.objects.select_related("office"):
        assert feeder.area and feeder.name.startswith("فیدر")
        assert feeder.office.cities.filter(pk=feeder.city_id).exists()


def test_a_schedule_for_the_coming_week():
    run()
    windows = ScheduledOutage.objects.select_related("feeder__city")
    today = timezone.localdate()
    assert windows.count() >= 2 * Feeder.objects.count()
    for window in windows:
        day = timezone.localdate(window.starts_at)
        assert today < day <= today + dt.timedelta(days=7)
        assert window.status == ScheduledOutage.Status.PLANNED
        assert window.ends_at > window.starts_at
        assert window.created_by is not None
        assert window.created_by.office_id == window.feeder.office_id
    per_city: dict[str, int] = {}
    for window in windows:
        per_city[window.feeder.city.name] = per_city.get(window.feeder.city.name, 0) + 1
    assert all(n >= 2 for n in per_city.values())
    assert {"تبریز", "قم", "باسمنج"} <= set(per_city)


def test_open_and_resolved_incidents_through_the_services():
    run()
    open_incident = Incident.objects.get(state=IncidentState.INVESTIGATING)
    assert open_incident.report_count == 2
    mobiles = set(open_incident.reports.values_list("mobile", flat=True))
    assert len(mobiles) == 2
    assert {"web", "call_center"} == set(open_incident.reports.values_list("channel", flat=True))
    resolved = Incident.objects.get(state=IncidentState.RESOLVED)
    assert resolved.result and resolved.crew
    assert resolved.restored_at - resolved.opened_at == dt.timedelta(hours=2, minutes=15)
    assert list(resolved.events.filter(kind="transition").values_list("new_state", flat=True)) == [
        "received",
        "investigating",
        "crew_dispatched",
        "resolved",
    ]
    assert Incident.objects.count() == 2
    # Every report got its code by SMS; the resolved incident's reporter got the result.
    for report in OutageReport.objects.all():
        assert OutboxMessage.objects.filter(idempotency_key=f"outage-report:{report.code}").exists()
    (report,) = resolved.reports.all()
    assert OutboxMessage.objects.filter(idempotency_key=f"outage-result:{report.code}").count() == 1
    assert report.result_sent_at is not None


def test_the_open311_key_is_created_once_and_printed():
    out = run()
    assert DEMO_OPEN311_KEY in out
    assert Open311ApiKey.objects.filter(is_active=True).count() == 1
    key = Open311ApiKey.objects.get()
    assert DEMO_OPEN311_KEY not in {key.key_hash, key.name}


def test_second_run_creates_nothing():
    run()
    first = counts()
    first_schedule = schedule()
    out = run()
    assert counts() == first
    assert schedule() == first_schedule
    assert "created 0, updated 0" in out.splitlines()[-1]


def test_same_seed_same_schedule():
    run("--seed", "5")
    with_five = schedule()
    ScheduledOutage.objects.all().delete()
    run("--seed", "5")
    assert schedule() == with_five
