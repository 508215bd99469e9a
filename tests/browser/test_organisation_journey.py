"""An organisation's bills in a real browser (seed 000, issue 5 item 8): the representative an
organisation introduced logs in, opens the organisation's 60 subscriptions from the bills home,
sees page 1 of 2 with totals over all 60, goes to page 2, filters the unpaid electricity bills
(the page links keep the filter), downloads them as CSV (every filtered row, not one page),
and a bad page number in the URL shows the first or the last page, never an error page.
Screenshots at 1280 px and 360 px in tests/artifacts/organisation-*.png."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.digits import normalize_digits, to_persian_digits
from tests.billing.factories import BillFactory, paid
from tests.billing.test_organisations import link_subscriptions
from tests.factories import (
    PASSWORD,
    CityFactory,
    DistrictOfficeFactory,
    LegalProfileFactory,
    OrganisationAccessFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    UtilityCompanyFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}
ELECTRICITY, GAS = 54, 6  # ordered by company kind: page 1 is all electricity
PAID_ELECTRICITY = {0, 27}  # 52 unpaid electricity bills: the filtered list has two pages
PAID_GAS = {0, 2, 4}


def _fa_amount(value: int) -> str:
    return to_persian_digits(f"{value:,}".replace(",", "٬"))


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"organisation-{name}.png"), full_page=True)


def _phone_shot(page: Page, artifacts: Path, name: str) -> None:
    """The page at 360 px: nothing wider than the phone (the table scrolls inside its own
    container), and the page links on screen, not cut off."""
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(200)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 1:
        _shot(page, artifacts, name)
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(e => {
                    if (e.closest('.table-responsive')) return false;
                    const r = e.getBoundingClientRect();
                    return r.right > innerWidth + 2 || r.left < -2;
                }).slice(0, 8).map(e => `${e.tagName}.${e.className}`)"""
        )
        pytest.fail(f"{name}: the page is {overflow}px wider than a 360px phone: {wide}")
    pages = page.get_by_role("navigation", name="صفحه‌های فهرست")
    if pages.count():
        outside = pages.evaluate(
            """nav => [...nav.querySelectorAll('a, span')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.right > innerWidth + 1 || r.left < -1;
                }).map(e => e.textContent.trim())"""
        )
        assert not outside, f"{name}: page links outside the screen: {outside}"
    # What a payer looks for is on screen before the table is scrolled sideways.
    offscreen = page.evaluate(
        """() => [...document.querySelectorAll('table thead th')].slice(0, 3).filter(th => {
                const r = th.getBoundingClientRect();
                return r.left < 0 || r.right > innerWidth;
            }).map(th => th.textContent.trim())"""
    )
    assert not offscreen, f"{name}: columns off screen at 360 px: {offscreen}"
    _shot(page, artifacts, name)
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def organisation(live_server):
    """A university with 54 electricity and 6 gas subscriptions in two cities, each with an
    older paid bill (1403/04) and a current one (1403/05), and a representative whose
    introduction the office approved."""
    university = LegalProfileFactory(company_name="دانشگاه تبریز").user
    representative = UserFactory(first_name="رضا", last_name="کریمی")
    electricity = DistrictOfficeFactory(
        company=UtilityCompanyFactory(kind="electricity", name="توزیع برق تبریز")
    )
    gas = DistrictOfficeFactory(
        company=UtilityCompanyFactory(kind="gas", name="گاز آذربایجان شرقی")
    )
    cities = [CityFactory(name="تبریز"), CityFactory(name="مراغه")]
    current = []
    kinds = [(electricity, i in PAID_ELECTRICITY) for i in range(ELECTRICITY)]
    kinds += [(gas, i in PAID_GAS) for i in range(GAS)]
    for index, (office, is_paid) in enumerate(kinds):
        subscription = SubscriptionFactory(office=office, city=cities[index % 2])
        SubscriptionLinkFactory(user=university, subscription=subscription)
        paid(BillFactory(subscription=subscription, year=1403, period=4))
        bill = BillFactory(
            subscription=subscription,
            year=1403,
            period=5,
            amount=1_000_000 + index * 1_000,
            consumption=200 + index,
        )
        if is_paid:
            paid(bill)
            bill.refresh_from_db()
        current.append(bill)
    access = OrganisationAccessFactory(
        organisation=university, representative=representative, status="approved"
    )
    live_server.access, live_server.current = access, current
    return live_server


