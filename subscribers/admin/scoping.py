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


class ImportRegistryAdminMixin:
    """Admin of an import registry (one row per imported file, with ``imported_by``): read
    only, scoped to files imported by the staff user's office (system administrators see all,
    including the command line's), another office's file answers 404, and an upload page at
    ``upload/`` named ``upload_url_name``. The subclass writes ``upload_view``; staff may upload
    with the model's ``add`` permission (``can_upload`` is also in the changelist context)."""

    upload_url_name = ""

    def can_upload(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return False
        opts = self.model._meta
        return sees_all_offices(user) or user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        user = request.user
        if sees_all_offices(user):
            return queryset
        if user.office_id is None:
            return queryset.none()
        return queryset.filter(imported_by__office_id=user.office_id)

    def get_urls(self):
        from django.urls import path

        upload = path(
            "upload/", self.admin_site.admin_view(self.upload_view), name=self.upload_url_name
        )
        return [upload, *super().get_urls()]

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        from django.http import Http404

        raise Http404  # another office's file is the same as no file

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # files come in through the upload page, never a blank form

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "can_upload": self.can_upload(request)}
        return super().changelist_view(request, extra_context)
