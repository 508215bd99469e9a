"""Uploaded documents of a request.

Files live under ``MEDIA_ROOT`` (outside static, never served by a URL of their own)
under random names; ``requests_app.views.documents.document_download`` streams them to the
applicant and the office's staff only.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

# Location and URL are read from settings when used (and follow setting changes in tests):
# MEDIA_ROOT is outside static and MEDIA_URL is never routed, so no file has a public URL.
private_storage = FileSystemStorage()


def document_upload_to(instance: RequestDocument, filename: str) -> str:
    # Only the extension survives from the citizen's name, and it was already checked against
    # the sniffed type; the rest is random so names say nothing and cannot collide or traverse.
    suffix = Path(filename).suffix.lower()
    return f"requests/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix}"


class RequestDocument(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("در انتظار بررسی")
        ACCEPTED = "accepted", _("پذیرفته شده")
        REJECTED = "rejected", _("رد شده")

    request = models.ForeignKey(
        "requests_app.ServiceRequest", on_delete=models.CASCADE, related_name="documents"
    )
    requirement = models.ForeignKey(
        "requests_app.RequiredDocument",
        verbose_name=_("مدرک"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A re-upload after a rejection keeps the old row (is_current=False) for the record.
    is_current = models.BooleanField(default=True)
    file = models.FileField(storage=private_storage, upload_to=document_upload_to)
    original_name = models.CharField(_("نام اصلی پرونده"), max_length=200)
    content_type = models.CharField(_("نوع پرونده"), max_length=50)
    size = models.PositiveIntegerField(_("حجم (بایت)"))
    sha256 = models.CharField(max_length=64)
    state = models.CharField(
        _("وضعیت"), max_length=10, choices=State.choices, default=State.PENDING
    )
    rejection_reason = models.CharField(_("دلیل رد"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("زمان بارگذاری"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("مدرک بارگذاری‌شده")
        verbose_name_plural = _("مدارک بارگذاری‌شده")
        ordering = ["requirement__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "requirement"],
                condition=models.Q(is_current=True),
                name="requestdocument_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement} ({self.get_state_display()})"

    @property
    def download_name(self) -> str:
        """The name offered on download: ASCII, from our own id and the checked extension."""
        return f"document-{self.pk}{Path(self.file.name).suffix}"
