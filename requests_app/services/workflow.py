"""The staged workflow: filing and one service per transition.

Every move goes through ``_move``: inside one transaction it re-reads the request with
``SELECT … FOR UPDATE``, refuses if the row is no longer in the state the caller saw (another
staff member acted first — exactly one of two concurrent actions wins), checks the caller's
role against ``TRANSITIONS``, saves only the changed fields, writes a ``RequestEvent`` and
queues the applicant's SMS on commit.

Stages run in a fixed order — documents → payment → visit → approval — and a type may skip
any of them. ``next_status`` says where a request goes once the stages before it are done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import generate_tracking_number
from requests_app.models import (
    Actor,
    BillingAdjustment,
    Channel,
    Payment,
    RequestDocument,
    RequestEvent,
    RequestType,
    ServiceRequest,
    Status,
    VisitAppointment,
    transition_allowed,
)
from requests_app.services.fields import fields_clean
from requests_app.services.notify import documents_missing, notify_event
from subscribers import roles
from subscribers.models import (
    City,
    DistrictOffice,
    KioskOffice,
    Subscription,
    SubscriptionLink,
    User,
    UtilityCompany,
)
from subscribers.permissions import sees_all_offices
from subscribers.selectors.subscriptions import active_links

REQUEST_NUMBER_LENGTH = 10
METER_TEST_VALID_FOR = dt.timedelta(days=365)

CONFLICT_MESSAGE = (
    "وضعیت این درخواست همین حالا تغییر کرده است (اکنون: «{status}»)؛ "
    "احتمالاً همکار دیگری زودتر اقدام کرده است. صفحه را دوباره باز کنید."
)


# --- Roles --------------------------------------------------------------------------------


def staff_role(*, user: User, office_id: int) -> str | None:
    """The workflow role ``user`` has on requests of ``office_id``: supervisor, clerk or None.

    System administrators and superusers act as supervisors everywhere; other staff only in
    their own office."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return None
    if sees_all_offices(user):
        return Actor.SUPERVISOR
    if user.office_id != office_id:
        return None
    names = set(user.groups.values_list("name", flat=True))
    if roles.OFFICE_SUPERVISOR in names:
        return Actor.SUPERVISOR
    if roles.OFFICE_CLERK in names:
        return Actor.CLERK
    return None


def actor_role(*, request: ServiceRequest, actor: User | None, on_behalf_of: User | None) -> str:
    """Which row of the transition table ``actor`` acts under; ``NotFound`` when none (an
    outsider must not learn that the request exists)."""
    if actor is None:
        return Actor.SYSTEM
    if request.applicant_id in (actor.pk, getattr(on_behalf_of, "pk", None)):
        return Actor.APPLICANT
    role = staff_role(user=actor, office_id=request.office_id)
    if role is None:
        raise NotFound()
    return role


# --- The one way status changes ------------------------------------------------------------


def _lock(request: ServiceRequest) -> ServiceRequest:
    locked = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("request_type", "applicant", "office")
        .get(pk=request.pk)
    )
    if locked.status != request.status:
        raise PortalError(
            "conflict",
            CONFLICT_MESSAGE.format(status=locked.get_status_display()),
            status_code=409,
        )
    return locked


def _move(
    request: ServiceRequest,
    *,
    to: str,
    role: str,
    actor: User | None,
    on_behalf_of: User | None = None,
    note: str = "",
    fields: dict[str, Any] | None = None,
    notify: bool = True,
    now: dt.datetime | None = None,
) -> RequestEvent:
    """Move a request that the caller has already locked. Must run inside ``atomic``."""
    old = request.status
    if not transition_allowed(old, to, role):
        raise PortalError(
            "transition_not_allowed",
            f"این اقدام در وضعیت «{request.get_status_display()}» ممکن نیست.",
            status_code=409,
        )
    now = now or timezone.now()
    changed = ["status", "updated_at"]
    request.status = to
    for name, value in (fields or {}).items():
        setattr(request, name, value)
        changed.append(name)
    if to == Status.SUBMITTED and request.submitted_at is None:
        request.submitted_at = now
        request.due_at = now + dt.timedelta(hours=request.request_type.sla_hours)
        changed += ["submitted_at", "due_at"]
    if to in (Status.COMPLETED, Status.REJECTED, Status.CANCELLED):
        request.closed_at = now
        changed.append("closed_at")
    request.save(update_fields=changed)
    event = RequestEvent.objects.create(
        request=request,
        old_status=old,
        new_status=to,
        actor=actor,
        actor_role=role,
        on_behalf_of=on_behalf_of,
        note=note,
        created_at=now,
    )
    if notify:
        notify_event(event)
    return event


