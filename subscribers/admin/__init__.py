"""subscribers' admin, one module per area. Importing registers each ModelAdmin."""

from subscribers.admin import accounts, reference  # noqa: F401
