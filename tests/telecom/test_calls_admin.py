"""Call records in admin: the upload page (permission, errors, office scoping), the import
history scoped to the office, and the read-only call-record list that lists only a searched
line of the user's own telephone center and never counts the table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subscribers import roles
from telecom.models import CallRecord, CdrImport
from telecom.services.cdr_import import COLUMNS
from tests.factories import StaffFactory, add_role, login_with_second_factor
from tests.telecom.factories import PhoneLineFactory, TelephoneCenterFactory, call_records_create

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:telecom_cdrimport_upload")
IMPORTS = reverse("admin:telecom_cdrimport_changelist")
CALLS = reverse("admin:telecom_callrecord_changelist")


def upload(client, text: str, name="calls.csv"):
    body = (",".join(COLUMNS) + "\n" + text + "\n").encode()
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, body, "text/csv")})


@pytest.fixture
def line():
    return PhoneLineFactory(number="04133334444")


def staff(client, office, role=roles.OFFICE_CLERK):
    user = add_role(StaffFactory(office=office), role) if role else StaffFactory(office=office)
    login_with_second_factor(client, user)
    return user


@pytest.mark.parametrize("role", [roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR])
def test_office_staff_upload_a_file_of_their_lines(client, line, role):
    staff(client, line.subscription.office, role)
    assert client.get(UPLOAD).status_code == 200
    response = upload(client, "04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500")
    assert response.status_code == 302 and response["Location"] == IMPORTS
    assert [c.cost_rial for c in CallRecord.objects.filter(line_id=line.pk)] == [4500]
    page = client.get(IMPORTS)
    assert "calls.csv" in page.content.decode()


def test_upload_needs_the_permission(client, line):
    staff(client, line.subscription.office, role=None)
    assert client.get(UPLOAD).status_code == 403
    assert upload(client, "04133334444,2025-11-03T14:05:00,0912,mobile,1,1").status_code == 403
    assert not CdrImport.objects.exists()


def test_upload_errors_are_listed_by_line_and_nothing_is_saved(client, line):
    staff(client, line.subscription.office)
    response = upload(
        client,
        "04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500\n"
        "04133334444,1404/13/01 10:00,09121234567,satellite,-1,4500",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-errors"' in html
    for column in ("started_at", "call_type", "duration_s"):
        assert f"<code>{column}</code>" in html
    assert "هیچ سطری ذخیره نشد" in html
    assert not CallRecord.objects.filter(line_id=line.pk).exists()


def test_staff_of_another_center_cannot_import_this_line(client, line):
    staff(client, TelephoneCenterFactory(company=line.subscription.company))
    response = upload(client, "04133334444,2025-11-03T14:05:00,09121234567,mobile,125,4500")
    assert response.status_code == 200
    assert "مرکز تلفن (امور) شما ثبت نشده" in response.content.decode()
    assert not CallRecord.objects.filter(line_id=line.pk).exists()


def test_import_history_is_scoped_to_the_office(client, line):
    other = TelephoneCenterFactory(company=line.subscription.company)
    mine = add_role(StaffFactory(office=line.subscription.office), roles.OFFICE_CLERK)
    record = CdrImport.objects.create(sha256="a" * 64, file_name="mine.csv", imported_by=mine)
    staff(client, other)
    page = client.get(IMPORTS).content.decode()
    assert "mine.csv" not in page
    detail = reverse("admin:telecom_cdrimport_change", args=[record.pk])
    assert client.get(detail).status_code == 404


def _calls(line, n=60):
    start = dt.datetime(2025, 11, 1, 8, 0, tzinfo=dt.UTC)
    return call_records_create(
        [{"line_id": line.pk, "started_at": start + dt.timedelta(minutes=i), "cost_rial": 1000 + i}
         for i in range(n)]
    )  # fmt: skip


def _no_count_of_call_records(queries) -> None:
    for query in queries:
        sql = query["sql"].lower()
        assert not ("count(" in sql and "telecom_callrecord" in sql), sql


def test_call_list_shows_nothing_until_a_line_is_searched_and_never_counts(client, line):
    _calls(line)
    staff(client, line.subscription.office)
    with CaptureQueriesContext(connection) as captured:
        empty = client.get(CALLS)
    assert empty.status_code == 200
    assert 'id="callrecord-search-first"' in empty.content.decode()
    _no_count_of_call_records(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        page1 = client.get(CALLS, {"q": "۰۴۱۳۳۳۳۴۴۴۴"})
        page2 = client.get(CALLS, {"q": "04133334444", "p": 2})
    _no_count_of_call_records(captured.captured_queries)
    html1, html2 = page1.content.decode(), page2.content.decode()
    # Newest first, 50 a page: page 1 has costs 1059..1010, page 2 1009..1000.
    assert "۱٬۰۵۹" in html1 and "۱٬۰۱۰" in html1 and "۱٬۰۰۹" not in html1
    assert "۱٬۰۰۹" in html2 and "۱٬۰۰۰" in html2 and "۱٬۰۵۹" not in html2


def test_call_list_is_scoped_to_the_staff_members_center(client, line):
    _calls(line, 3)
    staff(client, TelephoneCenterFactory(company=line.subscription.company))
    page = client.get(CALLS, {"q": "04133334444"}).content.decode()
    assert "۱٬۰۰۰" not in page
    call = CallRecord.objects.filter(line_id=line.pk).first()
    assert client.get(reverse("admin:telecom_callrecord_change", args=[call.pk])).status_code == 404


def test_superuser_sees_any_line_but_cannot_add_change_or_delete(admin_client, line):
    _calls(line, 3)
    page = admin_client.get(CALLS, {"q": "04133334444"})
    assert "۱٬۰۰۲" in page.content.decode()
    call = CallRecord.objects.filter(line_id=line.pk).first()
    detail = admin_client.get(reverse("admin:telecom_callrecord_change", args=[call.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:telecom_callrecord_add")).status_code == 403
    delete = reverse("admin:telecom_callrecord_delete", args=[call.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
