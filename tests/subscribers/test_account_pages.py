"""Account pages render (RTL shell, labels), the header's account area, «حساب من» query
budget, and the user admin (masked national code, no password hash, disable action)."""

import pytest
from django.test import Client
from django.urls import reverse

from subscribers.models import User
from subscribers.permissions import STAFF_SECOND_FACTOR_SESSION_KEY
from tests.factories import (
    LegalProfileFactory,
    NaturalProfileFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["subscribers:register", "subscribers:login", "subscribers:password-reset",
     "subscribers:staff-login"],
)  # fmt: skip
def test_anonymous_pages_render_with_labels(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'dir="rtl"' in html and "<label" in html and 'for="id_' in html
    assert "is-invalid" not in html  # a GET shows an unbound form


def test_code_pages_without_a_pending_code_redirect(client):
    assert client.get(reverse("subscribers:verify")).status_code == 302
    assert client.get(reverse("subscribers:password-reset-confirm")).status_code == 302


def test_header_account_area(client):
    anonymous = client.get("/").content.decode()
    assert "ورود / ثبت‌نام" in anonymous and "ورود کارکنان" not in anonymous
    user = UserFactory(first_name="مریم", last_name="کاظمی")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "مریم کاظمی" in html and "حساب من" in html
    assert f'action="{reverse("subscribers:logout")}"' in html


def test_account_page_requires_login(client):
    response = client.get(reverse("subscribers:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("subscribers:login"))


def test_account_page_natural_shows_masked_code_within_query_budget(
    client, django_assert_max_num_queries
):
    profile = NaturalProfileFactory()
    client.force_login(profile.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("subscribers:account"))
    html = response.content.decode()
    assert response.status_code == 200
    assert profile.user.national_code not in html
    assert "***" in html
    assert 'name="new_mobile"' in html


def test_account_page_legal(client, django_assert_max_num_queries):
    profile = LegalProfileFactory()
    client.force_login(profile.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("subscribers:account"))
    assert profile.company_name in response.content.decode()


def admin_client(**kwargs) -> Client:
    client = Client()
    client.force_login(StaffFactory(is_superuser=True, **kwargs))
    session = client.session
    session[STAFF_SECOND_FACTOR_SESSION_KEY] = True
    session.save()
    return client


def test_user_admin_masks_codes_and_hides_password_hash():
    profile = NaturalProfileFactory()
    client = admin_client()
    listing = client.get("/admin/subscribers/user/").content.decode()
    assert profile.user.national_code not in listing
    change = client.get(f"/admin/subscribers/user/{profile.user.pk}/change/").content.decode()
    assert profile.user.password not in change
    assert "pbkdf2" not in change and "md5$" not in change
    assert "مشخصات شخص حقیقی" in change
    assert client.get("/admin/subscribers/user/?q=" + profile.user.last_name).status_code == 200


def test_user_admin_disable_action():
    user = UserFactory()
    client = admin_client()
    response = client.post(
        "/admin/subscribers/user/",
        {"action": "disable_accounts", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=user.pk).is_active
