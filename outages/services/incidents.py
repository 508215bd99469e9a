"""Working an incident (seed 003, steps 4–5): investigate, dispatch a crew, restore or close,
and announce the result to every reporter exactly once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue_rendered
from outages.models import (
    FINAL_INCIDENT_STATES,
    INCIDENT_TRANSITIONS,
    Incident,
    IncidentEvent,
    IncidentState,
    OutageReport,
)
from outages.services.reports import tracking_url
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from subscribers import roles
from subscribers.models import User
from subscribers.permissions import sees_all_offices

CONFLICT_MESSAGE = (
    "وضعیت این حادثه هم‌زمان توسط همکار دیگری به «{state}» تغییر کرد؛ صفحه را دوباره باز کنید."
)
WORKING_ROLES = (roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR, roles.CALL_CENTER_OPERATOR)

DEFAULT_RESULTS = {
    IncidentState.RESOLVED: "عیب برطرف و برق محل شما وصل شد.",
    Incident.CloseReason.NOT_OUR_NETWORK: (
        "قطعی مربوط به شبکه توزیع برق نبود؛ موضوع به دستگاه مربوط اعلام شد."
    ),
    Incident.CloseReason.CUSTOMER_SIDE: (
        "ایراد در سیم‌کشی یا تجهیزات داخلی مشترک است؛ لطفاً به برق‌کار مجاز مراجعه کنید."
    ),
    Incident.CloseReason.PLANNED_OUTAGE: (
        "قطعی مربوط به خاموشی برنامه‌ریزی‌شده بود و طبق برنامه وصل می‌شود."
    ),
}


def incident_check_staff(*, incident: Incident, actor: User) -> None:
    """Staff of the feeder's office (clerk, supervisor, 121 operator) or a system admin; anyone
    else gets ``NotFound`` (an incident of another office does not exist for them)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_staff:
        raise NotFound()
    if sees_all_offices(actor):
        return
    if actor.office_id != incident.feeder.office_id:
        raise NotFound()
    if not actor.groups.filter(name__in=WORKING_ROLES).exists():
        raise NotFound()


def _lock(incident: Incident, seen_state: str | None) -> Incident:
    locked = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("feeder", "feeder__office")
        .get(pk=incident.pk)
    )
    expected = seen_state if seen_state is not None else incident.state
    if locked.state != expected:
        raise PortalError(
            "conflict",
            CONFLICT_MESSAGE.format(state=locked.get_state_display()),
            status_code=409,
        )
    return locked


def incident_move(
    *,
    incident: Incident,
    to: str,
    actor: User,
    note: str = "",
    close_reason: str = "",
    result: str = "",
    crew: str = "",
    restored_at: dt.datetime | None = None,
    seen_state: str | None = None,
) -> IncidentEvent:
    """Move an incident along ``INCIDENT_TRANSITIONS`` as office staff.

    Locks the row; if its state is no longer the one the actor saw (``seen_state``, default the
    given object's), refuses with a conflict so of two staff acting at once exactly one wins.
    ``crew_dispatched`` needs a crew name (or one already set); ``closed`` needs a close reason;
    ``resolved`` records the restoration time (default now, never in the future or before the
    incident opened). Reaching resolved/closed stores the result text (a default per outcome)
    and, after commit, sends it by SMS to every reporter once. Writes an ``IncidentEvent``.
    """
    incident_check_staff(incident=incident, actor=actor)
    now = timezone.now()
    note, crew, result = note.strip(), crew.strip(), result.strip()
    with transaction.atomic():
        locked = _lock(incident, seen_state)
        old = locked.state
        if to not in INCIDENT_TRANSITIONS.get(old, frozenset()):
            raise PortalError(
                "transition_not_allowed",
                f"این اقدام در وضعیت «{locked.get_state_display()}» ممکن نیست.",
                status_code=409,
            )
        changed = ["state"]
        if to == IncidentState.CREW_DISPATCHED and not (crew or locked.crew):
            message = "نام یا شماره اکیپ اعزامی را وارد کنید."
            raise PortalError("invalid", f"اکیپ: {message}", fields={"crew": [message]})
        if crew:
            locked.crew = crew[:150]
            changed.append("crew")
        if to == IncidentState.CLOSED:
            if close_reason not in Incident.CloseReason.values:
                message = "دلیل بستن حادثه را انتخاب کنید."
                raise PortalError(
                    "invalid", f"دلیل بستن: {message}", fields={"close_reason": [message]}
                )
            locked.close_reason = close_reason
            changed.append("close_reason")
        elif close_reason:
            message = "دلیل بستن فقط برای بستن حادثه معنا دارد."
            raise PortalError("invalid", message, fields={"close_reason": [message]})
        if to == IncidentState.RESOLVED:
            restored_at = restored_at or now
            # Staff enter the time to the minute: allow one minute of slack either way, and
            # never store a restoration before the opening (time to restore stays >= 0).
            slack = dt.timedelta(minutes=1)
            if locked.opened_at - slack <= restored_at < locked.opened_at:
                restored_at = locked.opened_at
            if restored_at > now + slack or restored_at < locked.opened_at:
                message = "زمان وصل برق باید بین شروع حادثه و اکنون باشد."
                raise PortalError(
                    "invalid", f"زمان وصل برق: {message}", fields={"restored_at": [message]}
                )
            locked.restored_at = restored_at
            changed.append("restored_at")
        if result and to not in FINAL_INCIDENT_STATES:
            message = "نتیجه فقط هنگام رفع یا بستن حادثه ثبت می‌شود."
            raise PortalError("invalid", f"نتیجه: {message}", fields={"result": [message]})
        if to in FINAL_INCIDENT_STATES:
            locked.closed_at = now
            locked.result = (
                result or DEFAULT_RESULTS[to if to == IncidentState.RESOLVED else close_reason]
            )[:300]
            changed += ["closed_at", "result"]
        locked.state = to
        locked.save(update_fields=changed)
        event = IncidentEvent.objects.create(
            incident=locked,
            kind=IncidentEvent.Kind.TRANSITION,
            old_state=old,
            new_state=to,
            actor=actor,
            note=(note or (locked.result if to in FINAL_INCIDENT_STATES else ""))[:500],
            created_at=now,
        )
        if to in FINAL_INCIDENT_STATES:
            incident_notify_result(incident=locked)
    incident.refresh_from_db()
    return event


