"""Public help pages and the service catalog (HTML)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app.models import FaqEntry, ServiceCard
from tests.requests_app.factories import (
    CityFactory,
    DistrictOfficeFactory,
    FaqEntryFactory,
    OfficePhoneFactory,
    ServiceCardFactory,
    UtilityCompanyFactory,
)

pytestmark = pytest.mark.django_db

SECTIONS = ServiceCard.Section


def _main(response) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("requests_app:help", ["راهنمای سامانه", "سوالات متداول", "شماره تلفن واحدها"]),
        ("requests_app:faq", ["سوالات متداول", "ثبت و پیگیری درخواست‌ها", "<details"]),
        (
            "requests_app:phonebook",
            ["شماره تلفن واحدها", "شرکت گاز استان قزوین", "رئیس خدمات مشترکین"],
        ),
        (
            "requests_app:service-area",
            ["محدوده خدمات", "شهر جدید سهند", "گوگان", "تاکستان", "قم"],
        ),
        ("requests_app:catalog", ["شناسنامه خدمات", "تست کنتور گاز", "ارائه ریزمکالمات"]),
        ("requests_app:service-card", ["شناسنامه خدمت", "تست کنتور گاز"]),
    ],
)
def test_help_and_catalog_pages_render_persian_content(client, demo, url_name, expected):
    kwargs = {"slug": "gas-meter-test"} if url_name.endswith("service-card") else {}
    response = client.get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    for text in expected:
        assert text in html


@pytest.mark.parametrize("key", SECTIONS.values)
def test_every_menu_section_shows_its_title_intro_and_cards(client, demo, key):
    response = client.get(reverse(f"requests_app:section-{key}"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 id="section-title" class="h3 fw-bold">{SECTIONS(key).label}</h1>' in html
    cards = ServiceCard.objects.filter(section=key, is_published=True)
    assert cards.exists()
    for card in cards:
        assert reverse("requests_app:service-card", kwargs={"slug": card.slug}) in html
    # The menu item of this section is marked as the current page.
    assert 'aria-current="page">' + SECTIONS(key).label in html


def test_section_urls_are_the_menu_names(client):
    assert reverse("requests_app:section-after_sales") == "/services/section/after_sales/"
    assert client.get("/services/section/unknown/").status_code == 404


def test_faq_answers_every_question_of_seed_000(client, demo):
    html = client.get(reverse("requests_app:faq")).content.decode()

    # One distinctive phrase of each seed-000 question.
    for phrase in [
        "مرورگر",
        "کدام شهرها",
        "پیگیری",
        "رئیس خدمات مشترکین",
        "مجتمع",
        "کپی مدارک",
        "چه مدارکی",
        "مرحله بازدید",
        "مرحله تأیید",
        "پیامک",
        "تجمیعی",
        "شناسه پرداخت",
        "تسویه",
        "جزئیات کامل قبض",
        "کارکرد",
    ]:
        assert phrase in html, phrase


def test_faq_is_a_disclosure_list_grouped_by_category(client, demo):
    html = client.get(reverse("requests_app:faq")).content.decode()

    published = FaqEntry.objects.filter(is_published=True).count()
    assert html.count("<details") == published
    assert html.count("<summary") == published
    for key, label in FaqEntry.Category.choices:
        assert f'<h2 id="faq-{key}" class="h5 mb-3">{label}</h2>' in html
    # Digits in answers are Persian.
    assert "۲ مگابایت" in html
    assert "تلفن ۱۲۱" in html


def test_unpublished_faq_entry_is_hidden(client):
    FaqEntryFactory(question="پرسش منتشرشده؟")
    FaqEntryFactory(question="پرسش پیش‌نویس؟", is_published=False)

    html = client.get(reverse("requests_app:faq")).content.decode()

    assert "پرسش منتشرشده؟" in html
    assert "پرسش پیش‌نویس؟" not in html


def test_gas_meter_test_card_shows_every_seed_004_fact(client, demo):
    response = client.get(reverse("requests_app:service-card", kwargs={"slug": "gas-meter-test"}))

    html = _main(response)
    assert '<dl class="service-facts row">' in html
    for fact in [
        '<span class="ltr-value">۱۳۰۳۱۶۶۷۰۱۱۲</span>',  # service ID
        "خدمت به شهروندان (G2C)",
        "آخرین رقم کنتور",
        "آخرین قبض تسویه‌شده",
        "۲۴ ساعت",
        "در ساعات اداری",
        "۱ بار",
        "۱۰۹٬۰۰۰ ریال",
        "تعرفه تنظیم مقررات",
        "از طریق صورتحساب",
        "درگاه اینترنتی",
        "درگاه دفاتر",
        '<span class="ltr-value">۳۳۳۷۲۴۶۵-۳۳۳۷۲۶۶۴</span>',
        '<span class="ltr-value">۵۰۰۰۲۵۱۹۴</span>',
        '<span class="ltr-value">۳۳۳۷۲۴۰۹</span>',
        '<span class="ltr-value">۳۱۹۴</span>',
        "شرکت گاز استان قزوین",
    ]:
        assert fact in html, fact
    # Neither the service ID nor the fee leaks in ASCII digits.
    assert "130316670112" not in html
    assert "109" not in html


def test_phone_book_lists_offices_cities_and_dialable_numbers(client, demo):
    html = client.get(reverse("requests_app:phonebook")).content.decode()

    assert "ستاد شرکت گاز استان قزوین" in html
    assert '<a href="tel:02833372409"><span class="ltr-value">۰۲۸-۳۳۳۷۲۴۰۹</span></a>' in html
    assert "امور برق آذرشهر" in html
    assert "آذرشهر، ممقان، گوگان" in html


def test_unknown_slug_is_404(client, demo):
    response = client.get(reverse("requests_app:service-card", kwargs={"slug": "no-such-card"}))

    assert response.status_code == 404
    assert "صفحه پیدا نشد" in response.content.decode()


def test_unpublished_card_is_404_and_hidden_from_lists(client):
    ServiceCardFactory(title="خدمت منتشرشده", slug="visible", section=SECTIONS.BILLS)
    ServiceCardFactory(
        title="خدمت پیش‌نویس", slug="draft", section=SECTIONS.BILLS, is_published=False
    )

    assert client.get("/services/draft/").status_code == 404
    assert client.get("/services/visible/").status_code == 200
    for url in [reverse("requests_app:catalog"), reverse("requests_app:section-bills")]:
        html = client.get(url).content.decode()
        assert "خدمت منتشرشده" in html
        assert "خدمت پیش‌نویس" not in html


def test_pages_accept_get_only(client, demo):
    for url in ["/help/", "/help/faq/", "/services/", "/services/gas-meter-test/"]:
        assert client.post(url).status_code == 405


# --- Query budget: list pages cost the same with 1 row and with 50 -------------------------


def _faq_rows(n):
    FaqEntryFactory.create_batch(n, category=FaqEntry.Category.BILLING)


def _catalog_rows(n):
    ServiceCardFactory.create_batch(n, section=SECTIONS.OUTAGES)


def _phone_book_rows(n):
    company = UtilityCompanyFactory()
    for _ in range(n):
        office = DistrictOfficeFactory(company=company)
        office.cities.set([CityFactory(), CityFactory()])
        OfficePhoneFactory.create_batch(2, office=office)
    company.cities.set([CityFactory() for _ in range(n)])


@pytest.mark.parametrize(
    ("url", "make_rows"),
    [
        ("/help/faq/", _faq_rows),
        ("/services/", _catalog_rows),
        ("/services/section/outages/", _catalog_rows),
        ("/help/phones/", _phone_book_rows),
        ("/help/service-area/", _phone_book_rows),
        ("/help/", _faq_rows),
    ],
)
def test_list_page_queries_do_not_grow_with_rows(
    client, django_assert_max_num_queries, django_assert_num_queries, url, make_rows
):
    make_rows(1)
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as one_row:
        assert client.get(url).status_code == 200

    make_rows(49)
    with django_assert_num_queries(len(one_row.captured_queries)):
        assert client.get(url).status_code == 200


def test_card_page_query_count_is_small(client, django_assert_max_num_queries):
    card = ServiceCardFactory()
    UtilityCompanyFactory.create_batch(3)
    with django_assert_max_num_queries(3):
        assert client.get(f"/services/{card.slug}/").status_code == 200
