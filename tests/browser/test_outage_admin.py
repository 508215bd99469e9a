"""The outages admin in a real browser: a clerk (password + SMS code) opens an incident, sees
only the moves allowed now, starts the investigation, dispatches a crew, restores power, then
reads the metrics page — with screenshots in tests/artifacts/outage-admin-*.png."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import OutboxMessage
from outages.models import Incident, IncidentState, ReportChannel
from outages.services.reports import report_file
from subscribers import roles
from subscribers.models import User
from subscribers.services.roles import roles_sync
from tests.factories import StaffFactory, add_role
from tests.outages.factories import FeederFactory, fed_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-Staff-1403"
DESKTOP = {"width": 1280, "height": 900}


def _latest_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, kind=OutboxMessage.Kind.OTP).latest()
    return re.search(r"\d{6}", message.text).group()


def _staff_login(page: Page, base_url: str, user: User) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/staff/login/")
    page.get_by_label("نام کاربری").fill(user.username)
    page.get_by_label("رمز عبور").fill(PASSWORD)
    page.get_by_role("button", name="ادامه").click()
    code_input = page.get_by_label("کد تایید")
    expect(code_input).to_be_visible()
    code_input.fill(_latest_code(user.mobile))
    page.get_by_role("button", name="تأیید و ورود").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def _shot(page: Page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"outage-admin-{name}.png"), full_page=True)


@pytest.fixture
def outage_office(live_server):
    roles_sync()
    feeder = FeederFactory(name="فیدر ولیعصر", code="TB01-F1", area="ولیعصر، خیابان توانیر")
    second = FeederFactory(
        office=feeder.office, company=feeder.company, name="فیدر آبرسان", code="TB01-F2"
    )
    clerk = StaffFactory(
        office=feeder.office, username="clerk-outages", mobile="09900000777", first_name="کارمند"
    )
    clerk.set_password(PASSWORD)
    clerk.save()
    add_role(clerk, roles.OFFICE_CLERK)
    subscription = fed_subscription(feeder)
    now = timezone.now()
    for minutes, mobile, channel in (
        (40, "09141112233", ReportChannel.WEB),
        (25, "09351112244", ReportChannel.CALL_CENTER),
    ):
        report_file(
            subscription=subscription,
            mobile=mobile,
            channel=channel,
            now=now - dt.timedelta(minutes=minutes),
        )
    # History for the metrics page: restored incidents over the last weeks.
    for days, hours, reports, on in ((3, 1.5, 2, feeder), (6, 3.25, 5, second), (9, 2, 1, second)):
        opened = now - dt.timedelta(days=days)
        Incident.objects.create(
            feeder=on,
            opened_at=opened,
            state=IncidentState.RESOLVED,
            restored_at=opened + dt.timedelta(hours=hours),
            closed_at=opened + dt.timedelta(hours=hours),
            report_count=reports,
            crew="اکیپ ۱",
            result="برق وصل شد.",
        )
    live_server.clerk = clerk
    live_server.incident = Incident.objects.get(feeder=feeder, state=IncidentState.RECEIVED)
    return live_server


def test_clerk_works_an_incident_and_reads_the_metrics(page, outage_office, artifacts):
    page.set_viewport_size(DESKTOP)
    incident = outage_office.incident
    _staff_login(page, outage_office.url, outage_office.clerk)

    page.goto(outage_office.url + "/admin/outages/incident/")
    expect(page.locator("#result_list")).to_contain_text("فیدر ولیعصر")
    _shot(page, artifacts, "incidents")

    page.goto(outage_office.url + f"/admin/outages/incident/{incident.pk}/change/")
    actions = page.locator(".incident-actions")
    expect(actions).to_contain_text("شروع بررسی")
    expect(actions).to_contain_text("اعزام اکیپ")
    expect(actions).not_to_contain_text("وصل شد")
    expect(page.get_by_text("۰۹۱۴***۲۲۳۳")).to_be_visible()
    _shot(page, artifacts, "incident")

    page.get_by_role("button", name="شروع بررسی", exact=True).click()
    expect(page.locator(".messagelist .success, .messagelist li.success")).to_be_visible()
    page.get_by_role("link", name="اعزام اکیپ", exact=True).click()
    page.get_by_label("اکیپ").fill("اکیپ ۳ ولیعصر")
    _shot(page, artifacts, "dispatch")
    page.get_by_role("button", name="اعزام اکیپ").click()
    expect(page.locator(".messagelist .success, .messagelist li.success")).to_be_visible()
    page.get_by_role("link", name="وصل شد", exact=True).click()
    page.get_by_label("نتیجه").fill("فیوز کات‌اوت پست تعویض شد.")
    _shot(page, artifacts, "resolve")
    page.get_by_role("button", name="وصل شد").click()
    expect(page.locator(".messagelist .success, .messagelist li.success")).to_be_visible()
    expect(page.locator(".incident-workflow")).to_contain_text("برق وصل شد")
    _shot(page, artifacts, "resolved")
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED

    page.goto(outage_office.url + "/admin/outages/incident/")
    page.get_by_role("link", name="شاخص‌های رسیدگی").click()
    expect(page.locator("#metrics-feeders")).to_contain_text("فیدر آبرسان")
    _shot(page, artifacts, "metrics")


def test_clerk_adds_a_window_with_jalali_dates(page, outage_office, artifacts):
    import jdatetime

    page.set_viewport_size(DESKTOP)
    _staff_login(page, outage_office.url, outage_office.clerk)
    page.goto(outage_office.url + "/admin/outages/scheduledoutage/add/")
    day = jdatetime.date.fromgregorian(date=timezone.localdate() + dt.timedelta(days=2))
    page.get_by_label("فیدر").select_option(label="TB01-F1 — فیدر ولیعصر")
    page.get_by_label("تاریخ شروع").fill(day.strftime("%Y/%m/%d"))
    page.get_by_label("ساعت شروع").fill("۰۹:۰۰")
    page.get_by_label("تاریخ پایان").fill(day.strftime("%Y/%m/%d"))
    page.get_by_label("ساعت پایان").fill("۰۸:۰۰")
    page.get_by_label("علت").fill("تعمیرات پست")
    page.get_by_role("button", name="ذخیره").click()
    expect(page.locator(".errorlist")).to_be_visible()
    _shot(page, artifacts, "schedule-error")
    page.get_by_label("ساعت پایان").fill("۱۱:۳۰")
    page.get_by_role("button", name="ذخیره").click()
    expect(page.locator(".messagelist li.success")).to_be_visible()
    expect(page.locator("#result_list")).to_contain_text("تعمیرات پست")
    _shot(page, artifacts, "schedule")