def incident_assign_crew(
    *, incident: Incident, actor: User, crew: str, seen_state: str | None = None
) -> IncidentEvent:
    """Name the crew. From received/investigating this dispatches it (a state move); on an
    incident already dispatched it records the change of crew as an event."""
    if incident.state in (IncidentState.RECEIVED, IncidentState.INVESTIGATING):
        return incident_move(
            incident=incident,
            to=IncidentState.CREW_DISPATCHED,
            actor=actor,
            crew=crew,
            seen_state=seen_state,
        )
    incident_check_staff(incident=incident, actor=actor)
    crew = crew.strip()
    if not crew:
        message = "نام یا شماره اکیپ اعزامی را وارد کنید."
        raise PortalError("invalid", f"اکیپ: {message}", fields={"crew": [message]})
    with transaction.atomic():
        locked = _lock(incident, seen_state)
        if not locked.is_open:
            raise PortalError("closed", "این حادثه بسته شده است.", status_code=409)
        locked.crew = crew[:150]
        locked.save(update_fields=["crew"])
        event = IncidentEvent.objects.create(
            incident=locked,
            kind=IncidentEvent.Kind.CREW,
            old_state=locked.state,
            new_state=locked.state,
            actor=actor,
            note=f"اکیپ: {locked.crew}",
            public=False,
        )
    incident.refresh_from_db()
    return event


def incident_add_note(
    *, incident: Incident, actor: User, note: str, public: bool = False
) -> IncidentEvent:
    """A staff note on the timeline; public notes also show on the tracking page."""
    incident_check_staff(incident=incident, actor=actor)
    note = note.strip()
    if not note:
        message = "متن یادداشت را وارد کنید."
        raise PortalError("invalid", f"یادداشت: {message}", fields={"note": [message]})
    return IncidentEvent.objects.create(
        incident=incident,
        kind=IncidentEvent.Kind.NOTE,
        old_state=incident.state,
        new_state=incident.state,
        actor=actor,
        note=note[:500],
        public=public,
    )


def incident_notify_result(*, incident: Incident) -> int:
    """Queue the result SMS for every reporter of a finished incident who has not had it.

    Runs in the caller's transaction; each report is marked (``result_sent_at``) and its SMS
    keyed ``outage-result:<code>``, so running this twice — or two workers at once — sends
    nothing new. Returns how many messages were queued."""
    if incident.state not in FINAL_INCIDENT_STATES:
        return 0
    now = timezone.now()
    sent = 0
    # Its own (nested) transaction: the row locks need one, and a task or admin action may
    # call this in autocommit mode.
    with transaction.atomic():
        pending = list(
            OutageReport.objects.select_for_update().filter(
                incident=incident, result_sent_at__isnull=True
            )
        )
        for report in pending:
            sms_enqueue_rendered(
                recipient=report.mobile,
                kind=OutboxMessage.Kind.OUTAGE_NOTICE,
                template_name="outage_result",
                context={
                    "code": to_persian_digits(report.code),
                    "result": incident.result,
                    "track_url": tracking_url(),
                },
                idempotency_key=f"outage-result:{report.code}",
            )
            sent += 1
        # Mark exactly the rows locked and sent above, not whatever matches the filter now.
        OutageReport.objects.filter(pk__in=[r.pk for r in pending]).update(result_sent_at=now)
    return sent
