"""Office scoping for staff in admin: a clerk sees only their office's rows (STYLE §6)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from subscribers.permissions import sees_all_offices


class OfficeScopedAdminMixin:
    """Filters the changelist (and so change/delete views, which 404 outside it) to the
    staff user's office. ``office_lookup`` is the ORM path from the model to its office."""

    office_lookup = "office"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        user = request.user
        if sees_all_offices(user):
            return queryset
        if user.office_id is None:
            return queryset.none()
        return queryset.filter(**{self.office_lookup: user.office_id})


class OfficeScopedAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    pass
