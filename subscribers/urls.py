"""HTML routes of subscribers: accounts, subscriptions, the kiosk console."""

from django.urls import include, path

app_name = "subscribers"

urlpatterns = [
    path("", include("subscribers.views.auth")),
    path("", include("subscribers.views.subscriptions")),
    path("pishkhan/", include("subscribers.views.kiosk")),
]
