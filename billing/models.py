"""Bills and payments from the company's billing system, the tariff tables a provisional or
settlement bill is computed from, and the registry of imported files.

A subscription's bill ID never changes (DOMAIN.md §1); a bill is one period of it. The payment
ID binds one bill, one exact amount and one period, so it is stored per bill and regenerated
whenever the payable amount changes. A corrected bill for a period does not overwrite the old
one: the old row becomes ``superseded`` (kept in history) and the new one is ``issued`` with the
next version number; at most one bill per (subscription, year, period, kind) is ``issued``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.identifiers import bill_barcode
from subscribers.models import UtilityCompany

# What a meter counts, per kind of company (seed 001: kWh, m³; telephone bills count pulses).
CONSUMPTION_UNITS = {
    UtilityCompany.Kind.ELECTRICITY: _("کیلووات‌ساعت"),
    UtilityCompany.Kind.GAS: _("مترمکعب"),
    UtilityCompany.Kind.TELECOM: _("پالس"),
}


class TariffUse(models.TextChoices):
    """Tariff groups of Iran's distribution companies. The label equals the text the
    subscription import stores in ``Subscription.tariff`` (e.g. «خانگی»)."""

    RESIDENTIAL = "residential", _("خانگی")
    COMMERCIAL = "commercial", _("تجاری")
    INDUSTRIAL = "industrial", _("صنعتی")
    AGRICULTURAL = "agricultural", _("کشاورزی")
    PUBLIC = "public", _("عمومی")


class Tariff(models.Model):
    """One tariff table (company kind × use) valid from ``valid_from`` until the day before
    ``valid_to`` (open-ended when empty). Services refuse overlapping tables of one group."""

    company_kind = models.CharField(
        _("نوع شرکت"), max_length=20, choices=UtilityCompany.Kind.choices
    )
    use = models.CharField(_("نوع مصرف"), max_length=20, choices=TariffUse.choices)
    title = models.CharField(_("عنوان"), max_length=150)
    valid_from = models.DateField(_("معتبر از"))
    valid_to = models.DateField(
        _("معتبر تا (بدون احتساب)"), null=True, blank=True, help_text=_("خالی: تا اطلاع بعدی")
    )
    subscription_fee = models.PositiveBigIntegerField(_("آبونمان ماهانه (ریال)"), default=0)
    tax_percent = models.DecimalField(
        _("مالیات بر ارزش افزوده (درصد)"), max_digits=5, decimal_places=2, default=10
    )
    duties_percent = models.DecimalField(
        _("عوارض (درصد)"), max_digits=5, decimal_places=2, default=0
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("جدول تعرفه")
        verbose_name_plural = _("جدول‌های تعرفه")
        ordering = ["company_kind", "use", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["company_kind", "use", "valid_from"], name="tariff_one_per_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="tariff_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TariffTier(models.Model):
    """A step of the tariff: units consumed per month up to ``up_to`` (inclusive; empty for the
    last step) cost ``rate`` rials each. Monthly limits are prorated to a bill's days."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="tiers")
    up_to = models.PositiveIntegerField(
        _("تا مصرف ماهانه"), null=True, blank=True, help_text=_("خالی: پلکان آخر")
    )
    rate = models.PositiveIntegerField(_("بهای هر واحد (ریال)"))

    class Meta:
        verbose_name = _("پلکان تعرفه")
        verbose_name_plural = _("پلکان‌های تعرفه")
        ordering = [F("up_to").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "up_to"], name="tariff_tier_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.up_to or '∞'}: {self.rate}"


