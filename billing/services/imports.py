"""Imports from the company's billing system: bill files and payment files (CSV).

Both imports are all-or-nothing per file and idempotent. The file's SHA-256 is registered in
``BillImport``: the same bytes a second time change nothing and say so. Inside a file every row
is validated without per-row queries; every problem is reported with its line number (header =
line 1) and column, and if there is any, the transaction is rolled back and nothing is saved.

Bills are keyed by (subscription, Jalali year, period, kind). A row equal to the issued bill of
its key is ``unchanged``; a row that differs is a correction: the issued bill becomes
``superseded`` with ``superseded_by`` pointing at the new row (version + 1), so history keeps
both. Payments already made stay on the version they paid; the billing system carries them
into a corrected bill through its ``debt``/``adjustment`` items.

On PostgreSQL a bill file is COPY'd into temporary tables and checked and merged with set-based
statements (match, supersede, insert; ``billing.services.bill_staging``), which is what makes a
million-row file feasible; every row those checks refuse goes through the row parser below, so
its errors read the same on every path. Elsewhere (SQLite in local test runs) a plain ORM path
gives the same results.

Meter readings: ``consumption`` must equal ``current_reading - previous_reading``. A current
reading below the previous one is accepted only as a register rollover: the register has as
many digits as the previous reading, so consumption must be ``10**digits - previous +
current``. Anything else (a meter change, a multiplier) comes from the billing system as a
separate settlement bill, not as an inconsistent periodic one.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import logging
import operator
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.models import Bill, BillImport, BillPayment
from notifications.services import enqueue_task_on_commit
from portal.digits import normalize_digits, to_persian_digits
from portal.identifiers import (
    InvalidIdentifier,
    clean_bill_id,
    clean_payment_id,
    parse_payment_id,
    payment_id_matches,
)
from portal.jalali import parse_jalali_date
from subscribers.models import Subscription, User
from subscribers.permissions import sees_all_offices
from subscribers.services.audit import audit_record
from subscribers.services.csv_import import (
    CHANGED_MEANWHILE,
    ImportIssue,
    ImportResult,
    errors_summary,
    seen_before_summary,
)

logger = logging.getLogger(__name__)

ImportFile = str | os.PathLike | bytes | bytearray | BinaryIO | TextIO

BILL_COLUMNS = (
    "bill_id",
    "payment_id",
    "period",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "consumption",
    "amount",
    "due_date",
)
BILL_OPTIONAL_COLUMNS = (
    "energy",
    "tax",
    "duties",
    "subscription_fee",
    "debt",
    "adjustment",
    "kind",
)
PAYMENT_COLUMNS = ("bill_id", "payment_id", "amount", "paid_at", "channel", "reference")
COLUMN_LABELS = {
    "bill_id": "شناسه قبض",
    "payment_id": "شناسه پرداخت",
    "period": "دوره",
    "period_start": "از تاریخ",
    "period_end": "تا تاریخ",
    "previous_reading": "شمارنده قبلی",
    "current_reading": "شمارنده فعلی",
    "consumption": "مصرف",
    "amount": "مبلغ",
    "due_date": "مهلت پرداخت",
    "energy": "بهای مصرف",
    "tax": "مالیات بر ارزش افزوده",
    "duties": "عوارض",
    "subscription_fee": "آبونمان",
    "debt": "بدهی قبلی",
    "adjustment": "کسر و اضافه",
    "kind": "نوع صورتحساب",
    "paid_at": "زمان پرداخت",
    "channel": "مجرای پرداخت",
    "reference": "شماره پیگیری",
}
# Errors listed in a result; the rest are only counted (a broken export can fail every row).
MAX_REPORTED_ERRORS = 100
# Rows validated, resolved against subscriptions and staged per round trip.
CHUNK_ROWS = 20_000
LOOKUP_BATCH = 5_000
BULK_BATCH = 2_000
# Line items and readings fit a bigint with room; larger values are typos, not bills.
MAX_NUMBER = 10**15
YEAR_RANGE = (1300, 1499)
REFERENCE_MAX = 64
PAYMENT_ID_MAX = Bill._meta.get_field("payment_id").max_length

_NUMBER_RE = re.compile(r"-?[0-9]+")
_PERIOD_RE = re.compile(r"([0-9]{4})\s*[-/]\s*([0-9]{1,2})")
_DATETIME_RE = re.compile(
    r"([0-9]{4}[/\-.][0-9]{1,2}[/\-.][0-9]{1,2})"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
# Persian/Arabic thousands separators, commas and spaces inside numbers are dropped.
_NUMBER_NOISE = str.maketrans("", "", ",٬_ \u00a0\u200c")
_LABEL_NOISE = str.maketrans("", "", " \u200c\u200f\u200e-_")


def _label_key(text: str) -> str:
    return normalize_digits(text).strip().lower().translate(_LABEL_NOISE)


def _choices_map(choices, extra: dict[str, str]) -> dict[str, str]:
    """Accept the stored value, the Persian label and a few common short forms."""
    mapping = {}
    for value, label in choices:
        mapping[_label_key(value)] = value
        mapping[_label_key(str(label))] = value
    mapping.update({_label_key(k): v for k, v in extra.items()})
    return mapping


_KINDS = _choices_map(
    Bill.Kind.choices,
    {"علی‌الحساب": Bill.Kind.PROVISIONAL, "خوداظهاری": Bill.Kind.PROVISIONAL, "تسویه": "settlement"},
)
_KIND_CODES = {kind: i for i, kind in enumerate(Bill.Kind.values)}
_CHANNELS = _choices_map(
    BillPayment.Channel.choices,
    {"پیشخوان": BillPayment.Channel.KIOSK, "تلفن‌بانک": BillPayment.Channel.IVR},
)


@dataclass
class BillImportResult(ImportResult):
    """``ImportResult`` plus what a file registry needs: the row count, the ``BillImport``
    row written, whether the file had been imported before, and how many errors there were
    in all (only the first ``MAX_REPORTED_ERRORS`` are listed)."""

    rows: int = 0
    error_count: int = 0
    already_imported: bool = False
    bill_import: BillImport | None = None
    # How the bills were staged: "copy" or "text" (PostgreSQL), "orm" (elsewhere).
    path: str = ""

    def summary(self) -> str:
        if self.already_imported:
            imported_at = self.bill_import.created_at if self.bill_import is not None else None
            return seen_before_summary(first_imported_at=imported_at, outcome="هیچ تغییری داده نشد")
        return super().summary()

    def error_summary(self) -> str:
        """One line for after the listed errors: how many there were and that nothing was saved."""
        return errors_summary(error_count=self.error_count, listed=len(self.errors))


class _Clock:
    """Seconds spent in each phase of one import: logged when it ends (the benchmark in
    ``bench/billing_imports.py`` reports them)."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.last
        self.last = now


