"""One-time codes and the counters behind their limits, all in the database (not Redis) so
the limits hold when Redis is down (TARGETS: ASVS 2.4.1, NIST 800-63B)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class OtpPurpose(models.TextChoices):
    REGISTER = "register", "ثبت‌نام"
    LOGIN = "login", "ورود"
    RESET = "reset", "بازیابی رمز عبور"
    CONSENT = "consent", "رضایت برای دفتر پیشخوان"
    MOBILE_CHANGE = "mobile_change", "تغییر تلفن همراه"
    LINK = "link", "اتصال اشتراک"
    STAFF_LOGIN = "staff_login", "ورود کارکنان"
    OUTAGE_REPORT = "outage_report", "گزارش خاموشی"


class OtpChallenge(models.Model):
    """One code sent to one mobile for one purpose; only its hash is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mobile = models.CharField("تلفن همراه", max_length=11)
    purpose = models.CharField("منظور", max_length=20, choices=OtpPurpose.choices)
    code_hash = models.CharField(max_length=128)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="otp_challenges",
    )  # fmt: skip
    # What the code will unlock, e.g. {"subscription_id": 7} or {"new_mobile": "0912…"}.
    payload = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Set once the verified challenge has been spent on its action (single use).
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "کد یک‌بارمصرف"
        verbose_name_plural = "کدهای یک‌بارمصرف"
        indexes = [
            models.Index(fields=["mobile", "created_at"], name="otp_mobile_created"),
            models.Index(fields=["client_ip", "created_at"], name="otp_ip_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.mobile[:4]}***"


class OtpFailure(models.Model):
    """A wrong code, counted per mobile for the 10-per-24-hours lock."""

    mobile = models.CharField(max_length=11)
    challenge = models.ForeignKey(OtpChallenge, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["mobile", "created_at"], name="otpfail_mobile_created")]

    def __str__(self) -> str:
        return f"{self.mobile[:4]}*** {self.created_at}"


class LoginFailure(models.Model):
    """A failed staff/operator login, counted per username + IP (never IP alone: a kiosk
    shares one IP) for the 5-in-30-minutes lock."""

    username = models.CharField(max_length=150)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "client_ip", "created_at"], name="loginfail_user_ip")
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.client_ip}"


class RateCounter(models.Model):
    """Fixed-window hit counters for public lookups (tracking pages, bill lookup): kept in
    PostgreSQL like the OTP counters, so a Redis outage never turns a limit into a 500."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="ratecounter_unique"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.window_start:%Y-%m-%d %H:%M} ×{self.hits}"
