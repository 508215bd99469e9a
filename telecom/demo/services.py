"""Demo step: the 15 fixed-line services of seed 002 as request types (behaviour
``LINE_SERVICE``), upserted on their codes. What each code does is in
``telecom.services.line_services``; titles, fees and SLAs here are demo values an administrator
sets in admin from the company's tariff book.

The second-zero service is two types: blocking is charged and unblocking is free, and a type
has one fee. Toggles without field work complete at once (``completes_at_once``); the rest wait
in the telephone center's queue.
"""

from __future__ import annotations

from typing import Any

from portal.demo import SeedContext, upsert
from requests_app.demo import request_type_values
from requests_app.models import RequestType
from telecom.models import CallType, SpecialService
from telecom.services import line_services as ls

KIND = RequestType.CompanyKind.TELECOM

ON_OFF = [[ls.ON, "فعال شود"], [ls.OFF, "غیرفعال شود"]]
DATE_HINT = "(مثلاً ۱۴۰۳/۰۵/۱۲)"
PERIOD_FIELDS = [
    {"name": "from_date", "label": f"از تاریخ {DATE_HINT}", "kind": "text", "required": False,
     "max_length": 10},
    {"name": "to_date", "label": f"تا تاریخ {DATE_HINT}", "kind": "text", "required": False,
     "max_length": 10},
]  # fmt: skip
ADDRESS_FIELDS = [
    {"name": "postal_code", "label": "کد پستی (ده رقم)", "kind": "text", "required": True,
     "max_length": 10},
]  # fmt: skip


def _window(suffix: str, label: str, required: bool) -> list[dict[str, Any]]:
    return [
        {"name": f"call_date{suffix}", "label": f"تاریخ تماس‌های مزاحم{label} {DATE_HINT}",
         "kind": "text", "required": required, "max_length": 10},
        {"name": f"time_from{suffix}", "label": f"از ساعت{label} (مثلاً ۲۲:۰۰)", "kind": "text",
         "required": required, "max_length": 5},
        {"name": f"time_to{suffix}", "label": f"تا ساعت{label} (مثلاً ۲۳:۳۰)", "kind": "text",
         "required": required, "max_length": 5},
    ]  # fmt: skip


