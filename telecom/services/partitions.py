"""Monthly partitions of ``telecom_callrecord`` on PostgreSQL, created on demand.

A partition holds one Gregorian calendar month in UTC: ``telecom_callrecord_y2026m03`` takes
``[2026-03-01 00:00 UTC, 2026-04-01 00:00 UTC)``. Its two indexes come from the parent's
partitioned indexes (migration 0001). Every writer of call records (the importer, the demo,
tests) calls ``partitions_ensure`` for the months it is about to write; on SQLite the table is
plain and this is a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction

TABLE = "telecom_callrecord"
# Any constant shared by every writer: serialises partition creation across processes.
_LOCK_KEY = 7_202_611


def partition_name(year: int, month: int) -> str:
    return f"{TABLE}_y{year:04d}m{month:02d}"


def month_of(moment: dt.datetime) -> tuple[int, int]:
    """(year, month) of the partition that holds ``moment`` (an aware datetime)."""
    utc = moment.astimezone(dt.UTC)
    return utc.year, utc.month


def months_between(start: dt.datetime, end: dt.datetime) -> list[tuple[int, int]]:
    """Every partition month from the one holding ``start`` to the one holding ``end``."""
    year, month = month_of(start)
    last = month_of(end)
    months = []
    while (year, month) <= last:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=dt.UTC)
    return start, end


def partitions_existing() -> set[str]:
    """Names of the partitions that exist now (empty on SQLite)."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def partitions_ensure(*, months: Iterable[tuple[int, int]]) -> list[str]:
    """Create the missing partitions for ``months``; return the names created.

    Safe to call concurrently and inside a caller's transaction (a transaction-level advisory
    lock serialises creators; ``IF NOT EXISTS`` makes a repeat a no-op).
    """
    wanted = sorted(set(months))
    if connection.vendor != "postgresql" or not wanted:
        return []
    missing = [m for m in wanted if partition_name(*m) not in partitions_existing()]
    if not missing:
        return []
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        existing = partitions_existing()
        for year, month in missing:
            name = partition_name(year, month)
            if name in existing:
                continue
            start, end = _bounds(year, month)
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF {TABLE} '
                "FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )
            created.append(name)
    return created
