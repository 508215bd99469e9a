"""Public help content and the service catalog: FAQ entries and service cards.

A service card («شناسنامه خدمت») is the public fact sheet every Iranian agency publishes for
each service it offers (seed 004): the national service ID, what the service is, documents,
average time, office hours, in-person visits, fees and how to pay, access and complaint
channels. Request types of the workflow engine link to a card later, so the card stays a
plain description and carries no workflow of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.validators import RegexValidator
from django.db import models

from subscribers.models import UtilityCompany

_NUMBER = re.compile(r"[0-9۰-۹+\-/() ]+")

service_id_validator = RegexValidator(
    r"^\d{8,20}$", "شناسه خدمت فقط از رقم تشکیل می‌شود (۸ تا ۲۰ رقم)."
)


@dataclass(frozen=True)
class FactLine:
    """One line of a multi-line card field, written as ``label: value`` or plain text."""

    label: str
    value: str

    @property
    def is_url(self) -> bool:
        return self.value.startswith(("http://", "https://"))

    @property
    def is_number(self) -> bool:
        """A phone, SMS or short-code number: shown left to right in an isolated span."""
        return bool(_NUMBER.fullmatch(self.value))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _fact_lines(text: str) -> list[FactLine]:
    facts = []
    for line in _lines(text):
        label, sep, value = line.partition(":")
        # "https://…" alone on a line must not split at the scheme's colon.
        if sep and not label.lower().startswith("http") and value.strip():
            facts.append(FactLine(label.strip(), value.strip()))
        else:
            facts.append(FactLine("", line))
    return facts


class FaqEntry(models.Model):
    class Category(models.TextChoices):
        GENERAL = "general", "عمومی"
        REQUESTS = "requests", "ثبت و پیگیری درخواست‌ها"
        BILLING = "billing", "صورتحساب و پرداخت"
        ACCOUNT = "account", "حساب کاربری و پیامک"
        OUTAGES = "outages", "خاموشی"
        TELECOM = "telecom", "تلفن ثابت"

    question = models.CharField("پرسش", max_length=300)
    answer = models.TextField("پاسخ")
    category = models.CharField(
        "دسته", max_length=20, choices=Category.choices, default=Category.GENERAL
    )
    order = models.PositiveSmallIntegerField(
        "ترتیب", default=0, help_text="عدد کوچک‌تر در دسته بالاتر نمایش داده می‌شود."
    )
    is_published = models.BooleanField("منتشر شده", default=True)
    updated_at = models.DateTimeField("آخرین ویرایش", auto_now=True)

    class Meta:
        verbose_name = "پرسش متداول"
        verbose_name_plural = "سوالات متداول"
        ordering = ["category", "order", "id"]
        constraints = [
            # The question is the entry's natural key (the demo data upserts on it).
            models.UniqueConstraint(fields=["question"], name="faq_question_unique"),
        ]

    def __str__(self) -> str:
        return self.question


class ServiceCard(models.Model):
    """The public «شناسنامه خدمت» of one service (fields of seed 004's form)."""

    class Section(models.TextChoices):
        # Keys and titles of the main menu (portal.context_processors.MAIN_MENU).
        BILLS = "bills", "صورتحساب‌ها"
        AFTER_SALES = "after_sales", "خدمات پس از فروش"
        CONNECTION = "connection", "درخواست انشعاب"
        TRACKING = "tracking", "پیگیری سوابق"
        OUTAGES = "outages", "خاموشی"
        TELECOM = "telecom", "خدمات تلفن ثابت"

    class CompanyKind(models.TextChoices):
        ALL = "all", "همه شرکت‌ها"
        ELECTRICITY = UtilityCompany.Kind.ELECTRICITY.value, UtilityCompany.Kind.ELECTRICITY.label
        GAS = UtilityCompany.Kind.GAS.value, UtilityCompany.Kind.GAS.label
        TELECOM = UtilityCompany.Kind.TELECOM.value, UtilityCompany.Kind.TELECOM.label

    class ServiceType(models.TextChoices):
        G2C = "G2C", "خدمت به شهروندان (G2C)"
        G2B = "G2B", "خدمت به کسب‌وکار (G2B)"
        G2G = "G2G", "خدمت به دیگر دستگاه‌های دولتی (G2G)"

    service_id = models.CharField(
        "شناسه خدمت",
        max_length=20,
        unique=True,
        validators=[service_id_validator],
        help_text="شناسه عمومی خدمت در فهرست خدمات دستگاه، مثلاً 130316670112.",
    )
    slug = models.SlugField(
        "نامک",
        max_length=80,
        unique=True,
        help_text="بخش انگلیسی نشانی صفحه، مثلاً gas-meter-test.",
    )
    title = models.CharField("عنوان خدمت", max_length=200)
    section = models.CharField("بخش منو", max_length=20, choices=Section.choices)
    company_kind = models.CharField(
        "نوع شرکت", max_length=20, choices=CompanyKind.choices, default=CompanyKind.ALL
    )
    service_type = models.CharField(
        "نوع خدمت", max_length=3, choices=ServiceType.choices, default=ServiceType.G2C
    )
    description = models.TextField("شرح خدمت")
    required_documents = models.TextField(
        "مدارک مورد نیاز", blank=True, help_text="هر مدرک در یک سطر."
    )
    steps = models.TextField(
        "مراحل دریافت خدمت", blank=True, help_text="هر مرحله در یک سطر، به ترتیب."
    )
    average_time_hours = models.PositiveIntegerField(
        "متوسط زمان ارائه خدمت (ساعت)",
        null=True,
        blank=True,
        help_text="برای محاسبه مهلت انجام درخواست؛ برای خدمات آنی خالی بماند.",
    )
    average_time = models.CharField(
        "متوسط زمان ارائه خدمت (متن)",
        max_length=100,
        blank=True,
        help_text="اگر خالی باشد از عدد ساعت ساخته می‌شود؛ مثلاً «آنی» یا «۳ روز کاری».",
    )
    service_hours = models.TextField("ساعات ارائه خدمت", blank=True)
    in_person_visits = models.PositiveSmallIntegerField("تعداد بار مراجعه حضوری", default=0)
    fee_description = models.TextField(
        "هزینه ارائه خدمت", blank=True, help_text="مبلغ یا مبنای تعرفه و توضیح آن."
    )
    kiosk_fee_rials = models.PositiveIntegerField(
        "کارمزد دفاتر پیشخوان (ریال)",
        null=True,
        blank=True,
        help_text="مبلغ ثابت دفاتر پیشخوان دولت، علاوه بر تعرفه مصوب.",
    )
    payment_methods = models.TextField(
        "نحوه پرداخت",
        blank=True,
        help_text="هر روش در یک سطر به شکل «مسیر: روش»، مثلاً «دفاتر پیشخوان دولت: درگاه دفاتر».",
    )
    access_channels = models.TextField(
        "نحوه دسترسی به خدمت",
        blank=True,
        help_text="هر راه در یک سطر به شکل «عنوان: مقدار»، مثلاً «پیامک: 500025194».",
    )
    complaint_channels = models.TextField(
        "نحوه دسترسی به شکایت از خدمت",
        blank=True,
        help_text="هر راه در یک سطر به شکل «عنوان: مقدار».",
    )
    is_published = models.BooleanField("منتشر شده", default=True)
    order = models.PositiveSmallIntegerField("ترتیب", default=0)
    updated_at = models.DateTimeField("آخرین ویرایش", auto_now=True)

    class Meta:
        verbose_name = "شناسنامه خدمت"
        verbose_name_plural = "شناسنامه‌های خدمات"
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["section", "order"], name="servicecard_section_order")]

    def __str__(self) -> str:
        return self.title

    @property
    def average_time_display(self) -> str:
        if self.average_time:
            return self.average_time
        if self.average_time_hours is not None:
            return f"{self.average_time_hours} ساعت"
        return ""

    @property
    def required_documents_list(self) -> list[str]:
        return _lines(self.required_documents)

    @property
    def steps_list(self) -> list[str]:
        return _lines(self.steps)

    @property
    def payment_method_lines(self) -> list[FactLine]:
        return _fact_lines(self.payment_methods)

    @property
    def access_channel_lines(self) -> list[FactLine]:
        return _fact_lines(self.access_channels)

    @property
    def complaint_channel_lines(self) -> list[FactLine]:
        return _fact_lines(self.complaint_channels)
