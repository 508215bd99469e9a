"""The user changelist in admin: office staff see their office's subscribers and staff only."""

import pytest
from django.urls import reverse

from subscribers import roles
from tests.factories import (
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    add_role,
    login_with_second_factor,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:subscribers_user_changelist")


@pytest.fixture
def world():
    mine = SubscriptionFactory()
    theirs = SubscriptionFactory()
    ours = UserFactory(first_name="مشترک-ما")
    other = UserFactory(first_name="مشترک-دیگر")
    SubscriptionLinkFactory(user=ours, subscription=mine)
    SubscriptionLinkFactory(user=other, subscription=theirs)
    clerk = StaffFactory(office=mine.office)
    add_role(clerk, roles.OFFICE_CLERK)
    colleague = StaffFactory(office=mine.office)
    stranger = StaffFactory(office=theirs.office)
    return {"ours": ours, "other": other, "clerk": clerk, "colleague": colleague,
            "stranger": stranger, "other_link_sub": theirs}  # fmt: skip


def _visible(client, user) -> set[int]:
    login_with_second_factor(client, user)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_clerk_sees_own_office_subscribers_and_staff(client, world):
    visible = _visible(client, world["clerk"])
    assert world["ours"].pk in visible
    assert world["colleague"].pk in visible
    assert world["other"].pk not in visible
    assert world["stranger"].pk not in visible


def test_clerk_of_another_office_gets_404_on_the_change_page(client, world):
    login_with_second_factor(client, world["clerk"])
    world["clerk"].user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="view_user")
    )
    url = reverse("admin:subscribers_user_change", args=[world["other"].pk])
    assert client.get(url).status_code == 302  # admin's answer for an object outside the queryset
    own = reverse("admin:subscribers_user_change", args=[world["ours"].pk])
    assert client.get(own).status_code == 200


def test_ended_link_no_longer_counts(client, world):
    from django.utils import timezone

    world["ours"].subscription_links.update(ended_at=timezone.now())
    assert world["ours"].pk not in _visible(client, world["clerk"])


def test_system_administrator_sees_everyone(client, world):
    admin = StaffFactory(office=None)
    add_role(admin, roles.SYSTEM_ADMINISTRATOR)
    admin.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="view_user")
    )
    visible = _visible(client, admin)
    assert {world["ours"].pk, world["other"].pk, world["stranger"].pk} <= visible
