"""A citizen's outage report in a real browser (seed 003): without logging in, they report no
power by bill ID and mobile, read the SMS code from the outbox like a phone would, and get a
tracking code; the office clerk resolves the incident; the citizen types the code in Persian
digits on the tracking page and sees that power is back, with exactly one result SMS. Also the
public schedule at desktop and phone widths — screenshots in tests/artifacts/outage-*.png."""

import datetime as dt
import re
from pathlib import Path

import jdatetime
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import OutboxMessage
from outages.models import Incident, IncidentState, OutageReport
from outages.services.incidents import incident_move
from portal.digits import normalize_digits, to_persian_digits
from subscribers import roles
from subscribers.services.roles import roles_sync
from tests.factories import StaffFactory, add_role
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
MOBILE = "09141234567"
STAFF_PASSWORD = "Browser-Staff-1403"


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"outage-{name}.png"), full_page=True)


def _no_horizontal_overflow(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"page is {overflow}px wider than the 360px screen"


def _otp(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, kind=OutboxMessage.Kind.OTP).latest()
    return re.search(r"\d{6}", normalize_digits(message.text)).group()


@pytest.fixture
def network(live_server):
    roles_sync()
    feeder = FeederFactory(
        name="فیدر ولیعصر ۲", code="TB01-F7", area="ولیعصر، خیابان توانیر تا فلکه ارتش"
    )
    subscription = fed_subscription(feeder)
    clerk = add_role(
        StaffFactory(office=feeder.office, username="clerk-journey"), roles.OFFICE_CLERK
    )
    tz = timezone.get_default_timezone()
    day = timezone.localdate() + dt.timedelta(days=1)
    for hour, (name, reason) in enumerate(
        [
            ("فیدر باغمیشه", "تعمیرات پیشگیرانه شبکه"),
            (
                "فیدر آبرسان شمالی با نام بلند برای آزمون شکستن سطر",
                "تعویض ترانسفورماتور ۲۵۰ کیلوولت‌آمپری",
            ),
            ("فیدر ائل‌گلی", "هرس درختان مسیر شبکه"),
        ]
    ):
        start = dt.datetime.combine(day, dt.time(8 + 3 * hour, 0), tzinfo=tz)
        ScheduledOutageFactory(
            feeder=FeederFactory(
                office=feeder.office, company=feeder.company, city=feeder.city, name=name
            ),
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2, minutes=30),
            reason=reason,
        )
    return {
        "url": live_server.url,
        "feeder": feeder,
        "subscription": subscription,
        "clerk": clerk,
        "day": day,
    }


