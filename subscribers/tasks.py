"""Periodic housekeeping of subscribers' security counters (safe to run any number of times)."""

from __future__ import annotations

from celery import shared_task

from subscribers.services.ratelimit import rate_counters_prune


@shared_task(name="subscribers.tasks.rate_counters_prune", ignore_result=True)
def rate_counters_prune_task() -> int:
    return rate_counters_prune()
