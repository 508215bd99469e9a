"""Service requests and their staged workflow.

``ServiceRequest.status`` moves only through ``requests_app.services.workflow``, which checks
every move against ``TRANSITIONS`` below. Each move writes a ``RequestEvent``: that one table is
the audit trail, the staff timeline and the public tracking page (STYLE §3).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("درگاه اینترنتی")
    APP = "app", _("برنامه همراه")
    KIOSK = "kiosk", _("دفتر پیشخوان")
    OFFICE = "office", _("امور مشترکین")


class Status(models.TextChoices):
    DRAFT = "draft", _("پیش‌نویس")
    SUBMITTED = "submitted", _("ثبت شده، در نوبت اقدام امور")
    DOCUMENTS_REVIEW = "documents_review", _("بررسی مدارک")
    AWAITING_PAYMENT = "awaiting_payment", _("در انتظار پرداخت")
    VISIT_SCHEDULED = "visit_scheduled", _("بازدید تعیین وقت شده")
    VISITED = "visited", _("بازدید انجام شده")
    NEEDS_CONTACT = "needs_contact", _("بازدید ناموفق، تماس با امور لازم است")
    APPROVAL = "approval", _("در انتظار تأیید رئیس امور")
    COMPLETED = "completed", _("انجام شده")
    REJECTED = "rejected", _("رد شده")
    CANCELLED = "cancelled", _("لغو شده")


CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.REJECTED, Status.CANCELLED})
OPEN_STATUSES = frozenset(s for s in Status.values if s not in CLOSED_STATUSES | {Status.DRAFT})
# States in which the office waits on the citizen (the tracking page shows the office phone).
WAITING_ON_CITIZEN = frozenset(
    {Status.DRAFT, Status.DOCUMENTS_REVIEW, Status.AWAITING_PAYMENT, Status.NEEDS_CONTACT}
)


class Actor(models.TextChoices):
    """Who may make a move: the roles of the transition table."""

    APPLICANT = "applicant", _("متقاضی")
    CLERK = "clerk", _("کارمند امور")
    SUPERVISOR = "supervisor", _("رئیس امور")
    SYSTEM = "system", _("سامانه")


_A, _C, _S, _Y = Actor.APPLICANT, Actor.CLERK, Actor.SUPERVISOR, Actor.SYSTEM
_STAFF = frozenset({_C, _S})

# (from, to) → roles allowed to make that move. The services decide *which* allowed move a
# given action makes (e.g. after payment, "approval" only if the type has that stage); this
# table is the hard limit no code path can step outside of. A supervisor can do anything a
# clerk can; only a supervisor approves.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.DRAFT, Status.SUBMITTED): frozenset({_A, _C, _S, _Y}),
    (Status.DRAFT, Status.CANCELLED): frozenset({_A}),
    # Into the first stage, automatically on submit or by the office.
    (Status.SUBMITTED, Status.DOCUMENTS_REVIEW): frozenset({_C, _S, _Y}),
    (Status.SUBMITTED, Status.AWAITING_PAYMENT): frozenset({_C, _S, _Y}),
    (Status.SUBMITTED, Status.VISIT_SCHEDULED): _STAFF,
    (Status.SUBMITTED, Status.APPROVAL): frozenset({_C, _S, _Y}),
    # The system completes a type that needs no staff work (``completes_at_once``).
    (Status.SUBMITTED, Status.COMPLETED): frozenset({_C, _S, _Y}),
    # Documents accepted → the next stage.
    (Status.DOCUMENTS_REVIEW, Status.AWAITING_PAYMENT): _STAFF,
    (Status.DOCUMENTS_REVIEW, Status.SUBMITTED): _STAFF,
    (Status.DOCUMENTS_REVIEW, Status.APPROVAL): _STAFF,
    (Status.DOCUMENTS_REVIEW, Status.COMPLETED): _STAFF,
    # Paid → the next stage (the payment service moves it as the system).
    (Status.AWAITING_PAYMENT, Status.SUBMITTED): frozenset({_Y}),
    (Status.AWAITING_PAYMENT, Status.APPROVAL): frozenset({_Y}),
    (Status.AWAITING_PAYMENT, Status.COMPLETED): frozenset({_Y}),
    (Status.AWAITING_PAYMENT, Status.DOCUMENTS_REVIEW): _STAFF,
    # Visits.
    (Status.VISIT_SCHEDULED, Status.VISIT_SCHEDULED): _STAFF,  # rescheduled
    (Status.VISIT_SCHEDULED, Status.VISITED): _STAFF,
    (Status.VISIT_SCHEDULED, Status.NEEDS_CONTACT): _STAFF,
    (Status.NEEDS_CONTACT, Status.VISIT_SCHEDULED): _STAFF,
    (Status.VISITED, Status.APPROVAL): _STAFF,
    (Status.VISITED, Status.COMPLETED): _STAFF,
    (Status.VISITED, Status.DOCUMENTS_REVIEW): _STAFF,
    # Approval: the supervisor's alone.
    (Status.APPROVAL, Status.COMPLETED): frozenset({_S}),
    (Status.APPROVAL, Status.VISIT_SCHEDULED): frozenset({_S}),
    (Status.APPROVAL, Status.DOCUMENTS_REVIEW): _STAFF,
    # Rejection with a reason, by the office, from any open state.
    **{(s, Status.REJECTED): _STAFF for s in OPEN_STATUSES},
    # The citizen may withdraw until someone has been sent to the site.
    **{
        (s, Status.CANCELLED): frozenset({_A, _C, _S})
        for s in (
            Status.SUBMITTED,
            Status.DOCUMENTS_REVIEW,
            Status.AWAITING_PAYMENT,
            Status.NEEDS_CONTACT,
        )
    },
}


def transition_allowed(old: str, new: str, role: str) -> bool:
    return role in TRANSITIONS.get((old, new), frozenset())


class ServiceRequest(models.Model):
    class Outcome(models.TextChoices):
        NONE = "", _("—")
        SOUND = "sound", _("کنتور سالم است")
        FAULTY = "faulty", _("کنتور معیوب است")

    number = models.CharField(_("شماره درخواست"), max_length=12, unique=True, editable=False)
    request_type = models.ForeignKey(
        "requests_app.RequestType",
        verbose_name=_("نوع درخواست"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("متقاضی"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    subscription = models.ForeignKey(
        "subscribers.Subscription",
        verbose_name=_("اشتراک"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    company = models.ForeignKey(
        "subscribers.UtilityCompany", verbose_name=_("شرکت"), on_delete=models.PROTECT
    )
    office = models.ForeignKey(
        "subscribers.DistrictOffice",
        verbose_name=_("امور"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    # Where the work happens: the subscription's place, or for a new connection the site.
    city = models.ForeignKey("subscribers.City", verbose_name=_("شهر"), on_delete=models.PROTECT)
    address = models.CharField(_("نشانی محل"), max_length=300, blank=True)
    postal_code = models.CharField(_("کد پستی محل"), max_length=10, blank=True)
    channel = models.CharField(_("مجرای ثبت"), max_length=10, choices=Channel.choices)
    kiosk = models.ForeignKey(
        "subscribers.KioskOffice",
        verbose_name=_("دفتر پیشخوان"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    fields = models.JSONField(_("اطلاعات ویژه"), default=dict, blank=True)
    description = models.TextField(_("توضیح متقاضی"), blank=True)
    status = models.CharField(
        _("وضعیت"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    outcome = models.CharField(
        _("نتیجه آزمایش"), max_length=10, choices=Outcome.choices, default="", blank=True
    )
    rejection_reason = models.CharField(_("دلیل رد"), max_length=500, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("درخواست مبدأ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    debts_confirmed_at = models.DateTimeField(_("تأیید تسویه بدهی"), null=True, blank=True)
    debts_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("تأییدکننده تسویه بدهی"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("زمان ایجاد"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("زمان ثبت"), null=True, blank=True)
    due_at = models.DateTimeField(_("مهلت انجام"), null=True, blank=True)
    closed_at = models.DateTimeField(_("زمان پایان"), null=True, blank=True)
    updated_at = models.DateTimeField(_("آخرین تغییر"), auto_now=True)

    class Meta:
        verbose_name = _("درخواست")
        verbose_name_plural = _("درخواست‌ها")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["office", "status", "due_at"], name="request_office_queue"),
            models.Index(fields=["applicant", "-created_at"], name="request_applicant"),
            models.Index(fields=["subscription", "request_type"], name="request_subscription"),
            models.Index(fields=["request_type", "status"], name="request_type_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.request_type}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def is_overdue(self, now=None) -> bool:
        if self.due_at is None or not self.is_open:
            return False
        return (now or timezone.now()) > self.due_at

    @property
    def waits_on_citizen(self) -> bool:
        return self.status in WAITING_ON_CITIZEN


class RequestEvent(models.Model):
    """One step of a request: a state change (``old_status`` ≠ ``new_status``) or an event
    inside a state (a document rejected, a payment recorded: ``old_status == new_status``)."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("تغییر وضعیت")
        DOCUMENT_UPLOADED = "document_uploaded", _("بارگذاری مدرک")
        DOCUMENT_ACCEPTED = "document_accepted", _("پذیرش مدرک")
        DOCUMENT_REJECTED = "document_rejected", _("رد مدرک")
        PAYMENT = "payment", _("پرداخت")
        DEBTS_CONFIRMED = "debts_confirmed", _("تأیید تسویه بدهی")
        NOTE = "note", _("یادداشت")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(
        _("نوع رویداد"), max_length=20, choices=Kind.choices, default=Kind.TRANSITION
    )
    old_status = models.CharField(_("وضعیت قبلی"), max_length=20, choices=Status.choices)
    new_status = models.CharField(_("وضعیت جدید"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("انجام‌دهنده"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_role = models.CharField(_("نقش"), max_length=12, choices=Actor.choices)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("از طرف"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("توضیح"), blank=True)
    created_at = models.DateTimeField(_("زمان"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("رویداد درخواست")
        verbose_name_plural = _("رویدادهای درخواست")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.old_status} → {self.new_status}"

    @property
    def is_transition(self) -> bool:
        return self.old_status != self.new_status or self.kind == self.Kind.TRANSITION


class VisitAppointment(models.Model):
    """A site visit: scheduled by staff, then its result recorded."""

    class Result(models.TextChoices):
        PENDING = "", _("انجام نشده")
        DONE = "done", _("انجام شد")
        NO_ACCESS = "no_access", _("دسترسی ممکن نشد")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="visits")
    date = models.DateField(_("تاریخ بازدید"))
    window_start = models.TimeField(_("از ساعت"))
    window_end = models.TimeField(_("تا ساعت"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("بازدیدکننده"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.CharField(
        _("نتیجه"), max_length=10, choices=Result.choices, default="", blank=True
    )
    result_note = models.CharField(_("شرح نتیجه"), max_length=500, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    recorded_at = models.DateTimeField(_("زمان ثبت نتیجه"), null=True, blank=True)

    class Meta:
        verbose_name = _("بازدید")
        verbose_name_plural = _("بازدیدها")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="visit_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} @ {self.date}"


class BillingAdjustment(models.Model):
    """A record for the billing department: a fee to add to the next bill, or a bill to
    correct after a faulty meter. Billing imports pick open rows up and mark them applied."""

    class Kind(models.TextChoices):
        FEE = "fee", _("هزینه خدمت در قبض بعدی")
        BILL_CORRECTION = "bill_correction", _("اصلاح صورتحساب (کنتور معیوب)")

    class State(models.TextChoices):
        OPEN = "open", _("باز")
        APPLIED = "applied", _("اعمال شده")

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="billing_adjustments"
    )
    subscription = models.ForeignKey(
        "subscribers.Subscription", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("نوع"), max_length=20, choices=Kind.choices)
    amount = models.PositiveBigIntegerField(_("مبلغ (ریال)"), default=0)
    note = models.CharField(_("توضیح"), max_length=300, blank=True)
    state = models.CharField(_("وضعیت"), max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("مورد ارجاعی به صورتحساب")
        verbose_name_plural = _("موارد ارجاعی به صورتحساب")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="billingadjustment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.request_id}"
