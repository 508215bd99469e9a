"""A citizen registers, verifies the mobile with the SMS code, logs in and links a
subscription — in a real browser, reading the code from the outbox like a phone would."""

import re

import pytest
from django.core.management import call_command

from notifications.models import OutboxMessage
from portal import identifiers
from subscribers.models import Subscription, SubscriptionLink, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NATIONAL_CODE = "0499370899"
MOBILE = "09127654321"
PASSWORD = "Ab-Citizen-2026"


def _latest_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile).latest()
    return re.search(r"\d{6}", message.text).group()


@pytest.fixture
def portal(live_server):
    call_command("seed_demo", verbosity=0)
    office = Subscription.objects.select_related("office__company").first().office
    company = office.company
    subscription = Subscription.objects.create(
        company=company,
        subscription_number="7700001",
        bill_id=identifiers.generate_bill_id(
            file_code=7700001, company_code=company.code, service_type=company.service_digit
        ),
        office=office,
        city=office.cities.first(),
        address="تبریز، خیابان آزمون، پلاک ۷",
        mobile="09140000007",
        tariff="خانگی",
        holder_id=NATIONAL_CODE,
    )
    live_server.subscription = subscription
    return live_server


def test_register_verify_login_and_link(page, portal, artifacts):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(portal.url + "/register/")
    form = page.locator("form", has=page.locator('input[name="kind"][value="natural"]'))
    for name, value in (
        ("first_name", "سارا"),
        ("last_name", "کاظمی"),
        ("father_name", "حسین"),
        ("birth_date", "۱۳۷۰/۰۶/۱۵"),
        ("id_number", "۴۵۶۷"),
        ("place_of_issue", "تبریز"),
        ("national_code", "۰۴۹۹۳۷۰۸۹۹"),  # Persian digits, as a citizen types them
        ("postal_code", "5153847911"),
        ("mobile", "۰۹۱۲۷۶۵۴۳۲۱"),
        ("password", PASSWORD),
        ("password2", PASSWORD),
    ):
        form.locator(f'[name="n-{name}"]').fill(value)
    form.locator('[name="n-gender"]').select_option("female")
    # Every input has a visible label tied to it.
    assert form.locator('label[for="id_n-national_code"]').inner_text().startswith("کد ملی")
    page.screenshot(path=str(artifacts / "account-register.png"), full_page=True)
    form.get_by_role("button", name="ثبت‌نام و دریافت کد تایید").click()

    page.wait_for_url(re.compile(r"/verify/"))
    assert not User.objects.get(national_code=NATIONAL_CODE).is_active
    page.screenshot(path=str(artifacts / "account-verify.png"), full_page=True)
    page.locator('[name="code"]').fill(_latest_code(MOBILE))
    page.get_by_role("button", name="تأیید").click()
    page.wait_for_load_state()
    user = User.objects.get(national_code=NATIONAL_CODE)
    assert user.is_active and user.mobile_verified_at is not None

    # Log out (if verification logged in) and log in again with the password.
    page.context.clear_cookies()
    page.goto(portal.url + "/login/")
    page.locator('#pane-password [name="username"]').fill(NATIONAL_CODE)
    page.locator('#pane-password [name="password"]').fill(PASSWORD)
    page.locator("#pane-password").get_by_role("button", name="ورود").click()
    page.wait_for_load_state()
    assert "سارا" in page.locator("header").inner_text()
    page.screenshot(path=str(artifacts / "account-logged-in.png"), full_page=True)

    page.goto(portal.url + "/subscriptions/link/")
    page.locator('[name="bill_id"]').fill(portal.subscription.bill_id)
    page.get_by_role("button", name="ادامه").click()
    page.wait_for_url(re.compile(r"/subscriptions/"))
    assert SubscriptionLink.objects.filter(
        user=user, subscription=portal.subscription, ended_at__isnull=True
    ).exists()
    page.goto(portal.url + "/subscriptions/")
    assert "۷۷۰۰۰۰۱" in page.content()
    page.screenshot(path=str(artifacts / "account-subscriptions.png"), full_page=True)
