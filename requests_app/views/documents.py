"""Serving uploaded documents (work package: documents).

The one way a stored document leaves the server: the applicant (also through a kiosk
operator's on-behalf session, where ``request.user`` is the citizen) and the office's staff,
after their second factor. Everyone else — anonymous included — gets the same 404, so a
document id says nothing about what exists.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path
from django.views.decorators.http import require_GET

from portal.errors import NotFound
from requests_app.models.documents import private_storage
from requests_app.selectors.requests import document_get_for_user
from requests_app.services.documents import ALLOWED_TYPES
from subscribers.permissions import staff_second_factor_done

# Headers every download carries: the browser must not guess the type, keep a copy, or run
# anything the file might contain if it is opened in a tab.
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


@require_GET
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    """Stream one document as an attachment; ``?inline=1`` lets staff preview it in the
    browser. Missing, someone else's, not logged in, staff without the second factor, or the
    file gone from disk: 404."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    try:
        document = document_get_for_user(user=user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    is_applicant = document.is_current and document.request.applicant_id == user.pk
    if not is_applicant and not staff_second_factor_done(request):
        raise Http404
    name = document.file.name
    if not name:
        raise Http404
    try:
        handle = private_storage.open(name, "rb")
    except (OSError, SuspiciousFileOperation, ValueError):
        raise Http404 from None
    # The stored type was sniffed at upload; anything else (a row written by hand) is served
    # as opaque bytes.
    content_type = document.content_type
    if content_type not in ALLOWED_TYPES:
        content_type = "application/octet-stream"
    inline = (
        not is_applicant
        and request.GET.get("inline") == "1"
        and content_type != "application/octet-stream"
    )
    response = FileResponse(handle, content_type=content_type)
    filename = _ascii_name(document.download_name, document.pk)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    for header, value in SAFE_HEADERS.items():
        response[header] = value
    if inline and content_type == "application/pdf":
        # Chromium's PDF viewer refuses to render inside a sandboxed document; the PDF was
        # checked at upload for JavaScript, launch actions and embedded files.
        response["Content-Security-Policy"] = "default-src 'none'; object-src 'self'"
    return response


def _ascii_name(name: str, pk: int) -> str:
    # download_name is built from our id and a checked extension; guard anyway so no quote,
    # separator or non-ASCII byte can ever reach the header.
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in {ext for exts in ALLOWED_TYPES.values() for ext in exts}:
        suffix = ""
    return f"document-{pk}{suffix}"


urlpatterns: list = [
    path("requests/documents/<int:document_id>/", document_download, name="document-download"),
]
