"""Outages in admin: office scoping of every list, the incident workflow buttons through the
admin POST (with the stale-page conflict), the metrics page, the schedule form and import,
reports with masked mobiles, Open311 keys for system administrators only, the role grants."""

from __future__ import annotations

import datetime as dt
import importlib
import io

import jdatetime
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import (
    Feeder,
    Incident,
    IncidentEvent,
    IncidentState,
    Open311ApiKey,
    OutageReport,
    ReportChannel,
    ScheduledOutage,
)
from outages.services import incidents as incident_services
from outages.services.reports import report_file
from portal.digits import to_persian_digits
from subscribers import roles
from subscribers.services.roles import roles_sync
from tests.factories import StaffFactory, add_role, login_with_second_factor
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = pytest.mark.django_db

OUTAGE_ROLE_PERMISSIONS = importlib.import_module("outages.migrations.0002_roles").ROLE_PERMISSIONS


@pytest.fixture(autouse=True)
def _role_groups(db):
    """The role groups come from data migrations; a transactional test's flush deletes them."""
    roles_sync()


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def staff(office, role=roles.OFFICE_CLERK, **kwargs):
    return add_role(StaffFactory(office=office, **kwargs), role)


def logged_in(client, user):
    login_with_second_factor(client, user)
    return client


def file_report(feeder, mobile="09141112233", **kwargs):
    subscription = fed_subscription(feeder)
    return report_file(
        subscription=subscription, mobile=mobile, channel=ReportChannel.WEB, **kwargs
    ).report


def incident_on(feeder, *mobiles) -> Incident:
    for mobile in mobiles or ("09141112233",):
        report = file_report(feeder, mobile)
    return Incident.objects.get(pk=report.incident_id)


@pytest.fixture
def feeder():
    return FeederFactory()


@pytest.fixture
def other_feeder():
    return FeederFactory()


@pytest.fixture
def clerk(feeder):
    return staff(feeder.office)


@pytest.fixture
def clerk_client(client, clerk):
    return logged_in(client, clerk)


def change_url(incident):
    return reverse("admin:outages_incident_change", args=[incident.pk])


def action_url(incident, action):
    return reverse("admin:outages_incident_action", args=[incident.pk, action])


def post_action(client, incident, action, **data):
    data.setdefault("seen_state", incident.state)
    return client.post(action_url(incident, action), data)


# --- roles --------------------------------------------------------------------------------


def test_the_migration_and_roles_sync_grant_the_same_permissions():
    from outages.roles import ROLE_PERMISSIONS

    assert OUTAGE_ROLE_PERMISSIONS == ROLE_PERMISSIONS


def test_role_groups_hold_the_outage_permissions():
    from django.contrib.auth.models import Group

    def codenames(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="outages")
            .values_list("codename", flat=True)
        )

    clerk = codenames(roles.OFFICE_CLERK)
    assert {"add_scheduledoutage", "change_incident", "view_outagereport"} <= clerk
    assert "add_feeder" not in clerk
    assert {"add_feeder", "change_feeder"} <= codenames(roles.OFFICE_SUPERVISOR)
    operator = codenames(roles.CALL_CENTER_OPERATOR)
    assert operator == {
        "view_feeder",
        "view_scheduledoutage",
        "view_incident",
        "change_incident",
        "view_outagereport",
    }
    for role in (roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR, roles.CALL_CENTER_OPERATOR):
        assert not {c for c in codenames(role) if "open311apikey" in c}


# --- feeders ------------------------------------------------------------------------------


