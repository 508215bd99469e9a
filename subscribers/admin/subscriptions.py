"""Admin for subscriptions, their links and organisations' aggregated access, scoped to the
staff user's office. Writes go through the services: the CSV upload, "link to a subscriber's
account" on a subscription, and approve/reject on organisation requests — all audited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from portal.digits import to_persian_digits
from portal.errors import PortalError
from subscribers.admin.scoping import OfficeScopedAdminMixin
from subscribers.forms_subscriptions import (
    OfficeLinkForm,
    SubscriptionAdminForm,
    SubscriptionImportForm,
)
from subscribers.models import OrganisationAccess, Subscription, SubscriptionLink, User
from subscribers.services.organisations import organisation_access_decide
from subscribers.services.subscriptions import (
    COLUMN_LABELS,
    IMPORT_COLUMNS,
    OPTIONAL_COLUMNS,
    subscription_link_by_office,
    subscriptions_import,
)


def _requirement(column: str) -> str:
    if column in OPTIONAL_COLUMNS:
        return "خیر"
    if column == "meter_serial":
        return "بله (جز تلفن ثابت)"
    return "بله"


@admin.register(Subscription)
class SubscriptionAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "office"
    form = SubscriptionAdminForm
    list_display = [
        "subscription_number",
        "bill_id",
        "company",
        "office",
        "city",
        "tariff",
        "updated_at",
    ]
    list_select_related = ["company", "office", "city"]
    list_filter = ["company__kind", "company", "office", "tariff"]
    search_fields = ["=bill_id", "=subscription_number", "address"]
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["city"]
    show_full_result_count = False

    def get_urls(self):
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="subscribers_subscription_import",
            ),
            path(
                "<int:object_id>/link/",
                self.admin_site.admin_view(self.link_view),
                name="subscribers_subscription_link",
            ),
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SubscriptionImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = subscriptions_import(
                    file=form.cleaned_data["file"].read(), actor=request.user
                )
            except PortalError as exc:
                form.add_error("file", f"پرونده CSV: {exc.message}")
            else:
                if result.ok:
                    self.message_user(
                        request, f"بارگذاری انجام شد. {result.summary()}", messages.SUCCESS
                    )
                    return HttpResponseRedirect(
                        reverse("admin:subscribers_subscription_changelist")
                    )
                self.message_user(
                    request,
                    "پرونده خطا دارد و هیچ ردیفی ذخیره نشد؛ خطاها را اصلاح و دوباره بارگذاری کنید.",
                    messages.ERROR,
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "بارگذاری پرونده اشتراک‌ها",
            "error_count": to_persian_digits(len(result.errors)) if result else "",
            "form": form,
            "result": result,
            "columns": [(c, COLUMN_LABELS[c], _requirement(c)) for c in IMPORT_COLUMNS],
        }
        return TemplateResponse(request, "admin/subscribers/subscription/import.html", context)

    def link_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        subscription = self.get_object(request, str(object_id))
        if subscription is None:
            raise Http404
        if not request.user.has_perm("subscribers.add_subscriptionlink"):
            raise PermissionDenied
        form = OfficeLinkForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if data.get("national_code"):
                citizen = User.objects.filter(national_code=data["national_code"]).first()
            else:
                citizen = User.objects.filter(legal_national_id=data["legal_national_id"]).first()
            if citizen is None:
                form.add_error(
                    None, "مشترکی با این کد ملی یا شناسه ملی در سامانه ثبت‌نام نکرده است."
                )
            else:
                try:
                    subscription_link_by_office(
                        citizen=citizen,
                        subscription=subscription,
                        role=data["role"],
                        lease_end=data.get("lease_end"),
                        actor=request.user,
                        note=data.get("note", ""),
                    )
                except PortalError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, "اشتراک به حساب مشترک متصل شد.", messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:subscribers_subscription_change", args=[subscription.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": subscription,
            "title": f"اتصال اشتراک {subscription.subscription_number} به حساب مشترک",
            "form": form,
        }
        return TemplateResponse(request, "admin/subscribers/subscription/link.html", context)


@admin.register(SubscriptionLink)
class SubscriptionLinkAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    """Links are made only through the services (the subscriber, a kiosk, or the office's
    "link" page on a subscription), so here they are read-only."""

    office_lookup = "subscription__office"
    list_display = [
        "user",
        "subscription",
        "role",
        "lease_end",
        "proof",
        "created_at",
        "ended_at",
    ]
    list_select_related = ["user", "subscription__company"]
    list_filter = ["role", "proof", "subscription__company"]
    search_fields = [
        "=subscription__bill_id",
        "=subscription__subscription_number",
        "=user__national_code",
    ]
    readonly_fields = [
        "user",
        "subscription",
        "role",
        "lease_start",
        "lease_end",
        "proof",
        "verified_by",
        "created_at",
        "ended_at",
    ]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OrganisationAccess)
class OrganisationAccessAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "office"
    list_display = [
        "organisation",
        "representative",
        "office",
        "introduction_letter",
        "status",
        "requested_at",
        "decided_by",
    ]
    list_select_related = ["organisation", "representative", "office", "decided_by"]
    list_filter = ["status", "office"]
    search_fields = ["=organisation__legal_national_id", "=representative__national_code"]
    readonly_fields = [
        "organisation",
        "representative",
        "office",
        "introduction_letter",
        "status",
        "requested_at",
        "decided_by",
        "decided_at",
        "note",
    ]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet, approve: bool) -> None:
        done = 0
        for access in queryset:
            try:
                organisation_access_decide(access=access, actor=request.user, approve=approve)
            except PortalError as exc:
                self.message_user(request, f"{access}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            verb = "تأیید" if approve else "رد"
            self.message_user(
                request, f"{to_persian_digits(done)} درخواست {verb} شد.", messages.SUCCESS
            )

    @admin.action(description="تأیید درخواست‌های انتخاب‌شده", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="رد درخواست‌های انتخاب‌شده", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, approve=False)
