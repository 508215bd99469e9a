"""Uploaded documents: checking a file, storing it, and the office's accept/reject.

A file is trusted for nothing it says about itself: its type comes from its bytes (libmagic),
the extension must agree with that type, images are decoded (Pillow) to refuse broken files,
decompression bombs, grayscale scans and pictures too small to read, and the stored name is
random (``document_upload_to``). Files live under ``MEDIA_ROOT`` and are only ever served by
``requests_app.views.documents.document_download``.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import magic
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageChops, UnidentifiedImageError

from portal.digits import normalize_digits
from portal.errors import NotFound, PortalError
from requests_app.models import (
    RequestDocument,
    RequestEvent,
    RequiredDocument,
    ServiceRequest,
    Status,
)
from requests_app.services import workflow
from requests_app.services.notify import notify_event
from subscribers.models import User

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MIN_IMAGE_SIDE = 600
# A 600 dpi colour scan of an A4 page is ~35 Mpx; anything far beyond that in a 2 MB file is
# a decompression bomb (a few KB of PNG that inflates to gigabytes), refused before decoding.
MAX_IMAGE_PIXELS = 50_000_000
SNIFF_BYTES = 8192
# A scan saved as RGB but really gray has equal channels up to JPEG rounding; a colour scan
# has at least some pixels (stamp, photo, paper tint) whose channels differ clearly.
GRAY_CHANNEL_TOLERANCE = 12
COLOUR_PIXEL_SHARE = 0.001
THUMBNAIL_SIZE = (256, 256)
ORIGINAL_NAME_MAX = 200
REJECTION_REASON_MAX = 300

# Sniffed MIME type → the extensions a file of that type may carry.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
}
# What Pillow must find inside a file libmagic called an image (phones write JPEG as MPO).
PILLOW_FORMATS = {"image/jpeg": {"JPEG", "MPO"}, "image/png": {"PNG"}}
GRAYSCALE_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
# PDF features a scanned document never needs and an attacker would: refused outright.
PDF_ACTIVE_MARKERS = (b"/JavaScript", b"/JS ", b"/JS(", b"/JS<", b"/Launch", b"/EmbeddedFile")

UPLOAD_STATUSES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.DOCUMENTS_REVIEW})
REVIEW_STATUSES = frozenset(
    {Status.SUBMITTED, Status.DOCUMENTS_REVIEW, Status.APPROVAL, Status.VISITED}
)

TYPE_MESSAGE = "فقط پرونده‌های JPEG، PNG یا PDF پذیرفته می‌شود."


@dataclass(frozen=True)
class ValidatedFile:
    """What the checks established about an upload: its real type and fingerprint."""

    content_type: str
    extension: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None


def _file_error(code: str, message: str) -> PortalError:
    return PortalError(code, message, fields={"file": [message]})


def _read_head(upload: Any) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def _sha256(upload: Any) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(upload.read, b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _check_image(upload: Any, content_type: str) -> tuple[int, int]:
    """Decode the image: right format, not a bomb, not broken, large enough, in colour."""
    bomb = _file_error("image_too_large", "ابعاد تصویر غیرعادی و بیش از حد بزرگ است.")
    broken = _file_error("image_broken", "پرونده تصویر خراب است یا باز نمی‌شود.")
    try:
        # Pillow's own bomb guard only warns below twice its limit; make every warning fatal
        # and check the pixel count ourselves before anything is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as image:
                if image.format not in PILLOW_FORMATS[content_type]:
                    raise broken
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise bomb
                image.verify()
            # verify() leaves the image unusable: reopen to look at the pixels.
            upload.seek(0)
            with Image.open(upload) as image:
                mode = image.mode
                if mode in GRAYSCALE_MODES:
                    gray = True
                else:
                    if image.format in ("JPEG", "MPO"):
                        image.draft("RGB", THUMBNAIL_SIZE)  # decode at reduced scale: cheap
                    image.thumbnail(THUMBNAIL_SIZE)
                    gray = not _has_colour(image)
    except PortalError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise broken from None
    finally:
        upload.seek(0)
    if min(width, height) < MIN_IMAGE_SIDE:
        raise _file_error(
            "image_too_small",
            "تصویر خیلی کوچک است: کوتاه‌ترین ضلع آن باید دست‌کم ۶۰۰ پیکسل باشد "
            "(مدرک را با کیفیت بیشتری اسکن کنید).",
        )
    if gray:
        raise _file_error(
            "image_grayscale",
            "تصویر سیاه‌وسفید است؛ لطفاً مدرک را به‌صورت رنگی اسکن و دوباره بارگذاری کنید.",
        )
    return width, height


def _has_colour(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
        image = image.convert("RGBA").convert("RGB")
    else:
        image = image.convert("RGB")
    red, green, blue = image.split()
    chroma = ImageChops.lighter(
        ImageChops.lighter(ImageChops.difference(red, green), ImageChops.difference(green, blue)),
        ImageChops.difference(red, blue),
    )
    histogram = chroma.histogram()
    coloured = sum(histogram[GRAY_CHANNEL_TOLERANCE + 1 :])
    total = image.width * image.height
    return coloured >= max(1, int(total * COLOUR_PIXEL_SHARE))


def _check_pdf(upload: Any) -> None:
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    if not content.startswith(b"%PDF-"):
        raise _file_error("pdf_broken", "پرونده PDF معتبر نیست.")
    if any(marker in content for marker in PDF_ACTIVE_MARKERS):
        raise _file_error(
            "pdf_active_content",
            "پرونده PDF شامل کد یا پرونده پیوست است و پذیرفته نمی‌شود؛ "
            "مدرک را دوباره اسکن و ذخیره کنید.",
        )


def _extension(name: str) -> str:
    return PurePosixPath(_basename(name)).suffix.lower()


def _basename(name: str) -> str:
    # Browsers on Windows (old IE) send the full client path; strip both separators.
    return PureWindowsPath(PurePosixPath(str(name or "")).name).name


def document_validate(*, upload: Any) -> ValidatedFile:
    """Check an uploaded file (a Django ``UploadedFile``) and say what it really is.

    Preconditions: none; the file is only read (and rewound). Refuses — with a
    ``PortalError`` whose ``fields["file"]`` holds the Persian message — a missing or empty
    file, one over 2 MB, a type other than JPEG/PNG/PDF by content, an extension that
    disagrees with the content, a broken image or a decompression bomb, a grayscale image, an
    image under 600 px on its short side, and a PDF with scripts or attachments. No side
    effects.
    """
    if upload is None or not getattr(upload, "name", ""):
        raise _file_error("file_required", "پرونده مدرک را انتخاب کنید.")
    size = upload.size
    if not size:
        raise _file_error("file_empty", "پرونده انتخاب‌شده خالی است.")
    if size > MAX_UPLOAD_BYTES:
        raise _file_error("file_too_large", "حجم پرونده بیش از ۲ مگابایت است.")
    extension = _extension(upload.name)
    head = _read_head(upload)
    content_type = magic.from_buffer(head, mime=True)
    if content_type not in ALLOWED_TYPES:
        raise _file_error("file_type", TYPE_MESSAGE)
    if extension not in ALLOWED_TYPES[content_type]:
        raise _file_error(
            "file_extension_mismatch",
            "پسوند پرونده با محتوای آن سازگار نیست؛ " + TYPE_MESSAGE,
        )
    width = height = None
    if content_type == "application/pdf":
        _check_pdf(upload)
    else:
        width, height = _check_image(upload, content_type)
    return ValidatedFile(
        content_type=content_type,
        extension=extension,
        size=size,
        sha256=_sha256(upload),
        width=width,
        height=height,
    )


# --- Upload --------------------------------------------------------------------------------


def _requirement(request: ServiceRequest, requirement_id: Any) -> RequiredDocument:
    message = "این مدرک برای این درخواست لازم نیست."
    try:
        pk = int(normalize_digits(str(requirement_id)).strip())
    except (TypeError, ValueError):
        pk = None
    requirement = (
        RequiredDocument.objects.filter(pk=pk, request_type_id=request.request_type_id).first()
        if pk is not None
        else None
    )
    if requirement is None or not requirement.applies_to_user(request.applicant):
        raise PortalError("invalid_requirement", message, fields={"requirement": [message]})
    return requirement


def _lock_request(request: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("request_type", "applicant", "office")
        .get(pk=request.pk)
    )


def document_upload(
    *,
    request: ServiceRequest,
    requirement_id: int | str,
    upload: Any,
    actor: User,
    on_behalf_of: User | None = None,
) -> RequestDocument:
    """Store ``upload`` as the applicant's copy of one required document of ``request``.

    Preconditions: ``actor`` is the applicant, a kiosk operator with ``on_behalf_of`` = the
    applicant, or staff of the request's office (anyone else: ``NotFound``); the request is a
    draft, submitted or in documents review; ``requirement_id`` names a document of the
    request's type that applies to the applicant (natural/legal); the file passes
    ``document_validate``; the current upload of that document, if any, was not accepted.
    Side effects, in one transaction under a row lock on the request: a pending or rejected
    current upload stops being current (kept for the record), the file is written under a
    random name in private storage, a new current ``RequestDocument`` and a
    ``document_uploaded`` event are written. If the transaction fails the file is deleted.
    """
    if actor is None:
        raise NotFound()
    # Outsiders learn nothing, not even whether their file would have passed.
    workflow.actor_role(request=request, actor=actor, on_behalf_of=on_behalf_of)
    validated = document_validate(upload=upload)
    original_name = _basename(upload.name)[-ORIGINAL_NAME_MAX:] or f"document{validated.extension}"
    stored_name = ""
    try:
        with transaction.atomic():
            locked = _lock_request(request)
            role = workflow.actor_role(request=locked, actor=actor, on_behalf_of=on_behalf_of)
            if locked.status not in UPLOAD_STATUSES:
                raise PortalError(
                    "upload_not_allowed",
                    "در این مرحله بارگذاری مدرک ممکن نیست.",
                    fields={"file": ["در این مرحله بارگذاری مدرک ممکن نیست."]},
                    status_code=409,
                )
            requirement = _requirement(locked, requirement_id)
            current = (
                RequestDocument.objects.select_for_update()
                .filter(request=locked, requirement=requirement, is_current=True)
                .first()
            )
            if current is not None:
                if current.state == RequestDocument.State.ACCEPTED:
                    raise PortalError(
                        "document_accepted",
                        f"مدرک «{requirement.title}» پذیرفته شده است و دوباره بارگذاری نمی‌شود.",
                        fields={"file": ["این مدرک پیش‌تر پذیرفته شده است."]},
                        status_code=409,
                    )
                current.is_current = False
                current.save(update_fields=["is_current"])
            document = RequestDocument(
                request=locked,
                requirement=requirement,
                original_name=original_name,
                content_type=validated.content_type,
                size=validated.size,
                sha256=validated.sha256,
                uploaded_by=actor,
            )
            # Only the checked extension reaches upload_to; the citizen's name never does.
            upload.seek(0)
            document.file.save(f"document{validated.extension}", upload, save=False)
            stored_name = document.file.name
            document.save()
            workflow.request_event_add(
                request=locked,
                kind=RequestEvent.Kind.DOCUMENT_UPLOADED,
                actor=actor,
                role=role,
                on_behalf_of=on_behalf_of,
                note=requirement.title,
            )
    except BaseException:
        if stored_name:
            _delete_quietly(stored_name)
        raise
    return document


def _delete_quietly(name: str) -> None:
    from requests_app.models.documents import private_storage

    try:
        private_storage.delete(name)
    except OSError:  # pragma: no cover - the original error matters more
        logger.warning("could not delete orphan upload %s", name)


# --- Review by the office ------------------------------------------------------------------


def _lock_for_review(
    document: RequestDocument, actor: User
) -> tuple[RequestDocument, ServiceRequest, str]:
    """Lock the request and the document; check the actor is the office's staff, the
    document is still current and unchanged, and the request is in a reviewable state."""
    locked_request = _lock_request(document.request)
    role = workflow.staff_role(user=actor, office_id=locked_request.office_id)
    if role is None:
        raise NotFound()
    locked = (
        RequestDocument.objects.select_for_update()
        .select_related("requirement")
        .get(pk=document.pk)
    )
    if not locked.is_current:
        raise PortalError(
            "document_replaced",
            "متقاضی این مدرک را دوباره بارگذاری کرده است؛ صفحه را دوباره باز کنید.",
            status_code=409,
        )
    if locked.state != document.state:
        raise PortalError(
            "conflict",
            f"وضعیت این مدرک همین حالا تغییر کرده است (اکنون: «{locked.get_state_display()}»)؛ "
            "صفحه را دوباره باز کنید.",
            status_code=409,
        )
    if locked_request.status not in REVIEW_STATUSES:
        raise PortalError(
            "review_not_allowed",
            f"در وضعیت «{locked_request.get_status_display()}» بررسی مدرک ممکن نیست.",
            status_code=409,
        )
    locked.request = locked_request
    return locked, locked_request, role


def document_reject(*, document: RequestDocument, actor: User, reason: str) -> RequestDocument:
    """Staff of the request's office refuse one current document, saying why.

    Preconditions: ``actor`` is the office's staff (else ``NotFound``); ``reason`` is given
    (at most 300 characters); the document is still current, in the state the caller showed
    and not already rejected; the request is submitted, in documents review, visited or
    awaiting approval. Side effects: the document becomes rejected (reviewer and time
    recorded), a ``document_rejected`` event with the reason is written and the applicant gets
    one SMS naming the document and the reason; a request past documents review goes back to
    it so the applicant can upload again.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise PortalError(
            "reason_required",
            "دلیل رد مدرک را بنویسید.",
            fields={"reason": ["دلیل رد مدرک را بنویسید."]},
        )
    if len(reason) > REJECTION_REASON_MAX:
        raise PortalError(
            "reason_too_long",
            "دلیل رد مدرک بیش از اندازه طولانی است.",
            fields={"reason": ["دلیل رد حداکثر ۳۰۰ نویسه باشد."]},
        )
    with transaction.atomic():
        locked, locked_request, role = _lock_for_review(document, actor)
        if locked.state == RequestDocument.State.REJECTED:
            raise PortalError("already_rejected", "این مدرک پیش‌تر رد شده است.", status_code=409)
        locked.state = RequestDocument.State.REJECTED
        locked.rejection_reason = reason
        locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
        locked.save(update_fields=["state", "rejection_reason", "reviewed_by", "reviewed_at"])
        event = workflow.request_event_add(
            request=locked_request,
            kind=RequestEvent.Kind.DOCUMENT_REJECTED,
            actor=actor,
            role=role,
            note=reason,
        )
        notify_event(
            event,
            template="request_document_rejected",
            extra={"document": locked.requirement.title, "note": reason},
        )
        if locked_request.status != Status.DOCUMENTS_REVIEW:
            # The SMS asks for a new upload, which is only possible in documents review: a
            # rejection found later (at the visit or approval) sends the request back there.
            workflow._move(
                locked_request,
                to=Status.DOCUMENTS_REVIEW,
                role=role,
                actor=actor,
                note=f"مدرک «{locked.requirement.title}» رد شد",
                notify=False,
            )
    return locked


