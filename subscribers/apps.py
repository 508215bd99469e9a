from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SubscribersConfig(AppConfig):
    name = "subscribers"
    verbose_name = "مشترکین و اطلاعات پایه"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the portal's admin site (staff login with a second factor)."""

    default = False
    default_site = "subscribers.admin_site.PortalAdminSite"