class _CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        self.column = column
        self.message = message


class _Issues:
    """Collects problems: every one is counted, the first ``MAX_REPORTED_ERRORS`` are kept."""

    def __init__(self, result: BillImportResult) -> None:
        self.result = result

    def add(self, line: int, column: str, message: str) -> None:
        self.result.error_count += 1
        prefix = f"{COLUMN_LABELS[column]} ({column}): " if column else ""
        errors = self.result.errors
        errors.append(ImportIssue(line, prefix + message, column))
        if len(errors) >= 4 * MAX_REPORTED_ERRORS:
            self.finish()

    def finish(self) -> None:
        """Keep the first ``MAX_REPORTED_ERRORS`` by line (a line's errors in column order):
        problems may be found out of line order (the PostgreSQL path checks in two passes)."""
        self.result.errors.sort(key=lambda issue: issue.line)
        del self.result.errors[MAX_REPORTED_ERRORS:]

    def __bool__(self) -> bool:
        return self.result.error_count > 0


# --------------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------------


def _read_bytes(file: ImportFile) -> bytes:
    """A path, bytes, or a binary/text file object (Django's ``UploadedFile`` included)."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file)
    if isinstance(file, (str, os.PathLike)):
        return Path(file).read_bytes()
    if hasattr(file, "seek"):
        with contextlib.suppress(OSError, ValueError):
            file.seek(0)
    data = file.read()
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _decode(data: bytes, result: BillImportResult) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        _Issues(result).add(line, "", "پرونده باید با کدگذاری UTF-8 ذخیره شده باشد.")
        return None


def _open_csv(
    text: str, required: tuple[str, ...], optional: tuple[str, ...], result: BillImportResult
) -> tuple[Any, dict[str, int]] | None:
    """The reader positioned after the header and each known column's index, or ``None`` with
    one error naming every missing required column."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    issues = _Issues(result)
    if not header or not any(cell.strip() for cell in header):
        issues.add(1, "", "پرونده خالی است یا سطر عنوان ندارد.")
        return None
    names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    index = {}
    for position, name in enumerate(names):
        if name in COLUMN_LABELS and name not in index:
            index[name] = position
    missing = [c for c in required if c not in index]
    if missing:
        listed = "، ".join(f"{c} ({COLUMN_LABELS[c]})" for c in missing)
        issues.add(1, "", f"ستون‌های لازم در سطر عنوان نیستند: {listed}")
        return None
    return reader, {c: index[c] for c in (*required, *optional) if c in index}


