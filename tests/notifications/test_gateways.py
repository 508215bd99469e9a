"""Gateways: the Kavenegar client's envelope handling, and the API key never leaking."""

from __future__ import annotations

import logging
import traceback

import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured
from kavenegar import APIException, HTTPException

from notifications.gateways import (
    ConsoleGateway,
    KavenegarClient,
    KavenegarGateway,
    PermanentSmsError,
    TransientSmsError,
    get_gateway,
)
from notifications.models import OutboxMessage
from notifications.services import sms_enqueue, sms_enqueue_otp
from tests.notifications.stubs import (
    API_KEY,
    LOOKUP_URL,
    MOBILE,
    SEND_URL,
    SENDARRAY_URL,
    error_body,
    ok_body,
)


def client() -> KavenegarClient:
    return KavenegarClient(API_KEY, connect_timeout=3, read_timeout=10)


def all_text_of(exc: BaseException) -> str:
    """Everything a log handler or error tracker would print for this exception."""
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def test_get_gateway_follows_settings(settings, kavenegar):
    assert isinstance(get_gateway(), KavenegarGateway)
    settings.SMS_BACKEND = "console"
    assert isinstance(get_gateway(), ConsoleGateway)
    settings.SMS_BACKEND = "pigeon"
    with pytest.raises(ImproperlyConfigured):
        get_gateway()


def test_kavenegar_without_key_is_a_configuration_error(settings, kavenegar):
    settings.KAVENEGAR_API_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        get_gateway()


def test_client_returns_entries_and_raises_sdk_exception_types(kave):
    kave.post(SEND_URL, json=ok_body(MOBILE))
    kave.post(SEND_URL, json=error_body(418, "اعتبار کافی نیست"), status=418)
    kave.post(SEND_URL, body="<html>gateway timeout</html>", status=504)
    entries = client().sms_send({"receptor": MOBILE, "message": "x"})
    assert entries[0]["receptor"] == MOBILE
    with pytest.raises(APIException) as api_error:
        client().sms_send({"receptor": MOBILE, "message": "x"})
    assert api_error.value.status == 418
    assert api_error.value.message == "اعتبار کافی نیست"  # decoded text, not bytes
    with pytest.raises(HTTPException):
        client().sms_send({"receptor": MOBILE, "message": "x"})


def test_gateway_classifies_errors(kave):
    gateway = get_gateway()
    kave.post(SEND_URL, json=error_body(409, "busy"), status=409)
    kave.post(SEND_URL, json=error_body(503, "down"), status=503)
    kave.post(SEND_URL, json=error_body(411, "bad receptor"), status=411)
    kave.post(SEND_URL, body=requests.exceptions.ReadTimeout("slow"))
    for expected, code in [
        (TransientSmsError, 409),
        (TransientSmsError, 503),
        (PermanentSmsError, 411),
        (TransientSmsError, None),
    ]:
        with pytest.raises(expected) as exc:
            gateway.send_text(recipient=MOBILE, text="x")
        assert exc.value.code == code
        assert exc.value.reason


def test_api_key_is_not_in_repr_of_any_object(kavenegar):
    gateway = get_gateway()
    for obj in (gateway, gateway._client, vars(gateway), vars(gateway._client)):
        assert API_KEY not in repr(obj)
        assert API_KEY not in str(obj)
    assert "***" in repr(gateway)


@pytest.mark.parametrize(
    "failure",
    [
        # requests' own messages carry the URL, hence the key
        {
            "body": requests.exceptions.ConnectTimeout(
                "HTTPSConnectionPool(host='api.kavenegar.com', port=443): Max retries exceeded "
                f"with url: /v1/{API_KEY}/sms/send.json (Caused by ConnectTimeoutError())"
            )
        },
        {"body": requests.exceptions.ReadTimeout(f"read timeout on /v1/{API_KEY}/sms/send.json")},
        # a provider message that echoes the key back
        {"json": error_body(403, f"کلید {API_KEY} معتبر نیست"), "status": 403},
        {"json": error_body(500, f"error for {API_KEY}"), "status": 500},
        {"body": "not json", "status": 502},
    ],
    ids=["connect-timeout", "read-timeout", "403-echo", "500-echo", "non-json"],
)
def test_api_key_is_not_in_exception_messages_or_tracebacks(kave, failure):
    kave.post(SEND_URL, **failure)
    with pytest.raises(HTTPException if "body" in failure else APIException) as raw:
        client().sms_send({"receptor": MOBILE, "message": "x"})
    assert API_KEY not in all_text_of(raw.value)

    kave.post(SEND_URL, **failure)
    with pytest.raises((TransientSmsError, PermanentSmsError)) as wrapped:
        get_gateway().send_text(recipient=MOBILE, text="x")
    assert API_KEY not in all_text_of(wrapped.value)


