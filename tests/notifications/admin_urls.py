"""Only the admin: the outbox admin tests do not depend on other apps' URLconfs."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
