"""The outbox admin: read-only changelist, search, and the "retry failed" action."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue
from tests.factories import login_with_second_factor
from tests.notifications.stubs import MOBILE

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.admin_urls")]

Status = OutboxMessage.Status
CHANGELIST = "admin:notifications_outboxmessage_changelist"


def make(key: str, recipient: str = MOBILE, **fields) -> OutboxMessage:
    message = sms_enqueue(
        recipient=recipient,
        kind=OutboxMessage.Kind.BILL_NOTICE,
        text=f"قبض {key} صادر شد",
        idempotency_key=key,
    )
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)
    message.refresh_from_db()
    return message


def staff(*codenames: str):
    user = get_user_model().objects.create_user("operator", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_changelist_shows_text_and_filters(admin_client):
    make("a", status=Status.FAILED, failure_reason="418: …")
    make("b", recipient="09351234567", status=Status.SENT)
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    content = response.content.decode()
    assert "قبض a صادر شد" in content and "قبض b صادر شد" in content
    assert "ارسال دوباره پیامک‌های ناموفق" in content  # the action is offered
    assert "delete_selected" not in content

    response = admin_client.get(reverse(CHANGELIST), {"status__exact": "failed"})
    assert list(response.context["cl"].result_list) == [
        OutboxMessage.objects.get(text__contains=" a ")
    ]


def test_search_by_recipient_accepts_persian_digits(admin_client):
    mine = make("a")
    make("b", recipient="09351234567")
    response = admin_client.get(reverse(CHANGELIST), {"q": "۰۹۱۲-۱۲۳-۴۵۶۷"})
    assert list(response.context["cl"].result_list) == [mine]


def test_rows_cannot_be_added_changed_or_deleted(admin_client):
    message = make("a")
    assert admin_client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403
    change_url = reverse("admin:notifications_outboxmessage_change", args=[message.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert "قبض a صادر شد" in page.content.decode()  # shown, read-only
    assert admin_client.post(change_url, {"text": "hacked"}).status_code == 403
    delete_url = reverse("admin:notifications_outboxmessage_delete", args=[message.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    message.refresh_from_db()
    assert message.text == "قبض a صادر شد"


def test_retry_failed_action_calls_the_service(admin_client, django_capture_on_commit_callbacks):
    failed = make("a", status=Status.FAILED, attempts=5, failure_reason="418: …")
    sent = make("b", status=Status.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "۱ پیامک دوباره در صف ارسال قرار گرفت" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Status.SENT  # console gateway, eager task
    assert failed.attempts == 1


def test_view_only_staff_sees_the_list_but_not_the_action(client):
    make("a", status=Status.FAILED)
    login_with_second_factor(client, staff("view_outboxmessage"))
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "retry_failed" not in response.content.decode()


def test_staff_without_permission_gets_no_access(client):
    login_with_second_factor(client, staff())
    assert client.get(reverse(CHANGELIST)).status_code == 403
