"""What a request tells its applicant: the SMS after a step and the "next step" line shown on
the tracking page, the applicant's pages and in SMS texts."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue_rendered
from portal.digits import to_persian_digits
from portal.jalali import jalali_display
from requests_app.models import (
    Payment,
    RequestDocument,
    RequestEvent,
    ServiceRequest,
    Status,
    VisitAppointment,
)

RATING_SALT = "requests_app.rating"
RATING_MAX_AGE = 60 * 60 * 24 * 30  # a rating link works for 30 days

# new status → SMS template (templates/sms/<name>.txt). Other moves send nothing.
STATUS_TEMPLATES = {
    Status.SUBMITTED: "request_submitted",
    Status.AWAITING_PAYMENT: "request_payment",
    Status.VISIT_SCHEDULED: "request_visit",
    Status.NEEDS_CONTACT: "request_needs_contact",
    Status.COMPLETED: "request_completed",
    Status.REJECTED: "request_rejected",
}


def office_phone(request: ServiceRequest) -> str:
    """The first number in the office's phone book ('' when it has none)."""
    phones = getattr(request.office, "prefetched_phones", None)
    if phones is None:
        phones = list(request.office.phones.all()[:1])
    return phones[0].number if phones else ""


def rating_token(request: ServiceRequest) -> str:
    return signing.dumps({"r": request.pk}, salt=RATING_SALT, compress=True)


def rating_url(request: ServiceRequest) -> str:
    path = reverse("requests_app:rate", kwargs={"token": rating_token(request)})
    return settings.SITE_URL.rstrip("/") + path


def tracking_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("requests_app:track")


def next_step(request: ServiceRequest) -> str:
    """One Persian sentence: what happens next and who does it."""
    status = request.status
    if status == Status.DRAFT:
        return "متقاضی باید درخواست را تکمیل و ارسال کند."
    if status == Status.SUBMITTED:
        if "visit" in request.request_type.stages and not _visit_done(request):
            return "امور مشترکین وقت بازدید کارشناس را تعیین می‌کند."
        return "امور مشترکین درخواست را بررسی می‌کند."
    if status == Status.DOCUMENTS_REVIEW:
        if documents_missing(request):
            return "متقاضی باید مدارک لازم را بارگذاری کند."
        return "امور مشترکین مدارک را بررسی می‌کند."
    if status == Status.AWAITING_PAYMENT:
        return "متقاضی باید هزینه خدمت را پرداخت کند."
    if status == Status.VISIT_SCHEDULED:
        visit = _current_visit(request)
        if visit:
            return (
                f"کارشناس در تاریخ {to_persian_digits(jalali_display(visit.date))} بین ساعت "
                f"{to_persian_digits(visit.window_start.strftime('%H:%M'))} تا "
                f"{to_persian_digits(visit.window_end.strftime('%H:%M'))} به محل مراجعه می‌کند."
            )
        return "کارشناس به محل مراجعه می‌کند."
    if status == Status.VISITED:
        return "امور مشترکین نتیجه بازدید را بررسی می‌کند."
    if status == Status.NEEDS_CONTACT:
        return "بازدید انجام نشد؛ متقاضی باید برای تعیین وقت دوباره با امور مشترکین تماس بگیرد."
    if status == Status.APPROVAL:
        return "رئیس امور مشترکین درخواست را بررسی و تأیید می‌کند."
    return ""


def _current_visit(request: ServiceRequest) -> VisitAppointment | None:
    return request.visits.filter(result="").order_by("-created_at", "-id").first()


def _visit_done(request: ServiceRequest) -> bool:
    return request.visits.filter(result=VisitAppointment.Result.DONE).exists()


def documents_missing(request: ServiceRequest) -> list[str]:
    """Titles of the mandatory documents that are missing or were rejected."""
    current = {
        doc.requirement_id: doc.state
        for doc in RequestDocument.objects.filter(request=request, is_current=True)
    }
    return [
        requirement.title
        for requirement in request.request_type.documents.all()
        if requirement.mandatory
        and requirement.applies_to_user(request.applicant)
        and current.get(requirement.pk) in (None, RequestDocument.State.REJECTED)
    ]


def unpaid_total(request: ServiceRequest) -> int:
    return sum(p.amount for p in request.payments.all() if p.state == Payment.State.PENDING)


def notify_event(event: RequestEvent, *, template: str = "", extra: dict | None = None) -> None:
    """Queue the applicant's SMS for ``event`` (in the caller's transaction, sent on commit).

    ``template`` overrides the per-status choice (document rejections use their own). One row
    per event: the outbox's idempotency key is the event id, so a retried service call that
    reuses the event cannot send twice."""
    request = event.request
    template = template or STATUS_TEMPLATES.get(event.new_status, "")
    if template == "request_submitted" and event.old_status != Status.DRAFT:
        return  # back in the office's queue after a payment: not news to the applicant
    mobile = request.applicant.mobile
    if not template or not mobile:
        return
    context = {
        "number": to_persian_digits(request.number),
        "title": request.request_type.title,
        "next_step": next_step(request),
        "office_phone": to_persian_digits(office_phone(request)),
        "reason": request.rejection_reason,
        "amount": to_persian_digits(f"{unpaid_total(request):,}").replace(",", "٬"),
        "track_url": tracking_url(),
        "note": event.note,
        **(extra or {}),
    }
    if event.new_status == Status.COMPLETED and template == "request_completed":
        context["rating_url"] = rating_url(request)
    sms_enqueue_rendered(
        recipient=mobile,
        kind=OutboxMessage.Kind.REQUEST_STATUS,
        template_name=template,
        context=context,
        idempotency_key=f"request-event:{event.pk}",
    )
