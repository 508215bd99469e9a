"""Uploaded documents: the file checks, upload/re-upload, the office's accept/reject (one SMS)
and the permission-checked download with its safe headers."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw

from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from requests_app.models import (
    Actor,
    Channel,
    RequestDocument,
    RequestEvent,
    ServiceRequest,
    Status,
)
from requests_app.services import documents as docs
from requests_app.services import workflow as wf
from subscribers.middleware import ON_BEHALF_SESSION_KEY
from subscribers.services.kiosk import kiosk_session_start
from tests.factories import (
    DistrictOfficeFactory,
    KioskOperatorFactory,
    UserFactory,
    login_with_second_factor,
)
from tests.requests_app.factories import (
    RequestTypeFactory,
    RequiredDocumentFactory,
    office_staff,
    owned_subscription,
)

pytestmark = pytest.mark.django_db


# --- files, made in memory ------------------------------------------------------------------


def colour_image(size=(800, 700), fmt="JPEG") -> bytes:
    """A scan-like colour picture: gradients per channel and a few coloured shapes."""
    width, height = size
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.radial_gradient("L").resize(size)
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    draw.rectangle((50, 50, 300, 200), fill=(200, 30, 40))
    draw.ellipse((width - 250, height - 250, width - 50, height - 50), fill=(20, 60, 220))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def gray_image(size=(800, 700), fmt="PNG", mode="L") -> bytes:
    image = Image.linear_gradient("L").resize(size)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 400, 300), fill=30)
    if mode != "L":
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def setting():
    """A request in documents review with one mandatory and one optional document."""
    request_type = RequestTypeFactory(stage_documents=True, stage_approval=True)
    card = RequiredDocumentFactory(request_type=request_type, title="کارت ملی", order=1)
    plan = RequiredDocumentFactory(request_type=request_type, title="نقشه", mandatory=False)
    user, subscription = owned_subscription()
    request = wf.request_file(
        request_type=request_type,
        applicant=user,
        actor=user,
        channel=Channel.WEB,
        subscription=subscription,
    )
    assert request.status == Status.DOCUMENTS_REVIEW
    clerk = office_staff(subscription.office)
    return request, card, plan, user, clerk


def do_upload(request, requirement, content, name, actor=None, **extra):
    return docs.document_upload(
        request=request,
        requirement_id=requirement.pk,
        upload=upload(content, name),
        actor=actor or request.applicant,
        **extra,
    )


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (colour_image(fmt="JPEG"), "scan.JPG", "image/jpeg"),
        (colour_image(fmt="JPEG"), "scan.jpeg", "image/jpeg"),
        (colour_image(fmt="PNG"), "scan.png", "image/png"),
        (PDF, "scan.pdf", "application/pdf"),
    ],
)
def test_validate_accepts_colour_images_and_pdf(content, name, content_type):
    result = docs.document_validate(upload=upload(content, name))
    assert result.content_type == content_type
    assert result.size == len(content)
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert result.extension == Path(name).suffix.lower()


BAD_FILES = [
    pytest.param(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "big.pdf", "file_too_large", id="big"),
    pytest.param(b"", "empty.pdf", "file_empty", id="empty"),
    pytest.param(b"\x7fELF\x02\x01\x01" + b"\0" * 200, "cv.pdf", "file_type", id="elf"),
    pytest.param(b"MZ\x90\x00\x03" + b"\0" * 200, "cv.pdf", "file_type", id="exe"),
    pytest.param(b"<html><script>alert(1)</script></html>", "a.png", "file_type", id="html"),
    pytest.param(colour_image(fmt="PNG"), "scan.pdf", "file_extension_mismatch", id="png-as-pdf"),
    pytest.param(colour_image(fmt="JPEG"), "scan.png", "file_extension_mismatch", id="jpg-as-png"),
    pytest.param(PDF, "scan.jpg", "file_extension_mismatch", id="pdf-as-jpg"),
    pytest.param(colour_image(fmt="PNG"), "scan", "file_extension_mismatch", id="no-extension"),
    pytest.param(gray_image(fmt="PNG"), "gray.png", "image_grayscale", id="gray-png"),
    pytest.param(
        gray_image(fmt="JPEG", mode="RGB"), "gray.jpg", "image_grayscale", id="rgb-but-gray"
    ),
    pytest.param(
        colour_image(size=(500, 900)), "small.jpg", "image_too_small", id="short-side-500"
    ),
    pytest.param(colour_image(fmt="PNG")[:120], "cut.png", "image_broken", id="truncated-png"),
    pytest.param(
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript >>"),
        "js.pdf",
        "pdf_active_content",
        id="pdf-javascript",
    ),
]


@pytest.mark.parametrize(("content", "name", "code"), BAD_FILES)
def test_validate_refuses_bad_files_with_a_persian_message_on_the_file_field(content, name, code):
    with pytest.raises(PortalError) as caught:
        docs.document_validate(upload=upload(content, name))
    assert caught.value.code == code
    (message,) = caught.value.fields["file"]
    assert message == caught.value.message
    assert any("\u0600" <= ch <= "\u06ff" for ch in message)


def test_validate_messages_name_the_rule():
    def message(content, name):
        with pytest.raises(PortalError) as caught:
            docs.document_validate(upload=upload(content, name))
        return caught.value.message

    assert message(b"0" * (2 * 1024 * 1024 + 1), "a.pdf") == "حجم پرونده بیش از ۲ مگابایت است."
    assert "رنگی" in message(gray_image(), "g.png")
    assert "۶۰۰" in message(colour_image(size=(500, 900)), "s.jpg")
    assert "JPEG، PNG یا PDF" in message(b"MZ" + b"\0" * 100, "x.pdf")


def test_exactly_two_megabytes_is_allowed():
    content = PDF + b"%" * (2 * 1024 * 1024 - len(PDF))
    assert docs.document_validate(upload=upload(content, "a.pdf")).size == 2 * 1024 * 1024


@pytest.mark.parametrize("side", [8000, 12000])
def test_decompression_bombs_are_refused_before_decoding(side):
    # A few KB of PNG that would inflate to 64 / 144 megapixels.
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    assert len(out.getvalue()) < 2 * 1024 * 1024
    with pytest.raises(PortalError) as caught:
        docs.document_validate(upload=upload(out.getvalue(), "bomb.png"))
    assert caught.value.code == "image_too_large"


def test_missing_file_is_a_field_error():
    with pytest.raises(PortalError) as caught:
        docs.document_validate(upload=None)
    assert caught.value.fields == {"file": ["پرونده مدرک را انتخاب کنید."]}


# --- upload --------------------------------------------------------------------------------


def test_upload_stores_a_random_name_under_media_requests_and_writes_an_event(setting, settings):
    request, card, _plan, user, _clerk = setting
    content = colour_image(fmt="PNG")
    document = do_upload(request, card, content, "../../etc/passwd.png")

    document.refresh_from_db()
    assert document.is_current and document.state == RequestDocument.State.PENDING
    assert document.original_name == "passwd.png"
    assert "/" not in document.original_name and "\\" not in document.original_name
    assert (document.content_type, document.size) == ("image/png", len(content))
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.uploaded_by == user
    name = Path(document.file.name)
    assert name.parts[0] == "requests" and name.suffix == ".png"
    assert "passwd" not in document.file.name and ".." not in document.file.name
    assert len(name.stem) == 32
    on_disk = Path(document.file.path).resolve()
    assert on_disk.is_relative_to((Path(settings.MEDIA_ROOT) / "requests").resolve())
    assert on_disk.read_bytes() == content
    event = request.events.get(kind=RequestEvent.Kind.DOCUMENT_UPLOADED)
    assert (event.actor, event.actor_role, event.note) == (user, Actor.APPLICANT, "کارت ملی")
    assert event.old_status == event.new_status == Status.DOCUMENTS_REVIEW


def test_two_uploads_get_different_names(setting):
    request, card, plan, *_ = setting
    first = do_upload(request, card, PDF, "same.pdf")
    second = do_upload(request, plan, PDF, "same.pdf")
    assert first.file.name != second.file.name


def test_windows_path_and_long_names_are_trimmed_for_display(setting):
    request, card, plan, *_ = setting
    document = do_upload(request, card, PDF, "C:\\Users\\me\\Desktop\\کارت.pdf")
    assert document.original_name == "کارت.pdf"
    long_name = "ب" * 300 + ".pdf"
    document = do_upload(request, plan, PDF, long_name)
    assert len(document.original_name) == 200 and document.original_name.endswith(".pdf")


def test_requirement_id_may_be_written_in_persian_digits(setting):
    request, card, *_ = setting
    document = docs.document_upload(
        request=request,
        requirement_id=to_persian_digits(card.pk),
        upload=upload(PDF, "a.pdf"),
        actor=request.applicant,
    )
    assert document.requirement == card


def test_bad_file_saves_nothing(setting, settings):
    request, card, *_ = setting
    events = request.events.count()
    with pytest.raises(PortalError) as caught:
        do_upload(request, card, gray_image(), "gray.png")
    assert caught.value.code == "image_grayscale"
    assert not RequestDocument.objects.exists()
    assert stored_files(settings) == []
    assert request.events.count() == events


def test_another_subscriber_and_other_office_staff_get_not_found(setting, settings):
    request, card, *_ = setting
    outsider = UserFactory()
    other_staff = office_staff(DistrictOfficeFactory())
    for actor in (outsider, other_staff):
        with pytest.raises(NotFound):
            do_upload(request, card, PDF, "a.pdf", actor=actor)
    # Even a bad file answers 404 to an outsider: nothing about the request leaks.
    with pytest.raises(NotFound):
        do_upload(request, card, b"MZ" + b"\0" * 100, "a.pdf", actor=outsider)
    # Claiming to act for the applicant is not enough for a stranger either.
    with pytest.raises(NotFound):
        do_upload(request, card, PDF, "a.pdf", actor=outsider, on_behalf_of=UserFactory())
    assert not RequestDocument.objects.exists()
    assert stored_files(settings) == []


def test_office_staff_and_kiosk_operator_may_upload(setting):
    request, card, plan, user, clerk = setting
    by_staff = do_upload(request, card, PDF, "a.pdf", actor=clerk)
    assert by_staff.uploaded_by == clerk
    operator = KioskOperatorFactory().user
    by_kiosk = do_upload(request, plan, PDF, "b.pdf", actor=operator, on_behalf_of=user)
    assert by_kiosk.uploaded_by == operator
    events = request.events.filter(kind=RequestEvent.Kind.DOCUMENT_UPLOADED).order_by("id")
    assert [(e.actor, e.actor_role, e.on_behalf_of) for e in events] == [
        (clerk, Actor.CLERK, None),
        (operator, Actor.APPLICANT, user),
    ]


def test_requirement_of_another_type_or_for_legal_persons_is_refused(setting):
    request, *_ = setting
    foreign = RequiredDocumentFactory()
    legal_only = RequiredDocumentFactory(
        request_type=request.request_type, title="اساسنامه", applies_to="legal"
    )
    for requirement_id in (foreign.pk, legal_only.pk, "abc", None):
        with pytest.raises(PortalError) as caught:
            docs.document_upload(
                request=request,
                requirement_id=requirement_id,
                upload=upload(PDF, "a.pdf"),
                actor=request.applicant,
            )
        assert caught.value.code == "invalid_requirement"
        assert caught.value.fields["requirement"]
    assert not RequestDocument.objects.exists()


def test_upload_refused_once_the_request_left_the_document_states(setting, settings):
    request, card, _plan, _user, clerk = setting
    request = wf.request_reject(request=request, actor=clerk, reason="مدارک ناقص")
    with pytest.raises(PortalError) as caught:
        do_upload(request, card, PDF, "a.pdf")
    assert caught.value.code == "upload_not_allowed"
    assert caught.value.message == "در این مرحله بارگذاری مدرک ممکن نیست."
    assert not RequestDocument.objects.exists()
    assert stored_files(settings) == []


def test_upload_allowed_in_a_draft(setting):
    *_, user, _clerk = setting
    draft = wf.request_file(
        request_type=RequestTypeFactory(),
        applicant=user,
        actor=user,
        channel=Channel.WEB,
        subscription=owned_subscription(user)[1],
        submit=False,
    )
    requirement = RequiredDocumentFactory(request_type=draft.request_type)
    assert draft.status == Status.DRAFT
    assert do_upload(draft, requirement, PDF, "a.pdf").request == draft


def test_pending_upload_is_replaced_and_accepted_one_is_not(setting):
    request, card, _plan, _user, clerk = setting
    first = do_upload(request, card, PDF, "a.pdf")
    second = do_upload(request, card, colour_image(), "b.jpg")
    first.refresh_from_db()
    assert not first.is_current and first.state == RequestDocument.State.PENDING
    assert second.is_current
    assert Path(first.file.path).exists()  # the old file stays for the record

    docs.document_accept(document=second, actor=clerk)
    with pytest.raises(PortalError) as caught:
        do_upload(request, card, PDF, "c.pdf")
    assert caught.value.code == "document_accepted"
    assert RequestDocument.objects.filter(request=request, requirement=card).count() == 2


def test_failed_transaction_leaves_no_orphan_file(setting, settings, monkeypatch):
    request, card, *_ = setting

    def broken_event_add(**kwargs):  # fault injection: the database write after the file
        raise RuntimeError("database went away")

    monkeypatch.setattr(docs.workflow, "request_event_add", broken_event_add)
    with pytest.raises(RuntimeError):
        do_upload(request, card, PDF, "a.pdf")
    assert not RequestDocument.objects.exists()
    assert stored_files(settings) == []


# --- reject / accept -----------------------------------------------------------------------


def test_reject_sends_one_sms_and_the_applicant_can_upload_again(setting):
    request, card, _plan, user, clerk = setting
    document = do_upload(request, card, PDF, "a.pdf")
    before = OutboxMessage.objects.filter(recipient=user.mobile).count()

    rejected = docs.document_reject(document=document, actor=clerk, reason="  تصویر  ناخوانا است ")
    assert rejected.state == RequestDocument.State.REJECTED
    assert rejected.rejection_reason == "تصویر ناخوانا است"
    assert (rejected.reviewed_by, rejected.reviewed_at is not None) == (clerk, True)
    event = request.events.get(kind=RequestEvent.Kind.DOCUMENT_REJECTED)
    assert (event.actor, event.actor_role, event.note) == (clerk, Actor.CLERK, "تصویر ناخوانا است")
    messages = OutboxMessage.objects.filter(recipient=user.mobile).order_by("id")[before:]
    assert len(messages) == 1
    assert "کارت ملی" in messages[0].text and "تصویر ناخوانا است" in messages[0].text
    assert messages[0].idempotency_key == f"request-event:{event.pk}"

    again = do_upload(request, card, colour_image(), "new.jpg")
    document.refresh_from_db()
    assert not document.is_current and document.state == RequestDocument.State.REJECTED
    assert again.is_current and again.state == RequestDocument.State.PENDING
    assert OutboxMessage.objects.filter(recipient=user.mobile).count() == before + 1


def test_reject_needs_a_reason_and_changes_nothing_without_one(setting):
    request, card, _plan, _user, clerk = setting
    document = do_upload(request, card, PDF, "a.pdf")
    outbox = OutboxMessage.objects.count()
    for reason in ("", "   ", "ب" * 301):
        with pytest.raises(PortalError) as caught:
            docs.document_reject(document=document, actor=clerk, reason=reason)
        assert caught.value.fields["reason"]
    document.refresh_from_db()
    assert document.state == RequestDocument.State.PENDING
    assert not request.events.filter(kind=RequestEvent.Kind.DOCUMENT_REJECTED).exists()
    assert OutboxMessage.objects.count() == outbox


def test_only_the_offices_staff_review_documents(setting):
    request, card, _plan, user, _clerk = setting
    document = do_upload(request, card, PDF, "a.pdf")
    for actor in (user, UserFactory(), office_staff(DistrictOfficeFactory())):
        with pytest.raises(NotFound):
            docs.document_reject(document=document, actor=actor, reason="ناخوانا")
        with pytest.raises(NotFound):
            docs.document_accept(document=document, actor=actor)
    document.refresh_from_db()
    assert document.state == RequestDocument.State.PENDING


def test_superseded_or_changed_documents_cannot_be_reviewed(setting):
    request, card, _plan, _user, clerk = setting
    old = do_upload(request, card, PDF, "a.pdf")
    shown = RequestDocument.objects.get(pk=do_upload(request, card, PDF, "b.pdf").pk)
    with pytest.raises(PortalError) as caught:
        docs.document_reject(document=old, actor=clerk, reason="ناخوانا")
    assert caught.value.code == "document_replaced"
    # Another clerk rejected it while this one looked at the pending document.
    docs.document_reject(document=shown, actor=clerk, reason="ناخوانا")
    with pytest.raises(PortalError) as caught:
        docs.document_accept(document=shown, actor=clerk)
    assert (caught.value.code, caught.value.status_code) == ("conflict", 409)
    shown.refresh_from_db()
    with pytest.raises(PortalError) as caught:
        docs.document_reject(document=shown, actor=clerk, reason="دوباره")
    assert caught.value.code == "already_rejected"
    assert request.events.filter(kind=RequestEvent.Kind.DOCUMENT_REJECTED).count() == 1


def test_review_refused_on_a_closed_request(setting):
    request, card, _plan, _user, clerk = setting
    document = do_upload(request, card, PDF, "a.pdf")
    wf.request_reject(request=request, actor=clerk, reason="انصراف")
    with pytest.raises(PortalError) as caught:
        docs.document_reject(document=document, actor=clerk, reason="ناخوانا")
    assert caught.value.code == "review_not_allowed"


def test_accept_documents_refuses_while_a_mandatory_document_is_rejected(setting):
    request, card, _plan, _user, clerk = setting
    document = do_upload(request, card, PDF, "a.pdf")
    docs.document_reject(document=document, actor=clerk, reason="ناخوانا")
    with pytest.raises(PortalError) as caught:
        wf.request_accept_documents(request=request, actor=clerk)
    assert caught.value.code == "documents_missing"
    assert "کارت ملی" in caught.value.message
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.DOCUMENTS_REVIEW

    do_upload(request, card, colour_image(), "again.jpg")
    request = wf.request_accept_documents(request=request, actor=clerk)
    assert request.status == Status.APPROVAL


def test_accept_marks_the_document_and_writes_an_event(setting):
    request, card, _plan, _user, clerk = setting
    document = do_upload(request, card, PDF, "a.pdf")
    accepted = docs.document_accept(document=document, actor=clerk)
    assert accepted.state == RequestDocument.State.ACCEPTED and accepted.reviewed_by == clerk
    event = request.events.get(kind=RequestEvent.Kind.DOCUMENT_ACCEPTED)
    assert (event.actor_role, event.note) == (Actor.CLERK, "کارت ملی")
    with pytest.raises(PortalError) as caught:
        docs.document_accept(document=accepted, actor=clerk)
    assert caught.value.code == "already_accepted"


# --- download ------------------------------------------------------------------------------


def url(document, **query):
    base = reverse("requests_app:document-download", args=[document.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def uploaded(setting):
    request, card, _plan, user, clerk = setting
    content = colour_image(fmt="PNG")
    return do_upload(request, card, content, "../../etc/passwd.png"), content, user, clerk


def assert_safe_headers(response, document, disposition="attachment"):
    assert response["Content-Type"] == "image/png"
    assert (
        response["Content-Disposition"] == f'{disposition}; filename="document-{document.pk}.png"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_owner_downloads_with_safe_headers(client, uploaded):
    document, content, user, _clerk = uploaded
    client.force_login(user)
    response = client.get(url(document))
    assert response.status_code == 200
    assert body(response) == content
    assert_safe_headers(response, document)
    assert "passwd" not in response["Content-Disposition"]
    # The owner gets an attachment even when asking for a preview.
    response = client.get(url(document, inline=1))
    assert_safe_headers(response, document)


def test_outsiders_and_anonymous_get_404(client, uploaded):
    document, _content, *_ = uploaded
    assert client.get(url(document)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url(document)).status_code == 404
    other_staff = office_staff(DistrictOfficeFactory())
    login_with_second_factor(client, other_staff)
    assert client.get(url(document)).status_code == 404
    missing = reverse("requests_app:document-download", args=[document.pk + 1000])
    assert client.get(missing).status_code == 404


def test_office_staff_download_and_preview_after_second_factor(client, uploaded):
    document, content, _user, clerk = uploaded
    client.force_login(clerk)
    assert client.get(url(document)).status_code == 404  # password only: not enough
    login_with_second_factor(client, clerk)
    response = client.get(url(document))
    assert response.status_code == 200 and body(response) == content
    assert_safe_headers(response, document)
    response = client.get(url(document, inline=1))
    assert response.status_code == 200
    assert_safe_headers(response, document, disposition="inline")


def test_superseded_document_is_staff_only(client, setting):
    request, card, _plan, user, clerk = setting
    old = do_upload(request, card, colour_image(fmt="PNG"), "a.png")
    do_upload(request, card, PDF, "b.pdf")
    client.force_login(user)
    assert client.get(url(old)).status_code == 404
    login_with_second_factor(client, clerk)
    assert client.get(url(old)).status_code == 200


def test_kiosk_operator_downloads_in_an_on_behalf_session(client, uploaded):
    document, content, user, _clerk = uploaded
    operator = KioskOperatorFactory()
    login_with_second_factor(client, operator.user)
    assert client.get(url(document)).status_code == 404  # as themselves
    session = kiosk_session_start(
        operator=operator.user,
        citizen=user,
        kiosk=operator.kiosk,
        consent="otp",
        client_ip="10.0.0.1",
    )
    client_session = client.session
    client_session[ON_BEHALF_SESSION_KEY] = session.pk
    client_session.save()
    response = client.get(url(document))
    assert response.status_code == 200 and body(response) == content


def test_missing_file_on_disk_is_404(client, uploaded):
    document, _content, user, _clerk = uploaded
    Path(document.file.path).unlink()
    client.force_login(user)
    assert client.get(url(document)).status_code == 404


def test_unknown_stored_type_is_served_as_bytes(client, uploaded):
    document, _content, _user, clerk = uploaded
    RequestDocument.objects.filter(pk=document.pk).update(content_type="text/html")
    login_with_second_factor(client, clerk)
    response = client.get(url(document, inline=1))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_download_is_get_only(client, uploaded):
    document, _content, user, _clerk = uploaded
    client.force_login(user)
    assert client.post(url(document)).status_code == 405
