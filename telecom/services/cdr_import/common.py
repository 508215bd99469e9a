"""What every call-record import path shares: the file and its checksum, the result and its
errors, the registry row and its audit record, the office scope, month bounds and the hours
Tehran's clocks repeated."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from portal.digits import to_persian_digits
from subscribers.models import User
from subscribers.permissions import sees_all_offices
from subscribers.services.audit import audit_record
from subscribers.services.csv_import import ImportIssue, errors_summary, seen_before_summary
from telecom.models import CdrImport

ImportFile = str | os.PathLike | bytes | bytearray | BinaryIO

TEHRAN = ZoneInfo("Asia/Tehran")
COLUMNS = ("line", "started_at", "other_number", "call_type", "duration_s", "cost_rial")
COLUMN_LABELS = {
    "line": "شماره خط",
    "started_at": "زمان شروع",
    "other_number": "شماره طرف مقابل",
    "call_type": "نوع مکالمه",
    "duration_s": "مدت (ثانیه)",
    "cost_rial": "هزینه (ریال)",
}
MAX_REPORTED_ERRORS = 100
# A switch splits longer calls; a larger duration is a broken record.
MAX_DURATION_S = 86_400
MAX_COST_DIGITS = 15
EARLIEST_CALL = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LOOKUP_BATCH = 5_000
BULK_BATCH = 5_000
COPY_CHUNK = 1 << 20


@dataclass
class CdrImportResult:
    """What an import did: rows read, rows added, rows already stored; or the numbered
    errors (nothing saved). ``duplicate`` says the same file had been imported before."""

    rows: int = 0
    created: int = 0
    already_stored: int = 0
    errors: list[ImportIssue] = field(default_factory=list)
    error_count: int = 0
    duplicate: bool = False
    partitions_created: list[str] = field(default_factory=list)
    seconds: float = 0.0
    record: CdrImport | None = None
    path: str = ""  # "copy", "copy-canonical", "python"
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.error_count

    def summary(self) -> str:
        if self.duplicate:
            imported_at = self.record.created_at if self.record is not None else None
            return seen_before_summary(
                first_imported_at=imported_at, outcome="هیچ ریزمکالمه‌ای افزوده نشد"
            )
        text = (
            f"{to_persian_digits(self.rows)} سطر خوانده شد؛ "
            f"{to_persian_digits(self.created)} ریزمکالمه افزوده شد"
        )
        if self.already_stored:
            text += f"، {to_persian_digits(self.already_stored)} از پیش ثبت شده بود"
        if self.partitions_created:
            text += f"؛ {to_persian_digits(len(self.partitions_created))} بخش ماهانه تازه ساخته شد"
        return text + "."

    def error_summary(self) -> str:
        return errors_summary(error_count=self.error_count, listed=len(self.errors))


class _Fallback(Exception):
    """The fast path does not accept this file as it is; the Python validator decides."""


class _Issues:
    def __init__(self, result: CdrImportResult) -> None:
        self.result = result

    def add(self, line: int, column: str, message: str) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < MAX_REPORTED_ERRORS:
            prefix = f"{COLUMN_LABELS[column]} ({column}): " if column else ""
            self.result.errors.append(ImportIssue(line, prefix + message, column))


# --------------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------------


class _Source:
    """The file's bytes (read once, streamed for large paths) and its SHA-256."""

    def __init__(self, file: ImportFile) -> None:
        self.path: Path | None = None
        self.data: bytes | None = None
        if isinstance(file, (bytes, bytearray, memoryview)):
            self.data = bytes(file)
        elif isinstance(file, (str, os.PathLike)):
            self.path = Path(file)
        else:
            if hasattr(file, "seek"):
                with contextlib.suppress(OSError, ValueError):
                    file.seek(0)
            raw = file.read()
            self.data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        digest = hashlib.sha256()
        if self.data is not None:
            digest.update(self.data)
        else:
            with self.path.open("rb") as handle:
                while chunk := handle.read(COPY_CHUNK * 8):
                    digest.update(chunk)
        self.sha256 = digest.hexdigest()

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        if self.data is not None:
            yield io.BytesIO(self.data)
        else:
            with self.path.open("rb") as handle:
                yield handle

    def first_line(self) -> bytes:
        with self.open() as handle:
            return handle.readline()

    def is_ascii(self) -> bool:
        if self.data is not None:
            return self.data.isascii()
        with self.open() as handle:
            return all(chunk.isascii() for chunk in iter(lambda: handle.read(COPY_CHUNK * 8), b""))

    def text(self) -> str:
        if self.data is not None:
            return self.data.decode("utf-8-sig")
        return self.path.read_bytes().decode("utf-8-sig")


