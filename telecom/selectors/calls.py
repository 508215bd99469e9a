"""Call-detail search (seed 002 «جست‌وجوی پیشرفته»): a line's calls by call type and/or by one
other number within a date range, newest first, 50 a page, with the totals of the filter.

Who sees which calls is decided once, by ``telecom.selectors.lines.line_access_for``; this
module only narrows further. The window searched is the requested Jalali days
``[from 00:00, to+1 00:00)`` Asia/Tehran clipped to the access window, so a tenant never sees a
call before the lease start or after the lease end. Local (same-city) calls are stored but
never listed nor counted (``LISTED_CALL_TYPES``).

Scale: the table holds tens of millions of rows, partitioned by month on PostgreSQL. Every
query here is restricted to one line and a bounded window (at most ``MAX_RANGE_MONTHS``), so it
prunes partitions at plan time and walks the ``callrecord_line_started`` (line_id, started_at,
id) index. Pages use a keyset on (started_at, id) carried by a signed cursor — page N costs what
page 1 does, no OFFSET, no COUNT over the table — and stay stable when calls are inserted
between two requests (an insert can never shift a row into or out of a page already passed).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import jdatetime
from django.core import signing
from django.db import connections, router
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import PortalError
from portal.jalali import jalali_display, parse_jalali_date
from portal.prepared import PreparedStatement, statement_prepare
from telecom.models import LISTED_CALL_TYPES, CallRecord, CallType
from telecom.selectors.lines import TEHRAN, LineAccess, normalize_number

PAGE_SIZE = 50
MAX_RANGE_MONTHS = 12
# Dates outside these years are typos (۱۳۰۳ for ۱۴۰۳), and bound every date arithmetic below.
MIN_YEAR, MAX_YEAR = 1990, 2100
OTHER_NUMBER_MIN, OTHER_NUMBER_MAX = 3, 20
CURSOR_SALT = "telecom.calls.cursor"

# Query parameter names, shared by the page, its export links and the API.
P_FROM, P_TO, P_TYPE, P_NUMBER, P_CURSOR = "from", "to", "call_type", "other_number", "cursor"
LABELS = {
    P_FROM: "از تاریخ",
    P_TO: "تا تاریخ",
    P_TYPE: "نوع مکالمه",
    P_NUMBER: "شماره طرف مقابل",
    P_CURSOR: "صفحه",
}
LISTED_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (str(t.value), str(t.label)) for t in LISTED_CALL_TYPES
)
_LISTED_VALUES = tuple(value for value, _label in LISTED_CHOICES)


# --- Jalali calendar arithmetic ------------------------------------------------------------


def _jalali(day: dt.date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=day)


# The calendar arithmetic below is pure and runs on every search for the same few days: cached.
@functools.lru_cache(maxsize=4096)
def jalali_month_start(day: dt.date) -> dt.date:
    j = _jalali(day)
    return jdatetime.date(j.year, j.month, 1).togregorian()


def _days_in_jalali_month(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


@functools.lru_cache(maxsize=4096)
def add_jalali_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole Jalali months, the day of month clipped (۳۱ شهریور + 1 → ۳۰ مهر)."""
    j = _jalali(day)
    years, month0 = divmod(j.month - 1 + months, 12)
    year, month = j.year + years, month0 + 1
    return jdatetime.date(year, month, min(j.day, _days_in_jalali_month(year, month))).togregorian()


def _fa_date(day: dt.date) -> str:
    return to_persian_digits(_jalali(day).strftime("%Y/%m/%d"))


@functools.lru_cache(maxsize=4096)
def jalali_day_text(day: dt.date) -> str:
    """``day`` as Jalali ``1403/09/12`` (ASCII digits), cached per day."""
    return _jalali(day).strftime("%Y/%m/%d")


def jalali_date_time(moment: dt.datetime) -> tuple[str, str]:
    """An aware moment as Asia/Tehran Jalali ``("1403/09/12", "14:30:05")``, ASCII digits.

    The same text as ``portal.jalali.to_jalali(moment).strftime(…)``; the calendar conversion
    is cached per day (a page of 50 calls spans a day or two), the time is plain arithmetic.
    """
    local = moment.astimezone(TEHRAN)
    time = f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    return jalali_day_text(local.date()), time


