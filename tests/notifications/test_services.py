"""Enqueueing: validation, idempotency, the caller's transaction, templates."""

from __future__ import annotations

import contextlib

import pytest
from django.db import transaction
from django.template import TemplateDoesNotExist

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue, sms_enqueue_otp, sms_enqueue_rendered
from portal.errors import PortalError
from tests.notifications.stubs import MOBILE, SEND_URL, ok_body

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


def enqueue(**overrides) -> OutboxMessage:
    kwargs = {
        "recipient": MOBILE,
        "kind": OutboxMessage.Kind.GENERAL,
        "text": "سلام",
        "idempotency_key": "test:1",
    }
    kwargs.update(overrides)
    return sms_enqueue(**kwargs)


def test_enqueue_writes_ready_row_and_sends_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue(recipient="+98 912 123 4567")
        assert OutboxMessage.objects.get().status == Status.READY  # nothing sent before commit
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.recipient == MOBILE  # normalised by clean_mobile
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.provider_message_id.startswith("console-")
    assert message.sent_at is not None


def test_persian_digit_recipient_is_normalised(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(recipient="۰۹۱۲۱۲۳۴۵۶۷")
    assert message.recipient == MOBILE


def test_same_idempotency_key_returns_same_row_without_second_send(
    kave, django_capture_on_commit_callbacks
):
    kave.post(SEND_URL, json=ok_body())
    with django_capture_on_commit_callbacks(execute=True) as first:
        one = enqueue(idempotency_key="bill:42")
    with django_capture_on_commit_callbacks(execute=True) as second:
        two = enqueue(idempotency_key="bill:42", text="متن دیگر")
    assert one.pk == two.pk
    assert two.text == "سلام"  # the stored row, not the new arguments
    assert OutboxMessage.objects.count() == 1
    assert len(first) == 1 and second == []
    assert len(kave.calls) == 1


def test_same_key_for_another_recipient_is_refused():
    enqueue(idempotency_key="k")
    with pytest.raises(PortalError) as exc:
        enqueue(idempotency_key="k", recipient="09351234567")
    assert exc.value.code == "sms_idempotency_conflict"


@pytest.mark.django_db(transaction=True)
def test_row_lives_in_callers_transaction(kave):
    kave.post(SEND_URL, json=ok_body())
    with contextlib.suppress(RuntimeError), transaction.atomic():
        enqueue(idempotency_key="rolled-back")
        raise RuntimeError("the caller fails after enqueueing")
    assert not OutboxMessage.objects.exists()
    assert len(kave.calls) == 0

    with transaction.atomic():
        message = enqueue(idempotency_key="committed")
        # still inside the caller's transaction: not sent yet
        assert len(kave.calls) == 0
    assert len(kave.calls) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"recipient": "12345"}, "sms_invalid_recipient"),
        ({"kind": "spam"}, "sms_invalid_kind"),
        ({"idempotency_key": "  "}, "sms_invalid_key"),
        ({"text": ""}, "sms_invalid"),
        ({"template": "otp", "tokens": {"token": "1"}}, "sms_invalid"),  # text and template
        ({"text": "x", "tokens": {"token": "1"}}, "sms_invalid"),
        ({"text": "", "template": "../secret", "tokens": {"token": "1"}}, "sms_invalid_template"),
        ({"text": "", "template": "otp", "tokens": {}}, "sms_invalid_tokens"),
        ({"text": "", "template": "otp", "tokens": {"code": "1"}}, "sms_invalid_tokens"),
        ({"text": "", "template": "otp", "tokens": {"token": "12 34"}}, "sms_invalid_tokens"),
    ],
)
def test_invalid_arguments_raise_portal_error_and_write_nothing(overrides, code):
    with pytest.raises(PortalError) as exc:
        enqueue(**overrides)
    assert exc.value.code == code
    assert exc.value.message  # a Persian sentence for the caller
    assert not OutboxMessage.objects.exists()


def test_enqueue_rendered_uses_sms_template_without_html_escaping(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_enqueue_rendered(
            recipient=MOBILE,
            kind=OutboxMessage.Kind.REQUEST_STATUS,
            template_name="test_message",
            context={"name": "<مریم>", "tracking_code": "RQ-7K2P", "amount": 125000},
            idempotency_key="request:RQ-7K2P:created",
        )
    message.refresh_from_db()
    assert message.text == ("<مریم> عزیز، درخواست RQ-7K2P ثبت شد. مبلغ: 125000 ریال & بدون کارمزد.")
    assert message.template == ""
    assert message.status == Status.SENT


def test_enqueue_rendered_with_unknown_template_raises():
    with pytest.raises(TemplateDoesNotExist):
        sms_enqueue_rendered(
            recipient=MOBILE,
            kind=OutboxMessage.Kind.GENERAL,
            template_name="no_such_template",
            context={},
            idempotency_key="x",
        )
    assert not OutboxMessage.objects.exists()


def test_otp_row_keeps_template_tokens_and_full_readable_text(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_enqueue_otp(recipient=MOBILE, code="482913", idempotency_key="otp:1")
    message.refresh_from_db()
    assert message.kind == OutboxMessage.Kind.OTP
    assert message.template == "otp"
    assert message.tokens == {"token": "482913"}
    assert message.text.startswith("کد تایید سامانه خدمات غیرحضوری: 482913")
    assert message.status == Status.SENT  # console gateway
