"""The portal's admin site: staff reach it only through the two-factor staff login."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from subscribers.permissions import staff_second_factor_done


class PortalAdminSite(admin.AdminSite):
    """Django's admin behind ``/staff/login/`` (password + SMS code).

    ``has_permission`` also requires the session's second-factor flag, so a staff user —
    superusers included — whose session was opened any other way is sent back to the staff
    login, and Django's own login form is never shown.
    """

    site_header = "مدیریت سامانه خدمات غیرحضوری"
    site_title = "مدیریت سامانه"
    index_title = "امور مشترکین"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and staff_second_factor_done(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        try:
            staff_login = reverse("subscribers:staff-login")
        except NoReverseMatch:
            # A URLconf without the portal's pages (some tests mount the admin alone): Django's
            # own form; it cannot grant access by itself since has_permission wants the flag.
            return super().login(request, extra_context)
        return redirect(f"{staff_login}?{urlencode({'next': target})}")