# --- the filter ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFilter:
    """What the user asked for: Asia/Tehran days ``date_from``..``date_to`` (inclusive), call
    types (all listed types when empty) and one other number ('' for any)."""

    date_from: dt.date
    date_to: dt.date
    call_types: tuple[str, ...] = ()
    other_number: str = ""

    @property
    def types(self) -> tuple[str, ...]:
        return self.call_types or _LISTED_VALUES

    def query(self) -> dict[str, str | list[str]]:
        """The filter as query parameters (Jalali dates), for links that must keep it."""
        params: dict[str, str | list[str]] = {
            P_FROM: jalali_day_text(self.date_from),
            P_TO: jalali_day_text(self.date_to),
        }
        if self.call_types:
            params[P_TYPE] = list(self.call_types)
        if self.other_number:
            params[P_NUMBER] = self.other_number
        return params

    def audit(self) -> dict:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "call_types": list(self.call_types),
            "other_number": self.other_number,
        }


def _values(params: Mapping, key: str) -> list[str]:
    if hasattr(params, "getlist"):
        raw = params.getlist(key)
    else:
        value = params.get(key)
        raw = value if isinstance(value, list | tuple) else ([] if value is None else [value])
    return [str(v) for v in raw]


def _text(params: Mapping, key: str) -> str:
    values = _values(params, key)
    return normalize_digits(values[-1]).strip() if values else ""


def _date(text: str, key: str, errors: dict[str, list[str]]) -> dt.date | None:
    if not text:
        return None
    label = LABELS[key]
    try:
        day = parse_jalali_date(text)
    except (ValueError, OverflowError):
        errors[key] = [
            f"«{label}» را به شکل سال/ماه/روز شمسی وارد کنید، مانند ۱۴۰۳/۰۹/۰۱ "
            "(در API تاریخ میلادی ۲۰۲۴-۱۱-۲۱ هم پذیرفته می‌شود)."
        ]
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        errors[key] = [f"«{label}» در بازه پذیرفتنی نیست؛ سال را بررسی کنید."]
        return None
    return day


def _call_types(params: Mapping, errors: dict[str, list[str]]) -> tuple[str, ...]:
    # Repeated parameters (?call_type=a&call_type=b, the form's checkboxes) or one
    # comma-separated value (?call_type=a,b, handier in API clients).
    chosen: list[str] = []
    for value in _values(params, P_TYPE):
        for part in value.split(","):
            part = part.strip()
            if part and part not in chosen:
                chosen.append(part)
    if CallType.LOCAL in chosen:
        errors[P_TYPE] = [
            "«نوع مکالمه»: مکالمات شهری در ریزمکالمات فهرست نمی‌شود؛ "
            "بین‌شهری، تلفن همراه، بین‌الملل یا سرویس هوشمند را انتخاب کنید."
        ]
        return ()
    unknown = [c for c in chosen if c not in _LISTED_VALUES]
    if unknown:
        allowed = "، ".join(f"{label} ({value})" for value, label in LISTED_CHOICES)
        errors[P_TYPE] = [f"«نوع مکالمه» معتبر نیست؛ یکی از این‌ها را انتخاب کنید: {allowed}."]
        return ()
    # Canonical order, and «all of them» spelled as no restriction.
    types = tuple(v for v in _LISTED_VALUES if v in chosen)
    return () if len(types) == len(_LISTED_VALUES) else types


def normalize_other_number(value: str) -> str:
    """The other party as stored: digits only, an Iranian +98/0098 prefix written as 0."""
    digits = normalize_number(value)
    if digits.startswith("0098"):
        digits = "0" + digits[4:]
    elif str(normalize_digits(value)).strip().startswith("+98"):
        digits = "0" + digits[2:]
    return digits


def _other_number(params: Mapping, errors: dict[str, list[str]]) -> str:
    text = _text(params, P_NUMBER)
    if not text:
        return ""
    digits = normalize_other_number(text)
    allowed = set("0123456789+-() ")
    if set(normalize_digits(text)) - allowed or not (
        OTHER_NUMBER_MIN <= len(digits) <= OTHER_NUMBER_MAX
    ):
        errors[P_NUMBER] = [
            f"«{LABELS[P_NUMBER]}» باید شماره‌ای {to_persian_digits(OTHER_NUMBER_MIN)} تا "
            f"{to_persian_digits(OTHER_NUMBER_MAX)} رقمی باشد، مانند ۰۹۱۲۱۲۳۴۵۶۷ یا ۰۲۱۸۸۸۸۷۷۷۷."
        ]
        return ""
    return digits


