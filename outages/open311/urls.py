"""Open311 GeoReport v2 routes (namespace "open311"). Every endpoint takes a format suffix
(``.json`` / ``.xml``); anything else under /open311/v2/ is a 404 in the spec's error shape."""

from django.urls import re_path

from outages.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})"

urlpatterns = [
    re_path(rf"^discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", views.services, name="services"),
    re_path(
        rf"^services/(?P<service_code>[^/]+?){FMT}$",
        views.service_definition,
        name="service_definition",
    ),
    re_path(rf"^requests{FMT}$", views.requests_, name="requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[^/]+?){FMT}$",
        views.request_detail,
        name="request_detail",
    ),
    re_path(rf"^tokens/(?P<token>[^/]+?){FMT}$", views.token_detail, name="token_detail"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not_found"),
]