def _header(source: _Source, result: CdrImportResult) -> dict[str, int] | None:
    """Column name → position, or ``None`` with one error naming every missing column."""
    issues = _Issues(result)
    try:
        line = source.first_line().decode("utf-8-sig")
    except UnicodeDecodeError:
        issues.add(1, "", "پرونده باید با کدگذاری UTF-8 ذخیره شده باشد.")
        return None
    cells = next(csv.reader([line]), [])
    if not any(cell.strip() for cell in cells):
        issues.add(1, "", "پرونده خالی است یا سطر عنوان ندارد.")
        return None
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff").lower()
        if name in COLUMN_LABELS and name not in index:
            index[name] = position
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        listed = "، ".join(f"{c} ({COLUMN_LABELS[c]})" for c in missing)
        issues.add(1, "", f"ستون‌های لازم در سطر عنوان نیستند: {listed}")
        return None
    index["_width"] = len(cells)
    return index


# --------------------------------------------------------------------------------------------
# The exact validator (Python): every message comes from here
# --------------------------------------------------------------------------------------------


def _office_scope(actor: User | None) -> int | None:
    """The office an office clerk/supervisor is limited to (``None``: every line)."""
    if actor is None or sees_all_offices(actor):
        return None
    return actor.office_id or -1


def _unknown_line_message(office_id: int | None) -> str:
    if office_id is not None:
        return "خطی با این شماره در مرکز تلفن (امور) شما ثبت نشده است."
    return "خطی با این شماره ثبت نشده است."


class _Duplicate(Exception):
    pass


def _duplicate(
    result: CdrImportResult, previous: CdrImport | None, started: float
) -> CdrImportResult:
    result.duplicate = True
    result.record = previous
    result.rows = previous.rows if previous is not None else 0
    result.seconds = time.perf_counter() - started
    return result


def _register(sha256: str, file_name: str, actor: User | None) -> CdrImport:
    """The registry row, inserted first: a concurrent import of the same bytes waits on the
    unique index until this transaction ends, then sees it taken (``_Duplicate``)."""
    try:
        with transaction.atomic():
            return CdrImport.objects.create(sha256=sha256, file_name=file_name, imported_by=actor)
    except IntegrityError:
        raise _Duplicate from None


def _finish(record: CdrImport, result: CdrImportResult, actor: User | None) -> None:
    record.rows = result.rows
    record.save(update_fields=["rows", "first_call", "last_call"])
    result.record = record
    audit_record(
        actor=actor,
        action="telecom.import.cdrs",
        obj=record,
        office=actor.office if actor is not None and actor.office_id else None,
        details={
            "file_name": record.file_name,
            "rows": result.rows,
            "created": result.created,
            "already_stored": result.already_stored,
            "partitions_created": result.partitions_created,
        },
    )


# --- SQLite (and any other database): Python validation + bulk_create ------------------------


@functools.cache
def _ambiguous_windows(year: int) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The UTC spans (up to ``year``) whose Tehran wall-clock time also happened an hour
    earlier: the hour after each end of daylight saving time (the last in 2022). PostgreSQL
    reads such a naive time as the later instant, the Python rules (``fold=0``) as the earlier
    one, so the fast paths leave a file containing one to the exact validator."""
    windows = []
    day = dt.datetime(1999, 12, 1, 12, tzinfo=dt.UTC)
    offset = day.astimezone(TEHRAN).utcoffset()
    while day.year <= year:
        following = day + dt.timedelta(days=1)
        next_offset = following.astimezone(TEHRAN).utcoffset()
        if next_offset < offset:
            moment = day
            while moment.astimezone(TEHRAN).utcoffset() == offset:
                moment += dt.timedelta(minutes=15)
            windows.append((moment, moment + (offset - next_offset)))
        day, offset = following, next_offset
    return tuple(windows)


def _bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=dt.UTC)
    return start, end
