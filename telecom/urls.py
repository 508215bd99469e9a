"""HTML routes of telecom (namespace "telecom"). Each views module owns its routes."""

from telecom.views import calls, lines

app_name = "telecom"

urlpatterns = [
    *lines.urlpatterns,
    *calls.urlpatterns,
]
