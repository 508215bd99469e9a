"""Self meter reading (ثبت کارکرد, seed 000; DOMAIN.md §2) and the computed bills it and a
settlement produce.

A subscriber (or a kiosk operator for them) submits the meter's current reading. It is
checked here — the owner's or tenant's own electricity or gas subscription, a whole number not
below the previous reading unless the register rolled over, a plausible daily average, a date
after the last bill and not in the future — and then filed as a request of the self-reading
type through the request engine, so office staff approve it like any other request. When the
request completes, ``provisional_bill_issue`` (called from the engine's completion hook)
computes a provisional bill (علی‌الحساب) from the tariff and sends it by SMS.

Both a provisional and a settlement bill are issued by ``computed_bill_issue``: it bills from
the subscription's latest issued bill to the new reading. A second bill of the same kind for
the same Jalali month supersedes the first (version + 1, the old one kept in history).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import jdatetime
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from billing.models import Bill
from billing.services.tariffs import bill_compute, consumption_between, latest_issued_bill
from notifications.models import OutboxMessage
from notifications.services import sms_enqueue_rendered
from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import generate_payment_id
from portal.jalali import jalali_display, parse_jalali_date
from requests_app.models import RequestType, ServiceRequest
from requests_app.models.documents import private_storage
from requests_app.services.documents import document_upload, document_validate
from requests_app.services.workflow import request_file, request_submit
from subscribers.models import KioskOffice, Subscription, SubscriptionLink, User, UtilityCompany
from subscribers.selectors.subscriptions import active_links

logger = logging.getLogger(__name__)

READING_KINDS = (UtilityCompany.Kind.ELECTRICITY, UtilityCompany.Kind.GAS)
# A reading is refused when its daily average exceeds this many times the subscription's
# average over the last year of bills: a misread or mistyped digit, not real use.
PLAUSIBLE_FACTOR = 5
HISTORY_DAYS = 365
# …but never below this floor (units/day): a house that stood empty last year may be lived in.
PLAUSIBLE_FLOOR = {UtilityCompany.Kind.ELECTRICITY: 20, UtilityCompany.Kind.GAS: 15}
# Without a year of history: the most a residential or small commercial meter plausibly
# counts in a day (kWh: a 3-phase 63 A branch running flat out ≈ 1,000; gas: a large house in
# a cold winter ≈ 60 m³).
ABSOLUTE_DAILY_CAP = {UtilityCompany.Kind.ELECTRICITY: 1000, UtilityCompany.Kind.GAS: 200}
MAX_READING = 10**12
PROVISIONAL_DUE_DAYS = 10

BELOW_PREVIOUS = "reading_below_previous"
ROLLOVER_HINT = (
    "اگر شمارنده کنتور پس از رسیدن به بیشترین عدد از صفر دوباره شروع کرده است، "
    "گزینه «کنتور دور زده است» را انتخاب کنید."
)


def _fa_number(value: int) -> str:
    return to_persian_digits(f"{value:,}").replace(",", "٬")


def _invalid(fields: dict[str, list[str]], code: str = "invalid_reading") -> PortalError:
    return PortalError(
        code,
        "اطلاعات کارکرد نادرست است: "
        + " ".join(message for messages in fields.values() for message in messages),
        fields=fields,
    )


# --- Where a new bill starts ------------------------------------------------------------------


@dataclass(frozen=True)
class Basis:
    """What a new computed bill continues from: the reading and day after the last bill, the
    debt it carries and the same-month bill of its kind it will supersede (if any)."""

    previous_reading: int
    period_start: dt.date
    last_period_end: dt.date | None
    debt: int
    supersedes: Bill | None = None


def _start_without_bills(subscription: Subscription, read_on: dt.date) -> dt.date:
    # No bill yet: count from the day the subscription entered the portal (the closest we
    # know to the meter's installation), never after the reading itself.
    return min(timezone.localdate(subscription.created_at), read_on)


def reading_basis(
    *, subscription: Subscription, read_on: dt.date, kind: str | None = None
) -> Basis:
    """Where a bill of ``kind`` read on ``read_on`` starts. When the latest issued bill is
    itself a bill of ``kind`` for the same Jalali month, the new one replaces it and so starts
    where that one started, carrying its debt less what was paid on it."""
    latest = latest_issued_bill(subscription=subscription)
    same = None
    if kind is not None:
        year, period = jalali_period(read_on)
        same = Bill.objects.filter(
            subscription=subscription,
            year=year,
            period=period,
            kind=kind,
            status=Bill.Status.ISSUED,
        ).first()
    if latest is None:
        return Basis(0, _start_without_bills(subscription, read_on), None, 0, same)
    if same is not None and same.pk == latest.pk:
        return Basis(
            previous_reading=same.previous_reading,
            period_start=same.period_start,
            last_period_end=same.period_start - dt.timedelta(days=1),
            debt=same.debt - same.paid_amount,
            supersedes=same,
        )
    return Basis(
        previous_reading=latest.current_reading,
        period_start=latest.period_end + dt.timedelta(days=1),
        last_period_end=latest.period_end,
        debt=latest.balance,
        supersedes=same,
    )


def jalali_period(day: dt.date) -> tuple[int, int]:
    """The Jalali year and month of ``day``: a computed bill's year and period number."""
    j = jdatetime.date.fromgregorian(date=day)
    return j.year, j.month


