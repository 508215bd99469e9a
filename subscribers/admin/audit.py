"""The audit log in admin: read-only for everyone, superusers included (ASVS 16.4.2).

Scoping for office staff (anyone who is not a system administrator): rows whose ``office``
is theirs, rows whose actor is staff of their office, and kiosk rows (``kiosk`` set) for
citizens with an active link to a subscription in their office. One EXISTS subquery, no join
fan-out. A staff user without an office sees nothing; system administrators see all.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from subscribers.models import AuditLog, SubscriptionLink
from subscribers.permissions import sees_all_offices


def audit_scope(queryset: QuerySet, user) -> QuerySet:
    if sees_all_offices(user):
        return queryset
    if user.office_id is None:
        return queryset.none()
    office_citizen = Exists(
        SubscriptionLink.objects.filter(
            user=OuterRef("on_behalf_of"),
            ended_at__isnull=True,
            subscription__office=user.office_id,
        )
    )
    return queryset.filter(
        Q(office=user.office_id)
        | Q(actor__office=user.office_id)
        | (Q(kiosk__isnull=False) & office_citizen)
    )


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "action", "actor", "on_behalf_of", "kiosk", "office", "object_type",
        "object_id", "ip",
    ]  # fmt: skip
    list_filter = ["action", "kiosk", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["actor", "on_behalf_of", "kiosk", "office"]
    search_fields = ["=object_id"]
    readonly_fields = [
        "created_at", "action", "actor", "on_behalf_of", "kiosk", "office", "object_type",
        "object_id", "ip", "details",
    ]  # fmt: skip
    fields = readonly_fields
    date_hierarchy = None
    actions = None
    # The table only grows; the paginator must not COUNT(*) all of it.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return audit_scope(super().get_queryset(request), request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
