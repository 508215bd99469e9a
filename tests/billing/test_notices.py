"""Bill SMS: one notice per imported bill, due-date reminders, both exactly once per bill."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import responses
from django.db import connection
from django.utils import timezone

from billing import tasks
from billing.models import Bill, BillImport
from billing.services.notices import (
    bill_notices_for_import,
    bill_notices_send,
    bill_reminders_send,
    bill_sms_context,
    bill_sms_text,
    reminder_rows,
)
from notifications.models import OutboxMessage
from notifications.texts import render_sms
from portal.digits import to_persian_digits
from tests.billing.factories import BillFactory, paid
from tests.factories import CityFactory, DistrictOfficeFactory, SubscriptionFactory
from tests.notifications.stubs import API_KEY, SENDARRAY_URL, SENDER, form, sendarray_callback

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 1, 10)  # 1403/10/21


@pytest.fixture
def kave(settings) -> Iterator[responses.RequestsMock]:
    """Kavenegar at the HTTP layer: sendarray answers per receptor; anything else is refused."""
    settings.SMS_BACKEND = "kavenegar"
    settings.KAVENEGAR_API_KEY = API_KEY
    settings.KAVENEGAR_SENDER = SENDER
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("POST", SENDARRAY_URL, callback=sendarray_callback)
        yield mock


@pytest.fixture
def office():
    return DistrictOfficeFactory()


@pytest.fixture
def bill_import() -> BillImport:
    return new_import("a")


def new_import(tag: str) -> BillImport:
    return BillImport.objects.create(kind=BillImport.Kind.BILLS, sha256=tag * 64, file_name=tag)


def make_bills(n: int, *, office, start: int = 0, mobiles=None, **fields) -> list[Bill]:
    """``n`` subscriptions of ``office`` with one bill each, inserted in two statements."""
    city = CityFactory()
    subscriptions = SubscriptionFactory.build_batch(n, office=office, city=city)
    for i, subscription in enumerate(subscriptions):
        subscription.mobile = mobiles[i] if mobiles else f"0912{start + i:07d}"
    SubscriptionFactory._meta.model.objects.bulk_create(subscriptions)
    bills = [BillFactory.build(subscription=s, **fields) for s in subscriptions]
    return Bill.objects.bulk_create(bills)


def notice_outbox():
    return OutboxMessage.objects.filter(idempotency_key__startswith="bill-notice:")


def reminder_outbox():
    return OutboxMessage.objects.filter(idempotency_key__startswith="bill-reminder:")


def supersede(old: Bill, **fields) -> Bill:
    """A corrected bill for ``old``'s period; ``old`` stays in history as superseded."""
    new = BillFactory(
        subscription=old.subscription,
        year=old.year,
        period=old.period,
        kind=Bill.Kind.CORRECTED,
        version=old.version + 1,
        amount=old.amount + 100_000,
        **fields,
    )
    Bill.objects.filter(pk=old.pk).update(status=Bill.Status.SUPERSEDED, superseded_by=new)
    return new


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["bill_notice", "bill_reminder"])
@pytest.mark.parametrize("corrected", [False, True])
def test_fast_text_is_the_template_rendered(template, corrected):
    fields = {
        "company_kind": "gas",
        "amount": 1_250_000,
        "due_date": dt.date(2024, 10, 6),
        "bill_id": "1234567890123",
        "payment_id": "125030754",
        "corrected": corrected,
    }
    assert bill_sms_text(template, **fields) == render_sms(template, bill_sms_context(**fields))


