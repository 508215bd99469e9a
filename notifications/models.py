"""The SMS outbox: one row per message, the single source of truth for delivery.

A row is written in the caller's transaction and a Celery task is queued after commit. The
broker is only a doorbell: exactly-once comes from claiming the row (READY → SENDING) with a
conditional UPDATE, and nothing is lost when the broker is down because the periodic sweep
re-queues READY rows that waited too long.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# What an erased secret message shows in the outbox instead of its code or password.
ERASED_TEXT = "(محتوای محرمانه پس از ارسال پاک شد)"


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        READY = "ready", _("آماده ارسال")
        SENDING = "sending", _("در حال ارسال")
        SENT = "sent", _("ارسال شده")
        FAILED = "failed", _("ناموفق")

    class Kind(models.TextChoices):
        OTP = "otp", _("کد تایید")
        BILL_NOTICE = "bill_notice", _("اطلاع‌رسانی قبض")
        PAYMENT = "payment", _("رسید پرداخت")
        REQUEST_STATUS = "request_status", _("وضعیت درخواست")
        OUTAGE_NOTICE = "outage_notice", _("اطلاع‌رسانی خاموشی")
        GENERAL = "general", _("عمومی")

    # Moves allowed by the services; the sweep's SENDING → FAILED is the "outcome unknown"
    # exit for a worker that died mid-send (see services.sms_outbox_sweep).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.READY: frozenset({Status.SENDING}),
        Status.SENDING: frozenset({Status.SENT, Status.FAILED, Status.READY}),
        Status.FAILED: frozenset({Status.READY}),
        Status.SENT: frozenset(),
    }

    recipient = models.CharField(_("گیرنده"), max_length=16)
    kind = models.CharField(_("نوع"), max_length=32, choices=Kind.choices)
    text = models.TextField(
        _("متن"),
        blank=True,
        help_text=_("متن کامل پیامک؛ برای پیامک‌های الگو، متن نمونه‌ای که از قالب محلی ساخته شد."),
    )
    template = models.CharField(_("الگو"), max_length=100, blank=True)
    tokens = models.JSONField(_("پارامترهای الگو"), default=dict, blank=True)
    status = models.CharField(
        _("وضعیت"), max_length=16, choices=Status.choices, default=Status.READY
    )
    attempts = models.PositiveSmallIntegerField(_("تعداد تلاش"), default=0)
    provider_message_id = models.CharField(
        _("شناسه پیامک نزد ارائه‌دهنده"), max_length=64, blank=True
    )
    failure_reason = models.CharField(_("علت خطا"), max_length=500, blank=True)
    idempotency_key = models.CharField(_("کلید یکتایی"), max_length=200, unique=True)
    secret = models.BooleanField(
        _("محرمانه"),
        default=False,
        help_text=_(
            "کد یا رمز دارد (کد تأیید، رمز ۲۸۲۸، رمز ورود سازمان)؛ با SMS_ERASE_SECRETS متن و "
            "پارامترهای آن پس از ارسال یا شکست قطعی پاک می‌شود."
        ),
    )
    batch_id = models.UUIDField(
        _("شناسه دسته"),
        null=True,
        blank=True,
        help_text=_("پیامک‌های یک ارسال گروهی که با هم (حداکثر ۲۰۰ تایی) فرستاده می‌شوند."),
    )
    claim_token = models.UUIDField(_("شناسه برداشت"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("زمان ثبت"), auto_now_add=True)
    updated_at = models.DateTimeField(_("آخرین تغییر"), auto_now=True)
    next_attempt_at = models.DateTimeField(_("زمان تلاش بعدی"))
    claimed_at = models.DateTimeField(_("زمان شروع ارسال"), null=True, blank=True)
    sent_at = models.DateTimeField(_("زمان ارسال"), null=True, blank=True)

    class Meta:
        verbose_name = _("پیامک")
        verbose_name_plural = _("صف پیامک‌ها")
        # The primary key follows insertion order and is always indexed (the changelist and
        # `sms_outbox --last` sort by it without a separate created_at index).
        ordering = ["-id"]
        get_latest_by = "id"
        indexes = [
            # The sweep: READY rows whose turn came more than a minute ago, and stuck SENDING.
            # Partial, so SENT rows (nearly all of a large table) are in neither index.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="ready"), name="sms_ready_due_idx"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="sms_sending_since_idx"
            ),
            # `sms_outbox --to`, the admin search and "latest OTP for this number".
            models.Index(fields=["recipient", "-id"], name="sms_recipient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["ready", "sending", "sent", "failed"]),
                name="sms_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(template=""), name="sms_text_or_template"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_status_display()})"

    @property
    def is_template(self) -> bool:
        return bool(self.template)