def call_filter_parse(params: Mapping, *, today: dt.date | None = None) -> CallFilter:
    """The filter from query parameters (a ``QueryDict`` or a plain mapping): ``from``/``to``
    Jalali (or ISO) dates, ``call_type`` (repeated or comma-separated), ``other_number``.

    Without dates the current Jalali month up to today is searched; without ``from`` the month
    of ``to``; without ``to`` today. At most ``MAX_RANGE_MONTHS`` months per search.
    ``PortalError`` (code ``invalid``) with Persian errors per parameter otherwise.
    """
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    date_from = _date(_text(params, P_FROM), P_FROM, errors)
    date_to = _date(_text(params, P_TO), P_TO, errors)
    call_types = _call_types(params, errors)
    other_number = _other_number(params, errors)
    if not errors:
        date_to = date_to or (today if date_from is None or date_from <= today else date_from)
        date_from = date_from or jalali_month_start(date_to)
        if date_to < date_from:
            errors[P_TO] = ["«تا تاریخ» نباید پیش از «از تاریخ» باشد."]
        elif date_to >= add_jalali_months(date_from, MAX_RANGE_MONTHS):
            last = add_jalali_months(date_from, MAX_RANGE_MONTHS) - dt.timedelta(days=1)
            errors[P_TO] = [
                f"بازه جست‌وجو حداکثر {to_persian_digits(MAX_RANGE_MONTHS)} ماه است؛ "
                f"«تا تاریخ» را حداکثر {_fa_date(last)} بگذارید یا بازه را در چند جست‌وجو "
                "ببینید."
            ]
    if errors or date_from is None or date_to is None:
        raise PortalError(
            "invalid", "شرایط جست‌وجو معتبر نیست؛ خطای هر فیلد را ببینید.", fields=errors
        )
    return CallFilter(
        date_from=date_from, date_to=date_to, call_types=call_types, other_number=other_number
    )


# --- the window a user may see -------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TEHRAN)


@dataclass(frozen=True)
class CallWindow:
    """The moments searched: ``[start, end)``, the request clipped to the access window."""

    start: dt.datetime
    end: dt.datetime
    clipped: bool  # the access window cut the request (a tenant's lease)

    @property
    def empty(self) -> bool:
        return self.start >= self.end

    @property
    def first_day(self) -> dt.date:
        return self.start.astimezone(TEHRAN).date()

    @property
    def last_day(self) -> dt.date:
        # end is exclusive; an end at 00:00 Tehran closes the previous day.
        return (self.end - dt.timedelta(microseconds=1)).astimezone(TEHRAN).date()

    def describe(self) -> str:
        if self.empty:
            return ""
        return f"{jalali_display(self.first_day)} تا {jalali_display(self.last_day)}"


def call_window(*, access: LineAccess, flt: CallFilter) -> CallWindow:
    start = _day_start(flt.date_from)
    end = _day_start(flt.date_to + dt.timedelta(days=1))
    clipped = False
    if access.visible_from is not None and access.visible_from > start:
        start, clipped = access.visible_from, True
    if access.visible_until is not None and access.visible_until < end:
        end, clipped = access.visible_until, True
    return CallWindow(start=start, end=end, clipped=clipped)


def calls_visible(*, access: LineAccess, window: CallWindow, flt: CallFilter) -> QuerySet:
    """The listed calls of the filter: one line, one bounded window, never a local call.
    Unordered; callers page it or aggregate it."""
    return _visible(
        line_id=access.line.pk,
        start=window.start,
        end=window.end,
        types=_listed(flt),
        other_number=flt.other_number,
    )


def _listed(flt: CallFilter) -> tuple[str, ...]:
    # Local calls are excluded here whatever the filter says (a CallFilter built by hand).
    return tuple(t for t in flt.types if t in _LISTED_VALUES)


def _visible(
    *, line_id: int, start: dt.datetime, end: dt.datetime, types, other_number: str
) -> QuerySet:
    qs = CallRecord.objects.filter(
        line_id=line_id, started_at__gte=start, started_at__lt=end, call_type__in=list(types)
    )
    if other_number:
        qs = qs.filter(other_number=other_number)
    return qs