def test_notice_text_has_amount_due_date_and_ids_in_persian_digits(office, bill_import):
    [bill] = make_bills(
        1, office=office, source=bill_import, amount=1_250_000, due_date=dt.date(2024, 10, 6)
    )
    bill_notices_for_import(bill_import=bill_import)
    [row] = notice_outbox()
    assert row.idempotency_key == f"bill-notice:{bill.pk}"
    assert row.kind == OutboxMessage.Kind.BILL_NOTICE
    assert row.recipient == bill.subscription.mobile
    text = row.text
    assert "۱٬۲۵۰٬۰۰۰ ریال" in text
    assert "۱۵ مهر ۱۴۰۳" in text  # 2024-10-06
    assert to_persian_digits(bill.subscription.bill_id) in text
    assert to_persian_digits(bill.payment_id) in text
    assert "برق" in text
    assert "اصلاحی" not in text
    assert not any(ch.isascii() and ch.isdigit() for ch in text)
    assert len(text) <= 134  # two parts of a Unicode SMS


# --------------------------------------------------------------------------------------------
# Notices
# --------------------------------------------------------------------------------------------


def test_one_notice_per_new_bill_of_the_import_and_twice_adds_nothing(office, bill_import):
    bills = make_bills(3, office=office, source=bill_import)
    make_bills(1, office=office, start=10, source=new_import("b"))  # another file
    make_bills(1, office=office, start=20, source=bill_import, kind=Bill.Kind.SETTLEMENT)
    [paid_bill] = make_bills(1, office=office, start=30, source=bill_import)
    paid(paid_bill)

    assert bill_notices_for_import(bill_import=bill_import) == 3
    assert sorted(notice_outbox().values_list("idempotency_key", flat=True)) == sorted(
        f"bill-notice:{b.pk}" for b in bills
    )
    assert bill_notices_for_import(bill_import=bill_import) == 0
    assert notice_outbox().count() == 3


def test_import_task_twice_queues_one_sms_per_bill(office, bill_import):
    make_bills(4, office=office, source=bill_import)
    tasks.bill_notices_for_import.delay(import_id=bill_import.pk)
    tasks.bill_notices_for_import.delay(import_id=bill_import.pk)
    assert notice_outbox().count() == 4
    assert notice_outbox().values("recipient").distinct().count() == 4


def test_import_task_for_a_missing_import_does_nothing():
    assert tasks.bill_notices_for_import.apply(kwargs={"import_id": 987_654}).get() == 0
    assert not OutboxMessage.objects.exists()


def test_corrected_bill_gets_its_own_notice_and_says_so(office, bill_import):
    [old] = make_bills(1, office=office, source=bill_import)
    bill_notices_for_import(bill_import=bill_import)
    correction = new_import("c")
    new = supersede(old, source=correction)

    assert bill_notices_for_import(bill_import=correction) == 1
    assert bill_notices_for_import(bill_import=bill_import) == 0  # the old one is superseded
    first, second = notice_outbox().order_by("pk")
    assert first.idempotency_key == f"bill-notice:{old.pk}"
    assert second.idempotency_key == f"bill-notice:{new.pk}"
    assert second.text.startswith("قبض اصلاحی")
    assert to_persian_digits(new.payment_id) in second.text
    assert "۱٬۳۵۰٬۰۰۰" in second.text


def test_subscription_without_a_valid_mobile_is_skipped_and_counted(office, bill_import):
    bills = make_bills(
        3, office=office, source=bill_import, mobiles=["", "02133445566", "09351234567"]
    )
    result = bill_notices_send(bills=Bill.objects.filter(source=bill_import))
    assert len(result.created_ids) == 1
    assert sorted(key for key, _ in result.invalid) == sorted(
        f"bill-notice:{b.pk}" for b in bills[:2]
    )
    assert list(notice_outbox().values_list("recipient", flat=True)) == ["09351234567"]


def test_450_bills_go_out_in_three_sendarray_calls(
    kave, office, bill_import, django_capture_on_commit_callbacks
):
    make_bills(450, office=office, source=bill_import)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.bill_notices_for_import.delay(import_id=bill_import.pk)
        assert len(kave.calls) == 0  # nothing leaves before commit
    assert len(callbacks) == 3
    sizes = [len(json.loads(form(call)["receptor"])) for call in kave.calls]
    assert sizes == [200, 200, 50]
    assert set(notice_outbox().values_list("status", flat=True)) == {OutboxMessage.Status.SENT}

    with django_capture_on_commit_callbacks(execute=True):
        tasks.bill_notices_for_import.delay(import_id=bill_import.pk)
    assert len(kave.calls) == 3


