"""The call-detail search page of one line (seed 002 «ریزمکالمات»، جست‌وجوی پیشرفته) and its
CSV / PDF export.

- ``GET /telecom/lines/<number>/calls/?from=&to=&call_type=&other_number=&cursor=``: the
  search form (Jalali dates, call types, one other number), 50 calls a page newest first with
  next/previous links (keyset cursors), the filter's totals and the export buttons.
- ``GET /telecom/lines/<number>/calls/export/?format=csv|pdf&…``: the same filter as a file.

Access is ``call_access_for`` only (``line_access_for`` as one prepared query): a line that is
not the user's (or not activated) is a 404 like a missing one; a tenant sees the lease period
only and is told so. Every search and
export is rate-limited and audited (``telecom.services.call_exports``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError, RateLimited
from portal.http import client_ip
from telecom.selectors.calls import (
    CALL_TYPE_LABELS,
    LISTED_CHOICES,
    MAX_RANGE_MONTHS,
    P_CURSOR,
    P_FROM,
    P_NUMBER,
    P_TO,
    P_TYPE,
    CallFilter,
    CallPage,
    CallRow,
    call_filter_parse,
    duration_text,
    jalali_date_time,
)
from telecom.selectors.line_access import call_access_for
from telecom.selectors.lines import LineAccess
from telecom.services.call_exports import (
    CallExport,
    CallViewer,
    call_search,
    calls_export,
)

TEMPLATE = "telecom/calls.html"


def call_viewer(request: HttpRequest) -> CallViewer:
    """The citizen and, in a kiosk session, the operator acting for them."""
    kiosk_session = getattr(request, "kiosk_session", None)
    return CallViewer(
        user=request.user,
        operator=getattr(request, "operator", None) if kiosk_session else None,
        kiosk=kiosk_session.kiosk if kiosk_session else None,
        ip=client_ip(request),
    )


def export_response(export: CallExport) -> HttpResponse:
    """The download: streamed for CSV, whole for PDF; never kept by a shared cache."""
    if isinstance(export.content, bytes):
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            export.content, content_type=export.content_type
        )
    else:
        response = StreamingHttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Export-Rows"] = str(export.rows)
    response["X-Export-Capped"] = "true" if export.capped else "false"
    return response


def _access(request: HttpRequest, number: str) -> LineAccess:
    try:
        return call_access_for(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def _lines_url() -> str | None:
    try:
        return reverse("telecom:lines")
    except NoReverseMatch:
        return None


def _row(call: CallRow) -> dict:
    date, time = jalali_date_time(call.started_at)
    return {
        "date": date,
        "time": time,
        "other": call.other_number,
        "type": CALL_TYPE_LABELS.get(call.call_type, call.call_type),
        "call_type": call.call_type,
        "duration": duration_text(call.duration_s),
        "duration_s": call.duration_s,
        "cost": call.cost_rial,
    }


def _form_values(request: HttpRequest, flt: CallFilter | None) -> dict:
    """What the inputs show: the filter actually searched, or what was typed when invalid."""
    if flt is not None:
        query = flt.query()
        return {
            P_FROM: to_persian_digits(query[P_FROM]),
            P_TO: to_persian_digits(query[P_TO]),
            P_NUMBER: to_persian_digits(flt.other_number),
            P_TYPE: list(flt.call_types),
        }
    return {
        P_FROM: to_persian_digits(normalize_digits(request.GET.get(P_FROM, ""))),
        P_TO: to_persian_digits(normalize_digits(request.GET.get(P_TO, ""))),
        P_NUMBER: request.GET.get(P_NUMBER, ""),
        P_TYPE: [v for part in request.GET.getlist(P_TYPE) for v in part.split(",")],
    }


def _url(base: str, flt: CallFilter, **extra: str) -> str:
    return f"{base}?{urlencode({**flt.query(), **extra}, doseq=True)}"


def _render(
    request: HttpRequest,
    *,
    access: LineAccess,
    flt: CallFilter | None = None,
    page: CallPage | None = None,
    errors: dict | None = None,
    limited: str = "",
    status: int = 200,
    retry_after: int | None = None,
) -> HttpResponse:
    number = access.line.number
    base = reverse("telecom:calls", args=[number])
    export = reverse("telecom:calls-export", args=[number])
    context = {
        "access": access,
        "line": access.line,
        "lines_url": _lines_url(),
        "values": _form_values(request, flt),
        "errors": errors or {},
        "choices": LISTED_CHOICES,
        "max_months": MAX_RANGE_MONTHS,
        "limited": limited,
        "page": page,
        "action": base,
    }
    if page is not None:
        context["rows"] = [_row(call) for call in page.rows]
        if page.totals is not None:
            context["total_duration"] = duration_text(page.totals.duration_s)
        context["export_csv_url"] = _url(export, page.flt, format="csv")
        context["export_pdf_url"] = _url(export, page.flt, format="pdf")
        if page.next_cursor:
            context["next_url"] = _url(base, page.flt, **{P_CURSOR: page.next_cursor})
        if page.previous_cursor:
            context["previous_url"] = _url(base, page.flt, **{P_CURSOR: page.previous_cursor})
        if not page.first_page:
            context["first_url"] = _url(base, page.flt)
    response = render(request, TEMPLATE, context, status=status)
    response["Cache-Control"] = "private, no-store"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@require_GET
def calls(request: HttpRequest, number: str) -> HttpResponse:
    access = _access(request, number)
    try:
        page = call_search(
            viewer=call_viewer(request),
            access=access,
            params=request.GET,
            kind="page",
            with_totals=True,
        )
    except RateLimited as exc:
        return _render(
            request, access=access, limited=exc.message, status=429, retry_after=exc.retry_after
        )
    except PortalError as exc:
        return _render(request, access=access, errors=exc.fields, status=400)
    return _render(request, access=access, flt=page.flt, page=page)


@login_required
@require_GET
def calls_export_view(request: HttpRequest, number: str) -> HttpResponse:
    access = _access(request, number)
    try:
        flt = call_filter_parse(request.GET)
        export = calls_export(
            viewer=call_viewer(request),
            access=access,
            flt=flt,
            fmt=request.GET.get("format", ""),
        )
    except RateLimited as exc:
        return _render(
            request, access=access, limited=exc.message, status=429, retry_after=exc.retry_after
        )
    except PortalError as exc:
        return _render(request, access=access, errors=exc.fields, status=400)
    return export_response(export)


urlpatterns = [
    path("telecom/lines/<str:number>/calls/", calls, name="calls"),
    path("telecom/lines/<str:number>/calls/export/", calls_export_view, name="calls-export"),
]
