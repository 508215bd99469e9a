"""Fixed-line telecom (seed 002): phone lines, their web-service activation after an in-person
identity check at a telephone center, and call-detail records (ریزمکالمات).

A ``PhoneLine`` extends the line's ``Subscription`` (a telecom company's subscription: bill ID,
telephone center = the subscription's office, installation address, postal code, holder, SMS
mobile). Subscribers link it like any subscription (``SubscriptionLink``: owner = صاحب تلفن,
tenant = استفاده‌کننده with a lease end); a link only opens the line's e-services once a
``LineActivation`` exists for it.

``CallRecord`` is the largest table of the portal. On PostgreSQL it is declaratively
partitioned by month on ``started_at`` (migration 0001 writes the DDL by hand; Django's state
sees an ordinary model): every partition carries a B-tree on (line_id, started_at, id) and a
BRIN on started_at, there is no primary-key index and no foreign-key constraint (the importer
checks the line), and nothing may ``COUNT(*)`` the table. Partitions are created on demand by
``telecom.services.partitions.partitions_ensure``. SQLite keeps a plain table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SpecialService(models.TextChoices):
    """Seed 002 «سرویس‌های ویژه»: the switch features a subscriber turns on or off."""

    CALL_WAITING = "call_waiting", _("انتظار مکالمه")
    CALL_FORWARDING = "call_forwarding", _("انتقال مکالمه")
    CONFERENCE = "conference", _("مکالمه سه‌طرفه (کنفرانس)")
    CALLER_ID = "caller_id", _("نمایش شماره تماس‌گیرنده")
    HOTLINE = "hotline", _("خط داغ")
    ABSENT = "absent", _("اعلام غیبت")


class PhoneLine(models.Model):
    """One fixed line: the number and the service flags the line services switch."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("دایر")
        DISCONNECTED = "disconnected", _("قطع")
        FAULTY = "faulty", _("خراب (اعلام‌شده)")

    subscription = models.OneToOneField(
        "subscribers.Subscription",
        verbose_name=_("اشتراک (قبض تلفن)"),
        on_delete=models.PROTECT,
        related_name="phone_line",
    )
    # Area code + subscriber number, digits only, e.g. 04133334444 (11 digits in Iran).
    number = models.CharField(_("شماره تلفن با کد شهر"), max_length=11, unique=True)
    status = models.CharField(
        _("وضعیت"), max_length=15, choices=Status.choices, default=Status.ACTIVE
    )
    special_services = models.JSONField(
        _("سرویس‌های ویژه فعال"),
        default=list,
        blank=True,
        help_text=_("فهرست کدهای SpecialService که روی خط فعال است."),
    )
    directory_listed = models.BooleanField(_("اعلام به ۱۱۸"), default=True)
    second_zero_blocked = models.BooleanField(_("صفر دوم (بین‌الملل) بسته"), default=False)
    adsl = models.BooleanField(_("سرویس ADSL"), default=False)
    sms_service = models.BooleanField(_("سرویس پیامک"), default=False)
    smart_service = models.BooleanField(_("سرویس هوشمند"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("خط تلفن ثابت")
        verbose_name_plural = _("خطوط تلفن ثابت")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class LineActivation(models.Model):
    """Seed 002: the line's web services are active for this link because a telecom-center
    operator saw the subscriber (``verification``) with the documents of their checklist.

    For a tenant (استفاده‌کننده) the operator records the lease period from the lease itself;
    at activation at least five months of the lease must remain. Calls are visible to a tenant
    only inside ``lease_start``..``lease_end`` (inclusive, Asia/Tehran days)."""

    link = models.OneToOneField(
        "subscribers.SubscriptionLink",
        verbose_name=_("اتصال خط به حساب"),
        on_delete=models.CASCADE,
        related_name="line_activation",
    )
    verification = models.ForeignKey(
        "subscribers.IdentityVerification",
        verbose_name=_("احراز هویت حضوری"),
        on_delete=models.PROTECT,
        related_name="line_activations",
    )
    lease_start = models.DateField(_("شروع اجاره"), null=True, blank=True)
    lease_end = models.DateField(_("پایان اجاره"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("اپراتور مرکز تلفن"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("زمان فعال‌سازی"), auto_now_add=True)

    class Meta:
        verbose_name = _("فعال‌سازی خدمات خط")
        verbose_name_plural = _("فعال‌سازی‌های خدمات خط")
        ordering = ["-activated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lease_end__isnull=True) | Q(lease_start__isnull=False),
                name="line_activation_lease_has_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.link}"


class CallType(models.TextChoices):
    INTERCITY = "intercity", _("بین‌شهری")
    MOBILE = "mobile", _("تلفن همراه")
    INTERNATIONAL = "international", _("بین‌الملل")
    SMART = "smart", _("سرویس هوشمند")
    LOCAL = "local", _("شهری")


# Local (same-city) calls are stored but never itemised to users (TCI practice, DOMAIN.md).
LISTED_CALL_TYPES = (CallType.INTERCITY, CallType.MOBILE, CallType.INTERNATIONAL, CallType.SMART)


class CdrImport(models.Model):
    """One imported call-record file; the SHA-256 makes a second import of it a no-op."""

    file_name = models.CharField(_("نام پرونده"), max_length=255, blank=True)
    sha256 = models.CharField(_("چکیده SHA-256"), max_length=64, unique=True)
    rows = models.PositiveBigIntegerField(_("تعداد سطر"), default=0)
    first_call = models.DateTimeField(_("نخستین تماس"), null=True, blank=True)
    last_call = models.DateTimeField(_("آخرین تماس"), null=True, blank=True)
    seconds = models.FloatField(_("مدت ورود (ثانیه)"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("واردکننده"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("زمان ورود"), auto_now_add=True)

    class Meta:
        verbose_name = _("پرونده ریزمکالمات واردشده")
        verbose_name_plural = _("پرونده‌های ریزمکالمات واردشده")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name or self.sha256[:12]


class CallRecord(models.Model):
    """One call. See the module docstring for the PostgreSQL layout; never ``.count()`` it."""

    id = models.BigAutoField(primary_key=True)
    line = models.ForeignKey(
        PhoneLine,
        verbose_name=_("خط"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    started_at = models.DateTimeField(_("زمان شروع"))
    other_number = models.CharField(_("شماره طرف مقابل"), max_length=20)
    call_type = models.CharField(_("نوع مکالمه"), max_length=13, choices=CallType.choices)
    duration_s = models.PositiveIntegerField(_("مدت (ثانیه)"))
    cost_rial = models.PositiveBigIntegerField(_("هزینه (ریال)"))
    batch = models.ForeignKey(
        CdrImport,
        verbose_name=_("پرونده"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("ریزمکالمه")
        verbose_name_plural = _("ریزمکالمات")
        # Declared for SQLite and for Django's state; on PostgreSQL the migration creates the
        # same index as a partitioned index plus the BRIN (see migration 0001).
        indexes = [
            models.Index(fields=["line", "started_at", "id"], name="callrecord_line_started"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.started_at:%Y-%m-%d %H:%M} → {self.other_number}"


# =============================================================================================
# Line claims («درج تلفن») and legal persons' issued credentials — lines & activation (H3).
# =============================================================================================


class LineClaim(models.Model):
    """Seed 002 «درج تلفن»: a subscriber says «this line is mine» (صاحب تلفن) or «I use it»
    (استفاده‌کننده, with the lease end). A claim grants nothing: it waits until a telecom-center
    operator checks the documents in person and activates it (``telecom.services.activation``),
    which creates the ``SubscriptionLink`` and the ``LineActivation``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("در انتظار احراز هویت حضوری")
        ACTIVATED = "activated", _("فعال شد")
        CANCELLED = "cancelled", _("لغو شد")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("مشترک"),
        on_delete=models.CASCADE,
        related_name="line_claims",
    )
    line = models.ForeignKey(
        PhoneLine, verbose_name=_("خط"), on_delete=models.CASCADE, related_name="claims"
    )
    role = models.CharField(
        _("وضعیت تملک"),
        max_length=10,
        choices=[("owner", _("صاحب تلفن")), ("tenant", _("استفاده‌کننده (مستأجر)"))],
    )
    lease_end = models.DateField(_("پایان اجاره (اعلام مشترک)"), null=True, blank=True)
    status = models.CharField(
        _("وضعیت"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    activation = models.OneToOneField(
        LineActivation,
        verbose_name=_("فعال‌سازی"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claim",
    )
    created_at = models.DateTimeField(_("زمان ثبت"), auto_now_add=True)
    decided_at = models.DateTimeField(_("زمان رسیدگی"), null=True, blank=True)

    class Meta:
        verbose_name = _("درخواست درج تلفن")
        verbose_name_plural = _("درخواست‌های درج تلفن")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "line"],
                condition=Q(status="pending"),
                name="one_open_line_claim_per_user",
            ),
            models.CheckConstraint(
                condition=Q(role="owner") | Q(lease_end__isnull=False),
                name="tenant_line_claim_has_lease_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} ← {self.user_id} ({self.get_role_display()})"


class LegalCredentialIssue(models.Model):
    """Seed 002: a legal person is given its username and ONE system-generated password when
    its first line is activated. This row records that it happened (never the password), so
    a later activation does not issue another."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("شخص حقوقی"),
        on_delete=models.CASCADE,
        related_name="legal_credential_issue",
    )
    # SET_NULL: the record that credentials were issued outlives the activation it came with
    # (an account deleted with its links must not be blocked by it).
    activation = models.ForeignKey(
        LineActivation,
        verbose_name=_("فعال‌سازی"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("اپراتور"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    username = models.CharField(_("نام کاربری"), max_length=150)
    masked_mobile = models.CharField(_("پیامک‌شده به"), max_length=16)
    issued_at = models.DateTimeField(_("زمان صدور"), auto_now_add=True)

    class Meta:
        verbose_name = _("صدور نام کاربری و رمز شخص حقوقی")
        verbose_name_plural = _("صدور نام کاربری و رمز اشخاص حقوقی")

    def __str__(self) -> str:
        return self.username
