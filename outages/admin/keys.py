"""Open311 API keys in admin: system administrators only. The add page asks for the app's
name; ``api_key_create`` makes the key and it is shown once, in the success message. Only
its hash is stored, and that is never shown."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from outages.admin.common import jalali, sees_all
from outages.models import Open311ApiKey

SHOWN_ONCE = "این کلید فقط همین یک بار نمایش داده می‌شود"


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("نام برنامه"),
        max_length=120,
        help_text=_("نام برنامه یا سامانه‌ای که با این کلید گزارش می‌فرستد."),
        error_messages={"required": _("نام برنامه را وارد کنید.")},
    )


@admin.register(Open311ApiKey)
class Open311ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "is_active", "created", "last_used"]
    list_filter = ["is_active"]
    search_fields = ["name", "=prefix"]
    fields = ["name", "prefix", "is_active", "created", "last_used"]
    readonly_fields = ["prefix", "created", "last_used"]
    actions = ["deactivate"]
    ordering = ["-created_at"]

    @admin.display(description=_("زمان ایجاد"), ordering="created_at")
    def created(self, obj: Open311ApiKey) -> str:
        return jalali(obj.created_at)

    @admin.display(description=_("آخرین استفاده"), ordering="last_used_at")
    def last_used(self, obj: Open311ApiKey) -> str:
        return jalali(obj.last_used_at)

    # Keys open the reporting API to outside apps: system administrators only.
    def _allowed(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and sees_all(request)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # reports point at their key; deactivate instead

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiKeyCreateForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            from outages.services.keys import api_key_create

            key, raw = api_key_create(name=form.cleaned_data["name"])
            self.message_user(
                request,
                f"کلید Open311 برای «{key.name}» ساخته شد: {raw} — {SHOWN_ONCE}؛ "
                "آن را همین حالا در جای امنی نگه دارید.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:outages_open311apikey_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "کلید Open311 جدید",
            "form": form,
        }
        return TemplateResponse(request, "admin/outages/open311apikey/add.html", context)

    @admin.action(description=_("غیرفعال کردن کلیدهای انتخاب‌شده"))
    def deactivate(self, request, queryset):
        count = queryset.filter(is_active=True).update(is_active=False)
        from portal.digits import to_persian_digits

        self.message_user(request, f"{to_persian_digits(count)} کلید غیرفعال شد.", messages.SUCCESS)