def test_unregistered_url_error_does_not_leak_the_key(kave):
    # `responses` answers an unknown URL with a ConnectionError naming the full URL
    with pytest.raises(HTTPException) as exc:
        client().request("sms", "status", {"messageid": "1"})
    assert API_KEY not in all_text_of(exc.value)
    assert "ConnectionError" in str(exc.value)


@pytest.mark.django_db
def test_api_key_never_reaches_the_logs(
    kave, caplog, settings, django_capture_on_commit_callbacks, eager_retries
):
    """A run through success, permanent, transient and garbage answers, logging at DEBUG."""
    settings.SMS_MAX_ATTEMPTS = 2
    caplog.set_level(logging.DEBUG)
    for logger_name in ("urllib3", "celery", "notifications", "kombu"):
        caplog.set_level(logging.DEBUG, logger=logger_name)
    kave.post(SEND_URL, json=ok_body())
    kave.post(SEND_URL, json=error_body(418, f"no credit for {API_KEY}"), status=418)
    kave.post(
        SEND_URL,
        body=requests.exceptions.ConnectTimeout(f"Max retries exceeded with url: /v1/{API_KEY}/x"),
    )
    kave.post(SEND_URL, body="<html>bad gateway</html>", status=502)
    kave.post(LOOKUP_URL, json=error_body(424, "template missing"), status=424)
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            sms_enqueue(
                recipient=MOBILE,
                kind=OutboxMessage.Kind.GENERAL,
                text=f"پیام {i}",
                idempotency_key=f"log:{i}",
            )
        sms_enqueue_otp(recipient=MOBILE, code="123456", idempotency_key="log:otp")
    statuses = list(OutboxMessage.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["sent", "failed", "failed", "failed"]  # all branches were exercised
    assert caplog.records, "the run logged nothing: the test would prove nothing"
    assert API_KEY not in caplog.text
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        if record.exc_info:
            assert API_KEY not in "".join(traceback.format_exception(*record.exc_info))
    assert API_KEY not in repr(list(OutboxMessage.objects.values()))


def test_console_gateway_sends_nothing_over_the_network_and_logs(caplog):
    caplog.set_level(logging.INFO, logger="notifications.gateways")
    with responses.RequestsMock() as mock:  # any HTTP request would raise ConnectionError
        message_id = ConsoleGateway().send_text(recipient=MOBILE, text="سلام دنیا")
    assert len(mock.calls) == 0
    assert message_id.startswith("console-")
    assert "سلام دنیا" in caplog.text
    assert MOBILE not in caplog.text  # masked in our own log call


def test_console_gateway_batches_and_templates(caplog):
    caplog.set_level(logging.INFO, logger="notifications.gateways")
    gateway = ConsoleGateway()
    ids = gateway.send_text_batch(messages=[(MOBILE, "a"), ("09351234567", "b")])
    assert len(ids) == 2 and len(set(ids)) == 2
    assert gateway.send_template(recipient=MOBILE, template="otp", tokens={"token": "731904"})
    assert "کد تایید سامانه خدمات غیرحضوری: ***" in caplog.text  # the local template copy
    assert "731904" not in caplog.text  # an OTP code never reaches a log line


@pytest.mark.django_db
def test_console_otp_is_readable_in_the_outbox_but_not_in_logs(
    caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_enqueue_otp(recipient=MOBILE, code="731904", idempotency_key="otp:log")
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert "731904" in message.text
    assert "SMS (console)" in caplog.text
    assert "731904" not in caplog.text


def test_batch_size_is_limited(kave):
    gateway = get_gateway()
    with pytest.raises(ValueError):
        gateway.send_text_batch(messages=[(MOBILE, "x")] * 201)
    with pytest.raises(ValueError):
        gateway.send_text_batch(messages=[])
    assert not kave.calls
    kave.post(SENDARRAY_URL, json=ok_body(MOBILE))
    assert len(gateway.send_text_batch(messages=[(MOBILE, "x")])) == 1
