"""Celery tasks of the outages app: take ids, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task

from outages.services import schedule


@shared_task(name="outages.tasks.outage_alerts_send", ignore_result=True)
def outage_alerts_send() -> int:
    """Periodic (beat "outage-alerts"): alert subscribers ahead of planned windows. Safe to run
    twice or from two workers; the service's row locks and outbox keys prevent a second SMS."""
    return schedule.outage_alerts_send()
