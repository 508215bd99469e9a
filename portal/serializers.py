"""DRF serializer fields for Iranian identifiers, mirroring :mod:`portal.forms`.

``to_internal_value`` accepts the same inputs as the form fields (Persian/Arabic-Indic digits,
spaces, dashes, a JSON number where a mobile or national code arrived as one) and returns the
canonical string from :mod:`portal.identifiers`, so API clients and HTML forms can never store
two spellings of one identifier. Errors carry the Persian message and the reason code of
:class:`~portal.identifiers.InvalidIdentifier`; the field name already keys the error in the
response, so messages are not prefixed with the label here (unlike form fields).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from portal import identifiers
from portal.digits import normalize_digits
from portal.identifiers import InvalidIdentifier

__all__ = [
    "BillIdSerializerField",
    "IdentifierSerializerField",
    "LegalNationalIdSerializerField",
    "MobileSerializerField",
    "NationalCodeSerializerField",
    "PostalCodeSerializerField",
    "ShebaSerializerField",
]


class IdentifierSerializerField(serializers.CharField):
    """Base class: a CharField whose internal value is the canonical identifier.

    Subclasses set ``default_label`` (used in the "required"/"blank" messages and as the
    OpenAPI label) and implement :meth:`canonical`.
    """

    default_label: str = ""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", self.default_label)
        custom = kwargs.get("error_messages") or {}
        super().__init__(**kwargs)
        label = self.label or self.default_label
        persian = {
            "required": f"{label} الزامی است.",
            "blank": f"{label} نمی‌تواند خالی باشد.",
            "null": f"{label} نمی‌تواند خالی باشد.",
        }
        for key, message in persian.items():
            if key not in custom:
                self.error_messages[key] = message

    def canonical(self, value: str) -> str:
        """Return the canonical identifier or raise :class:`InvalidIdentifier`."""
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(normalize_digits(data))
        try:
            return self.canonical(value)
        except InvalidIdentifier as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc


class NationalCodeSerializerField(IdentifierSerializerField):
    """National code; 8–9 digit input (leading zeros lost) is padded to 10."""

    default_label = "کد ملی"

    def canonical(self, value: str) -> str:
        return identifiers.clean_national_code(value)


class LegalNationalIdSerializerField(IdentifierSerializerField):
    """Legal-entity national ID, 11 digits."""

    default_label = "شناسه ملی"

    def canonical(self, value: str) -> str:
        return identifiers.clean_legal_national_id(value)


class MobileSerializerField(IdentifierSerializerField):
    """Mobile number in any common prefix form, stored as ``09XXXXXXXXX``."""

    default_label = "شماره همراه"

    def canonical(self, value: str) -> str:
        return identifiers.clean_mobile(value)


class PostalCodeSerializerField(IdentifierSerializerField):
    """Ten-digit postal code; ``strict=True`` also enforces the community plausibility rules."""

    default_label = "کد پستی"

    def __init__(self, *, strict: bool = False, **kwargs: Any) -> None:
        self.strict = strict
        super().__init__(**kwargs)

    def canonical(self, value: str) -> str:
        return identifiers.clean_postal_code(value, strict=self.strict)


class BillIdSerializerField(IdentifierSerializerField):
    """Bill ID without leading zeros, optionally restricted to one service type and company."""

    default_label = "شناسه قبض"

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


class ShebaSerializerField(IdentifierSerializerField):
    """Sheba (IBAN) as ``IR`` + 24 digits; lowercase, spaces and a missing prefix are accepted."""

    default_label = "شماره شبا"

    def canonical(self, value: str) -> str:
        return identifiers.clean_sheba(value)
