"""Monthly partitions of the call-record table: created on demand by the importer (names,
bounds, both indexes attached to the parent's, no standalone B-tree on time), reused by the
next file, and the data lands in the partition of its UTC month."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from telecom.services.cdr_import import COLUMNS, cdr_import
from telecom.services.partitions import partition_name, partitions_ensure, partitions_existing
from tests.telecom.factories import PhoneLineFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join([",".join(COLUMNS), *rows]) + "\n").encode()


def indexes(table: str) -> dict[str, tuple[str, str | None]]:
    """index name → (definition, parent index it is attached to)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid), p.relname
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            LEFT JOIN pg_inherits h ON h.inhrelid = i.oid
            LEFT JOIN pg_class p ON p.oid = h.inhparent
            WHERE x.indrelid = %s::regclass
            """,
            [table],
        )
        return {name: (definition, parent) for name, definition, parent in cursor.fetchall()}


def bounds(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = %s::regclass",
            [table],
        )
        return cursor.fetchone()[0]


def check_partition(name: str, low: str, high: str) -> None:
    assert bounds(name) == f"FOR VALUES FROM ('{low}') TO ('{high}')"
    found = indexes(name)
    attached = {parent: definition for definition, parent in found.values()}
    assert set(attached) == {"callrecord_line_started", "callrecord_started_brin"}
    assert "(line_id, started_at, id)" in attached["callrecord_line_started"]
    assert "USING brin (started_at)" in attached["callrecord_started_brin"]
    # Nothing else: no standalone B-tree on time, no check constraint left behind.
    assert len(found) == 2
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'"
            " AND (conname LIKE %s OR conname LIKE %s)",
            [name, "%bounds", "cdr\\_%"],
        )
        assert cursor.fetchall() == []
        # The load's batch default is gone too: a partition's columns are the parent's.
        cursor.execute(
            "SELECT a.attname FROM pg_attrdef d JOIN pg_attribute a "
            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = %s::regclass",
            [name],
        )
        assert {column for (column,) in cursor.fetchall()} <= {"id"}


def test_import_creates_missing_months_with_both_indexes_and_reuses_existing_ones():
    line = PhoneLineFactory(number="04133334444")
    partitions_ensure(months=[(2025, 10)])
    assert partition_name(2025, 10) in partitions_existing()
    result = cdr_import(
        file=csv_bytes(
            "04133334444,2025-10-20T10:00:00,09121234567,mobile,1,1",
            # 2025-12-01 02:00 Tehran is still November in UTC.
            "04133334444,2025-12-01T02:00:00,09121234567,mobile,1,1",
            "04133334444,2025-12-01T05:00:00,09121234567,mobile,1,1",
        )
    )
    assert result.ok, result.errors
    assert result.path == "stream"
    assert result.partitions_created == [partition_name(2025, 11), partition_name(2025, 12)]
    check_partition(partition_name(2025, 11), "2025-11-01 00:00:00+00", "2025-12-01 00:00:00+00")
    check_partition(partition_name(2025, 12), "2025-12-01 00:00:00+00", "2026-01-01 00:00:00+00")
    check_partition(partition_name(2025, 10), "2025-10-01 00:00:00+00", "2025-11-01 00:00:00+00")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, started_at FROM telecom_callrecord "
            "WHERE line_id = %s ORDER BY started_at",
            [line.pk],
        )
        placed = cursor.fetchall()
    assert [table for table, _ in placed] == [
        partition_name(2025, 10), partition_name(2025, 11), partition_name(2025, 12),
    ]  # fmt: skip
    assert placed[1][1] == dt.datetime(2025, 11, 30, 22, 30, tzinfo=dt.UTC)
    second = cdr_import(
        file=csv_bytes(
            "04133334444,2025-11-05T10:00:00,09121234567,mobile,1,1",
            "04133334444,2025-12-01T05:00:00,09121234567,mobile,1,1",  # stored already
        )
    )
    assert second.ok and second.path == "stream", second.errors
    assert (second.partitions_created, second.created, second.already_stored) == ([], 1, 1)


def test_a_failed_import_leaves_no_partition_behind():
    PhoneLineFactory(number="04133334444")
    before = partitions_existing()
    result = cdr_import(
        file=csv_bytes(
            "04133334444,2024-03-20T10:00:00,09121234567,mobile,1,1",
            "04199999999,2024-03-20T10:00:00,09121234567,mobile,1,1",
        )
    )
    assert not result.ok
    assert partitions_existing() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'cdr\\_%%'")
        assert cursor.fetchall() == []


def test_rows_of_months_between_far_apart_ends_find_their_partitions():
    """The stream path prepares partitions from the first and last rows; a row of another
    month (a file out of time order) still lands in a partition of its own month."""
    line = PhoneLineFactory(number="04133334444")
    result = cdr_import(
        file=csv_bytes(
            "04133334444,2023-05-10T10:00:00,09121234567,mobile,1,1",
            "04133334444,2021-02-10T10:00:00,09121234567,mobile,2,1",
            "04133334444,2023-05-11T10:00:00,09121234567,mobile,3,1",
        )
    )
    assert result.ok and result.path == "stream", result.errors
    assert result.partitions_created == [partition_name(2021, 2), partition_name(2023, 5)]
    check_partition(partition_name(2021, 2), "2021-02-01 00:00:00+00", "2021-03-01 00:00:00+00")
    check_partition(partition_name(2023, 5), "2023-05-01 00:00:00+00", "2023-06-01 00:00:00+00")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, duration_s FROM telecom_callrecord "
            "WHERE line_id = %s ORDER BY started_at",
            [line.pk],
        )
        assert cursor.fetchall() == [
            (partition_name(2021, 2), 2), (partition_name(2023, 5), 1),
            (partition_name(2023, 5), 3),
        ]  # fmt: skip
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'cdr\\_%%'")
        assert cursor.fetchall() == []
