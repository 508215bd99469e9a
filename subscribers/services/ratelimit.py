"""Fixed-window rate limits (public lookups, OTP sends, searches), counted in the database.

One statement counts a hit: ``INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 WHERE
hits < limit RETURNING hits`` on the (scope, hashed key, window start) row (PostgreSQL and
SQLite ≥ 3.35 both have it). No row back means the window is full: ``RateLimited`` with the
seconds until it ends, nothing counted. Concurrent hits never lose a count and never pass the
limit. Outside a transaction the statement commits by itself, so the counter row is locked
only for the statement, not for the rest of a request. ``rate_limit_count_insert`` also
inserts a row (the call search's audit row) only when the hit counted, on PostgreSQL in the
same statement. Old windows are left for ``rate_counters_prune``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from django.db import connections, models, router, transaction
from django.db.models import sql
from django.utils import timezone

from portal.errors import RateLimited
from subscribers.models import RateCounter

DEFAULT_MESSAGE = "تعداد درخواست‌های شما بیش از حد مجاز است؛ چند دقیقه دیگر دوباره تلاش کنید."


def rate_limit_hit(
    *,
    scope: str,
    key: str,
    limit: int,
    window: timedelta,
    message: str = DEFAULT_MESSAGE,
    now: datetime | None = None,
) -> None:
    """Count one hit of ``key`` (an IP, a mobile, a user) in ``scope``; ``RateLimited`` when the
    window already holds ``limit`` hits. The key is stored hashed (an IP is personal data)."""
    rate_limit_count(scope=scope, key=key, limit=limit, window=window, message=message, now=now)


_sql: dict[str, str] = {}


def _statement(alias: str) -> str:
    sql = _sql.get(alias)
    if sql is None:
        quote = connections[alias].ops.quote_name
        table = quote(RateCounter._meta.db_table)
        scope, key, start, hits = (
            quote(RateCounter._meta.get_field(name).column)
            for name in ("scope", "key", "window_start", "hits")
        )
        sql = _sql[alias] = (
            f"INSERT INTO {table} ({scope}, {key}, {start}, {hits}) "  # noqa: S608
            f"VALUES (%s, %s, %s, 1) ON CONFLICT ({scope}, {key}, {start}) "
            f"DO UPDATE SET {hits} = {table}.{hits} + 1 WHERE {table}.{hits} < %s "
            f"RETURNING {hits}"
        )
    return sql


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=UTC)


def _digest(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def _retry_after(start: datetime, window: timedelta, now: datetime) -> int:
    return int((start + window - now).total_seconds()) + 1


def rate_limit_count(
    *,
    scope: str,
    key: str,
    limit: int,
    window: timedelta,
    message: str,
    now: datetime | None = None,
) -> int:
    """Count one hit of ``key`` in ``scope`` and return the window's hits so far;
    ``RateLimited`` (nothing counted) when the window already holds ``limit`` hits."""
    now = now or timezone.now()
    start, digest = _window_start(now, window), _digest(scope, key)
    if limit <= 0:  # nothing allowed (the upsert would let a window's first hit in)
        raise RateLimited(message, retry_after=_retry_after(start, window, now))
    alias = router.db_for_write(RateCounter)
    connection = connections[alias]
    params = (scope, digest, connection.ops.adapt_datetimefield_value(start), limit)
    with connection.cursor() as cursor:
        cursor.execute(_statement(alias), params)
        row = cursor.fetchone()
    if row is None:
        raise RateLimited(message, retry_after=_retry_after(start, window, now))
    return int(row[0])


_INSERT_RE = re.compile(r"^(INSERT INTO .+?\)) VALUES \((.*)\)$", re.DOTALL)


def rate_limit_count_insert(
    *,
    scope: str,
    key: str,
    limit: int,
    window: timedelta,
    message: str,
    obj: models.Model,
    now: datetime | None = None,
) -> None:
    """``rate_limit_count`` and, only when the hit counted, the INSERT of the unsaved ``obj``
    (a model without parents or signal receivers: its row as ``obj.save()`` writes it),
    atomically: a counted hit always has its row, ``RateLimited`` writes neither.

    On PostgreSQL both are ONE statement, which commits by itself (one round trip and one
    commit instead of BEGIN, two statements and COMMIT): the upsert in a ``WITH``, and the
    INSERT (compiled by the ORM, as ``save()`` compiles it) selecting its values from the
    upsert's result, so a full window — no row back — inserts nothing. Elsewhere the two run
    in a transaction. ``obj`` and the counters share one database."""
    alias = router.db_for_write(type(obj))
    connection = connections[alias]
    if connection.vendor != "postgresql":
        limited: RateLimited | None = None
        # Only a database error leaves the block (the limit is caught): no savepoint needed.
        with transaction.atomic(using=alias, savepoint=False):
            try:
                rate_limit_count(
                    scope=scope, key=key, limit=limit, window=window, message=message, now=now
                )
            except RateLimited as exc:
                limited = exc
            else:
                obj.save(using=alias, force_insert=True)
        if limited is not None:
            raise limited
        return
    now = now or timezone.now()
    start, digest = _window_start(now, window), _digest(scope, key)
    if limit <= 0:
        raise RateLimited(message, retry_after=_retry_after(start, window, now))
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
    query = sql.InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    [(insert_sql, insert_params)] = query.get_compiler(using=alias).as_sql()
    match = _INSERT_RE.match(insert_sql)
    if match is None:
        raise RuntimeError(f"unexpected INSERT statement: {insert_sql}")
    quote = connection.ops.quote_name
    pk = f"{quote(meta.db_table)}.{quote(meta.pk.column)}"
    statement = (
        f"WITH hit AS ({_statement(alias)}) "  # noqa: S608
        f"{match.group(1)} SELECT {match.group(2)} FROM hit RETURNING {pk}"
    )
    params = (scope, digest, start, limit, *insert_params)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        raise RateLimited(message, retry_after=_retry_after(start, window, now))
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = alias


def rate_counters_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete windows that ended long ago; safe to run any number of times."""
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
