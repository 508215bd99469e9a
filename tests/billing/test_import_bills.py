"""Bill import: every validation rule with its line-numbered message, all-or-nothing,
idempotency (file and row), corrections that supersede, the notices hook and the command.

On PostgreSQL every test runs twice: on the copy path and on the text path
(``billing.services.bill_staging``); elsewhere once, on the ORM path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError

from billing.models import Bill, BillImport
from billing.services.imports import MAX_REPORTED_ERRORS, bills_import
from portal.digits import to_persian_digits
from portal.identifiers import generate_payment_id
from subscribers.models import AuditLog
from tests.billing.factories import BillFactory
from tests.factories import StaffFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

HEADER = [
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
    "energy",
    "tax",
    "subscription_fee",
    "kind",
]


def bill_row(subscription, *, year=1403, period=5, amount=1_250_000, **overrides) -> dict:
    row = {
        "bill_id": subscription.bill_id,
        "payment_id": generate_payment_id(
            bill_id=subscription.bill_id, amount_rial=amount, jalali_year=year, period=period
        )
        if amount
        else "",
        "period": f"{year}-{period:02d}",
        "period_start": f"{year}/{period:02d}/01",
        "period_end": f"{year}/{period:02d}/29",
        "previous_reading": "1000",
        "current_reading": "1250",
        "consumption": "250",
        "amount": str(amount),
        "due_date": f"{year}/{period + 1:02d}/10" if period < 12 else f"{year + 1}/01/10",
        "energy": str(max(amount - 130_000, 0)),
        "tax": "80000",
        "subscription_fee": "50000",
        "kind": "",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def write_csv(path, rows, header=HEADER, *, bom=False) -> str:
    lines = [",".join(header)]
    lines += [",".join(row.get(column, "") for column in header) for row in rows]
    path.write_bytes(("\ufeff" if bom else "").encode() + ("\n".join(lines) + "\n").encode())
    return str(path)


ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture(autouse=True, params=["copy", "text"] if ON_POSTGRES else ["orm"])
def import_path(request, monkeypatch):
    """Which PostgreSQL path the import takes: files the copy path accepts take the text
    path when it is switched off (the copy path's own refusals are tested below)."""
    if request.param == "text":
        from billing.services import bill_staging

        monkeypatch.setattr(bill_staging.PgCopyStager, "accepts", staticmethod(lambda data: False))
    return request.param


@pytest.fixture
def subscription():
    return SubscriptionFactory()


def test_valid_file_creates_bills_and_registry(tmp_path, subscription, import_path):
    other = SubscriptionFactory()
    path = write_csv(
        tmp_path / "bills.csv",
        [bill_row(subscription, period=4), bill_row(subscription), bill_row(other)],
    )

    result = bills_import(file=path, actor=None)

    assert result.ok, result.errors
    assert result.path == import_path
    assert (result.created, result.updated, result.unchanged, result.rows) == (3, 0, 0, 3)
    record = BillImport.objects.get()
    assert (record.kind, record.file_name, record.rows, record.created) == (
        "bills",
        "bills.csv",
        3,
        3,
    )
    bill = Bill.objects.get(subscription=subscription, period=5)
    assert bill.source == record
    assert (bill.year, bill.kind, bill.status, bill.version) == (1403, "periodic", "issued", 1)
    assert bill.period_start == dt.date(2024, 7, 22)  # 1403/05/01
    assert (bill.previous_reading, bill.current_reading, bill.consumption) == (1000, 1250, 250)
    assert (bill.amount, bill.energy, bill.tax, bill.subscription_fee) == (
        1_250_000,
        1_120_000,
        80_000,
        50_000,
    )
    assert bill.barcode  # the stored payment ID is valid for the bill
    assert AuditLog.objects.filter(action="billing.import.bills").count() == 1


def test_persian_digits_jalali_and_iso_dates_and_bom(tmp_path, subscription):
    row = bill_row(subscription)
    row = {k: to_persian_digits(v) for k, v in row.items()}
    row["period_end"] = "2024-08-19"  # ISO is accepted beside Jalali
    row["kind"] = "دوره‌ای"
    path = write_csv(tmp_path / "fa.csv", [row], bom=True)

    result = bills_import(file=path)

    assert result.ok, result.errors
    assert result.path in ("text", "orm")  # numbers in Persian digits: bigint refuses them
    bill = Bill.objects.get()
    assert bill.period_end == dt.date(2024, 8, 19)
    assert bill.consumption == 250 and bill.kind == "periodic"


def test_uploaded_file_and_extra_columns(subscription):
    header = [*HEADER, "note"]
    row = {**bill_row(subscription), "note": "ستون اضافه"}
    text = ",".join(header) + "\n" + ",".join(row[c] for c in header) + "\n"
    upload = SimpleUploadedFile("up.csv", text.encode(), content_type="text/csv")

    result = bills_import(file=upload, file_name="up.csv")

    assert result.ok, result.errors
    assert Bill.objects.count() == 1 and BillImport.objects.get().file_name == "up.csv"


def test_same_file_twice_changes_nothing(tmp_path, subscription):
    path = write_csv(tmp_path / "b.csv", [bill_row(subscription)])
    assert bills_import(file=path).created == 1

    again = bills_import(file=path)

    assert again.ok and again.already_imported
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert "پیش‌تر وارد شده" in again.summary()
    assert Bill.objects.count() == 1 and BillImport.objects.count() == 1


def test_identical_bill_in_another_file_is_unchanged(tmp_path, subscription):
    bills_import(file=write_csv(tmp_path / "a.csv", [bill_row(subscription)]))
    second = write_csv(
        tmp_path / "b.csv", [bill_row(subscription), bill_row(subscription, period=6)]
    )

    result = bills_import(file=second)

    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert Bill.objects.count() == 2


def test_correction_supersedes_and_keeps_history(tmp_path, subscription):
    bills_import(file=write_csv(tmp_path / "a.csv", [bill_row(subscription)]))
    old = Bill.objects.get()

    result = bills_import(
        file=write_csv(tmp_path / "b.csv", [bill_row(subscription, amount=1_100_000)])
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    old.refresh_from_db()
    new = Bill.objects.get(status="issued")
    assert old.status == "superseded" and old.superseded_by == new
    assert (new.version, new.amount, old.amount) == (2, 1_100_000, 1_250_000)
    assert new.payment_id != old.payment_id

    third = bills_import(
        file=write_csv(tmp_path / "c.csv", [bill_row(subscription, amount=1_000_000)])
    )
    assert third.updated == 1
    assert list(Bill.objects.order_by("version").values_list("version", "status")) == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "issued"),
    ]


