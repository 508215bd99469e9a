"""The request change page's read-only tables (documents with preview and review buttons,
payments, visits, the event timeline) and the changelist's "overdue" filter."""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.digits import to_persian_digits
from portal.jalali import jalali_display
from requests_app.models import (
    OPEN_STATUSES,
    Payment,
    RequestDocument,
    RequestEvent,
    VisitAppointment,
)
from requests_app.services.workflow import staff_role


def _jalali(value) -> str:
    return jalali_display(value) if value else "—"


class OverdueFilter(admin.SimpleListFilter):
    title = _("دیرکرد")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("دارای دیرکرد")), ("no", _("در مهلت یا بسته"))]

    def queryset(self, request, queryset):
        overdue = {"status__in": OPEN_STATUSES, "due_at__lt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    verbose_name = _("رویداد")
    verbose_name_plural = _("گردش کار")
    fields = ["step", "actor_name", "actor_role", "on_behalf", "note", "time"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("actor", "on_behalf_of")
            .order_by("created_at", "id")
        )

    @admin.display(description=_("مرحله"))
    def step(self, obj: RequestEvent) -> str:
        if obj.kind != RequestEvent.Kind.TRANSITION:
            return obj.get_kind_display()
        return f"{obj.get_old_status_display()} ← {obj.get_new_status_display()}"

    @admin.display(description=_("انجام‌دهنده"))
    def actor_name(self, obj: RequestEvent) -> str:
        return obj.actor.display_name if obj.actor else "سامانه"

    @admin.display(description=_("از طرف"))
    def on_behalf(self, obj: RequestEvent) -> str:
        return obj.on_behalf_of.display_name if obj.on_behalf_of else "—"

    @admin.display(description=_("زمان"))
    def time(self, obj: RequestEvent) -> str:
        return _jalali(obj.created_at)


def document_preview_url(document: RequestDocument) -> str | None:
    try:
        return reverse("requests_app:document-download", args=[document.pk]) + "?inline=1"
    except NoReverseMatch:  # the download route is not installed in this URLconf
        return None


def document_reviewable(document: RequestDocument) -> bool:
    return (
        document.is_current
        and document.state == RequestDocument.State.PENDING
        and document.request.status in OPEN_STATUSES
    )


class RequestDocumentInline(ReadOnlyInline):
    model = RequestDocument
    verbose_name = _("مدرک")
    verbose_name_plural = _("مدارک بارگذاری‌شده")
    fields = [
        "requirement",
        "state",
        "current",
        "preview",
        "uploaded",
        "rejection_reason",
        "review",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("requirement", "request")
            .order_by("-is_current", "requirement__order", "id")
        )

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        # Review buttons only for staff who can act on this office's requests.
        if (
            obj is None
            or not request.user.has_perm("requests_app.change_servicerequest")
            or staff_role(user=request.user, office_id=obj.office_id) is None
        ):
            fields.remove("review")
        return fields

    @admin.display(description=_("نسخه جاری"), boolean=True)
    def current(self, obj: RequestDocument) -> bool:
        return obj.is_current

    @admin.display(description=_("پیش‌نمایش"))
    def preview(self, obj: RequestDocument) -> str:
        url = document_preview_url(obj)
        if url is None:
            return obj.original_name
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.original_name
        )

    @admin.display(description=_("زمان بارگذاری"))
    def uploaded(self, obj: RequestDocument) -> str:
        return _jalali(obj.uploaded_at)

    @admin.display(description=_("بررسی"))
    def review(self, obj: RequestDocument) -> str:
        if not document_reviewable(obj):
            return "—"
        # The button submits a form rendered outside the change form (HTML forms do not nest).
        return format_html(
            '<button type="submit" form="document-accept-{}" class="button">پذیرش</button> '
            '<a class="button" href="{}">رد</a>',
            obj.pk,
            reverse(
                "admin:requests_app_servicerequest_document_reject",
                args=[obj.request_id, obj.pk],
            ),
        )


class PaymentInline(ReadOnlyInline):
    model = Payment
    verbose_name_plural = _("هزینه‌ها و پرداخت‌ها")
    fields = ["purpose", "amount_rial", "channel", "state", "method", "reference", "paid"]
    readonly_fields = fields

    @admin.display(description=_("مبلغ (ریال)"))
    def amount_rial(self, obj: Payment) -> str:
        return to_persian_digits(f"{obj.amount:,}".replace(",", "٬"))

    @admin.display(description=_("زمان پرداخت"))
    def paid(self, obj: Payment) -> str:
        return _jalali(obj.paid_at)


class VisitInline(ReadOnlyInline):
    model = VisitAppointment
    verbose_name_plural = _("بازدیدها")
    fields = ["day", "window", "inspector_name", "result", "result_note", "recorded"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("inspector")

    @admin.display(description=_("تاریخ"))
    def day(self, obj: VisitAppointment) -> str:
        return jalali_display(obj.date, with_time=False)

    @admin.display(description=_("بازه"))
    def window(self, obj: VisitAppointment) -> str:
        return to_persian_digits(
            f"{obj.window_start.strftime('%H:%M')} تا {obj.window_end.strftime('%H:%M')}"
        )

    @admin.display(description=_("بازدیدکننده"))
    def inspector_name(self, obj: VisitAppointment) -> str:
        return obj.inspector.display_name

    @admin.display(description=_("زمان ثبت نتیجه"))
    def recorded(self, obj: VisitAppointment) -> str:
        return _jalali(obj.recorded_at)
