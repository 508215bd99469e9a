"""The 15 fixed-line services of seed 002 as request types of the request engine.

The engine (``requests_app.services.workflow``) stays generic: for a type with behaviour
``LINE_SERVICE`` it calls, through function-level imports,

- ``line_service_check`` at filing, before anything is saved: the line's e-services must be
  activated for the applicant (``line_access_for``), then the service's own field rules
  (Jalali dates, time windows, the toggle's target state — switching a line to the state it
  already has is refused, naming the field);
- ``line_service_submitted`` once submitted (a reported fault marks the line faulty) and
  ``line_service_withdrawn`` when a request is cancelled or rejected (the mark is undone);
- ``line_service_complete`` in the completing transaction: the line's flags or status change
  under a row lock, the completion event's note records what changed, and exactly one SMS
  tells the applicant (it replaces the engine's generic "completed" SMS).

Toggles that need no field work have ``completes_at_once`` (the engine completes them as the
system right after filing, or after the fee is paid for the charged second-zero block); the
others wait in the telephone center's queue (the line's subscription office) for staff.

Which rule applies is keyed by the request type's fixed ``code`` (``tel-…``), created on every
install by migration ``requests_app.0006_line_service_catalog``; an administrator may change
titles, fees and SLAs in admin, not what a code does. A ``LINE_SERVICE`` type with an unknown
code is refused at filing.

The 2828 PIN is drawn here, sent in the SMS and kept only as a salted hash on the request
(``fields["pin_hash"]``); it is never written to the request's fields, the event log or the
log in clear. (The SMS outbox row necessarily holds it until the provider has it, like the
login codes.)
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jdatetime
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue, sms_enqueue_rendered
from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import InvalidIdentifier, clean_postal_code
from portal.jalali import parse_jalali_date
from requests_app.models import Actor, Payment, RequestEvent, RequestType, ServiceRequest
from subscribers.models import Subscription, User
from telecom.models import CallType, PhoneLine, SpecialService
from telecom.selectors.lines import TEHRAN, LineAccess, line_access_for

# --- Codes (the natural keys of the seeded request types) -----------------------------------

CDR = "tel-cdr"
SPECIAL_SERVICES = "tel-special-services"
RELOCATION_CHECK = "tel-relocation-check"
DIRECTORY_118 = "tel-directory-118"
SECOND_ZERO_BLOCK = "tel-second-zero-block"
SECOND_ZERO_UNBLOCK = "tel-second-zero-unblock"
HARASSMENT_TRACE = "tel-harassment-trace"
NUMBER_CHANGE = "tel-number-change"
ADDRESS_CORRECTION = "tel-address-correction"
DISCONNECT = "tel-disconnect"
ADSL = "tel-adsl"
PIN_2828 = "tel-2828-pin"
SMS_SERVICE = "tel-sms-service"
FAULT_REPORT = "tel-fault-report"
DUPLICATE_BILL = "tel-duplicate-bill"
SMART_CDR = "tel-smart-cdr"

ON, OFF = "on", "off"
# How far back the switch keeps what a harassment trace needs (the operator's retention).
TRACE_LOOKBACK_DAYS = 90
PIN_DIGITS = 6
SMS_TEMPLATE = "telecom_line_service"
PIN_TEMPLATE = "telecom_2828_pin"

NOT_ACTIVATED = (
    "خدمات الکترونیک این خط هنوز برای شما فعال نشده است؛ برای فعال‌سازی با مدارک شناسایی "
    "به یکی از مراکز تلفن مراجعه کنید."
)
_TIME_RE = re.compile(r"(\d{1,2})[:٫.](\d{2})")


@dataclass
class Filing:
    """What a rule sees at filing."""

    request_type: RequestType
    line: PhoneLine
    access: LineAccess
    fields: dict[str, Any]


@dataclass
class Change:
    """What a completion changed: ``summary`` goes to the SMS and the event note."""

    summary: str
    link: str = ""


# --- Small helpers ------------------------------------------------------------------------


def _refuse(code: str, message: str, field: str) -> PortalError:
    return PortalError(code, message, fields={field: [message]})


def _label(request_type: RequestType, name: str) -> str:
    return request_type.field_labels().get(name, name)


def _fa_number(line: PhoneLine) -> str:
    return to_persian_digits(line.number)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _reverse(name: str, **kwargs: Any) -> str:
    try:
        return reverse(name, **kwargs)
    except NoReverseMatch:  # the page is not routed in this deployment
        return ""


def _date(request_type: RequestType, fields: dict[str, Any], name: str) -> dt.date | None:
    raw = fields.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_jalali_date(str(raw))
    except (ValueError, TypeError):
        label = _label(request_type, name)
        raise _refuse(
            "invalid_date", f"«{label}» تاریخ معتبری نیست (مثلاً ۱۴۰۳/۰۵/۱۲).", name
        ) from None


def _time(request_type: RequestType, fields: dict[str, Any], name: str) -> dt.time | None:
    raw = normalize_digits(str(fields.get(name) or "")).strip()
    if not raw:
        return None
    match = _TIME_RE.fullmatch(raw)
    hour, minute = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    if hour > 23 or minute > 59:
        label = _label(request_type, name)
        raise _refuse("invalid_time", f"«{label}» ساعت معتبری نیست (مثلاً ۱۴:۳۰).", name)
    return dt.time(hour, minute)


def _jalali(day: dt.date) -> str:
    """The canonical stored form: ASCII Jalali ``1403/05/12``."""
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")


def _already(request_type: RequestType, name: str, state: str) -> PortalError:
    return _refuse(
        "already_in_state",
        f"این خط هم‌اکنون {state} است؛ «{_label(request_type, name)}» را تغییر دهید.",
        name,
    )


# --- Filing rules -------------------------------------------------------------------------


def _check_period(filing: Filing, *, call_type: str = "") -> dict[str, Any]:
    """Call-record provision: a Jalali range, not in the future, and for a tenant inside the
    lease (a tenant never receives calls from before the lease, seed 002)."""
    rt, fields = filing.request_type, dict(filing.fields)
    start = _date(rt, fields, "from_date")
    end = _date(rt, fields, "to_date")
    today = timezone.localdate()
    if start and start > today:
        raise _refuse("date_in_future", f"«{_label(rt, 'from_date')}» در آینده است.", "from_date")
    if start and end and end < start:
        raise _refuse(
            "date_order",
            f"«{_label(rt, 'to_date')}» نباید پیش از «{_label(rt, 'from_date')}» باشد.",
            "to_date",
        )
    access = filing.access
    if access.visible_from is not None and start:
        lease_start = access.visible_from.astimezone(TEHRAN).date()
        if (end or today) < lease_start:
            raise _refuse(
                "before_lease",
                "این بازه پیش از شروع اجاره شماست؛ ریزمکالمات پیش از اجاره نمایش داده نمی‌شود.",
                "to_date" if end else "from_date",
            )
    if start:
        fields["from_date"] = _jalali(start)
    if end:
        fields["to_date"] = _jalali(end)
    if call_type:
        fields["call_type"] = call_type
    return fields


def _check_special(filing: Filing) -> dict[str, Any]:
    rt, fields, line = filing.request_type, filing.fields, filing.line
    service, action = fields["service"], fields["action"]
    active = service in (line.special_services or [])
    if (action == ON) == active:
        raise _refuse(
            "already_in_state",
            f"سرویس «{SpecialService(service).label}» روی این خط هم‌اکنون "
            f"{'فعال' if active else 'غیرفعال'} است؛ «{_label(rt, 'action')}» را تغییر دهید.",
            "action",
        )
    return fields


def _toggle_check(flag: str, on_word: str, off_word: str) -> Callable[[Filing], dict]:
    def check(filing: Filing) -> dict[str, Any]:
        current = bool(getattr(filing.line, flag))
        wanted = filing.fields["action"] == ON
        if current == wanted:
            raise _already(filing.request_type, "action", on_word if current else off_word)
        return filing.fields

    return check


def _check_second_zero(block: bool) -> Callable[[Filing], dict]:
    def check(filing: Filing) -> dict[str, Any]:
        if filing.line.second_zero_blocked == block:
            state = "بسته" if block else "باز"
            message = f"صفر دوم (تماس بین‌الملل) این خط هم‌اکنون {state} است."
            raise _refuse("already_in_state", message, "subscription")
        return filing.fields

    return check


def _check_trace(filing: Filing) -> dict[str, Any]:
    """Harassment tracing: one required window of the calls (date, from, to) and an optional
    second; each inside the switch's retention, not in the future, from before to."""
    rt, fields = filing.request_type, dict(filing.fields)
    today = timezone.localdate()
    for suffix in ("", "_2"):
        names = (f"call_date{suffix}", f"time_from{suffix}", f"time_to{suffix}")
        day = _date(rt, fields, names[0])
        start, end = _time(rt, fields, names[1]), _time(rt, fields, names[2])
        if suffix and day is None and start is None and end is None:
            continue
        for name, value in zip(names, (day, start, end), strict=True):
            if value is None:
                raise _refuse("window_incomplete", f"«{_label(rt, name)}» را وارد کنید.", name)
        if day > today:
            raise _refuse("date_in_future", f"«{_label(rt, names[0])}» در آینده است.", names[0])
        if day < today - dt.timedelta(days=TRACE_LOOKBACK_DAYS):
            raise _refuse(
                "too_old",
                f"«{_label(rt, names[0])}» بیش از {to_persian_digits(TRACE_LOOKBACK_DAYS)} روز "
                "پیش است و اطلاعات آن در مرکز نگهداری نمی‌شود.",
                names[0],
            )
        if end <= start:
            raise _refuse(
                "window_order",
                f"«{_label(rt, names[2])}» باید بعد از «{_label(rt, names[1])}» باشد.",
                names[2],
            )
        fields[names[0]] = _jalali(day)
        fields[names[1]] = start.strftime("%H:%M")
        fields[names[2]] = end.strftime("%H:%M")
    return fields


