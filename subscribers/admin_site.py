"""The portal's admin site (placeholder: the staff-login work adds the second factor)."""

from django.contrib import admin


class PortalAdminSite(admin.AdminSite):
    site_header = "مدیریت سامانه خدمات غیرحضوری"
    site_title = "مدیریت سامانه"
    index_title = "امور مشترکین"
