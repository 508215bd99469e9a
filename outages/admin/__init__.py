"""The outages app's admin, one module per area. Importing registers each ModelAdmin."""

from outages.admin import incidents, keys, network, schedule  # noqa: F401
