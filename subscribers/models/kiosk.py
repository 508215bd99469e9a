"""Government kiosks (پیشخوان), their operators, in-person identity checks and the
time-limited "on behalf of" sessions an operator opens for a citizen who is present."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class KioskOffice(models.Model):
    code = models.CharField("کد دفتر", max_length=20, unique=True)
    name = models.CharField("نام دفتر", max_length=150)
    city = models.ForeignKey("subscribers.City", verbose_name="شهر", on_delete=models.PROTECT)

    class Meta:
        verbose_name = "دفتر پیشخوان"
        verbose_name_plural = "دفاتر پیشخوان"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class KioskOperator(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kiosk_operator"
    )
    kiosk = models.ForeignKey(KioskOffice, on_delete=models.PROTECT, related_name="operators")
    is_active = models.BooleanField("فعال", default=True)

    class Meta:
        verbose_name = "اپراتور پیشخوان"
        verbose_name_plural = "اپراتورهای پیشخوان"

    def __str__(self) -> str:
        return f"{self.user} @ {self.kiosk}"


class IdentityVerification(models.Model):
    """An operator saw the person and their documents (seed 002's checklist)."""

    class Channel(models.TextChoices):
        KIOSK = "kiosk", "دفتر پیشخوان"
        TELECOM_CENTER = "telecom_center", "مرکز تلفن"
        OFFICE = "office", "امور مشترکین"

    class DocumentType(models.TextChoices):
        NATIONAL_CARD = "national_card", "کارت ملی"
        BIRTH_CERTIFICATE = "birth_certificate", "شناسنامه"
        PASSPORT = "passport", "گذرنامه"
        DRIVING_LICENCE = "driving_licence", "گواهینامه"
        COMPANY_DOCUMENTS = "company_documents", "مدارک ثبتی شرکت"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_verifications"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("محل احراز", max_length=20, choices=Channel.choices)
    kiosk = models.ForeignKey(KioskOffice, null=True, blank=True, on_delete=models.PROTECT)
    document_type = models.CharField("نوع مدرک", max_length=20, choices=DocumentType.choices)
    document_number = models.CharField("شماره مدرک", max_length=30)
    # Keys from subscribers.services.identity.CHECKLISTS (seed 002), e.g. "id_copy", "lease".
    documents_seen = models.JSONField("مدارک رؤیت‌شده", default=list)
    created_at = models.DateTimeField("زمان احراز", auto_now_add=True)

    class Meta:
        verbose_name = "احراز هویت حضوری"
        verbose_name_plural = "احراز هویت‌های حضوری"

    def __str__(self) -> str:
        return f"{self.user} ({self.get_channel_display()})"


class OnBehalfSession(models.Model):
    """A kiosk operator acting for a present citizen, after consent, for a limited time."""

    class Consent(models.TextChoices):
        OTP = "otp", "کد رضایت پیامکی"
        IN_PERSON = "in_person", "احراز هویت حضوری"

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kiosk_sessions"
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="served_sessions"
    )
    kiosk = models.ForeignKey(KioskOffice, on_delete=models.PROTECT)
    consent = models.CharField("نوع رضایت", max_length=10, choices=Consent.choices)
    verification = models.ForeignKey(
        IdentityVerification, null=True, blank=True, on_delete=models.PROTECT
    )
    started_at = models.DateTimeField("شروع", auto_now_add=True)
    expires_at = models.DateTimeField("پایان مهلت")
    ended_at = models.DateTimeField("پایان", null=True, blank=True)

    class Meta:
        verbose_name = "نشست «از طرف شهروند»"
        verbose_name_plural = "نشست‌های «از طرف شهروند»"

    def __str__(self) -> str:
        return f"{self.operator} → {self.citizen}"
