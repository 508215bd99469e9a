"""The subscriptions CSV import: validation with line numbers, all-or-nothing, idempotence."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.digits import to_persian_digits
from portal.identifiers import generate_bill_id
from subscribers.models import AuditLog, Subscription
from subscribers.services.subscriptions import IMPORT_COLUMNS, subscriptions_import
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    SubscriptionFactory,
    UtilityCompanyFactory,
    subscription_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def area():
    company = UtilityCompanyFactory(code="123")
    city = CityFactory(name="تبریز")
    company.cities.add(city)
    office = DistrictOfficeFactory(company=company, code="01")
    return company, office, city


def make_row(company, n: int, **overrides) -> dict:
    row = {
        "company_code": company.code,
        "subscription_number": str(5_000_000 + n),
        "bill_id": generate_bill_id(
            file_code=700_000 + n, company_code=company.code, service_type=company.service_digit
        ),
        "office_code": "01",
        "city": "تبریز",
        "address": f"تبریز، خیابان امام، پلاک {n}",
        "postal_code": "5153847911",
        "mobile": "09141112233",
        "tariff": "خانگی",
        "branches": "1",
        "meter_serial": f"M{n}",
        "feeder_code": "",
        "holder_id": "0499370899",
    }
    row.update(overrides)
    return row


def test_happy_path_creates_rows(area):
    company, office, city = area
    data = subscription_csv([make_row(company, i) for i in range(3)])
    result = subscriptions_import(file=data, actor=None)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    sub = Subscription.objects.get(subscription_number="5000001")
    assert sub.company == company and sub.office == office and sub.city == city
    assert sub.holder_id == "0499370899"
    assert AuditLog.objects.filter(action="subscriptions.import").count() == 1


def test_reimport_is_unchanged_and_change_updates(area):
    company, _, _ = area
    rows = [make_row(company, i) for i in range(3)]
    subscriptions_import(file=subscription_csv(rows), actor=None)
    again = subscriptions_import(file=subscription_csv(rows), actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows[1]["address"] = "تبریز، نشانی تازه"
    rows[2]["branches"] = "3"
    changed = subscriptions_import(file=subscription_csv(rows), actor=None)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 1)
    assert Subscription.objects.count() == 3
    assert Subscription.objects.get(subscription_number="5000001").address == "تبریز، نشانی تازه"
    assert Subscription.objects.get(subscription_number="5000002").branches == 3


def test_bom_persian_digits_and_extra_columns(area):
    company, _, _ = area
    row = make_row(company, 1)
    persian = {k: to_persian_digits(v) for k, v in row.items() if k != "city"}
    persian["city"] = row["city"]
    persian["comment"] = "ستون اضافه"
    data = subscription_csv([persian], columns=[*IMPORT_COLUMNS, "comment"], bom=True)
    result = subscriptions_import(file=data, actor=None)
    assert result.ok, result.errors
    sub = Subscription.objects.get()
    assert sub.subscription_number == "5000001"
    assert sub.bill_id == row["bill_id"]
    assert sub.mobile == "09141112233"


def test_text_stream_with_bom_is_accepted(area):
    import io

    company, _, _ = area
    text = "\ufeff" + subscription_csv([make_row(company, 1)]).decode()
    result = subscriptions_import(file=io.StringIO(text), actor=None)
    assert result.ok and result.created == 1


def test_missing_columns_are_named(area):
    company, _, _ = area
    columns = [c for c in IMPORT_COLUMNS if c not in ("mobile", "tariff")]
    result = subscriptions_import(
        file=subscription_csv([make_row(company, 1)], columns=columns), actor=None
    )
    assert not result.ok
    [issue] = result.errors
    assert issue.line == 1
    assert "mobile" in issue.message and "tariff" in issue.message


def test_optional_columns_may_be_left_out(area):
    company, _, _ = area
    columns = [c for c in IMPORT_COLUMNS if c not in ("feeder_code", "holder_id")]
    result = subscriptions_import(
        file=subscription_csv([make_row(company, 1)], columns=columns), actor=None
    )
    assert result.ok, result.errors
    assert Subscription.objects.get().holder_id == ""


def _other_company_bill():
    other = UtilityCompanyFactory(code="456")
    return generate_bill_id(file_code=9999, company_code=other.code, service_type=2)


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"company_code": "999"}, "company_code", "کد شرکت"),
        ({"subscription_number": ""}, "subscription_number", "خالی"),
        ({"bill_id": "2234322344613"}, "bill_id", "رقم کنترل"),
        ({"bill_id": "__other_company__"}, "bill_id", "شرکت دیگری"),
        ({"bill_id": "__gas__"}, "bill_id", "برق"),
        ({"office_code": "77"}, "office_code", "امور"),
        ({"city": "شهر ناشناخته"}, "city", "محدوده خدمات"),
        ({"city": "__outside__"}, "city", "محدوده خدمات"),
        ({"address": ""}, "address", "نشانی"),
        ({"postal_code": "12345"}, "postal_code", "کد پستی"),
        ({"mobile": "0912123456"}, "mobile", "همراه"),
        ({"tariff": ""}, "tariff", "تعرفه"),
        ({"branches": "0"}, "branches", "مثبت"),
        ({"branches": "دو"}, "branches", "مثبت"),
        ({"meter_serial": ""}, "meter_serial", "کنتور"),
        ({"holder_id": "4271427685"}, "holder_id", "کد ملی"),
        ({"holder_id": "10380284792"}, "holder_id", "شناسه ملی"),
        ({"holder_id": "12345"}, "holder_id", "۱۰ رقمی"),
    ],
)
def test_each_validation_error_has_its_line(area, overrides, column, fragment):
    company, _, _ = area
    if overrides.get("bill_id") == "__other_company__":
        overrides = {"bill_id": _other_company_bill()}
    elif overrides.get("bill_id") == "__gas__":
        overrides = {"bill_id": generate_bill_id(file_code=5, company_code="123", service_type=3)}
    elif overrides.get("city") == "__outside__":
        CityFactory(name="مراغه")  # exists, but not in this company's service area
        overrides = {"city": "مراغه"}
    rows = [make_row(company, 1), make_row(company, 2, **overrides), make_row(company, 3)]
    result = subscriptions_import(file=subscription_csv(rows), actor=None)
    assert not result.ok
    assert [(e.line, e.column) for e in result.errors] == [(3, column)]
    assert fragment in result.errors[0].message
    assert str(result.errors[0]).startswith("سطر ۳:")
    assert Subscription.objects.count() == 0


def test_all_errors_are_collected_and_nothing_is_written(area):
    company, _, _ = area
    rows = [
        make_row(company, 1),
        make_row(company, 2, mobile="123", postal_code="1"),
        make_row(company, 3),
        make_row(company, 4, office_code="99"),
    ]
    result = subscriptions_import(file=subscription_csv(rows), actor=None)
    assert [(e.line, e.column) for e in result.errors] == [
        (3, "postal_code"),
        (3, "mobile"),
        (5, "office_code"),
    ]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert Subscription.objects.count() == 0
    assert not AuditLog.objects.filter(action="subscriptions.import").exists()


def test_bill_id_of_another_subscription_is_an_error(area):
    company, office, _ = area
    taken = SubscriptionFactory(office=office, subscription_number="42")
    row = make_row(company, 1, bill_id=taken.bill_id)
    result = subscriptions_import(file=subscription_csv([row]), actor=None)
    assert [(e.line, e.column) for e in result.errors] == [(2, "bill_id")]
    assert "۴۲" in result.errors[0].message


def test_duplicates_inside_the_file(area):
    company, _, _ = area
    first = make_row(company, 1)
    same_number = make_row(company, 2, subscription_number=first["subscription_number"])
    same_bill = make_row(company, 3, bill_id=first["bill_id"])
    result = subscriptions_import(
        file=subscription_csv([first, same_number, same_bill]), actor=None
    )
    assert [(e.line, e.column) for e in result.errors] == [
        (3, "subscription_number"),
        (4, "bill_id"),
    ]


def test_telecom_rows_need_no_meter():
    company = UtilityCompanyFactory(code="321", kind="telecom")
    city = CityFactory(name="اهر")
    company.cities.add(city)
    DistrictOfficeFactory(company=company, code="01")
    row = make_row(company, 1, city="اهر", meter_serial="")
    result = subscriptions_import(file=subscription_csv([row]), actor=None)
    assert result.ok, result.errors


def test_not_utf8_is_refused(area):
    from portal.errors import PortalError

    with pytest.raises(PortalError):
        subscriptions_import(file="شهر".encode("utf-16"), actor=None)


def test_two_thousand_rows_in_a_bounded_number_of_queries(area, django_assert_max_num_queries):
    company, _, _ = area
    rows = [make_row(company, i) for i in range(2000)]
    data = subscription_csv(rows)
    # SQLite caps the parameters of one statement, so its bulk writes take more batches.
    budget = 15 if connection.vendor == "postgresql" else 60
    with django_assert_max_num_queries(budget):
        result = subscriptions_import(file=data, actor=None)
    assert result.created == 2000
    rows[5]["address"] = "نشانی دیگر"
    with django_assert_max_num_queries(budget):
        result = subscriptions_import(file=subscription_csv(rows), actor=None)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1999)


def test_command_prints_counts(area, tmp_path, capsys):
    company, _, _ = area
    path = tmp_path / "subs.csv"
    path.write_bytes(subscription_csv([make_row(company, i) for i in range(2)]))
    call_command("import_subscriptions", str(path))
    assert "created=2 updated=0 unchanged=0" in capsys.readouterr().out
    call_command("import_subscriptions", str(path))
    assert "created=0 updated=0 unchanged=2" in capsys.readouterr().out


def test_command_fails_with_errors(area, tmp_path, capsys):
    company, _, _ = area
    path = tmp_path / "subs.csv"
    path.write_bytes(subscription_csv([make_row(company, 1, mobile="x")]))
    with pytest.raises(CommandError):
        call_command("import_subscriptions", str(path))
    assert "سطر ۲" in capsys.readouterr().err
    assert Subscription.objects.count() == 0
