"""Accounts: one ``User`` for subscribers (natural and legal persons), kiosk operators and
office staff, with the person's details in a one-to-one profile (seed 002's fields)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from portal.validators import (
    validate_legal_national_id,
    validate_mobile,
    validate_national_code,
    validate_postal_code,
)


class User(AbstractUser):
    """A login. Natural persons log in with their national code; legal persons with a chosen
    or issued username; staff and operators with the username admin gives them."""

    class Kind(models.TextChoices):
        NATURAL = "natural", "حقیقی"
        LEGAL = "legal", "حقوقی"
        STAFF = "staff", "کارمند / اپراتور"

    kind = models.CharField("نوع کاربر", max_length=10, choices=Kind.choices, default=Kind.STAFF)
    national_code = models.CharField(
        "کد ملی", max_length=10, null=True, blank=True, unique=True,
        validators=[validate_national_code],
    )  # fmt: skip
    legal_national_id = models.CharField(
        "شناسه ملی", max_length=11, null=True, blank=True, unique=True,
        validators=[validate_legal_national_id],
    )  # fmt: skip
    mobile = models.CharField(
        "تلفن همراه", max_length=11, blank=True, validators=[validate_mobile], db_index=True
    )
    mobile_verified_at = models.DateTimeField("تأیید تلفن همراه", null=True, blank=True)
    office = models.ForeignKey(
        "subscribers.DistrictOffice",
        verbose_name="امور",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text="برای کارکنان امور: فقط کار همین امور را می‌بینند.",
    )

    class Meta(AbstractUser.Meta):
        verbose_name = "کاربر"
        verbose_name_plural = "کاربران"
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="natural") | Q(national_code__isnull=False),
                name="natural_person_has_national_code",
            ),
            models.CheckConstraint(
                condition=~Q(kind="legal") | Q(legal_national_id__isnull=False),
                name="legal_person_has_national_id",
            ),
        ]

    def get_session_auth_hash(self) -> str:
        """Sessions carry this hash; it covers the mobile as well as the password, so changing
        either ends every other session of the account (the current one is re-keyed with
        ``update_session_auth_hash``)."""
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "subscribers.User.get_session_auth_hash",
            f"{self.password}:{self.mobile}",
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_subscriber(self) -> bool:
        return self.kind in (self.Kind.NATURAL, self.Kind.LEGAL)

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.LEGAL and hasattr(self, "legal_profile"):
            return self.legal_profile.company_name
        return self.get_full_name() or self.get_username()


class NaturalProfile(models.Model):
    class Gender(models.TextChoices):
        FEMALE = "female", "زن"
        MALE = "male", "مرد"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="natural_profile")
    gender = models.CharField("جنسیت", max_length=6, choices=Gender.choices)
    father_name = models.CharField("نام پدر", max_length=80)
    nationality = models.CharField("تابعیت", max_length=40, default="ایرانی")
    birth_date = models.DateField("تاریخ تولد")
    id_number = models.CharField("شماره شناسنامه / گذرنامه", max_length=20)
    place_of_issue = models.CharField("محل صدور", max_length=80)
    postal_code = models.CharField("کد پستی", max_length=10, validators=[validate_postal_code])

    class Meta:
        verbose_name = "مشخصات شخص حقیقی"
        verbose_name_plural = "مشخصات اشخاص حقیقی"

    def __str__(self) -> str:
        return str(self.user)


class LegalProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="legal_profile")
    company_name = models.CharField("نام شرکت", max_length=200)
    registration_date = models.DateField("تاریخ ثبت")
    registration_number = models.CharField("شماره ثبت", max_length=20)
    place_of_issue = models.CharField("محل صدور", max_length=80)
    subscriber_type = models.CharField("نوع مشترک", max_length=80)
    representative_first_name = models.CharField("نام نماینده", max_length=80)
    representative_last_name = models.CharField("نام خانوادگی نماینده", max_length=80)
    representative_national_code = models.CharField(
        "کد ملی نماینده", max_length=10, validators=[validate_national_code]
    )
    representative_mobile = models.CharField(
        "تلفن همراه نماینده", max_length=11, validators=[validate_mobile]
    )

    class Meta:
        verbose_name = "مشخصات شخص حقوقی"
        verbose_name_plural = "مشخصات اشخاص حقوقی"

    def __str__(self) -> str:
        return self.company_name