def test_report_without_login_then_see_the_result(page: Page, network, artifacts):
    url, subscription = network["url"], network["subscription"]
    page.set_viewport_size(DESKTOP)

    # 0. The public schedule, at desktop and phone widths.
    page.goto(url + "/outages/")
    expect(page.get_by_role("heading", level=1)).to_have_text("برنامه خاموشی‌های برنامه‌ریزی‌شده")
    tomorrow = jdatetime.date.fromgregorian(date=network["day"]).strftime("%Y/%m/%d")
    page.get_by_label("تاریخ").fill(to_persian_digits(tomorrow))
    page.get_by_role("button", name="نمایش برنامه").click()
    expect(page.locator("table")).to_contain_text("تعمیرات پیشگیرانه شبکه")
    expect(page.locator("table")).to_contain_text("۰۸:۰۰")
    _shot(page, artifacts, "schedule-desktop")
    page.set_viewport_size(PHONE)
    expect(page.locator("ul.d-md-none")).to_contain_text("هرس درختان")
    _no_horizontal_overflow(page)
    _shot(page, artifacts, "schedule-phone")
    page.set_viewport_size(DESKTOP)

    # 1. No power: report it by bill ID (typed in Persian digits) and mobile.
    page.get_by_role("link", name="گزارش قطعی برق").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("گزارش قطعی برق")
    page.get_by_label("شناسه قبض").fill(to_persian_digits(subscription.bill_id))
    page.get_by_label("تلفن همراه").fill(to_persian_digits(MOBILE))
    page.get_by_label("توضیح (اختیاری)").fill("برق کل کوچه از ساعتی پیش قطع است.")
    _shot(page, artifacts, "report-form")
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    _shot(page, artifacts, "report-form-phone")
    page.set_viewport_size(DESKTOP)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="دریافت کد تأیید").click()

    # 2. The code arrives by SMS; the citizen types it.
    expect(page.get_by_role("heading", level=1)).to_have_text("تأیید تلفن همراه")
    page.get_by_label("کد تأیید").fill(to_persian_digits(_otp(MOBILE)))
    page.get_by_role("button", name="ثبت گزارش").click()

    # 3. The answer at once, with the tracking code in Persian digits.
    expect(page.get_by_role("heading", level=1)).to_have_text("گزارش شما ثبت شد")
    report = OutageReport.objects.get()
    expect(page.locator(".outage-code")).to_have_text(to_persian_digits(report.code))
    expect(page.locator(".outage-answer")).to_contain_text("به امور برق ارجاع شد")
    _shot(page, artifacts, "report-done")
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    _shot(page, artifacts, "report-done-phone")
    page.set_viewport_size(DESKTOP)
    received = OutboxMessage.objects.filter(recipient=MOBILE, kind=OutboxMessage.Kind.OUTAGE_NOTICE)
    assert received.count() == 1 and report.code in normalize_digits(received.get().text)

    # 4. The office clerk works the incident to restoration.
    clerk = network["clerk"]
    incident_move(incident=report.incident, to=IncidentState.INVESTIGATING, actor=clerk)
    incident_move(
        incident=Incident.objects.get(),
        to=IncidentState.RESOLVED,
        actor=clerk,
        result="کابل خودنگهدار آسیب‌دیده تعویض و برق وصل شد.",
    )

    # 5. Later, the citizen tracks the report with the code typed in Persian digits.
    page.goto(url + "/")
    page.goto(url + "/outages/track/")
    page.get_by_label("کد رهگیری").fill(to_persian_digits(report.code))
    page.get_by_role("button", name="پیگیری").click()
    expect(page.locator(".outage-state")).to_have_text("برق وصل شد")
    expect(page.locator(".outage-result")).to_contain_text("کابل خودنگهدار آسیب‌دیده تعویض")
    expect(page.locator(".outage-timeline")).to_contain_text("در حال بررسی")
    expect(page.locator("main")).not_to_contain_text(MOBILE)
    expect(page.locator("main")).not_to_contain_text(to_persian_digits(MOBILE))
    _shot(page, artifacts, "track")
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    _shot(page, artifacts, "track-phone")

    results = OutboxMessage.objects.filter(recipient=MOBILE, kind=OutboxMessage.Kind.OUTAGE_NOTICE)
    assert results.count() == 2  # the code at filing, then the result
    assert [m.text for m in results if m.text.startswith("نتیجه گزارش خاموشی")] == [
        results.filter(text__contains="کابل خودنگهدار").get().text
    ]


def test_call_center_operator_files_a_call(page: Page, network, artifacts):
    url, feeder, subscription = network["url"], network["feeder"], network["subscription"]
    operator = add_role(
        StaffFactory(office=feeder.office, username="op-121", mobile="09900000121"),
        roles.CALL_CENTER_OPERATOR,
    )
    operator.set_password(STAFF_PASSWORD)
    operator.save()
    page.set_viewport_size(DESKTOP)

    # The console sends an operator through the staff login (password + SMS code) first.
    page.goto(url + "/outages/call-center/")
    page.wait_for_url(re.compile(r"/staff/login/"))
    page.get_by_label("نام کاربری").fill(operator.username)
    page.get_by_label("رمز عبور").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="ادامه").click()
    page.get_by_label("کد تایید").fill(_otp(operator.mobile))
    page.get_by_role("button", name="تأیید و ورود").click()
    page.wait_for_url(re.compile(r"/outages/call-center/$"))

    # Is the caller's feeder out? Not yet: the call opens an incident.
    lookup = page.locator("#status-lookup-form")
    lookup.get_by_label("شناسه قبض").fill(to_persian_digits(subscription.bill_id))
    lookup.get_by_role("button", name="بررسی وضعیت").click()
    expect(page.locator(".feeder-status")).to_contain_text(feeder.name)
    form = page.locator("#call-center-form")
    form.get_by_label("تلفن همراه تماس‌گیرنده").fill(MOBILE)
    form.get_by_label("توضیح (اختیاری)").fill("تماس تلفنی: برق ساختمان قطع است.")
    form.get_by_role("button", name="ثبت گزارش").click()
    report = OutageReport.objects.get()
    expect(page.locator(".outage-code")).to_have_text(to_persian_digits(report.code))
    assert report.taken_by == operator
    _shot(page, artifacts, "call-center")
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    _shot(page, artifacts, "call-center-phone")
