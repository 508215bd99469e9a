"""The lines import (``import_lines`` and the admin upload): per-column errors with line
numbers, all-or-nothing, re-import updates, Persian digits, scoping."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from portal import identifiers
from portal.digits import to_persian_digits
from subscribers.models import AuditLog, Subscription
from telecom.models import PhoneLine
from telecom.services.lines import lines_import
from tests.factories import CityFactory, StaffFactory, add_role, login_with_second_factor
from tests.telecom.factories import TelecomCompanyFactory, TelephoneCenterFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "company_code",
    "phone_number",
    "bill_id",
    "center",
    "address",
    "postal_code",
    "holder_id",
    "mobile",
]


@pytest.fixture
def center():
    company = TelecomCompanyFactory(code="141")
    city = CityFactory(name="تبریز")
    company.cities.add(city)
    office = TelephoneCenterFactory(company=company, code="01")
    office.cities.add(city)
    return office


def bill(n: int, company) -> str:
    return identifiers.generate_bill_id(
        file_code=500_000 + n, company_code=company.code, service_type=company.service_digit
    )


def row(office, n: int, **over) -> dict:
    return {
        "company_code": office.company.code,
        "phone_number": f"0413{3_000_000 + n:07d}",
        "bill_id": bill(n, office.company),
        "center": office.code,
        "address": f"تبریز، خیابان ولیعصر، پلاک {n}",
        "postal_code": "5153847911",
        "holder_id": identifiers.generate_national_code(__import__("random").Random(n)),
        "mobile": "09141234567",
        **over,
    }


def as_csv(rows: list[dict], header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_creates_subscription_and_line(center):
    result = lines_import(file=as_csv([row(center, 1), row(center, 2)]), actor=None)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    line = PhoneLine.objects.select_related("subscription").get(number="04133000001")
    sub = line.subscription
    assert sub.subscription_number == "04133000001"
    assert sub.office == center and sub.city.name == "تبریز"
    assert sub.tariff == "تلفن ثابت" and sub.meter_serial == ""
    assert AuditLog.objects.filter(action="telecom.lines_import").count() == 1


def test_reimport_counts_unchanged_and_updates(center):
    rows = [row(center, 1), row(center, 2)]
    assert lines_import(file=as_csv(rows), actor=None).ok
    again = lines_import(file=as_csv(rows), actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[1]["address"] = "تبریز، نشانی تازه"
    rows.append(row(center, 3))
    third = lines_import(file=as_csv(rows), actor=None)
    assert (third.created, third.updated, third.unchanged) == (1, 1, 1)
    assert (
        Subscription.objects.get(subscription_number="04133000002").address == "تبریز، نشانی تازه"
    )
    assert PhoneLine.objects.count() == 3


def test_persian_digits_and_extra_columns(center):
    r = row(center, 7)
    persian = {k: to_persian_digits(v) if k != "address" else v for k, v in r.items()}
    persian["phone_number"] = "۰۴۱-۳۳۰۰ ۰۰۰۷"
    persian["note"] = "ignored"
    result = lines_import(file=as_csv([persian], header=[*HEADER, "note"]), actor=None)
    assert result.ok, result.errors
    assert PhoneLine.objects.filter(number="04133000007").exists()


def test_errors_name_column_and_line_and_nothing_is_saved(center):
    good = row(center, 1)
    bad_bill = row(center, 2, bill_id=str(int(bill(2, center.company)) + 1))
    bad_number = row(center, 3, phone_number="09121234567")
    bad_center = row(center, 4, center="99")
    bad_company = row(center, 5, company_code="999")
    dup = row(center, 1, bill_id=bill(6, center.company))
    result = lines_import(
        file=as_csv([good, bad_bill, bad_number, bad_center, bad_company, dup]), actor=None
    )
    assert not result.ok
    by_line = {(e.line, e.column) for e in result.errors}
    assert (3, "bill_id") in by_line
    assert (4, "phone_number") in by_line
    assert (5, "center") in by_line
    assert (6, "company_code") in by_line
    assert (7, "phone_number") in by_line  # duplicate of line 2
    messages = [str(e) for e in result.errors]
    assert any("شناسه قبض" in m and "سطر ۳" in m for m in messages)
    assert any("کد مرکز تلفن" in m for m in messages)
    assert PhoneLine.objects.count() == 0 and Subscription.objects.count() == 0


def test_shared_cell_checks_use_this_files_labels(center):
    """The mobile, postal code and holder are checked by the shared CSV helpers
    (subscribers.services.csv_import) but named with the lines file's own labels."""
    result = lines_import(
        file=as_csv([row(center, 1, mobile="0812", postal_code="12", holder_id="123")]),
        actor=None,
    )
    messages = {e.column: e.message for e in result.errors}
    assert messages["mobile"].startswith("تلفن همراه پیامک: ")
    assert messages["postal_code"].startswith("کد پستی: ")
    assert messages["holder_id"].startswith("کد ملی / شناسه ملی دارنده: ")
    assert PhoneLine.objects.count() == 0


def test_wrong_service_digit_refused(center):
    electricity = identifiers.generate_bill_id(
        file_code=1234, company_code=center.company.code, service_type=2
    )
    result = lines_import(file=as_csv([row(center, 1, bill_id=electricity)]), actor=None)
    assert [e.column for e in result.errors] == ["bill_id"]


def test_missing_header_column(center):
    result = lines_import(file=as_csv([row(center, 1)], header=HEADER[:-3]), actor=None)
    assert result.errors[0].line == 1 and "postal_code" in result.errors[0].message


def test_number_of_another_company_refused(center):
    assert lines_import(file=as_csv([row(center, 1)]), actor=None).ok
    other = TelecomCompanyFactory(code="142")
    city = CityFactory(name="تبریز")
    other.cities.add(city)
    office = TelephoneCenterFactory(company=other, code="01")
    office.cities.add(city)
    result = lines_import(file=as_csv([row(office, 1, bill_id=bill(9, other))]), actor=None)
    assert [e.column for e in result.errors] == ["phone_number"]


def test_command(center, tmp_path, capsys):
    path = tmp_path / "lines.csv"
    path.write_bytes(as_csv([row(center, 1)]))
    call_command("import_lines", str(path))
    assert "created=1" in capsys.readouterr().out
    path.write_bytes(as_csv([row(center, 2, postal_code="12")]))
    with pytest.raises(CommandError):
        call_command("import_lines", str(path))


def test_admin_upload_scoped_to_own_center(client, center):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from subscribers import roles

    other = TelephoneCenterFactory(company=center.company, code="02")
    other.cities.add(*center.cities.all())
    clerk = StaffFactory(office=center)
    add_role(clerk, roles.OFFICE_CLERK)
    login_with_second_factor(client, clerk)
    upload = SimpleUploadedFile("l.csv", as_csv([row(other, 1)]), content_type="text/csv")
    response = client.post("/admin/telecom/phoneline/import/", {"file": upload})
    assert response.status_code == 200
    assert "در حوزه دسترسی شما نیست" in response.content.decode()
    upload = SimpleUploadedFile("l.csv", as_csv([row(center, 1)]), content_type="text/csv")
    response = client.post("/admin/telecom/phoneline/import/", {"file": upload})
    assert response.status_code == 302
    assert PhoneLine.objects.filter(subscription__office=center).count() == 1