def test_feeder_list_is_scoped_to_the_office(clerk_client, feeder, other_feeder):
    response = clerk_client.get(reverse("admin:outages_feeder_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [feeder]
    assert other_feeder.code not in response.content.decode()
    theirs = reverse("admin:outages_feeder_change", args=[other_feeder.pk])
    assert clerk_client.get(theirs).status_code == 404
    searched = clerk_client.get(reverse("admin:outages_feeder_changelist"), {"q": feeder.code})
    assert searched.context["cl"].result_count == 1


def test_clerk_cannot_add_feeders_but_a_supervisor_adds_in_their_office(client, feeder):
    logged_in(client, staff(feeder.office))
    assert client.get(reverse("admin:outages_feeder_add")).status_code == 403
    client.logout()
    boss = staff(feeder.office, roles.OFFICE_SUPERVISOR)
    feeder.office.cities.add(feeder.city)
    logged_in(client, boss)
    page = client.get(reverse("admin:outages_feeder_add"))
    assert list(page.context["adminform"].form.fields["office"].queryset) == [feeder.office]
    response = client.post(
        reverse("admin:outages_feeder_add"),
        {"office": feeder.office.pk, "city": feeder.city.pk, "code": "N-77", "name": "نو"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Feeder.objects.get(code="N-77")
    assert created.company_id == feeder.office.company_id
    duplicate = client.post(
        reverse("admin:outages_feeder_add"),
        {"office": feeder.office.pk, "city": feeder.city.pk, "code": "N-77", "name": "دوباره"},
    )
    assert duplicate.status_code == 200
    assert "code" in duplicate.context["adminform"].form.errors


def test_feeder_changelist_query_count_is_flat(clerk_client, feeder):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert clerk_client.get(reverse("admin:outages_feeder_changelist")).status_code == 200
        return len(queries)

    count()
    at_one = count()
    FeederFactory.create_batch(49, office=feeder.office, company=feeder.company)
    assert count() == at_one <= 12


# --- incidents: list and scoping ------------------------------------------------------------


def test_incident_list_is_scoped_and_shows_the_columns(clerk_client, feeder, other_feeder):
    mine = incident_on(feeder, "09141112233", "09141112234")
    theirs = incident_on(other_feeder)
    response = clerk_client.get(reverse("admin:outages_incident_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    body = response.content.decode()
    assert feeder.office.name in body
    assert "دریافت شده" in body
    assert clerk_client.get(change_url(theirs)).status_code == 404
    assert post_action(clerk_client, theirs, "investigate").status_code == 404
    assert clerk_client.get(reverse("admin:outages_incident_changelist"), {
        "state__exact": "resolved"
    }).context["cl"].result_count == 0  # fmt: skip


def test_system_admin_sees_every_office(client, feeder, other_feeder):
    incident_on(feeder)
    incident_on(other_feeder)
    logged_in(client, StaffFactory(office=None, is_superuser=True))
    response = client.get(reverse("admin:outages_incident_changelist"))
    assert response.context["cl"].result_count == 2
    assert "feeder__office__id__exact" in response.content.decode()


def test_incident_changelist_query_count_is_flat(clerk_client, feeder):
    incident_on(feeder)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = clerk_client.get(reverse("admin:outages_incident_changelist"))
            assert response.status_code == 200
        return len(queries)

    count()
    at_one = count()
    feeders = FeederFactory.create_batch(49, office=feeder.office, company=feeder.company)
    Incident.objects.bulk_create(Incident(feeder=f, report_count=2, crew="اکیپ ۱") for f in feeders)
    assert Incident.objects.filter(feeder__office=feeder.office).count() == 50
    assert count() == at_one <= 12


# --- incidents: the workflow buttons --------------------------------------------------------


def buttons(response) -> set[str]:
    return {action.name for action, _label, _url in response.context["workflow_actions"]}


def test_change_page_offers_only_the_moves_allowed_now(clerk_client, feeder):
    incident = incident_on(feeder)
    page = clerk_client.get(change_url(incident))
    assert page.status_code == 200
    assert buttons(page) == {"investigate", "dispatch", "close", "note"}
    body = page.content.decode()
    assert "شروع بررسی" in body and "اعزام اکیپ" in body and "افزودن یادداشت" in body
    assert "وصل شد" not in body.split("incident-actions")[1].split("</div>")[0]
    # Read-only: no save buttons, and a crafted POST changes nothing.
    assert 'name="_save"' not in body
    clerk_client.post(change_url(incident), {"crew": "hack"})
    incident.refresh_from_db()
    assert incident.crew == "" and incident.state == IncidentState.RECEIVED

    incident_services.incident_move(
        incident=incident, to=IncidentState.INVESTIGATING, actor=StaffFactory(is_superuser=True)
    )
    assert buttons(clerk_client.get(change_url(incident))) == {
        "dispatch",
        "resolve",
        "close",
        "note",
    }
    incident_services.incident_move(
        incident=incident, to=IncidentState.RESOLVED, actor=StaffFactory(is_superuser=True)
    )
    assert buttons(clerk_client.get(change_url(incident))) == {"note"}


def test_investigate_and_the_stale_page_conflict(client, feeder):
    incident = incident_on(feeder)
    first, second = staff(feeder.office), staff(feeder.office)
    # Both open the page while the incident is "received"; the first one acts.
    response = post_action(logged_in(client, first), incident, "investigate")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING
    assert IncidentEvent.objects.filter(
        incident=incident, new_state=IncidentState.INVESTIGATING, actor=first
    ).exists()
    client.logout()
    # The second, on the stale page, sends the state they saw: told, nothing moves.
    response = logged_in(client, second).post(
        action_url(incident, "close"),
        {"seen_state": IncidentState.RECEIVED, "close_reason": "customer_side"},
    )
    assert response.status_code == 302
    assert any("هم‌زمان" in m for m in flash(response))
    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING


def test_dispatch_needs_a_crew_then_records_it(clerk_client, feeder):
    incident = incident_on(feeder)
    page = clerk_client.get(action_url(incident, "dispatch"))
    assert page.status_code == 200
    assert page.context["form"].initial["seen_state"] == IncidentState.RECEIVED
    empty = post_action(clerk_client, incident, "dispatch", crew="  ")
    assert empty.status_code == 200
    assert "crew" in empty.context["form"].errors
    done = post_action(clerk_client, incident, "dispatch", crew="اکیپ 3 باسمنج")
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.CREW_DISPATCHED
    assert incident.crew == "اکیپ 3 باسمنج"
    # While dispatched the same button changes the crew.
    page = clerk_client.get(change_url(incident))
    assert "تغییر اکیپ" in page.content.decode()
    post_action(clerk_client, incident, "dispatch", crew="اکیپ 4")
    incident.refresh_from_db()
    assert incident.crew == "اکیپ 4" and incident.state == IncidentState.CREW_DISPATCHED


def test_resolve_defaults_to_now_and_sends_the_result_once(clerk_client, feeder):
    incident = incident_on(feeder, "09141112233", "09141112234")
    post_action(clerk_client, incident, "investigate")
    incident.refresh_from_db()
    page = clerk_client.get(action_url(incident, "resolve"))
    initial = page.context["form"].initial
    today = jdatetime.date.fromgregorian(date=timezone.localdate()).strftime("%Y/%m/%d")
    assert initial["restored_date"] == to_persian_digits(today)
    assert initial["restored_time"] == to_persian_digits(timezone.localtime().strftime("%H:%M"))

    tomorrow = jdatetime.date.fromgregorian(date=timezone.localdate() + dt.timedelta(days=1))
    future = post_action(
        clerk_client,
        incident,
        "resolve",
        restored_date=tomorrow.strftime("%Y/%m/%d"),
        restored_time="10:00",
    )
    assert future.status_code == 200
    assert "restored_date" in future.context["form"].errors
    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING

    now = timezone.localtime()
    done = post_action(
        clerk_client,
        incident,
        "resolve",
        restored_date=to_persian_digits(today),
        restored_time=now.strftime("%H:%M"),
        result="کابل خودگردان تعویض شد.",
    )
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    assert incident.result == "کابل خودگردان تعویض شد."
    assert incident.restored_at is not None
    results = OutboxMessage.objects.filter(idempotency_key__startswith="outage-result:")
    assert results.count() == 2
    # The resolved incident shows its time to restore in the list.
    listing = clerk_client.get(reverse("admin:outages_incident_changelist"))
    assert "دقیقه" in listing.content.decode()


def test_close_needs_a_reason(clerk_client, feeder):
    incident = incident_on(feeder)
    missing = post_action(clerk_client, incident, "close", close_reason="")
    assert missing.status_code == 200
    assert "close_reason" in missing.context["form"].errors
    done = post_action(clerk_client, incident, "close", close_reason="customer_side")
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED
    assert incident.close_reason == "customer_side"
    assert incident.result  # the default text for that reason


def test_notes_and_the_timeline_inlines(clerk_client, feeder):
    incident = incident_on(feeder, "09141112233", "09141112234")
    assert post_action(clerk_client, incident, "note", note="").status_code == 200
    response = post_action(clerk_client, incident, "note", note="ترانس پست 12 بررسی شود")
    assert response.status_code == 302
    note = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.NOTE)
    assert note.public is False
    page = clerk_client.get(change_url(incident))
    body = page.content.decode()
    assert "ترانس پست 12 بررسی شود" in body
    # Reports inline: codes and masked mobiles, never the full number.
    for report in incident.reports.all():
        assert to_persian_digits(report.code) in body
    assert "09141112233" not in body and to_persian_digits("09141112233") not in body
    assert to_persian_digits("0914***2233") in body


def test_a_call_center_operator_can_work_an_incident(client, feeder):
    incident = incident_on(feeder)
    operator = staff(feeder.office, roles.CALL_CENTER_OPERATOR)
    response = post_action(logged_in(client, operator), incident, "investigate")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING


def test_staff_without_a_role_cannot_act(client, feeder):
    incident = incident_on(feeder)
    nobody = StaffFactory(office=feeder.office)
    logged_in(client, nobody)
    assert client.get(change_url(incident)).status_code == 403
    assert post_action(client, incident, "investigate").status_code in (403, 404)
    incident.refresh_from_db()
    assert incident.state == IncidentState.RECEIVED


# --- metrics ---------------------------------------------------------------------------------


def resolved_incident(feeder, *, hours: float, reports: int, days_ago: int = 2) -> Incident:
    opened = timezone.now() - dt.timedelta(days=days_ago)
    incident = Incident.objects.create(
        feeder=feeder,
        opened_at=opened,
        state=IncidentState.RESOLVED,
        restored_at=opened + dt.timedelta(hours=hours),
        closed_at=opened + dt.timedelta(hours=hours),
        report_count=reports,
    )
    return incident


def test_metrics_per_office_and_feeder(clerk_client, feeder, other_feeder):
    second = FeederFactory(office=feeder.office, company=feeder.company)
    resolved_incident(feeder, hours=1, reports=1)
    resolved_incident(feeder, hours=2, reports=3)
    resolved_incident(second, hours=6, reports=2)
    Incident.objects.create(feeder=second, report_count=4)  # open: counted, no restore time
    resolved_incident(feeder, hours=50, reports=9, days_ago=60)  # outside the 30 days
    resolved_incident(other_feeder, hours=9, reports=7)  # another office

    response = clerk_client.get(reverse("admin:outages_incident_metrics"))
    assert response.status_code == 200
    metrics = response.context["metrics"]
    assert metrics.total.incidents == 4
    assert metrics.total.resolved == 3
    assert metrics.total.average_restore == dt.timedelta(hours=3)
    if connection.vendor == "postgresql":  # SQLite has no percentile_cont
        assert metrics.total.median_restore == dt.timedelta(hours=2)
    assert metrics.total.reports_average == pytest.approx(2.5)
    assert metrics.total.reports_max == 4
    assert [row.label for row in metrics.offices] == [feeder.office.name]
    by_feeder = {row.label.split(" — ")[0]: row for row in metrics.feeders}
    assert set(by_feeder) == {feeder.code, second.code}
    assert by_feeder[feeder.code].average_restore == dt.timedelta(hours=1, minutes=30)
    assert by_feeder[second.code].incidents == 2
    body = response.content.decode()
    assert "۱ ساعت و ۳۰ دقیقه" in body
    assert "۳ ساعت" in body
    assert other_feeder.code not in body

    # A Jalali range that reaches back to the old incident.
    start = jdatetime.date.fromgregorian(date=timezone.localdate() - dt.timedelta(days=90))
    wide = clerk_client.get(
        reverse("admin:outages_incident_metrics"), {"start": start.strftime("%Y/%m/%d")}
    )
    assert wide.context["metrics"].total.incidents == 5


def test_metrics_query_count_is_flat(clerk_client, feeder):
    resolved_incident(feeder, hours=1, reports=1)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert clerk_client.get(reverse("admin:outages_incident_metrics")).status_code == 200
        return len(queries)

    count()
    at_one = count()
    for f in FeederFactory.create_batch(10, office=feeder.office, company=feeder.company):
        for hours in (1, 2, 3):
            resolved_incident(f, hours=hours, reports=hours)
    assert count() == at_one


def test_metrics_link_on_the_changelist(clerk_client):
    body = clerk_client.get(reverse("admin:outages_incident_changelist")).content.decode()
    assert reverse("admin:outages_incident_metrics") in body


# --- reports ---------------------------------------------------------------------------------


def test_report_list_is_scoped_read_only_and_masks_mobiles(clerk_client, feeder, other_feeder):
    mine = file_report(feeder, "09141112233")
    theirs = file_report(other_feeder, "09351112233")
    url = reverse("admin:outages_outagereport_changelist")
    response = clerk_client.get(url)
    assert list(response.context["cl"].result_list) == [mine]
    body = response.content.decode()
    assert "09141112233" not in body and to_persian_digits("09141112233") not in body
    assert to_persian_digits("0914***2233") in body
    assert clerk_client.get(url, {"q": mine.code}).context["cl"].result_count == 1
    assert clerk_client.get(url, {"q": theirs.code}).context["cl"].result_count == 0
    theirs_url = reverse("admin:outages_outagereport_change", args=[theirs.pk])
    assert clerk_client.get(theirs_url).status_code == 404
    detail = clerk_client.get(reverse("admin:outages_outagereport_change", args=[mine.pk]))
    assert detail.status_code == 200
    assert "09141112233" not in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_report_changelist_query_count_is_flat(clerk_client, feeder):
    file_report(feeder)
    url = reverse("admin:outages_outagereport_changelist")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert clerk_client.get(url).status_code == 200
        return len(queries)

    count()
    at_one = count()
    for n in range(49):
        file_report(feeder, f"0914{n:07d}")
    assert OutageReport.objects.count() == 50
    assert count() == at_one <= 12


# --- scheduled outages ------------------------------------------------------------------------


def jalali_day(days: int) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")


def window_data(feeder, **overrides):
    data = {
        "feeder": feeder.pk,
        "start_date": to_persian_digits(jalali_day(2)),
        "start_time": "۰۹:۰۰",
        "end_date": jalali_day(2),
        "end_time": "11:30",
        "reason": "تعمیرات پست",
    }
    return data | overrides


def test_schedule_list_is_scoped_and_flat(clerk_client, feeder, other_feeder):
    mine = ScheduledOutageFactory(feeder=feeder)
    theirs = ScheduledOutageFactory(feeder=other_feeder)
    url = reverse("admin:outages_scheduledoutage_changelist")
    response = clerk_client.get(url)
    assert list(response.context["cl"].result_list) == [mine]
    assert "ورود از فایل" in response.content.decode()
    theirs_url = reverse("admin:outages_scheduledoutage_change", args=[theirs.pk])
    assert clerk_client.get(theirs_url).status_code == 404

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert clerk_client.get(url).status_code == 200
        return len(queries)

    count()
    at_one = count()
    ScheduledOutageFactory.create_batch(49, feeder=feeder)
    assert count() == at_one <= 12


def test_schedule_add_through_the_service(clerk_client, feeder, other_feeder):
    url = reverse("admin:outages_scheduledoutage_add")
    page = clerk_client.get(url)
    assert list(page.context["form"].fields["feeder"].queryset) == [feeder]
    response = clerk_client.post(url, window_data(feeder))
    assert response.status_code == 302, response.context["form"].errors
    outage = ScheduledOutage.objects.get(feeder=feeder)
    start = timezone.localtime(outage.starts_at)
    assert (start.hour, start.minute) == (9, 0)
    assert outage.ends_at - outage.starts_at == dt.timedelta(hours=2, minutes=30)
    assert outage.created_by is not None

    other = clerk_client.post(url, window_data(other_feeder))
    assert other.status_code == 200
    assert "feeder" in other.context["form"].errors


def test_schedule_add_errors_are_on_the_fields(clerk_client, feeder):
    url = reverse("admin:outages_scheduledoutage_add")
    bad_date = clerk_client.post(url, window_data(feeder, start_date="1405/13/40"))
    assert bad_date.status_code == 200
    assert "start_date" in bad_date.context["form"].errors
    backwards = clerk_client.post(url, window_data(feeder, end_time="08:00"))
    assert backwards.status_code == 200
    assert backwards.context["form"].errors
    assert not ScheduledOutage.objects.exists()


def test_schedule_change_and_cancel(clerk_client, feeder):
    outage = ScheduledOutageFactory(feeder=feeder, created_by=None)
    url = reverse("admin:outages_scheduledoutage_change", args=[outage.pk])
    page = clerk_client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["reason"] == outage.reason
    response = clerk_client.post(url, window_data(feeder, reason="جابه‌جایی تیر"))
    assert response.status_code == 302, response.context["form"].errors
    outage.refresh_from_db()
    assert outage.reason == "جابه‌جایی تیر"
    assert outage.version == 2

    cancel = clerk_client.post(reverse("admin:outages_scheduledoutage_cancel", args=[outage.pk]))
    assert cancel.status_code == 302
    outage.refresh_from_db()
    assert outage.status == ScheduledOutage.Status.CANCELLED
    # A cancelled window is read-only.
    page = clerk_client.get(url)
    assert page.context["form"].fields["reason"].disabled
    assert clerk_client.post(url, window_data(feeder)).status_code == 403


def test_cancel_action_on_the_changelist(clerk_client, feeder):
    first, second = ScheduledOutageFactory.create_batch(2, feeder=feeder)
    response = clerk_client.post(
        reverse("admin:outages_scheduledoutage_changelist"),
        {"action": "cancel_windows", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert set(ScheduledOutage.objects.values_list("status", flat=True)) == {"cancelled"}


def test_call_center_operator_only_reads_the_schedule(client, feeder):
    ScheduledOutageFactory(feeder=feeder)
    logged_in(client, staff(feeder.office, roles.CALL_CENTER_OPERATOR))
    assert client.get(reverse("admin:outages_scheduledoutage_changelist")).status_code == 200
    assert client.get(reverse("admin:outages_scheduledoutage_add")).status_code == 403
    assert client.get(reverse("admin:outages_scheduledoutage_import")).status_code == 403


def test_import_shows_every_error_with_its_line(clerk_client, feeder):
    url = reverse("admin:outages_scheduledoutage_import")
    csv = (
        "feeder_code,start,end,reason\n"
        f"{feeder.code},{jalali_day(3)} 09:00,{jalali_day(3)} 11:00,تعمیرات\n"
        f"NOPE,{jalali_day(3)} 09:00,{jalali_day(3)} 11:00,تعمیرات\n"
        f"{feeder.code},{jalali_day(4)} 12:00,{jalali_day(4)} 10:00,تعمیرات\n"
    )
    upload = io.BytesIO(csv.encode())
    upload.name = "outages.csv"
    response = clerk_client.post(url, {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "سطر ۳" in body and "سطر ۴" in body
    assert not ScheduledOutage.objects.exists()

    good = io.BytesIO(csv.splitlines()[0].encode() + b"\n" + csv.splitlines()[1].encode())
    good.name = "outages.csv"
    response = clerk_client.post(url, {"file": good})
    assert response.status_code == 302
    assert ScheduledOutage.objects.filter(feeder=feeder).count() == 1
    assert flash(response)


# --- Open311 keys ------------------------------------------------------------------------------


def test_office_staff_cannot_see_or_manage_keys(clerk_client):
    assert clerk_client.get(reverse("admin:outages_open311apikey_changelist")).status_code == 403
    assert clerk_client.get(reverse("admin:outages_open311apikey_add")).status_code == 403
    index = clerk_client.get(reverse("admin:index")).content.decode()
    assert "کلیدهای Open311" not in index


def test_admin_creates_a_key_shown_once_and_deactivates_it(client):
    logged_in(client, StaffFactory(office=None, is_superuser=True))
    add = reverse("admin:outages_open311apikey_add")
    assert client.get(add).status_code == 200
    response = client.post(add, {"name": "شهرداری من"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("فقط همین یک بار" in m for m in messages)
    key = Open311ApiKey.objects.get(name="شهرداری من")
    raw = next(m for m in messages if "فقط همین یک بار" in m)
    assert key.prefix in raw
    body = response.content.decode()
    assert key.key_hash not in body
    # The key is not shown again.
    again = client.get(reverse("admin:outages_open311apikey_changelist")).content.decode()
    assert "فقط همین یک بار" not in again
    detail = client.get(reverse("admin:outages_open311apikey_change", args=[key.pk]))
    assert key.key_hash not in detail.content.decode()

    client.post(
        reverse("admin:outages_open311apikey_changelist"),
        {"action": "deactivate", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.is_active is False