class BillImport(models.Model):
    """One imported file (bills or payments): who, when, what it did. The checksum makes a
    second import of the same file a no-op that says so."""

    class Kind(models.TextChoices):
        BILLS = "bills", _("صورتحساب‌ها")
        PAYMENTS = "payments", _("پرداخت‌ها")

    kind = models.CharField(_("نوع پرونده"), max_length=10, choices=Kind.choices)
    file_name = models.CharField(_("نام پرونده"), max_length=255, blank=True)
    sha256 = models.CharField(_("چکیده SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("تعداد سطر"), default=0)
    created = models.PositiveIntegerField(_("ثبت‌شده"), default=0)
    updated = models.PositiveIntegerField(_("اصلاح‌شده"), default=0)
    unchanged = models.PositiveIntegerField(_("بدون تغییر"), default=0)
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
        verbose_name = _("پرونده واردشده")
        verbose_name_plural = _("پرونده‌های واردشده")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "sha256"], name="billimport_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"


class Bill(models.Model):
    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("دوره‌ای")
        SETTLEMENT = "settlement", _("تسویه حساب")
        PROVISIONAL = "provisional", _("علی‌الحساب (خوداظهاری)")
        CORRECTED = "corrected", _("اصلاحی")

    class Status(models.TextChoices):
        ISSUED = "issued", _("صادرشده")
        SUPERSEDED = "superseded", _("جایگزین‌شده با صورتحساب اصلاحی")

    # Non-sequential public identifier for URLs; the pk stays internal.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No separate index: the unique constraints below lead with the subscription. Every
    # index costs on a million-row import, so each one here is one a query needs.
    # No database foreign key either (db_constraint=False): its check, one lookup per bill
    # at commit, was a fifth of a million-bill import. What guarantees the subscription
    # exists instead: the bill import joins every row to subscribers_subscription and then
    # key-share-locks all of them, verifying each is still there, in the transaction that
    # inserts the bills (``bill_staging.*.lock_subscriptions``), so none can be deleted before
    # it commits; the other writers (readings, settlements) create bills through the ORM from
    # a loaded subscription; and deleting a subscription that has bills is refused by
    # on_delete=PROTECT (Django's collector; nothing deletes subscriptions in raw SQL).
    # Tested in tests/billing/test_import_bills.py (unknown, concurrently deleted, protected).
    subscription = models.ForeignKey(
        "subscribers.Subscription",
        verbose_name=_("اشتراک"),
        on_delete=models.PROTECT,
        related_name="bills",
        db_index=False,
        db_constraint=False,
    )
    year = models.PositiveSmallIntegerField(_("سال (شمسی)"))
    period = models.PositiveSmallIntegerField(_("دوره"))
    period_start = models.DateField(_("از تاریخ"))
    period_end = models.DateField(_("تا تاریخ"))
    previous_reading = models.PositiveBigIntegerField(_("شمارنده قبلی"), default=0)
    current_reading = models.PositiveBigIntegerField(_("شمارنده فعلی"), default=0)
    consumption = models.PositiveBigIntegerField(_("مصرف"))
    # Line items in rials. ``energy_tiers`` itemises ``energy`` per tariff step when the bill
    # was computed here: [{"up_to": int|None, "units": int, "rate": int, "amount": int}].
    energy = models.BigIntegerField(_("بهای مصرف"), default=0)
    energy_tiers = models.JSONField(_("پلکان‌های مصرف"), default=list, blank=True)
    subscription_fee = models.BigIntegerField(_("آبونمان"), default=0)
    tax = models.BigIntegerField(_("مالیات بر ارزش افزوده"), default=0)
    duties = models.BigIntegerField(_("عوارض"), default=0)
    debt = models.BigIntegerField(_("بدهی قبلی"), default=0, help_text=_("منفی: بستانکاری"))
    adjustment = models.BigIntegerField(_("کسر و اضافه"), default=0)
    amount = models.PositiveBigIntegerField(_("مبلغ قابل پرداخت (ریال)"))
    due_date = models.DateField(_("مهلت پرداخت"))
    payment_id = models.CharField(_("شناسه پرداخت"), max_length=13)
    kind = models.CharField(_("نوع"), max_length=12, choices=Kind.choices, default=Kind.PERIODIC)
    status = models.CharField(
        _("وضعیت"), max_length=12, choices=Status.choices, default=Status.ISSUED
    )
    version = models.PositiveSmallIntegerField(_("نسخه"), default=1)
    # Indexed only where set (partial index below): few bills are ever superseded, and the
    # foreign-key check on deleting a bill must not scan the table.
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("جایگزین"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Kept by the payment services: the sum of this bill's payments and when it was covered.
    paid_amount = models.PositiveBigIntegerField(_("مبلغ پرداخت‌شده"), default=0)
    paid_at = models.DateTimeField(_("زمان تسویه"), null=True, blank=True)
    # The request (self reading, settlement) a computed bill came from.
    request = models.ForeignKey(
        "requests_app.ServiceRequest",
        verbose_name=_("درخواست"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        db_index=False,  # a partial index below: imported bills have none
    )
    # The file a bill was imported from. No database foreign key (db_constraint=False): a
    # million-bill import would check the same row a million times at commit. Only the
    # bill import sets it, to the BillImport row it created earlier in the same transaction;
    # a BillImport with bills cannot be deleted (on_delete=PROTECT, Django's collector).
    source = models.ForeignKey(
        BillImport,
        verbose_name=_("پرونده ورودی"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("زمان ثبت"), auto_now_add=True)

    class Meta:
        verbose_name = _("صورتحساب")
        verbose_name_plural = _("صورتحساب‌ها")
        ordering = ["subscription", "-year", "-period", "-version"]
        indexes = [
            # Payments name their bill by bill ID + payment ID.
            models.Index(fields=["subscription", "payment_id"], name="bill_payment_id"),
            # Due-date reminders look only at unpaid current bills.
            models.Index(
                fields=["due_date"],
                condition=Q(status="issued", paid_at__isnull=True),
                name="bill_unpaid_due",
            ),
            models.Index(
                fields=["request"], condition=Q(request__isnull=False), name="bill_request"
            ),
            models.Index(
                fields=["superseded_by"],
                condition=Q(superseded_by__isnull=False),
                name="bill_superseded_by",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "year", "period", "kind", "version"],
                name="bill_version_unique",
            ),
            models.UniqueConstraint(
                fields=["subscription", "year", "period", "kind"],
                condition=Q(status="issued"),
                name="bill_one_issued_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period__gte=1) & Q(period__lte=99), name="bill_period_range"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="bill_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status="issued", superseded_by__isnull=True)
                | Q(status="superseded", superseded_by__isnull=False),
                name="bill_superseded_has_successor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.year}-{self.period:02d} v{self.version}"

    @property
    def is_paid(self) -> bool:
        return self.paid_amount >= self.amount

    @property
    def balance(self) -> int:
        return max(self.amount - self.paid_amount, 0)

    @property
    def is_current(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def barcode(self) -> str:
        """The printed bill's 26-digit barcode: bill ID and payment ID, each padded to 13."""
        return bill_barcode(self.subscription.bill_id, self.payment_id)

    @property
    def unit(self) -> str:
        return str(CONSUMPTION_UNITS.get(self.subscription.company.kind, ""))


class BillPayment(models.Model):
    """A payment of one bill as the bank (or kiosk, app, IVR) reported it."""

    class Channel(models.TextChoices):
        BANK = "bank", _("بانک")
        KIOSK = "kiosk", _("پیشخوان دولت")
        APP = "app", _("برنامه همراه")
        IVR = "ivr", _("تلفنبانک")

    bill = models.ForeignKey(
        Bill,
        verbose_name=_("صورتحساب"),
        on_delete=models.PROTECT,
        related_name="payments",
        db_index=False,  # billpayment_bill_time leads with the bill
    )
    payment_id = models.CharField(_("شناسه پرداخت"), max_length=13)
    amount = models.PositiveBigIntegerField(_("مبلغ (ریال)"))
    paid_at = models.DateTimeField(_("زمان پرداخت"))
    channel = models.CharField(_("مجرای پرداخت"), max_length=10, choices=Channel.choices)
    reference = models.CharField(_("شماره پیگیری بانک"), max_length=64, unique=True)
    source = models.ForeignKey(
        BillImport,
        verbose_name=_("پرونده ورودی"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    created_at = models.DateTimeField(_("زمان ثبت"), auto_now_add=True)

    class Meta:
        verbose_name = _("پرداخت قبض")
        verbose_name_plural = _("پرداخت‌های قبض")
        ordering = ["-paid_at"]
        indexes = [models.Index(fields=["bill", "paid_at"], name="billpayment_bill_time")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billpayment_positive"),
        ]

    def __str__(self) -> str:
        return self.reference
