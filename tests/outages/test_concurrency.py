"""Races on PostgreSQL with two real connections: two reports on one feeder at once, two staff
moving one incident at once, and a report arriving while staff resolve the incident."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connections, transaction
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import Incident, IncidentEvent, IncidentState, OutageReport, ReportChannel
from outages.services.incidents import incident_move, incident_notify_result
from outages.services.reports import report_file
from portal.errors import PortalError
from subscribers import roles
from subscribers.services.roles import roles_sync
from tests.factories import StaffFactory, add_role
from tests.outages.factories import FeederFactory, fed_subscription

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _roles():
    # A transactional test's flush removed the role groups the migrations created.
    roles_sync()


def run_together(calls: dict) -> dict:
    """Run each call in its own thread (its own connection), released together by a barrier;
    returns name -> "ok" / the PortalError code / the exception."""
    barrier = threading.Barrier(len(calls))
    results: dict[str, object] = {}

    def run(name, call):
        try:
            barrier.wait(timeout=10)
            results[name] = ("ok", call())
        except PortalError as exc:
            results[name] = (exc.code, None)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[name] = (repr(exc), None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_reports_on_one_feeder_at_once_open_one_incident():
    feeder = FeederFactory()
    one, two = fed_subscription(feeder), fed_subscription(feeder)
    now = timezone.now()
    results = run_together(
        {
            "a": lambda: (
                report_file(
                    subscription=one, mobile="09120000001", channel=ReportChannel.WEB, now=now
                ).created
            ),
            "b": lambda: (
                report_file(
                    subscription=two, mobile="09120000002", channel=ReportChannel.APP, now=now
                ).created
            ),
        }
    )
    assert results == {"a": ("ok", True), "b": ("ok", True)}
    incident = Incident.objects.get()
    assert incident.report_count == 2
    assert OutageReport.objects.filter(incident=incident).count() == 2
    assert IncidentEvent.objects.filter(incident=incident).count() == 1
    assert OutboxMessage.objects.filter(idempotency_key__startswith="outage-report:").count() == 2


def test_the_same_mobile_twice_at_once_gets_one_report_and_one_sms():
    feeder = FeederFactory()
    subscription = fed_subscription(feeder)
    results = run_together(
        {
            name: (
                lambda: (
                    report_file(
                        subscription=subscription, mobile="09120000001", channel=ReportChannel.WEB
                    ).report.code
                )
            )
            for name in ("a", "b")
        }
    )
    assert results["a"][0] == results["b"][0] == "ok"
    assert results["a"][1] == results["b"][1]
    assert OutageReport.objects.count() == 1
    assert Incident.objects.get().report_count == 1
    assert OutboxMessage.objects.count() == 1


def test_two_staff_moving_one_incident_at_once_one_wins():
    feeder = FeederFactory()
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    supervisor = add_role(StaffFactory(office=feeder.office), roles.OFFICE_SUPERVISOR)
    incident = Incident.objects.create(
        feeder=feeder,
        state=IncidentState.INVESTIGATING,
        opened_at=timezone.now() - dt.timedelta(hours=1),
    )
    seen = Incident.objects.get(pk=incident.pk)
    seen_too = Incident.objects.get(pk=incident.pk)
    results = run_together(
        {
            "resolve": lambda: (
                incident_move(incident=seen, to=IncidentState.RESOLVED, actor=supervisor).pk
            ),
            "close": lambda: (
                incident_move(
                    incident=seen_too,
                    to=IncidentState.CLOSED,
                    actor=clerk,
                    close_reason=Incident.CloseReason.CUSTOMER_SIDE,
                ).pk
            ),
        }
    )
    outcomes = sorted(code for code, _value in results.values())
    assert outcomes == ["conflict", "ok"]
    incident.refresh_from_db()
    winner = next(name for name, (code, _v) in results.items() if code == "ok")
    assert incident.state == {"resolve": "resolved", "close": "closed"}[winner]
    assert IncidentEvent.objects.filter(incident=incident).count() == 1


def test_a_report_arriving_while_staff_resolve_never_misses_its_result():
    """Staff hold the incident's lock while resolving; a report filed meanwhile must either get
    the result SMS or open a new incident — never join the resolved one silently."""
    feeder = FeederFactory()
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    first = report_file(
        subscription=fed_subscription(feeder),
        mobile="09120000001",
        channel=ReportChannel.WEB,
        now=timezone.now() - dt.timedelta(minutes=30),
    ).report
    incident = first.incident
    incident_move(incident=incident, to=IncidentState.INVESTIGATING, actor=clerk)
    late_subscription = fed_subscription(feeder)
    resolving = threading.Event()
    results: dict[str, object] = {}

    def resolve():
        try:
            with transaction.atomic():
                incident_move(
                    incident=Incident.objects.get(pk=incident.pk),
                    to=IncidentState.RESOLVED,
                    actor=clerk,
                )
                resolving.set()
                time.sleep(1.0)  # the report below is now waiting on our row lock
            results["resolve"] = "ok"
        finally:
            connections.close_all()

    def report():
        try:
            resolving.wait(timeout=10)
            results["report"] = report_file(
                subscription=late_subscription, mobile="09120000002", channel=ReportChannel.WEB
            ).report.pk
        finally:
            connections.close_all()

    threads = [threading.Thread(target=resolve), threading.Thread(target=report)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results["resolve"] == "ok"
    late = OutageReport.objects.select_related("incident").get(pk=results["report"])
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    assert incident.report_count == 1
    assert late.incident != incident
    assert late.incident.state == IncidentState.RECEIVED
    assert late.incident.report_count == 1
    assert list(
        OutboxMessage.objects.filter(idempotency_key__startswith="outage-result:").values_list(
            "recipient", flat=True
        )
    ) == ["09120000001"]


def test_notify_result_runs_outside_a_transaction():
    """A task or admin action may call it in autocommit mode; it takes its own transaction."""
    feeder = FeederFactory()
    report = report_file(
        subscription=fed_subscription(feeder), mobile="09120000001", channel=ReportChannel.WEB
    ).report
    Incident.objects.filter(pk=report.incident_id).update(
        state=IncidentState.RESOLVED, result="برق وصل شد."
    )
    incident = Incident.objects.get(pk=report.incident_id)
    assert incident_notify_result(incident=incident) == 1
    assert incident_notify_result(incident=incident) == 0
    report.refresh_from_db()
    assert report.result_sent_at is not None
    assert OutboxMessage.objects.filter(idempotency_key=f"outage-result:{report.code}").count() == 1
