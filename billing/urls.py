"""HTML routes of billing (namespace "billing"). Each views module owns its routes."""

from billing.views import history, lookup, organisations, pdf, readings

app_name = "billing"

urlpatterns = [
    *history.urlpatterns,
    *lookup.urlpatterns,
    *pdf.urlpatterns,
    *organisations.urlpatterns,
    *readings.urlpatterns,
]
