"""API conventions shared by every app's ``api.py``.

- Errors: ``{"error": {"code", "message" (Persian), "fields"}}`` for every failure.
- Lists: cursor pagination (stable under inserts, no COUNT over large tables).
- Dates: ISO 8601, with a Jalali companion field (``JalaliField``).
- Input: Persian/Arabic-Indic digits in JSON bodies become ASCII before validation.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from portal.digits import normalize_payload
from portal.errors import PortalError, RateLimited
from portal.jalali import jalali_iso

_MESSAGES = {
    "invalid": "اطلاعات ارسالی معتبر نیست؛ خطای هر فیلد را ببینید.",
    "parse_error": "بدنه درخواست قابل خواندن نیست.",
    "not_authenticated": "برای این کار ابتدا وارد سامانه شوید.",
    "authentication_failed": "اطلاعات ورود معتبر نیست.",
    "permission_denied": "اجازه انجام این کار را ندارید.",
    "not_found": "مورد درخواستی یافت نشد.",
    "method_not_allowed": "این روش درخواست پشتیبانی نمی‌شود.",
    "not_acceptable": "قالب پاسخ درخواستی پشتیبانی نمی‌شود.",
    "unsupported_media_type": "نوع محتوای ارسالی پشتیبانی نمی‌شود.",
    "throttled": "تعداد درخواست‌ها بیش از حد مجاز است؛ کمی بعد دوباره تلاش کنید.",
}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for v in detail.values() for m in _flatten(v)]
    if isinstance(detail, list):
        return [m for v in detail for m in _flatten(v)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def error_response(
    code: str, message: str, status: int, fields: dict | None = None, headers=None
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return Response(body, status=status, headers=headers)


def exception_handler(exc, context):
    """Turn every handled exception into the portal's one error shape."""
    # Imported here: DRF's settings name classes in this module, so importing
    # rest_framework.views at module level makes a cycle during system checks.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, PortalError):
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        return error_response(exc.code, exc.message, exc.status_code, exc.fields, headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return error_response(
            "invalid", _MESSAGES["invalid"], response.status_code, _fields(exc.detail)
        )
    code = getattr(exc, "default_code", "error")
    message = _MESSAGES.get(code) or " ".join(_flatten(getattr(exc, "detail", ""))) or code
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        message = f"{_MESSAGES['throttled']} ({int(exc.wait)} ثانیه)"
    headers = {k: v for k, v in response.items() if k in ("Retry-After", "WWW-Authenticate")}
    return error_response(code, message, response.status_code, headers=headers)


class PortalCursorPagination(CursorPagination):
    """Cursor pagination: page 10,000 costs what page 1 does, and no COUNT(*) is run."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-pk"


class PersianDigitsJSONParser(JSONParser):
    """JSON parser that turns Persian/Arabic-Indic digits in strings into ASCII digits."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        return normalize_payload(data)


class JalaliField(serializers.ReadOnlyField):
    """Read-only Jalali companion of a date/datetime field: ``created_at_jalali``."""

    def to_representation(self, value):
        return jalali_iso(value)
