"""HTML routes of requests_app: help pages, the service catalog and the request screens."""

from django.urls import path

from requests_app.models import ServiceCard
from requests_app.views import documents, feedback, payments, requests, tracking
from requests_app.views import help as views

app_name = "requests_app"

urlpatterns = [
    # Before the catalog: "services/performance/" must not be read as a service card's slug.
    *feedback.urlpatterns,
    path("help/", views.help_index, name="help"),
    path("help/faq/", views.faq, name="faq"),
    path("help/phones/", views.phonebook, name="phonebook"),
    path("help/service-area/", views.service_area, name="service-area"),
    path("services/", views.catalog, name="catalog"),
    # One named route per menu section (MAIN_MENU reverses `section-<key>` without arguments).
    *(
        path(f"services/section/{key}/", views.section, {"key": key}, name=f"section-{key}")
        for key in ServiceCard.Section.values
    ),
    path("services/<slug:slug>/", views.service_card, name="service-card"),
    # Each request-screen module owns its routes (all in this "requests_app" namespace).
    *tracking.urlpatterns,
    *documents.urlpatterns,
    *payments.urlpatterns,
    *requests.urlpatterns,
]
