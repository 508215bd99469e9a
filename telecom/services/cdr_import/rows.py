"""The exact rules: every row of a call-record file parsed and checked in Python, errors named
by line and column. SQLite imports through here (``bulk_create``); on PostgreSQL it decides
every file the fast paths refuse, and rewrites a valid one in canonical form for them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from dataclasses import dataclass
from typing import Any

import jdatetime
from django.db import transaction
from django.utils import timezone

from portal.digits import normalize_digits, to_persian_digits
from telecom.models import CallRecord, CallType, PhoneLine
from telecom.selectors.lines import normalize_number
from telecom.services.cdr_import.common import (
    BULK_BATCH,
    EARLIEST_CALL,
    LOOKUP_BATCH,
    MAX_COST_DIGITS,
    MAX_DURATION_S,
    TEHRAN,
    CdrImportResult,
    _finish,
    _Issues,
    _register,
    _Source,
    _unknown_line_message,
)

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
