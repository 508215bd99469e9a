"""Form fields for Iranian identifiers: normalise what the user typed, validate, return canonical.

Each field accepts Persian or Arabic-Indic digits, spaces and dashes, and ``cleaned_data`` holds
the canonical string from :mod:`portal.identifiers` (``0499370899``, ``09121234567``…), so views
and services never see user formatting. Error messages start with the field's label
("کد ملی: …") because portal pages also repeat form errors in a summary above the form, where the
field they belong to is otherwise lost.

Inputs are rendered left-to-right (numbers inside right-to-left pages otherwise show their
separators in the wrong place) with a numeric keyboard on phones. ``autocomplete`` is ``off``
for other people's identifiers: a kiosk operator's browser must not offer the previous
customer's national code.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal import identifiers
from portal.digits import normalize_digits, to_persian_digits
from portal.identifiers import InvalidIdentifier

__all__ = [
    "BillIdField",
    "IdentifierField",
    "LegalNationalIdField",
    "MobileField",
    "NationalCodeField",
    "PaymentIdField",
    "PostalCodeField",
    "ShebaField",
]

_NUMERIC_ATTRS = {
    "inputmode": "numeric",
    "dir": "ltr",
    "autocomplete": "off",
    "spellcheck": "false",
}


class IdentifierField(forms.CharField):
    """Base class: a CharField whose ``to_python`` returns the canonical identifier.

    Subclasses set ``default_label``, ``widget_attrs_default`` and implement :meth:`canonical`.
    Validation happens in ``to_python`` (not ``validate``) because the canonical value is what
    ``cleaned_data`` must hold and what any extra validators should see.
    """

    default_label: Any = ""
    widget_attrs_default: dict[str, str] = _NUMERIC_ATTRS

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", self.default_label)
        super().__init__(**kwargs)
        if "required" not in (kwargs.get("error_messages") or {}):
            label = self.label or self.default_label
            self.error_messages["required"] = f"{label}: این مورد را وارد کنید"

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        for key, value in self.widget_attrs_default.items():
            # Attributes given on an explicit widget win over these defaults.
            if key not in widget.attrs:
                attrs.setdefault(key, value)
        return attrs

    def canonical(self, value: str) -> str:
        """Return the canonical identifier or raise :class:`InvalidIdentifier`."""
        raise NotImplementedError

    def to_python(self, value: Any) -> str:
        value = super().to_python(normalize_digits(value))
        if value in self.empty_values:
            return self.empty_value
        try:
            return self.canonical(value)
        except InvalidIdentifier as exc:
            raise ValidationError(f"{self.label}: {exc.message}", code=exc.code) from exc


class NationalCodeField(IdentifierField):
    """National code (کد ملی); 8 or 9 digit input is left-padded, as people drop leading zeros."""

    default_label = _("کد ملی")

    def canonical(self, value: str) -> str:
        return identifiers.clean_national_code(value)


class LegalNationalIdField(IdentifierField):
    """Legal-entity national ID (شناسه ملی), 11 digits."""

    default_label = _("شناسه ملی")

    def canonical(self, value: str) -> str:
        return identifiers.clean_legal_national_id(value)


class MobileField(IdentifierField):
    """Mobile number in any common form (+98, 0098, 98, 0 or no prefix), cleaned to 09XXXXXXXXX.

    The subscriber types their own number here, so the browser may fill it in, and the phone
    keypad is shown because it has the '+' that the numeric one lacks on some phones.
    """

    default_label = _("شماره همراه")
    widget_attrs_default = {"inputmode": "tel", "dir": "ltr", "autocomplete": "tel"}

    def canonical(self, value: str) -> str:
        return identifiers.clean_mobile(value)


class ShebaField(IdentifierField):
    """Sheba (IBAN), cleaned to ``IR`` + 24 digits.

    No numeric keyboard: the canonical value starts with the letters IR (a bare 24-digit
    number is accepted too, for those who skip them).
    """

    default_label = _("شماره شبا")
    widget_attrs_default = {
        "dir": "ltr",
        "autocomplete": "off",
        "spellcheck": "false",
        "autocapitalize": "characters",
    }

    def canonical(self, value: str) -> str:
        return identifiers.clean_sheba(value)


class PostalCodeField(IdentifierField):
    """Ten-digit postal code; ``strict=True`` also enforces the community plausibility rules.

    The soft rules are folklore, so they are off by default (see
    :func:`portal.identifiers.clean_postal_code`).
    """

    default_label = _("کد پستی")
    widget_attrs_default = {**_NUMERIC_ATTRS, "autocomplete": "postal-code"}

    def __init__(self, *, strict: bool = False, **kwargs: Any) -> None:
        self.strict = strict
        super().__init__(**kwargs)

    def canonical(self, value: str) -> str:
        return identifiers.clean_postal_code(value, strict=self.strict)


class BillIdField(IdentifierField):
    """Bill ID, optionally restricted to one service type and/or company code.

    A form for one utility passes its own ``service_type`` (2 electricity, 3 gas, 4 fixed
    telephone) so that a bill of another utility is refused with a message naming the service.
    A valid bill ID still has to be looked up: the check digit misses about 1.7% of typos.
    """

    default_label = _("شناسه قبض")

    def __init__(
        self, *, service_type: int | None = None, company_code: str | None = None, **kwargs: Any
    ) -> None:
        self.service_type = service_type
        self.company_code = company_code
        super().__init__(**kwargs)

    def canonical(self, value: str) -> str:
        return identifiers.clean_bill_id(
            value, company_code=self.company_code, service_type=self.service_type
        )


class PaymentIdField(IdentifierField):
    """Payment ID, normalised to ASCII digits only.

    A payment ID can only be checked together with its bill ID (check digit 2 covers both), so
    the form's ``clean()`` must call :func:`portal.identifiers.clean_payment_id` with the bill;
    this field only removes Persian digits, spaces and dashes and rejects anything that is not
    a number.
    """

    default_label = _("شناسه پرداخت")

    def canonical(self, value: str) -> str:
        return identifiers.normalize_identifier(value, label="شناسه پرداخت")


class CsvUploadField(forms.FileField):
    """The file of an admin import page: errors that name the field, and a size cap (the file
    is read into memory) that sends bigger files to the management ``command``."""

    def __init__(
        self, *, label: str, command: str, max_mb: int = 20, help_text: str = "", **kwargs: Any
    ) -> None:
        self.max_bytes = max_mb * 1024 * 1024
        self.command = command
        limit = f"حداکثر {to_persian_digits(max_mb)} مگابایت"
        super().__init__(
            label=label,
            help_text=help_text or f"UTF-8 با سطر عنوان؛ {limit}.",
            error_messages={
                "required": f"{label}: پرونده‌ای انتخاب کنید.",
                "empty": f"{label}: پرونده خالی است.",
                "invalid": f"{label}: پرونده‌ای انتخاب کنید.",
            },
            **kwargs,
        )

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload and upload.size > self.max_bytes:
            raise ValidationError(
                f"{self.label}: حجم پرونده بیش از "
                f"{to_persian_digits(self.max_bytes // (1024 * 1024))} مگابایت است؛ "
                f"پرونده‌های بزرگ را مدیر سامانه با فرمان {self.command} وارد می‌کند.",
                code="too_large",
            )
        return upload
