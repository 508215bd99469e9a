"""An electricity name change from filing to rating, in a real browser: the subscriber files it
and uploads the documents, tracks it anonymously, the clerk works it through admin (documents,
debts, visit, approval referral), the supervisor approves, and the citizen rates the service
from the link in the completion SMS — reading SMS codes from the outbox like a phone would."""

import datetime as dt
import re
from pathlib import Path

import jdatetime
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from billing.selectors.bills import subscription_debt
from billing.services.imports import payments_import
from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from requests_app.models import (
    Rating,
    RequestDocument,
    RequestEvent,
    ServiceRequest,
    Status,
    VisitAppointment,
)
from requests_app.services import workflow
from subscribers.models import Subscription, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBSCRIBER_PASSWORD = "Demo-User-1403"
STAFF_PASSWORD = "Demo-Staff-1403"
CLERK = "clerk-tabriz-electricity-01"
SUPERVISOR = "supervisor-tabriz-electricity-01"
TYPE_CODE = "elec-name-change"
TYPE_TITLE = "تغییر نام مشترک برق"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
T = RequestEvent.Kind.TRANSITION


def _latest_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, kind=OutboxMessage.Kind.OTP).latest()
    return re.search(r"\d{6}", message.text).group()


def _scan(path: Path, seed: int) -> Path:
    """A colour 800×700 'scan' (the upload rules refuse grayscale and small images)."""
    image = Image.new("RGB", (800, 700), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for i in range(10):
        colour = ((seed * 70 + i * 25) % 256, (i * 40) % 256, (220 - i * 20) % 256)
        draw.rectangle((40 + i * 70, 60, 90 + i * 70, 640), fill=colour)
    image.save(path, format="PNG")
    return path


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"request-{name}.png"), full_page=True)


def _phone_shot(page: Page, artifacts: Path, name: str) -> None:
    page.set_viewport_size(PHONE)
    _shot(page, artifacts, name)
    page.set_viewport_size(DESKTOP)


def _events(req: ServiceRequest) -> list[tuple[str, str]]:
    return [
        (kind, new_status)
        for kind, new_status in req.events.order_by("created_at", "id").values_list(
            "kind", "new_status"
        )
    ]


def _staff_login(page: Page, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/staff/login/")
    page.get_by_label("نام کاربری").fill(username)
    page.get_by_label("رمز عبور").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="ادامه").click()
    code_input = page.get_by_label("کد تایید")
    expect(code_input).to_be_visible()
    code_input.fill(_latest_code(User.objects.get(username=username).mobile))
    page.get_by_role("button", name="تأیید و ورود").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def _admin_action(page: Page, label: str) -> None:
    """Click a workflow button on the change page and wait for the success message."""
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".messagelist .success, .messagelist li.success")).to_be_visible()


@pytest.fixture
def portal(live_server):
    call_command("seed_demo", verbosity=0)
    maryam = User.objects.get(first_name="مریم", last_name="رضایی", kind=User.Kind.NATURAL)
    subscription = Subscription.objects.get(
        links__user=maryam, links__ended_at__isnull=True, company__kind="electricity"
    )
    # The demo already has an open name change for this subscription; a second one is
    # refused, so withdraw the demo one (as Maryam) before filing afresh in the browser.
    for open_request in ServiceRequest.objects.filter(
        subscription=subscription, request_type__code=TYPE_CODE
    ).exclude(status__in=[Status.COMPLETED, Status.REJECTED, Status.CANCELLED]):
        workflow.request_cancel(request=open_request, actor=maryam, note="آزمون مرورگر")
    live_server.maryam = maryam
    live_server.subscription = subscription
    return live_server