def _rows(reader, width: int) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with their line numbers, padded to ``width`` cells."""
    for row in reader:
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            row += [""] * (width - len(row))
        yield reader.line_num, row


# --------------------------------------------------------------------------------------------
# Cell parsers (raise _CellError with the column's name)
# --------------------------------------------------------------------------------------------


def _number(text: str, column: str, *, signed: bool = False, required: bool = True) -> int:
    if text.isascii() and text.isdigit() and len(text) < 16:
        return int(text)  # the common case, without the normalisation below
    value = normalize_digits(text).translate(_NUMBER_NOISE)
    if not value:
        if required:
            raise _CellError(column, "خالی است.")
        return 0
    if not _NUMBER_RE.fullmatch(value):
        raise _CellError(column, "باید عدد صحیح باشد.")
    number = int(value)
    if number < 0 and not signed:
        raise _CellError(column, "نمی‌تواند منفی باشد.")
    if abs(number) >= MAX_NUMBER:
        raise _CellError(column, "بیش از حد بزرگ است.")
    return number


class _Dates:
    """Jalali (``1403/05/12``) or ISO dates; a file repeats the same few dates, so each
    distinct text is parsed once."""

    def __init__(self) -> None:
        self.cache: dict[str, dt.date | None] = {}

    def __call__(self, text: str, column: str) -> dt.date:
        try:
            value = self.cache[text]
        except KeyError:
            try:
                value = parse_jalali_date(text.strip())
            except (ValueError, TypeError, OverflowError):
                value = None
            self.cache[text] = value
        if value is None:
            if not text.strip():
                raise _CellError(column, "خالی است.")
            raise _CellError(column, "تاریخ معتبر نیست (نمونه: ۱۴۰۳/۰۵/۱۲ یا 2024-08-02).")
        return value


def _period(text: str) -> tuple[int, int]:
    match = _PERIOD_RE.fullmatch(normalize_digits(text).strip())
    if not match:
        if not text.strip():
            raise _CellError("period", "خالی است.")
        raise _CellError("period", "باید به شکل سال-دوره باشد (نمونه: ۱۴۰۳-۰۵).")
    year, period = int(match.group(1)), int(match.group(2))
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise _CellError("period", "سال باید سال شمسی چهاررقمی باشد.")
    if not 1 <= period <= 99:
        raise _CellError("period", "شماره دوره باید بین ۱ تا ۹۹ باشد.")
    return year, period


def _choice(text: str, column: str, mapping: dict[str, str], default: str | None) -> str:
    key = _label_key(text)
    if not key:
        if default is None:
            raise _CellError(column, "خالی است.")
        return default
    try:
        return mapping[key]
    except KeyError:
        allowed = "، ".join(sorted(set(mapping.values())))
        raise _CellError(column, f"مقدار «{text.strip()}» مجاز نیست (مجاز: {allowed}).") from None


class _BillIds:
    """Check digits of each distinct bill ID, computed once per file."""

    def __init__(self) -> None:
        self.cache: dict[str, str | InvalidIdentifier] = {}

    def __call__(self, text: str) -> str:
        try:
            value = self.cache[text]
        except KeyError:
            try:
                value = clean_bill_id(text)
            except InvalidIdentifier as exc:
                value = exc
            self.cache[text] = value
        if isinstance(value, InvalidIdentifier):
            raise _CellError("bill_id", value.message)
        return value


def _expected_payment_id(bill_id: str, amount: int, year: int, period: int) -> str:
    """The payment ID ``generate_payment_id`` gives, from already-clean parts.

    The import checks a payment ID on every one of up to millions of rows; this skips the
    input normalisation ``generate_payment_id`` repeats on each call (it made the check the
    slowest step of a large import). It only ever accepts: a mismatch is re-checked with
    ``payment_id_matches``, so ``portal.identifiers`` still decides every row.
    """
    body = f"{amount // 1000}{year % 10}{period:02d}"
    check1 = str(_mod11(body))
    return body + check1 + str(_mod11(bill_id + body + check1))


_WEIGHTS = (2, 3, 4, 5, 6, 7) * 5


def _mod11(digits: str) -> int:
    """``bank_mod11_check_digit`` for a string known to be ASCII digits (no normalisation)."""
    remainder = sum(map(operator.mul, map(int, reversed(digits)), _WEIGHTS)) % 11
    return 0 if remainder < 2 else 11 - remainder


def _payment_id_problem(bill_id: str, payment_id: str, amount: int, year: int, period: int) -> str:
    """Why ``payment_id`` is not the one this bill, amount, year and period produce."""
    try:
        clean_payment_id(payment_id, bill_id=bill_id)
        parts = parse_payment_id(payment_id)
    except InvalidIdentifier as exc:
        return exc.message
    if parts.amount_rial != amount:
        return (
            f"مبلغ درج‌شده در شناسه پرداخت ({to_persian_digits(parts.amount_rial)} ریال) "
            f"با مبلغ قبض ({to_persian_digits(amount)} ریال) برابر نیست."
        )
    if parts.year_digit != year % 10:
        return "رقم سال در شناسه پرداخت با سال دوره هم‌خوانی ندارد."
    if parts.period != period:
        return "دوره درج‌شده در شناسه پرداخت با دوره قبض هم‌خوانی ندارد."
    return "شناسه پرداخت با این قبض هم‌خوانی ندارد."


# --------------------------------------------------------------------------------------------
# Subscriptions of a chunk
# --------------------------------------------------------------------------------------------


class _Subscriptions:
    """bill ID → subscription id for the bill IDs of a file, loaded in bulk as chunks arrive.
    Staff scoped to one office see only that office's subscriptions."""

    def __init__(self, actor: User | None) -> None:
        self.known: dict[str, int | None] = {}
        self.office_id: int | None = None
        if actor is not None and not sees_all_offices(actor):
            self.office_id = actor.office_id or -1

    def load(self, bill_ids: Iterable[str]) -> None:
        wanted = [b for b in set(bill_ids) if b not in self.known]
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            rows = Subscription.objects.filter(bill_id__in=batch)
            if self.office_id is not None:
                rows = rows.filter(office_id=self.office_id)
            found = dict(rows.values_list("bill_id", "id"))
            for bill_id in batch:
                self.known[bill_id] = found.get(bill_id)

    def get(self, bill_id: str) -> int | None:
        return self.known.get(bill_id)

    def unknown_message(self) -> str:
        if self.office_id is not None:
            return "اشتراکی با این شناسه قبض در امور شما ثبت نشده است."
        return "اشتراکی با این شناسه قبض ثبت نشده است."


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


def _already_imported(kind: str, sha256: str) -> BillImportResult | None:
    """The result of a file imported before: every row unchanged, nothing written."""
    previous = BillImport.objects.filter(kind=kind, sha256=sha256).first()
    if previous is None:
        return None
    return BillImportResult(
        rows=previous.rows, unchanged=previous.rows, already_imported=True, bill_import=previous
    )


def _register(kind: str, sha256: str, file_name: str, actor: User | None) -> BillImport | None:
    """Insert the registry row first: a second import of the same file running at the same
    time waits on the unique (kind, sha256) index and then finds it taken."""
    try:
        with transaction.atomic():
            return BillImport.objects.create(
                kind=kind, sha256=sha256, file_name=file_name[:255], imported_by=actor
            )
    except IntegrityError:
        return None


