"""Fixed-window rate limits for public lookups, counted in the database."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from portal.errors import RateLimited
from subscribers.models import RateCounter


def rate_limit_hit(
    *,
    scope: str,
    key: str,
    limit: int,
    window: timedelta,
    message: str = "تعداد درخواست‌های شما بیش از حد مجاز است؛ چند دقیقه دیگر دوباره تلاش کنید.",
    now: datetime | None = None,
) -> None:
    """Count one hit of ``key`` (an IP, a mobile) in ``scope``; raise ``RateLimited`` when the
    window already holds ``limit`` hits. The key is stored hashed (an IP is personal data).

    The counter is incremented with a single UPDATE … SET hits = hits + 1, so concurrent hits
    never lose a count; the first hit of a window inserts the row (a racing insert retries as
    an update). Old windows are left for ``rate_counters_prune``.
    """
    now = now or timezone.now()
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=UTC)
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()
    rows = RateCounter.objects.filter(scope=scope, key=digest, window_start=start)
    with transaction.atomic():
        updated = rows.filter(hits__lt=limit).update(hits=F("hits") + 1)
        if not updated:
            if rows.exists():
                retry_after = int((start + window - now).total_seconds()) + 1
                raise RateLimited(message, retry_after=retry_after)
            try:
                with transaction.atomic():
                    RateCounter.objects.create(scope=scope, key=digest, window_start=start, hits=1)
            except IntegrityError:
                rows.update(hits=F("hits") + 1)


def rate_counters_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete windows that ended long ago; safe to run any number of times."""
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
