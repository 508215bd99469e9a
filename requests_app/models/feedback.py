"""Citizens' ratings of completed requests and complaints about requests or services."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    request = models.OneToOneField(
        "requests_app.ServiceRequest", on_delete=models.CASCADE, related_name="rating"
    )
    score = models.PositiveSmallIntegerField(
        _("امتیاز"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("نظر"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("زمان"), auto_now_add=True)

    class Meta:
        verbose_name = _("امتیاز خدمت")
        verbose_name_plural = _("امتیازهای خدمات")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.score}"


class Complaint(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("در حال بررسی")
        ANSWERED = "answered", _("پاسخ داده شده")

    tracking_code = models.CharField(_("کد پیگیری"), max_length=12, unique=True, editable=False)
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("شاکی"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    request = models.ForeignKey(
        "requests_app.ServiceRequest",
        verbose_name=_("درخواست"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    request_type = models.ForeignKey(
        "requests_app.RequestType",
        verbose_name=_("خدمت"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    office = models.ForeignKey(
        "subscribers.DistrictOffice",
        verbose_name=_("امور"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("خالی: شکایت از خدمت به‌طور کلی، نزد ستاد شرکت."),
    )
    text = models.TextField(_("شرح شکایت"), max_length=2000)
    state = models.CharField(_("وضعیت"), max_length=10, choices=State.choices, default=State.OPEN)
    answer = models.TextField(_("پاسخ"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("زمان پاسخ"), null=True, blank=True)
    created_at = models.DateTimeField(_("زمان ثبت"), auto_now_add=True)

    class Meta:
        verbose_name = _("شکایت")
        verbose_name_plural = _("شکایت‌ها")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.tracking_code