def _check_address(filing: Filing) -> dict[str, Any]:
    rt, fields = filing.request_type, dict(filing.fields)
    address_field = "new_address" if "new_address" in fields else "correct_address"
    address = " ".join(str(fields.get(address_field, "")).split())
    if len(address) < 10:
        raise _refuse(
            "address_short",
            f"«{_label(rt, address_field)}» را کامل بنویسید (خیابان، کوچه، پلاک).",
            address_field,
        )
    fields[address_field] = address
    try:
        fields["postal_code"] = clean_postal_code(fields.get("postal_code", ""))
    except InvalidIdentifier:
        raise _refuse(
            "invalid_postal_code", f"«{_label(rt, 'postal_code')}» باید ده رقم باشد.", "postal_code"
        ) from None
    if address_field == "correct_address" and (
        address == filing.line.subscription.address
        and fields["postal_code"] == filing.line.subscription.postal_code
    ):
        raise _refuse(
            "address_unchanged",
            "نشانی و کد پستی واردشده همان نشانی ثبت‌شده خط است.",
            address_field,
        )
    return fields


def _check_disconnect(filing: Filing) -> dict[str, Any]:
    """Temporary disconnection at the subscriber's request, and reconnection. Done on the
    switch without a visit, so at once; a reconnection is refused while the line's latest
    bill is unpaid past its due date (the company's own debt disconnection stays)."""
    rt, line, fields = filing.request_type, filing.line, filing.fields
    disconnected = line.status == PhoneLine.Status.DISCONNECTED
    if fields["action"] == "disconnect" and disconnected:
        raise _already(rt, "action", "قطع")
    if fields["action"] == "reconnect":
        if not disconnected:
            raise _already(rt, "action", "وصل")
        bill = _latest_bill(line=line, user=filing.access.link.user)
        if bill is not None and not bill.is_paid and bill.due_date < timezone.localdate():
            raise _refuse(
                "bill_unpaid",
                "آخرین قبض این خط پس از مهلت پرداخت هنوز پرداخت نشده است؛ پس از پرداخت آن، "
                "وصل مجدد را درخواست کنید.",
                "action",
            )
    return fields