def test_one_bad_row_saves_nothing(tmp_path, subscription):
    rows = [bill_row(subscription, period=p) for p in (1, 2, 3)]
    rows[1]["consumption"] = "999"
    result = bills_import(file=write_csv(tmp_path / "bad.csv", rows))

    assert not result.ok
    assert [(e.line, e.column) for e in result.errors] == [(3, "consumption")]
    assert Bill.objects.count() == 0 and BillImport.objects.count() == 0
    assert not AuditLog.objects.filter(action="billing.import.bills").exists()
    # Fixed, the same rows import.
    rows[1]["consumption"] = "250"
    assert bills_import(file=write_csv(tmp_path / "fixed.csv", rows)).created == 3


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("bill_id", "2234322344613", "رقم کنترل شناسه قبض درست نیست"),
        ("bill_id", "", "شناسه قبض وارد نشده است"),
        ("period", "1403", "باید به شکل سال-دوره باشد"),
        ("period", "1403-00", "بین ۱ تا ۹۹"),
        ("period", "2024-05", "سال شمسی"),
        ("period_start", "1403/13/01", "تاریخ معتبر نیست"),
        ("period_end", "1403/04/20", "نباید پیش از «از تاریخ» باشد"),
        ("due_date", "1403/05/10", "نباید پیش از «تا تاریخ» دوره باشد"),
        ("previous_reading", "-5", "نمی‌تواند منفی باشد"),
        ("current_reading", "۱۲x", "باید عدد صحیح باشد"),
        ("consumption", "300", "باید ۲۵۰ باشد"),
        ("amount", "1250500", "مضرب ۱۰۰۰ ریال"),
        ("tax", "-1", "نمی‌تواند منفی باشد"),
        ("payment_id", "", "خالی است"),
        ("payment_id", "1770150", "رقم کنترل اول شناسه پرداخت"),
        # The second check digit binds the payment ID to the bill ID (DOMAIN.md §1).
        ("payment_id", "SECOND-CHECK-DIGIT-OFF", "با این شناسه قبض هم‌خوانی ندارد"),
        ("kind", "ماهانه", "مجاز نیست"),
    ],
)
def test_each_rule_names_line_and_column(tmp_path, subscription, column, value, message):
    good = bill_row(subscription, period=4)
    bad = bill_row(subscription)
    if value == "SECOND-CHECK-DIGIT-OFF":
        # Built from this bill's own valid ID so the first check digit stays right whatever
        # bill ID the factory drew (a fixed foreign ID matches 1 bill ID in 11 by chance).
        value = bad["payment_id"][:-1] + str((int(bad["payment_id"][-1]) + 1) % 10)
    bad[column] = value
    result = bills_import(file=write_csv(tmp_path / "f.csv", [good, bad]))

    assert not result.ok
    issue = result.errors[0]
    assert (issue.line, issue.column) == (3, column), result.errors
    assert message in issue.message and column in issue.message
    assert str(issue).startswith("سطر ۳:")
    assert Bill.objects.count() == 0


