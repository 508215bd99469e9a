"""Ratings after completion and complaints about a request or a service (seeds 001, 003, 004:
service levels are revised from citizens' feedback)."""

from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue_rendered
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import generate_tracking_number
from requests_app.models import Complaint, Rating, RequestType, ServiceRequest, Status
from requests_app.services.notify import RATING_MAX_AGE, RATING_SALT
from subscribers.models import User
from subscribers.permissions import sees_all_offices

COMPLAINT_CODE_LENGTH = 8


def rating_request_from_token(*, token: str) -> ServiceRequest:
    """The completed request a rating link points to; ``NotFound`` for a bad or old link."""
    try:
        data = signing.loads(token, salt=RATING_SALT, max_age=RATING_MAX_AGE)
        request = ServiceRequest.objects.select_related("request_type").get(pk=int(data["r"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, ServiceRequest.DoesNotExist):
        raise NotFound("این پیوند نظرسنجی معتبر نیست یا مهلت آن گذشته است.") from None
    if request.status != Status.COMPLETED:
        raise NotFound("این پیوند نظرسنجی معتبر نیست یا مهلت آن گذشته است.")
    return request


def rating_submit(*, request: ServiceRequest, score: int, comment: str = "") -> Rating:
    """Record the applicant's 1–5 rating of a completed request; once per request."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise PortalError(
            "invalid_score",
            "امتیاز باید عددی از ۱ تا ۵ باشد.",
            fields={"score": ["یکی از امتیازهای ۱ تا ۵ را انتخاب کنید."]},
        )
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise PortalError(
            "comment_too_long",
            "نظر حداکثر ۱۰۰۰ نویسه است.",
            fields={"comment": ["نظر حداکثر ۱۰۰۰ نویسه است."]},
        )
    if request.status != Status.COMPLETED:
        raise PortalError("not_completed", "فقط درخواست انجام‌شده را می‌توان امتیاز داد.")
    try:
        with transaction.atomic():
            return Rating.objects.create(request=request, score=score, comment=comment)
    except IntegrityError:
        raise PortalError(
            "already_rated", "برای این درخواست پیش‌تر امتیاز ثبت شده است؛ سپاسگزاریم."
        ) from None


def complaint_file(
    *,
    complainant: User,
    text: str,
    request: ServiceRequest | None = None,
    request_type: RequestType | None = None,
) -> Complaint:
    """File a complaint about one of the complainant's requests, or about a service in general.
    It goes to the request's office (or, about a service, to the company's head office: no
    office) and gets a tracking code by SMS."""
    text = (text or "").strip()
    errors = {}
    if len(text) < 10:
        errors["text"] = ["شرح شکایت را دست‌کم در ۱۰ نویسه بنویسید."]
    elif len(text) > 2000:
        errors["text"] = ["شرح شکایت حداکثر ۲۰۰۰ نویسه است."]
    if request is None and request_type is None:
        errors["request_type"] = ["خدمت یا درخواست مورد شکایت را انتخاب کنید."]
    if request is not None and request.applicant_id != complainant.pk:
        raise NotFound()
    if errors:
        raise PortalError("invalid_complaint", "شکایت کامل نیست.", fields=errors)
    with transaction.atomic():
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    complaint = Complaint.objects.create(
                        tracking_code=generate_tracking_number(COMPLAINT_CODE_LENGTH),
                        complainant=complainant,
                        request=request,
                        request_type=request.request_type if request else request_type,
                        office=request.office if request else None,
                        text=text,
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - five collisions
            raise PortalError("code_exhausted", "ثبت شکایت ممکن نشد؛ دوباره تلاش کنید.")
        if complainant.mobile:
            sms_enqueue_rendered(
                recipient=complainant.mobile,
                kind=OutboxMessage.Kind.REQUEST_STATUS,
                template_name="complaint_received",
                context={"code": to_persian_digits(complaint.tracking_code)},
                idempotency_key=f"complaint:{complaint.pk}:received",
            )
    return complaint


def complaint_answer(*, complaint: Complaint, actor: User, answer: str) -> Complaint:
    """Staff write the answer; the complainant gets it by SMS, once."""
    answer = (answer or "").strip()
    if not answer:
        raise PortalError(
            "answer_required", "متن پاسخ را بنویسید.", fields={"answer": ["متن پاسخ را بنویسید."]}
        )
    with transaction.atomic():
        locked = (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("complainant")
            .get(pk=complaint.pk)
        )
        if not (
            sees_all_offices(actor)
            or (locked.office_id is not None and locked.office_id == actor.office_id)
        ):
            raise NotFound()
        if locked.state == Complaint.State.ANSWERED:
            raise PortalError("already_answered", "به این شکایت پیش‌تر پاسخ داده شده است.")
        locked.answer, locked.state = answer, Complaint.State.ANSWERED
        locked.answered_by, locked.answered_at = actor, timezone.now()
        locked.save(update_fields=["answer", "state", "answered_by", "answered_at"])
        if locked.complainant.mobile:
            sms_enqueue_rendered(
                recipient=locked.complainant.mobile,
                kind=OutboxMessage.Kind.REQUEST_STATUS,
                template_name="complaint_answered",
                context={"code": to_persian_digits(locked.tracking_code), "answer": answer},
                idempotency_key=f"complaint:{locked.pk}:answered",
            )
    return locked
