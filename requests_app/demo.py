"""The request-type catalog (seeded by ``seed_demo``): the electricity and gas services of
seed 000 and seed 004, with their stages, fees, SLAs, documents and own fields.

Fees and SLAs other than the gas meter test's (seed 004: 24 h, kiosk 109,000 rials) are demo
values that an administrator sets in admin from the company's approved tariff book.
"""

from __future__ import annotations

from typing import Any

import jdatetime

from portal.demo import SeedContext, upsert
from requests_app.models import RequestType, RequiredDocument, ServiceCard

B = RequestType.Behaviour
BOTH, NATURAL, LEGAL = (
    RequiredDocument.AppliesTo.BOTH,
    RequiredDocument.AppliesTo.NATURAL,
    RequiredDocument.AppliesTo.LEGAL,
)

USAGE_CHOICES = [
    ["residential", "خانگی"],
    ["commercial", "تجاری"],
    ["industrial", "صنعتی"],
    ["agricultural", "کشاورزی"],
    ["public", "عمومی"],
]

NEW_CONNECTION_FIELDS = [
    {"name": "branches", "label": "تعداد انشعاب (واحد)", "kind": "integer", "required": True,
     "min": 1, "max": 200},
    {"name": "amperes", "label": "قدرت هر انشعاب (آمپر)", "kind": "choice", "required": True,
     "choices": [[25, "۲۵ آمپر"], [32, "۳۲ آمپر"], [50, "۵۰ آمپر"], [63, "۶۳ آمپر"]]},
    {"name": "phase", "label": "نوع فاز", "kind": "choice", "required": True,
     "choices": [["single", "تک‌فاز"], ["three", "سه‌فاز"]]},
    {"name": "usage", "label": "نوع کاربری", "kind": "choice", "required": True,
     "choices": USAGE_CHOICES},
]  # fmt: skip

CAPACITY_FIELDS = [
    {"name": "amperes", "label": "قدرت درخواستی (آمپر)", "kind": "choice", "required": True,
     "choices": [[25, "۲۵ آمپر"], [32, "۳۲ آمپر"], [50, "۵۰ آمپر"], [63, "۶۳ آمپر"]]},
    {"name": "phase", "label": "نوع فاز", "kind": "choice", "required": True,
     "choices": [["single", "تک‌فاز"], ["three", "سه‌فاز"]]},
]  # fmt: skip

# Readings as billing.services.readings parses them: a whole number, a Jalali date (Persian
# digits accepted) and whether the register rolled over from all nines back to zero.
ROLLOVER_FIELD = {
    "name": "rollover",
    "label": "کنتور از آخرین قبض دور زده (از صفر شروع شده) است",
    "kind": "choice",
    "required": False,
    "choices": [["no", "خیر"], ["yes", "بله"]],
}
SELF_READING_FIELDS = [
    {"name": "reading", "label": "شماره فعلی کنتور", "kind": "integer", "required": True,
     "min": 0},
    {"name": "read_on", "label": "تاریخ قرائت (مثلاً ۱۴۰۳/۰۵/۱۲)", "kind": "text",
     "required": True, "max_length": 10},
    ROLLOVER_FIELD,
]  # fmt: skip
SETTLEMENT_FIELDS = [
    {"name": "final_reading", "label": "شماره پایانی کنتور", "kind": "integer",
     "required": True, "min": 0},
    {"name": "read_on", "label": "تاریخ قرائت پایانی (مثلاً ۱۴۰۳/۰۵/۱۲)", "kind": "text",
     "required": True, "max_length": 10},
    ROLLOVER_FIELD,
]  # fmt: skip
METER_PHOTO_DOC = ("تصویر صفحه شمارنده کنتور (اختیاری)", BOTH, False)

ID_DOC = ("تصویر کارت ملی متقاضی", NATURAL, True)
COMPANY_DOCS = (
    ("معرفی‌نامه نماینده شرکت با امضای صاحبان امضای مجاز", LEGAL, True),
    ("آخرین روزنامه رسمی تغییرات شرکت", LEGAL, True),
)
OWNERSHIP_DOC = ("سند مالکیت یا قرارداد قطعی خرید ملک", BOTH, True)

