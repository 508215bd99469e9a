"""Call-detail exports: CSV read back (BOM, Persian headers, Jalali date-times, totals, the cap
note), PDF text through pdftotext (numbers, totals, Persian), and the audit row."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest

from portal.digits import normalize_digits
from subscribers.models import AuditLog
from telecom.models import CallType
from telecom.selectors.lines import line_access_for
from telecom.services import call_exports
from telecom.services.call_exports import CSV_HEADER, CallViewer, calls_export
from tests.telecom.test_calls_search import AZAR, AZAR_FIRST, AZAR_LAST, at, calls, owner_line

pytestmark = pytest.mark.django_db


def _export(user, line, fmt, flt=AZAR):
    access = line_access_for(user=user, number=line.number)
    return calls_export(viewer=CallViewer(user=user), access=access, flt=flt, fmt=fmt)


def _csv_rows(export) -> list[list[str]]:
    raw = b"".join(export.content)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Persian
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_reads_back_with_every_call_and_the_totals():
    user, line = owner_line()
    calls(line, at(AZAR_FIRST, 8, 5, 9), other="09120000001", duration_s=3725, cost_rial=55_000)
    calls(
        line,
        at(AZAR_LAST, 23, 59, 59),
        call_type=CallType.INTERNATIONAL,
        other="00442071234567",
        duration_s=61,
        cost_rial=250_000,
    )
    calls(line, at(AZAR_FIRST, 9), call_type=CallType.LOCAL, other="04133330000")

    export = _export(user, line, "csv")

    rows = _csv_rows(export)
    assert rows[0] == CSV_HEADER
    assert rows[1] == [
        "1",
        "1403/09/30 23:59:59",
        "00442071234567",
        "بین‌الملل",
        "61",
        "1:01",
        "250000",
    ]
    assert rows[2] == [
        "2",
        "1403/09/01 08:05:09",
        "09120000001",
        "تلفن همراه",
        "3725",
        "1:02:05",
        "55000",
    ]
    assert rows[3] == []
    assert rows[4] == ["جمع", "2 مکالمه", "", "", "3786", "1:03:06", "305000"]
    assert len(rows) == 5  # no local call, no cap note
    assert not export.capped and export.rows == 2
    assert export.filename == f"calls-{line.number}-20241121-20241220.csv"
    audit = AuditLog.objects.get(action="telecom.calls.export")
    assert audit.details["rows"] == 2 and audit.details["total"] == 2
    assert audit.details["capped"] is False
    assert "09120000001" not in str(audit.details)


def test_csv_is_capped_and_says_so(monkeypatch):
    monkeypatch.setattr(call_exports, "CSV_MAX_ROWS", 3)
    user, line = owner_line()
    made = calls(line, *[at(AZAR_FIRST, 10, i) for i in range(5)])

    export = _export(user, line, "csv")

    rows = _csv_rows(export)
    data = [r for r in rows[1:] if r and r[0].isdigit()]
    assert [r[1] for r in data] == [
        "1403/09/01 10:04:00",
        "1403/09/01 10:03:00",
        "1403/09/01 10:02:00",
    ]
    assert rows[-2][:2] == ["جمع", "5 مکالمه"]  # the totals are of the whole search
    assert "فقط ۳ مکالمه جدیدتر از ۵ مکالمه" in rows[-1][0]
    assert export.capped and export.rows == 3
    assert AuditLog.objects.get(action="telecom.calls.export").details["capped"] is True
    assert len(made) == 5


def test_pdf_holds_the_calls_and_totals(tmp_path):
    user, line = owner_line()
    calls(line, at(AZAR_FIRST, 8, 5, 9), other="09120000001", duration_s=3725, cost_rial=55_000)
    calls(line, at(AZAR_LAST, 21), call_type=CallType.INTERCITY, other="02188887777")

    export = _export(user, line, "pdf")

    assert export.content_type == "application/pdf" and export.content.startswith(b"%PDF")
    path = tmp_path / "calls.pdf"
    path.write_bytes(export.content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    ascii_text = normalize_digits(text)
    for expected in ("09120000001", "02188887777", line.number, "56000", "1403/09/01"):
        assert expected in ascii_text.replace("٬", "").replace(",", ""), expected
    assert "ریزمکالمات" in text or "ریزمکالمات" in text.replace("\u200c", "")
    assert export.filename.endswith(".pdf")
    audit = AuditLog.objects.get(action="telecom.calls.export")
    assert audit.details["format"] == "pdf" and audit.details["rows"] == 2
