"""The append-only audit log of staff and operator actions on citizens' data (ASVS 16.2.1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    """One action. Rows are only ever inserted: the model refuses updates and deletes, admin
    shows them read-only, and on PostgreSQL a trigger refuses UPDATE/DELETE outright."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="انجام‌دهنده",
    )  # fmt: skip
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name="از طرف",
    )  # fmt: skip
    kiosk = models.ForeignKey(
        "subscribers.KioskOffice", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="دفتر پیشخوان",
    )  # fmt: skip
    office = models.ForeignKey(
        "subscribers.DistrictOffice", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="امور",
    )  # fmt: skip
    action = models.CharField("اقدام", max_length=60, db_index=True)
    object_type = models.CharField("نوع مورد", max_length=60, blank=True)
    object_id = models.CharField("شناسه مورد", max_length=64, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    details = models.JSONField("جزئیات", default=dict, blank=True)
    created_at = models.DateTimeField("زمان", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "رویداد ممیزی"
        verbose_name_plural = "گزارش ممیزی"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit log rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit log rows cannot be deleted")
