"""The Persian RTL shell: home page, menu, and Persian error pages."""

import pytest

pytestmark = pytest.mark.django_db

MENU = [
    "صورتحساب‌ها",
    "خدمات پس از فروش",
    "درخواست انشعاب",
    "پیگیری سوابق",
    "خاموشی",
    "خدمات تلفن ثابت",
    "راهنما",
]


def test_home_is_persian_rtl_with_the_service_menu(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
    assert "Vazirmatn-font-face.css" in html
    assert "htmx.min.js" in html
    for item in MENU:
        assert item in html, item
    assert "//cdn" not in html and "https://" not in html


def test_menu_links_resolve(client):
    html = client.get("/").content.decode()
    import re

    nav = html[html.index('id="main-menu"') :]
    hrefs = re.findall(r'class="nav-link[^"]*" href="([^"]+)"', nav)
    assert len(hrefs) == len(MENU)
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_404_is_persian(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "صفحه پیدا نشد" in html
    assert 'dir="rtl"' in html


@pytest.mark.urls("tests.portal.echo_urls")
def test_500_is_persian_and_self_contained(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "خطایی در سامانه رخ داد" in html
    assert 'dir="rtl"' in html


def test_403_page_is_persian(rf):
    from portal.views import permission_denied

    response = permission_denied(rf.get("/"))
    assert response.status_code == 403
    assert "دسترسی مجاز نیست" in response.content.decode()


def test_healthz_is_json_without_queries(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.json() == {"status": "ok"}
