"""Feeders and outage reports in admin, scoped to the staff member's office."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from outages.admin.common import OfficeCityFilter, ScopedAdmin, jalali, masked_mobile_html, sees_all
from outages.models import Feeder, OutageReport
from portal.digits import to_persian_digits
from subscribers.models import City, DistrictOffice


class FeederForm(forms.ModelForm):
    class Meta:
        model = Feeder
        fields = ["office", "city", "code", "name", "area"]

    def clean(self):
        data = super().clean()
        office, city, code = data.get("office"), data.get("city"), data.get("code")
        if office and city and not office.cities.filter(pk=city.pk).exists():
            self.add_error("city", "این شهر در محدوده این امور نیست.")
        if office and code:
            duplicate = Feeder.objects.filter(company_id=office.company_id, code=code.strip())
            if self.instance.pk:
                duplicate = duplicate.exclude(pk=self.instance.pk)
            if duplicate.exists():
                self.add_error("code", "فیدری با این کد در این شرکت ثبت شده است.")
        return data


@admin.register(Feeder)
class FeederAdmin(ScopedAdmin):
    form = FeederForm
    office_lookup = "office"
    list_display = ["code", "name", "office", "city"]
    list_select_related = ["office", "city"]
    list_filter = ["office", ("city", OfficeCityFilter)]
    all_offices_filters = ("office",)
    search_fields = ["code", "name"]
    search_help_text = _("کد یا نام فیدر")
    ordering = ["office__name", "code"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.name == "office" and not sees_all(request):
            kwargs["queryset"] = DistrictOffice.objects.filter(pk=user.office_id)
        if db_field.name == "city" and not sees_all(request):
            kwargs["queryset"] = City.objects.filter(offices=user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # A feeder belongs to its office's company (subscriptions match on company + code).
        obj.company_id = obj.office.company_id
        obj.code = obj.code.strip()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # outages and reports point at it; PROTECT would 500


@admin.register(OutageReport)
class OutageReportAdmin(ScopedAdmin):
    office_lookup = "feeder__office"
    list_display = ["code_fa", "channel", "feeder", "incident_state", "created", "masked_mobile"]
    list_select_related = ["feeder", "incident"]
    list_filter = ["channel", "feeder__office"]
    all_offices_filters = ("feeder__office",)
    search_fields = ["=code"]
    search_help_text = _("کد رهگیری")
    ordering = ["-created_at", "-id"]
    fields = [
        "code_fa",
        "channel",
        "feeder",
        "incident",
        "incident_state",
        "scheduled_outage",
        "masked_mobile",
        "description",
        "address_string",
        "created",
        "result_sent",
    ]
    readonly_fields = fields

    @admin.display(description=_("کد رهگیری"), ordering="code")
    def code_fa(self, obj: OutageReport) -> str:
        return to_persian_digits(obj.code)

    @admin.display(description=_("وضعیت"))
    def incident_state(self, obj: OutageReport) -> str:
        if obj.incident_id:
            return obj.incident.get_state_display()
        return "خاموشی برنامه‌ریزی‌شده"

    @admin.display(description=_("زمان ثبت"), ordering="created_at")
    def created(self, obj: OutageReport) -> str:
        return jalali(obj.created_at)

    @admin.display(description=_("زمان ارسال نتیجه"))
    def result_sent(self, obj: OutageReport) -> str:
        return jalali(obj.result_sent_at)

    @admin.display(description=_("تلفن همراه"))
    def masked_mobile(self, obj: OutageReport) -> str:
        return masked_mobile_html(obj.mobile)

    def has_add_permission(self, request) -> bool:
        return False  # reports come from citizens, the 121 console and the APIs

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
