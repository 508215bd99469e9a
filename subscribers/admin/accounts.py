"""Admin for accounts (users and their profiles)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from subscribers.models import User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "kind", "office", "is_active"]
    list_filter = ["kind", "is_active", "is_staff", "office"]
    list_select_related = ["office"]
    search_fields = ["username", "first_name", "last_name", "national_code", "mobile"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("پرتال", {"fields": ["kind", "national_code", "legal_national_id", "mobile", "office"]}),
    ]