def request_event_add(
    *,
    request: ServiceRequest,
    kind: str,
    actor: User | None,
    role: str,
    on_behalf_of: User | None = None,
    note: str = "",
) -> RequestEvent:
    """An event inside the current state (a document reviewed, a fee paid)."""
    return RequestEvent.objects.create(
        request=request,
        kind=kind,
        old_status=request.status,
        new_status=request.status,
        actor=actor,
        actor_role=role,
        on_behalf_of=on_behalf_of,
        note=note,
    )


# --- Where a request goes next -------------------------------------------------------------


def documents_accepted(request: ServiceRequest) -> bool:
    if "documents" not in request.request_type.stages:
        return True
    if documents_missing(request):
        return False
    return not RequestDocument.objects.filter(
        request=request, is_current=True, state=RequestDocument.State.PENDING
    ).exists()


def payments_settled(request: ServiceRequest) -> bool:
    return not request.payments.filter(state=Payment.State.PENDING).exists()


def visit_done(request: ServiceRequest) -> bool:
    if "visit" not in request.request_type.stages:
        return True
    return request.visits.filter(result=VisitAppointment.Result.DONE).exists()


def next_status(request: ServiceRequest) -> str:
    """The state a request waits in once the stages before it are done.

    A pending visit waits in SUBMITTED (the office's queue) until staff schedule it; a type
    with no approval stage also waits there for staff to complete it."""
    stages = request.request_type.stages
    if "documents" in stages and not documents_accepted(request):
        return Status.DOCUMENTS_REVIEW
    if "payment" in stages and not payments_settled(request):
        return Status.AWAITING_PAYMENT
    if "visit" in stages and not visit_done(request):
        return Status.SUBMITTED
    if "approval" in stages:
        return Status.APPROVAL
    return Status.COMPLETED


def _advance_after_submit(request: ServiceRequest, *, now: dt.datetime) -> bool:
    """Move a just-submitted request into its first stage. Returns True when the request was
    completed at once (a ``completes_at_once`` type with nothing left to do): its completion
    SMS then replaces the submitted one."""
    _on_submitted(request)
    target = next_status(request)
    if target == Status.COMPLETED and request.request_type.completes_at_once:
        _complete(request, role=Actor.SYSTEM, actor=None, now=now)
        return True
    if target in (Status.DOCUMENTS_REVIEW, Status.AWAITING_PAYMENT, Status.APPROVAL):
        # The submitted SMS already names the next step; this automatic move stays silent.
        _move(request, to=target, role=Actor.SYSTEM, actor=None, notify=False, now=now)
    return False


