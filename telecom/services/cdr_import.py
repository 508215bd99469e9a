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
   ISO times, ASCII digits, no quoting): the file streams through Python in 4 MB chunks — each
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

from __future__ import annotations  # noqa: I001

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO
from zoneinfo import ZoneInfo

import jdatetime
import psycopg2
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from portal.digits import normalize_digits, to_persian_digits
from subscribers.models import User
from subscribers.permissions import sees_all_offices
from subscribers.services.audit import audit_record
from subscribers.services.subscriptions import ImportIssue
from telecom.models import CallRecord, CallType, CdrImport, PhoneLine
from telecom.selectors.lines import normalize_number
from telecom.services.partitions import TABLE, _LOCK_KEY, partition_name, partitions_existing

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

_LINE_RE = re.compile(r"0[0-9]{10}")
_OTHER_RE = re.compile(r"\+?[0-9]{2,20}")
_INT_RE = re.compile(r"[0-9]+")
_DATETIME_RE = re.compile(
    r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})[T ]+([0-9]{1,2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_NUMBER_NOISE = str.maketrans("", "", ",٬_ \u00a0\u200c")
_PHONE_NOISE = str.maketrans("", "", " -()\u00a0\u200c")
_LABEL_NOISE = str.maketrans("", "", " \u200c\u200f\u200e-_")


# The fast path's acceptance test: the canonical spellings of ``_Parser``'s rules, checked
# without regular expressions (a regex costs ~1 µs a row, ten times a translate + hash probe).
# A start time's digits are replaced by "d" and the shape looked up in these sets.
def _time_shapes() -> tuple[list[str], list[str]]:
    times = ["dd:dd", "dd:dd:dd"] + ["dd:dd:dd." + "d" * k for k in range(1, 7)]
    offsets = ["Z", "+dd", "-dd", "+dddd", "-dddd", "+dd:dd", "-dd:dd"]
    naive = [f"dddd-dd-dd{sep}{t}" for sep in ("T", " ") for t in times]
    return naive, [shape + off for shape in naive for off in offsets]


_NAIVE_SHAPES, _OFFSET_SHAPES = _time_shapes()
_SHAPE = "translate(st.started_at, '0123456789', 'dddddddddd')"
# Naive times are Tehran wall-clock time; with an offset they are what they say. (The session
# time zone stays UTC: Django reads timestamps back assuming it.) PostgreSQL reads hour 24 as
# the next midnight and second 60 as a leap second; the Python rules do not, so both are
# refused here too.
_SQL_STARTED_AT = (
    f"CASE WHEN substr(st.started_at, 12, 2) = '24' OR strpos(st.started_at, ':60') > 0 "
    "THEN NULL "
    f"WHEN {_SHAPE} = ANY(%s) THEN st.started_at::timestamp AT TIME ZONE 'Asia/Tehran' "
    f"WHEN {_SHAPE} = ANY(%s) THEN st.started_at::timestamptz END"
)


def _label_key(text: str) -> str:
    return normalize_digits(text).strip().lower().translate(_LABEL_NOISE)


_CALL_TYPES: dict[str, str] = {}
for _value, _label in CallType.choices:
    _CALL_TYPES[_label_key(_value)] = _value
    _CALL_TYPES[_label_key(str(_label))] = _value
_CALL_TYPES.update(
    {
        _label_key(k): v
        for k, v in {"همراه": "mobile", "هوشمند": "smart", "بین الملل": "international"}.items()
    }
)


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
            when = ""
            if self.record is not None:
                from portal.jalali import jalali_display

                when = f" ({jalali_display(self.record.created_at)})"
            return f"این پرونده پیش‌تر وارد شده است{when}؛ هیچ ریزمکالمه‌ای افزوده نشد."
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
        hidden = self.error_count - len(self.errors)
        text = f"{to_persian_digits(self.error_count)} خطا؛ هیچ سطری ذخیره نشد."
        if hidden > 0:
            text += f" ({to_persian_digits(hidden)} خطای دیگر فهرست نشده است.)"
        return text


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


class _CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        self.column = column
        self.message = message


@dataclass(frozen=True)
class _Row:
    line: int
    number: str
    started_at: dt.datetime
    other_number: str
    call_type: str
    duration_s: int
    cost_rial: int


class _Parser:
    """Turns one CSV record into a ``_Row`` or a list of ``_CellError``. Each distinct date
    text is converted once (a file repeats the same few hundred days)."""

    def __init__(self, index: dict[str, int]) -> None:
        self.index = index
        self.days: dict[tuple[int, int, int], dt.date | None] = {}
        self.latest = timezone.now() + dt.timedelta(days=1)

    def _day(self, year: int, month: int, day: int) -> dt.date | None:
        key = (year, month, day)
        if key not in self.days:
            try:
                if year > 1700:
                    self.days[key] = dt.date(year, month, day)
                else:
                    self.days[key] = jdatetime.date(year, month, day).togregorian()
            except (ValueError, OverflowError):
                self.days[key] = None
        return self.days[key]

    def started_at(self, text: str) -> dt.datetime:
        value = normalize_digits(text).strip()
        if not value:
            raise _CellError("started_at", "خالی است.")
        match = _DATETIME_RE.fullmatch(value)
        bad = _CellError(
            "started_at",
            "زمان معتبر نیست (نمونه: 2026-11-03T14:05:00 یا ۱۴۰۵/۰۸/۱۲ ۱۴:۰۵:۰۰).",
        )
        if not match:
            raise bad
        year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
        second = int(match.group(6) or 0)
        micro = int((match.group(7) or "0").ljust(6, "0"))
        offset = match.group(8)
        date = self._day(year, month, day)
        if date is None or hour > 23 or minute > 59 or second > 59:
            raise bad
        moment = dt.datetime(date.year, date.month, date.day, hour, minute, second, micro)
        if offset:
            if offset == "Z":
                tz = dt.UTC
            else:
                digits = offset[1:].replace(":", "")
                minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
                if minutes >= 24 * 60:
                    raise bad
                tz = dt.timezone((-1 if offset[0] == "-" else 1) * dt.timedelta(minutes=minutes))
            moment = moment.replace(tzinfo=tz)
        else:
            moment = moment.replace(tzinfo=TEHRAN)
        if moment < EARLIEST_CALL:
            raise _CellError("started_at", "پیش از سال ۲۰۰۰ میلادی (۱۳۷۸ شمسی) است.")
        if moment > self.latest:
            raise _CellError("started_at", "در آینده است.")
        return moment

    @staticmethod
    def integer(text: str, column: str, maximum: int) -> int:
        value = normalize_digits(text).strip().translate(_NUMBER_NOISE)
        if not value:
            raise _CellError(column, "خالی است.")
        if value.startswith("-") and _INT_RE.fullmatch(value[1:]):
            raise _CellError(column, "نمی‌تواند منفی باشد.")
        if not _INT_RE.fullmatch(value):
            raise _CellError(column, "باید عدد صحیح باشد.")
        number = int(value)
        if number > maximum:
            raise _CellError(column, f"بیش از حد مجاز ({to_persian_digits(maximum)}) است.")
        return number

    @staticmethod
    def number(text: str) -> str:
        raw = text.strip()
        if not raw:
            raise _CellError("line", "خالی است.")
        digits = normalize_number(raw)
        if not _LINE_RE.fullmatch(digits) or len(digits) != len(
            normalize_digits(raw).translate(_PHONE_NOISE)
        ):
            raise _CellError("line", "شماره خط باید ۱۱ رقم با کد شهر باشد (نمونه: ۰۴۱۳۳۳۳۴۴۴۴).")
        return digits

    @staticmethod
    def other(text: str) -> str:
        value = normalize_digits(text).strip().translate(_PHONE_NOISE)
        if not value:
            raise _CellError("other_number", "خالی است.")
        if not _OTHER_RE.fullmatch(value) or len(value) > 20:
            raise _CellError("other_number", "باید ۲ تا ۲۰ رقم باشد (می‌تواند با + یا 00 شروع شود).")
        return value

    @staticmethod
    def call_type(text: str) -> str:
        key = _label_key(text)
        if not key:
            raise _CellError("call_type", "خالی است.")
        try:
            return _CALL_TYPES[key]
        except KeyError:
            allowed = "، ".join(f"{v} ({label})" for v, label in CallType.choices)
            raise _CellError(
                "call_type", f"مقدار «{text.strip()}» مجاز نیست (مجاز: {allowed})."
            ) from None

    def __call__(self, line: int, row: list[str], errors: list[_CellError]) -> _Row | None:
        i = self.index
        values: dict[str, Any] = {}
        for column, parse in (
            ("line", lambda: self.number(row[i["line"]])),
            ("started_at", lambda: self.started_at(row[i["started_at"]])),
            ("other_number", lambda: self.other(row[i["other_number"]])),
            ("call_type", lambda: self.call_type(row[i["call_type"]])),
            (
                "duration_s",
                lambda: self.integer(row[i["duration_s"]], "duration_s", MAX_DURATION_S),
            ),
            (
                "cost_rial",
                lambda: self.integer(row[i["cost_rial"]], "cost_rial", 10**MAX_COST_DIGITS - 1),
            ),
        ):
            try:
                values[column] = parse()
            except _CellError as exc:
                errors.append(exc)
        if errors:
            return None
        return _Row(
            line=line,
            number=values["line"],
            started_at=values["started_at"],
            other_number=values["other_number"],
            call_type=values["call_type"],
            duration_s=values["duration_s"],
            cost_rial=values["cost_rial"],
        )


def _office_scope(actor: User | None) -> int | None:
    """The office an office clerk/supervisor is limited to (``None``: every line)."""
    if actor is None or sees_all_offices(actor):
        return None
    return actor.office_id or -1


def _unknown_line_message(office_id: int | None) -> str:
    if office_id is not None:
        return "خطی با این شماره در مرکز تلفن (امور) شما ثبت نشده است."
    return "خطی با این شماره ثبت نشده است."


def _python_validate(
    source: _Source, index: dict[str, int], office_id: int | None, result: CdrImportResult
) -> list[tuple[_Row, int]]:
    """Every row checked in Python; returns (row, line id) pairs, or errors in ``result``."""
    issues = _Issues(result)
    try:
        text = source.text()
    except UnicodeDecodeError as exc:
        raw = source.data if source.data is not None else source.path.read_bytes()
        issues.add(
            raw.count(b"\n", 0, exc.start) + 1, "", "پرونده باید با کدگذاری UTF-8 ذخیره شده باشد."
        )
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    parse = _Parser(index)
    width = index["_width"]
    rows: list[_Row] = []
    errors: list[_CellError] = []
    try:
        for record in reader:
            if not record or not any(cell.strip() for cell in record):
                continue
            result.rows += 1
            line = reader.line_num
            if len(record) < width:
                record += [""] * (width - len(record))
            parsed = parse(line, record, errors)
            if parsed is None:
                for error in errors:
                    issues.add(line, error.column, error.message)
                errors.clear()
            else:
                rows.append(parsed)
    except csv.Error:
        issues.add(reader.line_num, "", "ساختار CSV این سطر خراب است (نقل‌قول بسته نشده).")
    if not result.rows and not result.error_count:
        issues.add(1, "", "پرونده هیچ سطر داده‌ای ندارد.")
    numbers = sorted({row.number for row in rows})
    known: dict[str, int] = {}
    for start in range(0, len(numbers), LOOKUP_BATCH):
        lines = PhoneLine.objects.filter(number__in=numbers[start : start + LOOKUP_BATCH])
        if office_id is not None:
            lines = lines.filter(subscription__office_id=office_id)
        known.update(lines.values_list("number", "id"))
    paired = []
    for row in rows:
        line_id = known.get(row.number)
        if line_id is None:
            issues.add(row.line, "line", _unknown_line_message(office_id))
        else:
            paired.append((row, line_id))
    return paired


# --------------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------------


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


def _import_python(source, index, office_id, actor, file_name, result) -> None:
    tick = time.perf_counter()
    paired = _python_validate(source, index, office_id, result)
    result.phases["validate"] = time.perf_counter() - tick
    result.path = "python"
    if result.error_count:
        return
    with transaction.atomic():
        record = _register(source.sha256, file_name, actor)
        _stored_check(paired, result)
        if result.error_count:
            transaction.set_rollback(True)
            return
        new = [
            CallRecord(
                line_id=line_id,
                started_at=row.started_at,
                other_number=row.other_number,
                call_type=row.call_type,
                duration_s=row.duration_s,
                cost_rial=row.cost_rial,
                batch=record,
            )
            for row, line_id in paired
            if not getattr(row, "_stored", False)
        ]
        tick = time.perf_counter()
        CallRecord.objects.bulk_create(new, batch_size=BULK_BATCH)
        result.phases["insert"] = time.perf_counter() - tick
        result.created = len(new)
        result.already_stored = len(paired) - len(new)
        if paired:
            record.first_call = min(row.started_at for row, _ in paired)
            record.last_call = max(row.started_at for row, _ in paired)
        _finish(record, result, actor)


def _stored_check(paired: list[tuple[_Row, int]], result: CdrImportResult) -> None:
    """Mark rows equal to a stored call (skipped); a stored call with other values is an
    error. Used by the Python path (volumes a laptop handles)."""
    if not paired:
        return
    issues = _Issues(result)
    lines = {line_id for _, line_id in paired}
    low = min(row.started_at for row, _ in paired)
    high = max(row.started_at for row, _ in paired)
    stored: dict[tuple, tuple] = {}
    line_list = sorted(lines)
    for start in range(0, len(line_list), LOOKUP_BATCH):
        for values in CallRecord.objects.filter(
            line_id__in=line_list[start : start + LOOKUP_BATCH],
            started_at__gte=low,
            started_at__lte=high,
        ).values_list("line_id", "started_at", "other_number", "call_type", "duration_s",
                      "cost_rial"):  # fmt: skip
            stored[values[:3]] = values[3:]
    if not stored:
        return
    for row, line_id in paired:
        key = (line_id, row.started_at, row.other_number)
        if key not in stored:
            continue
        if stored[key] != (row.call_type, row.duration_s, row.cost_rial):
            issues.add(
                row.line,
                "",
                "این تماس (همین خط، زمان و شماره طرف مقابل) پیش‌تر با نوع، مدت یا هزینه دیگری "
                "ثبت شده است؛ ریزمکالمات ثبت‌شده با بارگذاری تغییر نمی‌کنند.",
            )
        else:
            object.__setattr__(row, "_stored", True)


# --- PostgreSQL ---------------------------------------------------------------------------


# --- PostgreSQL stream path: canonical files straight into typed tables ----------------------

# The switch's own export: this header, then rows whose every cell is already canonical.
CANONICAL_HEADER = ",".join(COLUMNS)
STREAM_CHUNK = 4 << 20
_DIGITS_TO_D = bytes.maketrans(b"0123456789", b"d" * 10)
# One canonical row with its digits replaced by "d" (``_DIGITS_TO_D``): the shapes ``_Parser``
# accepts as they are (ISO date-time with optional seconds, fraction and offset). A possessive
# repeat over a whole chunk runs in C at ~0.2 µs a row; a per-row Python check costs 5×.
_STREAM_ROW = (
    rb"d{11},dddd-dd-dd[T ]dd:dd(?::dd(?:\.d{1,6})?)?(?:Z|[+-]dd(?::?dd)?)?,\+?d{2,20},(?:"
    + "|".join(CallType.values).encode()
    + rb"),d{1,5},d{1,15}\r?\n"
)
_STREAM_CHUNK_RE = re.compile(rb"(?:" + _STREAM_ROW + rb")*+")
# PostgreSQL reads these where the Python rules refuse them: hour 24 (next midnight) and
# second 60 (a leap second); minute or offset minute 60 is refused by both, so any ":60" is
# left to the exact validator.
_STREAM_REFUSED = (b" 24:", b"T24:", b":60")
_MONTH_OF_ROW = re.compile(rb"[0-9]{11},([0-9]{4})-([0-9]{2})-")
# A file whose first and last rows are further apart than this gets partitions only around
# its two ends; rows elsewhere go through the scratch table's DEFAULT partition.
STREAM_MAX_SPAN_MONTHS = 24
# The B-tree build after the load: sort memory and parallel workers (measured in
# bench/telecom_imports.py; see docs/telecom-imports.md).
STREAM_INDEX_MEMORY = "256MB"
STREAM_INDEX_WORKERS = 1


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
    each checked (``_STREAM_CHUNK_RE``, ``_STREAM_REFUSED``, the ambiguous hours) and its line
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
            if (
                not _STREAM_CHUNK_RE.fullmatch(chunk.translate(_DIGITS_TO_D))
                or any(refused in chunk for refused in _STREAM_REFUSED)
                or _has_ambiguous_hour(chunk, self.ambiguous)
            ):
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
    month: PostgreSQL's own parsers convert each value once, CHECK constraints hold the ranges,
    and the chunk checks in Python (``_StreamFeeder``) refuse whatever those would read
    differently from ``_Parser``. Months without a partition become partitions: indexes built
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
            f"CREATE TABLE {scratch} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
            f"CONSTRAINT cdr_stream_duration CHECK (duration_s <= {MAX_DURATION_S}), "
            "CONSTRAINT cdr_stream_started CHECK (started_at >= %s AND started_at <= %s)) "
            "PARTITION BY RANGE (started_at)",
            [EARLIEST_CALL, latest],
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
        "DROP CONSTRAINT cdr_stream_duration, DROP CONSTRAINT cdr_stream_started, "
        "ALTER COLUMN batch_id DROP DEFAULT"
    )


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


def _copy_path(
    source: _Source,
    index: dict[str, int],
    office_id: int | None,
    actor: User | None,
    file_name: str,
    result: CdrImportResult,
    *,
    canonical: bool,
    line_map: list[int] | None = None,
) -> None:
    """The set-based path (see the module docstring). Raises ``_Fallback`` (nothing written)
    when any row is not in canonical form or not valid."""
    if not canonical and not source.is_ascii():
        raise _Fallback  # Persian digits or labels: normalise in Python first
    width = index["_width"]
    names = {position: name for name, position in index.items() if not name.startswith("_")}
    columns = [names.get(position, f"extra_{position}") for position in range(width)]
    stage = f"cdr_stage_{uuid.uuid4().hex[:12]}"
    phases = result.phases
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            record = _register(source.sha256, file_name, actor)
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            tick = time.perf_counter()
            column_sql = ", ".join(f'"{c}" text' for c in columns)
            cursor.execute(
                f"CREATE UNLOGGED TABLE {stage} "
                f"(n bigint GENERATED ALWAYS AS IDENTITY, {column_sql})"
            )
            column_list = ", ".join(f'"{c}"' for c in columns)
            try:
                with transaction.atomic(), source.open() as handle:
                    cursor.cursor.copy_expert(
                        f"COPY {stage} ({column_list}) FROM STDIN WITH (FORMAT csv, HEADER true)",
                        handle,
                        size=COPY_CHUNK,
                    )
            except (DatabaseError, psycopg2.Error):
                # A row with too few or too many cells, a blank line, bad quoting or bad
                # UTF-8: the Python validator reports it by line.
                raise _Fallback from None
            cursor.execute(f"ANALYZE {stage}")  # a sample: the planner then hashes the lines
            phases["copy_stage"] = time.perf_counter() - tick
            _load(cursor, stage, office_id, record, result)
            _finish(record, result, actor)
    except _StoredConflicts as conflicts:
        issues = _Issues(result)
        for n in conflicts.rows:
            line = line_map[n] if line_map else n + 1
            issues.add(
                line,
                "",
                "این تماس (همین خط، زمان و شماره طرف مقابل) پیش‌تر با نوع، مدت یا هزینه دیگری "
                "ثبت شده است؛ ریزمکالمات ثبت‌شده با بارگذاری تغییر نمی‌کنند.",
            )
        result.error_count = max(result.error_count, conflicts.total)
        return
    result.path = "copy-canonical" if canonical else "copy"


class _StoredConflicts(Exception):
    def __init__(self, rows: list[int], total: int) -> None:
        self.rows = rows
        self.total = total


def _typed_select(stage: str, office_id: int | None) -> tuple[str, list]:
    """Rows of the staging table as CallRecord columns (line resolved), the row number and an
    ``ok`` flag for the text checks. ``OFFSET 0`` keeps the subquery from being flattened, so
    each row's conversions run once however often the caller refers to them."""
    params: list = [_NAIVE_SHAPES, _OFFSET_SHAPES]
    office_join = ""
    if office_id is not None:
        office_join = (
            " JOIN subscribers_subscription sub ON sub.id = pl.subscription_id "
            "AND sub.office_id = %s"
        )
        params.append(office_id)
    digits = "translate({}, '0123456789', '') = ''"
    other = (
        "length(st.other_number) BETWEEN 2 AND 20 AND ("
        + digits.format("st.other_number")
        + " OR (left(st.other_number, 1) = '+' AND length(st.other_number) >= 3 AND "
        + digits.format("substr(st.other_number, 2)")
        + "))"
    )
    types = ", ".join(f"'{v}'" for v in CallType.values)
    sql = (
        f"SELECT st.n, l.id AS line_id, {_SQL_STARTED_AT} AS started_at, "  # noqa: S608
        "st.other_number, st.call_type, "
        f"CASE WHEN length(st.duration_s) BETWEEN 1 AND 5 AND {digits.format('st.duration_s')} "
        "THEN st.duration_s::integer END AS duration_s, "
        f"CASE WHEN length(st.cost_rial) BETWEEN 1 AND {MAX_COST_DIGITS} AND "
        f"{digits.format('st.cost_rial')} THEN st.cost_rial::bigint END AS cost_rial, "
        f"({other} AND st.call_type IN ({types})) AS ok "
        f"FROM {stage} st LEFT JOIN (SELECT pl.id, pl.number FROM telecom_phoneline pl"
        f"{office_join}) l ON l.number = st.line OFFSET 0"
    )
    return sql, params


def _load(cursor, stage: str, office_id: int | None, record: CdrImport, result) -> None:
    phases = result.phases
    tick = time.perf_counter()
    typed, params = _typed_select(stage, office_id)
    # A naive time in an hour that happened twice: PostgreSQL and the Python rules disagree
    # on which instant it is, so the exact validator decides (see ``_ambiguous_windows``).
    windows = _ambiguous_windows(timezone.now().year + 1)
    in_ambiguous = " OR ".join(["(t.started_at >= %s AND t.started_at < %s)"] * len(windows))
    window_bounds = [moment for window in windows for moment in window]
    latest_window = windows[-1][1] if windows else EARLIEST_CALL
    in_ambiguous = in_ambiguous or "false"
    # Valid rows have a start time inside the range and a duration within the limit; group
    # by partition month in the same pass (a hash aggregate over a dozen groups).
    try:
        with transaction.atomic():
            cursor.execute(
                f"""
                SELECT date_trunc('month', t.started_at AT TIME ZONE 'UTC') AS month,
                       count(*), min(t.started_at), max(t.started_at),
                       count(*) FILTER (WHERE NOT coalesce(
                           t.ok AND t.line_id IS NOT NULL AND t.started_at >= %s
                           AND t.started_at <= now() + interval '1 day'
                           AND t.duration_s <= %s AND t.cost_rial IS NOT NULL
                           AND (t.started_at >= %s OR NOT ({in_ambiguous})), false))
                FROM ({typed}) t
                GROUP BY 1
                """,  # noqa: S608
                [EARLIEST_CALL, MAX_DURATION_S, latest_window, *window_bounds, *params],
            )
            groups = cursor.fetchall()
    except DatabaseError:
        raise _Fallback from None  # e.g. 2026-02-30: well-formed but not a date
    phases["validate_sql"] = time.perf_counter() - tick
    rows = sum(group[1] for group in groups)
    if rows == 0 or any(group[4] for group in groups):
        raise _Fallback
    result.rows = rows
    months = sorted({(group[0].year, group[0].month) for group in groups})
    record.first_call = min(group[2] for group in groups)
    record.last_call = max(group[3] for group in groups)

    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    existing = partitions_existing()
    new = [m for m in months if partition_name(*m) not in existing]
    old = [m for m in months if partition_name(*m) in existing]
    select_cols = (
        "t.line_id, t.started_at, t.other_number, t.call_type, t.duration_s, t.cost_rial, %s"
    )
    target_cols = "line_id, started_at, other_number, call_type, duration_s, cost_rial, batch_id"

    created = 0
    if old:
        tick = time.perf_counter()
        in_old = " OR ".join(["(t.started_at >= %s AND t.started_at < %s)"] * len(old))
        bounds = [b for m in old for b in _bounds(*m)]
        # A stored call (same line, start and other number) with different values: error.
        cursor.execute(
            f"""
            SELECT t.n FROM ({typed}) t JOIN {TABLE} c
              ON c.line_id = t.line_id AND c.started_at = t.started_at
             AND c.other_number = t.other_number
            WHERE ({in_old})
              AND (c.call_type, c.duration_s, c.cost_rial)
                  IS DISTINCT FROM (t.call_type, t.duration_s, t.cost_rial::bigint)
            ORDER BY t.n
            """,  # noqa: S608
            [*params, *bounds],
        )
        conflicts = [n for (n,) in cursor.fetchall()]
        if conflicts:
            raise _StoredConflicts(conflicts[:MAX_REPORTED_ERRORS], len(conflicts))
        cursor.execute(
            f"""
            INSERT INTO {TABLE} ({target_cols})
            SELECT {select_cols} FROM ({typed}) t
            WHERE ({in_old}) AND NOT EXISTS (
                SELECT 1 FROM {TABLE} c WHERE c.line_id = t.line_id
                  AND c.started_at = t.started_at AND c.other_number = t.other_number)
            """,  # noqa: S608
            [record.pk, *params, *bounds],
        )
        created += cursor.rowcount
        phases["insert_existing_months"] = time.perf_counter() - tick
    if new:
        created += _load_new_months(cursor, typed, params, new, record, select_cols,
                                    target_cols, result)  # fmt: skip
    result.created = created
    result.already_stored = rows - created
    cursor.execute(f"DROP TABLE {stage}")


def _bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=dt.UTC)
    return start, end