def _check_working_line(filing: Filing) -> dict[str, Any]:
    if filing.line.status == PhoneLine.Status.DISCONNECTED:
        raise _refuse(
            "line_disconnected",
            "این خط قطع است؛ ابتدا «وصل مجدد» را درخواست کنید.",
            "subscription",
        )
    return filing.fields


def _check_adsl(filing: Filing) -> dict[str, Any]:
    _check_working_line(filing)
    if filing.line.adsl:
        raise _refuse("already_in_state", "سرویس ADSL روی این خط فعال است.", "subscription")
    return filing.fields


def _check_duplicate_bill(filing: Filing) -> dict[str, Any]:
    if _latest_bill(line=filing.line, user=filing.access.link.user) is None:
        raise _refuse(
            "no_bill",
            "هنوز صورتحسابی برای این خط (در دوره دسترسی شما) صادر نشده است.",
            "subscription",
        )
    return filing.fields


def _no_rule(filing: Filing) -> dict[str, Any]:
    return filing.fields


def _latest_bill(*, line: PhoneLine, user: User):
    """The newest issued bill of the line that ``user`` may see (a tenant: inside the lease)."""
    from billing.selectors.bills import bill_access_for_user, bills_visible

    try:
        access = bill_access_for_user(user=user, bill_id=line.subscription.bill_id)
    except NotFound:
        return None
    return bills_visible(access=access).first()