def _expect_totals(page: Page, bills) -> None:
    unpaid = [b for b in bills if not b.is_paid]
    totals = page.get_by_label("جمع صورتحساب‌ها")
    expect(totals).to_contain_text(to_persian_digits(len(bills)))
    expect(totals).to_contain_text(_fa_amount(sum(b.amount for b in bills)))
    expect(totals).to_contain_text(_fa_amount(sum(b.balance for b in unpaid)))


def test_representative_pages_filters_and_downloads(page, organisation, artifacts, tmp_path):
    access, current = organisation.access, organisation.current
    unpaid_electricity = [
        b for b in current if not b.is_paid and b.subscription.company.kind == "electricity"
    ]
    assert len(current) == 60 and len(unpaid_electricity) == 52
    page.set_viewport_size(DESKTOP)

    # 1. The representative logs in and opens the organisation from the bills home.
    page.goto(organisation.url + "/login/")
    page.locator('#pane-password [name="username"]').fill(access.representative.national_code)
    page.locator('#pane-password [name="password"]').fill(PASSWORD)
    page.locator("#pane-password").get_by_role("button", name="ورود").click()
    expect(page.locator("header")).to_contain_text("رضا")
    page.goto(organisation.url + "/bills/")
    page.get_by_role("link", name=re.compile("دانشگاه تبریز")).click()
    page.wait_for_url(re.compile(rf"/bills/organisations/{access.pk}/$"))

    # 2. Page 1 of 2: 50 rows, totals over all 60, Jalali periods in Persian digits.
    expect(page.get_by_role("heading", level=1)).to_have_text("صورتحساب‌های دانشگاه تبریز")
    pages = page.get_by_role("navigation", name="صفحه‌های فهرست")
    expect(pages).to_contain_text("صفحه ۱ از ۲")
    expect(pages).to_contain_text("ردیف ۱ تا ۵۰ از ۶۰")
    expect(page.locator("table tbody tr")).to_have_count(50)
    _expect_totals(page, current)
    first_row = page.locator("table tbody tr").first
    expect(first_row).to_contain_text("۱۴۰۳/۰۵")
    assert not re.search(r"[0-9]", page.locator("table tbody").inner_text())
    assert page.evaluate("document.documentElement.dir") == "rtl"
    main = page.locator("main").inner_text()
    assert not any(mark in main for mark in ("{%", "%}", "{#", "#}", "{{")), "template code shows"
    _shot(page, artifacts, "page1")
    _phone_shot(page, artifacts, "page1-360")

    # 3. Page 2: the last 10 rows (4 electricity, then the 6 gas), the same totals.
    pages.get_by_role("link", name="صفحه بعد").click()
    page.wait_for_url(re.compile(r"\?page=2$"))
    expect(pages).to_contain_text("صفحه ۲ از ۲")
    expect(pages).to_contain_text("ردیف ۵۱ تا ۶۰ از ۶۰")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(10)
    expect(rows.filter(has_text="گاز")).to_have_count(GAS)
    expect(pages.get_by_role("link", name="صفحه بعد")).to_have_count(0)
    _expect_totals(page, current)
    _shot(page, artifacts, "page2")
    _phone_shot(page, artifacts, "page2-360")

    # 4. Unpaid electricity only: 52 rows, two pages, and the page links keep the filter.
    page.get_by_label("نوع خدمت").select_option(label="برق")
    page.get_by_label("وضعیت پرداخت").select_option(label="پرداخت نشده")
    page.get_by_role("button", name="نمایش").click()
    page.wait_for_url(re.compile(r"company_kind=electricity.*status=unpaid"))
    expect(pages).to_contain_text("صفحه ۱ از ۲")
    expect(pages).to_contain_text("ردیف ۱ تا ۵۰ از ۵۲")
    _expect_totals(page, unpaid_electricity)
    expect(rows.filter(has_text="پرداخت شده")).to_have_count(0)
    expect(rows.filter(has_text="گاز")).to_have_count(0)
    # Every unpaid row offers its payment ID.
    expect(rows.filter(has_text="شناسه پرداخت")).to_have_count(50)
    pages.get_by_role("link", name="صفحه بعد").click()
    page.wait_for_url(re.compile(r"company_kind=electricity.*status=unpaid.*page=2$"))
    expect(pages).to_contain_text("صفحه ۲ از ۲")
    expect(rows).to_have_count(2)
    expect(page.get_by_label("نوع خدمت")).to_have_value("electricity")
    expect(page.get_by_label("وضعیت پرداخت")).to_have_value("unpaid")
    _expect_totals(page, unpaid_electricity)
    pages.get_by_role("link", name="صفحه اول").click()
    page.wait_for_url(re.compile(r"company_kind=electricity.*status=unpaid.*page=1$"))
    expect(rows).to_have_count(50)
    _shot(page, artifacts, "filtered")
    _phone_shot(page, artifacts, "filtered-360")

    # 5. The CSV has every filtered row (52), not just the 50 on the page.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="دریافت CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"organisation-{access.pk}-bills.csv"
    csv_path = tmp_path / download.suggested_filename
    download.save_as(csv_path)
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, *lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[0] == "نوع خدمت" and len(lines) == 52
    assert {line[3] for line in lines} == {b.subscription.bill_id for b in unpaid_electricity}
    by_bill_id = {b.subscription.bill_id: b for b in unpaid_electricity}
    for line in lines:
        bill = by_bill_id[line[3]]
        assert line[6] == "1403/05" and int(line[11]) == bill.amount
        assert line[16] == bill.payment_id

    # 6. A bad page number in the URL: the first page or the last, never an error page.
    base = organisation.url + f"/bills/organisations/{access.pk}/"
    for value, shown in [("abc", "۱"), ("۹۹", "۲"), ("0", "۲"), ("-3", "۲"), ("1.5", "۱")]:
        response = page.goto(f"{base}?page={value}")
        assert response.status == 200, value
        expect(pages).to_contain_text(f"صفحه {shown} از ۲")
        expect(rows).to_have_count(50 if shown == "۱" else 10)
    response = page.goto(f"{base}?company_kind=electricity&status=unpaid&page=۷")
    assert response.status == 200
    expect(pages).to_contain_text("صفحه ۲ از ۲")
    expect(rows).to_have_count(2)
    assert "page=" not in normalize_digits(
        page.get_by_role("link", name="دریافت CSV").get_attribute("href")
    )


