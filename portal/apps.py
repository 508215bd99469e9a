from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Model-free project app: template tags, error pages, seed_demo."""

    name = "portal"
    verbose_name = "پرتال"
