"""Forms of the subscription pages and the subscription admin. Every error names its field
in Persian; dates are typed in Jalali (۱۴۰۵/۰۶/۳۱) and cleaned to Gregorian dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from portal.digits import normalize_digits
from portal.forms import BillIdField, CsvUploadField, LegalNationalIdField, NationalCodeField
from portal.identifiers import InvalidIdentifier, clean_bill_id
from portal.jalali import parse_jalali_date
from subscribers.models import Subscription, SubscriptionLink


class JalaliDateField(forms.CharField):
    """A date typed in Jalali, e.g. ۱۴۰۵/۰۶/۳۱."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"dir": "ltr", "inputmode": "numeric", "placeholder": "۱۴۰۵/۰۶/۳۱"}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_jalali_date(text)
        except ValueError:
            raise forms.ValidationError(
                f"{self.label}: تاریخ را به شکل سال/ماه/روز شمسی وارد کنید، مانند ۱۴۰۵/۰۶/۳۱",
                code="invalid",
            ) from None


def _required(label: str) -> dict[str, str]:
    return {"required": f"{label}: این مورد را وارد کنید"}


ROLE_CHOICES = [
    (SubscriptionLink.Role.OWNER, "مالک"),
    (SubscriptionLink.Role.TENANT, "مستأجر (تا پایان اجاره)"),
]


class _StyledForm(forms.Form):
    """Bootstrap classes and ``aria-describedby`` on every widget, so templates render
    ``{{ field }}`` as is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs.setdefault("class", "form-check-input")
                continue
            field.widget.attrs["class"] = "form-control"
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-help"


class _RoleLeaseMixin(_StyledForm):
    role = forms.ChoiceField(
        label="نقش شما",
        choices=ROLE_CHOICES,
        widget=forms.RadioSelect,
        initial=SubscriptionLink.Role.OWNER,
        error_messages={**_required("نقش شما"), "invalid_choice": "نقش شما: گزینه معتبر نیست"},
    )
    lease_end = JalaliDateField(
        label="پایان اجاره",
        required=False,
        help_text="فقط برای مستأجر؛ تاریخ شمسی، مانند ۱۴۰۵/۰۶/۳۱",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("role") == SubscriptionLink.Role.TENANT
            and not data.get("lease_end")
            and "lease_end" not in self.errors
        ):
            self.add_error("lease_end", "پایان اجاره: برای مستأجر این مورد را وارد کنید")
        return data


class LinkForm(_RoleLeaseMixin):
    bill_id = BillIdField(help_text="شناسه قبض ۶ تا ۱۳ رقمی روی قبض شما")
    field_order = ["bill_id", "role", "lease_end"]


class LinkConfirmForm(_StyledForm):
    code = forms.CharField(
        label="کد تایید",
        max_length=12,
        error_messages=_required("کد تایید"),
        widget=forms.TextInput(
            attrs={"dir": "ltr", "inputmode": "numeric", "autocomplete": "one-time-code"}
        ),
    )

    def clean_code(self) -> str:
        code = normalize_digits(self.cleaned_data["code"]).strip()
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("کد تایید: کد ۶ رقمی پیامک را وارد کنید")
        return code


class OrganisationAccessForm(_StyledForm):
    representative_national_code = NationalCodeField(label="کد ملی نماینده")
    introduction_letter = forms.CharField(
        label="شماره معرفی‌نامه",
        max_length=50,
        error_messages=_required("شماره معرفی‌نامه"),
    )


class SubscriptionImportForm(_StyledForm):
    file = CsvUploadField(
        label="پرونده CSV",
        command="import_subscriptions",
        help_text="UTF-8 با سطر عنوان، حداکثر ۲۰ مگابایت؛ ستون‌ها در راهنمای زیر آمده است.",
    )


class OfficeLinkForm(_RoleLeaseMixin):
    """Admin: an office clerk links a subscription to a subscriber who showed documents."""

    national_code = NationalCodeField(label="کد ملی مشترک (شخص حقیقی)", required=False)
    legal_national_id = LegalNationalIdField(label="شناسه ملی (شخص حقوقی)", required=False)
    note = forms.CharField(label="توضیح (مدارک رؤیت‌شده)", max_length=200, required=False)
    field_order = ["national_code", "legal_national_id", "role", "lease_end", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].label = "نقش مشترک"
        self.fields["role"].error_messages["required"] = "نقش مشترک: این مورد را وارد کنید"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = data.get("national_code") or data.get("legal_national_id")
        invalid = "national_code" in self.errors or "legal_national_id" in self.errors
        if not given and not invalid:
            self.add_error("national_code", "کد ملی مشترک: کد ملی یا شناسه ملی مشترک را وارد کنید")
        return data


class SubscriptionAdminForm(forms.ModelForm):
    """Admin edit of a subscription: the bill ID must carry its company's code and service
    digit, as the import demands."""

    class Meta:
        model = Subscription
        fields = [
            "company",
            "subscription_number",
            "bill_id",
            "office",
            "city",
            "address",
            "postal_code",
            "mobile",
            "tariff",
            "branches",
            "meter_serial",
            "feeder_code",
            "holder_id",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        company, bill = data.get("company"), data.get("bill_id")
        if company and bill:
            try:
                data["bill_id"] = clean_bill_id(
                    bill, company_code=company.code, service_type=company.service_digit
                )
            except InvalidIdentifier as exc:
                self.add_error("bill_id", f"شناسه قبض: {exc.message}")
        office = data.get("office")
        if company and office and office.company_id != company.pk:
            self.add_error("office", "امور: این امور متعلق به شرکت انتخاب‌شده نیست")
        return data
