"""The 16 fixed-line request types (the 15 services of seed 002; the second zero is a charged
block and a free unblock) become part of every install.

``telecom.services.line_services`` keys its rules on these exact codes, so a production
install — which never runs ``seed_demo`` — needs them too. The spec is frozen here (no import
of live code, which changes later): this migration must create the same rows forever.

Forward creates only the codes that do not exist yet and never touches an existing row: a
type an administrator created or edited (title, fees, SLA, active flag) is theirs. Fees are
the starting values of the two charged services; an administrator sets the company's
approved tariffs in admin.

Reverse is a no-op: the rows are valid under 0005's schema, filed requests protect their
types, and an administrator may have edited them since — deleting would lose their work or
fail. Re-applying forward then creates nothing twice (it goes by code).

``seed_demo`` calls ``create_line_services`` with the live app registry (``apps``), so a
flushed database (tests, ``manage.py flush``) gets the same rows back from this one spec.
"""

from __future__ import annotations

from django.db import migrations

DATE_HINT = "(مثلاً ۱۴۰۳/۰۵/۱۲)"
ON_OFF = [["on", "فعال شود"], ["off", "غیرفعال شود"]]
PERIOD_FIELDS = [
    {"name": "from_date", "label": f"از تاریخ {DATE_HINT}", "kind": "text", "required": False,
     "max_length": 10},
    {"name": "to_date", "label": f"تا تاریخ {DATE_HINT}", "kind": "text", "required": False,
     "max_length": 10},
]  # fmt: skip
POSTAL_CODE_FIELD = {"name": "postal_code", "label": "کد پستی (ده رقم)", "kind": "text",
                     "required": True, "max_length": 10}  # fmt: skip


def _window(suffix: str, label: str, required: bool) -> list[dict]:
    return [
        {"name": f"call_date{suffix}", "label": f"تاریخ تماس‌های مزاحم{label} {DATE_HINT}",
         "kind": "text", "required": required, "max_length": 10},
        {"name": f"time_from{suffix}", "label": f"از ساعت{label} (مثلاً ۲۲:۰۰)", "kind": "text",
         "required": required, "max_length": 5},
        {"name": f"time_to{suffix}", "label": f"تا ساعت{label} (مثلاً ۲۳:۳۰)", "kind": "text",
         "required": required, "max_length": 5},
    ]  # fmt: skip


