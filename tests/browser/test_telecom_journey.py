"""Fixed-line telephone (issue 7, seed 002) in a real browser, on the demo data.

1. A subscriber (Ali) claims his line as owner on «خطوط تلفن من» and is told which documents to
   bring to which center; the telecom-center operator (password + SMS code) finds him by
   national code on the activation page, ticks the checklist and activates the line; Ali's page
   then shows the line active with its call-record link, and one SMS told him so. He then files
   an at-once line service (SMS service on) from the request pages: it completes at once and
   the line page shows the new flag.
2. The owner (Maryam) searches her line's calls by a specific number within a Jalali date range,
   then by call type (paging next/previous), sees the totals, and downloads the CSV (read back:
   the expected rows, never a local call) and the PDF; a tenant (Zahra) sees the lease note and
   no call from before her lease start.

Screenshots in tests/artifacts/telecom-*.png (desktop 1280 px and phone 360 px, the latter also
checked for horizontal overflow)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import jdatetime
import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import OutboxMessage
from portal.digits import normalize_digits, to_persian_digits
from requests_app.models import ServiceRequest, Status
from subscribers.models import User
from subscribers.services.identity import CHECKLISTS
from telecom.models import CallType, LineActivation, LineClaim, PhoneLine
from telecom.selectors.lines import TEHRAN
from tests.telecom.factories import call_records_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBSCRIBER_PASSWORD = "Demo-User-1403"
STAFF_PASSWORD = "Demo-Staff-1403"
OPERATOR = "telecom-center"
MARYAM_LINE = "04133001001"
ZAHRA_LINE = "04133001002"
ALI_LINE = "04133001003"
TARGET = "02188887777"  # the specific number Maryam looks for
ZAHRA_OTHER = "09147770000"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
SMS_SERVICE_TITLE = "سرویس ارسال پیامک تلفن ثابت"


# --- helpers -------------------------------------------------------------------------------


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"telecom-{name}.png"), full_page=True)


def _phone_shot(page: Page, artifacts: Path, name: str) -> None:
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(200)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = []
    if overflow > 1:
        # Name the culprits, so a failure says what to fix.
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.right > innerWidth + 2 || r.left < -2;
                }).slice(0, 8).map(e => `${e.tagName}.${e.className}#${e.id}`)"""
        )
    _shot(page, artifacts, name)
    assert overflow <= 1, f"{name}: the page is {overflow}px wider than a 360px phone: {wide}"
    page.set_viewport_size(DESKTOP)


def _login(page: Page, base_url: str, user: User) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/login/")
    page.locator('#pane-password [name="username"]').fill(to_persian_digits(user.national_code))
    page.locator('#pane-password [name="password"]').fill(SUBSCRIBER_PASSWORD)
    page.locator("#pane-password").get_by_role("button", name="ورود").click()
    expect(page.locator("header")).to_contain_text(user.first_name)


def _latest_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, kind=OutboxMessage.Kind.OTP).latest()
    return re.search(r"\d{6}", normalize_digits(message.text)).group()


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


