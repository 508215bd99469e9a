"""API routes of requests_app under /api/v1/."""

from django.urls import path

from requests_app import api

app_name = "requests_api"

urlpatterns = [
    path("service-cards/", api.ServiceCardListAPI.as_view(), name="service-card-list"),
    path(
        "service-cards/<str:service_id>/",
        api.ServiceCardDetailAPI.as_view(),
        name="service-card-detail",
    ),
    path("faq/", api.FaqListAPI.as_view(), name="faq-list"),
]
