"""API routes of billing, included under /api/v1/ (namespace "billing_api")."""

from billing.api import history, pdf, readings

app_name = "billing_api"

urlpatterns = [
    *history.urlpatterns,
    *pdf.urlpatterns,
    *readings.urlpatterns,
]