# --- Parsing and checks -----------------------------------------------------------------------


def parse_reading(value: Any, *, field: str = "reading") -> int:
    """A meter reading as typed (Persian or ASCII digits, optional thousands separators)."""
    if isinstance(value, bool):
        raise _invalid({field: ["شماره کنتور باید عدد صحیح باشد."]})
    if isinstance(value, int):
        number = value
    else:
        text = normalize_digits(str(value if value is not None else "")).strip()
        text = text.replace(",", "").replace("٬", "").replace(" ", "")
        if not text:
            raise _invalid({field: ["شماره کنتور را وارد کنید."]})
        if not text.isdigit():
            raise _invalid({field: ["شماره کنتور باید عدد صحیح و بدون اعشار باشد."]})
        number = int(text)
    if number < 0 or number >= MAX_READING:
        raise _invalid({field: ["شماره کنتور معتبر نیست."]})
    return number


def parse_read_on(value: Any, *, field: str = "read_on") -> dt.date:
    """The reading's date: a ``date``, or Jalali (``1403/05/12``) / ISO text."""
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if value in (None, ""):
        raise _invalid({field: ["تاریخ قرائت کنتور را وارد کنید."]})
    try:
        return parse_jalali_date(str(value))
    except ValueError:
        raise _invalid({field: ["تاریخ قرائت معتبر نیست؛ به شکل ۱۴۰۳/۰۵/۱۲ وارد کنید."]}) from None