LINE_SERVICES: tuple[dict[str, Any], ...] = (
    {
        "code": ls.CDR,
        "title": "ارائه ریزمکالمات تلفن",
        "description": (
            "ریزمکالمات بین‌شهری، همراه و بین‌الملل خط در جستجوی پیشرفته سامانه نمایش داده "
            "می‌شود (مکالمات شهری تفکیک نمی‌شود). پیوند جستجو بی‌درنگ پیامک می‌شود."
        ),
        "tenant_allowed": True,
        "completes_at_once": True,
        "fields_schema": [
            *PERIOD_FIELDS,
            {
                "name": "call_type",
                "label": "نوع مکالمه",
                "kind": "choice",
                "required": False,
                "choices": [
                    [c.value, str(c.label)]
                    for c in (CallType.INTERCITY, CallType.MOBILE, CallType.INTERNATIONAL)
                ],
            },
        ],
        "sla_hours": 1,
    },
    {
        "code": ls.SPECIAL_SERVICES,
        "title": "برقراری یا قطع سرویس‌های ویژه",
        "description": "انتظار مکالمه، انتقال مکالمه، کنفرانس، نمایش شماره و… بی‌درنگ.",
        "tenant_allowed": True,
        "completes_at_once": True,
        "fields_schema": [
            {
                "name": "service",
                "label": "سرویس ویژه",
                "kind": "choice",
                "required": True,
                "choices": [[c.value, str(c.label)] for c in SpecialService],
            },
            {
                "name": "action",
                "label": "روشن یا خاموش کردن سرویس",
                "kind": "choice",
                "required": True,
                "choices": ON_OFF,
            },
        ],
        "sla_hours": 1,
    },
    {
        "code": ls.RELOCATION_CHECK,
        "title": "بررسی امکان تغییر مکان تلفن",
        "description": "کارشناس مرکز امکان انتقال خط به نشانی جدید را بررسی و اعلام می‌کند.",
        "stages": ("visit",),
        "sla_hours": 120,
        "fields_schema": [
            {
                "name": "new_address",
                "label": "نشانی جدید",
                "kind": "text",
                "required": True,
                "max_length": 300,
            },
            *ADDRESS_FIELDS,
        ],
    },
    {
        "code": ls.DIRECTORY_118,
        "title": "اعلام یا عدم اعلام شماره به ۱۱۸",
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": [
            {
                "name": "action",
                "label": "اعلام شماره در ۱۱۸",
                "kind": "choice",
                "required": True,
                "choices": [[ls.ON, "در ۱۱۸ اعلام شود"], [ls.OFF, "در ۱۱۸ اعلام نشود"]],
            },
        ],
    },
    {
        "code": ls.SECOND_ZERO_BLOCK,
        "title": "بستن صفر دوم (تماس بین‌الملل)",
        "description": "پس از پرداخت هزینه، صفر دوم خط بی‌درنگ بسته می‌شود.",
        "tenant_allowed": True,
        "completes_at_once": True,
        "stages": ("payment",),
        "fees": (150_000, 150_000, 150_000),
        "kiosk_charge": 109_000,
        "sla_hours": 1,
    },
    {
        "code": ls.SECOND_ZERO_UNBLOCK,
        "title": "باز کردن صفر دوم (تماس بین‌الملل)",
        "description": "رایگان و بی‌درنگ؛ فقط صاحب تلفن می‌تواند صفر دوم را باز کند.",
        "completes_at_once": True,
        "sla_hours": 1,
    },
    {
        "code": ls.HARASSMENT_TRACE,
        "title": "کشف مزاحمت تلفنی",
        "description": (
            "فقط صاحب تلفن. بازه تاریخ و ساعت تماس‌های مزاحم را دقیق بنویسید؛ نتیجه حضوری در "
            f"مرکز تلفن اعلام می‌شود. تماس‌های بیش از {ls.TRACE_LOOKBACK_DAYS} روز پیش قابل "
            "بررسی نیست."
        ),
        "stages": ("approval",),
        "sla_hours": 168,
        "fields_schema": [
            *_window("", "", True),
            *_window("_2", " (بازه دوم، اختیاری)", False),
        ],
    },
    {
        "code": ls.NUMBER_CHANGE,
        "title": "تعویض شماره تلفن",
        "description": (
            "پس از پرداخت هزینه، مرکز شماره جدید را تخصیص می‌دهد و رئیس امور آن را ثبت می‌کند."
        ),
        "stages": ("payment", "approval"),
        "fees": (1_200_000, 1_200_000, 1_200_000),
        "kiosk_charge": 109_000,
        "sla_hours": 72,
        "fields_schema": [
            {
                "name": "reason",
                "label": "دلیل تعویض",
                "kind": "choice",
                "required": True,
                "choices": [["harassment", "مزاحمت"], ["personal", "شخصی"], ["other", "سایر"]],
            },
        ],
    },
    {
        "code": ls.ADDRESS_CORRECTION,
        "title": "اصلاح نشانی محل نصب تلفن",
        "stages": ("visit",),
        "sla_hours": 96,
        "fields_schema": [
            {
                "name": "correct_address",
                "label": "نشانی درست محل نصب",
                "kind": "text",
                "required": True,
                "max_length": 300,
            },
            *ADDRESS_FIELDS,
        ],
    },
    {
        "code": ls.DISCONNECT,
        "title": "قطع یا وصل تلفن",
        "description": (
            "قطع موقت به درخواست صاحب تلفن یا وصل مجدد، بی‌درنگ روی مرکز؛ وصل مجدد پس از "
            "پرداخت قبض معوق ممکن است."
        ),
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": [
            {
                "name": "action",
                "label": "قطع یا وصل خط",
                "kind": "choice",
                "required": True,
                "choices": [["disconnect", "قطع موقت"], ["reconnect", "وصل مجدد"]],
            },
        ],
    },
    {
        "code": ls.ADSL,
        "title": "درخواست سرویس ADSL",
        "tenant_allowed": True,
        "sla_hours": 72,
        "fields_schema": [
            {
                "name": "plan",
                "label": "سرعت درخواستی",
                "kind": "choice",
                "required": True,
                "choices": [["8", "۸ مگابیت"], ["16", "۱۶ مگابیت"], ["24", "۲۴ مگابیت"]],
            },
        ],
    },
    {
        "code": ls.PIN_2828,
        "title": "دریافت رمز ۲۸۲۸",
        "description": "رمز جدید بی‌درنگ به شماره همراه ثبت‌شده شما پیامک می‌شود.",
        "completes_at_once": True,
        "sla_hours": 1,
    },
    {
        "code": ls.SMS_SERVICE,
        "title": "سرویس ارسال پیامک تلفن ثابت",
        "tenant_allowed": True,
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": [
            {
                "name": "action",
                "label": "سرویس پیامک",
                "kind": "choice",
                "required": True,
                "choices": ON_OFF,
            },
        ],
    },
    {
        "code": ls.FAULT_REPORT,
        "title": "اعلام خرابی تلفن",
        "description": "خط تا رفع خرابی «خراب» ثبت می‌شود؛ روند رفع را در پیگیری ببینید.",
        "tenant_allowed": True,
        "stages": ("visit",),
        "sla_hours": 48,
        "fields_schema": [
            {
                "name": "fault",
                "label": "نوع خرابی",
                "kind": "choice",
                "required": True,
                "choices": [
                    ["no_tone", "بوق ندارد"],
                    ["noise", "نویز و خش‌خش"],
                    ["one_way", "صدا یک‌طرفه است"],
                    ["adsl", "اینترنت قطع است"],
                    ["other", "سایر"],
                ],
            },
        ],
    },
    {
        "code": ls.DUPLICATE_BILL,
        "title": "صدور قبض المثنی تلفن",
        "description": "پیوند نسخه PDF آخرین قبض خط بی‌درنگ پیامک می‌شود.",
        "tenant_allowed": True,
        "completes_at_once": True,
        "sla_hours": 1,
    },
    {
        "code": ls.SMART_CDR,
        "title": "ارائه ریزمکالمات سرویس هوشمند",
        "tenant_allowed": True,
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": PERIOD_FIELDS,
    },
)

# After the electricity and gas catalog (requests_app.demo), in the seed's order.
ORDER_START = 100


def seed_line_services(ctx: SeedContext) -> None:
    """Upsert the line-service request types on their codes (a second run changes nothing)."""
    for order, spec in enumerate(LINE_SERVICES, start=ORDER_START):
        values = request_type_values(
            {"company_kind": KIND, "behaviour": RequestType.Behaviour.LINE_SERVICE, **spec}
        )
        values.setdefault("description", "")
        values.setdefault("tenant_allowed", False)
        values.setdefault("completes_at_once", False)
        values.setdefault("fields_schema", [])
        values["order"] = order
        upsert(ctx, RequestType, {"code": spec["code"]}, values)