def document_accept(*, document: RequestDocument, actor: User) -> RequestDocument:
    """Staff of the request's office accept one current document.

    Preconditions: as for ``document_reject`` (staff of the office, current and unchanged
    document, reviewable request), and the document is not already accepted. Side effects:
    the document becomes accepted (an earlier rejection reason is cleared, the event trail
    keeps it) and a ``document_accepted`` event is written. No SMS: the applicant hears when
    the request itself moves on.
    """
    with transaction.atomic():
        locked, locked_request, role = _lock_for_review(document, actor)
        if locked.state == RequestDocument.State.ACCEPTED:
            raise PortalError(
                "already_accepted", "این مدرک پیش‌تر پذیرفته شده است.", status_code=409
            )
        locked.state = RequestDocument.State.ACCEPTED
        locked.rejection_reason = ""
        locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
        locked.save(update_fields=["state", "rejection_reason", "reviewed_by", "reviewed_at"])
        workflow.request_event_add(
            request=locked_request,
            kind=RequestEvent.Kind.DOCUMENT_ACCEPTED,
            actor=actor,
            role=role,
            note=locked.requirement.title,
        )
    return locked


__all__ = [
    "ALLOWED_TYPES",
    "MAX_UPLOAD_BYTES",
    "ValidatedFile",
    "document_accept",
    "document_reject",
    "document_upload",
    "document_validate",
]