# Each entry: RequestType fields plus "documents" [(title, applies_to, mandatory)] and "card"
# (the slug of the public service card it belongs to, if any).
REQUEST_TYPES: tuple[dict[str, Any], ...] = (
    # --- Electricity ---------------------------------------------------------------------
    {
        "code": "elec-new-connection",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "درخواست انشعاب جدید برق",
        "description": (
            "برای ساختمان آپارتمانی یک درخواست با تعداد انشعاب‌ها ثبت کنید، نه چند درخواست."
        ),
        "behaviour": B.NEW_CONNECTION,
        "needs_subscription": False,
        "stages": ("documents", "payment", "visit", "approval"),
        "fees": (4_500_000, 4_500_000, 4_500_000),
        "kiosk_charge": 109_000,
        "sla_hours": 168,
        "fields_schema": NEW_CONNECTION_FIELDS,
        "documents": (
            ID_DOC,
            *COMPANY_DOCS,
            OWNERSHIP_DOC,
            ("پروانه ساختمان یا گواهی پایان کار", BOTH, True),
            ("نقشه محل نصب کنتورها", BOTH, False),
        ),
        "card": "new-connection-electricity",
    },
    {
        "code": "elec-name-change",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "تغییر نام مشترک برق",
        "behaviour": B.NAME_CHANGE,
        # An inspector checks the meter and the occupant on site before the supervisor signs.
        "stages": ("documents", "visit", "approval"),
        "sla_hours": 72,
        "requires_settled_debts": True,
        "requires_meter_test": True,
        "documents": (ID_DOC, *COMPANY_DOCS, OWNERSHIP_DOC),
        "card": "name-change",
    },
    {
        "code": "elec-settlement",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "تسویه‌حساب مالک و مستأجر (برق)",
        "behaviour": B.SETTLEMENT,
        "tenant_allowed": True,
        "stages": ("documents", "visit", "approval"),
        "sla_hours": 48,
        "fields_schema": SETTLEMENT_FIELDS,
        "documents": (ID_DOC, ("قرارداد اجاره", BOTH, True)),
        "card": "settlement",
    },
    {
        "code": "elec-capacity-change",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "تغییر قدرت انشعاب برق",
        "stages": ("documents", "payment", "visit", "approval"),
        "fees": (2_000_000, 2_000_000, 2_000_000),
        "kiosk_charge": 109_000,
        "sla_hours": 120,
        "fields_schema": CAPACITY_FIELDS,
        "documents": (ID_DOC, *COMPANY_DOCS),
    },
    {
        "code": "elec-meter-relocation",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "جابه‌جایی محل کنتور برق",
        "stages": ("payment", "visit", "approval"),
        "fees": (1_500_000, 1_500_000, 1_500_000),
        "kiosk_charge": 109_000,
        "sla_hours": 120,
        "fields_schema": [
            {
                "name": "new_location",
                "label": "محل جدید کنتور",
                "kind": "text",
                "required": True,
                "max_length": 200,
            },
        ],
    },
    {
        "code": "elec-disconnect",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "قطع موقت یا وصل مجدد برق",
        "stages": ("visit",),
        "sla_hours": 24,
        "fields_schema": [
            {
                "name": "action",
                "label": "نوع درخواست",
                "kind": "choice",
                "required": True,
                "choices": [["disconnect", "قطع موقت"], ["reconnect", "وصل مجدد"]],
            },
        ],
    },
    {
        "code": "elec-duplicate-bill",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "صدور قبض المثنی برق",
        "tenant_allowed": True,
        "stages": (),
        "sla_hours": 24,
        "card": "bill-print",
    },
    {
        "code": "elec-meter-test",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "آزمایش کنتور برق",
        "description": (
            "اگر کنتور سالم باشد هزینه آزمایش در قبض بعدی می‌آید؛ "
            "اگر معیوب باشد کنتور رایگان تعویض و صورتحساب اصلاح می‌شود."
        ),
        "behaviour": B.METER_TEST,
        "tenant_allowed": True,
        "stages": ("visit", "approval"),
        "outcome_fee": 850_000,
        "sla_hours": 72,
    },
    {
        "code": "elec-meter-replacement",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "تعویض کنتور برق",
        "behaviour": B.METER_REPLACEMENT,
        "stages": ("visit", "approval"),
        "sla_hours": 96,
    },
    {
        "code": "elec-self-reading",
        "company_kind": RequestType.CompanyKind.ELECTRICITY,
        "title": "ثبت کارکرد کنتور برق (خوداظهاری)",
        "description": (
            "شماره کنتور را خودتان ثبت کنید؛ پس از تأیید امور مشترکین، قبض علی‌الحساب "
            "با مبلغ، شناسه قبض و شناسه پرداخت برایتان پیامک می‌شود."
        ),
        "behaviour": B.SELF_READING,
        "tenant_allowed": True,
        "stages": ("documents", "approval"),
        "sla_hours": 24,
        "fields_schema": SELF_READING_FIELDS,
        "documents": (METER_PHOTO_DOC,),
    },
    # --- Gas -----------------------------------------------------------------------------
    {
        "code": "gas-meter-test",
        "company_kind": RequestType.CompanyKind.GAS,
        "title": "درخواست تست کنتور گاز",
        "description": (
            "آزمایش صحت کارکرد کنتور گاز پس از اعتراض مشترک به کارکرد آن "
            "(شناسنامه خدمت ۱۳۰۳۱۶۶۷۰۱۱۲)."
        ),
        "behaviour": B.METER_TEST,
        "service_id": "130316670112",
        "tenant_allowed": True,
        "stages": ("documents", "payment", "visit"),
        # Seed 004: the kiosk charges 109,000 rials on top of the regulated tariff.
        "fees": (1_200_000, 1_200_000, 1_200_000),
        "kiosk_charge": 109_000,
        "sla_hours": 24,
        "documents": (
            ("آخرین شماره کنتور", BOTH, True),
            ("آخرین قبض پرداخت‌شده", BOTH, True),
        ),
        "card": "gas-meter-test",
    },
    {
        "code": "gas-name-change",
        "company_kind": RequestType.CompanyKind.GAS,
        "title": "تغییر نام مشترک گاز",
        "behaviour": B.NAME_CHANGE,
        "stages": ("documents", "approval"),
        "sla_hours": 72,
        "requires_settled_debts": True,
        "documents": (ID_DOC, *COMPANY_DOCS, OWNERSHIP_DOC),
    },
    {
        "code": "gas-settlement",
        "company_kind": RequestType.CompanyKind.GAS,
        "title": "تسویه‌حساب مالک و مستأجر (گاز)",
        "behaviour": B.SETTLEMENT,
        "tenant_allowed": True,
        "stages": ("documents", "visit", "approval"),
        "sla_hours": 48,
        "fields_schema": SETTLEMENT_FIELDS,
        "documents": (ID_DOC, ("قرارداد اجاره", BOTH, True)),
    },
    {
        "code": "gas-address-correction",
        "company_kind": RequestType.CompanyKind.GAS,
        "title": "اصلاح نشانی مشترک گاز",
        "stages": ("documents", "approval"),
        "sla_hours": 48,
        "fields_schema": [
            {
                "name": "correct_address",
                "label": "نشانی درست",
                "kind": "text",
                "required": True,
                "max_length": 300,
            },
            {
                "name": "postal_code",
                "label": "کد پستی",
                "kind": "text",
                "required": True,
                "max_length": 10,
            },
        ],
        "documents": (ID_DOC, ("مدرک نشانی (قبض آب یا گواهی کد پستی)", BOTH, True)),
    },
    {
        "code": "gas-duplicate-bill",
        "company_kind": RequestType.CompanyKind.GAS,
        "title": "صدور قبض المثنی گاز",
        "tenant_allowed": True,
        "stages": (),
        "sla_hours": 24,
    },
    {
        "code": "gas-self-reading",
        "company_kind": RequestType.CompanyKind.GAS,
        "title": "ثبت کارکرد کنتور گاز (خوداظهاری)",
        "description": (
            "شماره کنتور را خودتان ثبت کنید؛ پس از تأیید امور مشترکین، قبض علی‌الحساب "
            "با مبلغ، شناسه قبض و شناسه پرداخت برایتان پیامک می‌شود."
        ),
        "behaviour": B.SELF_READING,
        "tenant_allowed": True,
        "stages": ("documents", "approval"),
        "sla_hours": 24,
        "fields_schema": SELF_READING_FIELDS,
        "documents": (METER_PHOTO_DOC,),
    },
    {
        "code": "gas-new-connection",
        "company_kind": RequestType.CompanyKind.GAS,
        "title": "درخواست انشعاب جدید گاز",
        "behaviour": B.NEW_CONNECTION,
        "needs_subscription": False,
        "stages": ("documents", "payment", "visit", "approval"),
        "fees": (3_000_000, 3_000_000, 3_000_000),
        "kiosk_charge": 109_000,
        "sla_hours": 240,
        "fields_schema": [
            {
                "name": "branches",
                "label": "تعداد انشعاب (واحد)",
                "kind": "integer",
                "required": True,
                "min": 1,
                "max": 200,
            },
            {
                "name": "usage",
                "label": "نوع کاربری",
                "kind": "choice",
                "required": True,
                "choices": USAGE_CHOICES,
            },
        ],
        "documents": (ID_DOC, *COMPANY_DOCS, OWNERSHIP_DOC),
        "card": "new-connection-gas",
    },
)


