"""The request catalog in admin: request types and the documents each one needs.

The catalog is data office supervisors edit; the workflow engine reads it. ``fields_schema`` is
validated on save (``validate_field_schema``), so a typo never reaches a citizen's form.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.digits import to_persian_digits
from requests_app.models import RequestType, RequiredDocument

STAGE_LABELS = {
    "documents": _("مدارک"),
    "payment": _("پرداخت"),
    "visit": _("بازدید"),
    "approval": _("تأیید"),
}


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    fields = ["title", "applies_to", "mandatory", "order"]
    extra = 0


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "code",
        "company_kind",
        "stage_list",
        "sla",
        "fee_web",
        "is_active",
        "order",
    ]
    list_display_links = ["title"]
    list_filter = ["company_kind", "behaviour", "is_active"]
    search_fields = ["title", "code", "=service_id"]
    list_select_related = ["service_card"]
    raw_id_fields = ["service_card"]
    inlines = [RequiredDocumentInline]
    fieldsets = [
        (
            _("مشخصات"),
            {
                "fields": [
                    "title",
                    "code",
                    "company_kind",
                    "description",
                    "service_card",
                    "service_id",
                    "behaviour",
                    ("needs_subscription", "tenant_allowed"),
                    ("is_active", "order"),
                ]
            },
        ),
        (
            _("مراحل (به همین ترتیب)"),
            {
                "fields": [
                    ("stage_documents", "stage_payment", "stage_visit", "stage_approval"),
                    "sla_hours",
                    "completes_at_once",
                    ("requires_settled_debts", "requires_meter_test"),
                ]
            },
        ),
        (
            _("تعرفه‌ها (ریال)"),
            {"fields": [("fee_web", "fee_kiosk", "fee_office"), "kiosk_charge", "outcome_fee"]},
        ),
        (_("فیلدهای ویژه"), {"fields": ["fields_schema"]}),
    ]

    @admin.display(description=_("مراحل"))
    def stage_list(self, obj: RequestType) -> str:
        return " ← ".join(str(STAGE_LABELS[stage]) for stage in obj.stages) or "—"

    @admin.display(description=_("مهلت (ساعت)"), ordering="sla_hours")
    def sla(self, obj: RequestType) -> str:
        return to_persian_digits(obj.sla_hours)
