"""Call-detail searches and exports (CSV and PDF) with the accounting each one owes: a per-user
rate limit and an audit row.

Call records are the most private data of the portal, so every search (a page of the search
screen, the API list and summary) and every export is written to the audit log with the line,
the filter and how many calls were returned — never the other numbers themselves — and both
are rate-limited per user (``subscribers.services.ratelimit``, Persian 429 message). During a
kiosk session the operator is the actor and the citizen ``on_behalf_of``. A search
(``call_search``) reads first, then counts and writes its audit row in one statement: a
counted search always has its audit row, and the user's counter row is never locked while a
search reads.

Exports hold the filtered calls newest first with the filter's totals:

- CSV: UTF-8 with a BOM (Excel shows Persian), Persian headers, Jalali date-times with ASCII
  digits (a spreadsheet sorts and sums them), streamed row by row;
- PDF: WeasyPrint with billing's static-only URL fetcher and Vazirmatn faces, right-to-left,
  Persian digits.

Both stop at a cap (``CSV_MAX_ROWS``, ``PDF_MAX_ROWS``: a PDF page of 45 calls costs WeasyPrint
far more than a CSV line) and then say so in the file itself, in ``X-Export-Capped`` and in
the audit row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from billing.pdf import font_faces, render_pdf
from portal.digits import to_persian_digits
from portal.errors import PortalError
from subscribers.models import AuditLog, KioskOffice, Subscription, User
from subscribers.services.audit import audit_record, audit_row
from subscribers.services.ratelimit import rate_limit_count, rate_limit_count_insert, rate_limit_hit
from telecom.selectors.calls import (
    P_CURSOR,
    CallFilter,
    CallPage,
    CallTotals,
    CallWindow,
    call_filter_parse,
    call_rows_for_export,
    call_type_label,
    call_window,
    calls_page,
    calls_totals,
    duration_text,
    jalali_date_time,
)
from telecom.selectors.lines import LineAccess

CSV_MAX_ROWS = 10_000
PDF_MAX_ROWS = 2_000
FORMATS = ("csv", "pdf")

SEARCH_SCOPE = "telecom-calls-search"
EXPORT_SCOPE = "telecom-calls-export"
SEARCH_WINDOW = timedelta(minutes=1)
EXPORT_WINDOW = timedelta(hours=1)
SEARCH_LIMITED = (
    "تعداد جست‌وجوهای ریزمکالمات شما بیش از حد مجاز است؛ یک دقیقه دیگر دوباره تلاش کنید."
)
EXPORT_LIMITED = (
    "تعداد دریافت فایل ریزمکالمات شما در این ساعت بیش از حد مجاز است؛ ساعتی دیگر دوباره "
    "تلاش کنید یا نتایج را در صفحه ببینید."
)


def search_limit() -> int:
    return settings.TELECOM_CALL_SEARCHES_PER_MINUTE


def export_limit() -> int:
    return settings.TELECOM_CALL_EXPORTS_PER_HOUR


@dataclass(frozen=True)
class CallViewer:
    """Who is looking: the citizen (``user``, whose lines they are) and, during a kiosk
    session, the operator acting for them."""

    user: User
    operator: User | None = None
    kiosk: KioskOffice | None = None
    ip: str | None = None


def _audit_arguments(*, viewer: CallViewer, access: LineAccess, action: str, details: dict) -> dict:
    """What ``audit_record`` is called with for an action on ``access``'s calls."""
    acting_for = viewer.operator is not None
    return {
        "actor": viewer.operator if acting_for else viewer.user,
        "on_behalf_of": viewer.user if acting_for else None,
        "kiosk": viewer.kiosk,
        "action": action,
        "obj": access.line,
        "ip": viewer.ip,
        "details": {"line": access.line.number, "role": access.link.role, **details},
    }


def _audit(*, viewer: CallViewer, access: LineAccess, action: str, details: dict) -> None:
    audit_record(**_audit_arguments(viewer=viewer, access=access, action=action, details=details))


def _window_details(window: CallWindow) -> dict:
    return {
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "clipped": window.clipped,
    }


# --- searches ------------------------------------------------------------------------------


