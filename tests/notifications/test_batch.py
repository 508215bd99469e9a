"""Bulk plain-text SMS: sms_sendarray in batches of ≤200, each row claimed once."""

from __future__ import annotations

import json

import pytest

from notifications import services, tasks
from notifications.models import OutboxMessage
from notifications.services import BulkSms, sms_enqueue_bulk
from tests.notifications.stubs import SENDARRAY_URL, SENDER, error_body, form, sendarray_callback

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


def mobiles(n: int, start: int = 0) -> list[str]:
    return [f"0912{i:07d}" for i in range(start, start + n)]


def notices(n: int, start: int = 0) -> list[BulkSms]:
    return [
        BulkSms(recipient=m, text=f"قبض شماره {i} صادر شد", idempotency_key=f"bill:{i}")
        for i, m in zip(range(start, start + n), mobiles(n, start), strict=True)
    ]


def test_450_rows_go_out_in_three_sendarray_calls(kave, django_capture_on_commit_callbacks):
    kave.add_callback("POST", SENDARRAY_URL, callback=sendarray_callback)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(450))
        assert OutboxMessage.objects.filter(status=Status.READY).count() == 450
        assert len(kave.calls) == 0  # nothing before commit
    assert len(result.created_ids) == 450
    assert len(callbacks) == 3  # one task per ≤200 rows

    sizes = []
    sent_receptors = []
    for call in kave.calls:
        params = form(call)
        receptors = json.loads(params["receptor"])
        texts = json.loads(params["message"])
        senders = json.loads(params["sender"])
        assert len(receptors) == len(texts) == len(senders)
        assert set(senders) == {SENDER}
        assert call.request.req_kwargs["timeout"] == (3.0, 10.0)
        sizes.append(len(receptors))
        sent_receptors += receptors
        # each text went with its own recipient
        by_mobile = dict(
            OutboxMessage.objects.filter(recipient__in=receptors).values_list("recipient", "text")
        )
        assert [by_mobile[r] for r in receptors] == texts
    assert sizes == [200, 200, 50]
    assert sorted(sent_receptors) == mobiles(450)

    rows = OutboxMessage.objects.all()
    assert {r.status for r in rows} == {Status.SENT}
    assert {r.attempts for r in rows} == {1}
    assert len({r.provider_message_id for r in rows}) == 450
    assert all(r.provider_message_id for r in rows)

    # Running the batch again (broker redelivery, sweep) sends nothing more.
    tasks.sms_deliver_batch.apply(kwargs={"message_ids": result.created_ids})
    assert len(kave.calls) == 3


def test_service_chunks_a_long_id_list_itself(kave):
    kave.add_callback("POST", SENDARRAY_URL, callback=sendarray_callback)
    result = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(201))
    services.sms_deliver_batch(message_ids=result.created_ids)
    assert [len(json.loads(form(c)["receptor"])) for c in kave.calls] == [200, 1]


def test_rows_already_claimed_are_left_out_of_the_batch(kave):
    kave.add_callback("POST", SENDARRAY_URL, callback=sendarray_callback)
    ids = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(5)).created_ids
    OutboxMessage.objects.filter(pk__in=ids[:2]).update(status=Status.SENDING)
    OutboxMessage.objects.filter(pk=ids[2]).update(status=Status.SENT)
    services.sms_deliver_batch(message_ids=ids)
    assert len(kave.calls) == 1
    assert json.loads(form(kave.calls[0])["receptor"]) == mobiles(2, start=3)


def test_rerun_with_same_keys_creates_and_sends_nothing(kave, django_capture_on_commit_callbacks):
    kave.add_callback("POST", SENDARRAY_URL, callback=sendarray_callback)
    with django_capture_on_commit_callbacks(execute=True):
        sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(3))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(4))
    assert again.duplicates == 3
    assert len(again.created_ids) == 1
    assert len(callbacks) == 1
    assert OutboxMessage.objects.count() == 4
    assert sum(len(json.loads(form(c)["receptor"])) for c in kave.calls) == 4


def test_invalid_rows_are_reported_and_the_rest_are_queued(kave):
    messages = [
        *notices(2),
        BulkSms(recipient="12", text="x", idempotency_key="bad-number"),
        BulkSms(recipient="09121111111", text="  ", idempotency_key="empty-text"),
        BulkSms(recipient="09121111111", text="x", idempotency_key=""),
        BulkSms(recipient="09121111112", text="dup", idempotency_key="bill:0"),
    ]
    result = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=messages)
    assert len(result.created_ids) == 2
    assert result.duplicates == 1
    assert [key for key, _ in result.invalid] == ["bad-number", "empty-text", ""]
    assert all(reason for _, reason in result.invalid)
    assert OutboxMessage.objects.count() == 2


def test_permanent_error_fails_the_whole_batch_without_retry(kave, eager_retries):
    kave.post(SENDARRAY_URL, json=error_body(418, "no credit"), status=418)
    ids = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(3)).created_ids
    tasks.sms_deliver_batch.apply(kwargs={"message_ids": ids})
    assert len(kave.calls) == 1
    rows = OutboxMessage.objects.all()
    assert {r.status for r in rows} == {Status.FAILED}
    assert all(r.failure_reason.startswith("418: ") for r in rows)


def test_transient_error_retries_the_batch(kave, eager_retries):
    kave.post(SENDARRAY_URL, json=error_body(409, "busy"), status=409)
    kave.add_callback("POST", SENDARRAY_URL, callback=sendarray_callback)
    ids = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(3)).created_ids
    tasks.sms_deliver_batch.apply(kwargs={"message_ids": ids})
    assert len(kave.calls) == 2
    assert form(kave.calls[0]) == form(kave.calls[1])  # the same three messages again
    rows = OutboxMessage.objects.all()
    assert {r.status for r in rows} == {Status.SENT}
    assert {r.attempts for r in rows} == {2}


def test_transient_errors_in_a_batch_are_bounded(kave, eager_retries, settings):
    settings.SMS_MAX_ATTEMPTS = 2
    kave.post(SENDARRAY_URL, body="<html>502</html>", status=502)
    ids = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=notices(2)).created_ids
    tasks.sms_deliver_batch.apply(kwargs={"message_ids": ids})
    assert len(kave.calls) == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.FAILED}


def test_template_rows_are_not_sent_by_the_batch_path(kave):
    otp = services.sms_enqueue_otp(recipient="09121234567", code="123456", idempotency_key="o")
    services.sms_deliver_batch(message_ids=[otp.pk])
    assert len(kave.calls) == 0
    otp.refresh_from_db()
    assert otp.status == Status.READY