def test_payment_id_of_another_bill(tmp_path, subscription):
    own = bill_row(subscription)["payment_id"]
    foreign = own
    while foreign == own:  # another bill's ID equals ours for 1 bill ID in 11
        foreign = generate_payment_id(
            bill_id=SubscriptionFactory().bill_id, amount_rial=1_250_000, jalali_year=1403, period=5
        )
    result = bills_import(
        file=write_csv(tmp_path / "f.csv", [bill_row(subscription, payment_id=foreign)])
    )
    assert [(e.line, e.column) for e in result.errors] == [(2, "payment_id")]
    assert "هم‌خوانی ندارد" in result.errors[0].message


def test_amount_other_than_the_payment_ids(tmp_path, subscription):
    result = bills_import(
        file=write_csv(
            tmp_path / "f.csv", [bill_row(subscription, amount=1_250_000) | {"amount": "1300000"}]
        )
    )
    assert [(e.line, e.column) for e in result.errors] == [(2, "payment_id")]
    assert "(۱۲۵۰۰۰۰ ریال) با مبلغ قبض (۱۳۰۰۰۰۰ ریال) برابر نیست" in result.errors[0].message


def test_payment_id_of_another_period(tmp_path, subscription):
    april = generate_payment_id(
        bill_id=subscription.bill_id, amount_rial=1_250_000, jalali_year=1403, period=4
    )
    result = bills_import(
        file=write_csv(tmp_path / "f.csv", [bill_row(subscription, payment_id=april)])
    )
    assert "دوره درج‌شده در شناسه پرداخت" in result.errors[0].message


def test_unknown_subscription(tmp_path, subscription):
    row = bill_row(subscription)
    subscription.delete()
    result = bills_import(file=write_csv(tmp_path / "f.csv", [row]))
    assert [(e.line, e.column) for e in result.errors] == [(2, "bill_id")]
    assert "اشتراکی با این شناسه قبض ثبت نشده است" in result.errors[0].message


def test_staff_of_another_office_cannot_import_its_bills(tmp_path, subscription):
    outsider = StaffFactory()
    insider = StaffFactory(office=subscription.office)
    path = write_csv(tmp_path / "f.csv", [bill_row(subscription)])

    refused = bills_import(file=path, actor=outsider)
    assert "در امور شما ثبت نشده است" in refused.errors[0].message
    assert Bill.objects.count() == 0

    accepted = bills_import(file=path, actor=insider)
    assert accepted.created == 1
    assert BillImport.objects.get().imported_by == insider