def request_type_values(spec: dict[str, Any]) -> dict[str, Any]:
    """RequestType field values of one catalog entry (without code, documents and card)."""
    stages = spec.get("stages", ())
    fee_web, fee_kiosk, fee_office = spec.get("fees", (0, 0, 0))
    values = {
        key: spec[key]
        for key in (
            "company_kind",
            "title",
            "description",
            "behaviour",
            "needs_subscription",
            "tenant_allowed",
            "kiosk_charge",
            "outcome_fee",
            "sla_hours",
            "fields_schema",
            "requires_settled_debts",
            "requires_meter_test",
            "service_id",
            "completes_at_once",
        )
        if key in spec
    }
    values.update(
        stage_documents="documents" in stages,
        stage_payment="payment" in stages,
        stage_visit="visit" in stages,
        stage_approval="approval" in stages,
        fee_web=fee_web,
        fee_kiosk=fee_kiosk,
        fee_office=fee_office,
    )
    return values


def seed_request_types(ctx: SeedContext) -> None:
    cards = {card.slug: card for card in ServiceCard.objects.all()}
    for order, spec in enumerate(REQUEST_TYPES, start=1):
        values = request_type_values(spec)
        card = cards.get(spec.get("card", ""))
        values["service_card"] = card
        if card is not None and not values.get("service_id"):
            values["service_id"] = card.service_id
        values["order"] = order
        request_type = upsert(ctx, RequestType, {"code": spec["code"]}, values)
        for doc_order, (title, applies_to, mandatory) in enumerate(spec.get("documents", ())):
            upsert(
                ctx,
                RequiredDocument,
                {"request_type": request_type, "title": title},
                {"applies_to": applies_to, "mandatory": mandatory, "order": doc_order},
            )