def test_the_organisation_account_pages_a_longer_list_on_a_phone(page, organisation, artifacts):
    """The organisation's own account (a legal person, logged in by its username) opens the
    same page by the same access; with 105 subscriptions, page 2 of 3 shows all five page
    links, and at 360 px they stay on screen and readable."""
    access = organisation.access
    link_subscriptions(access.organisation, 45)
    page.set_viewport_size(DESKTOP)
    page.goto(organisation.url + "/login/")
    page.locator('#pane-password [name="username"]').fill(access.organisation.username)
    page.locator('#pane-password [name="password"]').fill(PASSWORD)
    page.locator("#pane-password").get_by_role("button", name="ورود").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(organisation.url + f"/bills/organisations/{access.pk}/?page=۲")
    pages = page.get_by_role("navigation", name="صفحه‌های فهرست")
    expect(pages).to_contain_text("صفحه ۲ از ۳")
    expect(pages).to_contain_text("ردیف ۵۱ تا ۱۰۰ از ۱۰۵")
    for name in ("صفحه اول", "صفحه قبل", "صفحه بعد", "صفحه آخر"):
        expect(pages.get_by_role("link", name=name)).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(50)
    _phone_shot(page, artifacts, "middle-360")
    pages.get_by_role("link", name="صفحه آخر").click()
    page.wait_for_url(re.compile(r"\?page=3$"))
    expect(page.locator("table tbody tr")).to_have_count(5)
