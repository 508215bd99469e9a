"""API routes of subscribers under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("subscribers.api.auth")),
    path("", include("subscribers.api.subscriptions")),
]
