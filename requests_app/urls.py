"""Public help pages and the service catalog (HTML)."""

from django.urls import path

from requests_app import views
from requests_app.models import ServiceCard

app_name = "requests_app"

urlpatterns = [
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
]
