"""Django validators for Iranian identifiers, built on :mod:`portal.identifiers`.

Model fields store identifiers in canonical form only (``0499370899``, ``09121234567``,
``IR`` + 24 digits, bill IDs without leading zeros) because uniqueness constraints and lookups
compare strings. Validators cannot rewrite a value, so besides rejecting invalid identifiers they
reject valid-but-not-canonical ones with a message showing the canonical form; form and serializer
fields (``portal.forms``, ``portal.serializers``) do the rewriting before validators run.

Each ``ValidationError`` carries the Persian message from :class:`~portal.identifiers.
InvalidIdentifier` and its reason as ``code`` (``"length"``, ``"check_digit"``,
``"service_type"``, ``"not_canonical"``…).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from portal import identifiers
from portal.digits import to_persian_digits
from portal.identifiers import InvalidIdentifier

__all__ = [
    "BillIdValidator",
    "PostalCodeValidator",
    "validate_bill_id",
    "validate_legal_national_id",
    "validate_mobile",
    "validate_national_code",
    "validate_postal_code",
    "validate_sheba",
]


def _run(clean: Callable[[Any], str], value: Any, label: str) -> None:
    """Run ``clean`` and turn its outcome into Django's validation protocol."""
    try:
        canonical = clean(value)
    except InvalidIdentifier as exc:
        raise ValidationError(exc.message, code=exc.code) from exc
    if value != canonical:
        raise ValidationError(
            f"{label} را به شکل استاندارد ذخیره کنید: {to_persian_digits(canonical)}",
            code="not_canonical",
        )


def validate_national_code(value: Any) -> None:
    """Reject an invalid or non-canonical (not 10 ASCII digits) national code."""
    _run(identifiers.clean_national_code, value, "کد ملی")


def validate_legal_national_id(value: Any) -> None:
    """Reject an invalid or non-canonical legal-entity national ID (11 ASCII digits)."""
    _run(identifiers.clean_legal_national_id, value, "شناسه ملی")


def validate_mobile(value: Any) -> None:
    """Reject a mobile number that is invalid or not stored as ``09XXXXXXXXX``."""
    _run(identifiers.clean_mobile, value, "شماره همراه")


def validate_postal_code(value: Any) -> None:
    """Reject a postal code that is not exactly ten ASCII digits.

    The community plausibility rules are not applied here: they are folklore and a stored
    address must not become unsaveable because of them. Use ``PostalCodeValidator(strict=True)``
    where they should be enforced.
    """
    _run(identifiers.clean_postal_code, value, "کد پستی")


def validate_bill_id(value: Any) -> None:
    """Reject a bill ID with a wrong length or check digit, or stored with leading zeros."""
    _run(identifiers.clean_bill_id, value, "شناسه قبض")


def validate_sheba(value: Any) -> None:
    """Reject a Sheba number that fails mod 97 or is not stored as ``IR`` + 24 digits."""
    _run(identifiers.clean_sheba, value, "شماره شبا")


@deconstructible(path="portal.validators.PostalCodeValidator")
class PostalCodeValidator:
    """Postal-code validator whose soft rules can be switched on (``strict=True``).

    A class rather than a closure so it can be serialised into migrations.
    """

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict

    def __call__(self, value: Any) -> None:
        _run(lambda v: identifiers.clean_postal_code(v, strict=self.strict), value, "کد پستی")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PostalCodeValidator) and other.strict == self.strict

    def __hash__(self) -> int:
        return hash((type(self), self.strict))


@deconstructible(path="portal.validators.BillIdValidator")
class BillIdValidator:
    """Bill-ID validator bound to one service type and/or company code.

    ``BillIdValidator(service_type=2)`` on an electricity subscription's field rejects a gas
    bill ID with a message saying so. A deconstructible class so migrations can record the
    arguments; ``__eq__`` keeps ``makemigrations`` from seeing a change on every run.
    """

    def __init__(self, service_type: int | None = None, company_code: str | None = None) -> None:
        self.service_type = service_type
        self.company_code = company_code

    def __call__(self, value: Any) -> None:
        _run(
            lambda v: identifiers.clean_bill_id(
                v, company_code=self.company_code, service_type=self.service_type
            ),
            value,
            "شناسه قبض",
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BillIdValidator)
            and other.service_type == self.service_type
            and other.company_code == self.company_code
        )

    def __hash__(self) -> int:
        return hash((type(self), self.service_type, self.company_code))
