"""Bills in a real browser (seeds 000 and 001), on the demo data: anyone looks up consumption and
paid status by bill ID without logging in and sees no personal data; the owner logs in, opens
five years of history from a Jalali start year, sees the consumption chart against the year
before, downloads the full bill as a PDF, and registers a meter reading that the office
approves — the provisional bill then arrives by SMS with its bill ID and payment ID.
Screenshots in tests/artifacts/billing-*.png."""

import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.models import Bill
from notifications.models import OutboxMessage
from portal.digits import normalize_digits, to_persian_digits
from portal.identifiers import payment_id_matches
from portal.jalali import to_jalali
from requests_app.models import ServiceRequest, Status
from requests_app.services import workflow
from subscribers.models import Subscription, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBSCRIBER_PASSWORD = "Demo-User-1403"
SUPERVISOR = "supervisor-tabriz-electricity-01"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"billing-{name}.png"), full_page=True)


def _phone_shot(page: Page, artifacts: Path, name: str) -> None:
    page.set_viewport_size(PHONE)
    # Chart.js resizes its canvas from a ResizeObserver callback: give it a frame or two.
    page.wait_for_timeout(300)
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
                }).slice(0, 8).map(e => `${e.tagName}.${e.className}`)"""
        )
        _shot(page, artifacts, name)
    assert overflow <= 1, f"{name}: the page is {overflow}px wider than a 360px phone: {wide}"
    _shot(page, artifacts, name)
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def portal(live_server):
    call_command("seed_demo", verbosity=0)
    maryam = User.objects.get(first_name="مریم", last_name="رضایی", kind=User.Kind.NATURAL)
    live_server.maryam = maryam
    live_server.subscription = Subscription.objects.get(
        links__user=maryam, links__ended_at__isnull=True, company__kind="electricity"
    )
    return live_server


def test_lookup_history_chart_pdf_and_self_reading(page, portal, artifacts, tmp_path):
    maryam, subscription = portal.maryam, portal.subscription
    bill_id_fa = to_persian_digits(subscription.bill_id)
    latest = Bill.objects.filter(subscription=subscription, status="issued").latest(
        "year", "period"
    )
    page.set_viewport_size(DESKTOP)

    # 1. Without logging in: consumption and paid status by bill ID, nothing personal.
    page.goto(portal.url + "/bills/lookup/")
    page.get_by_role("textbox", name="شناسه قبض").fill(bill_id_fa)
    page.get_by_role("button", name="استعلام").click()
    table = page.locator("table")
    expect(table.first).to_be_visible()
    body = page.locator("main").inner_text()
    for private in (maryam.first_name, maryam.last_name, subscription.address, latest.payment_id):
        assert private not in body and to_persian_digits(private) not in body
    _shot(page, artifacts, "lookup")

    # 2. The owner logs in and opens the history from 1401.
    page.goto(portal.url + "/login/")
    page.locator('#pane-password [name="username"]').fill(maryam.national_code)
    page.locator('#pane-password [name="password"]').fill(SUBSCRIBER_PASSWORD)
    page.locator("#pane-password").get_by_role("button", name="ورود").click()
    expect(page.locator("header")).to_contain_text("مریم")
    page.goto(portal.url + "/bills/")
    expect(page.get_by_role("heading", level=1)).to_have_text("صورتحساب‌های من")
    _shot(page, artifacts, "home")
    page.get_by_role("textbox", name="شناسه قبض").fill(bill_id_fa)
    page.get_by_role("textbox", name="سال شروع").fill("۱۴۰۱")
    page.get_by_role("button", name="نمایش سوابق").click()
    page.wait_for_url(re.compile(r"/bills/history/\?"))
    rows = page.locator("table tbody tr")
    issued_since_1401 = Bill.objects.filter(
        subscription=subscription, status="issued", year__gte=1401
    ).count()
    expect(rows).to_have_count(issued_since_1401)
    # The chart is drawn by Chart.js from the page's JSON (no inline script).
    page.wait_for_function("() => window.Chart && Chart.getChart('consumption-chart')")
    datasets = page.evaluate(
        "() => Chart.getChart('consumption-chart').data.datasets.map(d => d.data.length)"
    )
    assert len(datasets) == 2 and datasets[0] == issued_since_1401
    # Only the latest unpaid bill offers its payment ID (seed 000).
    if not latest.is_paid:
        expect(page.locator("main")).to_contain_text(to_persian_digits(latest.payment_id))
    _shot(page, artifacts, "history")
    _phone_shot(page, artifacts, "history-360")

    # 3. The full bill as a PDF, with the right amount in it.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^چاپ قبض")).first.click()
    pdf_path = tmp_path / "bill.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    text = normalize_digits(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert subscription.subscription_number in text

    # 4. A self reading (ثبت کارکرد) from the history page.
    page.get_by_role("link", name="ثبت کارکرد کنتور").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("کارکرد")
    reading = latest.current_reading + 60
    today = to_jalali(timezone.localdate())
    page.get_by_label("شماره فعلی کنتور").fill(to_persian_digits(reading))
    page.get_by_label("تاریخ قرائت").fill(to_persian_digits(today.strftime("%Y/%m/%d")))
    _shot(page, artifacts, "reading")
    _phone_shot(page, artifacts, "reading-360")
    page.get_by_role("button", name="ثبت کارکرد").click()
    page.wait_for_url(re.compile(r"/requests/[^/]+/$"))
    req = ServiceRequest.objects.get(
        applicant=maryam, request_type__code="elec-self-reading", status=Status.APPROVAL
    )
    expect(page.get_by_role("status")).to_contain_text(to_persian_digits(req.number))

    # 5. The supervisor approves; the provisional bill comes back by SMS.
    workflow.request_approve(request=req, actor=User.objects.get(username=SUPERVISOR))
    bill = Bill.objects.get(request=req, kind=Bill.Kind.PROVISIONAL)
    assert bill.current_reading == reading and bill.consumption == 60
    assert payment_id_matches(
        subscription.bill_id,
        bill.payment_id,
        amount_rial=bill.amount,
        jalali_year=bill.year,
        period=bill.period,
    )
    sms = OutboxMessage.objects.filter(recipient=maryam.mobile, text__contains="علی‌الحساب")
    assert sms.count() == 1
    sms_text = normalize_digits(sms.get().text)
    assert subscription.bill_id in sms_text and bill.payment_id in sms_text
    page.reload()
    expect(page.locator("main")).to_contain_text(to_persian_digits(bill.payment_id))
    _shot(page, artifacts, "reading-approved")
