"""Complaints (answered by staff through ``complaint_answer``, which SMSes the answer once)
and the billing department's adjustments raised by completed requests (read-only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.jalali import jalali_display
from requests_app.admin.forms import ComplaintAnswerForm
from requests_app.models import BillingAdjustment, Complaint
from requests_app.services.feedback import complaint_answer
from subscribers.admin.scoping import OfficeScopedAdminMixin


def _jalali(value) -> str:
    return jalali_display(value) if value else "—"


@admin.register(Complaint)
class ComplaintAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    """Scoped to the office; a complaint about a service in general (no office) goes to the
    company's head office, so only staff who see all offices see it."""

    office_lookup = "office"
    list_display = ["tracking_code", "request_type", "request", "office", "state", "created"]
    list_select_related = ["request_type", "request", "office"]
    list_filter = ["state", "request_type"]
    search_fields = ["=tracking_code", "=request__number", "=complainant__national_code"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are one COUNT per filter choice
    fields = [
        "tracking_code",
        "state",
        "complainant_name",
        "request",
        "request_type",
        "office",
        "text",
        "created",
        "answer",
        "answered_by_name",
        "answered",
    ]
    readonly_fields = fields

    @admin.display(description=_("زمان ثبت"), ordering="created_at")
    def created(self, obj: Complaint) -> str:
        return _jalali(obj.created_at)

    @admin.display(description=_("زمان پاسخ"))
    def answered(self, obj: Complaint) -> str:
        return _jalali(obj.answered_at)

    @admin.display(description=_("شاکی"))
    def complainant_name(self, obj: Complaint) -> str:
        person = obj.complainant
        return to_persian_digits(f"{person.display_name} — {person.mobile or '—'}")

    @admin.display(description=_("پاسخ‌دهنده"))
    def answered_by_name(self, obj: Complaint) -> str:
        return obj.answered_by.display_name if obj.answered_by else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # citizens file complaints on the site

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        return None  # read-only: the answer goes through complaint_answer

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404  # another office's complaint is a real 404

    def get_urls(self):
        custom = [
            path(
                "<int:object_id>/answer/",
                self.admin_site.admin_view(self.answer_view),
                name="requests_app_complaint_answer",
            )
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def answer_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        complaint = self.get_object(request, str(object_id))
        if complaint is None:
            raise Http404
        if not self.has_change_permission(request, complaint):
            raise PermissionDenied
        change_url = reverse("admin:requests_app_complaint_change", args=[complaint.pk])
        if complaint.state == Complaint.State.ANSWERED:
            self.message_user(request, "به این شکایت پیش‌تر پاسخ داده شده است.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = ComplaintAnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                complaint_answer(
                    complaint=complaint, actor=request.user, answer=form.cleaned_data["answer"]
                )
            except PortalError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, "پاسخ ثبت و برای شاکی پیامک شد.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": complaint,
            "title": f"پاسخ به شکایت {to_persian_digits(complaint.tracking_code)}",
            "form": form,
            "submit_label": "ثبت پاسخ و ارسال پیامک",
            "danger": False,
        }
        return TemplateResponse(request, "admin/requests_app/complaint/answer.html", context)


@admin.register(BillingAdjustment)
class BillingAdjustmentAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    """Raised by the workflow (a meter test's fee or a faulty meter's bill correction);
    billing imports apply them. Read-only here."""

    office_lookup = "request__office"
    list_display = ["request", "subscription", "kind", "amount_rial", "state", "created"]
    list_select_related = ["request", "subscription__company"]
    list_filter = ["kind", "state"]
    search_fields = ["=request__number", "=subscription__subscription_number"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are one COUNT per filter choice

    @admin.display(description=_("مبلغ (ریال)"), ordering="amount")
    def amount_rial(self, obj: BillingAdjustment) -> str:
        return to_persian_digits(f"{obj.amount:,}".replace(",", "٬"))

    @admin.display(description=_("زمان ایجاد"), ordering="created_at")
    def created(self, obj: BillingAdjustment) -> str:
        return _jalali(obj.created_at)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404
