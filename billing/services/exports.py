"""Exports of an organisation's aggregated bills: CSV (UTF-8 with BOM, so Excel reads the
Persian text) and XLSX (openpyxl, right-to-left sheet, numbers as numbers).

Amounts are integers in rials and dates are Jalali ``1403/05/12`` with ASCII digits, so a
spreadsheet can sum and sort them. The payment ID is filled only for the bill that may be
paid (the subscription's latest issued bill while unpaid; seed 000). Text cells that a
spreadsheet would run as a formula are neutralised (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font

from billing.models import Bill
from portal.jalali import jalali_iso

HEADERS = [
    "نوع خدمت",
    "شرکت",
    "شماره اشتراک",
    "شناسه قبض",
    "شهر",
    "نشانی",
    "دوره",
    "از تاریخ",
    "تا تاریخ",
    "مصرف",
    "واحد",
    "مبلغ صورتحساب (ریال)",
    "پرداخت‌شده (ریال)",
    "مانده (ریال)",
    "مهلت پرداخت",
    "وضعیت",
    "شناسه پرداخت",
]

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_payable(bill: Bill) -> bool:
    """The bill is its subscription's latest issued bill (``latest_pk`` annotation of
    ``organisation_bills``) and is not fully paid."""
    return bill.pk == getattr(bill, "latest_pk", bill.pk) and not bill.is_paid


def _text(value: object) -> str:
    text = str(value or "")
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _row(bill: Bill) -> list:
    sub = bill.subscription
    return [
        _text(sub.company.get_kind_display()),
        _text(sub.company.name),
        _text(sub.subscription_number),
        _text(sub.bill_id),
        _text(sub.city.name),
        _text(sub.address),
        f"{bill.year}/{bill.period:02d}",
        jalali_iso(bill.period_start),
        jalali_iso(bill.period_end),
        bill.consumption,
        bill.unit,
        bill.amount,
        bill.paid_amount,
        bill.balance,
        jalali_iso(bill.due_date),
        "پرداخت شده" if bill.is_paid else "پرداخت نشده",
        bill.payment_id if is_payable(bill) else "",
    ]


def organisation_bills_csv(*, bills: Iterable[Bill]) -> bytes:
    """The rows as CSV, UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for bill in bills:
        writer.writerow(_row(bill))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def organisation_bills_xlsx(*, bills: Iterable[Bill], title: str = "صورتحساب‌ها") -> bytes:
    """The rows as an XLSX workbook with one right-to-left sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.sheet_view.rightToLeft = True
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for bill in bills:
        sheet.append(_row(bill))
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLMNOPQ", [10, 24, 14, 15, 12, 40], strict=False):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