def test_rollover_and_zero_amount(tmp_path, subscription):
    rollover = bill_row(
        subscription, previous_reading="99950", current_reading="30", consumption="80"
    )
    credited = bill_row(subscription, period=6, amount=0)
    result = bills_import(file=write_csv(tmp_path / "f.csv", [rollover, credited]))

    assert result.ok, result.errors
    zero = Bill.objects.get(period=6)
    assert (zero.amount, zero.payment_id) == (0, "")


def test_zero_amount_must_not_carry_a_payment_id(tmp_path, subscription):
    row = bill_row(subscription, amount=0, payment_id="1770160")
    result = bills_import(file=write_csv(tmp_path / "f.csv", [row]))
    assert result.errors[0].column == "payment_id"


def test_same_period_twice_in_file(tmp_path, subscription):
    result = bills_import(
        file=write_csv(tmp_path / "f.csv", [bill_row(subscription), bill_row(subscription)])
    )
    assert [(e.line, e.column) for e in result.errors] == [(3, "period")]
    assert "سطر ۲" in result.errors[0].message


def test_persian_kind_labels_keep_kinds_apart(tmp_path, subscription):
    rows = [bill_row(subscription), bill_row(subscription, kind="تسویه حساب")]
    result = bills_import(file=write_csv(tmp_path / "f.csv", rows))
    assert result.created == 2
    assert set(Bill.objects.values_list("kind", flat=True)) == {"periodic", "settlement"}


def test_missing_columns_one_error(tmp_path, subscription):
    header = [c for c in HEADER if c not in ("amount", "due_date")]
    result = bills_import(
        file=write_csv(tmp_path / "f.csv", [bill_row(subscription)], header=header)
    )
    assert len(result.errors) == 1 and result.errors[0].line == 1
    assert "amount" in result.errors[0].message and "due_date" in result.errors[0].message