def call_search_limit(*, viewer: CallViewer, audit: AuditLog | None = None) -> None:
    """Count one search of ``viewer.user``; ``RateLimited`` (429) past the per-minute limit.
    With ``audit`` (an unsaved row), that row is inserted when — and only when — the search
    counted, in the same statement (``rate_limit_count_insert``). Same counters as
    ``rate_limit_hit``."""
    limit = {
        "scope": SEARCH_SCOPE,
        "key": str(viewer.user.pk),
        "limit": search_limit(),
        "window": SEARCH_WINDOW,
        "message": SEARCH_LIMITED,
    }
    if audit is None:
        rate_limit_count(**limit)
    else:
        rate_limit_count_insert(**limit, obj=audit)


def call_search_audit(
    *, viewer: CallViewer, access: LineAccess, page: CallPage, kind: str = "page"
) -> AuditLog:
    """The unsaved audit row of one search: ``kind`` is ``page`` (HTML), ``list`` or
    ``summary`` (API)."""
    details = {
        "kind": kind,
        "filters": page.flt.audit(),
        **_window_details(page.window),
        "first_page": page.first_page,
        "rows": len(page.rows),
    }
    if page.totals is not None:
        details["total"] = page.totals.count
    arguments = _audit_arguments(
        viewer=viewer, access=access, action="telecom.calls.search", details=details
    )
    return audit_row(**arguments)


def call_search(
    *,
    viewer: CallViewer,
    access: LineAccess,
    params,
    kind: str,
    summary: bool = False,
    with_totals: bool = False,
) -> CallPage:
    """One search of ``access``'s line by ``viewer`` with the query ``params``: parses the
    filter, reads the page — the 50 calls at ``params``' cursor (with the filter's totals when
    ``with_totals``), or only the totals when ``summary`` — then counts the search against the
    per-user limit and writes the audit row, together.

    ``RateLimited`` (429) past the limit: nothing is counted, written or returned. A search
    that fails validation (``PortalError``: a bad date, a tampered cursor) counts too (a 429
    if that was one too many) and is not audited, as nothing was read.

    The count and the audit row are one statement after the read (on PostgreSQL; a short
    transaction elsewhere): a counted search always has its audit row, a request pays one
    commit, and the user's counter row (every search of one user updates it) is never locked
    while the page is read.
    """
    try:
        flt = call_filter_parse(params)
        if summary:
            window = call_window(access=access, flt=flt)
            totals = calls_totals(access=access, window=window, flt=flt)
            page = CallPage(access=access, flt=flt, window=window, totals=totals)
        else:
            cursor = params.get(P_CURSOR, "") or ""
            page = calls_page(access=access, flt=flt, cursor=cursor, with_totals=with_totals)
    except PortalError:
        call_search_limit(viewer=viewer)  # RateLimited instead when over the limit
        raise
    call_search_limit(
        viewer=viewer, audit=call_search_audit(viewer=viewer, access=access, page=page, kind=kind)
    )
    return page


# --- exports -------------------------------------------------------------------------------