def reading_check(
    *,
    subscription: Subscription,
    reading: int,
    read_on: dt.date,
    rollover: bool,
    basis: Basis,
    plausibility: bool = True,
    field: str = "reading",
) -> int:
    """Check a reading against the subscription's last bill; return the consumption.

    Refuses (``PortalError`` naming ``read_on`` or ``field``) a date in the future or not
    after the last bill's period end, a reading below the previous one without ``rollover``
    (code ``reading_below_previous``, so forms can offer the rollover box), and — when
    ``plausibility`` — a daily average over ``PLAUSIBLE_FACTOR`` × last year's (or over
    ``ABSOLUTE_DAILY_CAP`` without history). Staff approval re-runs it without plausibility.
    """
    today = timezone.localdate()
    if read_on > today:
        raise _invalid({"read_on": ["تاریخ قرائت نمی‌تواند بعد از امروز باشد."]})
    if basis.last_period_end is not None and read_on <= basis.last_period_end:
        raise _invalid(
            {
                "read_on": [
                    "تاریخ قرائت باید بعد از پایان دوره آخرین قبض "
                    f"({jalali_display(basis.last_period_end)}) باشد."
                ]
            }
        )
    if reading < basis.previous_reading and not rollover:
        raise _invalid(
            {
                field: [
                    f"شماره کنتور ({to_persian_digits(reading)}) از شماره قبلی "
                    f"({to_persian_digits(basis.previous_reading)}) کمتر است. " + ROLLOVER_HINT
                ]
            },
            code=BELOW_PREVIOUS,
        )
    consumption = consumption_between(
        previous_reading=basis.previous_reading,
        current_reading=reading,
        rollover=rollover and reading < basis.previous_reading,
    )
    if plausibility:
        days = (read_on - basis.period_start).days + 1
        limit = daily_limit(subscription=subscription, read_on=read_on)
        if consumption > limit * days:
            raise _invalid(
                {
                    field: [
                        f"مصرف اعلام‌شده ({_fa_number(consumption)} در "
                        f"{to_persian_digits(days)} روز) با مصرف معمول این اشتراک "
                        f"(حداکثر {_fa_number(limit)} در روز) نمی‌خواند. شماره کنتور را دوباره "
                        "بخوانید؛ اگر درست است، با امور مشترکین تماس بگیرید."
                    ]
                },
                code="reading_implausible",
            )
    return consumption


def daily_limit(*, subscription: Subscription, read_on: dt.date) -> int:
    """The most units a day this subscription plausibly uses (see ``PLAUSIBLE_FACTOR``)."""
    kind = subscription.company.kind
    since = read_on - dt.timedelta(days=HISTORY_DAYS)
    bills = list(
        Bill.objects.filter(
            subscription=subscription, status=Bill.Status.ISSUED, period_end__gt=since
        ).values_list("consumption", "period_start", "period_end")
    )
    days = sum((end - start).days + 1 for _c, start, end in bills)
    used = sum(c for c, _s, _e in bills)
    if days < 30:  # less than a month of history says nothing about a normal day
        return ABSOLUTE_DAILY_CAP[kind]
    average = used / days
    return max(int(average * PLAUSIBLE_FACTOR) + 1, PLAUSIBLE_FLOOR[kind])


# --- Submitting a reading ---------------------------------------------------------------------


def _self_reading_type(kind: str) -> RequestType:
    request_type = (
        RequestType.objects.filter(
            company_kind=kind, behaviour=RequestType.Behaviour.SELF_READING, is_active=True
        )
        .order_by("order", "id")
        .first()
    )
    if request_type is None:
        raise PortalError("type_inactive", "ثبت کارکرد برای این شرکت در حال حاضر ارائه نمی‌شود.")
    return request_type


def _photo_requirement(request_type: RequestType):
    requirement = request_type.documents.order_by("order", "id").first()
    if requirement is None:
        raise _invalid({"photo": ["برای این خدمت بارگذاری تصویر کنتور پیش‌بینی نشده است."]})
    return requirement


