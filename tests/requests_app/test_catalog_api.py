"""Public read-only API: /api/v1/service-cards/ and /api/v1/faq/."""

from io import StringIO
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator

from requests_app.models import FaqEntry, ServiceCard
from tests.requests_app.factories import FaqEntryFactory, ServiceCardFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/service-cards/"
FAQ_URL = "/api/v1/faq/"

CARD_FIELDS = {
    "service_id",
    "slug",
    "title",
    "section",
    "section_display",
    "company_kind",
    "company_kind_display",
    "service_type",
    "service_type_display",
    "description",
    "required_documents",
    "steps",
    "average_time_hours",
    "average_time",
    "service_hours",
    "in_person_visits",
    "fee_description",
    "kiosk_fee_rials",
    "payment_methods",
    "access_channels",
    "complaint_channels",
    "page_url",
    "updated_at",
    "updated_at_jalali",
}


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def _all_pages(client, url):
    items = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        items.extend(body["results"])
        url = body["next"]
    return items


def test_list_is_public_and_ordered_by_order_then_id(client, demo):
    cards = _all_pages(client, f"{LIST_URL}?page_size=4")

    expected = list(
        ServiceCard.objects.filter(is_published=True)
        .order_by("order", "id")
        .values_list("service_id", flat=True)
    )
    assert [c["service_id"] for c in cards] == expected
    assert set(cards[0]) == CARD_FIELDS


def test_detail_by_service_id_carries_the_seed_004_facts(client, demo):
    response = client.get(f"{LIST_URL}130316670112/")

    assert response.status_code == 200
    card = response.json()
    assert card["slug"] == "gas-meter-test"
    assert card["section"] == "after_sales"
    assert card["company_kind"] == "gas"
    assert card["service_type"] == "G2C"
    assert card["required_documents"] == ["آخرین رقم کنتور", "آخرین قبض تسویه‌شده"]
    assert card["average_time_hours"] == 24
    assert card["average_time"] == "24 ساعت"
    assert card["in_person_visits"] == 1
    assert card["kiosk_fee_rials"] == 109_000
    assert {"label": "دفاتر پیشخوان دولت", "value": "درگاه دفاتر"} in card["payment_methods"]
    assert {"label": "مراجعه حضوری یا تماس تلفنی", "value": "33372409"} in card[
        "complaint_channels"
    ]
    assert card["page_url"] == "http://testserver/services/gas-meter-test/"


def test_detail_accepts_persian_digits_in_the_path(client, demo):
    response = client.get(f"{LIST_URL}{quote('۱۳۰۳۱۶۶۷۰۱۱۲')}/")

    assert response.status_code == 200
    assert response.json()["service_id"] == "130316670112"


def test_missing_card_uses_the_portal_error_shape(client, demo):
    response = client.get(f"{LIST_URL}999999999999/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "مورد درخواستی یافت نشد.", "fields": {}}
    }


def test_unpublished_card_is_404_and_not_listed(client):
    visible = ServiceCardFactory()
    draft = ServiceCardFactory(is_published=False)

    ids = [c["service_id"] for c in client.get(LIST_URL).json()["results"]]
    assert ids == [visible.service_id]
    response = client.get(f"{LIST_URL}{draft.service_id}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_section_filter(client, demo):
    cards = client.get(f"{LIST_URL}?section=telecom").json()["results"]

    assert cards
    assert {c["section"] for c in cards} == {"telecom"}


def test_unknown_section_filter_is_a_field_error(client):
    response = client.get(f"{LIST_URL}?section=nope")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert set(response.json()["error"]["fields"]) == {"section"}


def test_faq_list_and_category_filter(client, demo):
    entries = _all_pages(client, f"{FAQ_URL}?page_size=7")
    assert len(entries) == FaqEntry.objects.filter(is_published=True).count()
    assert set(entries[0]) == {
        "id",
        "category",
        "category_display",
        "question",
        "answer",
        "updated_at",
        "updated_at_jalali",
    }

    telecom = client.get(f"{FAQ_URL}?category=telecom").json()["results"]
    assert telecom
    assert {e["category"] for e in telecom} == {"telecom"}


def test_unpublished_faq_is_not_listed(client):
    FaqEntryFactory(question="پیدا؟")
    FaqEntryFactory(question="پنهان؟", is_published=False)

    questions = [e["question"] for e in client.get(FAQ_URL).json()["results"]]
    assert questions == ["پیدا؟"]


def test_logged_in_user_reads_the_same_public_data(client, demo):
    user = get_user_model().objects.create_user(username="reader", password="x" * 12)
    client.force_login(user)

    assert client.get(f"{LIST_URL}130316670112/").status_code == 200


def test_read_only(client, demo):
    assert client.post(LIST_URL, {}, content_type="application/json").status_code == 405
    assert client.delete(f"{LIST_URL}130316670112/").status_code == 405


@pytest.mark.parametrize(
    ("url", "factory"), [(LIST_URL, ServiceCardFactory), (FAQ_URL, FaqEntryFactory)]
)
def test_list_queries_do_not_grow_with_rows(
    client, django_assert_max_num_queries, django_assert_num_queries, url, factory
):
    factory()
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as one_row:
        assert client.get(url).status_code == 200

    factory.create_batch(49)
    with django_assert_num_queries(len(one_row.captured_queries)):
        response = client.get(url)
    assert len(response.json()["results"]) == 50


def test_schema_documents_the_catalog_endpoints():
    generator = SchemaGenerator(patterns=[path("api/v1/", include("requests_app.api_urls"))])

    schema = generator.get_schema(request=None, public=True)

    assert {"/api/v1/service-cards/", "/api/v1/service-cards/{service_id}/", "/api/v1/faq/"} <= set(
        schema["paths"]
    )
    list_op = schema["paths"]["/api/v1/service-cards/"]["get"]
    assert {p["name"] for p in list_op["parameters"]} >= {"cursor", "section"}
    assert "security" not in list_op or list_op["security"] in ([], [{}])


def test_dates_come_with_a_jalali_companion(client):
    import re

    ServiceCardFactory()
    FaqEntryFactory()
    card = client.get(LIST_URL).json()["results"][0]
    faq = client.get(FAQ_URL).json()["results"][0]
    for item in (card, faq):
        assert re.fullmatch(r"1[34]\d\d/\d\d/\d\d \d\d:\d\d", item["updated_at_jalali"])
