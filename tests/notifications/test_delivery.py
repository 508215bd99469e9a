"""Delivery through Kavenegar (stubbed with `responses`): outcomes, retries, exactly once."""

from __future__ import annotations

import json

import pytest
import requests

from notifications import services, tasks
from notifications.models import OutboxMessage
from notifications.services import sms_enqueue, sms_enqueue_otp
from tests.notifications.stubs import (
    LOOKUP_URL,
    MOBILE,
    SEND_URL,
    SENDER,
    error_body,
    form,
    ok_body,
)

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


@pytest.fixture
def send(django_capture_on_commit_callbacks, eager_retries):
    """Enqueue a plain-text SMS and run its (eager) task after the simulated commit."""

    def _send(text: str = "قبض شما صادر شد", key: str = "k1") -> OutboxMessage:
        with django_capture_on_commit_callbacks(execute=True):
            message = sms_enqueue(
                recipient=MOBILE, kind=OutboxMessage.Kind.GENERAL, text=text, idempotency_key=key
            )
        message.refresh_from_db()
        return message

    return _send


def test_success_records_provider_id_and_posts_the_sdk_form(kave, send):
    kave.post(SEND_URL, json=ok_body())
    message = send("قبض شما صادر شد")
    assert message.status == Status.SENT
    assert message.provider_message_id.isdigit()
    assert message.attempts == 1
    assert message.failure_reason == ""
    assert len(kave.calls) == 1
    call = kave.calls[0]
    assert form(call) == {"receptor": MOBILE, "message": "قبض شما صادر شد", "sender": SENDER}
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # every provider call carries connect/read timeouts (kavenegar 1.1.2 has none)
    assert call.request.req_kwargs["timeout"] == (3.0, 10.0)


def test_timeouts_come_from_settings(kave, send, settings):
    settings.SMS_CONNECT_TIMEOUT = 2.0
    settings.SMS_READ_TIMEOUT = 7.5
    kave.post(SEND_URL, json=ok_body())
    send()
    assert kave.calls[0].request.req_kwargs["timeout"] == (2.0, 7.5)


def test_otp_goes_through_verify_lookup_with_the_configured_template(
    kave, django_capture_on_commit_callbacks
):
    kave.post(LOOKUP_URL, json=ok_body())
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_enqueue_otp(recipient=MOBILE, code="482913", idempotency_key="otp:7")
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [c.request.url for c in kave.calls] == [LOOKUP_URL]
    assert form(kave.calls[0]) == {"receptor": MOBILE, "template": "portal-otp", "token": "482913"}


@pytest.mark.parametrize(
    ("status", "reason_part"),
    [
        (411, "شماره گیرنده معتبر نیست"),
        (418, "اعتبار حساب پیامک کافی نیست"),
        (424, "الگوی پیامک یافت نشد"),
        (431, "فاصله یا جداکننده"),
        (432, "token"),
        (412, "فرستنده"),
        (400, "ناقص"),
    ],
)
def test_permanent_error_fails_at_once_with_reason(kave, send, status, reason_part):
    kave.post(SEND_URL, json=error_body(status, "provider says no"), status=status)
    message = send()
    assert message.status == Status.FAILED
    assert message.failure_reason.startswith(f"{status}: ")
    assert reason_part in message.failure_reason
    assert message.attempts == 1
    assert len(kave.calls) == 1  # never retried


def test_unknown_4xx_keeps_providers_message_and_is_not_retried(kave, send):
    kave.post(SEND_URL, json=error_body(407, "دسترسی غیرمجاز"), status=407)
    message = send()
    assert message.status == Status.FAILED
    assert message.failure_reason == "407: دسترسی غیرمجاز"
    assert len(kave.calls) == 1


@pytest.mark.parametrize(
    "first_failure",
    [
        {"json": error_body(409, "server busy"), "status": 409},
        {"json": error_body(500, "internal"), "status": 500},
        {"body": requests.exceptions.ConnectTimeout("connect timed out")},
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"body": requests.exceptions.ConnectionError("connection refused")},
        {"body": "<html><body>502 Bad Gateway</body></html>", "status": 502},
        {"body": "not json at all", "status": 200},
    ],
    ids=[
        "409-busy",
        "500",
        "connect-timeout",
        "read-timeout",
        "conn-error",
        "html-502",
        "non-json",
    ],
)
def test_transient_error_is_retried_then_sent(kave, send, first_failure):
    kave.post(SEND_URL, **first_failure)
    kave.post(SEND_URL, json=ok_body())
    message = send()
    assert len(kave.calls) == 2
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert message.failure_reason == ""


def test_transient_errors_are_bounded_by_max_attempts(kave, send, settings):
    settings.SMS_MAX_ATTEMPTS = 3
    kave.post(SEND_URL, json=error_body(500, "internal"), status=500)
    message = send()
    assert len(kave.calls) == 3
    assert message.status == Status.FAILED
    assert message.attempts == 3
    assert message.failure_reason.startswith("500: ")
    assert "3" in message.failure_reason


def test_transient_error_puts_row_back_to_ready_with_backoff(kave, settings):
    """One attempt at the service level: READY again, next attempt later, deferral raised."""
    kave.post(SEND_URL, json=error_body(409, "busy"), status=409)
    message = sms_enqueue(
        recipient=MOBILE, kind=OutboxMessage.Kind.GENERAL, text="x", idempotency_key="b1"
    )
    with pytest.raises(services.SmsDeliveryDeferred) as exc:
        services.sms_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.READY
    assert message.attempts == 1
    assert message.claim_token is None
    assert message.failure_reason.startswith("409: ")
    assert exc.value.countdown == 30
    assert exc.value.message_ids == [message.pk]
    assert (message.next_attempt_at - message.updated_at).total_seconds() == pytest.approx(
        30, abs=2
    )


