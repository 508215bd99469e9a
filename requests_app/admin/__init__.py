"""requests_app's admin, one module per area. Importing registers each ModelAdmin."""

from requests_app.admin import catalog, feedback, help, requests  # noqa: F401
