"""Persian presentation filters: digits, Jalali dates, rial amounts."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.template import Context, Template

from portal.jalali import jalali_iso


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_fa_digits():
    assert render("{{ v|fa_digits }}", v=1403) == "۱۴۰۳"
    assert render("{{ v|fa_digits }}", v=None) == ""


def test_rial_groups_thousands_in_persian():
    assert render("{{ v|rial }}", v=109000) == "۱۰۹٬۰۰۰"
    assert render("{{ v|rial }}", v=8800000) == "۸٬۸۰۰٬۰۰۰"


def test_jdate_and_jdatetime_use_tehran_time():
    # 2024-08-02 20:45 UTC is 00:15 on 13 Mordad 1403 in Tehran (UTC+3:30).
    moment = dt.datetime(2024, 8, 2, 20, 45, tzinfo=dt.UTC)
    assert render("{{ v|jdatetime }}", v=moment) == "۱۳ مرداد ۱۴۰۳، ۰۰:۱۵"
    assert render("{{ v|jdate }}", v=dt.date(2024, 8, 2)) == "۱۲ مرداد ۱۴۰۳"


def test_jalali_iso_companion():
    moment = dt.datetime(2024, 8, 2, 10, 0, tzinfo=ZoneInfo("Asia/Tehran"))
    assert jalali_iso(moment) == "1403/05/12 10:00"
    assert jalali_iso(dt.date(2025, 3, 21)) == "1404/01/01"
    assert jalali_iso(None) is None


def test_parse_jalali_date_accepts_persian_digits_separators_and_iso():
    import pytest

    from portal.jalali import parse_jalali_date

    assert parse_jalali_date("۱۴۰۳/۰۵/۱۲") == dt.date(2024, 8, 2)
    assert parse_jalali_date("1403-5-12") == dt.date(2024, 8, 2)
    assert parse_jalali_date("2024-08-02") == dt.date(2024, 8, 2)
    for bad in ("1403/13/01", "1403/12/31x", "", "12/05/1403"):
        with pytest.raises(ValueError):
            parse_jalali_date(bad)
