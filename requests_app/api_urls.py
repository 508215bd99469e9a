"""API routes of requests_app under /api/v1/."""

from django.urls import path

from requests_app.api import catalog as api
from requests_app.api import requests as requests_api

app_name = "requests_api"

urlpatterns = [
    path("service-cards/", api.ServiceCardListAPI.as_view(), name="service-card-list"),
    path(
        "service-cards/<str:service_id>/",
        api.ServiceCardDetailAPI.as_view(),
        name="service-card-detail",
    ),
    path("faq/", api.FaqListAPI.as_view(), name="faq-list"),
    path("request-types/", requests_api.RequestTypeListAPI.as_view(), name="request-type-list"),
    path(
        "request-types/<slug:code>/subscriptions/",
        requests_api.RequestTypeSubscriptionsAPI.as_view(),
        name="request-type-subscriptions",
    ),
    path("requests/", requests_api.RequestListCreateAPI.as_view(), name="request-list"),
    # Before requests/<number>/: "track" must never be read as a request number.
    path("requests/track/", requests_api.RequestTrackAPI.as_view(), name="request-track"),
    path("requests/<str:number>/", requests_api.RequestDetailAPI.as_view(), name="request-detail"),
    path(
        "requests/<str:number>/documents/",
        requests_api.RequestDocumentUploadAPI.as_view(),
        name="request-document-upload",
    ),
    path(
        "requests/<str:number>/cancel/",
        requests_api.RequestCancelAPI.as_view(),
        name="request-cancel",
    ),
]