CSV_HEADER = [
    "ردیف",
    "تاریخ و ساعت شروع",
    "شماره طرف مقابل",
    "نوع مکالمه",
    "مدت (ثانیه)",
    "مدت (ساعت:دقیقه:ثانیه)",
    "هزینه (ریال)",
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _jalali_seconds(moment) -> str:
    return " ".join(jalali_date_time(moment))


@dataclass
class CallExport:
    """A finished export: ``content`` is bytes (PDF) or an iterator of bytes (CSV stream)."""

    content: bytes | Iterator[bytes]
    content_type: str
    filename: str
    totals: CallTotals
    rows: int  # calls in the file
    capped: bool


def export_filename(access: LineAccess, flt: CallFilter, extension: str) -> str:
    # ASCII only (digits and dashes): no header injection, no encoding surprises.
    return f"calls-{access.line.number}-{flt.date_from:%Y%m%d}-{flt.date_to:%Y%m%d}.{extension}"


def _cap_note(rows: int, totals: CallTotals) -> str:
    return (
        f"این پرونده فقط {to_persian_digits(f'{rows:,}'.replace(',', '٬'))} مکالمه جدیدتر از "
        f"{to_persian_digits(f'{totals.count:,}'.replace(',', '٬'))} مکالمه این جست‌وجو را "
        "دارد؛ برای بقیه، بازه تاریخ را کوتاه‌تر کنید."
    )


def _csv_stream(
    *, access: LineAccess, flt: CallFilter, window: CallWindow, totals: CallTotals, limit: int
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write("\ufeff")
    writer.writerow(CSV_HEADER)
    yield flush()
    rows = call_rows_for_export(access=access, window=window, flt=flt, limit=limit)
    number = 0
    for number, (started_at, other, call_type, duration, cost) in enumerate(
        rows.iterator(chunk_size=2_000), start=1
    ):
        writer.writerow(
            [
                number,
                _jalali_seconds(started_at),
                _cell(other),
                call_type_label(call_type),
                duration,
                duration_text(duration),
                cost,
            ]
        )
        if number % 500 == 0:
            yield flush()
    writer.writerow([])
    writer.writerow(
        [
            "جمع",
            f"{totals.count} مکالمه",
            "",
            "",
            totals.duration_s,
            duration_text(totals.duration_s),
            totals.cost_rial,
        ]
    )
    if number < totals.count:
        writer.writerow([_cap_note(number, totals)])
    yield flush()


def _pdf(
    *, access: LineAccess, flt: CallFilter, window: CallWindow, totals: CallTotals, limit: int
) -> tuple[bytes, int]:
    rows = [
        {
            "n": n,
            "started_at": _jalali_seconds(started_at),
            "other": other,
            "type": call_type_label(call_type),
            "duration": duration_text(duration),
            "cost": cost,
        }
        for n, (started_at, other, call_type, duration, cost) in enumerate(
            call_rows_for_export(access=access, window=window, flt=flt, limit=limit), start=1
        )
    ]
    line = access.line
    # The header names the company and the telephone center: one query for the three.
    subscription = Subscription.objects.select_related("company", "office").get(
        pk=line.subscription_id
    )
    html = render_to_string(
        "telecom/calls_pdf.html",
        {
            "fonts": font_faces(),
            "line": line,
            "subscription": subscription,
            "access": access,
            "flt": flt,
            "types": [call_type_label(t) for t in flt.types],
            "window": window,
            "totals": totals,
            "total_duration": duration_text(totals.duration_s),
            "rows": rows,
            "cap_note": _cap_note(len(rows), totals) if len(rows) < totals.count else "",
            "printed_at": timezone.now(),
        },
    )
    return render_pdf(html), len(rows)


def export_format_clean(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in FORMATS:
        message = "«قالب خروجی» را انتخاب کنید: csv یا pdf."
        raise PortalError("invalid", message, fields={"format": [message]})
    return value


def calls_export(
    *, viewer: CallViewer, access: LineAccess, flt: CallFilter, fmt: str
) -> CallExport:
    """The export of ``flt`` on ``access``'s line in ``fmt`` (csv | pdf).

    Counts against the per-user export limit first (``RateLimited``), then reads the totals
    (one aggregate), writes the ``telecom.calls.export`` audit row and returns the file: a
    CSV stream that reads the rows while it is sent, or the rendered PDF. ``PortalError`` for
    an unknown format. The caller has already parsed ``flt`` and resolved ``access``.
    """
    fmt = export_format_clean(fmt)
    rate_limit_hit(
        scope=EXPORT_SCOPE,
        key=str(viewer.user.pk),
        limit=export_limit(),
        window=EXPORT_WINDOW,
        message=EXPORT_LIMITED,
    )
    window = call_window(access=access, flt=flt)
    totals = calls_totals(access=access, window=window, flt=flt)
    cap = CSV_MAX_ROWS if fmt == "csv" else PDF_MAX_ROWS
    rows = min(totals.count, cap)
    if fmt == "csv":
        content: bytes | Iterator[bytes] = _csv_stream(
            access=access, flt=flt, window=window, totals=totals, limit=cap
        )
        content_type = "text/csv; charset=utf-8"
    else:
        content, rows = _pdf(access=access, flt=flt, window=window, totals=totals, limit=cap)
        content_type = "application/pdf"
    capped = totals.count > rows
    _audit(
        viewer=viewer,
        access=access,
        action="telecom.calls.export",
        details={
            "format": fmt,
            "filters": flt.audit(),
            **_window_details(window),
            "rows": rows,
            "total": totals.count,
            "capped": capped,
        },
    )
    return CallExport(
        content=content,
        content_type=content_type,
        filename=export_filename(access, flt, fmt),
        totals=totals,
        rows=rows,
        capped=capped,
    )
