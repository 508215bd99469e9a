"""Filing an outage report (seed 003, steps 1–3): find the subscription's feeder, check it
against planned outages and open incidents, join one or open a new incident, give a tracking
code and send it by SMS."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue_rendered
from outages.models import (
    OPEN_INCIDENT_STATES,
    Feeder,
    Incident,
    IncidentEvent,
    IncidentState,
    Open311ApiKey,
    OutageReport,
    ReportChannel,
    ScheduledOutage,
)
from outages.selectors import covering_outage
from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.identifiers import (
    InvalidIdentifier,
    clean_bill_id,
    clean_mobile,
    generate_tracking_number,
)
from portal.jalali import jalali_display
from subscribers.models import Subscription, User, UtilityCompany

CODE_LENGTH = 8
_ELECTRICITY_DIGIT = UtilityCompany.SERVICE_DIGIT[UtilityCompany.Kind.ELECTRICITY]


@dataclass(frozen=True)
class ReportOutcome:
    """What the citizen is told at once: the report, whether it is new, and what it joined."""

    report: OutageReport
    created: bool

    @property
    def scheduled_outage(self) -> ScheduledOutage | None:
        return self.report.scheduled_outage

    @property
    def incident(self) -> Incident | None:
        return self.report.incident

    @property
    def message(self) -> str:
        """The Persian answer shown on the page / returned by the API."""
        return answer_text(self.report)


def tracking_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("outages:track")


def answer_text(report: OutageReport) -> str:
    code = to_persian_digits(report.code)
    if report.scheduled_outage_id:
        window = report.scheduled_outage
        return (
            f"گزارش شما با کد رهگیری {code} ثبت شد. برق این محل طبق برنامه خاموشی تا "
            f"{jalali_display(window.ends_at)} قطع است ({window.reason})."
        )
    incident = report.incident
    if incident.report_count > 1:
        return (
            f"گزارش شما با کد رهگیری {code} ثبت شد. قطعی برق این محدوده پیش‌تر گزارش شده و "
            f"وضعیت آن «{incident.get_state_display()}» است؛ نتیجه با پیامک اعلام می‌شود."
        )
    return (
        f"گزارش شما با کد رهگیری {code} ثبت شد و برای رفع خاموشی به امور برق ارجاع شد؛ "
        "نتیجه با پیامک اعلام می‌شود."
    )


def subscription_for_outage(*, bill_id: str) -> Subscription:
    """The electricity subscription with this bill ID, or a ``PortalError`` on field
    ``bill_id`` that says why (malformed, another service, unknown)."""
    try:
        bill_id = clean_bill_id(bill_id, service_type=_ELECTRICITY_DIGIT)
    except InvalidIdentifier as exc:
        raise PortalError(
            "invalid_bill_id", f"شناسه قبض: {exc.message}", fields={"bill_id": [exc.message]}
        ) from None
    subscription = (
        Subscription.objects.select_related("company", "office", "city")
        .filter(bill_id=bill_id, company__kind=UtilityCompany.Kind.ELECTRICITY)
        .first()
    )
    if subscription is None:
        message = "اشتراک برقی با این شناسه قبض یافت نشد."
        raise PortalError("unknown_bill_id", f"شناسه قبض: {message}", fields={"bill_id": [message]})
    return subscription


def feeder_for_subscription(subscription: Subscription) -> Feeder:
    """The feeder the subscription is fed from; a ``PortalError`` for a non-electricity
    subscription or one whose feeder is not registered."""
    if subscription.company.kind != UtilityCompany.Kind.ELECTRICITY:
        message = "گزارش خاموشی فقط برای اشتراک برق ممکن است."
        raise PortalError("not_electricity", message, fields={"subscription": [message]})
    feeder = Feeder.objects.filter(
        company_id=subscription.company_id, code=subscription.feeder_code
    ).first()
    if not subscription.feeder_code or feeder is None:
        message = (
            "فیدر این اشتراک در سامانه ثبت نشده است؛ لطفاً با ۱۲۱ تماس بگیرید تا گزارش شما ثبت شود."
        )
        raise PortalError("no_feeder", message, fields={"subscription": [message]})
    return feeder


def _clean_mobile_field(mobile: str) -> str:
    try:
        return clean_mobile(mobile)
    except InvalidIdentifier as exc:
        raise PortalError(
            "invalid", f"تلفن همراه: {exc.message}", fields={"mobile": [exc.message]}
        ) from None


def _new_code() -> str:
    for _attempt in range(20):
        code = generate_tracking_number(CODE_LENGTH)
        if not OutageReport.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not find a free outage tracking code")  # pragma: no cover


def _lock_open_incident(feeder: Feeder) -> Incident | None:
    """The feeder's open incident, row-locked. Staff resolving it hold this lock (not the
    feeder's), so without it a report could join an incident resolved a moment earlier and
    never get the result SMS. PostgreSQL re-checks the state filter once the lock is granted:
    an incident finished meanwhile is skipped and the report opens a new one."""
    return (
        Incident.objects.select_for_update()
        .filter(feeder=feeder, state__in=OPEN_INCIDENT_STATES)
        .order_by("-opened_at")
        .first()
    )


def report_file(
    *,
    subscription: Subscription,
    mobile: str,
    channel: str,
    reporter: User | None = None,
    taken_by: User | None = None,
    api_key: Open311ApiKey | None = None,
    description: str = "",
    address_string: str = "",
    lat: Decimal | None = None,
    long: Decimal | None = None,
    first_name: str = "",
    last_name: str = "",
    now: dt.datetime | None = None,
) -> ReportOutcome:
    """Register one report of no power at ``subscription`` and answer at once.

    The caller has already decided the reporter may report for this subscription (a linked
    subscriber, a verified mobile, a 121 operator, an Open311 key). Reports on one feeder are
    serialised by locking the feeder row, so two reports arriving together open one incident,
    not two. If a planned window covers the feeder now the report joins it; else an open
    incident on the feeder; else a new incident opens (expected restoration from
    ``OUTAGE_RESTORE_SLA_HOURS``). The same mobile reporting the same outage again gets its
    existing report back (``created=False``) and no SMS; a new report gets one SMS with its code,
    sent after commit. Raises ``PortalError`` (nothing saved) for a bad mobile, a non-electricity
    subscription or one without a registered feeder.
    """
    if channel not in ReportChannel.values:
        raise ValueError(f"unknown outage report channel {channel!r}")
    mobile = _clean_mobile_field(mobile)
    feeder = feeder_for_subscription(subscription)
    now = now or timezone.now()
    with transaction.atomic():
        Feeder.objects.select_for_update().filter(pk=feeder.pk).first()
        window = covering_outage(feeder=feeder, at=now)
        incident = None if window else _lock_open_incident(feeder)
        existing = (
            OutageReport.objects.filter(
                mobile=mobile,
                **({"scheduled_outage": window} if window else {"incident": incident}),
            ).first()
            if (window or incident)
            else None
        )
        if existing is not None:
            return ReportOutcome(report=existing, created=False)
        if window is None and incident is None:
            incident = Incident.objects.create(
                feeder=feeder,
                opened_at=now,
                expected_at=now + dt.timedelta(hours=settings.OUTAGE_RESTORE_SLA_HOURS),
            )
            IncidentEvent.objects.create(
                incident=incident,
                kind=IncidentEvent.Kind.TRANSITION,
                new_state=IncidentState.RECEIVED,
                note="نخستین گزارش قطعی برق این فیدر",
                created_at=now,
            )
        if incident is not None:
            incident.report_count += 1
            incident.save(update_fields=["report_count"])
        try:
            with transaction.atomic():
                report = OutageReport.objects.create(
                    code=_new_code(),
                    token=uuid.uuid4(),
                    subscription=subscription,
                    feeder=feeder,
                    incident=incident,
                    scheduled_outage=window,
                    mobile=mobile,
                    channel=channel,
                    reporter=reporter,
                    taken_by=taken_by,
                    api_key=api_key,
                    description=description.strip()[:1000],
                    address_string=address_string.strip()[:300],
                    lat=lat,
                    long=long,
                    first_name=first_name.strip()[:80],
                    last_name=last_name.strip()[:80],
                    created_at=now,
                )
        except IntegrityError:  # pragma: no cover - the feeder lock makes this unreachable
            raise PortalError(
                "conflict", "گزارش هم‌زمان ثبت شد؛ دوباره تلاش کنید.", status_code=409
            ) from None
        sms_enqueue_rendered(
            recipient=mobile,
            kind=OutboxMessage.Kind.OUTAGE_NOTICE,
            template_name="outage_report_received",
            context={"answer": answer_text(report), "track_url": tracking_url()},
            idempotency_key=f"outage-report:{report.code}",
        )
    return ReportOutcome(report=report, created=True)
