"""Help content: FAQ entries and service cards (the national service-information form)."""

from django.contrib import admin

from requests_app.models import FaqEntry, ServiceCard


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "category", "order", "is_published", "updated_at"]
    list_display_links = ["question"]
    list_editable = ["order", "is_published"]
    list_filter = ["category", "is_published"]
    search_fields = ["question", "answer"]
    readonly_fields = ["updated_at"]


@admin.register(ServiceCard)
class ServiceCardAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "service_id",
        "section",
        "company_kind",
        "service_type",
        "order",
        "is_published",
    ]
    list_display_links = ["title"]
    list_editable = ["order", "is_published"]
    list_filter = ["section", "company_kind", "service_type", "is_published"]
    search_fields = ["title", "service_id", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["updated_at"]
    # Grouped as on the national service-information form (seed 004).
    fieldsets = [
        (
            "مشخصات خدمت",
            {
                "fields": [
                    "title",
                    "slug",
                    "service_id",
                    "section",
                    "company_kind",
                    "service_type",
                    "order",
                    "is_published",
                ]
            },
        ),
        (
            "جزئیات خدمت",
            {
                "fields": [
                    "description",
                    "required_documents",
                    "steps",
                    ("average_time_hours", "average_time"),
                    "service_hours",
                    "in_person_visits",
                ]
            },
        ),
        ("هزینه و پرداخت", {"fields": ["fee_description", "kiosk_fee_rials", "payment_methods"]}),
        ("نحوه دسترسی", {"fields": ["access_channels", "complaint_channels", "updated_at"]}),
    ]