def _at(day: jdatetime.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Tehran moment on a Jalali day."""
    return dt.datetime.combine(day.togregorian(), dt.time(hour, minute), tzinfo=TEHRAN)


def _fa(day: jdatetime.date) -> str:
    return to_persian_digits(day.strftime("%Y/%m/%d"))


def _month(months_back: int) -> tuple[jdatetime.date, jdatetime.date]:
    """The first and last day of the Jalali month ``months_back`` months before this one."""
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    index = today.year * 12 + today.month - 1 - months_back
    first = jdatetime.date(index // 12, index % 12 + 1, 1)
    after = jdatetime.date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


def _download(page: Page, link_id: str, path: Path) -> Path:
    with page.expect_download() as info:
        page.locator(f"#{link_id}").click()
    info.value.save_as(path)
    return path


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, call rows and the totals row of an exported CSV."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, rest = rows[0], rows[1:]
    blank = rest.index([])
    return header, rest[:blank], rest[blank + 1]


def _table_texts(page: Page, column: int) -> list[str]:
    """The (ASCII-digit) texts of one column of the results table, top to bottom."""
    cells = page.locator(f"#calls-table tbody tr td:nth-child({column})").all_inner_texts()
    return [normalize_digits(c).strip() for c in cells]


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def portal(live_server):
    call_command("seed_demo", verbosity=0)
    natural = User.objects.filter(kind=User.Kind.NATURAL)
    live_server.maryam = natural.get(first_name="مریم", last_name="رضایی")
    live_server.ali = natural.get(first_name="علی", last_name="محمدی")
    live_server.zahra = natural.get(first_name="زهرا", last_name="حسینی")
    return live_server


# --- 1 + 3: claim, in-person activation, an at-once line service ----------------------------


def test_claim_activation_and_line_service(page, portal, artifacts):
    ali = portal.ali
    page.set_viewport_size(DESKTOP)
    assert LineClaim.objects.filter(user=ali, line__number=ALI_LINE, status="pending").exists()

    # The demo already holds a pending claim of Ali's: he withdraws it and claims afresh.
    _login(page, portal.url, ali)
    page.locator("header").get_by_role("link", name="خطوط تلفن من").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("خطوط تلفن من")
    card = page.locator(f"#line-{ALI_LINE}")
    expect(card).to_contain_text("در انتظار احراز هویت حضوری")
    card.get_by_role("button", name="لغو درج این تلفن").click()
    expect(page.get_by_role("status").or_(page.locator(".alert-success")).first).to_contain_text(
        "لغو شد"
    )
    assert not LineClaim.objects.filter(user=ali, line__number=ALI_LINE, status="pending").exists()

    # «درج تلفن» as owner, typed in Persian digits; the lease end is asked of tenants only.
    page.get_by_label("شماره تلفن با کد شهر").fill(to_persian_digits(ALI_LINE))
    lease_end = page.get_by_label("تاریخ پایان اجاره‌نامه")
    expect(lease_end).to_be_hidden()
    page.get_by_label("استفاده‌کننده (مستأجر)").check()
    expect(lease_end).to_be_visible()
    page.get_by_label("صاحب تلفن").check()
    expect(lease_end).to_be_hidden()
    page.get_by_role("button", name="درج تلفن").click()
    page.wait_for_url(re.compile(r"/telecom/lines/$"))
    claim = LineClaim.objects.get(user=ali, line__number=ALI_LINE, status="pending")
    assert claim.role == "owner" and claim.lease_end is None
    center = claim.line.subscription.office.name
    expect(page.locator(".alert-success").first).to_contain_text(center)
    card = page.locator(f"#line-{ALI_LINE}")
    expect(card).to_contain_text("در انتظار احراز هویت حضوری")
    expect(card).to_contain_text(center)
    # What to bring: the natural person's checklist, without the tenant-only lease.
    for item in CHECKLISTS[User.Kind.NATURAL]:
        if item.tenant_only:
            expect(card).not_to_contain_text(item.title)
        else:
            expect(card).to_contain_text(item.title)
    expect(card.get_by_role("link", name="جست‌وجوی ریزمکالمات")).to_have_count(0)
    _shot(page, artifacts, "lines-claimed")
    _phone_shot(page, artifacts, "lines-claimed-360")

    # The telecom-center operator: password, SMS code, then the activation page.
    _staff_login(page, portal.url, OPERATOR)
    page.goto(portal.url + "/admin/telecom/lineactivation/activate/")
    page.get_by_label("کد ملی (حقیقی) یا شناسه ملی (حقوقی) مشترک").fill(
        to_persian_digits(ali.national_code)
    )
    page.get_by_role("button", name="جستجوی مشترک").click()
    expect(page.locator("#content-main")).to_contain_text(f"مشترک: {ali.display_name}")
    # The national code is masked on the operator's screen.
    assert ali.national_code not in normalize_digits(page.locator("#content-main").inner_text())
    for item in CHECKLISTS[User.Kind.NATURAL]:
        if not item.tenant_only:
            page.get_by_label(item.title, exact=True).check()
    page.get_by_label("نوع مدرک هویتی").select_option(index=0)
    page.get_by_label("شماره مدرک").fill("۱۲۳۴۵۶۷۸")
    page.get_by_label(to_persian_digits(ALI_LINE)).check()
    _shot(page, artifacts, "activate")
    _phone_shot(page, artifacts, "activate-360")
    page.get_by_role("button", name="فعال‌سازی").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"خدمات الکترونیک تلفن {to_persian_digits(ALI_LINE)} فعال شد"
    )
    _shot(page, artifacts, "activated")
    # Nothing is left to activate for him at this center, and the page says where to look.
    expect(page.locator("#no-pending-claims")).to_be_visible()
    activation = LineActivation.objects.select_related("link", "verification").get(
        link__user=ali, link__subscription__phone_line__number=ALI_LINE
    )
    assert activation.activated_by.username == OPERATOR
    assert activation.link.role == "owner" and activation.link.ended_at is None
    assert activation.verification.document_number == "12345678"
    claim.refresh_from_db()
    assert claim.status == LineClaim.Status.ACTIVATED and claim.activation_id == activation.pk
    activated_sms = OutboxMessage.objects.filter(
        recipient=ali.mobile, text__contains="خدمات الکترونیک تلفن"
    )
    assert activated_sms.count() == 1, [m.text for m in activated_sms]
    assert to_persian_digits(ALI_LINE) in activated_sms.get().text

    # Ali sees the line active, with the link to its call records.
    _login(page, portal.url, ali)
    page.goto(portal.url + "/telecom/lines/")
    card = page.locator(f"#line-{ALI_LINE}")
    expect(card.locator(".badge", has_text="فعال")).to_be_visible()
    expect(card).not_to_contain_text("در انتظار")
    expect(card).to_contain_text("پیامک: غیرفعال")
    # The line's own services are a click away (the switch the line can take: unblocked, so
    # the second zero offers the block).
    services = card.get_by_role("navigation", name="درخواست خدمات این خط")
    ali_subscription = PhoneLine.objects.get(number=ALI_LINE).subscription_id
    expect(services.get_by_role("link", name=SMS_SERVICE_TITLE)).to_have_attribute(
        "href", f"/requests/new/tel-sms-service/?subscription={ali_subscription}"
    )
    expect(services.get_by_role("link", name="بستن صفر دوم", exact=False)).to_have_count(1)
    calls_link = card.get_by_role("link", name="جست‌وجوی ریزمکالمات")
    expect(calls_link).to_have_attribute("href", f"/telecom/lines/{ALI_LINE}/calls/")
    _shot(page, artifacts, "lines-active")
    _phone_shot(page, artifacts, "lines-active-360")
    calls_link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(to_persian_digits(ALI_LINE))

    # 3. An at-once line service from the request pages: the SMS service switched on.
    page.locator("header").get_by_role("link", name="درخواست‌های من").click()
    page.get_by_role("link", name="ثبت درخواست جدید").first.click()
    page.get_by_role("link", name=f"ثبت درخواست: {SMS_SERVICE_TITLE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"ثبت درخواست: {SMS_SERVICE_TITLE}")
    line = PhoneLine.objects.get(number=ALI_LINE)
    assert not line.sms_service
    page.get_by_label("خط تلفن").select_option(value=str(line.subscription_id))
    page.get_by_label("سرویس پیامک", exact=True).select_option(value="on")
    _shot(page, artifacts, "service-file")
    _phone_shot(page, artifacts, "service-file-360")
    page.get_by_role("button", name="ثبت درخواست").click()
    page.wait_for_url(re.compile(r"/requests/[^/]+/$"))
    req = ServiceRequest.objects.get(applicant=ali, request_type__code="tel-sms-service")
    assert req.status == Status.COMPLETED, req.status
    assert req.subscription_id == line.subscription_id
    line.refresh_from_db()
    assert line.sms_service
    expect(page.get_by_role("status").or_(page.locator(".alert-success")).first).to_contain_text(
        to_persian_digits(req.number)
    )
    expect(page.locator("main")).to_contain_text(str(Status.COMPLETED.label))
    _shot(page, artifacts, "service-done")
    service_sms = OutboxMessage.objects.filter(
        recipient=ali.mobile, text__contains="سرویس پیامک خط"
    )
    assert service_sms.count() == 1, [m.text for m in service_sms]

    page.goto(portal.url + "/telecom/lines/")
    expect(page.locator(f"#line-{ALI_LINE}")).to_contain_text("پیامک: فعال")
    _shot(page, artifacts, "lines-service")


# --- 2: the owner's search and exports; the tenant's lease -----------------------------------


def _maryam_calls(line: PhoneLine, first: jdatetime.date, last: jdatetime.date) -> dict:
    """Known calls in one old Jalali month (older than the demo's calls) and around it."""
    target = [
        {"started_at": _at(first + dt.timedelta(days=2), 10, 15), "duration_s": 125,
         "cost_rial": 5_000},
        {"started_at": _at(first + dt.timedelta(days=11), 18, 40), "duration_s": 610,
         "cost_rial": 24_000},
        {"started_at": _at(first + dt.timedelta(days=24), 9, 5), "duration_s": 47,
         "cost_rial": 2_000},
    ]  # fmt: skip
    for row in target:
        row.update(other_number=TARGET, call_type=CallType.INTERCITY)
    outside = [
        {"started_at": _at(first - dt.timedelta(days=1), 20), "other_number": TARGET,
         "call_type": CallType.INTERCITY},
        {"started_at": _at(last + dt.timedelta(days=1), 8), "other_number": TARGET,
         "call_type": CallType.INTERCITY},
    ]  # fmt: skip
    mobile = [
        {
            "started_at": _at(first + dt.timedelta(days=i % 28), 8 + i % 12, i % 60),
            "other_number": f"0914{1_000_000 + i:07d}",
            "call_type": CallType.MOBILE,
            "duration_s": 30 + i,
            "cost_rial": 1_000 + 10 * i,
        }
        for i in range(55)
    ]
    international = [
        {"started_at": _at(first + dt.timedelta(days=4 + i), 21), "other_number": "00442071234567",
         "call_type": CallType.INTERNATIONAL, "duration_s": 300, "cost_rial": 90_000}
        for i in range(4)
    ]  # fmt: skip
    smart = [
        {"started_at": _at(first + dt.timedelta(days=6 + i), 12), "other_number": "02196000000",
         "call_type": CallType.SMART, "duration_s": 90, "cost_rial": 3_000}
        for i in range(2)
    ]  # fmt: skip
    local = [
        {"started_at": _at(first + dt.timedelta(days=i), 11), "other_number": f"041335{i:05d}",
         "call_type": CallType.LOCAL, "duration_s": 200, "cost_rial": 500}
        for i in range(6)
    ]  # fmt: skip
    groups = {
        "target": target,
        "outside": outside,
        "mobile": mobile,
        "international": international,
        "smart": smart,
        "local": local,
    }
    call_records_create([{**row, "line": line} for rows in groups.values() for row in rows])
    return groups


def test_owner_searches_and_exports_tenant_sees_lease(page, portal, artifacts, tmp_path):
    maryam, zahra = portal.maryam, portal.zahra
    first, last = _month(16)  # the demo's calls cover the last ~13 months only
    groups = _maryam_calls(PhoneLine.objects.get(number=MARYAM_LINE), first, last)
    listed = groups["target"] + groups["mobile"] + groups["international"] + groups["smart"]
    page.set_viewport_size(DESKTOP)

    _login(page, portal.url, maryam)
    page.goto(portal.url + "/telecom/lines/")
    card = page.locator(f"#line-{MARYAM_LINE}")
    expect(card).to_contain_text("صاحب تلفن")
    card.get_by_role("link", name="جست‌وجوی ریزمکالمات").click()
    page.wait_for_url(re.compile(rf"/telecom/lines/{MARYAM_LINE}/calls/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(to_persian_digits(MARYAM_LINE))
    expect(page.locator("#calls-lease-note")).to_have_count(0)  # the owner sees everything

    # a) A specific number within a Jalali date range (typed with Persian digits).
    page.get_by_label("از تاریخ").fill(_fa(first))
    page.get_by_label("تا تاریخ").fill(_fa(last))
    page.get_by_label("شماره طرف مقابل").fill(to_persian_digits(TARGET))
    page.locator("#calls-search-submit").click()
    page.wait_for_url(re.compile(r"other_number="))
    expect(page.locator("#calls-table tbody tr")).to_have_count(3)
    assert set(_table_texts(page, 3)) == {TARGET}
    newest_first = sorted(groups["target"], key=lambda r: r["started_at"], reverse=True)
    assert _table_texts(page, 1) == [
        jdatetime.date.fromgregorian(date=r["started_at"].date()).strftime("%Y/%m/%d")
        for r in newest_first
    ]
    expect(page.locator("#calls-total-count")).to_have_text("۳")
    expect(page.locator("#calls-total-duration")).to_have_text("۱۳:۰۲")  # 782 s
    expect(page.locator("#calls-total-cost")).to_have_text("۳۱٬۰۰۰ ریال")
    expect(page.locator("#calls-next")).to_have_count(0)
    _shot(page, artifacts, "calls-number")
    _phone_shot(page, artifacts, "calls-number-360")

    # Its CSV: exactly those three calls; its PDF: the line and the total.
    header, rows, totals = _csv_rows(_download(page, "export-csv", tmp_path / "number.csv"))
    assert header[:4] == ["ردیف", "تاریخ و ساعت شروع", "شماره طرف مقابل", "نوع مکالمه"]
    assert [(r[1], r[2], r[4], r[6]) for r in rows] == [
        (
            f"{jdatetime.datetime.fromgregorian(datetime=r['started_at']):%Y/%m/%d %H:%M:%S}",
            TARGET,
            str(r["duration_s"]),
            str(r["cost_rial"]),
        )
        for r in newest_first
    ]
    assert totals[0] == "جمع" and totals[4] == "782" and totals[6] == "31000"
    pdf = _download(page, "export-pdf", artifacts / "telecom-calls-number.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = normalize_digits(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert MARYAM_LINE in text and TARGET in text
    assert re.search(r"31[٬,]000", text), text

    # b) By call type in the same range: 55 mobile calls, 50 a page, next and previous.
    page.get_by_label("شماره طرف مقابل").fill("")
    page.get_by_label("تلفن همراه").check()
    page.locator("#calls-search-submit").click()
    page.wait_for_url(re.compile(r"call_type=mobile"))
    expect(page.locator("#calls-total-count")).to_have_text("۵۵")
    expect(page.locator("#calls-table tbody tr")).to_have_count(50)
    first_page = _table_texts(page, 3)
    assert {
        normalize_digits(t) for t in page.locator("#calls-table td:nth-child(4)").all_inner_texts()
    } == {"تلفن همراه"}
    _shot(page, artifacts, "calls-type")
    _phone_shot(page, artifacts, "calls-type-360")
    page.locator("#calls-next").click()
    expect(page.locator("#calls-table tbody tr")).to_have_count(5)
    second_page = _table_texts(page, 3)
    assert sorted(first_page + second_page) == sorted(r["other_number"] for r in groups["mobile"])
    expect(page.locator("#calls-total-count")).to_have_text("۵۵")
    expect(page.locator("#calls-next")).to_have_count(0)
    _shot(page, artifacts, "calls-type-page2")
    page.locator("#calls-previous").click()
    expect(page.locator("#calls-table tbody tr")).to_have_count(50)
    assert _table_texts(page, 3) == first_page

    # c) Every listed type in the range: local calls are neither counted nor exported.
    page.get_by_label("تلفن همراه").uncheck()
    page.locator("#calls-search-submit").click()
    expect(page.locator("#calls-total-count")).to_have_text(to_persian_digits(len(listed)))
    _header, rows, totals = _csv_rows(_download(page, "export-csv", tmp_path / "all.csv"))
    assert len(rows) == len(listed) == 64
    assert sorted(r[2] for r in rows) == sorted(r["other_number"] for r in listed)
    assert "شهری" not in {r[3] for r in rows}
    assert totals[6] == str(sum(r["cost_rial"] for r in listed))

    # The tenant: the lease note, and nothing from before the lease start.
    access_start = LineActivation.objects.get(
        link__user=zahra, link__subscription__phone_line__number=ZAHRA_LINE
    ).lease_start
    start = jdatetime.date.fromgregorian(date=access_start)
    zahra_line = PhoneLine.objects.get(number=ZAHRA_LINE)
    before = [_at(start - dt.timedelta(days=3), 11), _at(start - dt.timedelta(days=1), 23, 59)]
    during = [_at(start, 0, 5), _at(start + dt.timedelta(days=5), 14)]
    call_records_create(
        [
            {"line": zahra_line, "started_at": m, "other_number": ZAHRA_OTHER}
            for m in before + during
        ]
    )
    _login(page, portal.url, zahra)
    page.goto(portal.url + "/telecom/lines/")
    card = page.locator(f"#line-{ZAHRA_LINE}")
    expect(card).to_contain_text("دوره اجاره")
    card.get_by_role("link", name="جست‌وجوی ریزمکالمات").click()
    expect(page.locator("#calls-lease-note")).to_be_visible()
    page.get_by_label("از تاریخ").fill(_fa(start - dt.timedelta(days=20)))
    page.get_by_label("تا تاریخ").fill(_fa(start + dt.timedelta(days=20)))
    page.locator("#calls-search-submit").click()
    page.wait_for_url(re.compile(r"from="))
    expect(page.locator("#calls-clipped-note")).to_be_visible()
    dates = _table_texts(page, 1)
    assert dates and min(dates) >= start.strftime("%Y/%m/%d"), dates
    _shot(page, artifacts, "calls-tenant")
    _phone_shot(page, artifacts, "calls-tenant-360")
    page.get_by_label("شماره طرف مقابل").fill(to_persian_digits(ZAHRA_OTHER))
    page.locator("#calls-search-submit").click()
    page.wait_for_url(re.compile(r"other_number="))
    expect(page.locator("#calls-table tbody tr")).to_have_count(2)
    assert _table_texts(page, 2) == [
        f"{m.astimezone(TEHRAN):%H:%M:%S}" for m in sorted(during, reverse=True)
    ]
