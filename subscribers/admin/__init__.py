"""subscribers' admin, one module per area. Importing registers each ModelAdmin."""

from subscribers.admin import accounts, audit, kiosk, reference, subscriptions  # noqa: F401
