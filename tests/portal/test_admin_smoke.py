"""Every admin changelist and add form opens for a system administrator, in the portal font."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import login_with_second_factor

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label != "auth"]


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", password="a-long-password-1")
    login_with_second_factor(client, user)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_opens(admin_client, model):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_admin_uses_the_portal_font(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Vazirmatn-font-face.css" in html
    assert "مدیریت سامانه خدمات غیرحضوری" in html