def test_notices_stream_in_a_constant_number_of_queries(
    office, bill_import, django_assert_max_num_queries
):
    make_bills(30, office=office, source=bill_import)
    # Streaming select (+ server-side cursor statements) and one INSERT … RETURNING.
    with django_assert_max_num_queries(8):
        assert bill_notices_for_import(bill_import=bill_import) == 30


# --------------------------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------------------------


def age(bills: list[Bill], days: int = 5) -> None:
    Bill.objects.filter(pk__in=[b.pk for b in bills]).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


def due(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


def test_reminder_for_unpaid_bills_due_in_n_days_and_twice_adds_nothing(office, settings):
    settings.BILL_REMINDER_DAYS = 3
    [on_time] = make_bills(1, office=office, start=0, due_date=due(3))
    [one_day_late] = make_bills(1, office=office, start=1, due_date=due(2))  # beat missed a day
    too_close = make_bills(1, office=office, start=2, due_date=due(1))
    too_far = make_bills(1, office=office, start=3, due_date=due(4))
    overdue = make_bills(1, office=office, start=4, due_date=due(-1))
    age([on_time, one_day_late, *too_close, *too_far, *overdue])

    assert bill_reminders_send(today=TODAY) == 2
    assert sorted(reminder_outbox().values_list("idempotency_key", flat=True)) == sorted(
        [f"bill-reminder:{on_time.pk}", f"bill-reminder:{one_day_late.pk}"]
    )
    text = reminder_outbox().get(idempotency_key=f"bill-reminder:{on_time.pk}").text
    assert text.startswith("یادآوری")
    assert to_persian_digits(on_time.payment_id) in text
    assert "۲۴ دی ۱۴۰۳" in text  # 2025-01-13

    assert bill_reminders_send(today=TODAY) == 0  # the next hourly run
    # The next day only the bill now due in three days is new.
    assert bill_reminders_send(today=TODAY + dt.timedelta(days=1)) == 1
    assert reminder_outbox().filter(idempotency_key=f"bill-reminder:{too_far[0].pk}").exists()
    assert reminder_outbox().count() == 3


def test_no_reminder_for_paid_superseded_or_fresh_bills(office, settings):
    settings.BILL_REMINDER_DAYS = 3
    [unpaid, paid_bill, old] = make_bills(3, office=office, due_date=due(3))
    make_bills(1, office=office, start=10, due_date=due(3))  # fresh: its notice just went out
    paid(paid_bill)
    correction = supersede(old, due_date=due(3))
    age([unpaid, paid_bill, old, correction])

    assert bill_reminders_send(today=TODAY) == 2
    assert sorted(reminder_outbox().values_list("idempotency_key", flat=True)) == sorted(
        [f"bill-reminder:{unpaid.pk}", f"bill-reminder:{correction.pk}"]
    )


def test_reminder_task_uses_the_settings_and_tehran_today(office, settings):
    settings.BILL_REMINDER_DAYS = 3
    today = timezone.localdate()
    [bill] = make_bills(1, office=office, due_date=today + dt.timedelta(days=3))
    age([bill])
    tasks.bill_reminders_send.delay()
    tasks.bill_reminders_send.delay()
    assert list(reminder_outbox().values_list("idempotency_key", flat=True)) == [
        f"bill-reminder:{bill.pk}"
    ]


@pytest.mark.postgres
def test_reminder_query_can_use_the_partial_index():
    first, last = due(2), due(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = reminder_rows(first=first, last=last, now=timezone.now()).explain()
    assert "bill_unpaid_due" in plan
