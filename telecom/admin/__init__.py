"""The telecom app's admin, one module per area. Importing registers each ModelAdmin."""

from telecom.admin import calls, lines  # noqa: F401
