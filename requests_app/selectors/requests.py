"""Read paths for service requests, already scoped to the caller (STYLE §6).

Every ``*_get_*`` answers 404 (``NotFound``) both when the request is missing and when it is
someone else's, so a request number never reveals whether it exists.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Prefetch, QuerySet
from django.utils import timezone

from portal.digits import normalize_digits
from portal.errors import NotFound
from portal.identifiers import is_valid_tracking_number
from requests_app.models import (
    OPEN_STATUSES,
    Complaint,
    Payment,
    Rating,
    RequestDocument,
    RequestEvent,
    RequestType,
    RequiredDocument,
    ServiceRequest,
    Status,
    VisitAppointment,
)
from requests_app.services.workflow import REQUEST_NUMBER_LENGTH, staff_role
from subscribers.models import OfficePhone, Subscription, User
from subscribers.permissions import sees_all_offices
from subscribers.selectors.subscriptions import subscriptions_for_user


def request_types_active(*, company_kind: str | None = None) -> QuerySet[RequestType]:
    types = RequestType.objects.filter(is_active=True).select_related("service_card")
    if company_kind:
        types = types.filter(company_kind=company_kind)
    return types.prefetch_related(
        Prefetch("documents", queryset=RequiredDocument.objects.order_by("order", "id"))
    ).order_by("company_kind", "order", "id")


def request_type_get_active(*, code: str) -> RequestType:
    request_type = request_types_active().filter(code=code).first()
    if request_type is None:
        raise NotFound("این خدمت یافت نشد.")
    return request_type


def request_subscriptions_for(*, user: User, request_type: RequestType) -> QuerySet[Subscription]:
    """The subscriptions ``user`` may choose when filing ``request_type``: their own links (a
    representative's view of an organisation's subscriptions does not let them file) of the
    type's company kind. A line service also needs the line's e-services activated for the
    user at a telephone center (seed 002), so other lines are not offered; the filing check
    (``line_service_check``) stays the guard. Company, office and city are joined."""
    own = (
        subscriptions_for_user(user=user)
        .filter(company__kind=request_type.company_kind, link_id__isnull=False)
        .order_by("subscription_number", "pk")
    )
    if request_type.behaviour == RequestType.Behaviour.LINE_SERVICE:
        from telecom.selectors.lines import activated_links  # the engine stays generic

        own = own.filter(pk__in=activated_links(user=user).values("subscription_id"))
    return own


def _list_related(queryset: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return queryset.select_related(
        "request_type", "subscription", "office", "company", "city"
    ).order_by("-created_at", "-id")


def requests_for_user(*, user: User) -> QuerySet[ServiceRequest]:
    """The requests ``user`` filed or that were filed for them (kiosk, office)."""
    if not getattr(user, "is_authenticated", False) or not user.is_subscriber:
        return ServiceRequest.objects.none()
    return _list_related(ServiceRequest.objects.filter(applicant=user))


def _detail_related(queryset: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return _list_related(queryset).prefetch_related(
        Prefetch(
            "events",
            queryset=RequestEvent.objects.select_related("actor").order_by("created_at", "id"),
        ),
        Prefetch(
            "documents",
            queryset=RequestDocument.objects.filter(is_current=True).select_related("requirement"),
            to_attr="current_documents",
        ),
        Prefetch("payments", queryset=Payment.objects.order_by("id")),
        Prefetch("visits", queryset=VisitAppointment.objects.select_related("inspector")),
        Prefetch(
            "request_type__documents",
            queryset=RequiredDocument.objects.order_by("order", "id"),
        ),
        Prefetch(
            "office__phones",
            queryset=OfficePhone.objects.order_by("order", "id"),
            to_attr="prefetched_phones",
        ),
    )


def request_get_for_user(*, user: User, number: str) -> ServiceRequest:
    """The applicant's own request by number, with everything its page shows."""
    request = (
        _detail_related(requests_for_user(user=user))
        .filter(number=normalize_digits(str(number)).strip())
        .first()
    )
    if request is None:
        raise NotFound()
    return request


def requests_for_staff(*, user: User) -> QuerySet[ServiceRequest]:
    """Requests of the staff member's office (every office for system administrators)."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return ServiceRequest.objects.none()
    queryset = ServiceRequest.objects.all()
    if not sees_all_offices(user):
        if user.office_id is None:
            return ServiceRequest.objects.none()
        queryset = queryset.filter(office_id=user.office_id)
    return _list_related(queryset)


def request_get_for_staff(*, user: User, number: str) -> ServiceRequest:
    request = _detail_related(requests_for_staff(user=user)).filter(number=number).first()
    if request is None or staff_role(user=user, office_id=request.office_id) is None:
        raise NotFound()
    return request


def complaints_for_user(*, user: User) -> QuerySet[Complaint]:
    """The complaints ``user`` filed, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Complaint.objects.none()
    return (
        Complaint.objects.filter(complainant=user)
        .select_related("request", "request_type")
        .order_by("-created_at", "-id")
    )


