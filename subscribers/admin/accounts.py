"""Admin for accounts (users and their profiles).

Password hashes are never shown (no ``password`` field on the change form; administrators
use Django's "change password" page); national codes are masked in the list.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils.safestring import mark_safe

from portal.http import client_ip
from portal.identifiers import mask_national_code
from subscribers.models import LegalProfile, NaturalProfile, SubscriptionLink, User
from subscribers.permissions import sees_all_offices
from subscribers.services.accounts import account_disable


class NaturalProfileInline(admin.StackedInline):
    model = NaturalProfile
    can_delete = False
    extra = 0
    max_num = 1


class LegalProfileInline(admin.StackedInline):
    model = LegalProfile
    can_delete = False
    extra = 0
    max_num = 1


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = [
        "masked_username",
        "first_name",
        "last_name",
        "kind",
        "masked_national_code",
        "office",
        "is_active",
        "mobile_verified",
    ]
    list_display_links = ["masked_username"]
    list_filter = ["kind", "is_active", "is_staff", "is_superuser", "office"]
    list_select_related = ["office"]
    search_fields = ["username", "first_name", "last_name", "national_code", "mobile"]
    readonly_fields = ["last_login", "date_joined", "mobile_verified_at"]
    inlines = [NaturalProfileInline, LegalProfileInline]
    actions = ["disable_accounts"]
    fieldsets = [
        (None, {"fields": ["username"]}),
        ("مشخصات", {"fields": ["first_name", "last_name", "email"]}),
        (
            "پرتال",
            {
                "fields": [
                    "kind",
                    "national_code",
                    "legal_national_id",
                    "mobile",
                    "mobile_verified_at",
                    "office",
                ]
            },
        ),
        (
            "دسترسی‌ها",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("زمان‌ها", {"fields": ["last_login", "date_joined"]}),
    ]

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: User) -> str:
        # Django labels the checkbox with str(obj), i.e. the username = national code.
        attrs = {"class": "action-select", "aria-label": f"انتخاب {self.masked_username(obj)}"}
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))

    @admin.display(description="نام کاربری", ordering="username")
    def masked_username(self, obj: User) -> str:
        # A natural person's username is their national code: mask it like the code.
        if obj.national_code and obj.username == obj.national_code:
            return mask_national_code(obj.username)
        return obj.username

    @admin.display(description="کد ملی / شناسه ملی")
    def masked_national_code(self, obj: User) -> str:
        code = obj.national_code or obj.legal_national_id
        return mask_national_code(code) if code else "—"

    @admin.display(description="تلفن تأییدشده", boolean=True)
    def mobile_verified(self, obj: User) -> bool:
        return obj.mobile_verified_at is not None

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        """Office staff see the subscribers linked to a subscription of their office, and
        their office's staff; system administrators see everyone (STYLE §6)."""
        queryset = super().get_queryset(request).select_related("office")
        user = request.user
        if sees_all_offices(user):
            return queryset
        if user.office_id is None:
            return queryset.none()
        linked = Exists(
            SubscriptionLink.objects.filter(
                user=OuterRef("pk"),
                ended_at__isnull=True,
                subscription__office=user.office_id,
            )
        )
        return queryset.filter(linked | Q(kind=User.Kind.STAFF, office=user.office_id))

    def get_inline_instances(self, request: HttpRequest, obj: User | None = None) -> list:
        if obj is None:
            return []
        wanted = {User.Kind.NATURAL: NaturalProfileInline, User.Kind.LEGAL: LegalProfileInline}
        inline = wanted.get(obj.kind)
        return [i for i in super().get_inline_instances(request, obj) if type(i) is inline]

    @admin.action(description="غیرفعال‌کردن حساب‌های انتخاب‌شده (پایان همه نشست‌ها)")
    def disable_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.filter(is_active=True):
            account_disable(user=user, actor=request.user, ip=client_ip(request))
            count += 1
        self.message_user(request, f"{count} حساب غیرفعال شد.", messages.SUCCESS)
