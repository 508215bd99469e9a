"""Subscriptions from the companies' customer systems, and who may see each one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.validators import validate_mobile


class Subscription(models.Model):
    """One metered service (electricity, gas or a phone line's bill) at one address."""

    company = models.ForeignKey(
        "subscribers.UtilityCompany", verbose_name="شرکت", on_delete=models.PROTECT,
        related_name="subscriptions",
    )  # fmt: skip
    subscription_number = models.CharField("شماره اشتراک", max_length=20)
    # Checked against the company's code and service digit by the import and the admin form.
    bill_id = models.CharField("شناسه قبض", max_length=13, unique=True)
    office = models.ForeignKey(
        "subscribers.DistrictOffice", verbose_name="امور", on_delete=models.PROTECT,
        related_name="subscriptions",
    )  # fmt: skip
    city = models.ForeignKey("subscribers.City", verbose_name="شهر", on_delete=models.PROTECT)
    address = models.CharField("نشانی", max_length=300)
    postal_code = models.CharField("کد پستی", max_length=10, blank=True)
    mobile = models.CharField(
        "تلفن همراه ثبت‌شده", max_length=11, blank=True, validators=[validate_mobile]
    )
    tariff = models.CharField("نوع تعرفه", max_length=40)
    branches = models.PositiveSmallIntegerField("تعداد انشعاب", default=1)
    meter_serial = models.CharField("سریال کنتور", max_length=40, blank=True)
    feeder_code = models.CharField("کد فیدر", max_length=40, blank=True)
    holder_id = models.CharField(
        "کد ملی / شناسه ملی دارنده", max_length=11, blank=True,
        help_text="کد ملی (۱۰ رقم) یا شناسه ملی (۱۱ رقم) دارنده اشتراک در سامانه شرکت.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "اشتراک"
        verbose_name_plural = "اشتراک‌ها"
        ordering = ["company", "subscription_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "subscription_number"], name="subscription_number_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_number} ({self.company.short_name or self.company.name})"


class SubscriptionLink(models.Model):
    """A subscriber's proven right to a subscription, as owner or as tenant until lease end."""

    class Role(models.TextChoices):
        OWNER = "owner", "مالک"
        TENANT = "tenant", "استفاده‌کننده / مستأجر"

    class Proof(models.TextChoices):
        OTP = "otp", "کد پیامکی به تلفن ثبت‌شده اشتراک"
        NATIONAL_CODE = "national_code", "تطابق کد ملی دارنده"
        KIOSK = "kiosk", "بررسی مدارک در دفتر پیشخوان"
        OFFICE = "office", "تأیید امور مشترکین"
        TELECOM_CENTER = "telecom_center", "احراز هویت حضوری در مرکز تلفن"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription_links"
    )
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="links")
    role = models.CharField("نقش", max_length=10, choices=Role.choices)
    lease_start = models.DateField("شروع اجاره", null=True, blank=True)
    lease_end = models.DateField("پایان اجاره", null=True, blank=True)
    proof = models.CharField("روش احراز", max_length=20, choices=Proof.choices)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name="تأییدکننده",
    )  # fmt: skip
    created_at = models.DateTimeField("زمان اتصال", auto_now_add=True)
    ended_at = models.DateTimeField("زمان قطع اتصال", null=True, blank=True)

    class Meta:
        verbose_name = "اتصال اشتراک به حساب"
        verbose_name_plural = "اتصال‌های اشتراک به حساب"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subscription"],
                condition=Q(ended_at__isnull=True),
                name="one_active_link_per_user_subscription",
            ),
            models.CheckConstraint(
                condition=Q(role="owner") | Q(lease_end__isnull=False),
                name="tenant_link_has_lease_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.subscription_id} ({self.get_role_display()})"


class OrganisationAccess(models.Model):
    """Seed 000: an organisation with more than five subscriptions introduces a representative
    who, once office staff approve, sees all of the organisation's subscriptions."""

    class Status(models.TextChoices):
        PENDING = "pending", "در انتظار تأیید"
        APPROVED = "approved", "تأیید شده"
        REJECTED = "rejected", "رد شده"
        REVOKED = "revoked", "لغو شده"

    organisation = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_accesses",
        verbose_name="سازمان (شخص حقوقی)",
    )  # fmt: skip
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="represented_orgs",
        verbose_name="نماینده",
    )  # fmt: skip
    office = models.ForeignKey(
        "subscribers.DistrictOffice", on_delete=models.PROTECT, verbose_name="امور رسیدگی‌کننده"
    )
    status = models.CharField(
        "وضعیت", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    introduction_letter = models.CharField("شماره معرفی‌نامه", max_length=50, blank=True)
    requested_at = models.DateTimeField("زمان درخواست", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name="بررسی‌کننده",
    )  # fmt: skip
    decided_at = models.DateTimeField("زمان بررسی", null=True, blank=True)
    note = models.CharField("توضیح", max_length=300, blank=True)

    class Meta:
        verbose_name = "دسترسی تجمیعی سازمان"
        verbose_name_plural = "دسترسی‌های تجمیعی سازمان‌ها"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "representative"],
                condition=Q(status__in=["pending", "approved"]),
                name="one_open_org_access_per_representative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.representative} → {self.organisation}"
