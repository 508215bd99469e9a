"""Kiosks, their operators, on-behalf sessions and in-person identity checks in admin.

Kiosk offices, operators and sessions belong to the system administrator alone. Identity
checks are added by telecom-center operators (channel ``telecom_center``) and office clerks
and supervisors (channel ``office``) through ``identity_verify``; nobody edits or deletes one.
Office staff see checks they or their office's staff recorded, and checks of citizens with
an active link to a subscription in their office.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from portal.http import client_ip
from subscribers.forms_kiosk import IdentityVerificationAdminForm
from subscribers.models import (
    IdentityVerification,
    KioskOffice,
    KioskOperator,
    OnBehalfSession,
    SubscriptionLink,
)
from subscribers.permissions import sees_all_offices
from subscribers.services.identity import CHECKLISTS, identity_channel_for, identity_verify


class SystemAdministratorOnly:
    def _allowed(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and sees_all_offices(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request)


@admin.register(KioskOffice)
class KioskOfficeAdmin(SystemAdministratorOnly, admin.ModelAdmin):
    list_display = ["code", "name", "city"]
    list_select_related = ["city"]
    search_fields = ["code", "name"]
    list_filter = ["city__province"]


@admin.register(KioskOperator)
class KioskOperatorAdmin(SystemAdministratorOnly, admin.ModelAdmin):
    list_display = ["user", "kiosk", "is_active"]
    list_select_related = ["user", "kiosk"]
    list_filter = ["is_active", "kiosk"]
    search_fields = ["user__username", "user__last_name", "kiosk__code", "kiosk__name"]
    autocomplete_fields = ["user", "kiosk"]


@admin.register(OnBehalfSession)
class OnBehalfSessionAdmin(SystemAdministratorOnly, admin.ModelAdmin):
    list_display = [
        "started_at", "operator", "citizen", "kiosk", "consent", "expires_at", "ended_at",
    ]  # fmt: skip
    list_select_related = ["operator", "citizen", "kiosk"]
    list_filter = ["consent", "kiosk"]
    readonly_fields = [
        "operator", "citizen", "kiosk", "consent", "verification", "started_at", "expires_at",
        "ended_at",
    ]  # fmt: skip
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def identity_scope(queryset: QuerySet, user) -> QuerySet:
    if sees_all_offices(user):
        return queryset
    condition = Q(verified_by=user.pk)
    if user.office_id is not None:
        linked = Exists(
            SubscriptionLink.objects.filter(
                user=OuterRef("user"), ended_at__isnull=True, subscription__office=user.office_id
            )
        )
        condition |= Q(verified_by__office=user.office_id) | linked
    return queryset.filter(condition)


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(admin.ModelAdmin):
    form = IdentityVerificationAdminForm
    list_display = ["created_at", "user", "channel", "document_type", "verified_by", "kiosk"]
    list_select_related = ["user", "verified_by", "kiosk"]
    list_filter = ["channel", "document_type"]
    search_fields = ["user__username", "user__last_name"]
    autocomplete_fields = ["user"]
    show_full_result_count = False
    add_fields = ["user", "document_type", "document_number", "documents_seen", "is_tenant"]
    view_fields = [
        "user", "verified_by", "channel", "kiosk", "document_type", "document_number",
        "documents_titles", "created_at",
    ]  # fmt: skip

    @admin.display(description="مدارک رؤیت‌شده")
    def documents_titles(self, obj: IdentityVerification) -> str:
        titles = {item.key: item.title for items in CHECKLISTS.values() for item in items}
        return "؛ ".join(titles.get(key, key) for key in obj.documents_seen)

    def get_fields(self, request: HttpRequest, obj=None):
        return self.add_fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [] if obj is None else self.view_fields

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = super().get_form(request, obj, change=change, **kwargs)
        form.operator = request.user
        return form

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return identity_scope(super().get_queryset(request), request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        created = identity_verify(
            citizen=obj.user,
            operator=request.user,
            channel=identity_channel_for(request.user),
            document_type=obj.document_type,
            document_number=obj.document_number,
            documents_seen=form.cleaned_data["documents_seen"],
            is_tenant=form.cleaned_data.get("is_tenant", False),
            client_ip=client_ip(request),
        )
        obj.pk = created.pk
        obj.verified_by = created.verified_by
        obj.channel = created.channel
        obj.created_at = created.created_at
        obj._state.adding = False
