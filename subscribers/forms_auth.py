"""Forms of the account pages: registration, login, codes, password reset, mobile change and
the staff login. Forms only shape input (canonical identifiers, Jalali dates → ``date``);
the rules live in :mod:`subscribers.services.accounts`.

Every error message starts with the field's label, because pages repeat errors in a summary
above the form where the field they belong to would otherwise be lost.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from portal.digits import normalize_digits
from portal.errors import PortalError
from portal.forms import LegalNationalIdField, MobileField, NationalCodeField, PostalCodeField
from portal.jalali import parse_jalali_date
from subscribers.models import NaturalProfile


def _messages(label: str) -> dict[str, str]:
    return {
        "required": f"{label}: این مورد را وارد کنید",
        "max_length": f"{label}: بیش از حد طولانی است",
        "invalid_choice": f"{label}: گزینه انتخاب‌شده معتبر نیست",
        "invalid": f"{label}: مقدار واردشده معتبر نیست",
    }


def _text(
    label: str, *, max_length: int = 80, required: bool = True, **attrs: Any
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        error_messages=_messages(label),
        widget=forms.TextInput(attrs=attrs),
    )


def _password(
    label: str = "رمز عبور", *, autocomplete: str = "current-password"
) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=128,
        error_messages=_messages(label),
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, "dir": "ltr"}),
    )


class JalaliDateField(forms.CharField):
    """A Jalali date typed as ``1370/01/01``; ``cleaned_data`` holds the Gregorian date."""

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _messages(label))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "dir": "ltr",
                    "inputmode": "numeric",
                    "placeholder": "۱۳۷۰/۰۱/۰۱",
                    "maxlength": "10",
                }
            ),
        )
        kwargs.setdefault("help_text", "تاریخ شمسی به شکل سال/ماه/روز، مثلاً ۱۳۷۰/۰۱/۰۱")
        super().__init__(label=label, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            result = parse_jalali_date(value)
        except ValueError:
            raise ValidationError(
                f"{self.label}: تاریخ شمسی معتبر نیست؛ به شکل ۱۳۷۰/۰۱/۰۱ وارد کنید.",
                code="invalid_date",
            ) from None
        if result > date.today() or result.year < 1900:
            raise ValidationError(f"{self.label}: تاریخ در بازه پذیرفتنی نیست.", code="range")
        return result


class PortalForm(forms.Form):
    """Adds ``apply_error``: put a service's ``PortalError`` on the fields it names."""

    def apply_error(self, error: PortalError) -> None:
        placed = False
        for field, messages in (error.fields or {}).items():
            target = field if field in self.fields else None
            for message in messages:
                label = self.fields[field].label if target else ""
                if label and not message.startswith(str(label)):
                    message = f"{label}: {message}"
                self.add_error(target, message)
                placed = True
        if not placed:
            self.add_error(None, error.message)


class PasswordPairMixin:
    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", "تکرار رمز عبور: با رمز عبور یکی نیست")
        return data


class NaturalRegisterForm(PasswordPairMixin, PortalForm):
    first_name = _text("نام", autocomplete="given-name")
    last_name = _text("نام خانوادگی", autocomplete="family-name")
    gender = forms.ChoiceField(
        label="جنسیت", choices=NaturalProfile.Gender.choices, error_messages=_messages("جنسیت")
    )
    father_name = _text("نام پدر")
    nationality = _text("تابعیت", max_length=40)
    birth_date = JalaliDateField(label="تاریخ تولد")
    id_number = _text("شماره شناسنامه / گذرنامه", max_length=20, dir="ltr")
    place_of_issue = _text("محل صدور")
    national_code = NationalCodeField()
    postal_code = PostalCodeField()
    mobile = MobileField(label="تلفن همراه")
    password = _password("رمز عبور", autocomplete="new-password")
    password2 = _password("تکرار رمز عبور", autocomplete="new-password")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nationality"].initial = "ایرانی"
        self.fields["password"].help_text = "دست‌کم ۱۰ نویسه؛ فقط رقم نباشد."


class LegalRegisterForm(PasswordPairMixin, PortalForm):
    company_name = _text("نام شرکت", max_length=200, autocomplete="organization")
    registration_date = JalaliDateField(label="تاریخ ثبت")
    registration_number = _text("شماره ثبت", max_length=20, dir="ltr")
    place_of_issue = _text("محل ثبت")
    subscriber_type = _text("نوع مشترک")
    legal_national_id = LegalNationalIdField()
    representative_first_name = _text("نام نماینده")
    representative_last_name = _text("نام خانوادگی نماینده")
    representative_national_code = NationalCodeField(label="کد ملی نماینده")
    representative_mobile = MobileField(label="تلفن همراه نماینده")
    username = _text("نام کاربری (اختیاری)", max_length=30, required=False, dir="ltr",
                    autocomplete="username")  # fmt: skip
    password = _password("رمز عبور", autocomplete="new-password")
    password2 = _password("تکرار رمز عبور", autocomplete="new-password")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = (
            "۴ تا ۳۰ نویسه انگلیسی، رقم، نقطه، خط تیره یا زیرخط؛ خالی بگذارید تا سامانه "
            "نام کاربری بسازد."
        )
        self.fields["password"].help_text = "دست‌کم ۱۰ نویسه؛ فقط رقم نباشد."


class PasswordLoginForm(PortalForm):
    username = _text("نام کاربری یا کد ملی", max_length=150, dir="ltr", autocomplete="username")
    password = _password()


class OtpLoginForm(PortalForm):
    username_or_mobile = _text(
        "نام کاربری، کد ملی یا تلفن همراه", max_length=150, dir="ltr", autocomplete="username"
    )


class CodeForm(PortalForm):
    code = forms.CharField(
        label="کد تایید",
        max_length=6,
        min_length=6,
        error_messages={**_messages("کد تایید"), "min_length": "کد تایید: باید ۶ رقم باشد"},
        widget=forms.TextInput(
            attrs={"dir": "ltr", "inputmode": "numeric", "autocomplete": "one-time-code"}
        ),
    )

    def clean_code(self) -> str:
        code = normalize_digits(self.cleaned_data["code"]).strip()
        if not code.isdigit():
            raise ValidationError("کد تایید: فقط رقم وارد کنید")
        return code


class ResetStartForm(PortalForm):
    username = _text("نام کاربری یا کد ملی", max_length=150, dir="ltr", autocomplete="username")


class ResetConfirmForm(CodeForm):
    new_password = _password("رمز عبور جدید", autocomplete="new-password")
    new_password2 = _password("تکرار رمز عبور جدید", autocomplete="new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("new_password")
            and data.get("new_password2")
            and data["new_password"] != data["new_password2"]
        ):
            self.add_error("new_password2", "تکرار رمز عبور جدید: با رمز عبور جدید یکی نیست")
        return data


class MobileChangeForm(PortalForm):
    new_mobile = MobileField(label="تلفن همراه جدید")
    password = _password("رمز عبور فعلی")


class StaffLoginForm(PortalForm):
    username = _text("نام کاربری", max_length=150, dir="ltr", autocomplete="username")
    password = _password()
