"""Open311 GeoReport v2 endpoints (http://wiki.open311.org/GeoReport_v2) under /open311/v2/.

Plain Django views rather than DRF so every field name, XML element and error shape is exactly
the spec's, and a standard Open311 client works unchanged. Every endpoint answers in the
format its suffix names (``.json`` / ``.xml``); every failure is the spec's error list with the
matching HTTP status. ``jurisdiction_id`` is accepted everywhere and ignored (one
jurisdiction). The one service is "power-outage"; its one attribute is the bill ID, which
finds the subscription and so the feeder the report is grouped by.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from outages.models import ReportChannel
from outages.open311.render import FORMATS, render, render_errors
from outages.open311.selectors import open311_report_by_token, open311_reports
from outages.services.keys import api_key_authenticate
from outages.services.reports import report_file, subscription_for_outage
from portal.digits import normalize_digits
from portal.errors import PortalError, RateLimited
from portal.identifiers import InvalidIdentifier, clean_mobile
from subscribers.services.ratelimit import rate_limit_hit

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (the spec's "changeset"); bump on changes.
CHANGESET = "2026-11-22T00:00:00+03:30"
SERVICE_CODE = "power-outage"
SERVICE_NAME = "قطع برق (Power outage)"
SERVICE = {
    "service_code": SERVICE_CODE,
    "service_name": SERVICE_NAME,
    "description": (
        "گزارش قطع برق در محل یک اشتراک برق. اگر خاموشی برنامه‌ریزی‌شده یا حادثهٔ بازی محل را "
        "پوشش دهد، پاسخ همان لحظه اعلام می‌شود؛ وگرنه حادثهٔ تازه برای امور برق باز می‌شود و "
        "نتیجه با پیامک به تلفن گزارش‌دهنده فرستاده می‌شود. "
        "(Report a power outage at an electricity subscription; the result is sent by SMS.)"
    ),
    "metadata": True,
    "type": "realtime",
    "keywords": "electricity,outage,خاموشی",
    "group": "برق",
}
BILL_ID_ATTRIBUTE = {
    "variable": True,
    "code": "bill_id",
    "datatype": "string",
    "required": True,
    "datatype_description": "شناسه قبض برق (۶ تا ۱۳ رقم)",
    "order": 1,
    "description": "شناسه قبض برق محل قطعی",
}
POST_LIMIT = 60
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
POST_WINDOW = dt.timedelta(minutes=1)


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


def _clean(value: str | None) -> str:
    """Form text as stored: NUL bytes (PostgreSQL refuses them) removed, whitespace trimmed."""
    return (value or "").replace("\x00", "").strip()


def open311_endpoint(*methods: str):
    """Check the format suffix and the method, and turn every refusal into the spec's error
    list: ``Open311Error`` and ``PortalError`` carry their status; a malformed body is 400."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view):
        @functools.wraps(view)
        @csrf_exempt
        def wrapper(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return render_errors([f"Unknown format: {fmt[:20]}"], status=404)
            if request.method not in allowed:
                response = render_errors(
                    [f"Method {request.method} not allowed"], status=405, fmt=fmt
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return render_errors(exc.descriptions, status=exc.status, fmt=fmt)
            except RateLimited as exc:
                response = render_errors([exc.message], status=429, fmt=fmt)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except PortalError as exc:
                return render_errors([exc.message], status=exc.status_code, fmt=fmt)
            except (MultiPartParserError, BadRequest, SuspiciousOperation) as exc:
                if isinstance(exc, RequestDataTooBig):
                    return render_errors(["Request body too large"], status=400, fmt=fmt)
                return render_errors(["Malformed request body"], status=400, fmt=fmt)

        return wrapper

    return decorator


def base_url() -> str:
    """The absolute URL clients append ``services.json`` etc. to."""
    services = reverse("open311:services", kwargs={"fmt": "json"})
    return settings.SITE_URL.rstrip("/") + services.removesuffix("services.json")


def iso(moment: dt.datetime | None) -> str:
    """W3C date-time with the Tehran offset (+03:30), as the spec's examples carry theirs."""
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


# --- discovery and services --------------------------------------------------------------------


@open311_endpoint("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    data = {
        "changeset": CHANGESET,
        "contact": getattr(
            settings, "OPEN311_CONTACT", f"مرکز تماس ۱۲۱ — Call center 121 ({settings.SITE_URL})"
        ),
        "key_service": getattr(
            settings,
            "OPEN311_KEY_SERVICE",
            "کلید api_key را از مدیر سامانه درخواست کنید (Ask the portal administrator for an "
            "api_key): " + settings.SITE_URL,
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url(),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt=fmt, root="discovery")


@open311_endpoint("GET")
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render([SERVICE], fmt=fmt, root="services", item="service")


@open311_endpoint("GET")
def service_definition(request: HttpRequest, service_code: str, *, fmt: str) -> HttpResponse:
    if service_code != SERVICE_CODE:
        raise Open311Error(404, f"Unknown service_code: {service_code[:40]}")
    data = {"service_code": SERVICE_CODE, "attributes": [BILL_ID_ATTRIBUTE]}
    return render(data, fmt=fmt, root="service_definition")


# --- requests ------------------------------------------------------------------------------------


@open311_endpoint("GET", "POST")
def requests_(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


def _coordinate(raw: str, *, name: str, limit: int) -> Decimal:
    try:
        value = Decimal(normalize_digits(raw).replace("٫", "."))
    except InvalidOperation:
        raise ValueError(f"{name} must be a number") from None
    if not value.is_finite() or not -limit <= value <= limit:
        raise ValueError(f"{name} must be a number between -{limit} and {limit}")
    return value.quantize(Decimal("0.000001"))


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST Service Request: 403 without an active key; 404 for an unknown service; 400 listing
    every problem of the input at once; else the report is filed (or the same mobile's
    existing report on this outage comes back) and its code and token are returned."""
    data = request.POST
    raw_key = data.get("api_key") or request.GET.get("api_key") or ""
    key = api_key_authenticate(raw_key=_clean(raw_key))
    if key is None:
        raise Open311Error(403, "Invalid or missing api_key — کلید api_key نامعتبر است.")
    rate_limit_hit(scope="open311-post", key=str(key.pk), limit=POST_LIMIT, window=POST_WINDOW)

    service_code = _clean(data.get("service_code"))
    if not service_code:
        raise Open311Error(400, "service_code is required — service_code وارد نشده است.")
    if service_code != SERVICE_CODE:
        raise Open311Error(404, f"Unknown service_code: {service_code[:40]}")

    errors: list[str] = []
    raw_lat, raw_long = _clean(data.get("lat")), _clean(data.get("long"))
    address_string = _clean(data.get("address_string"))
    address_id = _clean(data.get("address_id"))
    lat = long = None
    if raw_lat or raw_long:
        if not (raw_lat and raw_long):
            errors.append("lat and long must be given together — lat و long باید با هم بیایند.")
        else:
            for raw, name, limit in ((raw_lat, "lat", 90), (raw_long, "long", 180)):
                try:
                    value = _coordinate(raw, name=name, limit=limit)
                except ValueError as exc:
                    errors.append(str(exc))
                    continue
                if name == "lat":
                    lat = value
                else:
                    long = value
    elif not (address_string or address_id):
        errors.append(
            "A location is required: lat and long, address_string or address_id — "
            "موقعیت (lat/long یا نشانی) وارد نشده است."
        )

    subscription = None
    try:
        subscription = subscription_for_outage(bill_id=_clean(data.get("attribute[bill_id]")))
    except PortalError as exc:
        errors.append(exc.message)

    phone = _clean(data.get("phone"))
    try:
        phone = clean_mobile(phone)
    except InvalidIdentifier as exc:
        errors.append(f"phone: {exc.message}")

    if errors:
        raise Open311Error(400, *errors)

    outcome = report_file(
        subscription=subscription,
        mobile=phone,
        channel=ReportChannel.OPEN311,
        api_key=key,
        description=_clean(data.get("description")),
        address_string=address_string,
        lat=lat,
        long=long,
        first_name=_clean(data.get("first_name")),
        last_name=_clean(data.get("last_name")),
    )
    report = outcome.report
    answer = [
        {
            "service_request_id": report.code,
            "token": str(report.token),
            "service_notice": outcome.message,
            "account_id": "",
        }
    ]
    return render(answer, fmt=fmt, root="service_requests", item="request")


def _parse_moment(raw: str, name: str) -> dt.datetime | None:
    raw = normalize_digits(raw).strip()
    if not raw:
        return None
    # An unencoded "+03:30" in a query string arrives as " 03:30".
    if " " in raw and "T" in raw:
        head, _, tail = raw.rpartition(" ")
        raw = f"{head}+{tail}"
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            if day is not None:
                moment = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name} must be a W3C date-time, e.g. 2026-01-31T08:00:00+03:30")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    # Clamp far-off years ("0001-01-01" = "from the start") so the 90-day default window and
    # the conversion to UTC cannot overflow.
    return min(max(moment, EARLIEST), LATEST)


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET Service Requests: service_request_id (comma-separated, overrides the rest),
    service_code, start_date, end_date, status ("open", "closed" or both)."""
    params = request.GET
    raw_ids = _clean(params.get("service_request_id"))
    if raw_ids:
        codes = [c.strip() for c in normalize_digits(raw_ids).split(",") if c.strip()][:1000]
        found = open311_reports(codes=codes)
    else:
        service_code = _clean(params.get("service_code"))
        start = _parse_moment(_clean(params.get("start_date")), "start_date")
        end = _parse_moment(_clean(params.get("end_date")), "end_date")
        if start and end and end < start:
            raise Open311Error(400, "end_date must not precede start_date")
        raw_status = _clean(params.get("status")).lower()
        statuses = None
        if raw_status:
            statuses = {s.strip() for s in raw_status.split(",") if s.strip()}
            if not statuses or not statuses <= {"open", "closed"}:
                raise Open311Error(400, "status must be open, closed or open,closed")
        if service_code and service_code != SERVICE_CODE:
            found = []
        else:
            found = open311_reports(start=start, end=end, statuses=statuses)
    return render(
        [_request_dict(item) for item in found],
        fmt=fmt,
        root="service_requests",
        item="request",
    )


def _request_dict(item) -> dict:
    # Nothing the reporter typed or is (mobile, name, description, address, location) leaves
    # here: anyone may read these lists.
    return {
        "service_request_id": item.code,
        "status": "open" if item.is_open else "closed",
        "status_notes": item.status_notes,
        "service_name": SERVICE_NAME,
        "service_code": SERVICE_CODE,
        "description": "",
        "agency_responsible": item.agency_responsible,
        "service_notice": "",
        "requested_datetime": iso(item.requested_at),
        "updated_datetime": iso(item.updated_at),
        "expected_datetime": iso(item.expected_at),
        "address": item.address,
        "address_id": "",
        "zipcode": "",
        "lat": "",
        "long": "",
        "media_url": "",
    }


@open311_endpoint("GET")
def request_detail(request: HttpRequest, service_request_id: str, *, fmt: str) -> HttpResponse:
    code = normalize_digits(service_request_id).strip()
    found = open311_reports(codes=[code]) if code.isdigit() and len(code) <= 8 else []
    if not found:
        raise Open311Error(404, f"Unknown service_request_id: {service_request_id[:20]}")
    return render([_request_dict(found[0])], fmt=fmt, root="service_requests", item="request")


@open311_endpoint("GET")
def token_detail(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    try:
        value = uuid.UUID(token)
    except ValueError:
        value = None
    report = open311_report_by_token(value) if value else None
    if report is None:
        raise Open311Error(404, "Unknown token")
    data = [{"service_request_id": report.code, "token": str(report.token)}]
    return render(data, fmt=fmt, root="service_requests", item="request")


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "xml" if path.lower().endswith(".xml") else "json"
    return render_errors(["Not found"], status=404, fmt=fmt)
