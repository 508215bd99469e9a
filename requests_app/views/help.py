"""Public pages: help (FAQ, phone book, service area) and the service catalog.

All pages are anonymous, read-only GETs; every list is a constant number of queries.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from requests_app import selectors
from requests_app.models import ServiceCard
from subscribers.selectors import reference as subscriber_selectors

Section = ServiceCard.Section

# A short explanation at the top of each menu section (what it offers and how to start).
SECTION_INTROS: dict[str, str] = {
    Section.BILLS: (
        "با شناسه قبض، سوابق مصرف و پرداخت دوره‌های گذشته را ببینید و قبض کامل آخرین دوره را "
        "چاپ یا پرداخت کنید. شناسه قبض و شناسه پرداخت فقط روی قبض آخرین دوره درج می‌شود."
    ),
    Section.AFTER_SALES: (
        "تغییر نام، تسویه حساب میان مالک و مستأجر، ثبت کارکرد (خوداظهاری)، تست کنتور و دیگر "
        "خدمات مشترکین فعلی را بدون مراجعه حضوری درخواست دهید و مراحل آن را پیگیری کنید."
    ),
    Section.CONNECTION: (
        "درخواست انشعاب جدید برق یا گاز را ثبت کنید. برای مجتمع‌ها و ساختمان‌های چندطبقه یک "
        "درخواست کافی است و تعداد انشعاب‌ها را در همان درخواست وارد می‌کنید."
    ),
    Section.TRACKING: (
        "مراحل درخواست خود را پیگیری کنید: برای درخواست انشعاب شماره درخواست، و برای خدمات "
        "پس از فروش شماره درخواست به‌همراه شماره اشتراک لازم است."
    ),
    Section.OUTAGES: (
        "قطع برق را اعلام کنید و کد رهگیری بگیرید؛ اگر محل شما در خاموشی برنامه‌ریزی‌شده نباشد، "
        "گروه‌های عملیات برای رفع آن اعزام می‌شوند. تلفن اعلام خاموشی: ۱۲۱."
    ),
    Section.TELECOM: (
        "ریزمکالمات، بستن و باز کردن صفر دوم، سرویس‌های ویژه و اعلام خرابی تلفن ثابت. خدمات "
        "اینترنتی تلفن ثابت پس از یک بار احراز هویت حضوری در مرکز تلفن فعال می‌شود."
    ),
}


def _help_crumbs() -> list[tuple[str, str]]:
    return [("راهنما", reverse("requests_app:help"))]


def _catalog_crumbs() -> list[tuple[str, str]]:
    return [("شناسنامه خدمات", reverse("requests_app:catalog"))]


@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    return render(request, "requests_app/help.html")


@require_GET
def faq(request: HttpRequest) -> HttpResponse:
    groups = selectors.faq_published_grouped()
    return render(request, "requests_app/faq.html", {"groups": groups, "crumbs": _help_crumbs()})


@require_GET
def phonebook(request: HttpRequest) -> HttpResponse:
    offices = subscriber_selectors.office_phone_book()
    return render(
        request, "requests_app/phonebook.html", {"offices": offices, "crumbs": _help_crumbs()}
    )


@require_GET
def service_area(request: HttpRequest) -> HttpResponse:
    companies = subscriber_selectors.company_service_areas()
    return render(
        request,
        "requests_app/service_area.html",
        {"companies": companies, "crumbs": _help_crumbs()},
    )


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    groups = selectors.service_cards_by_section()
    return render(request, "requests_app/catalog.html", {"groups": groups})


@require_GET
def section(request: HttpRequest, key: str) -> HttpResponse:
    if key not in Section.values:
        raise Http404
    context = {
        "section_key": key,
        "section_title": Section(key).label,
        "section_intro": SECTION_INTROS[key],
        "cards": selectors.service_cards_published(section=key),
    }
    return render(request, "requests_app/section.html", context)


@require_GET
def service_card(request: HttpRequest, slug: str) -> HttpResponse:
    card = selectors.service_card_get_published(slug=slug)
    section_url = reverse(f"requests_app:section-{card.section}")
    context = {
        "card": card,
        "companies": selectors.service_card_companies(card=card),
        # The request types this card describes: the card page is where a citizen files them.
        "request_types": [t for t in card.request_types.all() if t.is_active],
        "crumbs": [*_catalog_crumbs(), (card.get_section_display(), section_url)],
    }
    return render(request, "requests_app/service_card.html", context)
