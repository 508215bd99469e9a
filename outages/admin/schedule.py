"""Scheduled outages (خاموشی برنامه‌ریزی‌شده) in admin: the office's schedule, a form with
Jalali dates whose save calls ``scheduled_outage_save``, cancelling through
``scheduled_outage_cancel`` and the CSV upload through ``outages_import``.

The add and change pages are our own forms, not Django's model form: the service validates
the window, bumps its version and sends the update SMS, and its field errors are shown on the
inputs. Status, version and alert columns never change here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from outages.admin import forms as admin_forms
from outages.admin.common import OfficeCityFilter, ScopedAdmin, jalali, sees_all
from outages.models import Feeder, ScheduledOutage
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError


class UpcomingFilter(admin.SimpleListFilter):
    title = _("زمان")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("پیش رو و جاری")), ("past", _("گذشته"))]

    def queryset(self, request, queryset):
        from django.utils import timezone

        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gt=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(ScheduledOutage)
class ScheduledOutageAdmin(ScopedAdmin):
    office_lookup = "feeder__office"
    list_display = ["feeder", "start", "end", "reason", "status", "version_fa", "alerted"]
    list_select_related = ["feeder"]
    list_filter = ["status", UpcomingFilter, "feeder__office", ("feeder__city", OfficeCityFilter)]
    all_offices_filters = ("feeder__office",)
    search_fields = ["=feeder__code", "feeder__name", "reason"]
    search_help_text = _("کد یا نام فیدر، یا علت")
    ordering = ["-starts_at", "-id"]
    actions = ["cancel_windows"]

    # -- columns --

    @admin.display(description=_("شروع"), ordering="starts_at")
    def start(self, obj: ScheduledOutage) -> str:
        return jalali(obj.starts_at)

    @admin.display(description=_("پایان"), ordering="ends_at")
    def end(self, obj: ScheduledOutage) -> str:
        return jalali(obj.ends_at)

    @admin.display(description=_("نسخه"), ordering="version")
    def version_fa(self, obj: ScheduledOutage) -> str:
        return to_persian_digits(obj.version)

    @admin.display(description=_("هشدار ارسال شد"), boolean=True)
    def alerted(self, obj: ScheduledOutage) -> bool:
        return obj.alerted_at is not None

    # -- scoping --

    def feeders_for(self, request: HttpRequest):
        feeders = Feeder.objects.select_related("city").order_by("city__name", "code")
        user = request.user
        if sees_all(request):
            return feeders
        if user.office_id is None:
            return feeders.none()
        return feeders.filter(office_id=user.office_id)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancel instead: subscribers were told about it

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            actions.pop("cancel_windows", None)
        return actions

    # -- pages --

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path("import/", view(self.import_view), name="outages_scheduledoutage_import"),
            path(
                "<int:object_id>/cancel/",
                view(self.cancel_view),
                name="outages_scheduledoutage_cancel",
            ),
        ]
        return custom + super().get_urls()

    def _form_page(self, request, form, *, obj=None, title: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": title,
            "form": form,
            "can_change": obj is None or self.has_change_permission(request, obj),
            "can_cancel": obj is not None
            and obj.status == ScheduledOutage.Status.PLANNED
            and self.has_change_permission(request, obj),
        }
        return TemplateResponse(request, "admin/outages/scheduledoutage/form.html", context)

    def _save(self, request, form, obj) -> ScheduledOutage | None:
        from outages.services.schedule import scheduled_outage_save

        starts_at, ends_at = form.window()
        try:
            return scheduled_outage_save(
                outage=obj,
                feeder=form.cleaned_data["feeder"],
                starts_at=starts_at,
                ends_at=ends_at,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except NotFound:
            form.add_error("feeder", "این فیدر در امور شما نیست.")
        except PortalError as exc:
            if not form.add_service_errors(exc.fields):
                form.add_error(None, exc.message)
        return None

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = admin_forms.ScheduledOutageForm(
            request.POST if request.method == "POST" else None, feeders=self.feeders_for(request)
        )
        if request.method == "POST" and form.is_valid():
            outage = self._save(request, form, None)
            if outage is not None:
                self.message_user(
                    request,
                    f"خاموشی فیدر {outage.feeder.code} از {jalali(outage.starts_at)} "
                    f"تا {jalali(outage.ends_at)} ثبت شد.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:outages_scheduledoutage_changelist"))
        return self._form_page(request, form, title="ثبت خاموشی برنامه‌ریزی‌شده")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object_or_404(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        editable = (
            self.has_change_permission(request, obj)
            and obj.status == ScheduledOutage.Status.PLANNED
        )
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            form = admin_forms.ScheduledOutageForm(request.POST, feeders=self.feeders_for(request))
            if form.is_valid():
                outage = self._save(request, form, obj)
                if outage is not None:
                    self.message_user(
                        request,
                        f"خاموشی فیدر {outage.feeder.code} تغییر کرد (نسخه "
                        f"{to_persian_digits(outage.version)}).",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:outages_scheduledoutage_change", args=[outage.pk])
                    )
        else:
            form = admin_forms.ScheduledOutageForm(
                initial=admin_forms.ScheduledOutageForm.initial_for(obj),
                feeders=self.feeders_for(request),
            )
        if not editable:
            for field in form.fields.values():
                field.disabled = True
        return self._form_page(request, form, obj=obj, title=f"خاموشی {obj.feeder}")

    def _cancel(self, request, outage: ScheduledOutage) -> bool:
        from outages.services.schedule import scheduled_outage_cancel

        try:
            scheduled_outage_cancel(outage=outage, actor=request.user)
        except NotFound:
            raise PermissionDenied from None
        except PortalError as exc:
            self.message_user(request, f"{outage}: {exc.message}", messages.ERROR)
            return False
        return True

    def cancel_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = self.get_object_or_404(request, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:outages_scheduledoutage_change", args=[obj.pk])
        if request.method == "POST" and self._cancel(request, obj):
            self.message_user(request, f"خاموشی فیدر {obj.feeder.code} لغو شد.", messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    @admin.action(description=_("لغو خاموشی‌های انتخاب‌شده"))
    def cancel_windows(self, request, queryset):
        cancelled = 0
        for outage in queryset.filter(status=ScheduledOutage.Status.PLANNED):
            if self._cancel(request, outage):
                cancelled += 1
        if cancelled:
            self.message_user(
                request, f"{to_persian_digits(cancelled)} خاموشی لغو شد.", messages.SUCCESS
            )
        else:
            self.message_user(request, "خاموشی برنامه‌ریزی‌شده‌ای انتخاب نشده بود.", messages.WARNING)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV of windows; all-or-nothing: every error with its line, or the summary."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = admin_forms.OutageImportForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
        )
        result = None
        if request.method == "POST" and form.is_valid():
            from outages.services.schedule import outages_import

            try:
                result = outages_import(file=form.cleaned_data["file"].read(), actor=request.user)
            except PortalError as exc:
                form.add_error("file", exc.message)
            else:
                if result.ok:
                    self.message_user(request, result.summary(), messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:outages_scheduledoutage_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "ورود خاموشی‌ها از فایل",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/outages/scheduledoutage/import.html", context)
