"""Bill SMS: the notice of a newly imported bill and the reminder before its due date.

Paper bills are gone: the notice *is* the bill, so it must go out once per bill and never
twice. Both paths go through the SMS outbox (``sms_enqueue_bulk``): one row per bill keyed
``bill-notice:<bill pk>`` or ``bill-reminder:<bill pk>``, inserted with ``ON CONFLICT DO
NOTHING``, and one ``sms_deliver_batch`` task per ≤200 new rows (one Kavenegar sms_sendarray
call) after commit. A repeated import task, a task the broker delivers twice or an hourly
reminder run that overlaps the previous one therefore adds nothing.

Decisions:

- A notice goes to every *issued, unpaid* bill of kind periodic or corrected. Settlement and
  provisional bills are computed here from a request and announced by that request's own SMS.
- A corrected bill is a new row (new pk, next version; the old one is superseded), so it gets
  its own notice key and the text says «قبض اصلاحی»: the subscriber must pay the new payment
  ID, not the one in the first notice. A superseded bill gets neither notice nor reminder: its
  payment ID is void.
- Reminders: unpaid issued bills (any kind) due ``BILL_REMINDER_DAYS`` days from today
  (Tehran), with one day of catch-up (a day without beat still reminds, a day late, never on or
  after the due date), skipping bills created in the last ``NOTICE_QUIET`` (their notice just
  went out) and bills already reminded (an anti-join on the outbox key, so the hourly run does
  not re-render what it queued an hour ago). The query runs on the partial index
  ``bill_unpaid_due``.
- Texts come from ``templates/sms/bill_notice.txt`` and ``bill_reminder.txt``. Rendering a
  Django template a million times costs minutes, so each template (per flag combination) is
  rendered once with markers and turned into a ``str.format`` pattern; the templates get
  already formatted strings (Persian digits, Jalali date, grouped rials) and must not filter
  them. ``tests/billing/test_notices.py`` checks that the pattern and ``render_sms`` agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import islice

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from billing.models import Bill, BillImport
from notifications.models import OutboxMessage
from notifications.services import BulkEnqueueResult, BulkSms, sms_enqueue_bulk
from notifications.texts import render_sms
from portal.digits import to_persian_digits
from portal.jalali import jalali_display
from portal.templatetags.persian import rial
from subscribers.models import UtilityCompany

logger = logging.getLogger(__name__)

NOTICE_KEY = "bill-notice:{pk}"
REMINDER_KEY = "bill-reminder:{pk}"
NOTICE_KINDS = (Bill.Kind.PERIODIC, Bill.Kind.CORRECTED)
# Bills handed to one sms_enqueue_bulk call: its rows are inserted 1,000 at a time and their
# delivery is published when the call returns, so sending starts while the rest is queued.
ENQUEUE_SLAB = 10_000
STREAM_CHUNK = 5_000
# A reminder this soon after the bill arrived would repeat the notice.
NOTICE_QUIET = dt.timedelta(days=1)
# How many days late a missed reminder is still sent (never on or after the due date).
REMINDER_CATCH_UP_DAYS = 1

_FIELDS = ("company", "amount", "due_date", "bill_id", "payment_id")
_COMPANY = {kind: str(label) for kind, label in UtilityCompany.Kind.choices}
# values_list columns, in the order _messages() unpacks them.
_COLUMNS = (
    "pk",
    "kind",
    "version",
    "amount",
    "due_date",
    "payment_id",
    "subscription__mobile",
    "subscription__bill_id",
    "subscription__company__kind",
)


def bill_notices_for_import(*, bill_import: BillImport) -> int:
    """Queue the notice of every new issued, unpaid periodic or corrected bill of
    ``bill_import``; returns how many were queued now (0 when the task runs again)."""
    bills = Bill.objects.filter(source=bill_import, kind__in=NOTICE_KINDS)
    result = bill_notices_send(bills=bills)
    logger.info(
        "Bill notices for import %s: %d queued, %d already queued, %d skipped (no valid mobile)",
        bill_import.pk,
        len(result.created_ids),
        result.duplicates,
        len(result.invalid),
    )
    return len(result.created_ids)


def bill_notices_send(*, bills: QuerySet[Bill]) -> BulkEnqueueResult:
    """Queue one notice per issued, unpaid bill of ``bills`` (``bill-notice:<pk>``).

    Streams the bills with one query (no per-row queries) and writes the outbox rows in the
    caller's transaction; delivery is published after commit in groups of ≤200. Bills already
    noticed are counted in ``duplicates``; subscriptions without a valid mobile are listed in
    ``invalid`` (``bill-notice:<pk>``, reason) and skipped.
    """
    rows = (
        bills.filter(status=Bill.Status.ISSUED, paid_at__isnull=True)
        .order_by("pk")
        .values_list(*_COLUMNS)
        .iterator(chunk_size=STREAM_CHUNK)
    )
    return _enqueue(_messages(rows, template="bill_notice", key=NOTICE_KEY))


def bill_reminders_send(*, today: dt.date | None = None) -> int:
    """Queue the due-date reminder of unpaid issued bills due ``BILL_REMINDER_DAYS`` from
    ``today`` (Tehran date; one day of catch-up); returns how many were queued.

    Run hourly by beat ("bill-reminders"). Safe to run twice or from two workers: bills with
    a reminder row are left out of the query, and a concurrent run's rows are skipped by the
    outbox key (``bill-reminder:<pk>``).
    """
    today = today or timezone.localdate()
    days = settings.BILL_REMINDER_DAYS
    last = today + dt.timedelta(days=days)
    first = max(last - dt.timedelta(days=REMINDER_CATCH_UP_DAYS), today + dt.timedelta(days=1))
    rows = reminder_rows(first=first, last=last, now=timezone.now()).iterator(
        chunk_size=STREAM_CHUNK
    )
    result = _enqueue(_messages(rows, template="bill_reminder", key=REMINDER_KEY))
    logger.info(
        "Bill reminders for %s..%s: %d queued, %d already queued, %d skipped (no valid mobile)",
        first,
        last,
        len(result.created_ids),
        result.duplicates,
        len(result.invalid),
    )
    return len(result.created_ids)


def reminder_rows(*, first: dt.date, last: dt.date, now: dt.datetime) -> QuerySet:
    """The rows :func:`bill_reminders_send` streams: unpaid issued bills due between ``first``
    and ``last`` (inclusive; exactly the predicate of the partial index ``bill_unpaid_due``, so
    PostgreSQL reads only that index), older than ``NOTICE_QUIET`` and without a reminder row
    (an anti-join on the outbox's unique key)."""
    reminded = OutboxMessage.objects.filter(
        idempotency_key=Concat(
            Value(REMINDER_KEY.format(pk="")),
            Cast(OuterRef("pk"), output_field=CharField()),
            output_field=CharField(),
        )
    )
    return (
        Bill.objects.filter(
            status=Bill.Status.ISSUED,
            paid_at__isnull=True,
            due_date__gte=first,
            due_date__lte=last,
            created_at__lte=now - NOTICE_QUIET,
        )
        .filter(~Exists(reminded))
        .order_by("pk")
        .values_list(*_COLUMNS)
    )


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------


def bill_sms_text(
    template: str,
    *,
    company_kind: str,
    amount: int,
    due_date: dt.date,
    bill_id: str,
    payment_id: str,
    corrected: bool = False,
) -> str:
    """The text of one bill SMS, as the bulk paths build it (see :func:`_pattern`)."""
    return _pattern(template, corrected).format_map(
        _fields(
            company_kind, amount, jalali_display(due_date, with_time=False), bill_id, payment_id
        )
    )


def bill_sms_context(
    *,
    company_kind: str,
    amount: int,
    due_date: dt.date,
    bill_id: str,
    payment_id: str,
    corrected: bool = False,
) -> dict[str, object]:
    """The context ``templates/sms/bill_*.txt`` are written for (for ``render_sms``)."""
    return {
        **_fields(
            company_kind, amount, jalali_display(due_date, with_time=False), bill_id, payment_id
        ),
        "corrected": corrected,
    }


def _fields(company_kind: str, amount: int, due: str, bill_id: str, payment_id: str) -> dict:
    return {
        "company": _COMPANY.get(company_kind, ""),
        "amount": rial(amount),
        "due_date": due,
        "bill_id": to_persian_digits(bill_id),
        "payment_id": to_persian_digits(payment_id),
    }


@lru_cache(maxsize=16)
def _pattern(template: str, corrected: bool) -> str:
    """``templates/sms/<template>.txt`` rendered once with markers, as a ``str.format``
    pattern. Raises ImproperlyConfigured if the template alters a field (a filter on it)."""
    markers = {name: f"\x00{name}\x00" for name in _FIELDS}
    text = render_sms(template, {**markers, "corrected": corrected})
    text = text.replace("{", "{{").replace("}", "}}")
    for name, marker in markers.items():
        text = text.replace(marker, "{" + name + "}")
    if "\x00" in text:
        raise ImproperlyConfigured(
            f"sms/{template}.txt must print its fields as given (they arrive formatted)"
        )
    return text


def _messages(rows: Iterable[tuple], *, template: str, key: str) -> Iterator[BulkSms]:
    due_texts: dict[dt.date, str] = {}  # an import has a handful of due dates
    for pk, kind, version, amount, due, payment_id, mobile, bill_id, company_kind in rows:
        due_text = due_texts.get(due)
        if due_text is None:
            due_text = due_texts[due] = jalali_display(due, with_time=False)
        corrected = kind == Bill.Kind.CORRECTED or version > 1
        text = _pattern(template, corrected).format_map(
            _fields(company_kind, amount, due_text, bill_id, payment_id)
        )
        yield BulkSms(recipient=mobile, text=text, idempotency_key=key.format(pk=pk))


def _enqueue(messages: Iterator[BulkSms]) -> BulkEnqueueResult:
    """Feed ``messages`` to sms_enqueue_bulk ``ENQUEUE_SLAB`` at a time; one summed result."""
    total = BulkEnqueueResult()
    while slab := list(islice(messages, ENQUEUE_SLAB)):
        result = sms_enqueue_bulk(kind=OutboxMessage.Kind.BILL_NOTICE, messages=slab)
        total.created_ids.extend(result.created_ids)
        total.duplicates += result.duplicates
        total.invalid.extend(result.invalid)
    return total