def test_retry_countdown_backs_off_and_is_capped():
    assert [services.retry_countdown(n) for n in (1, 2, 3, 4, 5, 9)] == [30, 60, 120, 240, 480, 600]


def test_task_running_twice_sends_exactly_one_sms(kave, send):
    kave.post(SEND_URL, json=ok_body())
    message = send()
    tasks.sms_deliver.delay(message_id=message.pk)
    tasks.sms_deliver.apply(kwargs={"message_id": message.pk})
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert len(kave.calls) == 1


def test_duplicate_task_during_a_send_in_flight_does_not_send_again(kave):
    """A second copy of the task arrives while the first is waiting for Kavenegar."""
    message = sms_enqueue(
        recipient=MOBILE, kind=OutboxMessage.Kind.GENERAL, text="x", idempotency_key="race"
    )
    seen_status = []

    def provider(request):
        # The first delivery has claimed the row and is "on the wire" now.
        seen_status.append(OutboxMessage.objects.get(pk=message.pk).status)
        tasks.sms_deliver.apply(kwargs={"message_id": message.pk})
        return 200, {}, json.dumps(ok_body())

    kave.add_callback("POST", SEND_URL, callback=provider)
    tasks.sms_deliver.apply(kwargs={"message_id": message.pk})
    message.refresh_from_db()
    assert seen_status == [Status.SENDING]
    assert len(kave.calls) == 1
    assert message.status == Status.SENT


def test_deliver_ignores_rows_that_are_not_ready(kave):
    message = sms_enqueue(
        recipient=MOBILE, kind=OutboxMessage.Kind.GENERAL, text="x", idempotency_key="f"
    )
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.FAILED)
    services.sms_deliver(message_id=message.pk)
    services.sms_deliver(message_id=999_999)  # a deleted or unknown row: nothing to do
    assert len(kave.calls) == 0
    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_unexpected_gateway_bug_marks_failed_and_propagates(kave, monkeypatch):
    from notifications.gateways import KavenegarGateway

    def broken(self, **kwargs):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(KavenegarGateway, "send_text", broken)
    message = sms_enqueue(
        recipient=MOBILE, kind=OutboxMessage.Kind.GENERAL, text="x", idempotency_key="bug"
    )
    with pytest.raises(ZeroDivisionError):
        services.sms_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.FAILED  # not left SENDING, not retried automatically
    assert message.failure_reason


def test_illegal_transition_is_refused():
    with pytest.raises(RuntimeError, match="illegal"):
        services._move(OutboxMessage.objects.all(), source=Status.SENT, target=Status.READY)


# --- Secrets (codes, passwords) leave the outbox once delivered ------------------------------


def _otp(django_capture_on_commit_callbacks, key="otp:secret") -> OutboxMessage:
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_enqueue_otp(recipient=MOBILE, code="482913", idempotency_key=key)
    message.refresh_from_db()
    return message


def test_sent_secret_is_erased_from_the_outbox(kave, settings, django_capture_on_commit_callbacks):
    settings.SMS_ERASE_SECRETS = True
    kave.post(LOOKUP_URL, json=ok_body())
    message = _otp(django_capture_on_commit_callbacks)
    assert message.status == Status.SENT
    assert form(kave.calls[0])["token"] == "482913"  # the provider got the code …
    assert message.secret
    assert message.tokens == {}  # … the outbox keeps none of it
    assert "482913" not in message.text
    assert "۴۸۲۹۱۳" not in message.text


def test_permanently_failed_secret_is_erased_too(
    kave, settings, django_capture_on_commit_callbacks
):
    settings.SMS_ERASE_SECRETS = True
    kave.post(LOOKUP_URL, json=error_body(411, "bad receptor"), status=411)
    message = _otp(django_capture_on_commit_callbacks)
    assert message.status == Status.FAILED
    assert message.tokens == {}


def test_secret_waiting_for_a_retry_keeps_its_code(
    kave, settings, django_capture_on_commit_callbacks, eager_retries
):
    settings.SMS_ERASE_SECRETS = True
    settings.SMS_MAX_ATTEMPTS = 5
    kave.post(LOOKUP_URL, body=requests.ConnectionError("down"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = sms_enqueue_otp(recipient=MOBILE, code="482913", idempotency_key="otp:retry")
    with pytest.raises(services.SmsDeliveryDeferred):
        services.sms_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.READY
    assert message.tokens == {"token": "482913"}  # still needed for the next attempt
    assert callbacks  # its delivery task was queued on commit


def test_plain_messages_and_disabled_setting_keep_their_text(
    kave, send, settings, django_capture_on_commit_callbacks
):
    settings.SMS_ERASE_SECRETS = True
    kave.post(SEND_URL, json=ok_body())
    assert send("قبض شما صادر شد").text == "قبض شما صادر شد"
    settings.SMS_ERASE_SECRETS = False
    kave.post(LOOKUP_URL, json=ok_body())
    assert _otp(django_capture_on_commit_callbacks, key="otp:kept").tokens == {"token": "482913"}
