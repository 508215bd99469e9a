"""PostgreSQL stream path: the switch's canonical export straight into typed tables (see the
package docstring); ``_stream_path`` loads the whole file or raises ``_Fallback``."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import time
import uuid
from typing import IO

import psycopg2
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from subscribers.models import User
from telecom.models import CallType, PhoneLine
from telecom.services.cdr_import.common import (
    COLUMNS,
    EARLIEST_CALL,
    LOOKUP_BATCH,
    TEHRAN,
    CdrImportResult,
    _ambiguous_windows,
    _bounds,
    _Fallback,
    _finish,
    _register,
    _Source,
)
from telecom.services.partitions import _LOCK_KEY, TABLE, partition_name, partitions_existing

# --- PostgreSQL stream path: canonical files straight into typed tables ----------------------

# The switch's own export: this header, then rows whose every cell is already canonical.
CANONICAL_HEADER = ",".join(COLUMNS)
# Chunks small enough that the socket's buffer keeps the server parsing while Python checks
# and maps the next one (at 4 MB the server waited for Python ~0.4 s per million rows).
STREAM_CHUNK = 256 << 10
# One canonical row: the shapes ``_Parser`` accepts as they are (ISO date-time with optional
# seconds, fraction and offset). Hours run 00–23 and minutes and seconds 00–59: PostgreSQL
# would read hour 24 (next midnight) and second 60 (a leap second) where the Python rules
# refuse them, so a chunk with one is left to the exact validator. A possessive repeat over a
# whole chunk runs in C at ~0.3 µs a row; a per-row Python check costs 5×.
_HOUR = rb"(?:[01][0-9]|2[0-3])"
_SIXTY = rb"[0-5][0-9]"
# 0 to ``MAX_DURATION_S`` (86,400), in one to five digits.
_DURATION = rb"(?:[0-9]{1,4}|[0-7][0-9]{4}|8[0-5][0-9]{3}|86[0-3][0-9]{2}|86400)"
_STREAM_ROW = (
    rb"[0-9]{11},[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]" + _HOUR + rb":" + _SIXTY
    + rb"(?::" + _SIXTY + rb"(?:\.[0-9]{1,6})?)?"
    + rb"(?:Z|[+-]" + _HOUR + rb"(?::?" + _SIXTY + rb")?)?,\+?[0-9]{2,20},(?:"
    + "|".join(CallType.values).encode()
    + rb")," + _DURATION + rb",[0-9]{1,15}\r?\n"
)  # fmt: skip
_STREAM_CHUNK_RE = re.compile(rb"(?:" + _STREAM_ROW + rb")*+")
_MONTH_OF_ROW = re.compile(rb"[0-9]{11},([0-9]{4})-([0-9]{2})-")
# A file whose first and last rows are further apart than this gets partitions only around
# its two ends; rows elsewhere go through the scratch table's DEFAULT partition.
STREAM_MAX_SPAN_MONTHS = 24
# The B-tree build after the load: sort memory and parallel workers (measured in
# bench/telecom_imports.py; see docs/telecom-imports.md).
STREAM_INDEX_MEMORY = "256MB"
STREAM_INDEX_WORKERS = 1


@functools.cache
def _ambiguous_hours(year: int) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...]]:
    """``_ambiguous_windows`` as text prefixes of a naive start time (``b"2021-09-21 23:"``,
    ``b"2021-09-21T23:"``), after two coarser filters (``b"-09-"``, ``b"-09-21 23:"``) that
    let a chunk without any such hour pass after one or two scans."""
    hours: set[str] = set()
    for start, end in _ambiguous_windows(year):
        local = start.astimezone(TEHRAN).replace(minute=0, tzinfo=None)
        while local < end.astimezone(TEHRAN).replace(tzinfo=None):
            hours.add(f"{local:%Y-%m-%d}|{local:%H}:")
            local += dt.timedelta(hours=1)
    full = sorted(h.replace("|", sep).encode() for h in hours for sep in " T")
    return tuple(sorted({h[4:8] for h in full})), tuple(sorted({h[4:] for h in full})), tuple(full)


def _has_ambiguous_hour(chunk: bytes, filters) -> bool:
    months, hours, full = filters
    return (
        any(m in chunk for m in months)
        and any(h in chunk for h in hours)
        and any(f in chunk for f in full)
    )


class _StreamFeeder:
    """The file-like object ``COPY … FROM STDIN`` reads: the raw file in chunks of whole rows,
    each checked (``_STREAM_CHUNK_RE``, the ambiguous hours) and its line
    numbers replaced by line ids. The server parses one chunk while Python prepares the next
    (the socket buffers between them); a reading thread was measured and gained nothing.

    A chunk with a number not looked up yet ends the current COPY (``missing`` says which); the
    caller looks them up, calls ``resume`` and starts another COPY that continues with that
    chunk. A failed check raises ``_Fallback`` in ``read``; psycopg2 then aborts the COPY.
    """

    def __init__(self, handle: IO[bytes], ids: dict[bytes, bytes], latest: dt.datetime) -> None:
        self.handle = handle
        self.ids = ids
        self.ambiguous = _ambiguous_hours(latest.year)
        self.rest = b""
        self.held: bytes | None = None
        self.missing: set[bytes] | None = None
        self.rows = 0
        self.done = False
        handle.readline()  # the header

    def _next_chunk(self) -> bytes:
        """The next run of whole rows. Blank lines at the end of the file are dropped; blank
        lines between rows stay in a chunk, fail its check and leave the file to the other
        paths (which skip them and keep the physical line numbers)."""
        while True:
            raw = self.handle.read(STREAM_CHUNK)
            if not raw:
                chunk, self.rest = self.rest, b""
                if not chunk.strip(b"\r\n"):
                    return b""
                return chunk if chunk.endswith(b"\n") else chunk + b"\n"
            buffer = self.rest + raw
            end = buffer.rfind(b"\n") + 1
            keep = len(buffer[:end].rstrip(b"\r\n"))
            if not keep:
                self.rest = buffer
                continue
            cut = buffer.index(b"\n", keep) + 1  # the newline that ends the last row
            self.rest = buffer[cut:]
            return buffer[:cut]

    def read(self, size: int = -1) -> bytes:
        if self.missing is not None or self.done:
            return b""
        if self.held is not None:
            chunk, self.held = self.held, None
        else:
            chunk = self._next_chunk()
            if not chunk:
                self.done = True
                return b""
            if not _STREAM_CHUNK_RE.fullmatch(chunk) or _has_ambiguous_hour(chunk, self.ambiguous):
                raise _Fallback
        rows = chunk.split(b"\n")
        rows.pop()
        lookup = self.ids.__getitem__
        try:
            # "04133334444," → "1234,": the key holds the comma, so a longer number fails.
            mapped = b"\n".join([lookup(row[:12]) + row[12:] for row in rows])
        except KeyError:
            self.missing = {row[:12] for row in rows} - self.ids.keys()
            self.held = chunk
            return b""
        self.rows += len(rows)
        return mapped + b"\n"

    def resume(self) -> None:
        self.missing = None


def _canonical_header(source: _Source) -> bool:
    line = source.first_line()
    return line.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n") == CANONICAL_HEADER.encode()


def _edge_months(source: _Source) -> list[tuple[int, int]]:
    """Partition months to prepare before the COPY, from the first and last rows (a switch
    writes in time order): from the month before the earlier one (a naive Tehran time early on
    the 1st is still the previous month in UTC) to the month after the later one."""
    with source.open() as handle:
        handle.readline()
        first = handle.readline()
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 64 * 1024))
        last = handle.read().rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    ends = []
    for row in (first, last):
        match = _MONTH_OF_ROW.match(row)
        if not match or not 1 <= int(match[2]) <= 12:
            raise _Fallback
        ends.append(int(match[1]) * 12 + int(match[2]) - 1)
    low, high = min(ends) - 1, max(ends) + 1
    if high - low > STREAM_MAX_SPAN_MONTHS:
        keys = {key + step for key in ends for step in (-1, 0, 1)}
    else:
        keys = set(range(low, high + 1))
    return [(key // 12, key % 12 + 1) for key in sorted(keys)]


def _stream_path(
    source: _Source,
    office_id: int | None,
    actor: User | None,
    file_name: str,
    result: CdrImportResult,
    *,
    canonical: bool,
) -> None:
    """Canonical files (the switch's own export): one pass in Python maps each line number to
    its line id while the file streams into ``COPY`` of a typed scratch table partitioned by
    month: PostgreSQL's own parsers convert each value once; the chunk checks in Python
    (``_StreamFeeder``) hold the shapes and ranges of each cell and refuse whatever PostgreSQL
    would read differently from ``_Parser``; the first and last call are checked after the load
    (no per-row CHECK). Months without a partition become partitions: indexes built
    after the load, attached without a scan. Raises ``_Fallback`` (nothing written) at the
    first thing it does not accept; the other paths then decide."""
    months = _edge_months(source)
    phases = result.phases
    scratch = f"cdr_load_{uuid.uuid4().hex[:12]}"
    latest = timezone.now() + dt.timedelta(days=1)
    with transaction.atomic(), connection.cursor() as cursor:
        record = _register(source.sha256, file_name, actor)
        tick = time.perf_counter()
        cursor.execute("SET LOCAL maintenance_work_mem = %s", [STREAM_INDEX_MEMORY])
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = %s", [STREAM_INDEX_WORKERS])
        cursor.execute(
            f"CREATE TABLE {scratch} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            "PARTITION BY RANGE (started_at)"
        )
        tables = {month: _stream_partition(cursor, scratch, month) for month in months}
        cursor.execute(f"CREATE TABLE {scratch}_default PARTITION OF {scratch} DEFAULT")
        cursor.execute(f"ALTER TABLE {scratch} ALTER COLUMN batch_id SET DEFAULT %s", [record.pk])
        phases["stream_setup"] = time.perf_counter() - tick

        tick = time.perf_counter()
        ids: dict[bytes, bytes] = {}
        copy = (
            f"COPY {scratch} (line_id, started_at, other_number, call_type, duration_s, "
            "cost_rial) FROM STDIN WITH (FORMAT csv)"
        )
        # Naive times are Tehran time; back to the connection's zone right after.
        cursor.execute("SET LOCAL TimeZone = 'Asia/Tehran'")
        try:
            with source.open() as handle:
                feeder = _StreamFeeder(handle, ids, latest)
                while not feeder.done:
                    cursor.cursor.copy_expert(copy, feeder, size=STREAM_CHUNK)
                    if feeder.missing is not None:
                        ids.update(_line_ids(feeder.missing, office_id))
                        feeder.resume()
        except (DatabaseError, psycopg2.Error):
            raise _Fallback from None  # an unparsable value or a CHECK: the exact rules decide
        cursor.execute("SET LOCAL TimeZone = %s", [connection.timezone_name])
        if not feeder.rows:
            raise _Fallback
        phases["stream_copy"] = time.perf_counter() - tick

        tick = time.perf_counter()
        tables |= _stream_reroute(cursor, scratch, tables)
        cursor.execute(f"SELECT min(started_at), max(started_at) FROM {scratch}")  # noqa: S608
        record.first_call, record.last_call = cursor.fetchone()
        if record.first_call < EARLIEST_CALL or record.last_call > latest:
            raise _Fallback  # the exact rules name the rows out of range
        filled = {}
        for month, table in sorted(tables.items()):
            cursor.execute(f"SELECT EXISTS (SELECT FROM {table})")  # noqa: S608
            if cursor.fetchone()[0]:
                filled[month] = table
        phases["stream_months"] = time.perf_counter() - tick

        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        existing = partitions_existing()
        stored = 0
        tick = time.perf_counter()
        for month, table in filled.items():
            if partition_name(*month) in existing:
                stored += _stream_into_existing(cursor, table)
                phases["insert_existing_months"] = time.perf_counter() - tick
        tick = time.perf_counter()
        cursor.execute(f"DROP TABLE {scratch}_default")
        for month, table in filled.items():
            if partition_name(*month) not in existing:
                _stream_attach(cursor, scratch, table, month)
                result.partitions_created.append(partition_name(*month))
        cursor.execute(f"DROP TABLE {scratch}")  # with the empty and the merged months
        phases["index_attach"] = time.perf_counter() - tick
        result.rows = feeder.rows
        result.created = feeder.rows - stored
        result.already_stored = stored
        _finish(record, result, actor)
    result.path = "stream-canonical" if canonical else "stream"


def _line_ids(numbers: set[bytes], office_id: int | None) -> dict[bytes, bytes]:
    """``b"04133334444,"`` → ``b"<id>,"`` for the numbers given (in the actor's office);
    ``_Fallback`` if any is unknown (the exact validator names the rows)."""
    wanted = sorted(number[:-1].decode("ascii", "replace") for number in numbers)
    found: dict[bytes, bytes] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        lines = PhoneLine.objects.filter(number__in=wanted[start : start + LOOKUP_BATCH])
        if office_id is not None:
            lines = lines.filter(subscription__office_id=office_id)
        found.update(
            (f"{number},".encode(), f"{pk},".encode())
            for number, pk in lines.values_list("number", "id")
        )
    if len(found) != len(numbers):
        raise _Fallback
    return found


def _stream_partition(cursor, scratch: str, month: tuple[int, int]) -> str:
    """A standalone table for ``month`` with the scratch table's columns and checks and a CHECK
    equal to the month's bounds (it lets ``ATTACH PARTITION`` skip its scan), attached to the
    scratch table."""
    table = f"{scratch}_{month[0]:04d}{month[1]:02d}"
    low, high = _bounds(*month)
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {scratch} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
        "CONSTRAINT cdr_stream_bounds CHECK (started_at >= %s AND started_at < %s))",
        [low, high],
    )
    cursor.execute(
        f"ALTER TABLE {scratch} ATTACH PARTITION {table} FOR VALUES FROM (%s) TO (%s)",
        [low, high],
    )
    return table


def _stream_reroute(cursor, scratch: str, tables: dict) -> dict:
    """Rows of months the first and last rows did not predict landed in the DEFAULT partition:
    give those months tables of their own and move the rows there."""
    default = f"{scratch}_default"
    cursor.execute(f"SELECT EXISTS (SELECT FROM {default})")  # noqa: S608
    if not cursor.fetchone()[0]:
        return {}
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', started_at AT TIME ZONE 'UTC') FROM {default}"  # noqa: S608
    )
    months = sorted((moment.year, moment.month) for (moment,) in cursor.fetchall())
    cursor.execute(f"ALTER TABLE {scratch} DETACH PARTITION {default}")
    added = {month: _stream_partition(cursor, scratch, month) for month in months}
    cursor.execute(f"INSERT INTO {scratch} SELECT * FROM {default}")  # noqa: S608
    return added


_STREAM_COLUMNS = (
    "id, line_id, started_at, other_number, call_type, duration_s, cost_rial, batch_id"
)


def _stream_into_existing(cursor, table: str) -> int:
    """Rows of a month that already has a partition: a stored call repeated with other values
    is an error (``_Fallback``: the text path names its line); calls already stored are
    skipped (their number is returned); the rest is inserted through the parent."""
    cursor.execute(
        f"""
        SELECT EXISTS (SELECT FROM {table} t JOIN {TABLE} c
          ON c.line_id = t.line_id AND c.started_at = t.started_at
         AND c.other_number = t.other_number
        WHERE (c.call_type, c.duration_s, c.cost_rial)
              IS DISTINCT FROM (t.call_type, t.duration_s, t.cost_rial))
        """  # noqa: S608
    )
    if cursor.fetchone()[0]:
        raise _Fallback
    cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - the scratch table
    (rows,) = cursor.fetchone()
    cursor.execute(
        f"""
        INSERT INTO {TABLE} ({_STREAM_COLUMNS})
        SELECT {_STREAM_COLUMNS} FROM {table} t WHERE NOT EXISTS (
            SELECT FROM {TABLE} c WHERE c.line_id = t.line_id
              AND c.started_at = t.started_at AND c.other_number = t.other_number)
        """  # noqa: S608
    )
    return rows - cursor.rowcount


def _stream_attach(cursor, scratch: str, table: str, month: tuple[int, int]) -> None:
    """Make a loaded month's table the month's partition: indexes built on the full table (a
    sorted build, far cheaper than row-by-row inserts), named as PostgreSQL names a
    partition's copies of the parent's indexes so the parent's partitioned indexes adopt them;
    attached without a scan thanks to its bounds CHECK; the load's own checks dropped."""
    name = partition_name(*month)
    low, high = _bounds(*month)
    cursor.execute(f"ALTER TABLE {scratch} DETACH PARTITION {table}")
    cursor.execute(f'ALTER TABLE {table} RENAME TO "{name}"')
    cursor.execute(
        f'CREATE INDEX "{name}_line_id_started_at_id_idx" ON "{name}" (line_id, started_at, id)'
    )
    cursor.execute(f'CREATE INDEX "{name}_started_at_idx" ON "{name}" USING brin (started_at)')
    cursor.execute(
        f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
        [low, high],
    )
    cursor.execute(
        f'ALTER TABLE "{name}" DROP CONSTRAINT cdr_stream_bounds, '
        "ALTER COLUMN batch_id DROP DEFAULT"
    )
