"""Call-detail API (issue 7): the same search, totals and export as the page
(``telecom.views.calls``), for the mobile app and partner systems. Token or session auth.

- ``GET telecom/lines/{number}/calls/?from=&to=&call_type=&other_number=&cursor=``: 50 calls
  a page, newest first; ``next``/``previous`` are full URLs carrying an opaque cursor
  (keyset: stable under inserts, page N as fast as page 1). No count here — see summary.
- ``GET telecom/lines/{number}/calls/summary/?…``: count, total seconds and total rials.
- ``GET telecom/lines/{number}/calls/export/?format=csv|pdf&…``: the file.

``from``/``to`` take Jalali (``1403/09/01``) or ISO (``2024-11-21``) dates, Persian digits
accepted; without them the current Jalali month. ``call_type`` repeats or is comma-separated.
A line that is not the caller's answers 404 like a missing one; a tenant's searches are
clipped to the lease. Errors have the house shape; searches and exports are rate-limited
(429) and audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import NotFound
from telecom.selectors.calls import (
    CALL_TYPE_LABELS,
    LISTED_CHOICES,
    P_CURSOR,
    CallFilter,
    CallPage,
    CallRow,
    CallTotals,
    CallWindow,
    call_filter_parse,
    jalali_date_time,
    jalali_day_text,
)
from telecom.selectors.line_access import call_access_for
from telecom.selectors.lines import LineAccess
from telecom.services.call_exports import call_search, calls_export
from telecom.views.calls import call_viewer, export_response

NOT_FOUND = "خطی با این شماره در حساب شما فعال نیست."


def _access(request: Request, number: str) -> LineAccess:
    try:
        return call_access_for(user=request.user, number=number)
    except NotFound:
        raise NotFound(NOT_FOUND) from None


# --- schema ----------------------------------------------------------------------------------

_TYPES = [value for value, _label in LISTED_CHOICES]
FILTER_PARAMS = [
    OpenApiParameter(
        "from",
        str,
        description="از تاریخ (شمسی ۱۴۰۳/۰۹/۰۱ یا میلادی 2024-11-21)؛ خالی: ابتدای ماه جاری",
    ),
    OpenApiParameter("to", str, description="تا تاریخ (شامل همان روز)؛ خالی: امروز"),
    OpenApiParameter(
        "call_type",
        str,
        many=True,
        explode=True,
        enum=_TYPES,
        description="نوع مکالمه، تکرارپذیر یا جداشده با ویرگول؛ خالی: همه (مکالمات شهری هرگز)",
    ),
    OpenApiParameter("other_number", str, description="فقط مکالمات با این شماره"),
]
CURSOR_PARAM = OpenApiParameter(P_CURSOR, str, description="نشانگر صفحه از next/previous")


class CallSerializer(serializers.Serializer):
    """One call. Built by hand in ``_call`` (the declared fields document the shape; a test
    checks they match): 50 of these per search, on the hottest read of the portal."""

    started_at = serializers.DateTimeField()
    started_at_jalali = serializers.CharField(help_text="1403/09/12 14:30:05")
    other_number = serializers.CharField()
    call_type = serializers.ChoiceField(choices=LISTED_CHOICES)
    call_type_label = serializers.CharField()
    duration_s = serializers.IntegerField()
    cost_rial = serializers.IntegerField()


class WindowSerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="روز اول درخواستی")
    date_to = serializers.DateField(help_text="روز آخر درخواستی (شامل)")
    date_from_jalali = serializers.CharField()
    date_to_jalali = serializers.CharField()
    call_types = serializers.ListField(child=serializers.CharField())
    other_number = serializers.CharField(allow_blank=True)
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True, help_text="بی‌شامل")
    clipped = serializers.BooleanField(help_text="بازه به دوره دسترسی (اجاره) محدود شد")


class CallListSerializer(serializers.Serializer):
    line = serializers.CharField()
    filter = WindowSerializer()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CallSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    line = serializers.CharField()
    filter = WindowSerializer()
    count = serializers.IntegerField()
    duration_s = serializers.IntegerField()
    cost_rial = serializers.IntegerField()


# --- representation --------------------------------------------------------------------------


def _call(call: CallRow) -> dict[str, Any]:
    started = call.started_at.astimezone(dt.UTC)
    day, time = jalali_date_time(call.started_at)
    return {
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "started_at_jalali": f"{day} {time}",
        "other_number": call.other_number,
        "call_type": call.call_type,
        "call_type_label": CALL_TYPE_LABELS.get(call.call_type, call.call_type),
        "duration_s": call.duration_s,
        "cost_rial": call.cost_rial,
    }


def _filter(flt: CallFilter, window: CallWindow) -> dict[str, Any]:
    return {
        "date_from": flt.date_from.isoformat(),
        "date_to": flt.date_to.isoformat(),
        # jalali_iso of a date, cached per day.
        "date_from_jalali": jalali_day_text(flt.date_from),
        "date_to_jalali": jalali_day_text(flt.date_to),
        "call_types": list(flt.types),
        "other_number": flt.other_number,
        "window_start": None if window.empty else window.start.isoformat(),
        "window_end": None if window.empty else window.end.isoformat(),
        "clipped": window.clipped,
    }


def _page_url(request: Request, page: CallPage, cursor: str | None) -> str | None:
    if not cursor:
        return None
    query = urlencode({**page.flt.query(), P_CURSOR: cursor}, doseq=True)
    return request.build_absolute_uri(request.path) + "?" + query


# --- views -----------------------------------------------------------------------------------


class CallListAPI(APIView):
    @extend_schema(
        tags=["telecom"],
        summary="ریزمکالمات یک خط (۵۰ مکالمه در هر صفحه، جدیدترین اول)",
        parameters=[*FILTER_PARAMS, CURSOR_PARAM],
        responses=CallListSerializer,
    )
    def get(self, request: Request, number: str) -> Response:
        access = _access(request, number)
        page = call_search(
            viewer=call_viewer(request), access=access, params=request.query_params, kind="list"
        )
        return Response(
            {
                "line": access.line.number,
                "filter": _filter(page.flt, page.window),
                "next": _page_url(request, page, page.next_cursor),
                "previous": _page_url(request, page, page.previous_cursor),
                "results": [_call(call) for call in page.rows],
            }
        )


class CallSummaryAPI(APIView):
    @extend_schema(
        tags=["telecom"],
        summary="جمع ریزمکالمات یک جست‌وجو: تعداد، مدت و هزینه",
        parameters=FILTER_PARAMS,
        responses=SummarySerializer,
    )
    def get(self, request: Request, number: str) -> Response:
        access = _access(request, number)
        page = call_search(
            viewer=call_viewer(request),
            access=access,
            params=request.query_params,
            kind="summary",
            summary=True,
        )
        totals = page.totals or CallTotals()
        return Response(
            {
                "line": access.line.number,
                "filter": _filter(page.flt, page.window),
                "count": totals.count,
                "duration_s": totals.duration_s,
                "cost_rial": totals.cost_rial,
            }
        )


class IgnoreFormatNegotiation(BaseContentNegotiation):
    """``format`` is this endpoint's own parameter (csv | pdf), not DRF's renderer override;
    errors are always JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return (renderers[0], renderers[0].media_type)


