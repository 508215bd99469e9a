"""The billing app's admin, one module per area. Importing registers each ModelAdmin."""

from billing.admin import bills, imports, tariffs  # noqa: F401
