"""Feeders, scheduled outages, outage reports and the incidents they are grouped into.

Seed 003's steps map onto these models: a report is registered and given a tracking code
(``OutageReport.code``); the subscription's feeder is checked against planned outages
(``ScheduledOutage``) and open incidents; an unplanned fault opens an ``Incident`` that staff
work to restoration; the result is announced by SMS to every reporter of the incident.

``Incident.state`` moves only through ``outages.services.incidents``, which checks every move
against ``INCIDENT_TRANSITIONS`` and writes an ``IncidentEvent`` (the staff timeline and the
public tracking page).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.jalali import jalali_display


class Feeder(models.Model):
    """A medium-voltage feeder: the unit outages are planned and grouped by. Electricity
    subscriptions point at one through ``Subscription.feeder_code`` (the subscription import's
    ``feeder_code`` column), matched within the subscription's company."""

    company = models.ForeignKey(
        "subscribers.UtilityCompany",
        verbose_name=_("شرکت"),
        on_delete=models.PROTECT,
        related_name="feeders",
    )
    office = models.ForeignKey(
        "subscribers.DistrictOffice",
        verbose_name=_("امور"),
        on_delete=models.PROTECT,
        related_name="feeders",
    )
    city = models.ForeignKey(
        "subscribers.City", verbose_name=_("شهر"), on_delete=models.PROTECT, related_name="feeders"
    )
    code = models.CharField(_("کد فیدر"), max_length=40)
    name = models.CharField(_("نام فیدر"), max_length=150)
    area = models.CharField(
        _("محدوده"),
        max_length=300,
        blank=True,
        help_text=_(
            "محله‌ها و خیابان‌هایی که از این فیدر برق می‌گیرند؛ در برنامه عمومی نمایش داده می‌شود."
        ),
    )

    class Meta:
        verbose_name = _("فیدر")
        verbose_name_plural = _("فیدرها")
        ordering = ["city__name", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="outages_feeder_company_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class ScheduledOutage(models.Model):
    """A planned outage window on one feeder (خاموشی برنامه‌ریزی‌شده).

    ``version`` grows by one on every change of the window or its cancellation; alerts are keyed
    on (outage, version) so each subscriber gets one alert ahead of the window and one update
    per change, never more (see ``outages.services.schedule``)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("برنامه‌ریزی‌شده")
        CANCELLED = "cancelled", _("لغو شده")

    feeder = models.ForeignKey(
        Feeder, verbose_name=_("فیدر"), on_delete=models.PROTECT, related_name="scheduled_outages"
    )
    starts_at = models.DateTimeField(_("شروع"))
    ends_at = models.DateTimeField(_("پایان"))
    reason = models.CharField(_("علت"), max_length=300)
    status = models.CharField(
        _("وضعیت"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    version = models.PositiveIntegerField(_("نسخه"), default=1)
    # When the first alert went out (None: not yet); updates go only to windows already alerted.
    alerted_at = models.DateTimeField(_("زمان ارسال هشدار"), null=True, blank=True)
    alerted_version = models.PositiveIntegerField(_("نسخه اطلاع‌رسانی‌شده"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ثبت‌کننده"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("زمان ثبت"), auto_now_add=True)
    updated_at = models.DateTimeField(_("آخرین تغییر"), auto_now=True)

    class Meta:
        verbose_name = _("خاموشی برنامه‌ریزی‌شده")
        verbose_name_plural = _("خاموشی‌های برنامه‌ریزی‌شده")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="outages_scheduled_end_after_start",
            )
        ]
        indexes = [models.Index(fields=["feeder", "starts_at"], name="outages_sched_feeder_start")]

    def __str__(self) -> str:
        return f"{self.feeder.code} {jalali_display(self.starts_at)}"

    def covers(self, moment) -> bool:
        """Half-open window [start, end): at ``ends_at`` the power is back."""
        return self.status == self.Status.PLANNED and self.starts_at <= moment < self.ends_at


class IncidentState(models.TextChoices):
    RECEIVED = "received", _("دریافت شده")
    INVESTIGATING = "investigating", _("در حال بررسی")
    CREW_DISPATCHED = "crew_dispatched", _("اکیپ اعزام شده")
    RESOLVED = "resolved", _("برق وصل شد")
    CLOSED = "closed", _("بسته شد")


OPEN_INCIDENT_STATES = frozenset(
    {IncidentState.RECEIVED, IncidentState.INVESTIGATING, IncidentState.CREW_DISPATCHED}
)
FINAL_INCIDENT_STATES = frozenset({IncidentState.RESOLVED, IncidentState.CLOSED})

# Allowed moves; staff of the feeder's office make them (the services check the office).
INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentState.RECEIVED: frozenset(
        {IncidentState.INVESTIGATING, IncidentState.CREW_DISPATCHED, IncidentState.CLOSED}
    ),
    IncidentState.INVESTIGATING: frozenset(
        {IncidentState.CREW_DISPATCHED, IncidentState.RESOLVED, IncidentState.CLOSED}
    ),
    IncidentState.CREW_DISPATCHED: frozenset({IncidentState.RESOLVED, IncidentState.CLOSED}),
    IncidentState.RESOLVED: frozenset(),
    IncidentState.CLOSED: frozenset(),
}


class Incident(models.Model):
    """One unplanned outage on one feeder; every report on the feeder while it is open joins it.
    At most one open incident per feeder (a partial unique index)."""

    class CloseReason(models.TextChoices):
        NOT_OUR_NETWORK = "not_our_network", _("خارج از شبکه توزیع")
        CUSTOMER_SIDE = "customer_side", _("ایراد در سمت مشترک")
        PLANNED_OUTAGE = "planned_outage", _("خاموشی برنامه‌ریزی‌شده")

    feeder = models.ForeignKey(
        Feeder, verbose_name=_("فیدر"), on_delete=models.PROTECT, related_name="incidents"
    )
    state = models.CharField(
        _("وضعیت"), max_length=20, choices=IncidentState.choices, default=IncidentState.RECEIVED
    )
    close_reason = models.CharField(
        _("دلیل بستن"), max_length=20, choices=CloseReason.choices, blank=True
    )
    crew = models.CharField(_("اکیپ"), max_length=150, blank=True)
    result = models.CharField(
        _("نتیجه اعلام‌شده"),
        max_length=300,
        blank=True,
        help_text=_("متنی که در پیامک نتیجه برای گزارش‌دهندگان فرستاده می‌شود."),
    )
    opened_at = models.DateTimeField(_("زمان شروع"), default=timezone.now)
    expected_at = models.DateTimeField(_("زمان پیش‌بینی وصل"), null=True, blank=True)
    restored_at = models.DateTimeField(_("زمان وصل برق"), null=True, blank=True)
    closed_at = models.DateTimeField(_("زمان پایان"), null=True, blank=True)
    report_count = models.PositiveIntegerField(_("تعداد گزارش"), default=0)

    class Meta:
        verbose_name = _("حادثه خاموشی")
        verbose_name_plural = _("حوادث خاموشی")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["feeder"],
                condition=Q(state__in=sorted(s.value for s in OPEN_INCIDENT_STATES)),
                name="outages_one_open_incident_per_feeder",
            ),
            models.CheckConstraint(
                condition=Q(state=IncidentState.CLOSED) | Q(close_reason=""),
                name="outages_close_reason_only_when_closed",
            ),
        ]
        indexes = [models.Index(fields=["state", "opened_at"], name="outages_incident_state")]

    def __str__(self) -> str:
        return f"{self.feeder.code} {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_INCIDENT_STATES


class IncidentEvent(models.Model):
    """One step in an incident's life: a state move, a crew assignment or a note."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("تغییر وضعیت")
        CREW = "crew", _("تعیین اکیپ")
        NOTE = "note", _("یادداشت")
        REPORT = "report", _("گزارش تازه")

    incident = models.ForeignKey(
        Incident, verbose_name=_("حادثه"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("نوع"), max_length=12, choices=Kind.choices)
    old_state = models.CharField(
        _("وضعیت قبلی"), max_length=20, choices=IncidentState.choices, blank=True
    )
    new_state = models.CharField(_("وضعیت جدید"), max_length=20, choices=IncidentState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("انجام‌دهنده"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("توضیح"), max_length=500, blank=True)
    # Staff-only notes stay off the public tracking page.
    public = models.BooleanField(_("نمایش عمومی"), default=True)
    created_at = models.DateTimeField(_("زمان"), default=timezone.now)

    class Meta:
        verbose_name = _("رویداد حادثه")
        verbose_name_plural = _("رویدادهای حادثه")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_new_state_display()}"


class ReportChannel(models.TextChoices):
    WEB = "web", _("درگاه اینترنتی")
    APP = "app", _("برنامه همراه")
    CALL_CENTER = "call_center", _("مرکز تماس ۱۲۱")
    OPEN311 = "open311", _("Open311")


class OutageReport(models.Model):
    """One citizen's report of no power at a subscription. It joins either the scheduled outage
    covering the feeder at that moment or an incident (an open one, or a new one)."""

    code = models.CharField(_("کد رهگیری"), max_length=8, unique=True)
    # Open311's token: handed out in the POST answer, resolvable through tokens/{token}.
    token = models.UUIDField(_("توکن"), unique=True)
    subscription = models.ForeignKey(
        "subscribers.Subscription",
        verbose_name=_("اشتراک"),
        on_delete=models.PROTECT,
        related_name="outage_reports",
    )
    feeder = models.ForeignKey(
        Feeder, verbose_name=_("فیدر"), on_delete=models.PROTECT, related_name="reports"
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("حادثه"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    scheduled_outage = models.ForeignKey(
        ScheduledOutage,
        verbose_name=_("خاموشی برنامه‌ریزی‌شده"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    mobile = models.CharField(_("تلفن همراه گزارش‌دهنده"), max_length=11)
    channel = models.CharField(_("مجرای ثبت"), max_length=12, choices=ReportChannel.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("گزارش‌دهنده"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outage_reports",
    )
    # The 121 operator who typed it in, when the citizen called.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ثبت‌کننده"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    api_key = models.ForeignKey(
        "outages.Open311ApiKey",
        verbose_name=_("کلید Open311"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    description = models.CharField(_("توضیح"), max_length=1000, blank=True)
    address_string = models.CharField(_("نشانی اعلام‌شده"), max_length=300, blank=True)
    lat = models.DecimalField(
        _("عرض جغرافیایی"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    long = models.DecimalField(
        _("طول جغرافیایی"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    first_name = models.CharField(_("نام"), max_length=80, blank=True)
    last_name = models.CharField(_("نام خانوادگی"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("زمان ثبت"), default=timezone.now)
    result_sent_at = models.DateTimeField(_("زمان ارسال نتیجه"), null=True, blank=True)

    class Meta:
        verbose_name = _("گزارش خاموشی")
        verbose_name_plural = _("گزارش‌های خاموشی")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(incident__isnull=False, scheduled_outage__isnull=True)
                    | Q(incident__isnull=True, scheduled_outage__isnull=False)
                ),
                name="outages_report_joins_one",
            ),
            # The same mobile reporting the same outage again gets its first code back.
            models.UniqueConstraint(
                fields=["mobile", "incident"],
                condition=Q(incident__isnull=False),
                name="outages_report_once_per_incident",
            ),
            models.UniqueConstraint(
                fields=["mobile", "scheduled_outage"],
                condition=Q(scheduled_outage__isnull=False),
                name="outages_report_once_per_window",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="outages_report_created")]

    def __str__(self) -> str:
        return self.code


class OutageAlertOptOut(models.Model):
    """A subscriber who asked for no scheduled-outage alerts (one row = opted out)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("کاربر"),
        on_delete=models.CASCADE,
        related_name="outage_alert_opt_out",
    )
    created_at = models.DateTimeField(_("زمان"), auto_now_add=True)

    class Meta:
        verbose_name = _("انصراف از هشدار خاموشی")
        verbose_name_plural = _("انصراف‌ها از هشدار خاموشی")

    def __str__(self) -> str:
        return str(self.user)


class Open311ApiKey(models.Model):
    """A civic app's key for POSTing through Open311. Only a SHA-256 of the key is stored; the
    key itself is shown once when created (admin or seed_demo)."""

    name = models.CharField(_("نام برنامه"), max_length=120)
    prefix = models.CharField(
        _("پیشوند"), max_length=8, help_text=_("برای شناسایی؛ کلید کامل ذخیره نمی‌شود.")
    )
    key_hash = models.CharField(_("چکیده کلید"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("فعال"), default=True)
    created_at = models.DateTimeField(_("زمان ایجاد"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("آخرین استفاده"), null=True, blank=True)

    class Meta:
        verbose_name = _("کلید Open311")
        verbose_name_plural = _("کلیدهای Open311")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
