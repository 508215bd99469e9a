"""Public tracking page: number alone for a new connection, number + subscription for
after-sales, a wrong pair indistinguishable from a missing number, no personal data, and a
per-IP limit on lookups."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.digits import to_persian_digits
from requests_app.models import Channel
from requests_app.selectors.requests import TRACKING_NOT_FOUND
from requests_app.services import workflow as wf
from subscribers.models import RateCounter
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    OfficePhoneFactory,
    UserFactory,
    UtilityCompanyFactory,
)
from tests.requests_app.factories import (
    RequestTypeFactory,
    RequiredDocumentFactory,
    owned_subscription,
)

pytestmark = pytest.mark.django_db

TRACK = reverse("requests_app:track")


@pytest.fixture
def after_sales():
    user, subscription = owned_subscription()
    OfficePhoneFactory(office=subscription.office, number="041-35550000")
    request_type = RequestTypeFactory(title="تغییر نام آزمایشی")
    RequiredDocumentFactory(request_type=request_type)  # missing: waits on the citizen
    req = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    return req


@pytest.fixture
def connection():
    city = CityFactory(name="شهر آزمون پیگیری")
    company = UtilityCompanyFactory()
    company.cities.add(city)
    office = DistrictOfficeFactory(company=company)
    office.cities.add(city)
    user = UserFactory(first_name="پروین", last_name="اعتصامی‌نمونه")
    request_type = RequestTypeFactory(needs_subscription=False, title="انشعاب آزمایشی")
    return wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        city=city, address="خیابان یگانه‌نمونه، پلاک ۹",
    )  # fmt: skip


def _alert(response) -> str:
    match = re.search(
        r'<div class="alert[^"]*track-error"[^>]*>.*?</div>', response.content.decode(), re.S
    )
    return match.group(0) if match else ""


def test_blank_form_without_login(client):
    response = client.get(TRACK)
    assert response.status_code == 200
    page = response.content.decode()
    assert "شماره درخواست" in page and "شماره اشتراک (برای خدمات پس از فروش)" in page
    assert not RateCounter.objects.exists()


def test_new_connection_is_found_by_number_alone(client, connection):
    response = client.get(TRACK, {"number": to_persian_digits(connection.number)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "انشعاب آزمایشی" in page
    assert connection.get_status_display() in page
    assert "مهلت انجام" in page
    assert "ثبت شده، در نوبت اقدام امور" in page  # the timeline
    # Never personal data.
    user = connection.applicant
    for secret in (user.first_name, user.last_name, user.national_code, "یگانه‌نمونه"):
        assert secret not in page
    assert to_persian_digits(user.national_code) not in page


def test_after_sales_needs_the_subscription_number(client, after_sales):
    subscription = after_sales.subscription
    alone = client.get(TRACK, {"number": after_sales.number})
    assert alone.status_code == 404
    assert TRACKING_NOT_FOUND in alone.content.decode()

    response = client.get(
        TRACK,
        {
            "number": after_sales.number,
            "subscription": to_persian_digits(subscription.subscription_number),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "تغییر نام آزمایشی" in page
    assert "۰۴۱-۳۵۵۵۰۰۰۰" in page  # documents review waits on the citizen: the office phone
    assert subscription.address not in page
    assert after_sales.applicant.national_code not in page


def test_wrong_pair_looks_exactly_like_a_missing_number(client, after_sales):
    _other_user, other_sub = owned_subscription()
    wrong = client.get(
        TRACK, {"number": after_sales.number, "subscription": other_sub.subscription_number}
    )
    missing_number = "1234567890" if after_sales.number != "1234567890" else "1234567891"
    missing = client.get(
        TRACK, {"number": missing_number, "subscription": other_sub.subscription_number}
    )
    assert wrong.status_code == missing.status_code == 404
    assert _alert(wrong) and _alert(wrong) == _alert(missing)
    assert TRACKING_NOT_FOUND in _alert(wrong)
    assert "تغییر نام آزمایشی" not in wrong.content.decode()


def test_empty_number_is_a_persian_error(client):
    response = client.get(TRACK, {"number": "", "subscription": ""})
    assert response.status_code == 400
    assert "«شماره درخواست» را وارد کنید." in response.content.decode()


def test_the_31st_lookup_from_one_ip_is_refused(client, connection):
    for _ in range(30):
        ok = client.get(TRACK, {"number": connection.number}, REMOTE_ADDR="10.9.9.9")
        assert ok.status_code == 200
    refused = client.get(TRACK, {"number": connection.number}, REMOTE_ADDR="10.9.9.9")
    assert refused.status_code == 429
    assert "بیش از حد مجاز" in refused.content.decode()
    assert "انشعاب آزمایشی" not in refused.content.decode()
    # Another address is counted apart.
    assert (
        client.get(TRACK, {"number": connection.number}, REMOTE_ADDR="10.9.9.8").status_code == 200
    )


def test_failed_lookups_count_too(client):
    for _ in range(30):
        assert (
            client.get(TRACK, {"number": "1111111111"}, REMOTE_ADDR="10.7.7.7").status_code == 404
        )
    assert client.get(TRACK, {"number": "1111111111"}, REMOTE_ADDR="10.7.7.7").status_code == 429