# In the catalog's order (``order`` 100, 101, …: after the electricity and gas types). Keys
# other than "stages" and "fees" (web, kiosk, office) are RequestType fields; anything left
# out takes the default in ``_values``.
LINE_SERVICES: tuple[dict, ...] = (
    {
        "code": "tel-cdr",
        "title": "ارائه ریزمکالمات تلفن",
        "description": (
            "ریزمکالمات بین‌شهری، همراه و بین‌الملل خط در جستجوی پیشرفته سامانه نمایش داده "
            "می‌شود (مکالمات شهری تفکیک نمی‌شود). پیوند جستجو بی‌درنگ پیامک می‌شود."
        ),
        "tenant_allowed": True,
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": [
            *PERIOD_FIELDS,
            {
                "name": "call_type",
                "label": "نوع مکالمه",
                "kind": "choice",
                "required": False,
                "choices": [
                    ["intercity", "بین‌شهری"],
                    ["mobile", "تلفن همراه"],
                    ["international", "بین‌الملل"],
                ],
            },
        ],
    },
    {
        "code": "tel-special-services",
        "title": "برقراری یا قطع سرویس‌های ویژه",
        "description": "انتظار مکالمه، انتقال مکالمه، کنفرانس، نمایش شماره و… بی‌درنگ.",
        "tenant_allowed": True,
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": [
            {
                "name": "service",
                "label": "سرویس ویژه",
                "kind": "choice",
                "required": True,
                "choices": [
                    ["call_waiting", "انتظار مکالمه"],
                    ["call_forwarding", "انتقال مکالمه"],
                    ["conference", "مکالمه سه‌طرفه (کنفرانس)"],
                    ["caller_id", "نمایش شماره تماس‌گیرنده"],
                    ["hotline", "خط داغ"],
                    ["absent", "اعلام غیبت"],
                ],
            },
            {
                "name": "action",
                "label": "روشن یا خاموش کردن سرویس",
                "kind": "choice",
                "required": True,
                "choices": ON_OFF,
            },
        ],
    },
    {
        "code": "tel-relocation-check",
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
            POSTAL_CODE_FIELD,
        ],
    },
    {
        "code": "tel-directory-118",
        "title": "اعلام یا عدم اعلام شماره به ۱۱۸",
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": [
            {
                "name": "action",
                "label": "اعلام شماره در ۱۱۸",
                "kind": "choice",
                "required": True,
                "choices": [["on", "در ۱۱۸ اعلام شود"], ["off", "در ۱۱۸ اعلام نشود"]],
            },
        ],
    },
    {
        "code": "tel-second-zero-block",
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
        "code": "tel-second-zero-unblock",
        "title": "باز کردن صفر دوم (تماس بین‌الملل)",
        "description": "رایگان و بی‌درنگ؛ فقط صاحب تلفن می‌تواند صفر دوم را باز کند.",
        "completes_at_once": True,
        "sla_hours": 1,
    },
    {
        "code": "tel-harassment-trace",
        "title": "کشف مزاحمت تلفنی",
        "description": (
            "فقط صاحب تلفن. بازه تاریخ و ساعت تماس‌های مزاحم را دقیق بنویسید؛ نتیجه حضوری در "
            "مرکز تلفن اعلام می‌شود. تماس‌های بیش از 90 روز پیش قابل بررسی نیست."
        ),
        "stages": ("approval",),
        "sla_hours": 168,
        "fields_schema": [
            *_window("", "", True),
            *_window("_2", " (بازه دوم، اختیاری)", False),
        ],
    },
    {
        "code": "tel-number-change",
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
        "code": "tel-address-correction",
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
            POSTAL_CODE_FIELD,
        ],
    },
    {
        "code": "tel-disconnect",
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
        "code": "tel-adsl",
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
        "code": "tel-2828-pin",
        "title": "دریافت رمز ۲۸۲۸",
        "description": "رمز جدید بی‌درنگ به شماره همراه ثبت‌شده شما پیامک می‌شود.",
        "completes_at_once": True,
        "sla_hours": 1,
    },
    {
        "code": "tel-sms-service",
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
        "code": "tel-fault-report",
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
        "code": "tel-duplicate-bill",
        "title": "صدور قبض المثنی تلفن",
        "description": "پیوند نسخه PDF آخرین قبض خط بی‌درنگ پیامک می‌شود.",
        "tenant_allowed": True,
        "completes_at_once": True,
        "sla_hours": 1,
    },
    {
        "code": "tel-smart-cdr",
        "title": "ارائه ریزمکالمات سرویس هوشمند",
        "tenant_allowed": True,
        "completes_at_once": True,
        "sla_hours": 1,
        "fields_schema": PERIOD_FIELDS,
    },
)
ORDER_START = 100


def _values(spec: dict, order: int) -> dict:
    """The RequestType columns of one entry, every one set explicitly (the model's defaults
    — documents and approval stages on — may change; these rows must not)."""
    stages = spec.get("stages", ())
    fee_web, fee_kiosk, fee_office = spec.get("fees", (0, 0, 0))
    return {
        "company_kind": "telecom",
        "behaviour": "line_service",
        "title": spec["title"],
        "description": spec.get("description", ""),
        "needs_subscription": True,
        "tenant_allowed": spec.get("tenant_allowed", False),
        "stage_documents": "documents" in stages,
        "stage_payment": "payment" in stages,
        "stage_visit": "visit" in stages,
        "stage_approval": "approval" in stages,
        "fee_web": fee_web,
        "fee_kiosk": fee_kiosk,
        "fee_office": fee_office,
        "kiosk_charge": spec.get("kiosk_charge", 0),
        "outcome_fee": 0,
        "sla_hours": spec["sla_hours"],
        "fields_schema": spec.get("fields_schema", []),
        "completes_at_once": spec.get("completes_at_once", False),
        "requires_settled_debts": False,
        "requires_meter_test": False,
        "service_id": "",
        "is_active": True,
        "order": order,
    }


def create_line_services(apps, schema_editor=None) -> int:
    """Create the line-service types whose codes are missing; returns how many were created.
    Existing codes are left exactly as they are."""
    RequestType = apps.get_model("requests_app", "RequestType")
    existing = set(
        RequestType.objects.filter(code__in=[spec["code"] for spec in LINE_SERVICES]).values_list(
            "code", flat=True
        )
    )
    missing = [
        RequestType(code=spec["code"], **_values(spec, order))
        for order, spec in enumerate(LINE_SERVICES, start=ORDER_START)
        if spec["code"] not in existing
    ]
    RequestType.objects.bulk_create(missing)
    return len(missing)


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0005_line_services"),
    ]

    operations = [
        migrations.RunPython(create_line_services, migrations.RunPython.noop),
    ]