def test_name_change_from_filing_to_rating(page, portal, artifacts, tmp_path):
    maryam, subscription = portal.maryam, portal.subscription
    page.set_viewport_size(DESKTOP)

    # 1. The subscriber logs in and files the name change from «درخواست‌های من».
    page.goto(portal.url + "/login/")
    page.locator('#pane-password [name="username"]').fill(maryam.national_code)
    page.locator('#pane-password [name="password"]').fill(SUBSCRIBER_PASSWORD)
    page.locator("#pane-password").get_by_role("button", name="ورود").click()
    expect(page.locator("header")).to_contain_text("مریم")
    page.locator("header").get_by_role("link", name="درخواست‌های من").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("درخواست‌های من")
    page.get_by_role("link", name="ثبت درخواست جدید").first.click()
    page.get_by_role("link", name=f"ثبت درخواست: {TYPE_TITLE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"ثبت درخواست: {TYPE_TITLE}")
    page.get_by_label("اشتراک").select_option(value=str(subscription.pk))
    page.get_by_label("توضیح (اختیاری)").fill("ملک را خریده‌ام؛ قبض به نام من صادر شود.")
    _shot(page, artifacts, "file")
    _phone_shot(page, artifacts, "file-360")
    page.get_by_role("button", name="ثبت درخواست").click()

    page.wait_for_url(re.compile(r"/requests/[^/]+/$"))
    req = ServiceRequest.objects.get(
        applicant=maryam, request_type__code=TYPE_CODE, status=Status.DOCUMENTS_REVIEW
    )
    number_fa = to_persian_digits(req.number)
    assert page.url.endswith(f"/requests/{req.number}/")
    expect(page.get_by_role("status")).to_contain_text(f"با شماره {number_fa} ثبت شد")
    expect(page.locator("#summary-title + dl")).to_contain_text(number_fa)
    assert req.subscription_id == subscription.pk and req.channel == "web"
    assert _events(req) == [(T, Status.SUBMITTED), (T, Status.DOCUMENTS_REVIEW)]

    # 2. Every mandatory document, uploaded on the request page.
    requirements = [
        r for r in req.request_type.documents.all() if r.mandatory and r.applies_to_user(maryam)
    ]
    assert len(requirements) == 2, [r.title for r in requirements]
    for seed, requirement in enumerate(requirements):
        field = page.get_by_label(f"بارگذاری: {requirement.title}")
        field.set_input_files(_scan(tmp_path / f"scan-{seed}.png", seed))
        page.locator("form", has=field).get_by_role("button", name="بارگذاری", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("مدرک بارگذاری شد")
    expect(page.locator(".document-row .badge.text-bg-warning")).to_have_count(0)
    documents = RequestDocument.objects.filter(request=req, is_current=True)
    assert sorted(d.requirement_id for d in documents) == sorted(r.pk for r in requirements)
    assert {d.state for d in documents} == {RequestDocument.State.PENDING}
    req.refresh_from_db()
    assert req.status == Status.DOCUMENTS_REVIEW
    assert _events(req)[2:] == [(RequestEvent.Kind.DOCUMENT_UPLOADED, Status.DOCUMENTS_REVIEW)] * 2
    _shot(page, artifacts, "documents")
    _phone_shot(page, artifacts, "detail-360")

    # 3. Logged out, anyone can track it with the number (typed in Persian digits) and the
    #    subscription number; a wrong subscription number finds nothing.
    page.locator("header").get_by_role("button", name="خروج").click()
    expect(page.locator("header")).to_contain_text("ورود / ثبت‌نام")
    page.goto(portal.url + "/track/")
    page.get_by_label("شماره درخواست").fill(number_fa)
    page.get_by_label("شماره اشتراک").fill(subscription.subscription_number)
    page.get_by_role("button", name="پیگیری").click()
    result = page.locator("section[aria-labelledby=track-title]")
    expect(result).to_contain_text(f"درخواست {number_fa}")
    expect(result).to_contain_text(TYPE_TITLE)
    expect(result).to_contain_text(str(Status.DOCUMENTS_REVIEW.label))
    _shot(page, artifacts, "track")
    page.get_by_label("شماره اشتراک").fill("9999999")
    page.get_by_role("button", name="پیگیری").click()
    expect(page.get_by_role("alert")).to_contain_text("یافت نشد")
    expect(result).to_have_count(0)

    # 4. The clerk (password + SMS code) works the request from the office's queue.
    _staff_login(page, portal.url, CLERK)
    page.goto(portal.url + "/admin/requests_app/servicerequest/")
    expect(page.get_by_role("link", name=req.number, exact=True)).to_be_visible()
    _shot(page, artifacts, "admin-queue")
    page.get_by_role("link", name=req.number, exact=True).click()
    page.wait_for_url(re.compile(rf"/admin/requests_app/servicerequest/{req.pk}/change/"))
    change_url = page.url

    _admin_action(page, "پذیرش مدارک")
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED, req.status  # waits for the visit to be scheduled
    assert set(req.documents.filter(is_current=True).values_list("state", flat=True)) == {
        RequestDocument.State.ACCEPTED
    }

    # The demo's latest bill of this subscription is unpaid: the billing data refuses the
    # confirmation with the amount; once the bank's payment file is imported it goes through.
    debt = subscription_debt(subscription_id=req.subscription_id)
    assert debt is not None
    page.get_by_role("button", name="تأیید تسویه بدهی", exact=True).click()
    expect(page.locator(".messagelist .error, .messagelist li.error")).to_contain_text(
        "پرداخت نشده"
    )
    _shot(page, artifacts, "admin-debts-unpaid")
    payments = (
        "bill_id,payment_id,amount,paid_at,channel,reference\n"
        f"{req.subscription.bill_id},{debt.payment_id},{debt.balance},"
        f"{timezone.localtime():%Y-%m-%d %H:%M},bank,JOURNEY-{req.number}\n"
    )
    assert payments_import(file=payments.encode(), file_name="bank.csv").ok
    page.goto(change_url)
    _admin_action(page, "تأیید تسویه بدهی")
    req.refresh_from_db()
    assert req.debts_confirmed_at is not None

    clerk = User.objects.get(username=CLERK)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    tomorrow_fa = to_persian_digits(
        jdatetime.date.fromgregorian(date=tomorrow).strftime("%Y/%m/%d")
    )
    page.get_by_role("link", name="تعیین وقت بازدید", exact=True).click()
    page.get_by_label("تاریخ بازدید").fill(tomorrow_fa)
    page.get_by_label("از ساعت").fill("۰۹:۰۰")
    page.get_by_label("تا ساعت").fill("۱۲:۰۰")
    page.get_by_label("بازدیدکننده").select_option(label=clerk.display_name)
    _shot(page, artifacts, "admin-schedule-visit")
    page.get_by_role("button", name="تعیین وقت بازدید").click()
    page.wait_for_url(change_url)
    expect(page.locator(".messagelist")).to_contain_text("وقت بازدید")
    req.refresh_from_db()
    assert req.status == Status.VISIT_SCHEDULED, req.status
    visit = req.visits.get()
    assert (visit.date, visit.window_start, visit.window_end, visit.inspector_id) == (
        tomorrow,
        dt.time(9),
        dt.time(12),
        clerk.pk,
    )

    page.get_by_role("link", name="ثبت نتیجه بازدید", exact=True).click()
    page.get_by_label("بازدید انجام شد").check()
    page.get_by_role("button", name="ثبت نتیجه بازدید").click()
    page.wait_for_url(change_url)
    req.refresh_from_db()
    assert req.status == Status.VISITED, req.status
    assert req.visits.get().result == VisitAppointment.Result.DONE

    _admin_action(page, "ارجاع برای تأیید")
    req.refresh_from_db()
    assert req.status == Status.APPROVAL, req.status
    expect(page.get_by_text("گردش کار")).to_be_visible()
    _shot(page, artifacts, "admin-change")

    # 5. The supervisor approves: completed, and exactly one completion SMS.
    _staff_login(page, portal.url, SUPERVISOR)
    page.goto(change_url)
    _admin_action(page, "تأیید نهایی")
    req.refresh_from_db()
    assert req.status == Status.COMPLETED, req.status
    assert req.closed_at is not None
    _shot(page, artifacts, "admin-approved")
    assert _events(req) == [
        (T, Status.SUBMITTED),
        (T, Status.DOCUMENTS_REVIEW),
        (RequestEvent.Kind.DOCUMENT_UPLOADED, Status.DOCUMENTS_REVIEW),
        (RequestEvent.Kind.DOCUMENT_UPLOADED, Status.DOCUMENTS_REVIEW),
        (T, Status.SUBMITTED),
        (RequestEvent.Kind.DEBTS_CONFIRMED, Status.SUBMITTED),
        (T, Status.VISIT_SCHEDULED),
        (T, Status.VISITED),
        (T, Status.APPROVAL),
        (T, Status.COMPLETED),
    ]
    status_sms = OutboxMessage.objects.filter(
        recipient=maryam.mobile,
        kind=OutboxMessage.Kind.REQUEST_STATUS,
        text__contains=number_fa,
    )
    completed_sms = [m for m in status_sms if "انجام شد" in m.text]
    assert len(completed_sms) == 1, [m.text for m in status_sms]
    # Filing, the visit and the completion: the automatic and internal moves stay silent.
    assert status_sms.count() == 3, [m.text for m in status_sms]

    # 6. From the link in the SMS (no login, as on a phone), the citizen rates the service 5.
    rate_path = re.search(r"/requests/rate/[^/\s]+/", completed_sms[0].text).group()
    page.context.clear_cookies()
    page.goto(portal.url + rate_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("امتیاز به خدمت")
    expect(page.locator("main, body").first).to_contain_text(number_fa)
    page.get_by_label("۵", exact=True).check()
    page.get_by_label("نظر شما (اختیاری)").fill("کارشناس سر وقت آمد و کار سریع انجام شد.")
    _shot(page, artifacts, "rate")
    page.get_by_role("button", name="ثبت امتیاز").click()
    expect(page.get_by_role("status")).to_contain_text("امتیاز شما ثبت شد")
    rating = Rating.objects.get(request=req)
    assert (rating.score, rating.comment) == (5, "کارشناس سر وقت آمد و کار سریع انجام شد.")
    _shot(page, artifacts, "rated")

    # Back in the account, the request shows completed and no longer offers a rating.
    page.goto(portal.url + "/login/")
    page.locator('#pane-password [name="username"]').fill(maryam.national_code)
    page.locator('#pane-password [name="password"]').fill(SUBSCRIBER_PASSWORD)
    page.locator("#pane-password").get_by_role("button", name="ورود").click()
    expect(page.locator("header")).to_contain_text("مریم")
    page.goto(portal.url + f"/requests/{req.number}/")
    expect(page.locator("#summary-title + dl")).to_contain_text(str(Status.COMPLETED.label))
    expect(page.get_by_role("link", name="امتیاز به این خدمت")).to_have_count(0)
    _shot(page, artifacts, "completed")