def _load_new_months(cursor, typed, params, months, record, select_cols, target_cols, result):
    """Load months without a partition into new tables, index them, attach them."""
    phases = result.phases
    tick = time.perf_counter()
    scratch = f"cdr_load_{uuid.uuid4().hex[:12]}"
    cursor.execute(
        f"CREATE TABLE {scratch} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY RANGE (started_at)"
    )
    for year, month in months:
        low, high = _bounds(year, month)
        cursor.execute(
            f'CREATE TABLE "{partition_name(year, month)}" PARTITION OF {scratch} '
            "FOR VALUES FROM (%s) TO (%s)",
            [low, high],
        )
    in_new = " OR ".join(["(t.started_at >= %s AND t.started_at < %s)"] * len(months))
    bounds = [b for m in months for b in _bounds(*m)]
    cursor.execute(
        f"INSERT INTO {scratch} ({target_cols}) "  # noqa: S608
        f"SELECT {select_cols} FROM ({typed}) t WHERE {in_new}",
        [record.pk, *params, *bounds],
    )
    inserted = cursor.rowcount
    phases["insert_new_months"] = time.perf_counter() - tick
    tick = time.perf_counter()
    for year, month in months:
        name = partition_name(year, month)
        low, high = _bounds(year, month)
        cursor.execute(f'ALTER TABLE {scratch} DETACH PARTITION "{name}"')
        # The names PostgreSQL gives a partition's copies of the parent's indexes.
        cursor.execute(
            f'CREATE INDEX "{name}_line_id_started_at_id_idx" ON "{name}" (line_id, started_at, id)'
        )
        cursor.execute(f'CREATE INDEX "{name}_started_at_idx" ON "{name}" USING brin (started_at)')
        cursor.execute(
            f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_bounds" '
            "CHECK (started_at IS NOT NULL AND started_at >= %s AND started_at < %s)",
            [low, high],
        )
        cursor.execute(
            f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            [low, high],
        )
        cursor.execute(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_bounds"')
        result.partitions_created.append(name)
    cursor.execute(f"DROP TABLE {scratch}")
    phases["index_attach"] = time.perf_counter() - tick
    return inserted


__all__ = ["COLUMNS", "COLUMN_LABELS", "CdrImportResult", "cdr_import"]
