"""API routes of telecom, included under /api/v1/ (namespace "telecom_api")."""

from telecom.api import calls, lines

app_name = "telecom_api"

urlpatterns = [
    *lines.urlpatterns,
    *calls.urlpatterns,
]
