"""Root URLconf: HTML pages per app, the admin, and everything API under /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import views

portal_patterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
]

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("requests_app.api_urls")),
    path("", include("subscribers.api_urls")),
    path("", include("outages.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("telecom.api_urls")),
]

urlpatterns = [
    # First: the mobile app's requests resolve without trying every page pattern (no page
    # URL starts with api/).
    path("api/v1/", include(api_v1)),
    path("", include((portal_patterns, "portal"))),
    path("", include("requests_app.urls")),
    path("", include("subscribers.urls")),
    path("", include("outages.urls")),
    path("", include("billing.urls")),
    path("", include("telecom.urls")),
    path("open311/v2/", include("outages.open311.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
