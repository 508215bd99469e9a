"""Billing in admin in a real browser: a clerk (password + SMS code) opens the bills list of
their office, uploads a bills file with a wrong payment ID (numbered errors, nothing saved),
then the corrected file (counts) — with screenshots in tests/artifacts/billing-admin-*.png."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import Page, expect

from billing.models import Bill, BillImport
from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from portal.identifiers import generate_payment_id
from subscribers import roles
from subscribers.models import User
from subscribers.services.roles import roles_sync
from tests.billing.factories import BillFactory, paid
from tests.factories import DistrictOfficeFactory, StaffFactory, SubscriptionFactory, add_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-Staff-1403"
DESKTOP = {"width": 1280, "height": 900}
HEADER = (
    "bill_id,payment_id,period,period_start,period_end,previous_reading,current_reading,"
    "consumption,amount,due_date"
)


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
    page.screenshot(path=str(artifacts / f"billing-admin-{name}.png"), full_page=True)


def _row(subscription, amount: int, payment_id: str | None = None) -> str:
    payment_id = payment_id or generate_payment_id(
        bill_id=subscription.bill_id, amount_rial=amount, jalali_year=1405, period=8
    )
    return (
        f"{subscription.bill_id},{payment_id},1405-08,1405/08/01,1405/08/30,"
        f"5000,5240,240,{amount},1405/09/14"
    )


@pytest.fixture
def billing_office(live_server):
    roles_sync()
    Group.objects.get(name=roles.OFFICE_CLERK).permissions.add(
        *Permission.objects.filter(
            content_type__app_label="billing",
            codename__in=["view_bill", "view_billpayment", "view_billimport", "add_billimport"],
        )
    )
    office = DistrictOfficeFactory(name="امور برق یک تبریز")
    clerk = StaffFactory(
        office=office, username="clerk-billing", mobile="09900000778", first_name="کارمند"
    )
    clerk.set_password(PASSWORD)
    clerk.save()
    add_role(clerk, roles.OFFICE_CLERK)
    subscriptions = [SubscriptionFactory(office=office) for _ in range(3)]
    for n, subscription in enumerate(subscriptions):
        for period in range(1, 5):
            bill = BillFactory(
                subscription=subscription,
                year=1405,
                period=period,
                consumption=180 + 40 * period + 7 * n,
                amount=(900 + 150 * period + 35 * n) * 1000,
            )
            if period < 4 or n == 0:
                paid(bill, reference=f"REF-{n}-{period}")
    return clerk, subscriptions


def test_clerk_reads_bills_and_uploads_a_file(page: Page, live_server, billing_office, artifacts):
    clerk, subscriptions = billing_office
    page.set_viewport_size(DESKTOP)
    _staff_login(page, live_server.url, clerk)

    page.goto(live_server.url + "/admin/billing/bill/")
    expect(page.get_by_text(to_persian_digits(subscriptions[0].bill_id)).first).to_be_visible()
    _shot(page, artifacts, "bills")

    page.get_by_text(to_persian_digits(subscriptions[0].bill_id)).first.click()
    expect(page.get_by_text("پرداخت‌های قبض").first).to_be_visible()
    _shot(page, artifacts, "bill-detail")

    page.goto(live_server.url + "/admin/billing/billimport/")
    page.get_by_role("link", name="بارگذاری پرونده صورتحساب یا پرداخت").click()
    bad = "\n".join(
        [HEADER, _row(subscriptions[0], 1_320_000), _row(subscriptions[1], 1_410_000, "1234567")]
    )
    page.get_by_label("صورتحساب‌ها").check()
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "bills-1405-08.csv", "mimeType": "text/csv", "buffer": bad.encode()}],
    )
    page.get_by_role("button", name="بارگذاری و بررسی").click()
    errors = page.locator("#import-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("۳")
    _shot(page, artifacts, "upload-errors")
    assert not BillImport.objects.exists()
    assert Bill.objects.filter(year=1405, period=8).count() == 0

    good = "\n".join([HEADER, _row(subscriptions[0], 1_320_000), _row(subscriptions[1], 1_410_000)])
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "bills-1405-08.csv", "mimeType": "text/csv", "buffer": good.encode()}],
    )
    page.get_by_role("button", name="بارگذاری و بررسی").click()
    page.wait_for_url(re.compile(r"/admin/billing/billimport/$"))
    expect(page.get_by_text("وارد شد")).to_be_visible()
    _shot(page, artifacts, "upload-done")
    assert Bill.objects.filter(year=1405, period=8).count() == 2