def test_empty_and_non_utf8_files(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "خالی" in bills_import(file=tmp_path / "empty.csv").errors[0].message
    (tmp_path / "latin.csv").write_bytes(",".join(HEADER).encode() + b"\n\xff\xfe\n")
    issue = bills_import(file=tmp_path / "latin.csv").errors[0]
    assert issue.line == 2 and "UTF-8" in issue.message
    only_header = write_csv(tmp_path / "header.csv", [])
    assert "هیچ سطر" in bills_import(file=only_header).errors[0].message


def test_errors_are_capped_but_counted(tmp_path, subscription):
    rows = [bill_row(subscription, period=p, consumption="1") for p in range(1, 13)] * 13
    result = bills_import(file=write_csv(tmp_path / "f.csv", rows))
    assert len(result.errors) == MAX_REPORTED_ERRORS
    assert result.error_count == 156
    assert "۵۶ خطای دیگر" in result.error_summary()


def test_periodic_bills_queue_the_notices(
    tmp_path, subscription, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        bills_import(file=write_csv(tmp_path / "a.csv", [bill_row(subscription)]))
    record = BillImport.objects.get()
    assert [(c.args[0], c.args[1]) for c in callbacks] == [
        ("billing.tasks.bill_notices_for_import", {"import_id": record.pk})
    ]

    with django_capture_on_commit_callbacks() as callbacks:
        bills_import(
            file=write_csv(tmp_path / "b.csv", [bill_row(subscription, kind="settlement")])
        )
    assert callbacks == []


def test_command_prints_summary_and_fails_on_errors(tmp_path, subscription, capsys):
    good = write_csv(tmp_path / "good.csv", [bill_row(subscription)])
    call_command("import_bills", good)
    out = capsys.readouterr().out
    assert "جدید: ۱" in out

    bad = write_csv(tmp_path / "bad.csv", [bill_row(subscription, period=7, consumption="1")])
    with pytest.raises(CommandError) as excinfo:
        call_command("import_bills", bad)
    assert excinfo.value.returncode == 1
    assert "سطر ۲" in capsys.readouterr().err

    with pytest.raises(CommandError):
        call_command("import_bills", str(tmp_path / "missing.csv"))


def test_bill_factory_rows_round_trip(tmp_path):
    """A bill made the way the rest of the code makes them imports back as unchanged."""
    bill = BillFactory(period=3)
    row = bill_row(
        bill.subscription,
        period=3,
        amount=bill.amount,
        period_start=bill.period_start.isoformat(),
        period_end=bill.period_end.isoformat(),
        due_date=bill.due_date.isoformat(),
        energy=bill.energy,
        tax=bill.tax,
        subscription_fee=bill.subscription_fee,
    )
    result = bills_import(file=write_csv(tmp_path / "f.csv", [row]))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1), result.errors


@pytest.mark.postgres
def test_sql_payment_id_check_agrees_with_identifiers(tmp_path, monkeypatch, import_path):
    """The PostgreSQL paths check payment IDs in SQL; on random bills they must accept exactly
    the IDs ``generate_payment_id`` makes (nothing falls back to the Python parser) and refuse
    each one with a changed check digit (reported with the parser's message)."""
    import random

    from billing.services import bill_staging

    rng = random.Random(1403)
    subscriptions = [SubscriptionFactory() for _ in range(3)]
    rows = []
    for i in range(240):
        sub = subscriptions[i % 3]
        amount = rng.choice([1_000, 9_000, 10_000]) * rng.randint(1, 10 ** rng.randint(1, 5))
        rows.append(
            bill_row(sub, year=1390 + i // 24, period=i % 24 // 2 + 1, amount=amount,
                     kind="" if i % 2 else "settlement")
        )  # fmt: skip
    rechecked = []
    stager = bill_staging.PgCopyStager if import_path == "copy" else bill_staging.PgBillStager
    original = stager.recheck
    monkeypatch.setattr(
        stager,
        "recheck",
        lambda self, found, *args: rechecked.append(sorted(found)) or original(self, found, *args),
    )
    result = bills_import(file=write_csv(tmp_path / "ok.csv", rows))
    assert result.ok and result.created == 240 and rechecked == []
    bad = [dict(r) for r in rows[:40]]
    for r in bad:
        r["payment_id"] = r["payment_id"][:-1] + str((int(r["payment_id"][-1]) + 1) % 10)
        r["period"] = r["period"]  # same keys as imported: only the payment ID differs
    result = bills_import(file=write_csv(tmp_path / "bad.csv", bad))
    assert result.error_count == 40
    assert {e.column for e in result.errors} == {"payment_id"}
    assert rechecked == [list(range(2, 42))]


def test_payment_id_longer_than_thirteen_digits(tmp_path, subscription):
    """An amount of 10**11 rials or more has no payment ID (eight digits of thousands at
    most): a file that computes one anyway by the same rule is refused, not truncated."""
    from billing.services.imports import _expected_payment_id

    amount = 123_456_789_000
    payment_id = _expected_payment_id(subscription.bill_id, amount, 1403, 5)
    assert len(payment_id) == 14
    row = bill_row(subscription, amount=0) | {"amount": str(amount), "payment_id": payment_id}
    row["energy"] = str(amount - 130_000)
    result = bills_import(file=write_csv(tmp_path / "f.csv", [row]))
    assert [(e.line, e.column) for e in result.errors] == [(2, "payment_id")]
    assert Bill.objects.count() == 0


def test_repeated_key_of_an_issued_bill(tmp_path, subscription):
    """A key twice in a file is an error also when the rows match an issued bill (the
    unique indexes alone would not see it: nothing new is inserted for them)."""
    bills_import(file=write_csv(tmp_path / "a.csv", [bill_row(subscription)]))
    for second in (bill_row(subscription), bill_row(subscription, amount=1_100_000)):
        rows = [bill_row(subscription, period=4), bill_row(subscription), second]
        result = bills_import(file=write_csv(tmp_path / "b.csv", rows))
        assert [(e.line, e.column) for e in result.errors] == [(4, "period")]
        assert "سطر ۳" in result.errors[0].message
    assert Bill.objects.count() == 1 and BillImport.objects.count() == 1


def test_repeated_key_beside_other_errors(tmp_path, subscription):
    rows = [bill_row(subscription), bill_row(subscription, consumption="1"), bill_row(subscription)]
    result = bills_import(file=write_csv(tmp_path / "f.csv", rows))
    assert [(e.line, e.column) for e in result.errors] == [(3, "consumption"), (4, "period")]
    assert "سطر ۲" in result.errors[1].message


# --- files the copy path hands to the text path, and what it must read exactly as csv does ---


def _raw(tmp_path, subscription, lines: list[str]) -> str:
    """A file of the header, the given raw lines and a valid row for periods 1, 2, …"""
    header = ",".join(HEADER)
    rows = [",".join(bill_row(subscription, period=p)[c] for c in HEADER) for p in (1, 2)]
    path = tmp_path / "raw.csv"
    path.write_text("\n".join([header, rows[0], *lines, rows[1]]) + "\n", encoding="utf-8")
    return str(path)


def test_blank_lines_keep_physical_line_numbers(tmp_path, subscription, import_path):
    result = bills_import(file=_raw(tmp_path, subscription, [",,,,,,,,,,,,,", " ,,,,,,,,,,,,,"]))
    assert result.ok and (result.rows, result.created) == (2, 2), result.errors
    assert result.path == import_path  # blank records: the copy path skips them as csv does

    path = _raw(tmp_path, subscription, ["", ",,,,", "  "])
    result = bills_import(file=path)  # the same two bills: unchanged now
    assert result.ok and (result.rows, result.unchanged) == (2, 2), result.errors

    bad = bill_row(subscription, period=3, consumption="1")
    line = ",".join(bad[c] for c in HEADER)
    result = bills_import(file=_raw(tmp_path, subscription, ["", line]))
    assert [(e.line, e.column) for e in result.errors] == [(4, "consumption")]


def test_quoted_cells_and_crlf(tmp_path, subscription):
    rows = [bill_row(subscription, period=p) for p in (1, 2)]
    lines = [",".join(HEADER)] + [
        ",".join(f'"{row[c]}"' if c == "period" else row[c] for c in HEADER) for row in rows
    ]
    path = tmp_path / "q.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    result = bills_import(file=str(path))
    assert result.ok and result.created == 2, result.errors
    assert result.path in ("text", "orm")

    lines = [",".join(HEADER)] + [",".join(bill_row(subscription, period=p)[c] for c in HEADER)
                                   for p in (3, 4)]  # fmt: skip
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    result = bills_import(file=str(path))
    assert result.ok and result.created == 2, result.errors


def test_copy_end_marker_is_a_row(tmp_path, subscription):
    r"""``\.`` ends COPY's data: the copy path must not stop there and lose the rows after."""
    result = bills_import(file=_raw(tmp_path, subscription, ["\\."]))
    assert [(e.line, e.column) for e in result.errors][:1] == [(3, "bill_id")]
    assert Bill.objects.count() == 0


def test_signs_and_whitespace_in_numbers(tmp_path, subscription):
    """``bigint`` input accepts "+5" and tabs; the parser does not, on any path."""
    for value in ("+250", "\t250"):
        bad = bill_row(subscription, period=3, consumption=value)
        result = bills_import(file=_raw(tmp_path, subscription, [",".join(bad[c] for c in HEADER)]))
        assert [(e.line, e.column) for e in result.errors] == [(3, "consumption")], value
    ok = bill_row(subscription, period=3, consumption=" 250 ", amount=1_250_000)
    result = bills_import(file=_raw(tmp_path, subscription, [",".join(ok[c] for c in HEADER)]))
    assert result.ok and result.created == 3, result.errors


def test_ragged_rows(tmp_path, subscription):
    short = ",".join(bill_row(subscription, period=3)[c] for c in HEADER[:-1])  # no kind
    long = ",".join(bill_row(subscription, period=4)[c] for c in HEADER) + ",extra"
    result = bills_import(file=_raw(tmp_path, subscription, [short, long]))
    assert result.ok and result.created == 4, result.errors


@pytest.mark.postgres
def test_subscription_deleted_during_the_import_writes_nothing(
    tmp_path, subscription, monkeypatch, import_path
):
    """The import looks subscriptions up, then key-share-locks them all before it writes;
    one deleted in between (here: just before the lock, by the same transaction, which no
    foreign key stops) fails the file as a concurrent change."""
    from billing.services import bill_staging

    other = SubscriptionFactory()
    stager = bill_staging.PgCopyStager if import_path == "copy" else bill_staging.PgBillStager
    original = stager.lock_subscriptions

    def delete_then_lock(self):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM subscribers_subscription WHERE id = %s", [other.pk])
        original(self)

    monkeypatch.setattr(stager, "lock_subscriptions", delete_then_lock)
    rows = [bill_row(subscription), bill_row(other)]
    result = bills_import(file=write_csv(tmp_path / "f.csv", rows))
    assert not result.ok and "هم‌زمان" in result.errors[0].message
    assert Bill.objects.count() == 0 and BillImport.objects.count() == 0


def test_imported_bills_protect_their_subscription_and_file(tmp_path, subscription):
    """``Bill.subscription`` and ``Bill.source`` have no database foreign key (see
    billing/models.py): Django's PROTECT is what keeps their rows from being deleted."""
    bills_import(file=write_csv(tmp_path / "f.csv", [bill_row(subscription)]))
    with pytest.raises(ProtectedError):
        subscription.delete()
    with pytest.raises(ProtectedError):
        BillImport.objects.get().delete()
    bill = Bill.objects.select_related("subscription", "source").get()
    assert (bill.subscription, bill.source) == (subscription, BillImport.objects.get())


@pytest.mark.postgres
def test_imported_uids_are_time_ordered_and_random(tmp_path, subscription):
    """PostgreSQL writes the uids itself: RFC 9562 version 7 (the import's millisecond, the
    row id as a counter, 40 random bits), in id order, and no two alike."""
    import time
    import uuid

    before = time.time_ns() // 1_000_000
    rows = [bill_row(subscription, year=1390 + p // 12, period=p % 12 + 1) for p in range(60)]
    assert bills_import(file=write_csv(tmp_path / "f.csv", rows)).created == 60
    after = time.time_ns() // 1_000_000
    bills = list(Bill.objects.order_by("pk"))
    uids = [bill.uid for bill in bills]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in uids)
    assert all(before <= u.int >> 80 <= after for u in uids)
    assert uids == sorted(uids) and len(set(uids)) == 60
    randoms = {u.int & (2**40 - 1) for u in uids}
    assert len(randoms) == 60


def test_numbers_beyond_a_bill_are_errors_not_crashes(tmp_path, subscription):
    """Values bigint holds but no bill has (and ones it does not) are reported, never
    computed with: the readings' arithmetic would overflow."""
    rows = [
        bill_row(subscription, period=1, previous_reading="-9223372036854775807",
                 current_reading="9223372036854775807"),
        bill_row(subscription, period=2, current_reading="99999999999999999999"),
        bill_row(subscription, period=3, amount=0) | {"debt": "-9223372036854775808"},
    ]  # fmt: skip
    header = [*HEADER, "debt"]
    result = bills_import(file=write_csv(tmp_path / "f.csv", rows, header=header))
    assert [(e.line, e.column) for e in result.errors] == [
        (2, "previous_reading"),
        (2, "current_reading"),
        (3, "current_reading"),
        (4, "debt"),
    ], result.errors
    # Without the value bigint refuses, the copy path itself checks the ranges first.
    result = bills_import(file=write_csv(tmp_path / "g.csv", rows[::2], header=header))
    assert [(e.line, e.column) for e in result.errors] == [
        (2, "previous_reading"),
        (2, "current_reading"),
        (3, "debt"),
    ], result.errors
    assert Bill.objects.count() == 0
