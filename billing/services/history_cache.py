"""Read-through cache of a subscription's rendered bill history, never stale and never needed.

A history (120 periods with payments, the payable bill, the chart) is read far more often than
it changes, and building it is most of a history request. The cache key carries a *version
stamp* of the subscription's bills and payments, read by one aggregate over the
subscription's index on every request, so no write path has to remember to invalidate
anything — the bulk import's raw SQL, the ORM fallback, the payment import, self reading and
settlement all write rows the stamp sees:

- a new bill (periodic, provisional, settlement, a correction) raises ``max(bill.id)``;
- a correction also moves a bill to ``superseded`` (``count(issued)`` — the new row alone
  already changes the maximum);
- a payment adds a payment row (``count``/``max(id)`` of payments) and changes the bill's
  ``paid_amount``/``paid_at``, which decide whether a bill is paid and so which bill shows
  its bill ID and payment ID (seed 000).

Bills are otherwise immutable (read-only in admin; corrections are new rows), so these
figures change whenever what a history shows changes. What a *caller* may see (the tenant's
lease window, the public lookup's reduced shape) is part of the key, decided per request
before the cache is asked; the permission check itself is never cached.

The cache is an accelerator only: when Redis is down or answers garbage, the history is built
from the database and the request answers as usual (TARGETS.md: no 500 with Redis stopped).
After a cache error the process leaves the cache alone for ``BACKOFF_SECONDS`` so that a dead
Redis costs one failed connection per process and period, not one per request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from django.core.cache import caches
from django.db.models import (
    CharField,
    Count,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import translation

from billing.models import Bill

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_ALIAS = "default"
# Bump when the cached shapes change: entries written by older code are then never read.
SHAPE_VERSION = 1
# Entries are never wrong (the stamp is in the key); the timeout only bounds how long the
# entries of superseded stamps occupy memory.
CACHE_TIMEOUT = 15 * 60
BACKOFF_SECONDS = 5.0

_down_until = 0.0


def _stamp_expression() -> Func:
    # One text value, so it fits a scalar subquery: the permission check reads it in the same
    # statement (``stamp_subquery``). The text of each figure only has to be stable per backend.
    figures = [
        Count("pk"),
        Max("pk"),
        Count("pk", filter=Q(status=Bill.Status.ISSUED)),
        Sum("paid_amount"),
        Max("paid_at"),
        Count("payments__pk"),
        Max("payments__pk"),
        # Ids alone can repeat where a database reuses them (SQLite after a rollback or a
        # delete of the newest row); the newest bill's insert time does not.
        Max("created_at"),
    ]
    # A flat ``a || ':' || b …`` (Concat nests one call per part, deeper than SQLite parses).
    return Func(
        *(Coalesce(Cast(figure, output_field=CharField()), Value("")) for figure in figures),
        template="(%(expressions)s)",
        arg_joiner=" || ':' || ",
        output_field=CharField(),
    )


def _stamps() -> QuerySet:
    return Bill.objects.order_by().values("subscription_id").annotate(stamp=_stamp_expression())


def stamp_subquery(outer: str = "pk") -> Subquery:
    """The stamp of the subscription ``OuterRef(outer)`` as a scalar subquery, for a
    ``Subscription`` queryset that is read anyway (``history_access_for_user``)."""
    return Subquery(
        _stamps().filter(subscription_id=OuterRef(outer)).values("stamp")[:1],
        output_field=CharField(),
    )


def history_stamp(*, subscription_id: int) -> str:
    """The version of ``subscription_id``'s bills and payments: one aggregate read through
    the indexes that lead with the subscription (bills) and the bill (payments)."""
    found = _stamps().filter(subscription_id=subscription_id).values_list("stamp", flat=True)
    return next(iter(found), None) or ""


def history_cache_key(
    *, shape: str, subscription_id: int, parts: Iterable[Hashable], stamp: str
) -> str:
    """``shape`` names what is cached (the API payload, the page's rows, the public lookup);
    ``parts`` the caller's view of it (start year, lease window). Labels are translated, so
    the active language is part of the key too."""
    view = ":".join("-" if p is None else str(p) for p in parts)
    language = translation.get_language() or "-"
    # Hashed: the stamp's text has spaces (a timestamp), which some cache backends refuse.
    version = hashlib.blake2b(stamp.encode(), digest_size=12).hexdigest()
    return f"billing:history:v{SHAPE_VERSION}:{shape}:{subscription_id}:{view}:{language}:{version}"


def _cache_available() -> bool:
    return time.monotonic() >= _down_until


def _cache_failed(operation: str) -> None:
    global _down_until
    _down_until = time.monotonic() + BACKOFF_SECONDS
    logger.warning("bill history cache unavailable on %s", operation, exc_info=True)


def reset_backoff() -> None:
    """Forget an earlier cache error (tests; a process that knows Redis is back)."""
    global _down_until
    _down_until = 0.0


def history_cached(
    *,
    shape: str,
    subscription_id: int,
    parts: Iterable[Hashable],
    build: Callable[[], T],
    stamp: str | None = None,
) -> T:
    """``build()``'s result for this subscription, view and the current stamp: from the cache
    when it is there, else built and stored. ``stamp`` is the subscription's stamp when the
    caller read it already (``stamp_subquery``), else it costs one query. A cache that fails
    only makes the answer slower."""
    if stamp is None:
        stamp = history_stamp(subscription_id=subscription_id)
    key = history_cache_key(shape=shape, subscription_id=subscription_id, parts=parts, stamp=stamp)
    cache = caches[CACHE_ALIAS]
    if _cache_available():
        try:
            found = cache.get(key)
        except Exception:  # noqa: BLE001 - any cache failure: build from the database
            _cache_failed("get")
        else:
            if found is not None:
                return found
    value = build()
    if _cache_available():
        try:
            cache.set(key, value, CACHE_TIMEOUT)
        except Exception:  # noqa: BLE001
            _cache_failed("set")
    return value


__all__ = [
    "CACHE_TIMEOUT",
    "history_cache_key",
    "history_cached",
    "history_stamp",
    "reset_backoff",
    "stamp_subquery",
]