def _finish(
    record: BillImport, result: BillImportResult, *, actor: User | None, action: str
) -> None:
    record.rows = result.rows
    record.created = result.created
    record.updated = result.updated
    record.unchanged = result.unchanged
    record.save(update_fields=["rows", "created", "updated", "unchanged"])
    result.bill_import = record
    audit_record(
        actor=actor,
        action=action,
        obj=record,
        office=actor.office if actor is not None and actor.office_id else None,
        details={
            "file_name": record.file_name,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )


# --------------------------------------------------------------------------------------------
# Bills
# --------------------------------------------------------------------------------------------

# Order of a staged bill: the staging table's columns and the ORM path's tuple.
_STAGE_COLUMNS = (
    "line",
    "subscription_id",
    "year",
    "period",
    "kind",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "consumption",
    "energy",
    "subscription_fee",
    "tax",
    "duties",
    "debt",
    "adjustment",
    "amount",
    "due_date",
    "payment_id",
)
# The columns whose values decide "unchanged" versus "corrected".
_DATA_COLUMNS = _STAGE_COLUMNS[5:]
_AMOUNT_COLUMNS = ("energy", "tax", "duties", "subscription_fee")
_SIGNED_COLUMNS = ("debt", "adjustment")


def _bill_parser(index: dict[str, int]) -> Callable[[list[str], list[_CellError]], tuple | None]:
    """Build the per-row parser for this header: one function call per row, no queries.
    Returns (bill_id, year, period, kind, period_start, …, payment_id) or ``None``."""
    dates = _Dates()
    bill_ids = _BillIds()
    i_bill, i_payment, i_period = index["bill_id"], index["payment_id"], index["period"]
    i_start, i_end, i_due = index["period_start"], index["period_end"], index["due_date"]
    i_prev, i_cur = index["previous_reading"], index["current_reading"]
    i_cons, i_amount = index["consumption"], index["amount"]
    optional = [
        (c, index.get(c), c in _SIGNED_COLUMNS)
        for c in ("energy", "subscription_fee", "tax", "duties", "debt", "adjustment")
    ]
    i_kind = index.get("kind")

    def parse(row: list[str], errors: list[_CellError]) -> tuple | None:
        def cell(func, *args, **kwargs):
            try:
                return func(*args, **kwargs)
            except _CellError as exc:
                errors.append(exc)
                return None

        bill_id = cell(bill_ids, row[i_bill])
        year_period = cell(_period, row[i_period])
        kind = (
            Bill.Kind.PERIODIC.value
            if i_kind is None
            else cell(_choice, row[i_kind], "kind", _KINDS, Bill.Kind.PERIODIC)
        )
        start = cell(dates, row[i_start], "period_start")
        end = cell(dates, row[i_end], "period_end")
        due = cell(dates, row[i_due], "due_date")
        previous = cell(_number, row[i_prev], "previous_reading")
        current = cell(_number, row[i_cur], "current_reading")
        consumption = cell(_number, row[i_cons], "consumption")
        amount = cell(_number, row[i_amount], "amount")
        items = [
            0 if i is None else cell(_number, row[i], column, signed=signed, required=False)
            for column, i, signed in optional
        ]
        if start is not None and end is not None and end < start:
            errors.append(_CellError("period_end", "نباید پیش از «از تاریخ» باشد."))
        if end is not None and due is not None and due < end:
            errors.append(_CellError("due_date", "نباید پیش از «تا تاریخ» دوره باشد."))
        if None not in (previous, current, consumption):
            if current >= previous:
                expected = current - previous
            else:
                # Register rollover: the meter has as many digits as the previous reading.
                expected = 10 ** len(str(previous)) - previous + current
            if consumption != expected:
                errors.append(
                    _CellError(
                        "consumption",
                        f"با شمارنده‌ها هم‌خوانی ندارد (باید {to_persian_digits(expected)} باشد).",
                    )
                )
        payment_id = normalize_digits(row[i_payment]).strip().lstrip("0")
        if amount is not None:
            if amount == 0:
                if payment_id:
                    errors.append(
                        _CellError(
                            "payment_id", "قبض با مبلغ صفر شناسه پرداخت ندارد؛ خالی بگذارید."
                        )
                    )
            elif amount % 1000:
                errors.append(_CellError("amount", "مبلغ قابل پرداخت باید مضرب ۱۰۰۰ ریال باشد."))
            elif not payment_id:
                errors.append(_CellError("payment_id", "خالی است."))
            elif bill_id is not None and year_period is not None:
                year, period = year_period
                expected = _expected_payment_id(bill_id, amount, year, period)
                if payment_id != expected or len(expected) > PAYMENT_ID_MAX:
                    raw = row[i_payment]
                    if not payment_id_matches(
                        bill_id, raw, amount_rial=amount, jalali_year=year, period=period
                    ):
                        errors.append(
                            _CellError(
                                "payment_id",
                                _payment_id_problem(bill_id, raw, amount, year, period),
                            )
                        )
        if errors:
            return None
        return (
            bill_id, *year_period, kind, start, end, previous, current, consumption, *items,
            amount, due, payment_id,
        )  # fmt: skip

    return parse


class _PgBillSink:
    """The PostgreSQL merge of the typed rows a stager left in ``_bill_stage`` (a table on the
    copy path, a view over the staged text on the text path)."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def merge(
        self, record: BillImport, result: BillImportResult, *, last_line: int, clock: _Clock
    ) -> None:
        """Match staged rows with issued bills, supersede the changed ones, insert the rest.
        ``last_line`` bounds the staged line numbers.

        Raises ``IntegrityError`` when two staged rows share a key: two rows matching one
        issued bill here, two new rows through the unique indexes (the caller finds the lines).
        """
        cur = self.cursor
        data = ", ".join(_DATA_COLUMNS)
        staged = ", ".join(f"st.{c}" for c in _DATA_COLUMNS)
        current = ", ".join(f"b.{c}" for c in _DATA_COLUMNS)
        # Resolved once: pg_get_serial_sequence() per row costs catalog lookups on every row.
        cur.execute("SELECT pg_get_serial_sequence('billing_bill', 'id')::regclass::oid")
        (sequence,) = cur.fetchone()
        # Issued bills of the staged keys; the partial unique index of issued bills serves it.
        cur.execute(
            f"""
            CREATE TEMP TABLE _bill_match ON COMMIT DROP AS
            SELECT st.line, b.id AS old_id,
                   ROW({current}) IS NOT DISTINCT FROM ROW({staged}) AS same
            FROM _bill_stage st
            JOIN billing_bill b
              ON b.subscription_id = st.subscription_id AND b.year = st.year
             AND b.period = st.period AND b.kind = st.kind AND b.status = 'issued'
            """  # noqa: S608 - the interpolated names are this module's constants
        )
        matched = cur.rowcount
        if matched:
            cur.execute(
                "SELECT count(*) FILTER (WHERE same), count(*) - count(DISTINCT old_id) "
                "FROM _bill_match"
            )
            result.unchanged, repeated = cur.fetchone()
            if repeated:
                raise IntegrityError("the file repeats the key of an issued bill")
        # Corrections get their ids first, so the old rows can point at them before the
        # new rows exist (the foreign key is checked at commit) and the partial unique index
        # never sees two issued bills of one period.
        cur.execute(
            """
            CREATE TEMP TABLE _bill_successor ON COMMIT DROP AS
            SELECT m.line, m.old_id,
                   nextval(%s::oid::regclass) AS new_id,
                   (SELECT max(v.version) FROM billing_bill v
                     WHERE v.subscription_id = st.subscription_id AND v.year = st.year
                       AND v.period = st.period AND v.kind = st.kind) + 1 AS version
            FROM _bill_match m JOIN _bill_stage st ON st.line = m.line
            WHERE NOT m.same
            """,
            [sequence],
        )
        result.updated = cur.rowcount
        if result.updated:
            cur.execute(
                """
                UPDATE billing_bill b SET status = 'superseded', superseded_by_id = s.new_id
                FROM _bill_successor s WHERE b.id = s.old_id
                """
            )
        clock.lap("match")
        # uid: a UUIDv7 layout (RFC 9562 §6.2 method 1) — the import's millisecond, then the
        # row id as a counter (version and variant bits between), then 40 random bits. Still
        # not enumerable, but each import's uids arrive in index order: random v4 uids cost a
        # random B-tree page per row, the largest single cost of inserting a million bills.
        # The random bits are five bytes per line from ``secrets``, sent once as one value
        # (a gen_random_uuid() per row cost more than a second per million bills).
        uid = (
            "encode(int8send((%s::bigint << 16) | 28672 | ((n.id >> 22) & 4095))"
            " || substring(int4send((8388608 | (((n.id >> 20) & 3) << 20)"
            " | (n.id & 1048575))::int) from 2)"
            " || substring(%s::bytea from n.line * 5 + 1 for 5), 'hex')::uuid"
        )
        if matched:
            rows = f"""
                SELECT COALESCE(s.new_id, nextval(%s::oid::regclass)) AS id, st.line,
                       COALESCE(s.version, 1) AS version, st.subscription_id, st.year,
                       st.period, st.kind, {staged}
                FROM _bill_stage st
                LEFT JOIN _bill_successor s ON s.line = st.line
                WHERE NOT EXISTS (SELECT 1 FROM _bill_match m WHERE m.line = st.line AND m.same)
            """  # noqa: S608 - the interpolated names are this module's constants
        else:  # every row is new: no join (a whole file of new periods, the common case)
            rows = f"""
                SELECT nextval(%s::oid::regclass) AS id, st.line, 1 AS version,
                       st.subscription_id, st.year, st.period, st.kind, {staged}
                FROM _bill_stage st
            """  # noqa: S608 - the interpolated names are this module's constants
        cur.execute(
            f"""
            INSERT INTO billing_bill (
                id, uid, subscription_id, year, period, kind, {data},
                energy_tiers, status, version, superseded_by_id, paid_amount, paid_at,
                request_id, source_id, created_at
            )
            SELECT n.id, {uid}, n.subscription_id, n.year, n.period, n.kind,
                   {", ".join(f"n.{c}" for c in _DATA_COLUMNS)},
                   '[]'::jsonb, 'issued', n.version, NULL, 0, NULL, NULL, %s, now()
            FROM ({rows}) n
            """,  # noqa: S608 - the interpolated names are this module's constants
            [
                time.time_ns() // 1_000_000,
                secrets.token_bytes(5 * (last_line + 1)),
                record.pk,
                sequence,
            ],
        )
        result.created = cur.rowcount - result.updated
        cur.execute("DROP TABLE _bill_match, _bill_successor")
        clock.lap("insert")


class _OrmBillSink:
    """The plain path (SQLite): the same matching, superseding and inserting through the ORM."""

    def __init__(self) -> None:
        self.records: list[tuple] = []

    def write(self, records: list[tuple]) -> None:
        self.records.extend(records)

    def merge(self, record: BillImport, result: BillImportResult) -> None:
        rows = [dict(zip(_STAGE_COLUMNS[1:], r[1:], strict=True)) for r in self.records]
        issued: dict[tuple, Bill] = {}
        subscription_ids = sorted({r["subscription_id"] for r in rows})
        for start in range(0, len(subscription_ids), LOOKUP_BATCH):
            for bill in Bill.objects.filter(
                subscription_id__in=subscription_ids[start : start + LOOKUP_BATCH],
                status=Bill.Status.ISSUED,
            ):
                issued[(bill.subscription_id, bill.year, bill.period, bill.kind)] = bill
        new: list[Bill] = []
        corrections: list[tuple[Bill, dict]] = []
        for row in rows:
            old = issued.get((row["subscription_id"], row["year"], row["period"], row["kind"]))
            if old is None:
                new.append(Bill(**row, source=record))
            elif all(getattr(old, c) == row[c] for c in _DATA_COLUMNS):
                result.unchanged += 1
            else:
                corrections.append((old, row))
        for old, row in corrections:
            top = Bill.objects.filter(
                subscription_id=old.subscription_id, year=old.year, period=old.period, kind=old.kind
            ).order_by("-version")[0]
            # The successor does not exist yet: point the old row at itself for a moment
            # (the check constraint wants a successor once superseded).
            old.status, old.superseded_by_id = Bill.Status.SUPERSEDED, old.pk
            old.save(update_fields=["status", "superseded_by"])
            successor = Bill.objects.create(**row, source=record, version=top.version + 1)
            old.superseded_by = successor
            old.save(update_fields=["superseded_by"])
        Bill.objects.bulk_create(new, batch_size=BULK_BATCH)
        result.created, result.updated = len(new), len(corrections)

    def close(self) -> None:
        pass


def _stage_chunk(
    chunk: list[tuple[int, tuple]],
    subscriptions: _Subscriptions,
    seen: dict[int, int],
    issues: _Issues,
) -> list[tuple]:
    """Resolve a chunk's bill IDs in bulk; report unknown subscriptions and keys repeated in
    the file; return the staged tuples (line, subscription_id, year, …)."""
    subscriptions.load(values[0] for _, values in chunk)
    staged = []
    for line, values in chunk:
        bill_id, year, period, kind = values[:4]
        subscription_id = subscriptions.get(bill_id)
        if subscription_id is None:
            issues.add(line, "bill_id", subscriptions.unknown_message())
            continue
        key = ((subscription_id * 10_000 + year) * 100 + period) * 8 + _KIND_CODES[kind]
        first = seen.setdefault(key, line)
        if first != line:
            issues.add(
                line,
                "period",
                f"صورتحساب همین اشتراک، دوره و نوع در سطر {to_persian_digits(first)} هم آمده است.",
            )
            continue
        staged.append((line, subscription_id, *values[1:]))
    return staged


def bills_import(
    *, file: ImportFile, actor: User | None = None, file_name: str = ""
) -> BillImportResult:
    """Import a bills CSV from the company's billing system, all or nothing.

    ``file`` is a path, bytes, or a binary/text file object; UTF-8 (a BOM is fine) with a
    header naming ``BILL_COLUMNS`` in any order (``BILL_OPTIONAL_COLUMNS`` may be left out,
    other columns are ignored). Every row is validated (check digits; the payment ID must be
    the one the bill ID, amount, year and period produce; known subscription, within the
    actor's office for office staff; dates; readings; non-negative amounts; one row per
    subscription, period and kind); any problem → nothing saved and ``result.errors`` lists
    them by line. The same file again returns ``already_imported`` and changes nothing. A row
    different from the issued bill of its period and kind supersedes it (version + 1).

    Side effects: a ``BillImport`` row (the bills' ``source``), an audit row
    ``billing.import.bills``, and — when periodic bills were created — the bill SMS notices
    task queued after commit.
    """
    data = _read_bytes(file)
    if not file_name and isinstance(file, (str, os.PathLike)):
        file_name = Path(file).name
    file_name = file_name or str(getattr(file, "name", "") or "")
    sha256 = hashlib.sha256(data).hexdigest()
    result = BillImportResult()
    text = _decode(data, result)
    if text is None:
        return result
    opened = _open_csv(text, BILL_COLUMNS, BILL_OPTIONAL_COLUMNS, result)
    if opened is None:
        return result
    reader, index = opened
    width = max(index.values()) + 1
    previous = _already_imported(BillImport.Kind.BILLS, sha256)
    if previous is not None:
        return previous

    issues = _Issues(result)
    parse = _bill_parser(index)
    subscriptions = _Subscriptions(actor)
    seen: dict[int, int] = {}
    try:
        return _bills_write(
            data=data,
            text_rows=(reader, width, index, text),
            parse=parse,
            subscriptions=subscriptions,
            seen=seen,
            issues=issues,
            result=result,
            sha256=sha256,
            file_name=file_name,
            actor=actor,
        )
    except IntegrityError:
        # Another import or a self reading wrote a bill of one of these periods meanwhile.
        return BillImportResult(
            rows=result.rows,
            error_count=1,
            errors=[ImportIssue(1, CHANGED_MEANWHILE)],
        )


def _bills_write(
    *, data, text_rows, parse, subscriptions, seen, issues, result, sha256, file_name, actor
) -> BillImportResult:
    reader, width, index, text = text_rows
    clock = _Clock()
    with transaction.atomic():
        record = _register(BillImport.Kind.BILLS, sha256, file_name, actor)
        if record is None:
            return _already_imported(BillImport.Kind.BILLS, sha256) or result
        if connection.vendor == "postgresql":
            written = _bills_write_pg(
                data, reader, width, index, text, parse, subscriptions, issues, result, record,
                clock,
            )  # fmt: skip
        else:
            result.path = "orm"
            written = _bills_write_orm(reader, width, parse, subscriptions, seen, issues, result)
            if written is not None:
                written.merge(record, result)
        if written is None:
            transaction.set_rollback(True)
            issues.finish()
            return result
        _finish(record, result, actor=actor, action="billing.import.bills")
        if Bill.objects.filter(source=record, kind=Bill.Kind.PERIODIC).exists():
            enqueue_task_on_commit("billing.tasks.bill_notices_for_import", import_id=record.pk)
        clock.lap("finish")
    clock.lap("commit")
    logger.info(
        "Bill import %s: %d rows on the %s path (%d new, %d corrected, %d unchanged); %s",
        record.pk, result.rows, result.path, result.created, result.updated, result.unchanged,
        ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in clock.phases.items()),
        extra={"phases": clock.phases},
    )  # fmt: skip
    return result


def _no_rows(result: BillImportResult, issues: _Issues) -> None:
    if not result.rows:
        issues.add(1, "", "پرونده هیچ سطر داده‌ای ندارد.")


def _bills_write_orm(reader, width, parse, subscriptions, seen, issues, result):
    """Parse every row in Python; the ORM sink, or ``None`` when there were problems."""
    sink = _OrmBillSink()
    chunk: list[tuple[int, tuple]] = []
    errors: list[_CellError] = []
    for line, row in _rows(reader, width):
        result.rows += 1
        values = parse(row, errors)
        if values is None:
            for error in errors:
                issues.add(line, error.column, error.message)
            errors.clear()
            continue
        chunk.append((line, values))
        if len(chunk) >= CHUNK_ROWS:
            sink.write(_stage_chunk(chunk, subscriptions, seen, issues))
            chunk = []
    sink.write(_stage_chunk(chunk, subscriptions, seen, issues))
    _no_rows(result, issues)
    return None if issues else sink


def _bills_write_pg(
    data, reader, width, index, text, parse, subscriptions, issues, result, record, clock
) -> bool | None:
    """Stage, check and merge on PostgreSQL (``billing.services.bill_staging``): by ``COPY``
    when the file allows it, else by the text path. ``None`` when there were problems (the
    caller rolls back)."""
    from billing.services.bill_staging import CopyRefused, PgCopyStager

    if PgCopyStager.accepts(data):
        stager = PgCopyStager(
            data=data, index=index, parse=parse, subscriptions=subscriptions, issues=issues
        )
        try:
            try:
                with transaction.atomic():  # a refused COPY aborts only this savepoint
                    result.rows = stager.load()
            except CopyRefused as exc:
                logger.info("Bill import %s: the text path (%s)", record.pk, exc)
                clock.lap("copy refused")
            else:
                result.path = "copy"
                clock.lap("copy")
                return _bills_copy_path(stager, text, width, issues, result, record, clock)
        finally:
            stager.close()
    result.path = "text"
    return _bills_text_path(
        reader, width, index, text, parse, subscriptions, issues, result, record, clock
    )


def _repeated(issues: _Issues, repeated: Iterable[tuple[int, int]]) -> None:
    for line, first in repeated:
        issues.add(
            line,
            "period",
            f"صورتحساب همین اشتراک، دوره و نوع در سطر {to_persian_digits(first)} هم آمده است.",
        )


def _refused_rows(text: str, width: int, refused: list[int], result) -> dict[int, list[str]]:
    """The CSV rows of these lines, read again from the file."""
    wanted = set(refused)
    reader, _index = _open_csv(text, BILL_COLUMNS, BILL_OPTIONAL_COLUMNS, result)
    return {line: row for line, row in _rows(reader, width) if line in wanted}


def _bills_copy_path(stager, text, width, issues, result, record, clock) -> bool | None:
    """Check the COPY'd file, parse what the checks refused, merge; ``None`` on problems.
    A key repeated in the file is found by the merge (the unique indexes refuse the second
    row) and then listed by line, so the common file pays no search for repeats."""
    refused = stager.refused_lines(clock)
    if refused:
        stager.recheck(_refused_rows(text, width, refused, result), refused)
        result.rows = stager.rows
        _no_rows(result, issues)
        clock.lap("recheck")
        if issues:
            _repeated(issues, stager.duplicates())
            return None
    stager.lock_subscriptions()
    try:
        with transaction.atomic():
            _PgBillSink(stager.cursor).merge(
                record, result, last_line=stager.last_line, clock=clock
            )
    except IntegrityError:
        # A key the file repeats (the unique indexes refused the second row), else a
        # concurrent writer: the caller reports that.
        repeated = stager.duplicates()
        if not repeated:
            raise
        _repeated(issues, repeated)
        return None
    stager.drop()
    return True


def _bills_text_path(
    reader, width, index, text, parse, subscriptions, issues, result, record, clock
) -> bool | None:
    from billing.services.bill_staging import STAGE_ROWS, STAGE_VIEW_SQL, PgBillStager

    stager = PgBillStager(index=index, parse=parse, subscriptions=subscriptions, issues=issues)
    try:
        chunk: list[tuple[int, list[str]]] = []
        last_line = 1
        for line_row in _rows(reader, width):
            last_line = line_row[0]
            chunk.append(line_row)
            if len(chunk) >= STAGE_ROWS:
                result.rows += len(chunk)
                stager.stage(chunk)
                chunk = []
        result.rows += len(chunk)
        stager.stage(chunk)
        _no_rows(result, issues)
        clock.lap("stage")
        refused = stager.refused_lines()
        clock.lap("check")
        bad: set[int] = set()
        if refused:
            bad = stager.recheck(_refused_rows(text, width, refused, result))
        _repeated(issues, stager.duplicates(bad))
        clock.lap("recheck")
        if issues:
            return None
        stager.lock_subscriptions()
        stager.cursor.execute(STAGE_VIEW_SQL)
        _PgBillSink(stager.cursor).merge(record, result, last_line=last_line, clock=clock)
        stager.cursor.execute("DROP VIEW _bill_stage")
        stager.cursor.execute("DROP TABLE _bill_raw")
    finally:
        stager.close()
    return True


# --------------------------------------------------------------------------------------------
# Payments
# --------------------------------------------------------------------------------------------


def _paid_at(text: str) -> dt.datetime:
    """Jalali or ISO date with an optional time; naive values are Tehran wall-clock time."""
    value = normalize_digits(text).strip()
    if not value:
        raise _CellError("paid_at", "خالی است.")
    match = _DATETIME_RE.fullmatch(value)
    try:
        if match:
            day = parse_jalali_date(match.group(1))
            hour, minute, second = (int(g or 0) for g in match.groups()[1:])
            moment = dt.datetime.combine(day, dt.time(hour, minute, second))
        else:
            moment = dt.datetime.fromisoformat(value)
    except (ValueError, TypeError, OverflowError):
        raise _CellError(
            "paid_at", "زمان معتبر نیست (نمونه: ۱۴۰۳/۰۵/۱۲ ۱۴:۳۰ یا 2024-08-02T14:30:00+03:30)."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment > timezone.now() + dt.timedelta(days=1):
        raise _CellError("paid_at", "در آینده است.")
    return moment


def _parse_payment(
    row: list[str], index: dict[str, int], bill_ids: _BillIds, errors: list[_CellError]
) -> dict | None:
    def cell(func, *args):
        try:
            return func(*args)
        except _CellError as exc:
            errors.append(exc)
            return None

    bill_id = cell(bill_ids, row[index["bill_id"]])
    payment_id = None
    raw_payment = row[index["payment_id"]]
    if not raw_payment.strip():
        errors.append(_CellError("payment_id", "خالی است."))
    elif bill_id is not None:
        try:
            payment_id = clean_payment_id(raw_payment, bill_id=bill_id)
        except InvalidIdentifier as exc:
            errors.append(_CellError("payment_id", exc.message))
    amount = cell(_number, row[index["amount"]], "amount")
    if amount == 0:
        errors.append(_CellError("amount", "باید بیشتر از صفر باشد."))
    paid_at = cell(_paid_at, row[index["paid_at"]])
    channel = cell(_choice, row[index["channel"]], "channel", _CHANNELS, None)
    reference = normalize_digits(row[index["reference"]]).strip()
    if not reference:
        errors.append(_CellError("reference", "خالی است."))
    elif len(reference) > REFERENCE_MAX:
        errors.append(
            _CellError("reference", f"حداکثر {to_persian_digits(REFERENCE_MAX)} نویسه مجاز است.")
        )
    if errors:
        return None
    return {
        "bill_id": bill_id,
        "payment_id": payment_id,
        "amount": amount,
        "paid_at": paid_at,
        "channel": channel,
        "reference": reference,
    }


def _bills_for_payments(keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(subscription id, payment ID) → the bill it pays: any version carrying that payment ID,
    the issued one first, then the newest."""
    found: dict[tuple[int, str], tuple[bool, int, int]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        batch = ordered[start : start + LOOKUP_BATCH]
        rows = Bill.objects.filter(
            subscription_id__in={s for s, _ in batch}, payment_id__in={p for _, p in batch}
        ).values_list("subscription_id", "payment_id", "status", "version", "id")
        for subscription_id, payment_id, status, version, pk in rows:
            rank = (status == Bill.Status.ISSUED, version, pk)
            key = (subscription_id, payment_id)
            if key in keys and rank > found.get(key, (False, -1, -1)):
                found[key] = rank
    return {key: rank[2] for key, rank in found.items()}


def bills_recompute_paid(*, bill_ids: Iterable[int]) -> int:
    """Set ``paid_amount`` (the sum of the bill's payments) and ``paid_at`` (the payment at
    which that sum first covered the amount) of these bills; returns the bills changed.
    Called inside the payment import's transaction."""
    ids = sorted(set(bill_ids))
    changed = 0
    for start in range(0, len(ids), LOOKUP_BATCH):
        batch = ids[start : start + LOOKUP_BATCH]
        bills = {
            b.pk: b
            for b in Bill.objects.filter(pk__in=batch).only("amount", "paid_amount", "paid_at")
        }
        totals: dict[int, int] = dict.fromkeys(bills, 0)
        covered: dict[int, dt.datetime | None] = dict.fromkeys(bills)
        payments = (
            BillPayment.objects.filter(bill_id__in=batch)
            .order_by("bill_id", "paid_at", "pk")
            .values_list("bill_id", "amount", "paid_at")
        )
        for bill_id, amount, paid_at in payments:
            totals[bill_id] += amount
            if covered[bill_id] is None and totals[bill_id] >= bills[bill_id].amount:
                covered[bill_id] = paid_at
        dirty = []
        for pk, bill in bills.items():
            if (bill.paid_amount, bill.paid_at) != (totals[pk], covered[pk]):
                bill.paid_amount, bill.paid_at = totals[pk], covered[pk]
                dirty.append(bill)
        Bill.objects.bulk_update(dirty, ["paid_amount", "paid_at"], batch_size=BULK_BATCH)
        changed += len(dirty)
    return changed


def payments_import(
    *, file: ImportFile, actor: User | None = None, file_name: str = ""
) -> BillImportResult:
    """Import a payments CSV (bank, kiosk, app, IVR), all or nothing.

    Columns ``PAYMENT_COLUMNS`` (UTF-8, header, any order, extra columns ignored). Each row
    names its bill by bill ID + payment ID (any version of that subscription's bills with
    that payment ID, the issued one first); the amount must be positive; ``paid_at`` is a
    Jalali or ISO date-time (naive = Tehran time); ``channel`` a value or its Persian label;
    ``reference`` is unique: already stored with the same data it is ``unchanged``, with
    different data — or twice in the file — an error. Any problem → nothing saved. The same
    file again changes nothing. Then each touched bill's ``paid_amount``/``paid_at`` is
    recomputed. Writes a ``BillImport`` row (the payments' ``source``) and an audit row
    ``billing.import.payments``.
    """
    data = _read_bytes(file)
    if not file_name and isinstance(file, (str, os.PathLike)):
        file_name = Path(file).name
    file_name = file_name or str(getattr(file, "name", "") or "")
    sha256 = hashlib.sha256(data).hexdigest()
    result = BillImportResult()
    text = _decode(data, result)
    if text is None:
        return result
    opened = _open_csv(text, PAYMENT_COLUMNS, (), result)
    if opened is None:
        return result
    reader, index = opened
    previous = _already_imported(BillImport.Kind.PAYMENTS, sha256)
    if previous is not None:
        return previous

    issues = _Issues(result)
    bill_ids = _BillIds()
    parsed: list[tuple[int, dict]] = []
    references: dict[str, int] = {}
    errors: list[_CellError] = []
    for line, row in _rows(reader, max(index.values()) + 1):
        result.rows += 1
        values = _parse_payment(row, index, bill_ids, errors)
        if values is None:
            for error in errors:
                issues.add(line, error.column, error.message)
            errors.clear()
            continue
        first = references.setdefault(values["reference"], line)
        if first != line:
            issues.add(line, "reference", f"تکراری است (همان سطر {to_persian_digits(first)}).")
            continue
        parsed.append((line, values))
    if not result.rows:
        issues.add(1, "", "پرونده هیچ سطر داده‌ای ندارد.")

    subscriptions = _Subscriptions(actor)
    subscriptions.load(values["bill_id"] for _, values in parsed)
    keys = {
        (subscriptions.get(v["bill_id"]), v["payment_id"])
        for _, v in parsed
        if subscriptions.get(v["bill_id"]) is not None
    }
    bills = _bills_for_payments(keys)
    existing: dict[str, BillPayment] = {}
    refs = list(references)
    for start in range(0, len(refs), LOOKUP_BATCH):
        for payment in BillPayment.objects.filter(reference__in=refs[start : start + LOOKUP_BATCH]):
            existing[payment.reference] = payment

    new: list[BillPayment] = []
    for line, values in parsed:
        subscription_id = subscriptions.get(values["bill_id"])
        if subscription_id is None:
            issues.add(line, "bill_id", subscriptions.unknown_message())
            continue
        bill_pk = bills.get((subscription_id, values["payment_id"]))
        if bill_pk is None:
            issues.add(
                line, "payment_id", "صورتحسابی با این شناسه پرداخت برای این قبض ثبت نشده است."
            )
            continue
        stored = existing.get(values["reference"])
        if stored is not None:
            same = (
                stored.bill_id == bill_pk
                and stored.payment_id == values["payment_id"]
                and stored.amount == values["amount"]
                and stored.paid_at == values["paid_at"]
                and stored.channel == values["channel"]
            )
            if same:
                result.unchanged += 1
            else:
                issues.add(
                    line, "reference", "پیش‌تر برای پرداخت دیگری با اطلاعات متفاوت ثبت شده است."
                )
            continue
        fields = {k: v for k, v in values.items() if k != "bill_id"}
        new.append(BillPayment(bill_id=bill_pk, **fields))
    if issues:
        result.unchanged = 0
        issues.finish()
        return result

    try:
        with transaction.atomic():
            record = _register(BillImport.Kind.PAYMENTS, sha256, file_name, actor)
            if record is None:
                return _already_imported(BillImport.Kind.PAYMENTS, sha256) or result
            for payment in new:
                payment.source = record
            BillPayment.objects.bulk_create(new, batch_size=BULK_BATCH)
            result.created = len(new)
            bills_recompute_paid(bill_ids={payment.bill_id for payment in new})
            _finish(record, result, actor=actor, action="billing.import.payments")
    except IntegrityError:
        # Another import stored one of these references meanwhile.
        return BillImportResult(
            rows=result.rows,
            error_count=1,
            errors=[ImportIssue(1, CHANGED_MEANWHILE)],
        )
    return result
