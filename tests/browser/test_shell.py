"""The home page in a real browser: right to left, Persian, Vazirmatn actually rendered,
usable at 360 px, reachable by keyboard."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", verbosity=0)
    return live_server


def _fonts_in_use(page) -> list[str]:
    return page.evaluate(
        """async () => {
            await document.fonts.ready;
            return [...document.fonts]
                .filter(f => f.status === 'loaded')
                .map(f => f.family.replace(/["']/g, ''));
        }"""
    )


def test_home_page_rtl_persian_vazirmatn(page, demo, artifacts):
    fonts_requested = []
    page.on(
        "requestfinished",
        lambda r: fonts_requested.append(r.url) if r.url.endswith(".woff2") else None,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo.url + "/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert "سامانه خدمات غیرحضوری" in page.title()
    nav = page.get_by_role("navigation", name="منوی خدمات")
    for item in ("صورتحساب‌ها", "خاموشی", "خدمات تلفن ثابت", "راهنما"):
        assert nav.get_by_role("link", name=item).is_visible()
    assert "Vazirmatn" in _fonts_in_use(page)
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Vazirmatn")
    assert any("Vazirmatn" in url for url in fonts_requested)
    # Only our own server was contacted.
    assert all(url.startswith(demo.url) for url in fonts_requested)
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)


def test_home_page_at_360px_has_no_horizontal_scroll(page, demo, artifacts):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(demo.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    toggler = page.get_by_role("button", name="نمایش منوی خدمات")
    assert toggler.is_visible()
    toggler.click()
    page.locator("#main-menu.show:not(.collapsing)").wait_for(state="visible")
    page.get_by_role("link", name="راهنما").wait_for(state="visible")
    page.screenshot(path=str(artifacts / "home-360.png"), full_page=True)


def test_keyboard_reaches_skip_link_first(page, demo):
    page.goto(demo.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "پرش به محتوای اصلی"