# --- Completion effects -------------------------------------------------------------------


def _cdr_link(request: ServiceRequest, line: PhoneLine) -> str:
    path = _reverse("telecom:calls", kwargs={"number": line.number}) or _reverse("telecom:lines")
    if not path:
        return ""
    query = [f"{key}={request.fields[key]}" for key in ("from_date", "to_date", "call_type")
             if request.fields.get(key)]  # fmt: skip
    return _absolute(path + ("?" + "&".join(query) if query else ""))


def _done_cdr(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    fields = request.fields
    span = ""
    if fields.get("from_date") or fields.get("to_date"):
        span = (
            f" از {to_persian_digits(fields.get('from_date', '…'))}"
            f" تا {to_persian_digits(fields.get('to_date', 'امروز'))}"
        )
    kind = (
        "ریزمکالمات سرویس هوشمند" if fields.get("call_type") == CallType.SMART else ("ریزمکالمات")
    )
    return Change(
        summary=f"{kind} خط {_fa_number(line)}{span} در جستجوی پیشرفته سامانه آماده است.",
        link=_cdr_link(request, line),
    )


def _guard(strict: bool, unchanged: bool, message: str, field: str) -> None:
    """At an at-once completion nothing may race past the filing check: refuse a toggle to
    the state the line already has. After a paid fee or by staff, complete idempotently."""
    if strict and unchanged:
        raise _refuse("already_in_state", message, field)


def _done_special(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    service, on = request.fields["service"], request.fields["action"] == ON
    current = list(line.special_services or [])
    name = SpecialService(service).label
    _guard(strict, (service in current) == on, f"سرویس «{name}» از پیش همین وضعیت را دارد.",
           "action")  # fmt: skip
    if on and service not in current:
        current.append(service)
    if not on:
        current = [code for code in current if code != service]
    line.special_services = sorted(current)
    line.save(update_fields=["special_services", "updated_at"])
    return Change(f"سرویس «{name}» روی خط {_fa_number(line)} {'فعال' if on else 'غیرفعال'} شد.")


def _flag_done(flag: str, on_text: str, off_text: str) -> Callable[..., Change]:
    def done(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
        wanted = request.fields.get("action", ON) == ON
        _guard(strict, getattr(line, flag) == wanted, "این خط از پیش همین وضعیت را دارد.",
               "action")  # fmt: skip
        setattr(line, flag, wanted)
        line.save(update_fields=[flag, "updated_at"])
        text = on_text if wanted else off_text
        return Change(text.format(number=_fa_number(line)))

    return done


def _second_zero_done(block: bool) -> Callable[..., Change]:
    def done(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
        _guard(strict, line.second_zero_blocked == block, "صفر دوم از پیش همین وضعیت را دارد.",
               "subscription")  # fmt: skip
        line.second_zero_blocked = block
        line.save(update_fields=["second_zero_blocked", "updated_at"])
        state = "بسته شد؛ تماس بین‌الملل ممکن نیست" if block else "باز شد"
        return Change(f"صفر دوم (بین‌الملل) خط {_fa_number(line)} {state}.")

    return done


def _done_disconnect(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    disconnect = request.fields["action"] == "disconnect"
    target = PhoneLine.Status.DISCONNECTED if disconnect else PhoneLine.Status.ACTIVE
    _guard(strict, line.status == target, "این خط از پیش همین وضعیت را دارد.", "action")
    line.status = target
    line.save(update_fields=["status", "updated_at"])
    return Change(f"خط {_fa_number(line)} {'قطع' if disconnect else 'وصل'} شد.")


def _done_adsl(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    line.adsl = True
    line.save(update_fields=["adsl", "updated_at"])
    return Change(f"سرویس ADSL روی خط {_fa_number(line)} راه‌اندازی شد.")


def _done_fault(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    if line.status == PhoneLine.Status.FAULTY:
        line.status = PhoneLine.Status.ACTIVE
        line.save(update_fields=["status", "updated_at"])
    return Change(f"خرابی خط {_fa_number(line)} برطرف شد.")


def _done_address(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    subscription = Subscription.objects.select_for_update().get(pk=line.subscription_id)
    subscription.address = request.fields["correct_address"][:300]
    subscription.postal_code = request.fields["postal_code"]
    subscription.save(update_fields=["address", "postal_code"])
    return Change(f"نشانی محل نصب خط {_fa_number(line)} اصلاح شد.")


NUMBER_RE = re.compile(r"0\d{10}")


def _done_number_change(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    """The supervisor writes the number the center assigned in the approval note; it must
    keep the line's area code and be free."""
    note = normalize_digits(_completion_note(request))
    found = NUMBER_RE.findall(note.replace("-", "").replace(" ", ""))
    message = (
        "شماره جدید (۱۱ رقم با کد شهر، مثلاً ۰۴۱۳۳۳۳۴۴۴۴) را در توضیح تأیید بنویسید؛ "
        "شماره باید با کد شهر همین خط شروع شود و آزاد باشد."
    )
    new = next((n for n in found if n != line.number and n[:3] == line.number[:3]), None)
    if new is None or PhoneLine.objects.filter(number=new).exclude(pk=line.pk).exists():
        raise _refuse("new_number_required", message, "note")
    old = line.number
    line.number = new
    line.save(update_fields=["number", "updated_at"])
    request.fields = {**request.fields, "old_number": old, "new_number": new}
    request.save(update_fields=["fields"])
    return Change(f"شماره تلفن {to_persian_digits(old)} به {to_persian_digits(new)} تغییر کرد.")


def _completion_note(request: ServiceRequest) -> str:
    event = request.events.filter(new_status="completed").order_by("-id").first()
    return event.note if event else ""


def _done_relocation(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    return Change(
        f"بررسی امکان تغییر مکان خط {_fa_number(line)} انجام شد؛ نتیجه را در صفحه درخواست "
        "ببینید یا با مرکز تلفن تماس بگیرید."
    )


def _done_trace(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    return Change(
        f"درخواست کشف مزاحمت خط {_fa_number(line)} بررسی شد؛ نتیجه فقط حضوری در مرکز تلفن "
        "به صاحب تلفن اعلام می‌شود."
    )


def _done_duplicate_bill(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    bill = _latest_bill(line=line, user=request.applicant)
    if bill is None:
        raise _refuse("no_bill", "هنوز صورتحسابی برای این خط صادر نشده است.", "subscription")
    path = _reverse("billing:bill-pdf", kwargs={"uid": bill.uid})
    return Change(
        f"قبض المثنی دوره {to_persian_digits(bill.period)} سال {to_persian_digits(bill.year)} "
        f"خط {_fa_number(line)} آماده دریافت است.",
        link=_absolute(path) if path else "",
    )


def _done_pin(request: ServiceRequest, line: PhoneLine, strict: bool) -> Change:
    # Handled by ``line_service_complete`` (its SMS carries the PIN); never reached.
    raise AssertionError("the 2828 PIN has its own completion")


@dataclass(frozen=True)
class LineService:
    check: Callable[[Filing], dict[str, Any]]
    done: Callable[[ServiceRequest, PhoneLine, bool], Change]
    # Reported faults mark the line until the request is closed.
    marks_faulty: bool = False


RULES: dict[str, LineService] = {
    CDR: LineService(_check_period, _done_cdr),
    SMART_CDR: LineService(lambda f: _check_period(f, call_type=CallType.SMART), _done_cdr),
    SPECIAL_SERVICES: LineService(_check_special, _done_special),
    RELOCATION_CHECK: LineService(_check_address, _done_relocation),
    DIRECTORY_118: LineService(
        _toggle_check("directory_listed", "در ۱۱۸ اعلام‌شده", "در ۱۱۸ اعلام‌نشده"),
        _flag_done(
            "directory_listed",
            "شماره {number} در ۱۱۸ اعلام می‌شود.",
            "شماره {number} دیگر در ۱۱۸ اعلام نمی‌شود.",
        ),
    ),
    SECOND_ZERO_BLOCK: LineService(_check_second_zero(True), _second_zero_done(True)),
    SECOND_ZERO_UNBLOCK: LineService(_check_second_zero(False), _second_zero_done(False)),
    HARASSMENT_TRACE: LineService(_check_trace, _done_trace),
    NUMBER_CHANGE: LineService(_check_working_line, _done_number_change),
    ADDRESS_CORRECTION: LineService(_check_address, _done_address),
    DISCONNECT: LineService(_check_disconnect, _done_disconnect),
    ADSL: LineService(_check_adsl, _done_adsl),
    PIN_2828: LineService(_check_working_line, _done_pin),
    SMS_SERVICE: LineService(
        _toggle_check("sms_service", "دارای سرویس پیامک فعال", "بدون سرویس پیامک"),
        _flag_done(
            "sms_service",
            "سرویس پیامک خط {number} فعال شد.",
            "سرویس پیامک خط {number} غیرفعال شد.",
        ),
    ),
    FAULT_REPORT: LineService(_check_working_line, _done_fault, marks_faulty=True),
    DUPLICATE_BILL: LineService(_check_duplicate_bill, _done_duplicate_bill),
}


def _rule(request_type: RequestType) -> LineService:
    rule = RULES.get(request_type.code)
    if rule is None:
        raise PortalError(
            "line_service_unknown",
            "این خدمت برای خطوط تلفن ثابت تعریف نشده است؛ با امور مشترکین تماس بگیرید.",
        )
    return rule


# --- Engine hooks -------------------------------------------------------------------------


def line_service_check(
    *,
    request_type: RequestType,
    applicant: User,
    subscription: Subscription,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """Filing check of a line service (the engine has already cleaned the schema's kinds and
    checked the link and owner/tenant rule). Refuses with a ``PortalError`` naming the field
    when the subscription is not a phone line, the line's e-services are not activated for
    ``applicant``, or the service's own rules fail; returns the fields to store (dates and
    times in canonical form). Writes nothing."""
    rule = _rule(request_type)
    line = PhoneLine.objects.filter(subscription=subscription).select_related("subscription")
    line = line.first()
    if line is None:
        raise _refuse("not_a_line", "این اشتراک خط تلفن ثابت نیست.", "subscription")
    try:
        access = line_access_for(user=applicant, number=line.number)
    except NotFound:
        raise _refuse("line_not_activated", NOT_ACTIVATED, "subscription") from None
    return rule.check(Filing(request_type=request_type, line=line, access=access, fields=fields))


def _lock_line(request: ServiceRequest) -> PhoneLine:
    return (
        PhoneLine.objects.select_for_update(of=("self",))
        .select_related("subscription")
        .get(subscription_id=request.subscription_id)
    )


def line_service_submitted(*, request: ServiceRequest) -> None:
    """A fault report marks a working line faulty while it is open (in the filing
    transaction)."""
    if _rule(request.request_type).marks_faulty:
        line = _lock_line(request)
        if line.status == PhoneLine.Status.ACTIVE:
            line.status = PhoneLine.Status.FAULTY
            line.save(update_fields=["status", "updated_at"])


def line_service_withdrawn(*, request: ServiceRequest) -> None:
    """A cancelled or rejected fault report gives the line its working status back."""
    rule = RULES.get(request.request_type.code)
    if rule is not None and rule.marks_faulty:
        line = _lock_line(request)
        if line.status == PhoneLine.Status.FAULTY:
            line.status = PhoneLine.Status.ACTIVE
            line.save(update_fields=["status", "updated_at"])


def line_service_complete(*, request: ServiceRequest, event: RequestEvent | None) -> bool:
    """Apply a completed line service in the completing transaction and queue its one SMS.

    The line is locked; a toggle completed at once re-checks the line's state under the lock
    (a concurrent twin filing is refused and rolled back whole); after a paid fee or by
    staff the change is applied idempotently. The completion event's note records what
    changed (never the 2828 PIN). Returns True: the applicant's SMS is queued here, keyed by
    the completion event so the engine's generic SMS is not sent too."""
    rule = _rule(request.request_type)
    line = _lock_line(request)
    strict = (
        event is not None
        and event.actor_role == Actor.SYSTEM
        and not request.payments.filter(state=Payment.State.PAID).exists()
    )
    key = f"request-event:{event.pk}" if event is not None else f"line-service:{request.number}"
    mobile = request.applicant.mobile
    if request.request_type.code == PIN_2828:
        summary = f"رمز جدید ۲۸۲۸ خط {_fa_number(line)} صادر و پیامک شد."
        pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
        request.fields = {**request.fields, "pin_hash": make_password(pin)}
        request.save(update_fields=["fields"])
        _note(event, summary)
        if mobile:
            sms_enqueue(
                recipient=mobile,
                kind=OutboxMessage.Kind.REQUEST_STATUS,
                template=PIN_TEMPLATE,
                tokens={"token": pin, "token2": line.number, "token3": request.number},
                idempotency_key=key,
                secret=True,
            )
        return True
    change = rule.done(request, line, strict)
    _note(event, change.summary)
    if mobile:
        sms_enqueue_rendered(
            recipient=mobile,
            kind=OutboxMessage.Kind.REQUEST_STATUS,
            template_name=SMS_TEMPLATE,
            context={
                "number": to_persian_digits(request.number),
                "title": request.request_type.title,
                "summary": change.summary,
                "link": change.link,
            },
            idempotency_key=key,
        )
    return True


def _note(event: RequestEvent | None, summary: str) -> None:
    if event is None:
        return
    note = f"{event.note}\n{summary}".strip() if event.note else summary
    event.note = note
    event.save(update_fields=["note"])
