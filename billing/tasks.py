"""Celery tasks of the billing app: take ids, call a service, nothing else.

Both jobs are idempotent (the outbox keys ``bill-notice:<pk>`` / ``bill-reminder:<pk>``), so
a task delivered twice, retried after a database hiccup or run by two workers queues each
SMS once.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from billing.models import BillImport
from billing.services import notices

logger = logging.getLogger(__name__)


@shared_task(
    name="billing.tasks.bill_notices_for_import",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def bill_notices_for_import(import_id: int) -> int:
    """Queued by the bills import after its commit: one notice per new bill of the file."""
    bill_import = BillImport.objects.filter(pk=import_id).first()
    if bill_import is None:
        logger.warning("Bill import %s not found; no notices queued", import_id)
        return 0
    return notices.bill_notices_for_import(bill_import=bill_import)


@shared_task(name="billing.tasks.bill_reminders_send", ignore_result=True)
def bill_reminders_send() -> int:
    """Periodic (beat "bill-reminders", hourly): due-date reminders. Safe to run twice."""
    return notices.bill_reminders_send()