def reading_submit(
    *,
    subscription: Subscription,
    reading: Any,
    read_on: Any,
    actor: User,
    channel: str,
    on_behalf_of: User | None = None,
    kiosk: KioskOffice | None = None,
    rollover_confirmed: bool = False,
    photo: Any = None,
) -> ServiceRequest:
    """File a self meter reading for approval and return the submitted request.

    Preconditions: the applicant (``on_behalf_of`` when a kiosk operator acts, else
    ``actor``) is the owner or an active tenant of ``subscription`` — anyone else gets
    ``NotFound``; the subscription is electricity or gas; the reading and date pass
    ``reading_check``; an optional ``photo`` of the meter passes the request documents' upload
    rules. Side effects, all in one transaction (nothing is saved when anything fails): a
    request of the self-reading type with the reading, date and rollover in its fields, the
    photo as its document, the submitted event and, on commit, the submitted SMS.
    """
    applicant = on_behalf_of or actor
    if not (
        active_links()
        .filter(
            user=applicant,
            subscription=subscription,
            role__in=[SubscriptionLink.Role.OWNER, SubscriptionLink.Role.TENANT],
        )
        .exists()
    ):
        raise NotFound()
    kind = subscription.company.kind
    if kind not in READING_KINDS:
        raise _invalid({"bill_id": ["ثبت کارکرد فقط برای اشتراک برق و گاز ممکن است."]})
    errors: dict[str, list[str]] = {}
    try:
        reading = parse_reading(reading)
    except PortalError as exc:
        errors.update(exc.fields)
    try:
        read_on = parse_read_on(read_on)
    except PortalError as exc:
        errors.update(exc.fields)
    if errors:
        raise _invalid(errors)
    request_type = _self_reading_type(kind)
    requirement = None
    if photo is not None:
        requirement = _photo_requirement(request_type)
        try:
            document_validate(upload=photo)
        except PortalError as exc:
            raise PortalError(
                exc.code, exc.message, fields={"photo": exc.fields.get("file", [exc.message])}
            ) from None

    stored = ""
    try:
        with transaction.atomic():
            # One reading at a time per subscription: the basis must not move under us.
            Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
            basis = reading_basis(subscription=subscription, read_on=read_on)
            rollover = bool(rollover_confirmed) and reading < basis.previous_reading
            consumption = reading_check(
                subscription=subscription,
                reading=reading,
                read_on=read_on,
                rollover=rollover,
                basis=basis,
            )
            request = request_file(
                request_type=request_type,
                applicant=applicant,
                actor=actor,
                channel=channel,
                kiosk=kiosk,
                on_behalf_of=on_behalf_of,
                subscription=subscription,
                fields={
                    "reading": reading,
                    "read_on": jdatetime.date.fromgregorian(date=read_on).strftime("%Y/%m/%d"),
                    "rollover": "yes" if rollover else "no",
                },
                description=(
                    f"شماره قبلی کنتور: {to_persian_digits(basis.previous_reading)}؛ "
                    f"مصرف: {_fa_number(consumption)} از {jalali_display(basis.period_start)} "
                    f"تا {jalali_display(read_on)}."
                ),
                submit=False,
            )
            if photo is not None:
                document = document_upload(
                    request=request,
                    requirement_id=requirement.pk,
                    upload=photo,
                    actor=actor,
                    on_behalf_of=on_behalf_of,
                )
                stored = document.file.name
            request = request_submit(request=request, actor=actor, on_behalf_of=on_behalf_of)
    except BaseException:
        if stored:
            # The upload service removes its file when its own step fails; a later failure
            # (the submit) rolls its row back here, so the file must go too.
            private_storage.delete(stored)
        raise
    return request


# --- Issuing a computed bill ------------------------------------------------------------------


def _request_reading(request: ServiceRequest, reading_field: str) -> tuple[int, dt.date, bool]:
    values = request.fields or {}
    reading = parse_reading(values.get(reading_field), field=reading_field)
    read_on = parse_read_on(values.get("read_on"))
    return reading, read_on, values.get("rollover") in ("yes", True, "1", 1)


