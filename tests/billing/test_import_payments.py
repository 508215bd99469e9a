"""Payment import: bills named by bill ID + payment ID, paid_amount/paid_at kept, unique
references, all-or-nothing, idempotency and the command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from billing.models import Bill, BillImport, BillPayment
from billing.services.imports import payments_import
from portal.digits import to_persian_digits
from portal.identifiers import is_valid_payment_id
from tests.billing.factories import BillFactory
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

HEADER = ["bill_id", "payment_id", "amount", "paid_at", "channel", "reference"]
TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))


def pay_row(bill: Bill, **overrides) -> dict:
    row = {
        "bill_id": bill.subscription.bill_id,
        "payment_id": bill.payment_id,
        "amount": str(bill.amount),
        "paid_at": "1403/06/05 10:30",
        "channel": "bank",
        "reference": f"R{bill.pk}",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def write_csv(path, rows, header=HEADER) -> str:
    lines = [",".join(header)] + [",".join(r.get(c, "") for c in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def bill():
    return BillFactory(year=1403, period=5, amount=1_250_000)


def test_payments_update_paid_amount_and_paid_at(tmp_path, bill):
    rows = [
        pay_row(bill, amount=250_000, reference="A1", paid_at="1403/06/01 09:00"),
        pay_row(bill, amount=1_000_000, reference="A2", paid_at="1403/06/03 12:00:30"),
    ]
    result = payments_import(file=write_csv(tmp_path / "p.csv", rows))

    assert result.ok, result.errors
    assert (result.created, result.unchanged, result.rows) == (2, 0, 2)
    bill.refresh_from_db()
    assert bill.paid_amount == 1_250_000 and bill.is_paid
    assert bill.paid_at == dt.datetime(2024, 8, 24, 12, 0, 30, tzinfo=TEHRAN)  # 1403/06/03
    record = BillImport.objects.get(kind="payments")
    assert set(BillPayment.objects.values_list("source", flat=True)) == {record.pk}


def test_partial_payment_leaves_bill_unpaid(tmp_path, bill):
    payments_import(file=write_csv(tmp_path / "p.csv", [pay_row(bill, amount=1000)]))
    bill.refresh_from_db()
    assert (bill.paid_amount, bill.paid_at) == (1000, None)


def test_persian_digits_labels_and_iso(tmp_path, bill):
    rows = [
        {k: to_persian_digits(v) for k, v in pay_row(bill, amount=1000, reference="۷۷۱").items()}
        | {"channel": "پیشخوان دولت"},
        pay_row(bill, amount=2000, reference="772", channel="IVR", paid_at="2024-08-25T08:00:00Z"),
    ]
    result = payments_import(file=write_csv(tmp_path / "p.csv", rows))
    assert result.ok, result.errors
    kiosk = BillPayment.objects.get(reference="771")
    assert kiosk.channel == "kiosk" and kiosk.amount == 1000
    assert BillPayment.objects.get(reference="772").channel == "ivr"


def test_same_file_twice_changes_nothing(tmp_path, bill):
    path = write_csv(tmp_path / "p.csv", [pay_row(bill)])
    assert payments_import(file=path).created == 1
    again = payments_import(file=path)
    assert again.already_imported and again.created == 0
    assert BillPayment.objects.count() == 1 and BillImport.objects.count() == 1


def test_reference_again_identical_is_unchanged_different_is_error(tmp_path, bill):
    payments_import(file=write_csv(tmp_path / "a.csv", [pay_row(bill)]))
    other = BillFactory(subscription=bill.subscription, period=6)

    same = payments_import(
        file=write_csv(tmp_path / "b.csv", [pay_row(bill), pay_row(other, reference="N1")])
    )
    assert (same.created, same.unchanged) == (1, 1)

    changed = payments_import(file=write_csv(tmp_path / "c.csv", [pay_row(bill, amount=999_000)]))
    assert [(e.line, e.column) for e in changed.errors] == [(2, "reference")]
    assert BillPayment.objects.count() == 2


def test_reference_twice_in_file(tmp_path, bill):
    result = payments_import(file=write_csv(tmp_path / "p.csv", [pay_row(bill), pay_row(bill)]))
    assert [(e.line, e.column) for e in result.errors] == [(3, "reference")]
    assert "سطر ۲" in result.errors[0].message


def test_one_bad_row_saves_nothing(tmp_path, bill):
    rows = [pay_row(bill, reference="G1"), pay_row(bill, reference="G2", amount="-5")]
    result = payments_import(file=write_csv(tmp_path / "p.csv", rows))
    assert [(e.line, e.column) for e in result.errors] == [(3, "amount")]
    assert BillPayment.objects.count() == 0 and BillImport.objects.count() == 0
    bill.refresh_from_db()
    assert bill.paid_amount == 0


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("bill_id", "2234322344613", "رقم کنترل شناسه قبض"),
        ("payment_id", "", "خالی است"),
        ("payment_id", "1770150", "رقم کنترل اول"),
        ("amount", "0", "بیشتر از صفر"),
        ("amount", "abc", "عدد صحیح"),
        ("paid_at", "1403/13/40", "زمان معتبر نیست"),
        ("paid_at", "1499/01/01", "در آینده است"),
        ("channel", "post", "مجاز نیست"),
        ("reference", "", "خالی است"),
        ("reference", "x" * 65, "حداکثر"),
    ],
)
def test_each_rule_names_line_and_column(tmp_path, bill, column, value, message):
    bad = pay_row(bill)
    bad[column] = value
    result = payments_import(file=write_csv(tmp_path / "p.csv", [bad]))
    issue = result.errors[0]
    assert (issue.line, issue.column) == (2, column), result.errors
    assert message in issue.message and column in issue.message


def test_payment_id_of_another_bill(tmp_path, bill):
    foreign = BillFactory()
    # One other bill in 11 draws a payment ID whose check digits also fit this bill ID.
    while is_valid_payment_id(foreign.payment_id, bill_id=bill.subscription.bill_id):
        foreign = BillFactory()
    result = payments_import(
        file=write_csv(tmp_path / "p.csv", [pay_row(bill, payment_id=foreign.payment_id)])
    )
    assert result.errors[0].column == "payment_id"
    assert "هم‌خوانی ندارد" in result.errors[0].message


def test_valid_payment_id_without_a_bill(tmp_path, bill):
    later = BillFactory.build(subscription=bill.subscription, period=9)  # never saved
    result = payments_import(
        file=write_csv(tmp_path / "p.csv", [pay_row(bill, payment_id=later.payment_id)])
    )
    assert result.errors[0].column == "payment_id"
    assert "صورتحسابی با این شناسه پرداخت" in result.errors[0].message


def test_unknown_subscription(tmp_path):
    subscription = SubscriptionFactory.build(bill_id="7748317800142")
    row = {
        "bill_id": subscription.bill_id,
        "payment_id": "1770160",
        "amount": "17000",
        "paid_at": "1403/01/01",
        "channel": "app",
        "reference": "U1",
    }
    result = payments_import(file=write_csv(tmp_path / "p.csv", [row]))
    assert [(e.line, e.column) for e in result.errors] == [(2, "bill_id")]


def test_payment_of_a_superseded_version(tmp_path, bill):
    bill.status, bill.superseded_by = Bill.Status.SUPERSEDED, bill
    bill.save(update_fields=["status", "superseded_by"])
    newer = BillFactory(subscription=bill.subscription, period=5, version=2, amount=1_100_000)
    bill.superseded_by = newer
    bill.save(update_fields=["superseded_by"])

    result = payments_import(file=write_csv(tmp_path / "p.csv", [pay_row(bill)]))

    assert result.ok, result.errors
    assert BillPayment.objects.get().bill == bill


def test_missing_column(tmp_path, bill):
    result = payments_import(
        file=write_csv(tmp_path / "p.csv", [pay_row(bill)], header=HEADER[:-1])
    )
    assert len(result.errors) == 1 and "reference" in result.errors[0].message


def test_command_exit_codes(tmp_path, bill, capsys):
    call_command("import_payments", write_csv(tmp_path / "ok.csv", [pay_row(bill)]))
    assert "جدید: ۱" in capsys.readouterr().out
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "import_payments", write_csv(tmp_path / "bad.csv", [pay_row(bill, channel="x")])
        )
    assert excinfo.value.returncode == 1
    assert "سطر ۲" in capsys.readouterr().err