class CallExportAPI(APIView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        tags=["telecom"],
        summary="خروجی ریزمکالمات: CSV (حداکثر ۱۰٬۰۰۰ مکالمه) یا PDF (حداکثر ۲٬۰۰۰)",
        description=(
            "سرآیند X-Export-Rows تعداد مکالمات پرونده و X-Export-Capped=true محدودشدن آن "
            "را می‌گوید."
        ),
        parameters=[
            OpenApiParameter("format", str, required=True, enum=["csv", "pdf"]),
            *FILTER_PARAMS,
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: inline_serializer(
                "TelecomCallExportError",
                {"error": serializers.DictField()},
            ),
        },
    )
    def get(self, request: Request, number: str) -> HttpResponse:
        access = _access(request, number)
        flt = call_filter_parse(request.query_params)
        export = calls_export(
            viewer=call_viewer(request),
            access=access,
            flt=flt,
            fmt=request.query_params.get("format", ""),
        )
        return export_response(export)


urlpatterns = [
    path("telecom/lines/<str:number>/calls/", CallListAPI.as_view(), name="calls"),
    path(
        "telecom/lines/<str:number>/calls/summary/",
        CallSummaryAPI.as_view(),
        name="calls-summary",
    ),
    path("telecom/lines/<str:number>/calls/export/", CallExportAPI.as_view(), name="calls-export"),
]
