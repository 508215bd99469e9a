from django.contrib import admin

from subscribers.models import City, DistrictOffice, OfficePhone, UtilityCompany


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "province"]
    list_filter = ["province"]
    search_fields = ["name", "province"]


@admin.register(UtilityCompany)
class UtilityCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "call_center"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "code"]
    filter_horizontal = ["cities"]


class OfficePhoneInline(admin.TabularInline):
    model = OfficePhone
    extra = 1


@admin.register(DistrictOffice)
class DistrictOfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "company"]
    list_filter = ["company"]
    list_select_related = ["company"]
    search_fields = ["name", "code", "company__name"]
    filter_horizontal = ["cities"]
    inlines = [OfficePhoneInline]