# --- cursors -------------------------------------------------------------------------------

NEXT, PREVIOUS = "n", "p"


@dataclass(frozen=True)
class Cursor:
    """A position between two calls: after (``NEXT``: older) or before (``PREVIOUS``: newer)
    the call (``started_at``, ``id``), on one line."""

    line_id: int
    started_at: dt.datetime
    id: int
    direction: str

    def encode(self) -> str:
        # Signed, not encrypted: it only holds a time and an id of the user's own line.
        payload = [self.line_id, self.started_at.astimezone(dt.UTC).isoformat(), self.id]
        return signing.dumps([*payload, self.direction], salt=CURSOR_SALT, compress=False)


INVALID_CURSOR = (
    "«صفحه» (cursor) معتبر نیست یا دست‌کاری شده است؛ جست‌وجو را از صفحه اول دوباره انجام دهید."
)


def cursor_decode(value: str, *, access: LineAccess) -> Cursor | None:
    """The cursor in ``value`` ('' → ``None``), or ``PortalError`` (400) when it was altered,
    is not ours or belongs to another line."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        line_id, started_at, pk, direction = signing.loads(value, salt=CURSOR_SALT)
        moment = dt.datetime.fromisoformat(started_at)
        if moment.tzinfo is None or direction not in (NEXT, PREVIOUS):
            raise ValueError(direction)
        cursor = Cursor(line_id=int(line_id), started_at=moment, id=int(pk), direction=direction)
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        raise PortalError(
            "invalid_cursor", INVALID_CURSOR, fields={P_CURSOR: [INVALID_CURSOR]}
        ) from None
    if cursor.line_id != access.line.pk:
        raise PortalError("invalid_cursor", INVALID_CURSOR, fields={P_CURSOR: [INVALID_CURSOR]})
    return cursor


# --- the page and the totals ---------------------------------------------------------------


@dataclass(frozen=True)
class CallTotals:
    count: int = 0
    duration_s: int = 0
    cost_rial: int = 0


class CallRow(NamedTuple):
    """One listed call as the search reads it: a tuple, not a model instance (a page is
    read on every search; building 51 model instances cost more than the query)."""

    id: int
    started_at: dt.datetime
    other_number: str
    call_type: str
    duration_s: int
    cost_rial: int

    @property
    def pk(self) -> int:
        return self.id


@dataclass
class CallPage:
    access: LineAccess
    flt: CallFilter
    window: CallWindow
    rows: list[CallRow] = field(default_factory=list)
    next_cursor: str | None = None
    previous_cursor: str | None = None
    totals: CallTotals | None = None
    first_page: bool = True


ROW_FIELDS = CallRow._fields


def _after(qs: QuerySet, cursor: Cursor) -> QuerySet:
    # (started_at, id) < cursor, written so the bound on started_at is an index condition
    # and the tie on equal times is broken by id.
    t, pk = cursor.started_at, cursor.id
    if cursor.direction == NEXT:
        return qs.filter(started_at__lte=t).filter(Q(started_at__lt=t) | Q(id__lt=pk))
    return qs.filter(started_at__gte=t).filter(Q(started_at__gt=t) | Q(id__gt=pk))


def calls_totals(*, access: LineAccess, window: CallWindow, flt: CallFilter) -> CallTotals:
    """Count, total seconds and total rials of the filter: one aggregate over the line's
    index range inside the window (partition-pruned), never a count of the table."""
    if window.empty:
        return CallTotals()
    agg = calls_visible(access=access, window=window, flt=flt).aggregate(
        count=Count("id"), duration=Sum("duration_s"), cost=Sum("cost_rial")
    )
    return CallTotals(
        count=agg["count"] or 0, duration_s=agg["duration"] or 0, cost_rial=agg["cost"] or 0
    )


# --- the page as a prepared statement ------------------------------------------------------
#
# The page is read on every search, and building and compiling its ORM statement cost more
# than PostgreSQL needs to walk 51 index entries. So each shape of it (number of call types,
# with or without an other number, which cursor direction, page size, with or without the
# totals) is compiled once per process and database with placeholder values
# (portal.prepared) from the very querysets above — _visible, _after, the order —
# and a search runs that SQL with its own values. Values are still sent inline (psycopg2
# interpolates them), so PostgreSQL prunes the partitions at plan time as before.

_LINE = -917_000_000_000_003
_CURSOR_ID = -917_000_000_000_004
_OTHER = "\x00calls-other-number"
_START, _END, _CURSOR_AT = (
    dt.datetime(1901, 2, 3, 4, 5, second, tzinfo=dt.UTC) for second in (6, 7, 8)
)


def _type_placeholder(index: int) -> str:
    return f"\x00calls-type-{index}"


@dataclass(frozen=True)
class _Shape:
    alias: str
    types: int
    other: bool
    direction: str | None
    page_size: int
    totals: bool


_statements: dict[_Shape, PreparedStatement] = {}


def _with_totals_sql(filtered_sql: str, page_sql: str, *, backwards: bool) -> str:
    """The page's rows and the filter's totals in ONE statement: the aggregate of the filter
    LEFT JOINed with the page, so an empty page still brings the totals. The search screen
    needs both, and with the session, the user, the line access, the rate limit and the audit
    row a second statement would take it past its budget of 8 queries."""
    direction = "ASC" if backwards else "DESC"
    columns = ", ".join(f"p.{name}" for name in ROW_FIELDS)
    # Only ORM-compiled SQL (its values stay parameters) and constants are interpolated.
    # COUNT of a NOT NULL column of the filtered rows: the same as counting them.
    return (
        f"SELECT {columns}, t.n AS total_n, t.d AS total_d, t.c AS total_c "  # noqa: S608
        "FROM (SELECT COUNT(f.duration_s) AS n, COALESCE(SUM(f.duration_s), 0) AS d, "
        f"COALESCE(SUM(f.cost_rial), 0) AS c FROM ({filtered_sql}) f) t "
        f"LEFT JOIN ({page_sql}) p ON 1 = 1 "
        f"ORDER BY p.started_at {direction}, p.id {direction}"
    )


def _page_statement(shape: _Shape) -> PreparedStatement:
    types = tuple(_type_placeholder(i) for i in range(shape.types))
    filtered = _visible(
        line_id=_LINE,
        start=_START,
        end=_END,
        types=types,
        other_number=_OTHER if shape.other else "",
    ).using(shape.alias)
    qs = filtered
    if shape.direction is not None:
        qs = _after(qs, Cursor(_LINE, _CURSOR_AT, _CURSOR_ID, shape.direction))
    backwards = shape.direction == PREVIOUS
    order = ("started_at", "id") if backwards else ("-started_at", "-id")
    page = qs.order_by(*order)[: shape.page_size + 1].values_list(*ROW_FIELDS)
    compiler = page.query.get_compiler(using=shape.alias)
    sql, params = compiler.as_sql()
    if shape.totals:
        aggregated = filtered.values("duration_s", "cost_rial").query.get_compiler(shape.alias)
        filtered_sql, filtered_params = aggregated.as_sql()
        sql = _with_totals_sql(filtered_sql, sql, backwards=backwards)
        params = (*filtered_params, *params)
    ops = connections[shape.alias].ops
    placeholders: dict[object, object] = {
        _LINE: "line",
        ops.adapt_datetimefield_value(_START): "start",
        ops.adapt_datetimefield_value(_END): "end",
        **{placeholder: ("type", i) for i, placeholder in enumerate(types)},
    }
    if shape.other:
        placeholders[_OTHER] = "other"
    if shape.direction is not None:
        placeholders[ops.adapt_datetimefield_value(_CURSOR_AT)] = "cursor_at"
        placeholders[_CURSOR_ID] = "cursor_id"
    return statement_prepare(
        alias=shape.alias,
        sql=sql,
        params=params,
        compiler=compiler,
        placeholders=placeholders,
        texts=(str(_LINE), str(_CURSOR_ID), "\x00calls-"),
    )


def _page_rows(
    *,
    access: LineAccess,
    window: CallWindow,
    flt: CallFilter,
    position: Cursor | None,
    page_size: int,
    with_totals: bool,
) -> tuple[list[CallRow], CallTotals | None]:
    """Up to ``page_size + 1`` rows of the filter after ``position`` in the walking order
    (newest first, or oldest first when walking back), and the filter's totals when
    ``with_totals``: one statement."""
    types = _listed(flt)
    if not types:
        return [], (CallTotals() if with_totals else None)
    alias = router.db_for_read(CallRecord)
    shape = _Shape(
        alias=alias,
        types=len(types),
        other=bool(flt.other_number),
        direction=position.direction if position is not None else None,
        page_size=page_size,
        totals=with_totals,
    )
    statement = _statements.get(shape)
    if statement is None:
        statement = _statements[shape] = _page_statement(shape)
    adapt = connections[alias].ops.adapt_datetimefield_value
    values: dict[object, object] = {
        "line": access.line.pk,
        "start": adapt(window.start),
        "end": adapt(window.end),
        **{("type", i): value for i, value in enumerate(types)},
    }
    if flt.other_number:
        values["other"] = flt.other_number
    if position is not None:
        values["cursor_at"] = adapt(position.started_at)
        values["cursor_id"] = position.id
    records = statement.fetch(values)
    if not with_totals:
        return list(map(CallRow._make, records)), None
    n, d, c = records[0][len(ROW_FIELDS) :]
    totals = CallTotals(count=int(n), duration_s=int(d), cost_rial=int(c))
    # The LEFT JOIN brings one row of NULLs when the page is empty.
    rows = [CallRow._make(r[: len(ROW_FIELDS)]) for r in records if r[0] is not None]
    return rows, totals


def calls_page(
    *,
    access: LineAccess,
    flt: CallFilter,
    cursor: str = "",
    with_totals: bool = False,
    page_size: int = PAGE_SIZE,
) -> CallPage:
    """One page of the filter, newest first, and the cursors of its neighbours.

    ``cursor`` is ``CallPage.next_cursor``/``previous_cursor`` of an earlier page ('' for the
    first page). One query (a prepared statement): the rows (``page_size + 1``, to know
    whether more follow), with the filter's totals joined in when ``with_totals``.
    ``PortalError`` for a tampered cursor.
    """
    position = cursor_decode(cursor, access=access)
    window = call_window(access=access, flt=flt)
    page = CallPage(access=access, flt=flt, window=window, first_page=position is None)
    if window.empty:
        page.totals = CallTotals() if with_totals else None
        return page
    backwards = position is not None and position.direction == PREVIOUS
    rows, page.totals = _page_rows(
        access=access,
        window=window,
        flt=flt,
        position=position,
        page_size=page_size,
        with_totals=with_totals,
    )
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    page.rows = rows
    if rows:
        line_id = access.line.pk
        first, last = rows[0], rows[-1]
        # Walking back: newer pages exist only if this query found more; older ones always
        # (we came from there). Walking forward: the reverse.
        if (backwards and more) or (not backwards and position is not None):
            page.previous_cursor = Cursor(line_id, first.started_at, first.id, PREVIOUS).encode()
        if (not backwards and more) or backwards:
            page.next_cursor = Cursor(line_id, last.started_at, last.id, NEXT).encode()
    return page


def call_rows_for_export(
    *, access: LineAccess, window: CallWindow, flt: CallFilter, limit: int
) -> QuerySet:
    """The newest ``limit`` calls of the filter, newest first, as tuples of ``ROW_FIELDS``
    minus the id, for streaming into an export."""
    return (
        calls_visible(access=access, window=window, flt=flt)
        .order_by("-started_at", "-id")
        .values_list("started_at", "other_number", "call_type", "duration_s", "cost_rial")[:limit]
    )


def duration_text(seconds: int) -> str:
    """``3725`` → ``1:02:05``; ``65`` → ``1:05`` (ASCII digits; templates convert)."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


CALL_TYPE_LABELS = {str(t.value): str(t.label) for t in CallType}


def call_type_label(value: str) -> str:
    return CALL_TYPE_LABELS.get(value, value)


__all__ = [
    "LABELS",
    "LISTED_CHOICES",
    "MAX_RANGE_MONTHS",
    "PAGE_SIZE",
    "CallFilter",
    "CallPage",
    "CallRow",
    "CallTotals",
    "CallWindow",
    "Cursor",
    "call_filter_parse",
    "call_rows_for_export",
    "call_type_label",
    "call_window",
    "calls_page",
    "calls_totals",
    "calls_visible",
    "cursor_decode",
    "duration_text",
    "jalali_date_time",
    "jalali_day_text",
]
