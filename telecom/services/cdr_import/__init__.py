"""Call-detail record (ریزمکالمات) files from the telecom company's switch: ``cdr_import``.

A file is CSV, UTF-8, with a header naming ``COLUMNS`` in any order (other columns are
ignored). It is imported all or nothing: any bad row → nothing is written and every problem is
reported by line number (header = line 1) and column, the first ``MAX_REPORTED_ERRORS`` listed
and all of them counted. The SHA-256 of the bytes is registered in ``CdrImport`` first thing in
the transaction, so the same file a second time — even two uploads at the same moment — adds
nothing and says so (the second waits on the unique index, then finds it taken).

A call is identified by (line, start time, other number). A later file that repeats calls
already stored (a re-exported month that gained a few days) adds only the new ones and counts
the rest as ``already_stored``; a repeated call whose type, duration or cost differs is an
error at its line: stored call records are evidence and are never rewritten by an import.

PostgreSQL, three paths, fastest first; each either loads the whole file or writes nothing
and hands the file to the next:
1. Stream (``_stream_path``), for the switch's canonical export (this header in this order,
   ISO times, ASCII digits, no quoting): the file streams through Python in 256 KB chunks — each
   chunk's shape checked by one regular expression in C, each line number replaced by its line
   id from a dict — into ``COPY`` of a typed scratch table partitioned by month, with CHECK
   constraints for the ranges. Months that have no partition yet (the usual case: last month's
   file) become partitions as they are: their two indexes built after the load (a sorted
   build, far cheaper than row-by-row index inserts, named so the parent's partitioned indexes
   adopt them) and attached without a scan thanks to a CHECK equal to the bounds, dropped
   afterwards. Rows of months that already exist are inserted into the parent.
2. Text staging (``_copy_path``), for any column order and extra columns: ``COPY`` into an
   UNLOGGED table of text columns, one aggregate pass validating every row in SQL and grouping
   by month, then the same partition handling.
3. The exact Python validator below.

Whenever the fast paths see anything they do not accept — Jalali dates, Persian digits or
labels, spelled-out numbers, a wall-clock hour that happened twice, or any real error — the
file goes through the exact Python validator (the same one SQLite uses), which either reports
every error with its line and column, or rewrites the rows in canonical form and loads them
through the fast paths.
SQLite: the Python validator and ``bulk_create`` (laptop-sized files).
"""

from __future__ import annotations

import csv
import functools
import io
import time

from django.db import connection

from subscribers.models import User
from telecom.models import CdrImport
from telecom.services.cdr_import.common import (
    COLUMN_LABELS,
    COLUMNS,
    CdrImportResult,
    ImportFile,
    _Duplicate,
    _duplicate,
    _Fallback,
    _header,
    _Issues,
    _office_scope,
    _Source,
)
from telecom.services.cdr_import.rows import (
    _import_python,
    _python_validate,
)
from telecom.services.cdr_import.staging import (
    _copy_path,
)
from telecom.services.cdr_import.stream import (
    _canonical_header,
    _stream_path,
)


def cdr_import(
    *, file: ImportFile, file_name: str = "", actor: User | None = None
) -> CdrImportResult:
    """Import one call-record CSV, all or nothing (see the module docstring for the format,
    the rules and the PostgreSQL fast path).

    ``file`` is a path, bytes, or a binary file object (an upload). Office staff (clerks and
    supervisors of a telecom office) may import only lines of their own telephone center;
    ``actor=None`` is the command line. Side effects on success: the ``CdrImport`` row, the
    call records (``batch`` = that row), any missing monthly partitions, and an audit row
    ``telecom.import.cdrs``. A file seen before changes nothing (``duplicate``).
    """
    started = time.perf_counter()
    result = CdrImportResult()
    source = _Source(file)
    if not file_name and source.path is not None:
        file_name = source.path.name
    file_name = (file_name or str(getattr(file, "name", "") or ""))[:255]
    result.phases["sha256"] = time.perf_counter() - started
    index = _header(source, result)
    if index is None:
        result.seconds = time.perf_counter() - started
        return result
    previous = CdrImport.objects.filter(sha256=source.sha256).first()
    if previous is not None:
        return _duplicate(result, previous, started)
    office_id = _office_scope(actor)
    try:
        if connection.vendor == "postgresql":
            _import_postgres(source, index, office_id, actor, file_name, result)
        else:
            _import_python(source, index, office_id, actor, file_name, result)
    except _Duplicate:
        previous = CdrImport.objects.filter(sha256=source.sha256).first()
        return _duplicate(CdrImportResult(), previous, started)
    if result.errors or result.error_count:
        result.errors.sort(key=lambda issue: (issue.line, COLUMNS.index(issue.column)
                                              if issue.column in COLUMNS else -1))  # fmt: skip
        result.created = result.already_stored = 0
        result.partitions_created = []
        result.record = None
    result.seconds = time.perf_counter() - started
    if result.record is not None:
        CdrImport.objects.filter(pk=result.record.pk).update(seconds=result.seconds)
        result.record.seconds = result.seconds
    return result


def _import_postgres(source, index, office_id, actor, file_name, result) -> None:
    stream = functools.partial(_stream_path, office_id=office_id, actor=actor,
                               file_name=file_name, result=result)  # fmt: skip
    copy = functools.partial(_copy_path, office_id=office_id, actor=actor, file_name=file_name,
                             result=result)  # fmt: skip
    if _canonical_header(source) and _attempt(result, "stream", stream, source, canonical=False):
        return
    if _attempt(result, "copy", copy, source, index, canonical=False):
        return
    # Not canonical or not valid: the exact validator decides, then (if valid) the canonical
    # rewrite goes through the fast paths.
    tick = time.perf_counter()
    fallback = CdrImportResult()
    paired = _python_validate(source, index, office_id, fallback)
    result.phases["validate_python"] = time.perf_counter() - tick
    result.rows = fallback.rows
    if fallback.error_count:
        result.errors, result.error_count = fallback.errors, fallback.error_count
        result.path = "python"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    lines = [1]
    for row, _ in paired:
        writer.writerow(
            (row.number, row.started_at.isoformat(), row.other_number, row.call_type,
             row.duration_s, row.cost_rial)
        )  # fmt: skip
        lines.append(row.line)
    canonical = _Source(buffer.getvalue().encode())
    canonical.sha256 = source.sha256
    header = {name: position for position, name in enumerate(COLUMNS)} | {"_width": len(COLUMNS)}
    if not _attempt(result, "stream", stream, canonical, canonical=True) and not _attempt(
        result, "copy", copy, canonical, header, canonical=True, line_map=lines
    ):
        _Issues(result).add(1, "", "بررسی پرونده ناتمام ماند؛ پرونده را دوباره بارگذاری کنید.")
        return
    result.rows = fallback.rows


def _attempt(result: CdrImportResult, name: str, path, *args, **kwargs) -> bool:
    """Run one path; if it falls back (its transaction rolled back, nothing written), forget
    what it counted and record only the time it cost (phase ``<name>_abandoned``)."""
    phases = dict(result.phases)
    tick = time.perf_counter()
    try:
        path(*args, **kwargs)
    except _Fallback:
        result.rows = result.created = result.already_stored = 0
        result.partitions_created = []
        phases[f"{name}_abandoned"] = time.perf_counter() - tick
        result.phases = phases
        return False
    return True


__all__ = ["COLUMNS", "COLUMN_LABELS", "CdrImportResult", "cdr_import"]