def document_get_for_user(*, user: User, document_id: int) -> RequestDocument:
    """A document the user may open: the applicant's own, or any in the staff member's office.
    Old (superseded) uploads stay visible to staff only."""
    documents = RequestDocument.objects.select_related("request", "requirement")
    try:
        document = documents.get(pk=int(document_id))
    except (RequestDocument.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    request = document.request
    if getattr(user, "is_authenticated", False):
        if request.applicant_id == user.pk and document.is_current:
            return document
        if staff_role(user=user, office_id=request.office_id) is not None:
            return document
    raise NotFound()


# --- Tracking without login (seed 000) ----------------------------------------------------


@dataclass(frozen=True)
class TrackingStep:
    label: str
    at: datetime


@dataclass(frozen=True)
class TrackingView:
    """What the public tracking page and API may show: never a name, national code, address,
    document or staff note."""

    number: str
    type_title: str
    status: str
    status_label: str
    is_closed: bool
    submitted_at: datetime | None
    due_at: datetime | None
    next_step: str
    office_phone: str  # only while the request waits on the citizen
    steps: list[TrackingStep] = field(default_factory=list)


TRACKING_NOT_FOUND = (
    "درخواستی با این مشخصات یافت نشد. شماره درخواست و (برای خدمات پس از فروش) شماره اشتراک را "
    "بررسی کنید."
)


def request_track(*, number: str, subscription_number: str = "") -> TrackingView:
    """Look a request up by number — plus the subscription number for after-sales requests —
    and return its public view. A wrong pair raises the same ``NotFound`` as a missing number,
    so the page cannot be used to test which numbers exist."""
    from requests_app.services.notify import next_step, office_phone

    number = normalize_digits(str(number or "")).strip()
    subscription_number = normalize_digits(str(subscription_number or "")).strip()
    if not is_valid_tracking_number(number, REQUEST_NUMBER_LENGTH):
        raise NotFound(TRACKING_NOT_FOUND)
    request = (
        ServiceRequest.objects.select_related("request_type", "subscription", "office")
        .prefetch_related(
            Prefetch(
                "office__phones",
                queryset=OfficePhone.objects.order_by("order", "id"),
                to_attr="prefetched_phones",
            )
        )
        .exclude(status=Status.DRAFT)
        .filter(number=number)
        .first()
    )
    if request is None:
        raise NotFound(TRACKING_NOT_FOUND)
    if request.subscription_id is not None and (
        not subscription_number or subscription_number != request.subscription.subscription_number
    ):
        raise NotFound(TRACKING_NOT_FOUND)
    labels = dict(Status.choices)
    steps = [
        TrackingStep(label=str(labels[event.new_status]), at=event.created_at)
        for event in request.events.filter(kind=RequestEvent.Kind.TRANSITION).order_by(
            "created_at", "id"
        )
    ]
    return TrackingView(
        number=request.number,
        type_title=request.request_type.title,
        status=request.status,
        status_label=request.get_status_display(),
        is_closed=request.is_closed,
        submitted_at=request.submitted_at,
        due_at=request.due_at,
        next_step=next_step(request),
        office_phone=office_phone(request) if request.waits_on_citizen else "",
        steps=steps,
    )


# --- SLA ----------------------------------------------------------------------------------


@dataclass
class SlaRow:
    request_type: RequestType
    filed: int = 0
    completed: int = 0
    within_sla: int = 0
    overdue_now: int = 0
    median_hours: float | None = None
    rating_average: float | None = None
    ratings: int = 0

    @property
    def within_sla_percent(self) -> float | None:
        return round(100 * self.within_sla / self.completed, 1) if self.completed else None


def sla_report(
    *, office_ids: list[int] | None = None, since: datetime | None = None
) -> list[SlaRow]:
    """Per request type: requests filed since ``since`` (default: a year), completed, median
    hours from submission to completion, % completed within the SLA, open and overdue now, and
    the average rating. ``office_ids`` limits it to those offices (None: all). Four queries."""
    now = timezone.now()
    since = since or now - timedelta(days=365)
    requests = ServiceRequest.objects.filter(submitted_at__gte=since)
    if office_ids is not None:
        requests = requests.filter(office_id__in=office_ids)
    rows = {t.pk: SlaRow(request_type=t) for t in RequestType.objects.order_by("order", "id")}
    durations: dict[int, list[float]] = {}
    for type_id, status, submitted_at, due_at, closed_at in requests.values_list(
        "request_type_id", "status", "submitted_at", "due_at", "closed_at"
    ).iterator():
        row = rows[type_id]
        row.filed += 1
        if status == Status.COMPLETED and closed_at:
            row.completed += 1
            row.within_sla += bool(due_at and closed_at <= due_at)
            durations.setdefault(type_id, []).append((closed_at - submitted_at).total_seconds())
        elif status in OPEN_STATUSES and due_at and due_at < now:
            row.overdue_now += 1
    for type_id, values in durations.items():
        rows[type_id].median_hours = round(statistics.median(values) / 3600, 1)
    ratings = (
        Rating.objects.filter(request__in=requests)
        .values("request__request_type_id")
        .annotate(average=Avg("score"), total=Count("id"))
    )
    for item in ratings:
        row = rows[item["request__request_type_id"]]
        row.rating_average, row.ratings = round(item["average"], 1), item["total"]
    return [row for row in rows.values() if row.filed or row.request_type.is_active]