def computed_bill_issue(
    *, request: ServiceRequest, kind: str, reading_field: str, sms_template: str
) -> Bill:
    """Issue the ``kind`` bill of a completed self-reading or settlement ``request`` and queue
    its SMS. Exactly once per request: if the request already has a bill of ``kind`` that one
    is returned and nothing else happens.

    Preconditions: runs inside the completing transaction (the engine's completion hook); the
    request's fields hold ``reading_field``, ``read_on`` and optionally ``rollover``, which are
    checked again (the last bill may have changed since filing), without the plausibility
    check that the approving staff have overridden. Side effects: the bill (payment ID for its
    exact amount, year and period), the superseded same-month bill of ``kind`` if any, and
    one SMS to the applicant (idempotency key per bill) after commit.
    """
    with transaction.atomic():
        # Serialise bills of one subscription (a periodic import or another approval).
        subscription = (
            Subscription.objects.select_for_update()
            .select_related("company")
            .get(pk=request.subscription_id)
        )
        existing = Bill.objects.filter(request=request, kind=kind).order_by("-version").first()
        if existing is not None:
            return existing
        reading, read_on, rollover = _request_reading(request, reading_field)
        basis = reading_basis(subscription=subscription, read_on=read_on, kind=kind)
        rollover = rollover and reading < basis.previous_reading
        reading_check(
            subscription=subscription,
            reading=reading,
            read_on=read_on,
            rollover=rollover,
            basis=basis,
            plausibility=False,
            field=reading_field,
        )
        lines = bill_compute(
            subscription=subscription,
            previous_reading=basis.previous_reading,
            current_reading=reading,
            period_start=basis.period_start,
            period_end=read_on,
            rollover=rollover,
            debt=basis.debt,
        )
        year, period = jalali_period(read_on)
        version = (
            Bill.objects.filter(
                subscription=subscription, year=year, period=period, kind=kind
            ).aggregate(v=Max("version"))["v"]
            or 0
        ) + 1
        old = basis.supersedes
        if old is not None:
            # At most one issued bill per month and kind: the old one steps aside first. It
            # points at itself for a moment (the constraint wants a successor) and at the new
            # bill once that exists, all inside this transaction.
            Bill.objects.filter(pk=old.pk).update(
                status=Bill.Status.SUPERSEDED, superseded_by_id=old.pk
            )
        payment_id = (
            generate_payment_id(
                bill_id=subscription.bill_id,
                amount_rial=lines.amount,
                jalali_year=year,
                period=period,
            )
            if lines.amount > 0
            else ""
        )
        bill = Bill.objects.create(
            subscription=subscription,
            year=year,
            period=period,
            period_start=basis.period_start,
            period_end=read_on,
            **lines.bill_fields(),
            due_date=timezone.localdate() + dt.timedelta(days=PROVISIONAL_DUE_DAYS),
            payment_id=payment_id,
            kind=kind,
            version=version,
            request=request,
        )
        if old is not None:
            Bill.objects.filter(pk=old.pk).update(superseded_by=bill)
        _bill_sms(bill=bill, request=request, template=sms_template)
    return bill


def _bill_sms(*, bill: Bill, request: ServiceRequest, template: str) -> None:
    applicant = request.applicant
    mobile = applicant.mobile or bill.subscription.mobile
    if not mobile:
        logger.warning("computed bill %s: the applicant has no mobile", bill.uid)
        return
    sms_enqueue_rendered(
        recipient=mobile,
        kind=OutboxMessage.Kind.BILL_NOTICE,
        template_name=template,
        context={
            "company": bill.subscription.company.short_name or bill.subscription.company.name,
            "number": to_persian_digits(request.number),
            "amount": _fa_number(bill.amount),
            "bill_id": to_persian_digits(bill.subscription.bill_id),
            "payment_id": to_persian_digits(bill.payment_id),
            "consumption": _fa_number(bill.consumption),
            "unit": bill.unit,
            "read_on": jalali_display(bill.period_end),
            "due_date": jalali_display(bill.due_date),
        },
        idempotency_key=f"bill-computed:{bill.uid}",
    )


def provisional_bill_issue(*, request: ServiceRequest) -> Bill:
    """The provisional bill (علی‌الحساب) of an approved self reading; see
    ``computed_bill_issue`` for preconditions and side effects."""
    return computed_bill_issue(
        request=request,
        kind=Bill.Kind.PROVISIONAL,
        reading_field="reading",
        sms_template="bill_provisional",
    )


__all__ = [
    "BELOW_PREVIOUS",
    "Basis",
    "computed_bill_issue",
    "daily_limit",
    "jalali_period",
    "parse_read_on",
    "parse_reading",
    "provisional_bill_issue",
    "reading_basis",
    "reading_check",
    "reading_submit",
]
