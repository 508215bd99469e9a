"""The request-type catalog: what a citizen can ask for, which stages it goes through, what it
costs on each channel, how long it should take and which documents and fields it needs.

Everything here is data that office administrators edit in admin; the workflow engine reads
it. Behaviour that cannot be data (a meter test's outcome creating a replacement request, an
electricity name change needing a meter test first) hangs on ``RequestType.behaviour``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from subscribers.models import UtilityCompany

FIELD_KINDS = ("integer", "choice", "text")


def validate_field_schema(value) -> None:
    """A type's own fields: a list of ``{"name", "label", "kind", "required", …}``.

    ``kind`` is ``integer`` (optional ``min``/``max``), ``choice`` (``choices``: a list of
    ``[value, label]`` pairs) or ``text`` (optional ``max_length``). Checked when the type is
    saved in admin so a typo there never reaches a citizen's form as a 500.
    """
    if not isinstance(value, list):
        raise ValidationError(_("فهرست فیلدها باید یک آرایه JSON باشد."))
    names = set()
    for index, item in enumerate(value, start=1):
        where = _("فیلد شماره %(n)s") % {"n": index}
        if not isinstance(item, dict):
            raise ValidationError(_("%(where)s باید یک شیء JSON باشد.") % {"where": where})
        name, label, kind = item.get("name"), item.get("label"), item.get("kind")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValidationError(_("%(where)s: نام لاتین معتبر ندارد.") % {"where": where})
        if name in names:
            raise ValidationError(_("نام فیلد «%(name)s» تکراری است.") % {"name": name})
        names.add(name)
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(_("%(where)s: عنوان فارسی ندارد.") % {"where": where})
        if kind not in FIELD_KINDS:
            raise ValidationError(
                _("%(where)s: نوع باید یکی از integer، choice یا text باشد.") % {"where": where}
            )
        if kind == "choice":
            choices = item.get("choices")
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, list) and len(c) == 2 for c in choices)
            ):
                raise ValidationError(
                    _("%(where)s: گزینه‌ها باید فهرستی از جفت‌های [مقدار، عنوان] باشد.")
                    % {"where": where}
                )
        if kind == "integer":
            for bound in ("min", "max"):
                if bound in item and not isinstance(item[bound], int):
                    raise ValidationError(
                        _("%(where)s: %(bound)s باید عدد صحیح باشد.")
                        % {"where": where, "bound": bound}
                    )


class RequestType(models.Model):
    class CompanyKind(models.TextChoices):
        ELECTRICITY = UtilityCompany.Kind.ELECTRICITY.value, UtilityCompany.Kind.ELECTRICITY.label
        GAS = UtilityCompany.Kind.GAS.value, UtilityCompany.Kind.GAS.label
        TELECOM = UtilityCompany.Kind.TELECOM.value, UtilityCompany.Kind.TELECOM.label

    class Behaviour(models.TextChoices):
        """Rules the engine applies beyond the stages; most types have none."""

        PLAIN = "plain", _("عادی")
        NEW_CONNECTION = "new_connection", _("انشعاب جدید (بدون اشتراک)")
        METER_TEST = "meter_test", _("آزمایش کنتور (نتیجه سالم/معیوب)")
        METER_REPLACEMENT = "meter_replacement", _("تعویض کنتور")
        NAME_CHANGE = "name_change", _("تغییر نام")
        SETTLEMENT = "settlement", _("تسویه‌حساب مالک و مستأجر")
        SELF_READING = "self_reading", _("ثبت کارکرد کنتور (قبض علی‌الحساب)")
        LINE_SERVICE = "line_service", _("خدمت خط تلفن ثابت")

    code = models.SlugField(
        _("کد"), max_length=60, unique=True, help_text=_("کد لاتین ثابت، مثلاً elec-name-change.")
    )
    company_kind = models.CharField(_("نوع شرکت"), max_length=20, choices=CompanyKind.choices)
    title = models.CharField(_("عنوان"), max_length=200)
    description = models.TextField(_("شرح"), blank=True)
    service_card = models.ForeignKey(
        "requests_app.ServiceCard",
        verbose_name=_("شناسنامه خدمت"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request_types",
    )
    service_id = models.CharField(
        _("شناسه عمومی خدمت"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\d{8,20}$", _("شناسه خدمت فقط از ۸ تا ۲۰ رقم است."))],
    )
    behaviour = models.CharField(
        _("رفتار ویژه"), max_length=30, choices=Behaviour.choices, default=Behaviour.PLAIN
    )
    needs_subscription = models.BooleanField(
        _("نیاز به اشتراک"),
        default=True,
        help_text=_("خدمات پس از فروش به اشتراک متصل نیاز دارند؛ انشعاب جدید ندارد."),
    )
    tenant_allowed = models.BooleanField(
        _("مستأجر هم می‌تواند ثبت کند"),
        default=False,
        help_text=_("در غیر این صورت فقط مالک اشتراک می‌تواند این درخواست را ثبت کند."),
    )
    # Stages, in this fixed order: documents → payment → visit → approval.
    stage_documents = models.BooleanField(_("مرحله بررسی مدارک"), default=True)
    stage_payment = models.BooleanField(_("مرحله پرداخت"), default=False)
    stage_visit = models.BooleanField(_("مرحله بازدید"), default=False)
    stage_approval = models.BooleanField(_("مرحله تأیید رئیس امور"), default=True)
    fee_web = models.PositiveBigIntegerField(_("تعرفه در درگاه اینترنتی (ریال)"), default=0)
    fee_kiosk = models.PositiveBigIntegerField(_("تعرفه در دفتر پیشخوان (ریال)"), default=0)
    fee_office = models.PositiveBigIntegerField(_("تعرفه در امور مشترکین (ریال)"), default=0)
    kiosk_charge = models.PositiveBigIntegerField(
        _("کارمزد دفتر پیشخوان (ریال)"),
        default=0,
        help_text=_("کارمزد خود دفتر، جدا از تعرفه مصوب؛ فقط در دفتر پیشخوان گرفته می‌شود."),
    )
    outcome_fee = models.PositiveBigIntegerField(
        _("هزینه آزمایش در صورت سالم بودن (ریال)"),
        default=0,
        help_text=_("برای آزمایش کنتور: اگر کنتور سالم باشد این مبلغ در قبض بعدی منظور می‌شود."),
    )
    sla_hours = models.PositiveIntegerField(_("مهلت انجام (ساعت)"), default=72)
    fields_schema = models.JSONField(
        _("فیلدهای ویژه"),
        default=list,
        blank=True,
        validators=[validate_field_schema],
        help_text=_(
            'مثلاً [{"name": "branches", "label": "تعداد انشعاب", "kind": "integer", '
            '"required": true, "min": 1, "max": 200}]'
        ),
    )
    completes_at_once = models.BooleanField(
        _("انجام فوری بدون اقدام امور"),
        default=False,
        help_text=_(
            "برای خدماتی که کار میدانی ندارند: پس از ثبت (و اگر هزینه دارد پس از پرداخت) "
            "سامانه خودش درخواست را انجام‌شده ثبت می‌کند. با مرحله مدارک، بازدید یا تأیید "
            "سازگار نیست."
        ),
    )
    requires_settled_debts = models.BooleanField(
        _("پیش از تأیید، بدهی تسویه شده باشد"), default=False
    )
    requires_meter_test = models.BooleanField(
        _("پیش از تأیید، آزمایش کنتور انجام شده باشد"), default=False
    )
    is_active = models.BooleanField(_("فعال"), default=True)
    order = models.PositiveSmallIntegerField(_("ترتیب"), default=0)

    class Meta:
        verbose_name = _("نوع درخواست")
        verbose_name_plural = _("انواع درخواست")
        ordering = ["company_kind", "order", "id"]
        constraints = [
            # A type the system completes by itself cannot also wait for staff.
            models.CheckConstraint(
                condition=models.Q(completes_at_once=False)
                | models.Q(stage_documents=False, stage_visit=False, stage_approval=False),
                name="requesttype_at_once_no_staff_stage",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.completes_at_once and (
            self.stage_documents or self.stage_visit or self.stage_approval
        ):
            raise ValidationError(
                {
                    "completes_at_once": _(
                        "خدمتی که فوری انجام می‌شود نمی‌تواند مرحله مدارک، بازدید یا تأیید "
                        "داشته باشد؛ فقط مرحله پرداخت مجاز است."
                    )
                }
            )

    @property
    def stages(self) -> list[str]:
        """The stage keys of this type, in order."""
        return [
            key
            for key, enabled in (
                ("documents", self.stage_documents),
                ("payment", self.stage_payment),
                ("visit", self.stage_visit),
                ("approval", self.stage_approval),
            )
            if enabled
        ]

    def fee_for(self, channel: str) -> int:
        """The regulated tariff on ``channel`` (without the kiosk's own charge)."""
        from requests_app.models.workflow import Channel

        return {
            Channel.WEB: self.fee_web,
            Channel.APP: self.fee_web,
            Channel.KIOSK: self.fee_kiosk,
            Channel.OFFICE: self.fee_office,
        }[channel]

    def field_labels(self) -> dict[str, str]:
        return {item["name"]: item["label"] for item in self.fields_schema}


class RequiredDocument(models.Model):
    class AppliesTo(models.TextChoices):
        BOTH = "both", _("حقیقی و حقوقی")
        NATURAL = "natural", _("فقط اشخاص حقیقی")
        LEGAL = "legal", _("فقط اشخاص حقوقی")

    request_type = models.ForeignKey(
        RequestType, on_delete=models.CASCADE, related_name="documents", verbose_name=_("نوع")
    )
    title = models.CharField(_("عنوان مدرک"), max_length=200)
    applies_to = models.CharField(
        _("برای"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.BOTH
    )
    mandatory = models.BooleanField(_("الزامی"), default=True)
    order = models.PositiveSmallIntegerField(_("ترتیب"), default=0)

    class Meta:
        verbose_name = _("مدرک لازم")
        verbose_name_plural = _("مدارک لازم")
        ordering = ["request_type", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_type", "title"], name="requireddocument_type_title"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def applies_to_user(self, user) -> bool:
        if self.applies_to == self.AppliesTo.BOTH:
            return True
        return self.applies_to == user.kind