def _complete(
    request: ServiceRequest,
    *,
    role: str,
    actor: User | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> RequestEvent:
    """The one way a locked request becomes COMPLETED: move, apply its outcome in the same
    transaction, then tell the applicant once — the outcome's own confirmation when it sends
    one (a line service says what changed), else the generic completed SMS."""
    event = _move(
        request, to=Status.COMPLETED, role=role, actor=actor, note=note, notify=False, now=now
    )
    if not _on_completed(request, event=event):
        notify_event(event)
    return event


# --- Filing --------------------------------------------------------------------------------


def _applicant_link(*, applicant: User, subscription: Subscription) -> SubscriptionLink | None:
    return (
        active_links()
        .filter(user=applicant, subscription=subscription)
        .order_by("role")  # "owner" before "tenant"
        .first()
    )


def _office_for(*, company_kind: str, city: City) -> tuple[UtilityCompany, DistrictOffice]:
    office = (
        DistrictOffice.objects.filter(company__kind=company_kind, cities=city)
        .select_related("company")
        .order_by("company_id", "code")
        .first()
    )
    if office is None:
        raise PortalError(
            "no_office",
            f"در شهر {city.name} امور مشترکینی برای این خدمت نداریم.",
            fields={"city": ["برای این شهر امور مشترکینی ثبت نشده است."]},
        )
    return office.company, office


def _new_number() -> str:
    return generate_tracking_number(REQUEST_NUMBER_LENGTH)


def request_file(
    *,
    request_type: RequestType,
    applicant: User,
    actor: User,
    channel: str,
    subscription: Subscription | None = None,
    city: City | None = None,
    address: str = "",
    postal_code: str = "",
    fields: Any = None,
    description: str = "",
    on_behalf_of: User | None = None,
    kiosk: KioskOffice | None = None,
    submit: bool = True,
) -> ServiceRequest:
    """File a request for ``applicant`` and, unless ``submit`` is False, submit it.

    ``actor`` is who pressed the button: the applicant on the web or app, a kiosk operator
    (``on_behalf_of`` = applicant, ``kiosk`` set, channel kiosk — the kiosk fee applies), or an
    office clerk in admin (channel office). After-sales types need ``subscription`` linked to the
    applicant as owner (or tenant where the type allows it); a new connection takes ``city`` and
    ``address`` instead, and is one request however many branches it asks for. Fees are
    snapshotted into pending ``Payment`` rows. Refuses a second open request of the same type
    for the same subscription. Side effects: the submitted SMS, on commit.
    """
    if not request_type.is_active:
        raise PortalError("type_inactive", "این خدمت در حال حاضر ارائه نمی‌شود.")
    if not applicant.is_subscriber:
        raise PortalError("not_subscriber", "درخواست فقط به نام مشترک ثبت می‌شود.")
    if channel not in Channel.values:
        raise PortalError("invalid_channel", "مجرای ثبت نامعتبر است.")
    if channel == Channel.KIOSK and kiosk is None:
        raise PortalError("kiosk_required", "دفتر پیشخوان ثبت‌کننده مشخص نیست.")
    cleaned = fields_clean(schema=request_type.fields_schema, data=fields)
    address = (address or "").strip()
    if request_type.needs_subscription:
        if subscription is None:
            raise PortalError(
                "subscription_required",
                "برای این خدمت، اشتراک را انتخاب کنید.",
                fields={"subscription": ["اشتراک را انتخاب کنید."]},
            )
        if subscription.company.kind != request_type.company_kind:
            raise PortalError(
                "wrong_company",
                "این خدمت برای اشتراک انتخاب‌شده ارائه نمی‌شود.",
                fields={"subscription": ["این اشتراک مربوط به شرکت دیگری است."]},
            )
        link = _applicant_link(applicant=applicant, subscription=subscription)
        if link is None:
            raise NotFound()
        if link.role != SubscriptionLink.Role.OWNER and not request_type.tenant_allowed:
            raise PortalError(
                "owner_only",
                "این خدمت فقط به درخواست مالک اشتراک انجام می‌شود.",
                fields={"subscription": ["شما مستأجر این اشتراک هستید، نه مالک آن."]},
            )
        company, office, city = subscription.company, subscription.office, subscription.city
        address = subscription.address
        postal_code = subscription.postal_code
    else:
        errors = {}
        if city is None:
            errors["city"] = ["شهر محل را انتخاب کنید."]
        if not address:
            errors["address"] = ["نشانی محل را وارد کنید."]
        if errors:
            raise PortalError("invalid_location", "محل درخواست کامل نیست.", fields=errors)
        company, office = _office_for(company_kind=request_type.company_kind, city=city)
        subscription = None
    if request_type.behaviour == RequestType.Behaviour.SETTLEMENT:
        # Function-level import: billing's services import this engine.
        from billing.services.settlement import settlement_fields_check

        # The final reading is checked at filing, not first at approval.
        settlement_fields_check(subscription=subscription, fields=cleaned)
    elif request_type.behaviour == RequestType.Behaviour.LINE_SERVICE:
        # Function-level import, as for billing: the telecom services import this engine.
        from telecom.services.line_services import line_service_check

        # The line's e-services must be activated for the applicant; the service's own
        # field rules (dates, the toggle's target state) are checked before anything is saved.
        cleaned = line_service_check(
            request_type=request_type, applicant=applicant, subscription=subscription,
            fields=cleaned,
        )  # fmt: skip

    with transaction.atomic():
        if subscription is not None:
            # Serialise filings for one subscription so two quick clicks cannot both pass the
            # "one open request" check below.
            Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
            existing = (
                ServiceRequest.objects.filter(subscription=subscription, request_type=request_type)
                .exclude(status__in=[Status.COMPLETED, Status.REJECTED, Status.CANCELLED])
                .values_list("number", flat=True)
                .first()
            )
            if existing:
                raise PortalError(
                    "duplicate_open_request",
                    f"برای این اشتراک درخواست «{request_type.title}» باز دیگری با شماره "
                    f"{to_persian_digits(existing)} دارید؛ همان را پیگیری کنید.",
                )
        request = None
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    request = ServiceRequest.objects.create(
                        number=_new_number(),
                        request_type=request_type,
                        applicant=applicant,
                        subscription=subscription,
                        company=company,
                        office=office,
                        city=city,
                        address=address[:300],
                        postal_code=postal_code or "",
                        channel=channel,
                        kiosk=kiosk if channel == Channel.KIOSK else None,
                        fields=cleaned,
                        description=(description or "").strip()[:2000],
                    )
                break
            except IntegrityError:
                continue  # a number collision: draw again
        if request is None:  # pragma: no cover - five collisions in 10^9 numbers
            raise PortalError("number_exhausted", "ثبت درخواست ممکن نشد؛ دوباره تلاش کنید.")
        _create_payments(request, channel=channel, kiosk=kiosk)
        if submit:
            role = (
                Actor.APPLICANT if channel != Channel.OFFICE else _filing_staff_role(actor, office)
            )
            event = _move(
                request,
                to=Status.SUBMITTED,
                role=role,
                actor=actor,
                on_behalf_of=on_behalf_of,
                notify=False,
            )
            if not _advance_after_submit(request, now=request.submitted_at):
                # Sent after the automatic move so its "next step" names the real next stage.
                notify_event(event)
    return request


def _filing_staff_role(actor: User, office: DistrictOffice) -> str:
    role = staff_role(user=actor, office_id=office.pk)
    if role is None:
        raise PortalError("forbidden", "شما کارمند امور این درخواست نیستید.", status_code=403)
    return role


def _create_payments(request: ServiceRequest, *, channel: str, kiosk: KioskOffice | None) -> None:
    request_type = request.request_type
    if "payment" not in request_type.stages:
        return
    fees = [(Payment.Purpose.TARIFF, request_type.fee_for(channel))]
    if channel == Channel.KIOSK:
        fees.append((Payment.Purpose.KIOSK_CHARGE, request_type.kiosk_charge))
    for purpose, amount in fees:
        if amount:
            Payment.objects.create(
                request=request,
                purpose=purpose,
                amount=amount,
                channel=channel,
                kiosk=kiosk if channel == Channel.KIOSK else None,
                idempotency_key=f"request:{request.number}:{purpose}",
            )


def request_submit(
    *, request: ServiceRequest, actor: User, on_behalf_of: User | None = None
) -> ServiceRequest:
    """Submit a draft: the applicant (or an operator for them) sends it to the office."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=on_behalf_of)
        event = _move(
            locked,
            to=Status.SUBMITTED,
            role=role,
            actor=actor,
            on_behalf_of=on_behalf_of,
            notify=False,
        )
        if not _advance_after_submit(locked, now=locked.submitted_at):
            notify_event(event)
    return locked


# --- Transitions ---------------------------------------------------------------------------


def request_cancel(
    *,
    request: ServiceRequest,
    actor: User,
    on_behalf_of: User | None = None,
    note: str = "",
) -> ServiceRequest:
    """The applicant withdraws (until an inspector has been sent). Pending fees are cancelled."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=on_behalf_of)
        _move(
            locked,
            to=Status.CANCELLED,
            role=role,
            actor=actor,
            on_behalf_of=on_behalf_of,
            note=note.strip()[:500],
        )
        locked.payments.filter(state=Payment.State.PENDING).update(state=Payment.State.CANCELLED)
        _on_closed_unfinished(locked)
    return locked


def request_start_review(*, request: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    """Staff pick a submitted request up: it moves to its next stage (documents review,
    payment or approval); a request waiting for a visit stays for ``request_schedule_visit``."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        target = next_status(locked)
        if target in (Status.SUBMITTED, Status.COMPLETED):
            raise PortalError(
                "nothing_to_review",
                "این درخواست مرحله بررسی ندارد؛ "
                "وقت بازدید را تعیین کنید یا آن را انجام‌شده ثبت کنید.",
            )
        _move(locked, to=target, role=role, actor=actor, note=note)
    return locked


def request_accept_documents(
    *, request: ServiceRequest, actor: User, note: str = ""
) -> ServiceRequest:
    """Staff accept the documents: pending current documents become accepted, and the request
    moves to its next stage. Refused while a mandatory document is missing or rejected."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        if locked.status != Status.DOCUMENTS_REVIEW:
            raise PortalError("transition_not_allowed", "درخواست در مرحله بررسی مدارک نیست.")
        missing = documents_missing(locked)
        if missing:
            raise PortalError(
                "documents_missing",
                "این مدارک هنوز بارگذاری یا اصلاح نشده است: " + "، ".join(missing),
            )
        now = timezone.now()
        locked.documents.filter(is_current=True, state=RequestDocument.State.PENDING).update(
            state=RequestDocument.State.ACCEPTED, reviewed_by=actor, reviewed_at=now
        )
        target = next_status(locked)
        if target == Status.COMPLETED:
            _complete(locked, role=role, actor=actor, note=note)
        else:
            _move(locked, to=target, role=role, actor=actor, note=note)
    return locked


def request_ask_documents(*, request: ServiceRequest, actor: User, note: str) -> ServiceRequest:
    """Staff send the request back to the applicant for (more) documents, saying what."""
    note = (note or "").strip()
    if not note:
        raise PortalError(
            "note_required",
            "بنویسید چه مدرکی لازم است.",
            fields={"note": ["شرح مدارک لازم را بنویسید."]},
        )
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        event = _move(
            locked, to=Status.DOCUMENTS_REVIEW, role=role, actor=actor, note=note, notify=False
        )
        notify_event(event, template="request_documents_needed")
    return locked


def request_schedule_visit(
    *,
    request: ServiceRequest,
    actor: User,
    date: dt.date,
    window_start: dt.time,
    window_end: dt.time,
    inspector: User,
    note: str = "",
) -> VisitAppointment:
    """Set (or move) the inspector's site visit. Needs the documents accepted and the fees
    paid first; the date may not be in the past; the inspector must be the office's staff."""
    errors: dict[str, list[str]] = {}
    if date < timezone.localdate():
        errors["date"] = ["تاریخ بازدید گذشته است."]
    if window_end <= window_start:
        errors["window_end"] = ["پایان بازه باید بعد از شروع آن باشد."]
    if errors:
        raise PortalError("invalid_visit", "زمان بازدید نادرست است.", fields=errors)
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        if "visit" not in locked.request_type.stages:
            raise PortalError("no_visit_stage", "این خدمت مرحله بازدید ندارد.")
        if staff_role(user=inspector, office_id=locked.office_id) is None:
            raise PortalError(
                "invalid_inspector",
                "بازدیدکننده باید از کارکنان همین امور باشد.",
                fields={"inspector": ["بازدیدکننده باید از کارکنان همین امور باشد."]},
            )
        if not documents_accepted(locked):
            raise PortalError("documents_pending", "پیش از بازدید، مدارک باید پذیرفته شود.")
        if not payments_settled(locked):
            raise PortalError("payment_pending", "پیش از بازدید، هزینه خدمت باید پرداخت شود.")
        # A rescheduled visit replaces the one not yet carried out.
        locked.visits.filter(result="").update(
            result=VisitAppointment.Result.NO_ACCESS,
            result_note="وقت بازدید تغییر کرد",
            recorded_at=timezone.now(),
        )
        visit = VisitAppointment.objects.create(
            request=locked,
            date=date,
            window_start=window_start,
            window_end=window_end,
            inspector=inspector,
            scheduled_by=actor,
        )
        _move(locked, to=Status.VISIT_SCHEDULED, role=role, actor=actor, note=note)
    return visit


def request_record_visit(
    *,
    request: ServiceRequest,
    actor: User,
    done: bool,
    note: str = "",
    outcome: str = "",
) -> ServiceRequest:
    """Record the visit's result: done (a meter test also records sound/faulty) or could not
    access (locked door, access refused — ``note`` says why) → needs_contact with the office's
    phone in the applicant's SMS."""
    note = (note or "").strip()
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        visit = locked.visits.filter(result="").order_by("-created_at").first()
        if locked.status != Status.VISIT_SCHEDULED or visit is None:
            raise PortalError("transition_not_allowed", "برای این درخواست بازدیدی تعیین نشده است.")
        fields: dict[str, Any] = {}
        if done:
            if locked.request_type.behaviour == RequestType.Behaviour.METER_TEST:
                if outcome not in (ServiceRequest.Outcome.SOUND, ServiceRequest.Outcome.FAULTY):
                    raise PortalError(
                        "outcome_required",
                        "نتیجه آزمایش کنتور (سالم یا معیوب) را مشخص کنید.",
                        fields={"outcome": ["نتیجه آزمایش را انتخاب کنید."]},
                    )
                fields["outcome"] = outcome
            target, result = Status.VISITED, VisitAppointment.Result.DONE
        else:
            if not note:
                raise PortalError(
                    "note_required",
                    "دلیل انجام نشدن بازدید را بنویسید.",
                    fields={"note": ["دلیل را بنویسید (مثلاً درِ بسته، عدم اجازه ورود)."]},
                )
            target, result = Status.NEEDS_CONTACT, VisitAppointment.Result.NO_ACCESS
        visit.result, visit.result_note, visit.recorded_at = result, note[:500], timezone.now()
        visit.save(update_fields=["result", "result_note", "recorded_at"])
        _move(locked, to=target, role=role, actor=actor, note=note, fields=fields)
    return locked


def request_send_to_approval(
    *, request: ServiceRequest, actor: User, note: str = ""
) -> ServiceRequest:
    """Refer a request whose stages are done to the supervisor."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        if next_status(locked) != Status.APPROVAL:
            raise PortalError(
                "stages_pending", "مراحل پیش از تأیید (مدارک، پرداخت، بازدید) هنوز کامل نشده است."
            )
        _move(locked, to=Status.APPROVAL, role=role, actor=actor, note=note)
    return locked


def request_confirm_debts(
    *, request: ServiceRequest, actor: User, note: str = ""
) -> ServiceRequest:
    """Staff confirm that the subscription has no unpaid debt. The bills imported from the
    billing system decide: the confirmation is refused while the latest bill is unpaid."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        if role not in (Actor.CLERK, Actor.SUPERVISOR) or locked.is_closed:
            raise PortalError("transition_not_allowed", "این اقدام در این وضعیت ممکن نیست.")
        problem = _unpaid_debt(locked)
        if problem:
            raise PortalError("debts_unpaid", problem + ".")
        locked.debts_confirmed_at, locked.debts_confirmed_by = timezone.now(), actor
        locked.save(update_fields=["debts_confirmed_at", "debts_confirmed_by", "updated_at"])
        request_event_add(
            request=locked,
            kind=RequestEvent.Kind.DEBTS_CONFIRMED,
            actor=actor,
            role=role,
            note=note,
        )
    return locked


def _unpaid_debt(request: ServiceRequest) -> str:
    """Why the request's subscription is not free of debt, or "" when it is."""
    if not request.subscription_id:
        return ""
    # Function-level import: billing's services import this engine.
    from billing.selectors.bills import subscription_debt
    from portal.templatetags.persian import rial

    bill = subscription_debt(subscription_id=request.subscription_id)
    if bill is None:
        return ""
    return (
        f"صورتحساب دوره {to_persian_digits(bill.period)} سال {to_persian_digits(bill.year)} "
        f"این اشتراک به مبلغ {rial(bill.balance)} ریال پرداخت نشده است؛ "
        "تأیید تسویه پس از ثبت پرداخت در سامانه صورتحساب ممکن است"
    )


def _approval_blockers(request: ServiceRequest) -> list[str]:
    request_type = request.request_type
    blockers = []
    if request_type.requires_settled_debts:
        if request.debts_confirmed_at is None:
            blockers.append("تسویه بدهی‌های اشتراک هنوز تأیید نشده است")
        else:
            # A bill issued after the confirmation may be unpaid again.
            problem = _unpaid_debt(request)
            if problem:
                blockers.append(problem)
    if request_type.requires_meter_test and request.subscription_id:
        since = timezone.now() - METER_TEST_VALID_FOR
        tested = ServiceRequest.objects.filter(
            subscription_id=request.subscription_id,
            status=Status.COMPLETED,
            closed_at__gte=since,
        ).filter(
            Q(request_type__behaviour=RequestType.Behaviour.METER_TEST, outcome="sound")
            | Q(request_type__behaviour=RequestType.Behaviour.METER_REPLACEMENT)
        )
        if not tested.exists():
            blockers.append("آزمایش کنتور این اشتراک در یک سال اخیر انجام و سالم اعلام نشده است")
    return blockers


def request_approve(*, request: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    """The supervisor approves: the request is completed and its outcome applied (a meter
    test bills its fee or opens a replacement and a bill correction)."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        if locked.status != Status.APPROVAL:
            raise PortalError(
                "transition_not_allowed", "درخواست در انتظار تأیید نیست.", status_code=409
            )
        blockers = _approval_blockers(locked)
        if blockers:
            raise PortalError("approval_blocked", "تأیید ممکن نیست: " + "؛ ".join(blockers) + ".")
        _complete(locked, role=role, actor=actor, note=note)
    return locked


def request_complete(*, request: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    """Staff complete a request of a type without an approval stage, once its stages are done."""
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        if "approval" in locked.request_type.stages:
            raise PortalError("approval_required", "این خدمت باید به تأیید رئیس امور برسد.")
        if next_status(locked) != Status.COMPLETED:
            raise PortalError(
                "stages_pending", "مراحل این درخواست (مدارک، پرداخت، بازدید) هنوز کامل نشده است."
            )
        _complete(locked, role=role, actor=actor, note=note)
    return locked


def request_reject(*, request: ServiceRequest, actor: User, reason: str) -> ServiceRequest:
    """Staff reject with a reason the applicant reads in the SMS and on their page."""
    reason = (reason or "").strip()
    if not reason:
        raise PortalError(
            "reason_required", "دلیل رد را بنویسید.", fields={"reason": ["دلیل رد را بنویسید."]}
        )
    with transaction.atomic():
        locked = _lock(request)
        role = actor_role(request=locked, actor=actor, on_behalf_of=None)
        _move(
            locked,
            to=Status.REJECTED,
            role=role,
            actor=actor,
            note=reason,
            fields={"rejection_reason": reason[:500]},
        )
        locked.payments.filter(state=Payment.State.PENDING).update(state=Payment.State.CANCELLED)
        _on_closed_unfinished(locked)
    return locked


def request_payments_changed(*, request: ServiceRequest) -> ServiceRequest:
    """Called by the payment services after a fee was paid: once nothing is left to pay, a
    request waiting for payment moves on by itself (as the system)."""
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if locked.status == Status.AWAITING_PAYMENT and payments_settled(locked):
            target = next_status(locked)
            if target == Status.COMPLETED:
                _complete(locked, role=Actor.SYSTEM, actor=None)
            else:
                # Back to the office's queue or on to approval: tell the applicant the money
                # arrived and what happens next.
                event = _move(locked, to=target, role=Actor.SYSTEM, actor=None, notify=False)
                notify_event(event, template="request_paid")
    return locked


# --- Outcomes ------------------------------------------------------------------------------


def _on_submitted(request: ServiceRequest) -> None:
    """What a submission changes outside the request (a reported fault marks the line)."""
    if request.request_type.behaviour == RequestType.Behaviour.LINE_SERVICE:
        from telecom.services.line_services import line_service_submitted

        line_service_submitted(request=request)


def _on_closed_unfinished(request: ServiceRequest) -> None:
    """Undo what ``_on_submitted`` changed when a request is cancelled or rejected."""
    if request.request_type.behaviour == RequestType.Behaviour.LINE_SERVICE:
        from telecom.services.line_services import line_service_withdrawn

        line_service_withdrawn(request=request)


def _on_completed(request: ServiceRequest, *, event: RequestEvent | None = None) -> bool:
    """Apply a completed request's outcome, in the completing transaction (an outcome that
    cannot be applied refuses the completion with its message). Returns True when the
    outcome already queued the applicant's confirmation SMS (``event`` is the completion)."""
    request_type = request.request_type
    if not request.subscription_id:
        return False
    if request_type.behaviour == RequestType.Behaviour.LINE_SERVICE:
        # Function-level import: the telecom services import this engine.
        from telecom.services.line_services import line_service_complete

        return line_service_complete(request=request, event=event)
    if request_type.behaviour in (
        RequestType.Behaviour.SELF_READING,
        RequestType.Behaviour.SETTLEMENT,
    ):
        _issue_computed_bill(request)
        return False
    if request_type.behaviour != RequestType.Behaviour.METER_TEST:
        return False
    if request.outcome == ServiceRequest.Outcome.SOUND:
        if request_type.outcome_fee:
            BillingAdjustment.objects.get_or_create(
                request=request,
                kind=BillingAdjustment.Kind.FEE,
                defaults={
                    "subscription_id": request.subscription_id,
                    "amount": request_type.outcome_fee,
                    "note": "هزینه آزمایش کنتور سالم",
                },
            )
    elif request.outcome == ServiceRequest.Outcome.FAULTY:
        BillingAdjustment.objects.get_or_create(
            request=request,
            kind=BillingAdjustment.Kind.BILL_CORRECTION,
            defaults={
                "subscription_id": request.subscription_id,
                "note": "کنتور معیوب: صورتحساب‌های دوره‌های اخیر بازبینی شود",
            },
        )
        _file_replacement(request)
    return False


def _issue_computed_bill(request: ServiceRequest) -> None:
    """An approved self reading gets its provisional bill, a completed settlement its
    settlement bill — in this transaction, so a bill that cannot be computed (no valid
    tariff, a reading the last bill has overtaken) refuses the approval with its message."""
    # Imported here, not at the top: billing's services import the request engine (filing,
    # models), so a module-level import would be circular.
    from billing.services.readings import provisional_bill_issue
    from billing.services.settlement import settlement_bill_issue

    if request.request_type.behaviour == RequestType.Behaviour.SELF_READING:
        provisional_bill_issue(request=request)
    else:
        settlement_bill_issue(request=request)


def _file_replacement(test: ServiceRequest) -> ServiceRequest:
    replacement_type = (
        RequestType.objects.filter(
            company_kind=test.request_type.company_kind,
            behaviour=RequestType.Behaviour.METER_REPLACEMENT,
            is_active=True,
        )
        .order_by("order", "id")
        .first()
    )
    if replacement_type is None:
        raise PortalError(
            "replacement_type_missing",
            "نوع درخواست «تعویض کنتور» برای این شرکت تعریف یا فعال نشده است؛ "
            "پیش از ثبت کنتور معیوب آن را در فهرست خدمات فعال کنید.",
        )
    follow_up = ServiceRequest.objects.create(
        number=_new_number(),
        request_type=replacement_type,
        applicant_id=test.applicant_id,
        subscription_id=test.subscription_id,
        company_id=test.company_id,
        office_id=test.office_id,
        city_id=test.city_id,
        address=test.address,
        postal_code=test.postal_code,
        channel=Channel.OFFICE,
        parent=test,
        description=f"ایجاد خودکار پس از آزمایش کنتور در درخواست {test.number}",
    )
    # No fee and no documents: the company replaces a faulty meter at its own cost.
    _move(
        follow_up,
        to=Status.SUBMITTED,
        role=Actor.SYSTEM,
        actor=None,
        note=f"تعویض کنتور معیوب (آزمایش {test.number})",
        notify=False,
    )
    return follow_up
