"""Broker outages, the periodic sweep, stuck rows and the retry of failed rows."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from notifications import services, tasks
from notifications.models import OutboxMessage
from notifications.services import BulkSms, sms_enqueue, sms_enqueue_bulk, sms_outbox_sweep
from tests.notifications.stubs import (
    CLOSED_BROKER,
    MOBILE,
    SEND_URL,
    SENDARRAY_URL,
    celery_config,
    error_body,
    ok_body,
    sendarray_callback,
)

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


def later(minutes: float) -> timezone.datetime:
    return timezone.now() + timedelta(minutes=minutes)


def make(key: str = "k", **fields) -> OutboxMessage:
    message = sms_enqueue(
        recipient=MOBILE, kind=OutboxMessage.Kind.GENERAL, text="سلام", idempotency_key=key
    )
    if fields:
        OutboxMessage.objects.filter(pk=message.pk).update(**fields)
        message.refresh_from_db()
    return message


def test_beat_schedule_names_the_sweep_task():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sms-outbox-sweep"]
    assert entry["task"] == tasks.sms_outbox_sweep.name == "notifications.tasks.sms_outbox_sweep"


def test_broker_down_keeps_row_ready_then_sweep_sends_it(
    kave, broker_down, caplog, django_capture_on_commit_callbacks
):
    kave.post(SEND_URL, json=ok_body())
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = make("outage")
    elapsed = time.monotonic() - started
    assert len(callbacks) == 1  # the publish was attempted…
    assert elapsed < 3, f"publishing to a dead broker took {elapsed:.1f}s"  # …and failed fast
    assert "broker unavailable" in caplog.text
    message.refresh_from_db()
    assert message.status == Status.READY
    assert len(kave.calls) == 0


def test_after_outage_sweep_requeues_with_broker_back(kave, django_capture_on_commit_callbacks):
    kave.post(SEND_URL, json=ok_body())
    with celery_config(broker_url=CLOSED_BROKER, task_always_eager=False):
        with django_capture_on_commit_callbacks(execute=True):
            message = make("outage")
        # the sweep cannot publish either while the broker is down; nothing is lost
        with django_capture_on_commit_callbacks(execute=True):
            assert sms_outbox_sweep(now=later(2)) == 1
    message.refresh_from_db()
    assert message.status == Status.READY

    # broker back (eager tasks in tests)
    assert sms_outbox_sweep(now=later(2)) == 0  # the last sweep moved its turn: not due yet
    with django_capture_on_commit_callbacks(execute=True):
        assert sms_outbox_sweep(now=later(4)) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(kave.calls) == 1


def test_sweep_leaves_fresh_rows_alone(django_capture_on_commit_callbacks):
    make("fresh")  # not sent: on_commit never ran
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert sms_outbox_sweep(now=later(0.5)) == 0
    assert callbacks == []


def test_sweep_twice_sends_once(kave, django_capture_on_commit_callbacks):
    kave.post(SEND_URL, json=ok_body())
    message = make("twice")
    with django_capture_on_commit_callbacks(execute=False) as first:
        assert sms_outbox_sweep(now=later(2)) == 1
    # an overlapping second sweep, before the first one's tasks ran, at a later time
    with django_capture_on_commit_callbacks(execute=False) as second:
        assert sms_outbox_sweep(now=later(4)) == 1
    for callback in first + second:
        callback()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(kave.calls) == 1


def test_sweep_respects_backoff_of_transient_failures(kave):
    kave.post(SEND_URL, json=error_body(409, "busy"), status=409)
    message = make("backoff")
    with pytest.raises(services.SmsDeliveryDeferred):
        services.sms_deliver(message_id=message.pk)
    message.refresh_from_db()
    # next attempt in 30 s; the sweep only steps in a minute after that
    assert sms_outbox_sweep(now=message.next_attempt_at + timedelta(seconds=30)) == 0
    assert sms_outbox_sweep(now=message.next_attempt_at + timedelta(seconds=61)) == 1


def test_sweep_sends_bulk_rows_through_sendarray(kave, django_capture_on_commit_callbacks):
    kave.add_callback("POST", SENDARRAY_URL, callback=sendarray_callback)
    sms_enqueue_bulk(
        kind=OutboxMessage.Kind.BILL_NOTICE,
        messages=[BulkSms(f"0912000000{i}", "قبض", f"b:{i}") for i in range(3)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sms_outbox_sweep(now=later(2)) == 3
    assert [c.request.url for c in kave.calls] == [SENDARRAY_URL]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}


def test_stuck_sending_rows_fail_instead_of_being_resent(kave, caplog):
    claimed_long_ago = timezone.now() - timedelta(minutes=11)
    stuck = make("stuck", status=Status.SENDING, claimed_at=claimed_long_ago, attempts=1)
    busy = make("busy", status=Status.SENDING, claimed_at=timezone.now(), attempts=1)
    with caplog.at_level(logging.WARNING):
        assert sms_outbox_sweep() == 0
        assert sms_outbox_sweep() == 0  # idempotent
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert stuck.failure_reason == services.STUCK_REASON
    assert busy.status == Status.SENDING  # still within a provider call's time
    assert len(kave.calls) == 0
    assert "stuck" in caplog.text


def test_retry_failed_requeues_only_failed_rows(kave, django_capture_on_commit_callbacks):
    kave.post(SEND_URL, json=ok_body())
    failed = make("f", status=Status.FAILED, attempts=5, failure_reason="418: …")
    sent = make("s", status=Status.SENT, provider_message_id="1")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.sms_retry_failed(message_ids=[failed.pk, sent.pk]) == 1
    assert len(callbacks) == 1
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == Status.SENT
    assert failed.attempts == 1  # a fresh attempt budget
    assert sent.provider_message_id == "1"
    assert len(kave.calls) == 1
    assert services.sms_retry_failed(message_ids=[]) == 0


def test_sweep_task_calls_the_service(kave, django_capture_on_commit_callbacks):
    kave.post(SEND_URL, json=ok_body())
    message = make("task", next_attempt_at=timezone.now() - timedelta(minutes=5))
    # eager: the published sms_deliver runs when the sweep's transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sms_outbox_sweep.apply()
    message.refresh_from_db()
    assert message.status == Status.SENT
