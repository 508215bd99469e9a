"""Template filters for Persian presentation: digits, Jalali dates and rial amounts.

Installed as a template builtin (settings.TEMPLATES), so no ``{% load %}`` is needed.
"""

from __future__ import annotations

from django import template

from portal.digits import to_persian_digits
from portal.jalali import jalali_display

register = template.Library()


@register.filter(name="fa_digits")
def fa_digits(value) -> str:
    """``{{ 1403|fa_digits }}`` → ``۱۴۰۳``."""
    if value is None:
        return ""
    return to_persian_digits(value)


@register.filter(name="jdate")
def jdate(value) -> str:
    """A date in Jalali with Persian digits: ``۱۲ مرداد ۱۴۰۳``."""
    return jalali_display(value, with_time=False)


@register.filter(name="jdatetime")
def jdatetime_filter(value) -> str:
    """A datetime in Tehran time, Jalali, Persian digits: ``۱۲ مرداد ۱۴۰۳، ۱۴:۳۰``."""
    return jalali_display(value, with_time=True)


@register.filter(name="rial")
def rial(value) -> str:
    """An amount in rials grouped by thousands with the Persian separator: ``۱۰۹٬۰۰۰``."""
    if value in (None, ""):
        return ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return to_persian_digits(value)
    return to_persian_digits(f"{number:,}".replace(",", "٬"))


@register.simple_tag(name="now_jalali")
def now_jalali() -> str:
    """Today's date in Jalali with Persian digits."""
    from django.utils import timezone

    return jalali_display(timezone.now(), with_time=False)
