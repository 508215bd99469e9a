"""Reading the companies' CSV imports: shared by the subscriptions import
(``subscribers.services.subscriptions``) and the phone-lines import (``telecom.services.lines``),
so a line's subscription is read and checked exactly like any other subscription.

- ``import_csv_open``: decode (UTF-8, BOM accepted), lower-case the header, report missing
  columns at line 1 with their Persian labels;
- ``cell_text`` / ``cell_identifier`` / ``cell_holder_id``: one cell, Persian digits
  normalised, raising ``RowError`` (column + message, without the column's label);
- ``RowError.issue``: the ``ImportIssue`` of a row error, labelled with the import's own
  column labels (each import names its columns in its own words);
- ``ReferenceLookups``: companies, offices and cities for a whole file in a fixed number of
  queries, and the actor's office scope;
- ``ImportIssue`` / ``ImportResult``: what every import reports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import PortalError
from portal.identifiers import InvalidIdentifier, clean_legal_national_id, clean_national_code
from subscribers.models import DistrictOffice, User, UtilityCompany
from subscribers.permissions import sees_all_offices

# Rows per INSERT/UPDATE statement of a bulk write.
BULK_BATCH = 500


@dataclass(frozen=True)
class ImportIssue:
    """One problem in the file; ``line`` counts the header as line 1."""

    line: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        return f"سطر {to_persian_digits(self.line)}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"جدید: {to_persian_digits(self.created)}، "
            f"به‌روزشده: {to_persian_digits(self.updated)}، "
            f"بدون تغییر: {to_persian_digits(self.unchanged)}"
        )


# An import whose final write met a unique constraint: another import or an admin edit took a
# number or ID between the checks and the write; nothing was saved.
CHANGED_MEANWHILE = "هم‌زمان داده‌ها تغییر کرد؛ پرونده را دوباره بارگذاری کنید."


def errors_summary(*, error_count: int, listed: int) -> str:
    """The line after a refused file's listed errors: how many in all, that nothing was saved,
    and how many were not listed."""
    text = f"{to_persian_digits(error_count)} خطا؛ هیچ سطری ذخیره نشد."
    hidden = error_count - listed
    if hidden > 0:
        text += f" ({to_persian_digits(hidden)} خطای دیگر فهرست نشده است.)"
    return text


def seen_before_summary(*, first_imported_at, outcome: str) -> str:
    """What a file registry says of bytes it has imported before (``outcome``: what did not
    happen, e.g. «هیچ تغییری داده نشد»)."""
    when = ""
    if first_imported_at is not None:
        from portal.jalali import jalali_display

        when = f" ({jalali_display(first_imported_at)})"
    return f"این پرونده پیش‌تر وارد شده است{when}؛ {outcome}."


class RowError(Exception):
    """A problem with one cell: the column and a message without the column's label."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(column, message)
        self.column = column
        self.message = message

    def issue(self, line: int, labels: Mapping[str, str]) -> ImportIssue:
        return ImportIssue(line, f"{labels[self.column]}: {self.message}", self.column)


def _decode(file: TextIO | bytes) -> str:
    raw = bytes(file) if isinstance(file, (bytes, bytearray)) else file.read()
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PortalError(
                "import_encoding", "پرونده باید با کدگذاری UTF-8 ذخیره شده باشد."
            ) from None
    else:
        text = raw
    return text.removeprefix("\ufeff")


def import_csv_open(
    file: TextIO | bytes,
    result: ImportResult,
    *,
    columns: Sequence[str],
    optional: Collection[str],
    labels: Mapping[str, str],
) -> csv.DictReader | None:
    """A ``DictReader`` over an import file with its header lower-cased, or None with the
    header's problem (empty file, missing columns named with their Persian labels) added to
    ``result`` at line 1. A file that is not UTF-8 raises ``PortalError``."""
    text = _decode(file)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        result.errors.append(ImportIssue(1, "پرونده خالی است یا سطر عنوان ندارد."))
        return None
    reader.fieldnames = header
    missing = [c for c in columns if c not in header and c not in optional]
    if missing:
        names = "، ".join(f"{c} ({labels[c]})" for c in missing)
        result.errors.append(ImportIssue(1, f"ستون‌های لازم در سطر عنوان نیستند: {names}"))
        return None
    return reader


def cell_text(
    row: dict[str, str], column: str, *, required: bool = True, max_length: int | None = None
) -> str:
    """The cell's text, trimmed, with Persian/Arabic digits made ASCII."""
    value = normalize_digits((row.get(column) or "").strip())
    if required and not value:
        raise RowError(column, "خالی است")
    if max_length and len(value) > max_length:
        raise RowError(column, f"حداکثر {to_persian_digits(max_length)} نویسه مجاز است")
    return value


def cell_identifier(row: dict[str, str], column: str, clean: Callable[[str], str]) -> str:
    """A required identifier cell through one of ``portal.identifiers``' ``clean_*``."""
    try:
        return clean(cell_text(row, column))
    except InvalidIdentifier as exc:
        raise RowError(column, exc.message) from None


def cell_holder_id(row: dict[str, str], column: str = "holder_id") -> str:
    """The holder's national code (8–10 digits, left-padded) or legal national ID (11
    digits), or ``""`` when the cell is empty."""
    value = cell_text(row, column, required=False)
    if not value:
        return ""
    try:
        if len(value) == 11:
            return clean_legal_national_id(value)
        if len(value) in (8, 9, 10):
            return clean_national_code(value)
    except InvalidIdentifier as exc:
        raise RowError(column, exc.message) from None
    raise RowError(column, "باید کد ملی ۱۰ رقمی یا شناسه ملی ۱۱ رقمی باشد")


class ReferenceLookups:
    """Reference data for a whole file, loaded in a fixed number of queries."""

    def __init__(self, actor: User | None) -> None:
        self.companies: dict[str, list[UtilityCompany]] = {}
        for company in UtilityCompany.objects.all():
            self.companies.setdefault(company.code, []).append(company)
        self.offices = {
            (office.company_id, office.code): office for office in DistrictOffice.objects.all()
        }
        self.cities: dict[tuple[int, str], Any] = {}
        through = UtilityCompany.cities.through.objects.select_related("city")
        for row in through:
            self.cities[(row.utilitycompany_id, row.city.name.strip())] = row.city
        # Staff scoped to one office may only import that office's rows.
        self.only_office_id: int | None = None
        if actor is not None and not sees_all_offices(actor):
            self.only_office_id = actor.office_id or -1

    def company(self, row: dict[str, str]) -> UtilityCompany:
        """The company of the row's ``company_code`` (3 digits, zero-padded)."""
        code = cell_text(row, "company_code")
        if code.isdigit():
            code = code.zfill(3)
        candidates = self.companies.get(code, [])
        if not candidates:
            raise RowError("company_code", f"شرکتی با کد {to_persian_digits(code)} ثبت نشده است")
        if len(candidates) == 1:
            return candidates[0]
        # One code can belong to, say, the electricity and the gas company; the bill ID's
        # service digit tells them apart.
        bill = normalize_digits((row.get("bill_id") or "").strip())
        for company in candidates:
            if len(bill) >= 2 and bill[-2] == str(company.service_digit):
                return company
        return candidates[0]
