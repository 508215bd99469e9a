"""Celery tasks of the SMS outbox: take ids, call a service, nothing else.

Retries are bounded by the row (``attempts`` vs ``settings.SMS_MAX_ATTEMPTS``), not by Celery's
own counter, because a row may also be re-queued by the sweep; hence ``max_retries=None``.
"""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(
    bind=True,
    name="notifications.tasks.sms_deliver",
    max_retries=None,
    acks_late=True,
    ignore_result=True,
)
def sms_deliver(self, message_id: int) -> None:
    try:
        services.sms_deliver(message_id=message_id)
    except services.SmsDeliveryDeferred as exc:
        raise self.retry(countdown=exc.countdown, exc=exc) from None


@shared_task(
    bind=True,
    name="notifications.tasks.sms_deliver_batch",
    max_retries=None,
    acks_late=True,
    ignore_result=True,
)
def sms_deliver_batch(self, message_ids: list[int]) -> None:
    try:
        services.sms_deliver_batch(message_ids=message_ids)
    except services.SmsDeliveryDeferred as exc:
        raise self.retry(
            kwargs={"message_ids": exc.message_ids}, countdown=exc.countdown, exc=exc
        ) from None


@shared_task(name="notifications.tasks.sms_outbox_sweep", ignore_result=True)
def sms_outbox_sweep() -> int:
    return services.sms_outbox_sweep()
