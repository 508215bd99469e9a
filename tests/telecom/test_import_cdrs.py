"""``cdr_import`` and ``manage.py import_cdrs``: formats (ISO, Jalali, Persian digits and
labels), line-numbered errors for every column, all or nothing, the SHA-256 registry (the same
file twice adds nothing, also when two imports race), repeated calls in a later file, office
scoping, and the command's exit status."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from subscribers import roles
from subscribers.models import AuditLog
from telecom.models import CallRecord, CdrImport
from telecom.services.cdr_import import COLUMNS, cdr_import
from tests.factories import StaffFactory, add_role
from tests.telecom.factories import PhoneLineFactory, TelephoneCenterFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
HEADER = ",".join(COLUMNS)


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def records_of(line) -> list[CallRecord]:
    return list(CallRecord.objects.filter(line_id=line.pk).order_by("started_at", "id"))


@pytest.fixture
def line():
    return PhoneLineFactory(number="04133334444")


def test_iso_rows_are_stored_with_tehran_time_and_batch(line):
    data = csv_bytes(
        "04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500",
        "04133334444,2025-11-03 09:00:10+00:00,+442071234567,international,60,90000",
        "04133334444,2025-11-04 08:30,02188776655,intercity,5,700",
    )
    result = cdr_import(file=data, file_name="nov.csv", actor=None)
    assert result.ok, result.errors
    assert (result.rows, result.created, result.duplicate) == (3, 3, False)
    calls = records_of(line)
    assert [c.started_at for c in calls] == [
        dt.datetime(2025, 11, 3, 9, 0, 10, tzinfo=dt.UTC),
        dt.datetime(2025, 11, 3, 14, 5, tzinfo=TEHRAN),
        dt.datetime(2025, 11, 4, 8, 30, tzinfo=TEHRAN),
    ]
    assert [c.call_type for c in calls] == ["international", "mobile", "intercity"]
    assert calls[0].other_number == "+442071234567"
    assert (calls[1].duration_s, calls[1].cost_rial) == (125, 4500)
    record = CdrImport.objects.get()
    assert {c.batch_id for c in calls} == {record.pk}
    assert record.rows == 3 and record.file_name == "nov.csv"
    assert record.first_call == calls[0].started_at and record.last_call == calls[-1].started_at
    assert AuditLog.objects.filter(action="telecom.import.cdrs", object_id=str(record.pk)).exists()
    assert "۳" in result.summary()


def test_jalali_persian_digits_labels_any_column_order_and_extra_columns(line):
    header = "cost_rial,note,call_type,duration_s,other_number,started_at,line"
    data = csv_bytes(
        "۴۵۰۰,یادداشت,تلفن همراه,۱۲۵,۰۹۱۲۱۲۳۴۵۶۷,۱۴۰۴/۰۸/۱۲ ۱۴:۰۵:۰۰,۰۴۱-۳۳۳۳۴۴۴۴",
        "700,,بین‌شهری,5,02188776655,1404-08-13 08:30,04133334444",
        "0,,Local,0,33334445,۱۴۰۴/۰۸/۱۳ ۰۹:۰۰,04133334444",
        header=header,
    )
    result = cdr_import(file=data, file_name="jalali.csv", actor=None)
    assert result.ok, result.errors
    calls = records_of(line)
    # 1404/08/12 = 2025-11-03
    assert calls[0].started_at == dt.datetime(2025, 11, 3, 14, 5, tzinfo=TEHRAN)
    assert calls[1].started_at == dt.datetime(2025, 11, 4, 8, 30, tzinfo=TEHRAN)
    assert [c.call_type for c in calls] == ["mobile", "intercity", "local"]
    assert calls[0].other_number == "09121234567" and calls[0].cost_rial == 4500


def test_same_file_twice_adds_nothing_and_says_so(line):
    data = csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500")
    first = cdr_import(file=data, file_name="a.csv", actor=None)
    second = cdr_import(file=data, file_name="a-again.csv", actor=None)
    assert first.ok and second.ok
    assert second.duplicate and second.created == 0
    assert second.record.pk == first.record.pk
    assert "پیش‌تر وارد شده" in second.summary()
    assert len(records_of(line)) == 1
    assert CdrImport.objects.count() == 1


def test_a_later_file_repeating_stored_calls_adds_only_the_new_ones(line):
    cdr_import(file=csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500"))
    grown = csv_bytes(
        "04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500",
        "04133334444,2025-11-05T10:00:00,09121234567,mobile,30,1000",
    )
    result = cdr_import(file=grown, file_name="grown.csv")
    assert result.ok, result.errors
    assert (result.created, result.already_stored) == (1, 1)
    assert len(records_of(line)) == 2


def test_a_stored_call_with_other_values_is_an_error_and_nothing_changes(line):
    cdr_import(file=csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500"))
    changed = csv_bytes(
        "04133334444,2025-11-05T10:00:00,09121234567,mobile,30,1000",
        "04133334444,2025-11-03T14:05:00,09121234567,mobile,125,9999",
    )
    result = cdr_import(file=changed, file_name="changed.csv")
    assert not result.ok
    assert [issue.line for issue in result.errors] == [3]
    assert "پیش‌تر" in result.errors[0].message
    assert [c.cost_rial for c in records_of(line)] == [4500]
    assert CdrImport.objects.count() == 1


BAD_ROWS = [
    ("line", "0413333444,2025-11-03T14:05:00,09121234567,mobile,1,1", "۱۱ رقم"),
    ("line", "04199999999,2025-11-03T14:05:00,09121234567,mobile,1,1", "ثبت نشده"),
    ("line", ",2025-11-03T14:05:00,09121234567,mobile,1,1", "خالی"),
    ("started_at", "04133334444,2025-02-30T14:05:00,09121234567,mobile,1,1", "معتبر نیست"),
    ("started_at", "04133334444,1404/12/31 10:00,09121234567,mobile,1,1", "معتبر نیست"),
    ("started_at", "04133334444,2025-11-03,09121234567,mobile,1,1", "معتبر نیست"),
    ("started_at", "04133334444,2025-11-03T24:00:00,09121234567,mobile,1,1", "معتبر نیست"),
    ("started_at", "04133334444,2099-01-01T10:00:00,09121234567,mobile,1,1", "آینده"),
    ("started_at", "04133334444,1999-01-01T10:00:00,09121234567,mobile,1,1", "۲۰۰۰"),
    ("other_number", "04133334444,2025-11-03T14:05:00,09a21,mobile,1,1", "۲ تا ۲۰ رقم"),
    ("other_number", "04133334444,2025-11-03T14:05:00,1,mobile,1,1", "۲ تا ۲۰ رقم"),
    ("call_type", "04133334444,2025-11-03T14:05:00,09121234567,satellite,1,1", "مجاز نیست"),
    ("duration_s", "04133334444,2025-11-03T14:05:00,09121234567,mobile,-5,1", "منفی"),
    ("duration_s", "04133334444,2025-11-03T14:05:00,09121234567,mobile,1.5,1", "عدد صحیح"),
    ("duration_s", "04133334444,2025-11-03T14:05:00,09121234567,mobile,90000,1", "حد مجاز"),
    ("cost_rial", "04133334444,2025-11-03T14:05:00,09121234567,mobile,1,", "خالی"),
    ("cost_rial", "04133334444,2025-11-03T14:05:00,09121234567,mobile,1,abc", "عدد صحیح"),
]


@pytest.mark.parametrize(("column", "row", "fragment"), BAD_ROWS)
def test_one_bad_cell_names_line_and_column_and_writes_nothing(line, column, row, fragment):
    data = csv_bytes(
        "04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500",
        "04133334444,2025-11-03T15:05:00,09121234567,mobile,125,4500",
        row,
    )
    result = cdr_import(file=data, file_name="bad.csv")
    assert not result.ok
    assert [(issue.line, issue.column) for issue in result.errors] == [(4, column)]
    assert fragment in result.errors[0].message
    assert not CallRecord.objects.exists()
    assert not CdrImport.objects.exists()
    assert "هیچ سطری ذخیره نشد" in result.error_summary()


def test_every_error_is_counted_the_first_hundred_listed(line):
    rows = [f"04133334444,2025-11-03T14:{i % 60:02d}:00,09121234567,bogus,1,1" for i in range(150)]
    result = cdr_import(file=csv_bytes(*rows))
    assert result.error_count == 150 and len(result.errors) == 100
    assert result.errors[0].line == 2 and result.errors[-1].line == 101
    assert "۵۰ خطای دیگر" in result.error_summary()


def test_missing_columns_are_named(line):
    result = cdr_import(file=csv_bytes("04133334444,2025", header="line,started_at"))
    assert not result.ok and result.errors[0].line == 1
    for column in ("other_number", "call_type", "duration_s", "cost_rial"):
        assert column in result.errors[0].message


def test_empty_and_non_utf8_files(line):
    assert "هیچ سطر" in cdr_import(file=csv_bytes()).errors[0].message
    assert "خالی" in cdr_import(file=b"").errors[0].message
    latin = csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,1,1") + "é\n".encode(
        "latin-1"
    )
    result = cdr_import(file=latin)
    assert not result.ok and "UTF-8" in result.errors[0].message


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(line):
    data = (
        f"{HEADER}\n04133334444,2025-11-03T14:05:00,09121234567,mobile,1,1\n\n"
        "04133334444,2025-11-03T14:06:00,09121234567,mobile,1,1\n"
        "04133334444,2025-11-03T14:07:00,09121234567,bogus,1,1\n\n"
    ).encode()
    result = cdr_import(file=data)
    assert [(i.line, i.column) for i in result.errors] == [(5, "call_type")]
    fixed = data.replace(b"bogus", b"mobile")
    assert cdr_import(file=fixed).created == 3


def test_office_staff_import_only_their_own_centers_lines(line):
    other_center = TelephoneCenterFactory(company=line.subscription.company)
    clerk = add_role(StaffFactory(office=other_center), roles.OFFICE_CLERK)
    data = csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500")
    result = cdr_import(file=data, actor=clerk)
    assert [(i.line, i.column) for i in result.errors] == [(2, "line")]
    assert "مرکز تلفن" in result.errors[0].message
    own = add_role(StaffFactory(office=line.subscription.office), roles.OFFICE_CLERK)
    assert cdr_import(file=data, actor=own).created == 1
    assert CdrImport.objects.get().imported_by == own


def test_file_path_input(line, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500"))
    result = cdr_import(file=path)
    assert result.ok and result.created == 1
    assert result.record.file_name == "calls.csv"


@pytest.mark.postgres
def test_each_file_takes_the_fastest_path_that_accepts_it(line):
    fast = cdr_import(file=csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,1,1"))
    assert fast.path == "stream" and "stream_copy" in fast.phases
    reordered = cdr_import(
        file=csv_bytes(
            "1,1,mobile,09121234567,2025-11-03T15:05:00,04133334444",
            header=",".join(reversed(COLUMNS)),
        )
    )
    assert reordered.path == "copy" and "copy_stage" in reordered.phases
    jalali = cdr_import(file=csv_bytes("04133334444,1404/08/13 10:00,09121234567,mobile,1,1"))
    assert jalali.path == "stream-canonical" and jalali.created == 1
    assert {"stream_abandoned", "copy_abandoned", "validate_python"} <= set(jalali.phases)
    assert len(records_of(line)) == 3


def test_the_hour_that_happened_twice_is_read_as_its_first_occurrence(line):
    # Tehran left daylight saving time at 24:00 on 2021-09-21: 23:30 happened at 19:00 and
    # again at 20:00 UTC. The rules read a naive time as the first (the same on every path).
    data = csv_bytes(
        "04133334444,2021-09-21 23:30:00,09121234567,mobile,1,1",
        "04133334444,2021-09-21 22:30:00,09121234567,mobile,1,1",
    )
    result = cdr_import(file=data)
    assert result.ok, result.errors
    assert [c.started_at for c in records_of(line)] == [
        dt.datetime(2021, 9, 21, 18, 0, tzinfo=dt.UTC),
        dt.datetime(2021, 9, 21, 19, 0, tzinfo=dt.UTC),
    ]


def test_crlf_line_ends_and_trailing_blank_lines(line):
    data = (
        f"{HEADER}\r\n04133334444,2025-11-03T14:05:00,09121234567,mobile,1,1\r\n"
        "04133334444,2025-11-03T14:06:00,09121234567,mobile,2,1\r\n\r\n\r\n"
    ).encode()
    result = cdr_import(file=data)
    assert result.ok and result.created == 2
    assert [c.duration_s for c in records_of(line)] == [1, 2]


def test_a_leap_second_is_refused_like_any_bad_time(line):
    result = cdr_import(
        file=csv_bytes(
            "04133334444,2025-11-03T14:05:00,09121234567,mobile,1,1",
            "04133334444,2025-11-03T14:05:60,09121234567,mobile,1,1",
        )
    )
    assert [(i.line, i.column) for i in result.errors] == [(3, "started_at")]
    assert not CallRecord.objects.exists()


@pytest.mark.postgres
def test_stream_looks_lines_up_chunk_by_chunk(monkeypatch):
    """Line ids are looked up for the numbers each chunk brings (the COPY resumes after each
    lookup); an unknown number in a later chunk still fails the file with its line."""
    monkeypatch.setattr("telecom.services.cdr_import.stream.STREAM_CHUNK", 256)
    first, second = PhoneLineFactory(number="04133334444"), PhoneLineFactory(number="04133335555")
    rows = [f"04133334444,2025-11-03T10:{m:02d}:00,09121234567,mobile,{m},1" for m in range(30)]
    rows += [f"04133335555,2025-11-03T11:{m:02d}:00,09121234567,local,{m},1" for m in range(30)]
    result = cdr_import(file=csv_bytes(*rows))
    assert result.ok and result.path == "stream"
    assert (result.rows, result.created) == (60, 60)
    assert [c.duration_s for c in records_of(first)] == list(range(30))
    assert {c.call_type for c in records_of(second)} == {"local"}
    unknown = csv_bytes(*rows[:40], "04133336666,2025-11-04T10:00:00,09121234567,mobile,1,1")
    failed = cdr_import(file=unknown)
    assert [(i.line, i.column) for i in failed.errors] == [(42, "line")]
    assert CdrImport.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_once_one_wins(line):
    rows = [f"04133334444,2025-11-03T{h:02d}:{m:02d}:00,0912123{m:04d},mobile,1,1"
            for h in range(10, 20) for m in range(60)]  # fmt: skip
    data = csv_bytes(*rows)
    results = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(cdr_import(file=data, file_name="race.csv"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.duplicate for r in results) == [False, True]
    assert all(r.ok for r in results)
    assert CdrImport.objects.count() == 1
    assert len(records_of(line)) == 600


def test_command_prints_summary_and_fails_on_a_bad_file(line, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500"))
    out = StringIO()
    call_command("import_cdrs", str(good), stdout=out)
    assert "افزوده شد" in out.getvalue()
    out = StringIO()
    call_command("import_cdrs", str(good), stdout=out)
    assert "پیش‌تر وارد شده" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,bogus,1,1"))
    err = StringIO()
    with pytest.raises(CommandError, match="هیچ سطری ذخیره نشد"):
        call_command("import_cdrs", str(bad), stderr=err)
    assert "سطر ۲" in err.getvalue() and "call_type" in err.getvalue()
    with pytest.raises(CommandError, match="خوانده نشد"):
        call_command("import_cdrs", str(tmp_path / "missing.csv"))


STREAM_ROW_CASES = [
    ("04133334444,2025-11-03 14:05:00,09121234567,mobile,86400,1", True),
    ("04133334444,2025-11-03T23:59:59.5+03:30,09121234567,mobile,0,0", True),
    ("04133334444,2025-11-03 14:05:00,09121234567,mobile,86401,1", False),
    ("04133334444,2025-11-03 14:05:00,09121234567,mobile,99999,1", False),
    ("04133334444,2025-11-03 24:00:00,09121234567,mobile,1,1", False),
    ("04133334444,2025-11-03 14:60:00,09121234567,mobile,1,1", False),
    ("04133334444,2025-11-03 14:05:60,09121234567,mobile,1,1", False),
    ("04133334444,2025-11-03 14:05:00+03:60,09121234567,mobile,1,1", False),
    ("04133334444,2025-11-03 14:05:00,09121234567,mobile,-1,1", False),
]


@pytest.mark.parametrize(("row", "accepted"), STREAM_ROW_CASES)
def test_the_stream_chunk_check_holds_the_cell_ranges(row, accepted):
    """The stream path has no per-row CHECK: its chunk check keeps hours 00–23, minutes and
    seconds 00–59 and durations up to MAX_DURATION_S; anything else goes to the exact rules."""
    from telecom.services.cdr_import.common import MAX_DURATION_S
    from telecom.services.cdr_import.stream import _STREAM_CHUNK_RE

    assert MAX_DURATION_S == 86_400  # the chunk check spells this bound out
    assert bool(_STREAM_CHUNK_RE.fullmatch(f"{row}\n".encode())) is accepted


@pytest.mark.postgres
def test_a_full_day_call_streams_and_one_second_more_is_named(line):
    ok = cdr_import(file=csv_bytes("04133334444,2025-11-03T14:05:00,09121234567,mobile,86400,1"))
    assert ok.ok and ok.path == "stream" and records_of(line)[0].duration_s == 86_400
    bad = cdr_import(file=csv_bytes("04133334444,2025-11-04T14:05:00,09121234567,mobile,86401,1"))
    assert [(issue.line, issue.column) for issue in bad.errors] == [(2, "duration_s")]
    assert len(records_of(line)) == 1
