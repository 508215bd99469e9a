"""Fees of a request and their payments.

A ``Payment`` is created at filing for each fee (the regulated tariff of the channel and, at a
kiosk, the kiosk's own charge) with the amount snapshotted from the catalog, so a tariff
changed later never changes what a citizen was asked to pay.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class Purpose(models.TextChoices):
        TARIFF = "tariff", _("تعرفه خدمت")
        KIOSK_CHARGE = "kiosk_charge", _("کارمزد دفتر پیشخوان")

    class Method(models.TextChoices):
        GATEWAY = "gateway", _("درگاه بانکی")
        KIOSK_CASH = "kiosk_cash", _("نقدی در دفتر پیشخوان")
        KIOSK_POS = "kiosk_pos", _("کارتخوان دفتر پیشخوان")

    class State(models.TextChoices):
        PENDING = "pending", _("پرداخت نشده")
        PAID = "paid", _("پرداخت شده")
        CANCELLED = "cancelled", _("لغو شده")

    request = models.ForeignKey(
        "requests_app.ServiceRequest", on_delete=models.PROTECT, related_name="payments"
    )
    purpose = models.CharField(_("بابت"), max_length=20, choices=Purpose.choices)
    amount = models.PositiveBigIntegerField(_("مبلغ (ریال)"))
    channel = models.CharField(_("مجرای ثبت"), max_length=10)
    method = models.CharField(_("روش پرداخت"), max_length=12, choices=Method.choices, blank=True)
    state = models.CharField(
        _("وضعیت"), max_length=10, choices=State.choices, default=State.PENDING
    )
    # The bank's (or POS terminal's) reference; unique so one bank transaction can never be
    # recorded twice, whichever fee it is presented for.
    reference = models.CharField(_("شماره مرجع"), max_length=64, null=True, blank=True, unique=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    # The gateway's handle for the current attempt (the sandbox's token).
    gateway_token = models.CharField(max_length=64, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ثبت‌کننده"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kiosk = models.ForeignKey(
        "subscribers.KioskOffice", null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(_("زمان پرداخت"), null=True, blank=True)

    class Meta:
        verbose_name = _("پرداخت")
        verbose_name_plural = _("پرداخت‌ها")
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "purpose"], name="payment_one_per_fee"),
            models.CheckConstraint(
                condition=~models.Q(state="paid") | models.Q(paid_at__isnull=False),
                name="payment_paid_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.amount}"
