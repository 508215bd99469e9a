"""Reference data every account belongs to: cities, utility companies, district offices."""

from django.core.validators import RegexValidator
from django.db import models

three_digits = RegexValidator(r"^\d{3}$", "کد شرکت باید دقیقاً ۳ رقم باشد.")
phone_number = RegexValidator(
    r"^[0-9\-\s]{3,20}$", "شماره تلفن فقط می‌تواند شامل رقم، فاصله و خط تیره باشد."
)


class City(models.Model):
    name = models.CharField("نام شهر", max_length=80)
    province = models.CharField("استان", max_length=80)

    class Meta:
        verbose_name = "شهر"
        verbose_name_plural = "شهرها"
        ordering = ["province", "name"]
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="city_unique_per_province")
        ]

    def __str__(self) -> str:
        return self.name


class UtilityCompany(models.Model):
    class Kind(models.TextChoices):
        ELECTRICITY = "electricity", "برق"
        GAS = "gas", "گاز"
        TELECOM = "telecom", "تلفن ثابت"

    # The service-type digit of a bill ID (DOMAIN.md §1) for each kind of company.
    SERVICE_DIGIT = {Kind.ELECTRICITY: 2, Kind.GAS: 3, Kind.TELECOM: 4}

    kind = models.CharField("نوع خدمت", max_length=20, choices=Kind.choices)
    name = models.CharField("نام شرکت", max_length=150, unique=True)
    short_name = models.CharField("نام کوتاه", max_length=60, blank=True)
    code = models.CharField(
        "کد شرکت در شناسه قبض",
        max_length=3,
        validators=[three_digits],
        help_text="سه رقم پیش از رقم نوع خدمت در شناسه قبض.",
    )
    call_center = models.CharField(
        "مرکز تماس", max_length=40, blank=True, validators=[phone_number]
    )
    cities = models.ManyToManyField(City, verbose_name="محدوده خدمات", related_name="companies")

    class Meta:
        verbose_name = "شرکت خدمات‌رسان"
        verbose_name_plural = "شرکت‌های خدمات‌رسان"
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="company_code_unique_per_kind")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def service_digit(self) -> int:
        return self.SERVICE_DIGIT[self.kind]


class DistrictOffice(models.Model):
    """A district office (امور): the unit whose staff process requests and incidents."""

    company = models.ForeignKey(
        UtilityCompany, verbose_name="شرکت", on_delete=models.PROTECT, related_name="offices"
    )
    code = models.CharField("کد امور", max_length=10)
    name = models.CharField("نام امور", max_length=150)
    address = models.CharField("نشانی", max_length=300, blank=True)
    cities = models.ManyToManyField(City, verbose_name="شهرها", related_name="offices")

    class Meta:
        verbose_name = "امور (دفتر منطقه)"
        verbose_name_plural = "امور (دفاتر منطقه)"
        ordering = ["company__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="office_code_unique_per_company"
            )
        ]

    def __str__(self) -> str:
        return self.name


class OfficePhone(models.Model):
    """One line of the office phone book (شماره تلفن واحدها)."""

    office = models.ForeignKey(
        DistrictOffice, verbose_name="امور", on_delete=models.CASCADE, related_name="phones"
    )
    title = models.CharField("عنوان", max_length=120, help_text="مثلاً: رئیس خدمات مشترکین")
    number = models.CharField("شماره تلفن", max_length=40, validators=[phone_number])
    order = models.PositiveSmallIntegerField("ترتیب", default=0)

    class Meta:
        verbose_name = "شماره تلفن امور"
        verbose_name_plural = "شماره تلفن‌های امور"
        ordering = ["office", "order", "id"]

    def __str__(self) -> str:
        return f"{self.title}: {self.number}"
