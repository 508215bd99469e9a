"""Billing in admin: bills and payments read-only and scoped to the staff member's office
(another office's bill is a 404), search by identifiers typed with Persian digits, a pinned
query count on the bills list, tariff tables with their step and overlap rules, the upload page
(counts on success; numbered errors and nothing saved on failure) and who may upload."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.admin import imports as import_admin
from billing.admin.bills import BoundedCountPaginator
from billing.admin.tariffs import tariff_overlap_problem, tariff_tiers_problems
from billing.models import Bill, BillImport, BillPayment, Tariff, TariffTier
from portal.digits import to_persian_digits
from portal.identifiers import generate_payment_id
from subscribers import roles
from subscribers.services.roles import roles_sync
from tests.billing.factories import BillFactory, paid, residential_electricity_tariff
from tests.factories import (
    DistrictOfficeFactory,
    StaffFactory,
    SubscriptionFactory,
    add_role,
    login_with_second_factor,
)

pytestmark = pytest.mark.django_db

BILLING_ROLE_PERMISSIONS = importlib.import_module("billing.migrations.0002_roles").ROLE_PERMISSIONS


@pytest.fixture(autouse=True)
def _role_groups(db):
    """Role groups and their billing grants (a transactional test's flush deletes the rows
    the data migrations wrote)."""
    roles_sync()
    for role, codenames in BILLING_ROLE_PERMISSIONS.items():
        Group.objects.get(name=role).permissions.add(
            *Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)
        )


def staff(office, role=roles.OFFICE_CLERK, **kwargs):
    user = StaffFactory(office=office, **kwargs)
    return add_role(user, role) if role else user


def sysadmin():
    return add_role(
        StaffFactory(office=None, is_superuser=True, username="sysadmin"),
        roles.SYSTEM_ADMINISTRATOR,
    )


def logged_in(client, user):
    login_with_second_factor(client, user)
    return client


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fa(value) -> str:
    return to_persian_digits(str(value))


@pytest.fixture
def offices():
    first = DistrictOfficeFactory()
    return first, DistrictOfficeFactory(company=first.company)


@pytest.fixture
def bills(offices):
    """One paid bill in each office."""
    mine = BillFactory(subscription=SubscriptionFactory(office=offices[0]), period=5)
    theirs = BillFactory(subscription=SubscriptionFactory(office=offices[1]), period=5)
    paid(mine, reference="REF-MINE-1")
    paid(theirs, reference="REF-THEIRS-1")
    return mine, theirs


# --- roles -----------------------------------------------------------------------------------


def test_migration_grants_read_and_upload_never_bill_writes():
    from django.contrib.auth.models import Group

    def codenames(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="billing")
            .values_list("codename", flat=True)
        )

    clerk = codenames(roles.OFFICE_CLERK)
    assert {"view_bill", "view_billpayment", "view_billimport", "add_billimport"} <= clerk
    assert {"view_tariff", "view_tarifftier"} <= clerk
    assert codenames(roles.OFFICE_SUPERVISOR) >= clerk
    assert codenames(roles.CALL_CENTER_OPERATOR) == {"view_bill", "view_billpayment"}
    for role in (roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR, roles.CALL_CENTER_OPERATOR):
        granted = codenames(role)
        for model in ("bill", "billpayment", "tariff", "tarifftier"):
            assert not {f"add_{model}", f"change_{model}", f"delete_{model}"} & granted, role


# --- bills: scoping, read-only, search ---------------------------------------------------


def test_sysadmin_sees_every_office(client, bills):
    mine, theirs = bills
    response = logged_in(client, sysadmin()).get(reverse("admin:billing_bill_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert fa(mine.subscription.bill_id) in body
    assert fa(theirs.subscription.bill_id) in body


def test_clerk_sees_only_own_office_and_another_office_is_404(client, offices, bills):
    mine, theirs = bills
    logged_in(client, staff(offices[0]))

    response = client.get(reverse("admin:billing_bill_changelist"))
    body = response.content.decode()
    assert fa(mine.subscription.bill_id) in body
    assert fa(theirs.subscription.bill_id) not in body

    own = client.get(reverse("admin:billing_bill_change", args=[mine.pk]))
    assert own.status_code == 200
    assert fa(mine.payment_id) in own.content.decode()
    assert "REF-MINE-1" in own.content.decode()  # the payment inline
    assert client.get(reverse("admin:billing_bill_change", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("admin:billing_bill_change", args=[999_999])).status_code == 404

    payments = client.get(reverse("admin:billing_billpayment_changelist")).content.decode()
    assert fa("REF-MINE-1") in payments and fa("REF-THEIRS-1") not in payments
    theirs_payment = theirs.payments.get()
    url = reverse("admin:billing_billpayment_change", args=[theirs_payment.pk])
    assert client.get(url).status_code == 404


def test_clerk_without_office_sees_nothing(client, bills):
    logged_in(client, staff(None))
    body = client.get(reverse("admin:billing_bill_changelist")).content.decode()
    for bill in bills:
        assert fa(bill.subscription.bill_id) not in body


def test_bills_and_payments_are_read_only(client, offices, bills):
    mine, _ = bills
    logged_in(client, staff(offices[0], roles.OFFICE_SUPERVISOR))
    url = reverse("admin:billing_bill_change", args=[mine.pk])

    page = client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert client.post(url, {"amount": "1"}).status_code == 403
    assert client.get(reverse("admin:billing_bill_add")).status_code == 403
    assert client.get(reverse("admin:billing_bill_delete", args=[mine.pk])).status_code == 403
    assert client.get(reverse("admin:billing_billpayment_add")).status_code == 403
    mine.refresh_from_db()
    assert mine.amount == 1_250_000


def test_staff_without_a_billing_role_cannot_open_bills(client, offices, bills):
    logged_in(client, staff(offices[0], role=None))
    assert client.get(reverse("admin:billing_bill_changelist")).status_code == 403


@pytest.mark.parametrize("field", ["bill_id", "payment_id"])
def test_search_accepts_persian_digits(client, offices, bills, field):
    mine, _ = bills
    other = BillFactory(subscription=SubscriptionFactory(office=offices[0]), period=6)
    value = mine.subscription.bill_id if field == "bill_id" else mine.payment_id
    logged_in(client, staff(offices[0]))

    response = client.get(reverse("admin:billing_bill_changelist"), {"q": fa(value)})

    body = response.content.decode()
    assert fa(mine.subscription.bill_id) in body
    assert fa(other.subscription.bill_id) not in body


def test_search_outside_the_office_finds_nothing(client, offices, bills):
    _, theirs = bills
    logged_in(client, staff(offices[0]))
    response = client.get(
        reverse("admin:billing_bill_changelist"), {"q": theirs.subscription.bill_id}
    )
    assert fa(theirs.subscription.bill_id) not in response.content.decode()


@pytest.mark.parametrize("rows", [1, 50])
def test_bill_list_query_count_is_flat(client, offices, rows, django_assert_max_num_queries):
    subscription = SubscriptionFactory(office=offices[0])
    for n in range(rows):
        BillFactory(subscription=subscription, year=1400 + n // 12, period=n % 12 + 1)
    # A different subscription per row would also hit subscription/company/office: joined.
    for _ in range(min(rows, 5)):
        BillFactory(subscription=SubscriptionFactory(office=offices[0]), period=1)
    logged_in(client, staff(offices[0]))

    # Session and user (2), permissions (2), "sees all offices" for the billing admin (2) and
    # for other apps' sidebar entries (4), the bounded count, the page of rows, the session
    # save (3) — the same at 1 and at 50 rows: nothing per row.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:billing_bill_changelist"))
    assert response.status_code == 200
    assert response.content.decode().count('class="field-bill_id"') == min(rows + min(rows, 5), 50)


def test_payment_list_query_count(client, offices, django_assert_max_num_queries):
    subscription = SubscriptionFactory(office=offices[0])
    for n in range(30):
        paid(BillFactory(subscription=subscription, year=1400 + n // 12, period=n % 12 + 1))
    logged_in(client, staff(offices[0]))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("admin:billing_billpayment_changelist"))
    assert response.status_code == 200


def test_bounded_paginator_never_counts_past_its_cap(offices):
    subscription = SubscriptionFactory(office=offices[0])
    for n in range(5):
        BillFactory(subscription=subscription, period=n + 1)

    class Small(BoundedCountPaginator):
        cap = 3

    paginator = Small(Bill.objects.order_by("pk"), 2)
    assert paginator.count == 3
    assert paginator.num_pages == 2
    assert BoundedCountPaginator(Bill.objects.order_by("pk"), 2).count == 5


# --- tariffs ----------------------------------------------------------------------------------


def test_tier_rules():
    assert tariff_tiers_problems([(100, 300), (200, 400), (None, 900)]) == []
    assert tariff_tiers_problems([])
    two_open = tariff_tiers_problems([(100, 300), (None, 400), (None, 900)])
    assert any("دقیقاً یک پلکان باز" in p for p in two_open)
    open_first = tariff_tiers_problems([(None, 900), (100, 300)])
    assert any("آخرین پلکان" in p for p in open_first)
    descending = tariff_tiers_problems([(200, 300), (100, 400), (None, 900)])
    assert any("صعودی" in p and "۲" in p for p in descending)
    assert tariff_tiers_problems([(100, 300), (100, 400), (None, 900)])
    assert tariff_tiers_problems([(100, 300), (200, 400)])  # no open step


def test_overlap_rule():
    existing = residential_electricity_tariff(valid_from=dt.date(2024, 3, 20))
    kwargs = {"company_kind": "electricity", "use": "residential"}

    problem = tariff_overlap_problem(**kwargs, valid_from=dt.date(2025, 1, 1), valid_to=None)
    assert problem and existing.title in problem and "همپوشانی" in problem
    before = tariff_overlap_problem(
        **kwargs, valid_from=dt.date(2023, 3, 21), valid_to=dt.date(2024, 3, 20)
    )
    assert before is None  # ends (exclusive) the day the other starts
    assert tariff_overlap_problem(
        **kwargs, valid_from=dt.date(2023, 3, 21), valid_to=dt.date(2024, 3, 21)
    )
    assert (
        tariff_overlap_problem(
            company_kind="gas", use="residential", valid_from=dt.date(2025, 1, 1), valid_to=None
        )
        is None
    )
    assert (
        tariff_overlap_problem(
            **kwargs, valid_from=dt.date(2025, 1, 1), exclude_pk=existing.pk, valid_to=None
        )
        is None
    )
    assert "بعد از" in tariff_overlap_problem(
        company_kind="gas",
        use="residential",
        valid_from=dt.date(2025, 1, 2),
        valid_to=dt.date(2025, 1, 1),
    )


def tariff_post(tiers, **overrides) -> dict:
    data = {
        "company_kind": "electricity",
        "use": "residential",
        "title": "برق خانگی ۱۴۰۴",
        "valid_from": "۱۴۰۴/۰۱/۰۱",
        "valid_to": "",
        "subscription_fee": "۳۰٬۰۰۰",
        "tax_percent": "۱۰",
        "duties_percent": "۰",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
        "_save": "ذخیره",
    }
    for n, (up_to, rate) in enumerate(tiers):
        data[f"tiers-{n}-up_to"] = up_to
        data[f"tiers-{n}-rate"] = rate
    data.update(overrides)
    return data


def test_sysadmin_adds_a_tariff_typed_in_persian(client):
    logged_in(client, sysadmin())
    response = client.post(
        reverse("admin:billing_tariff_add"),
        tariff_post([("۱۰۰", "۴۵۰"), ("۲۰۰", "۵۲۰"), ("", "۱٬۱۰۰")]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tariff = Tariff.objects.get()
    assert tariff.valid_from == dt.date(2025, 3, 21)
    assert tariff.subscription_fee == 30_000
    assert list(tariff.tiers.values_list("up_to", "rate")) == [(100, 450), (200, 520), (None, 1100)]

    page = client.get(reverse("admin:billing_tariff_change", args=[tariff.pk])).content.decode()
    assert "۱۴۰۴/۰۱/۰۱" in page


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([("100", "300"), ("", "400"), ("", "900")], "دقیقاً یک پلکان باز"),
        ([("200", "300"), ("100", "400"), ("", "900")], "صعودی"),
        ([("100", "300"), ("200", "400")], "دقیقاً یک پلکان باز"),
        ([("100", "abc"), ("", "400")], "عدد"),
    ],
)
def test_bad_steps_are_refused_and_nothing_is_saved(client, tiers, message):
    logged_in(client, sysadmin())
    response = client.post(reverse("admin:billing_tariff_add"), tariff_post(tiers))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Tariff.objects.exists() and not TariffTier.objects.exists()


def test_overlapping_tariff_is_refused_with_a_persian_message(client):
    existing = residential_electricity_tariff(valid_from=dt.date(2024, 3, 20))
    logged_in(client, sysadmin())
    response = client.post(
        reverse("admin:billing_tariff_add"), tariff_post([("", "900")], valid_from="1403/06/01")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "همپوشانی" in body and existing.title in body
    assert Tariff.objects.count() == 1


def test_bad_date_names_the_field(client):
    logged_in(client, sysadmin())
    response = client.post(
        reverse("admin:billing_tariff_add"), tariff_post([("", "900")], valid_from="1404/13/40")
    )
    assert "معتبر از: تاریخ را به شکل" in response.content.decode()
    assert not Tariff.objects.exists()


def test_office_staff_read_tariffs_but_cannot_write_them(client, offices):
    tariff = residential_electricity_tariff()
    logged_in(client, staff(offices[0], roles.OFFICE_SUPERVISOR))
    assert client.get(reverse("admin:billing_tariff_changelist")).status_code == 200
    page = client.get(reverse("admin:billing_tariff_change", args=[tariff.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:billing_tariff_add")).status_code == 403
    response = client.post(
        reverse("admin:billing_tariff_add"), tariff_post([("", "900")], valid_from="1390/01/01")
    )
    assert response.status_code == 403
    assert Tariff.objects.count() == 1


# --- upload ---------------------------------------------------------------------------------

HEADER = (
    "bill_id,payment_id,period,period_start,period_end,previous_reading,current_reading,"
    "consumption,amount,due_date"
)


def bills_csv(subscriptions, *, year=1404, period=7, amount=1_250_000, payment_id=None) -> bytes:
    lines = [HEADER]
    for subscription in subscriptions:
        pid = payment_id or generate_payment_id(
            bill_id=subscription.bill_id, amount_rial=amount, jalali_year=year, period=period
        )
        lines.append(
            f"{subscription.bill_id},{pid},{year}-{period:02d},{year}/{period:02d}/01,"
            f"{year}/{period:02d}/30,1000,1250,250,{amount},{year}/{period + 1:02d}/14"
        )
    return ("\n".join(lines) + "\n").encode()


def upload(client, content: bytes, kind="bills", name="bills.csv"):
    return client.post(
        reverse("admin:billing_billimport_upload"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_clerk_uploads_bills_and_sees_the_counts(client, offices):
    subscriptions = [SubscriptionFactory(office=offices[0]) for _ in range(2)]
    clerk = staff(offices[0])
    logged_in(client, clerk)

    page = client.get(reverse("admin:billing_billimport_upload"))
    assert page.status_code == 200 and "payment_id" in page.content.decode()
    response = upload(client, bills_csv(subscriptions))

    assert response.status_code == 302
    assert response.url == reverse("admin:billing_billimport_changelist")
    assert Bill.objects.count() == 2
    record = BillImport.objects.get()
    assert (record.kind, record.file_name, record.imported_by) == ("bills", "bills.csv", clerk)
    message = flash(response)[0]
    assert "وارد شد" in message and "۲" in message
    history = client.get(response.url).content.decode()
    assert "bills.csv" in history and "بارگذاری پرونده صورتحساب" in history

    again = upload(client, bills_csv(subscriptions))
    assert "پیش‌تر وارد شده" in flash(again)[-1]
    assert Bill.objects.count() == 2 and BillImport.objects.count() == 1


def test_payments_upload(client, offices):
    bill = BillFactory(subscription=SubscriptionFactory(office=offices[0]))
    logged_in(client, staff(offices[0]))
    content = (
        "bill_id,payment_id,amount,paid_at,channel,reference\n"
        f"{bill.subscription.bill_id},{bill.payment_id},{bill.amount},"
        "1403/01/20 10:30,bank,R-9001\n"
    ).encode()
    response = upload(client, content, kind="payments", name="pay.csv")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert BillPayment.objects.get().reference == "R-9001"


def test_file_with_errors_lists_them_numbered_and_saves_nothing(client, offices):
    good = SubscriptionFactory(office=offices[0])
    bad = SubscriptionFactory(office=offices[0])
    content = bills_csv([good]) + bills_csv([bad], payment_id="1234567").split(b"\n", 1)[1]
    logged_in(client, staff(offices[0]))

    response = upload(client, content)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="import-errors"' in body
    assert "هیچ سطری ذخیره نشد" in body
    assert "<td>۳</td>" in body  # the bad row is line 3 (the header is line 1)
    assert "payment_id" in body
    assert not Bill.objects.exists() and not BillImport.objects.exists()


def test_another_office_rows_are_refused(client, offices):
    theirs = SubscriptionFactory(office=offices[1])
    logged_in(client, staff(offices[0]))
    response = upload(client, bills_csv([theirs]))
    assert response.status_code == 200
    assert 'id="import-errors"' in response.content.decode()
    assert not Bill.objects.exists()


def test_upload_form_errors_name_the_field(client, offices, monkeypatch):
    logged_in(client, staff(offices[0]))
    missing = client.post(reverse("admin:billing_billimport_upload"), {"kind": "bills"})
    assert "پرونده CSV: پرونده‌ای انتخاب کنید" in missing.content.decode()
    wrong_kind = upload(client, b"x", kind="tariffs")
    assert "نوع پرونده:" in wrong_kind.content.decode()
    monkeypatch.setattr(import_admin.BillUploadForm.base_fields["file"], "max_bytes", 10)
    too_big = upload(client, bills_csv([SubscriptionFactory(office=offices[0])]))
    assert "حجم پرونده" in too_big.content.decode()
    assert not BillImport.objects.exists() and not Bill.objects.exists()


@pytest.mark.parametrize("role", [roles.CALL_CENTER_OPERATOR, None])
def test_a_role_without_upload_permission_is_refused(client, offices, role):
    subscription = SubscriptionFactory(office=offices[0])
    logged_in(client, staff(offices[0], role))

    assert client.get(reverse("admin:billing_billimport_upload")).status_code == 403
    assert upload(client, bills_csv([subscription])).status_code == 403
    assert not Bill.objects.exists() and not BillImport.objects.exists()
    if role:
        history = client.get(reverse("admin:billing_bill_changelist"))
        assert history.status_code == 200  # operators still read bills


def test_import_history_is_scoped_to_the_office(client, offices):
    mine = BillImport.objects.create(
        kind="bills", file_name="mine.csv", sha256="a" * 64, imported_by=staff(offices[0])
    )
    BillImport.objects.create(
        kind="bills", file_name="theirs.csv", sha256="b" * 64, imported_by=staff(offices[1])
    )
    logged_in(client, staff(offices[0]))
    body = client.get(reverse("admin:billing_billimport_changelist")).content.decode()
    assert "mine.csv" in body and "theirs.csv" not in body
    assert client.get(reverse("admin:billing_billimport_change", args=[mine.pk])).status_code == 200
