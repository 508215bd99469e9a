"""HTML routes of the outages app (namespace "outages"). Each views module owns its routes."""

from outages.views import call_center, pages, report

app_name = "outages"

urlpatterns = [
    *pages.urlpatterns,
    *report.urlpatterns,
    *call_center.urlpatterns,
]
