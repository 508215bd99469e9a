"""Jalali (Solar Hijri) formatting helpers shared by templates, API and SMS texts."""

from __future__ import annotations

import datetime as dt
import re

import jdatetime
from django.utils import timezone

from portal.digits import normalize_digits, to_persian_digits

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


_DATE_RE = re.compile(r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})$")


def parse_jalali_date(value: str) -> dt.date:
    """``1405/06/31`` (Persian or ASCII digits; ``/``, ``-`` or ``.``) → Gregorian ``date``.

    A year above 1700 is read as Gregorian, so API clients may send ISO dates
    (``2026-09-22``) to the same field. ``ValueError`` when it is not a real date.
    """
    match = _DATE_RE.fullmatch(normalize_digits(str(value or "")).strip())
    if not match:
        raise ValueError("format")
    year, month, day = (int(part) for part in match.groups())
    if year > 1700:
        return dt.date(year, month, day)
    return jdatetime.date(year, month, day).togregorian()