# --- Demo requests in every stage (seed_demo) ----------------------------------------------


def _demo_final_reading(subscription) -> int:
    """A final reading a little above the subscription's last billed one (0 without bills)."""
    from billing.models import Bill

    last = (
        Bill.objects.filter(subscription=subscription, status=Bill.Status.ISSUED)
        .order_by("-period_end", "-pk")
        .values_list("current_reading", flat=True)
        .first()
    )
    return (last or 0) + 120


def _demo_png(seed: int) -> bytes:
    """A colour 800×640 'scan' (the document rules refuse grayscale and small images)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 640), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        colour = ((seed * 40 + i * 20) % 256, (i * 35) % 256, (200 - i * 15) % 256)
        draw.rectangle((40 + i * 55, 60, 80 + i * 55, 580), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def seed_requests(ctx: SeedContext) -> None:
    """Requests in every stage, across offices and types, filed and moved only through the
    services (so events, fees and SMS rows are what real use produces). Runs once: when the
    demo subscribers already have requests, it leaves them alone."""
    from datetime import time, timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from requests_app.models import Channel, ServiceRequest
    from requests_app.services import documents as document_services
    from requests_app.services import feedback
    from requests_app.services import payments as payment_services
    from requests_app.services import workflow as wf
    from subscribers.models import City, KioskOperator, Subscription, SubscriptionLink, User

    owners = {
        link.subscription.office.company.kind + ":" + link.user.first_name: link
        for link in SubscriptionLink.objects.filter(
            ended_at__isnull=True, user__kind=User.Kind.NATURAL
        ).select_related("user", "subscription__office__company")
    }
    if (
        not owners
        or ServiceRequest.objects.filter(
            applicant__in=[link.user for link in owners.values()]
        ).exists()
    ):
        ctx._touch(ServiceRequest, "unchanged")
        return
    types = {t.code: t for t in RequestType.objects.all()}
    staff = {u.username: u for u in User.objects.filter(username__startswith="clerk-")}
    staff |= {u.username: u for u in User.objects.filter(username__startswith="supervisor-")}
    tomorrow = timezone.localdate() + timedelta(days=1)

    def office_staff(subscription: Subscription, prefix: str) -> User:
        office = subscription.office
        return staff[f"{prefix}-{ctx_office_key(office)}"]

    def ctx_office_key(office) -> str:
        key = next(k for k, v in ctx.offices.items() if v.pk == office.pk)
        return key.replace("/", "-")

    def file(code: str, link: SubscriptionLink, **extra) -> ServiceRequest:
        user = link.user
        return wf.request_file(
            request_type=types[code],
            applicant=user,
            actor=extra.pop("actor", user),
            channel=extra.pop("channel", Channel.WEB),
            subscription=link.subscription,
            **extra,
        )

    def upload_all(request: ServiceRequest) -> ServiceRequest:
        for n, requirement in enumerate(request.request_type.documents.all()):
            if requirement.applies_to_user(request.applicant):
                document_services.document_upload(
                    request=request,
                    requirement_id=requirement.pk,
                    upload=SimpleUploadedFile(f"scan-{n}.png", _demo_png(n), "image/png"),
                    actor=request.applicant,
                )
        return ServiceRequest.objects.get(pk=request.pk)

    def visit(request: ServiceRequest, clerk: User) -> ServiceRequest:
        wf.request_schedule_visit(
            request=request,
            actor=clerk,
            date=tomorrow,
            window_start=time(9),
            window_end=time(12),
            inspector=clerk,
        )
        return ServiceRequest.objects.get(pk=request.pk)

    maryam_elec = owners["electricity:مریم"]
    maryam_gas = owners["gas:مریم"]
    ali_elec = owners["electricity:علی"]
    zahra = owners["electricity:زهرا"]
    clerk_m = office_staff(maryam_elec.subscription, "clerk")
    boss_m = office_staff(maryam_elec.subscription, "supervisor")

    # Maryam, Tabriz electricity: a meter test completed (sound) and rated; a name change
    # waiting for her documents; a capacity change waiting for payment.
    test = visit(file("elec-meter-test", maryam_elec), clerk_m)
    test = wf.request_record_visit(request=test, actor=clerk_m, done=True, outcome="sound")
    test = wf.request_send_to_approval(request=test, actor=clerk_m)
    test = wf.request_approve(request=test, actor=boss_m, note="کنتور سالم است")
    feedback.rating_submit(request=test, score=4, comment="بازدید سر وقت انجام شد.")
    file("elec-name-change", maryam_elec)
    capacity = upload_all(
        file("elec-capacity-change", maryam_elec, fields={"amperes": 32, "phase": "single"})
    )
    wf.request_accept_documents(request=capacity, actor=clerk_m)

    # Maryam, gas: a meter test filed at the kiosk, paid in cash there, visit scheduled.
    operator = KioskOperator.objects.select_related("user", "kiosk").first()
    gas = file(
        "gas-meter-test",
        maryam_gas,
        actor=operator.user,
        on_behalf_of=maryam_gas.user,
        channel=Channel.KIOSK,
        kiosk=operator.kiosk,
    )
    gas = upload_all(gas)
    clerk_g = office_staff(maryam_gas.subscription, "clerk")
    gas = wf.request_accept_documents(request=gas, actor=clerk_g)
    for payment in gas.payments.all():
        payment_services.payment_record_kiosk(
            payment=payment,
            operator=operator.user,
            kiosk=operator.kiosk,
            method="kiosk_cash",
            reference="",
        )
    visit(ServiceRequest.objects.get(pk=gas.pk), clerk_g)

    # Ali, Qom electricity: relocation whose visit found a locked door; a reconnection in the
    # office's queue; a duplicate bill completed; a new connection for an 8-unit building in
    # Tabriz that was rejected; a draft.
    clerk_a = office_staff(ali_elec.subscription, "clerk")
    relocation = file("elec-meter-relocation", ali_elec, fields={"new_location": "ورودی ساختمان"})
    for payment in relocation.payments.all():
        payment_services.payment_record_kiosk(
            payment=payment,
            operator=operator.user,
            kiosk=operator.kiosk,
            method="kiosk_pos",
            reference="48213377",
        )
    relocation = visit(ServiceRequest.objects.get(pk=relocation.pk), clerk_a)
    wf.request_record_visit(request=relocation, actor=clerk_a, done=False, note="درِ بسته")
    file("elec-disconnect", ali_elec, fields={"action": "reconnect"})
    ali_test = visit(file("elec-meter-test", ali_elec), clerk_a)
    wf.request_record_visit(
        request=ali_test, actor=clerk_a, done=True, outcome="faulty", note="کنتور تند کار می‌کند"
    )
    duplicate = file("elec-duplicate-bill", ali_elec)
    wf.request_complete(request=duplicate, actor=clerk_a)
    tabriz = City.objects.filter(name="تبریز").first()
    connection = wf.request_file(
        request_type=types["elec-new-connection"],
        applicant=ali_elec.user,
        actor=ali_elec.user,
        channel=Channel.WEB,
        city=tabriz,
        address="تبریز، ولیعصر، خیابان نمونه، پلاک ۸",
        fields={"branches": 8, "amperes": 25, "phase": "single", "usage": "residential"},
    )
    wf.request_reject(
        request=connection,
        actor=staff[f"clerk-{ctx_office_key(connection.office)}"],
        reason="پروانه ساختمان بارگذاری نشد.",
    )
    wf.request_file(
        request_type=types["gas-new-connection"],
        applicant=ali_elec.user,
        actor=ali_elec.user,
        channel=Channel.WEB,
        city=maryam_gas.subscription.city,
        address="قزوین، خیابان نمونه، پلاک ۳",
        fields={"branches": 2, "usage": "residential"},
        submit=False,
    )

    # Zahra, tenant in Tabriz: a settlement visited and waiting for the supervisor; overdue.
    clerk_z = office_staff(zahra.subscription, "clerk")
    settlement = upload_all(
        file(
            "elec-settlement",
            zahra,
            fields={
                "final_reading": _demo_final_reading(zahra.subscription),
                "read_on": jdatetime.date.fromgregorian(date=timezone.localdate()).strftime(
                    "%Y/%m/%d"
                ),
            },
        )
    )
    settlement = wf.request_accept_documents(request=settlement, actor=clerk_z)
    settlement = visit(settlement, clerk_z)
    settlement = wf.request_record_visit(request=settlement, actor=clerk_z, done=True)
    wf.request_send_to_approval(request=settlement, actor=clerk_z)
    wf.request_cancel(
        request=file("elec-duplicate-bill", zahra),
        actor=zahra.user,
        note="قبض را از درگاه گرفتم",
    )
    past = timezone.now() - timedelta(days=4)
    ServiceRequest.objects.filter(pk=settlement.pk).update(
        submitted_at=past, due_at=past + timedelta(hours=48)
    )
    ctx._touch(ServiceRequest, "created")
