"""Call-detail search (selector): the filter (Jalali/ISO dates, Persian digits, call types,
one other number, bounded range), lease-bounded visibility, local calls never listed nor
counted, keyset pagination stable under inserts, and tampered cursors.

Helpers here (``owner_line``, ``tenant_line``, ``at``…) are shared by the other
``test_calls_*`` modules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing

from portal.errors import NotFound, PortalError
from telecom.models import CallType
from telecom.selectors.calls import (
    CURSOR_SALT,
    PAGE_SIZE,
    CallFilter,
    call_filter_parse,
    call_window,
    calls_page,
    calls_totals,
)
from telecom.selectors.lines import TEHRAN, line_access_for
from tests.factories import UserFactory
from tests.telecom.factories import PhoneLineFactory, activated_link, call_records_create

pytestmark = pytest.mark.django_db

# Azar 1403 = 2024-11-21 .. 2024-12-20 (Tehran days).
AZAR_FIRST, AZAR_LAST = dt.date(2024, 11, 21), dt.date(2024, 12, 20)
AZAR = CallFilter(date_from=AZAR_FIRST, date_to=AZAR_LAST)
AZAR_QUERY = {"from": "۱۴۰۳/۰۹/۰۱", "to": "۱۴۰۳/۰۹/۳۰"}


def at(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TEHRAN)


def owner_line(user=None):
    line = PhoneLineFactory()
    link = activated_link(line=line, user=user)
    return link.user, line


def tenant_line(*, lease_start: dt.date, lease_end: dt.date, line=None):
    line = line or PhoneLineFactory()
    link = activated_link(line=line, role="tenant", lease_start=lease_start, lease_end=lease_end)
    return link.user, line


def calls(line, *moments, call_type=CallType.MOBILE, other="09121234567", **extra):
    return call_records_create(
        [
            {"line": line, "started_at": m, "call_type": call_type, "other_number": other, **extra}
            for m in moments
        ]
    )


def every_page(access, flt, *, page_size=PAGE_SIZE, between=None):
    """Walk forward through every page; ``between(n)`` runs after page ``n``."""
    seen, cursor, n = [], "", 0
    while True:
        page = calls_page(access=access, flt=flt, cursor=cursor, page_size=page_size)
        seen.extend(page.rows)
        n += 1
        if between:
            between(n)
        if not page.next_cursor:
            return seen, n
        cursor = page.next_cursor


# --- the filter ------------------------------------------------------------------------------


def test_jalali_dates_with_persian_digits_and_iso_dates_parse_the_same():
    persian = call_filter_parse({"from": "۱۴۰۳/۰۹/۰۱", "to": "١٤٠٣-٠٩-٣٠"})
    iso = call_filter_parse({"from": "2024-11-21", "to": "2024-12-20"})
    assert persian == iso == AZAR


def test_defaults_to_the_current_jalali_month_up_to_today():
    today = dt.date(2024, 12, 3)  # 13 Azar 1403
    assert call_filter_parse({}, today=today) == CallFilter(date_from=AZAR_FIRST, date_to=today)
    only_to = call_filter_parse({"to": "1403/08/10"}, today=today)
    assert (only_to.date_from, only_to.date_to) == (dt.date(2024, 10, 22), dt.date(2024, 10, 31))


def test_call_types_repeated_or_comma_separated_and_all_means_no_restriction():
    qd_like = {"call_type": ["mobile,international", "mobile"]}
    assert call_filter_parse({**AZAR_QUERY, **qd_like}).call_types == ("mobile", "international")
    every = {"call_type": "intercity,mobile,international,smart"}
    assert call_filter_parse({**AZAR_QUERY, **every}).call_types == ()


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"from": "1403/13/01"}, "from", "«از تاریخ»"),
        ({"from": "دیروز"}, "from", "«از تاریخ»"),
        ({"to": "9999-12-31"}, "to", "«تا تاریخ»"),
        ({"from": "1403/09/10", "to": "1403/09/01"}, "to", "نباید پیش از"),
        ({"from": "1402/09/01", "to": "1403/09/01"}, "to", "حداکثر ۱۲ ماه"),
        ({"call_type": "local"}, "call_type", "مکالمات شهری"),
        ({"call_type": "fax"}, "call_type", "«نوع مکالمه» معتبر نیست"),
        ({"other_number": "12"}, "other_number", "«شماره طرف مقابل»"),
        ({"other_number": "0912abc4567"}, "other_number", "«شماره طرف مقابل»"),
    ],
)
def test_bad_input_names_the_field_in_persian(query, field, words):
    with pytest.raises(PortalError) as exc:
        call_filter_parse(query, today=dt.date(2024, 12, 3))
    assert exc.value.status_code == 400
    assert words in exc.value.fields[field][0]


def test_twelve_months_is_the_longest_range():
    flt = call_filter_parse({"from": "1402/09/01", "to": "1403/08/30"})
    assert (flt.date_from, flt.date_to) == (dt.date(2023, 11, 22), AZAR_FIRST - dt.timedelta(1))


def test_other_number_is_normalised_like_stored_numbers():
    for typed in ("۰۹۱۲-۱۲۳ ۴۵۶۷", "+98 912 123 4567", "00989121234567"):
        assert call_filter_parse({"other_number": typed}).other_number == "09121234567"


# --- visibility ------------------------------------------------------------------------------


def test_owner_sees_listed_calls_newest_first_and_never_a_local_call():
    user, line = owner_line()
    mobile = calls(line, at(AZAR_FIRST, 9), at(AZAR_LAST, 23, 59, 59))
    calls(line, at(AZAR_FIRST, 10), call_type=CallType.LOCAL, cost_rial=999_999)
    intl = calls(line, at(dt.date(2024, 12, 1)), call_type=CallType.INTERNATIONAL, other="0044201")
    calls(line, at(AZAR_FIRST - dt.timedelta(1), 23, 59, 59), at(AZAR_LAST + dt.timedelta(1), 0))
    access = line_access_for(user=user, number=line.number)

    page = calls_page(access=access, flt=AZAR, with_totals=True)

    assert [c.pk for c in page.rows] == [mobile[1].pk, intl[0].pk, mobile[0].pk]
    assert page.totals.count == 3
    assert page.totals.cost_rial == 3_000 and page.totals.duration_s == 180
    only_local = CallFilter(date_from=AZAR_FIRST, date_to=AZAR_LAST, call_types=("local",))
    assert calls_page(access=access, flt=only_local).rows == []  # even if a caller asks


def test_filters_by_type_and_by_number_and_both():
    user, line = owner_line()
    a = calls(line, at(AZAR_FIRST, 8), other="09120000001")
    b = calls(line, at(AZAR_FIRST, 9), other="09120000002")
    c = calls(line, at(AZAR_FIRST, 10), call_type=CallType.INTERCITY, other="02188887777")
    d = calls(line, at(AZAR_FIRST, 11), call_type=CallType.INTERCITY, other="09120000001")
    access = line_access_for(user=user, number=line.number)

    def pks(**query):
        flt = call_filter_parse({**AZAR_QUERY, **query})
        return [r.pk for r in calls_page(access=access, flt=flt).rows]

    assert pks(call_type="intercity") == [d[0].pk, c[0].pk]
    assert pks(other_number="۰۹۱۲۰۰۰۰۰۰۱") == [d[0].pk, a[0].pk]
    assert pks(call_type="mobile", other_number="09120000001") == [a[0].pk]
    assert pks() == [d[0].pk, c[0].pk, b[0].pk, a[0].pk]


def test_tenant_sees_only_the_lease_period():
    lease_start = dt.date(2024, 11, 25)
    lease_end = dt.date.today() + dt.timedelta(days=200)
    owner, line = owner_line()
    tenant, _line = tenant_line(lease_start=lease_start, lease_end=lease_end, line=line)
    before = calls(line, at(lease_start - dt.timedelta(1), 23, 59, 59))
    inside = calls(line, at(lease_start, 0, 0, 0), at(lease_end, 23, 59, 59))
    after = calls(line, at(lease_end + dt.timedelta(1), 0, 0, 0))
    wide = CallFilter(
        date_from=lease_start - dt.timedelta(days=30), date_to=lease_end + dt.timedelta(days=5)
    )
    # The whole lease does not fit one search: look at its two ends.
    start_side = CallFilter(date_from=wide.date_from, date_to=lease_start + dt.timedelta(10))
    end_side = CallFilter(date_from=lease_end - dt.timedelta(10), date_to=wide.date_to)

    access = line_access_for(user=tenant, number=line.number)
    seen = [r.pk for flt in (start_side, end_side) for r in calls_page(access=access, flt=flt).rows]
    assert seen == [inside[0].pk, inside[1].pk]
    window = call_window(access=access, flt=start_side)
    assert window.clipped and window.first_day == lease_start
    assert calls_totals(access=access, window=window, flt=start_side).count == 1

    owner_access = line_access_for(user=owner, number=line.number)
    owner_seen = {
        r.pk
        for flt in (start_side, end_side)
        for r in calls_page(access=owner_access, flt=flt).rows
    }
    assert owner_seen == {before[0].pk, inside[0].pk, inside[1].pk, after[0].pk}


def test_tenant_searching_outside_the_lease_gets_nothing_without_a_query(
    django_assert_num_queries,
):
    tenant, line = tenant_line(
        lease_start=dt.date(2024, 12, 10), lease_end=dt.date.today() + dt.timedelta(200)
    )
    calls(line, at(dt.date(2024, 12, 1)))
    access = line_access_for(user=tenant, number=line.number)
    before = CallFilter(date_from=AZAR_FIRST, date_to=dt.date(2024, 12, 9))
    with django_assert_num_queries(0):
        page = calls_page(access=access, flt=before, with_totals=True)
    assert page.window.empty and page.rows == [] and page.totals.count == 0


def test_a_tenant_whose_lease_ended_has_no_access():
    tenant, line = tenant_line(
        lease_start=dt.date(2024, 1, 1), lease_end=dt.date.today() - dt.timedelta(days=1)
    )
    with pytest.raises(NotFound):
        line_access_for(user=tenant, number=line.number)


# --- keyset pagination -----------------------------------------------------------------------


def test_pages_walk_every_call_once_newest_first():
    user, line = owner_line()
    made = calls(
        line, *[at(AZAR_FIRST + dt.timedelta(days=i % 29), i % 24, i % 60) for i in range(23)]
    )
    # Same second, different ids: the id breaks the tie.
    made += calls(line, *[at(AZAR_FIRST, 7)] * 4)
    access = line_access_for(user=user, number=line.number)

    seen, pages = every_page(access, AZAR, page_size=5)

    expected = sorted(made, key=lambda c: (c.started_at, c.pk), reverse=True)
    assert [c.pk for c in seen] == [c.pk for c in expected]
    assert pages == 6


def test_pagination_is_stable_under_inserts_between_pages():
    user, line = owner_line()
    original = calls(
        line, *[at(dt.date(2024, 12, 1) + dt.timedelta(days=i % 10), i % 24) for i in range(30)]
    )
    access = line_access_for(user=user, number=line.number)
    inserted = []

    def insert(n):
        # A newer call (top of page 1), an older one (past the end) and one with the very
        # time of a call already shown: none may duplicate or hide an original call.
        inserted.extend(calls(line, at(AZAR_LAST, 23, 30), at(AZAR_FIRST, 0, n)))
        inserted.extend(calls(line, seen_times.pop(0)))

    seen_times = [c.started_at for c in sorted(original, key=lambda c: c.started_at, reverse=True)]
    seen, _pages = every_page(access, AZAR, page_size=7, between=insert)

    pks = [c.pk for c in seen]
    assert len(pks) == len(set(pks)), "a call was listed twice"
    assert {c.pk for c in original} <= set(pks), "a call was skipped"
    assert sorted(seen, key=lambda c: (c.started_at, c.pk), reverse=True) == seen


def test_previous_walks_back_to_the_same_pages():
    user, line = owner_line()
    calls(line, *[at(AZAR_FIRST + dt.timedelta(days=i), 10) for i in range(12)])
    access = line_access_for(user=user, number=line.number)
    first = calls_page(access=access, flt=AZAR, page_size=5)
    second = calls_page(access=access, flt=AZAR, cursor=first.next_cursor, page_size=5)
    third = calls_page(access=access, flt=AZAR, cursor=second.next_cursor, page_size=5)
    assert first.previous_cursor is None and len(third.rows) == 2 and third.next_cursor is None

    back = calls_page(access=access, flt=AZAR, cursor=third.previous_cursor, page_size=5)
    assert [c.pk for c in back.rows] == [c.pk for c in second.rows]
    home = calls_page(access=access, flt=AZAR, cursor=back.previous_cursor, page_size=5)
    assert [c.pk for c in home.rows] == [c.pk for c in first.rows]
    assert home.previous_cursor is None and home.next_cursor


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-2] + ("A" if c[-2] != "A" else "B") + c[-1],  # signature
        lambda c: "x" + c,
        lambda c: signing.dumps(["not", "a", "cursor"], salt=CURSOR_SALT),
        lambda c: signing.dumps([1, "2024-12-01T00:00:00", 5, "n"], salt=CURSOR_SALT),  # naive
        lambda c: "",  # empty = first page, not an error
    ],
)
def test_tampered_cursor_is_a_clear_400(mangle):
    user, line = owner_line()
    calls(line, *[at(AZAR_FIRST + dt.timedelta(days=i), 10) for i in range(3)])
    access = line_access_for(user=user, number=line.number)
    cursor = calls_page(access=access, flt=AZAR, page_size=1).next_cursor
    bad = mangle(cursor)
    if not bad:
        assert calls_page(access=access, flt=AZAR, cursor=bad).first_page
        return
    with pytest.raises(PortalError) as exc:
        calls_page(access=access, flt=AZAR, cursor=bad)
    assert exc.value.status_code == 400 and exc.value.code == "invalid_cursor"
    assert "«صفحه»" in exc.value.fields["cursor"][0]


def test_a_cursor_of_another_line_is_refused():
    user, line = owner_line()
    _other_user, other_line = owner_line(user)
    calls(line, *[at(AZAR_FIRST + dt.timedelta(days=i), 10) for i in range(3)])
    cursor = calls_page(
        access=line_access_for(user=user, number=line.number), flt=AZAR, page_size=1
    ).next_cursor
    with pytest.raises(PortalError):
        calls_page(
            access=line_access_for(user=user, number=other_line.number), flt=AZAR, cursor=cursor
        )


def test_a_line_of_another_subscriber_is_not_found():
    _user, line = owner_line()
    with pytest.raises(NotFound):
        line_access_for(user=UserFactory(), number=line.number)


def test_line_access_is_one_query_with_line_link_and_activation(django_assert_num_queries):
    user, line = owner_line()
    with django_assert_num_queries(1):
        access = line_access_for(user=user, number=line.number)
    with django_assert_num_queries(0):
        assert access.line.pk == line.pk
        assert access.link.line_activation.pk == access.activation.pk
        assert access.line.subscription.bill_id
        assert access.is_owner


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2024, 11, 21, 0, 0, 0, tzinfo=TEHRAN),
        dt.datetime(2024, 11, 20, 20, 29, 59, tzinfo=dt.UTC),  # 23:59:59 Tehran, previous day
        dt.datetime(2024, 3, 19, 20, 30, 1, tzinfo=dt.UTC),  # Nowruz 1403, 00:00:01 Tehran
        dt.datetime(2021, 6, 1, 19, 45, 7, tzinfo=dt.UTC),  # Iran still had summer time
        dt.datetime(2025, 3, 20, 12, 0, 0, tzinfo=dt.UTC),
    ],
)
def test_cached_jalali_text_is_the_same_as_portal_jalali(moment):
    from portal.jalali import to_jalali
    from telecom.selectors.calls import jalali_date_time

    expected = to_jalali(moment).strftime("%Y/%m/%d %H:%M:%S")
    assert " ".join(jalali_date_time(moment)) == expected
    assert " ".join(jalali_date_time(moment)) == expected  # the cached day again


def test_page_rows_are_tuples_of_the_listed_fields():
    user, line = owner_line()
    made = calls(line, at(AZAR_FIRST, 9), duration_s=61, cost_rial=700)
    page = calls_page(access=line_access_for(user=user, number=line.number), flt=AZAR)
    row = page.rows[0]
    assert (row.pk, row.id) == (made[0].pk, made[0].pk)
    assert (row.other_number, row.call_type, row.duration_s, row.cost_rial) == (
        "09121234567",
        "mobile",
        61,
        700,
    )
    assert row.started_at == made[0].started_at
    with_totals = calls_page(
        access=line_access_for(user=user, number=line.number), flt=AZAR, with_totals=True
    )
    assert with_totals.rows == page.rows and with_totals.totals.count == 1
