"""End to end with a real Celery worker consuming from a real Redis."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue_otp
from portal.celery import app as celery_app
from tests.notifications.stubs import MOBILE, celery_config


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)  # the worker thread must see committed rows
def test_real_worker_delivers_an_enqueued_sms(redis_url, settings, monkeypatch):
    settings.SMS_BACKEND = "console"
    # The worker runs Django's system checks when it imports task modules; those are
    # `manage.py check`'s job, not this test's.
    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
    # A queue of our own, so a worker started by another test run on the same Redis cannot
    # take this task, and ours cannot take theirs.
    queue = f"test-notifications-{uuid.uuid4().hex[:8]}"
    # A fresh queue table for this test (the worker narrows it to `queue`); restored after.
    monkeypatch.delitem(celery_app.amqp.__dict__, "queues", raising=False)
    try:
        message = _deliver_with_worker(redis_url, queue)
    finally:
        # kombu keeps the queue and its bindings as keys: leave the shared Redis as we found it
        server = redis.Redis.from_url(redis_url)
        for key in server.scan_iter(match=f"*{queue}*"):
            server.delete(key)
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1
    assert message.provider_message_id.startswith("console-")
    assert "731904" in message.text


def _deliver_with_worker(redis_url: str, queue: str) -> OutboxMessage:
    with (
        celery_config(
            broker_url=redis_url,
            task_always_eager=False,
            task_default_queue=queue,
            worker_hijack_root_logger=False,
        ),
        start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=30,
        ),
    ):
        # no transaction open: the publish happens right away, for real, to Redis
        message = sms_enqueue_otp(recipient=MOBILE, code="731904", idempotency_key="e2e")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.status == OutboxMessage.Status.SENT:
                break
            time.sleep(0.1)
    return message
