"""Jalali (Solar Hijri) formatting helpers shared by templates, API and SMS texts."""

from __future__ import annotations

import datetime as dt

import jdatetime
from django.utils import timezone

from portal.digits import to_persian_digits

JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)


def to_jalali(value: dt.date | dt.datetime | None) -> jdatetime.date | jdatetime.datetime | None:
    """Convert a Gregorian date or aware datetime to Jalali, in Asia/Tehran local time."""
    if value is None:
        return None
    if isinstance(value, (jdatetime.date, jdatetime.datetime)):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return jdatetime.datetime.fromgregorian(datetime=value)
    return jdatetime.date.fromgregorian(date=value)


def jalali_iso(value: dt.date | dt.datetime | None) -> str | None:
    """Machine-readable Jalali companion for API fields: ``1403/05/12`` or ``1403/05/12 14:30``."""
    j = to_jalali(value)
    if j is None:
        return None
    if isinstance(j, jdatetime.datetime):
        return j.strftime("%Y/%m/%d %H:%M")
    return j.strftime("%Y/%m/%d")


def jalali_display(value: dt.date | dt.datetime | None, *, with_time: bool = True) -> str:
    """Human Jalali text in Persian digits, e.g. ``۱۲ مرداد ۱۴۰۳، ۱۴:۳۰``."""
    j = to_jalali(value)
    if j is None:
        return ""
    text = f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}"
    if with_time and isinstance(j, jdatetime.datetime):
        text += f"، {j.hour:02d}:{j.minute:02d}"
    return to_persian_digits(text)
