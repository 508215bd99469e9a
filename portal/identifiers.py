"""Iranian identifiers: national code, legal national ID, mobile, postal code, bill and payment IDs,
bill barcode and Sheba (IBAN).

This is the one place that knows these rules; forms, serializers, model validators and bill imports
all call it, so a rule fixed here is fixed everywhere. The module is pure Python (no Django) so
imports and management commands can use it cheaply and tests need no settings.

Every public function first normalises its input the same way: Persian/Arabic-Indic digits become
ASCII, and the spaces, dashes and invisible bidi marks people paste from Persian text are removed.
``clean_*`` functions return the canonical string or raise :class:`InvalidIdentifier`, whose Persian
message is safe to show to the user; ``is_valid_*`` functions are the boolean shortcut.
The algorithms and test vectors are in ``/work/shared/DOMAIN.md`` section 1.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from portal.digits import normalize_digits, to_persian_digits

__all__ = [
    "SERVICE_TYPES",
    "BillIdParts",
    "InvalidIdentifier",
    "PaymentIdParts",
    "bank_mod11_check_digit",
    "bill_barcode",
    "clean_bill_id",
    "clean_legal_national_id",
    "clean_mobile",
    "clean_national_code",
    "clean_payment_id",
    "clean_postal_code",
    "clean_sheba",
    "generate_bill_id",
    "generate_legal_national_id",
    "generate_national_code",
    "generate_payment_id",
    "generate_sheba",
    "is_plausible_postal_code",
    "is_valid_bill_id",
    "is_valid_legal_national_id",
    "is_valid_mobile",
    "is_valid_national_code",
    "is_valid_payment_id",
    "is_valid_postal_code",
    "is_valid_sheba",
    "legal_national_id_check_digit",
    "mask_mobile",
    "mask_national_code",
    "national_code_check_digit",
    "normalize_identifier",
    "parse_bill_barcode",
    "parse_bill_id",
    "parse_payment_id",
    "payment_id_matches",
    "postal_code_warnings",
    "sheba_bank_code",
]


class InvalidIdentifier(ValueError):
    """An identifier failed validation.

    ``message`` is a Persian sentence naming the problem, written for the end user (``str(exc)``
    returns it too). ``code`` is a stable machine-readable reason (``"length"``, ``"check_digit"``,
    ``"service_type"``…) that the Django and DRF layers pass on as the error code, so API clients
    and tests can branch on it without parsing Persian text.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# Whitespace, the dash family (hyphen, non-breaking hyphen, figure/en/em dash, minus sign) and the
# zero-width/bidi marks (ZWNJ, ZWJ, LRM, RLM, LRE..RLO, LRI..PDI) that come along when a number is
# copied out of right-to-left text.
_SEPARATORS_RE = re.compile(r"[\s\-\u2010-\u2015\u2212\u200c-\u200f\u202a-\u202e\u2066-\u2069]+")
_DIGITS_RE = re.compile(r"[0-9]+")


def normalize_identifier(value: Any, *, label: str, extra_strip: str = "") -> str:
    """Turn raw input into a string of ASCII digits, or raise a Persian error naming ``label``.

    This is the shared first step of every ``clean_*`` function: Persian/Arabic-Indic digits
    become ASCII; whitespace, dashes, bidi marks and any characters in ``extra_strip`` are
    removed; anything else left over is an error. Integers are accepted (spreadsheet imports hand
    them over), but an integer has already lost its leading zeros; callers that care pad them back.
    """
    if isinstance(value, bool) or value is None:
        raise InvalidIdentifier(f"{label} وارد نشده است", "required")
    if isinstance(value, int):
        if value < 0:
            raise InvalidIdentifier(f"{label} فقط باید شامل رقم باشد", "format")
        value = str(value)
    if not isinstance(value, str):
        raise InvalidIdentifier(f"{label} فقط باید شامل رقم باشد", "format")
    text = _SEPARATORS_RE.sub("", normalize_digits(value))
    for char in extra_strip:
        text = text.replace(char, "")
    if not text:
        raise InvalidIdentifier(f"{label} وارد نشده است", "required")
    if not _DIGITS_RE.fullmatch(text):
        raise InvalidIdentifier(f"{label} فقط باید شامل رقم باشد", "format")
    return text


def _fa(value: object) -> str:
    """Persian-digit rendering for numbers embedded in messages."""
    return to_persian_digits(value)


def _mask(text: str, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` characters and star the rest; star everything if too short."""
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def _loose_for_mask(value: Any) -> str:
    """Best-effort normalisation for masking: masking must never raise inside a log call."""
    if value is None:
        return ""
    return _SEPARATORS_RE.sub("", normalize_digits(str(value)))


# --------------------------------------------------------------------------------------------
# National code (کد ملی)
# --------------------------------------------------------------------------------------------

_NATIONAL_CODE_LABEL = "کد ملی"
# People drop leading zeros (the code was often stored as a number), so 8 and 9 digit inputs are
# padded back; anything shorter is more likely a different number than a code with 3+ zeros lost.
_NATIONAL_CODE_MIN_INPUT = 8


def national_code_check_digit(first9: str) -> int:
    """Return the check digit for the first nine digits of a national code.

    s = Σ digit[i] × (10 − i) for i = 0..8, r = s mod 11, check = r if r < 2 else 11 − r. Note that
    r = 1 and r = 10 both give check digit 1, so about one single-digit typo in sixty is not caught;
    that is why a national code typed by a user is never proof of identity on its own.
    """
    digits = normalize_identifier(first9, label=_NATIONAL_CODE_LABEL)
    if len(digits) != 9:
        raise InvalidIdentifier("برای محاسبه رقم کنترل کد ملی ۹ رقم لازم است", "length")
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
    return remainder if remainder < 2 else 11 - remainder


def clean_national_code(value: Any) -> str:
    """Return the canonical 10-digit national code or raise :class:`InvalidIdentifier`.

    Inputs of 8 or 9 digits are left-padded with zeros because leading zeros are routinely lost.
    Besides the check digit, ten identical digits (``1111111111`` passes the arithmetic) and codes
    whose digits 4–9 are all zero are rejected: neither is ever issued, and both are what people
    type to get past a form.
    """
    code = normalize_identifier(value, label=_NATIONAL_CODE_LABEL)
    if not _NATIONAL_CODE_MIN_INPUT <= len(code) <= 10:
        raise InvalidIdentifier("کد ملی باید ۱۰ رقم باشد", "length")
    code = code.zfill(10)
    if len(set(code)) == 1:
        raise InvalidIdentifier("کد ملی نمی‌تواند ده رقم یکسان باشد", "repeated")
    if code[3:9] == "000000":
        raise InvalidIdentifier("رقم‌های چهارم تا نهم کد ملی نمی‌توانند همه صفر باشند", "zeros")
    if national_code_check_digit(code[:9]) != int(code[9]):
        raise InvalidIdentifier("رقم کنترل کد ملی درست نیست", "check_digit")
    return code


def is_valid_national_code(value: Any) -> bool:
    """Boolean form of :func:`clean_national_code`."""
    try:
        clean_national_code(value)
    except InvalidIdentifier:
        return False
    return True


def generate_national_code(rng: random.Random) -> str:
    """Return a random valid national code drawn from ``rng`` (for factories and tests).

    Taking the generator as an argument keeps fixtures reproducible under a fixed seed. Draws that
    would be rejected by the extra rules (repeated digits, zero middle) are simply redrawn.
    """
    while True:
        first9 = "".join(rng.choice("0123456789") for _ in range(9))
        code = first9 + str(national_code_check_digit(first9))
        if is_valid_national_code(code):
            return code


def mask_national_code(code: Any) -> str:
    """Return ``049****899`` style text for logs: first three and last three digits only.

    Logs must never hold a full national code. This never raises: invalid input is masked the same
    way (and fully starred when too short to leave anything out), because a logging call that
    throws on bad input would hide the original error.
    """
    try:
        text = clean_national_code(code)
    except InvalidIdentifier:
        text = _loose_for_mask(code)
    return _mask(text, 3, 3)


# --------------------------------------------------------------------------------------------
# Legal-entity national ID (شناسه ملی اشخاص حقوقی)
# --------------------------------------------------------------------------------------------

_LEGAL_ID_LABEL = "شناسه ملی"
_LEGAL_ID_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def legal_national_id_check_digit(first10: str) -> int:
    """Return the 11th (check) digit of a legal-entity national ID from its first ten digits.

    d = (10th digit) + 2; s = Σ (digit[i] + d) × w[i] with weights 29,27,23,19,17 repeated;
    r = s mod 11, and 10 maps to 0. The decimal digit d ties the checksum to the 10th digit twice,
    which is how the registry scheme is defined, not a typo here.
    """
    digits = normalize_identifier(first10, label=_LEGAL_ID_LABEL)
    if len(digits) != 10:
        raise InvalidIdentifier("برای محاسبه رقم کنترل شناسه ملی ۱۰ رقم لازم است", "length")
    shift = int(digits[9]) + 2
    total = sum((int(d) + shift) * w for d, w in zip(digits, _LEGAL_ID_WEIGHTS, strict=True))
    remainder = total % 11
    return 0 if remainder == 10 else remainder


def clean_legal_national_id(value: Any) -> str:
    """Return the canonical 11-digit legal national ID or raise :class:`InvalidIdentifier`.

    No padding here: unlike personal codes, legal IDs are issued as 11 digits starting with a
    non-zero digit and are rarely stored as numbers. Repeated digits (including all zeros) and IDs
    whose digits 4–9 are all zero are rejected before the check digit, as for national codes.
    """
    code = normalize_identifier(value, label=_LEGAL_ID_LABEL)
    if len(code) != 11:
        raise InvalidIdentifier("شناسه ملی باید ۱۱ رقم باشد", "length")
    if len(set(code)) == 1:
        raise InvalidIdentifier("شناسه ملی نمی‌تواند یازده رقم یکسان باشد", "repeated")
    if code[3:9] == "000000":
        raise InvalidIdentifier("رقم‌های چهارم تا نهم شناسه ملی نمی‌توانند همه صفر باشند", "zeros")
    if legal_national_id_check_digit(code[:10]) != int(code[10]):
        raise InvalidIdentifier("رقم کنترل شناسه ملی درست نیست", "check_digit")
    return code


def is_valid_legal_national_id(value: Any) -> bool:
    """Boolean form of :func:`clean_legal_national_id`."""
    try:
        clean_legal_national_id(value)
    except InvalidIdentifier:
        return False
    return True


def generate_legal_national_id(rng: random.Random) -> str:
    """Return a random valid legal national ID drawn from ``rng`` (for factories and tests).

    The first digit is kept non-zero, as in issued IDs; rejected draws are redrawn.
    """
    while True:
        first10 = rng.choice("123456789") + "".join(rng.choice("0123456789") for _ in range(9))
        code = first10 + str(legal_national_id_check_digit(first10))
        if is_valid_legal_national_id(code):
            return code


# --------------------------------------------------------------------------------------------
# Mobile number
# --------------------------------------------------------------------------------------------

_MOBILE_LABEL = "شماره همراه"
_MOBILE_RE = re.compile(r"(?:0098|98|0)?(9[0-9]{9})")


def clean_mobile(value: Any) -> str:
    """Return the mobile number as ``09XXXXXXXXX`` or raise :class:`InvalidIdentifier`.

    Accepts ``+98``, ``0098``, ``98``, ``0`` or no prefix before ``9`` and nine digits, with
    spaces, dashes and parentheses. Operator ranges (0912, 0935, 0990…) are deliberately not
    checked: new ranges appear every year and a stale list locks real subscribers out.
    """
    number = normalize_identifier(value, label=_MOBILE_LABEL, extra_strip="+()")
    match = _MOBILE_RE.fullmatch(number)
    if match:
        return "0" + match.group(1)
    core = number
    for prefix in ("0098", "98", "0"):
        if core.startswith(prefix) and len(core) > len(prefix):
            core = core[len(prefix) :]
            break
    if core.startswith("9"):
        raise InvalidIdentifier("شماره همراه باید ۱۱ رقم باشد (مانند ۰۹۱۲۱۲۳۴۵۶۷)", "length")
    raise InvalidIdentifier("شماره همراه باید با ۰۹ شروع شود", "prefix")


def is_valid_mobile(value: Any) -> bool:
    """Boolean form of :func:`clean_mobile`."""
    try:
        clean_mobile(value)
    except InvalidIdentifier:
        return False
    return True


def mask_mobile(mobile: Any) -> str:
    """Return ``0912***4567`` style text for logs and SMS audit rows.

    The operator prefix and the last four digits are enough for support staff to match a
    complaint, without putting a full phone number in logs. Never raises (see
    :func:`mask_national_code`).
    """
    try:
        text = clean_mobile(mobile)
    except InvalidIdentifier:
        text = _loose_for_mask(mobile)
    return _mask(text, 4, 4)


# --------------------------------------------------------------------------------------------
# Postal code (کد پستی)
# --------------------------------------------------------------------------------------------

_POSTAL_LABEL = "کد پستی"


def postal_code_warnings(value: Any) -> list[str]:
    """Return Persian warnings for a postal code that breaks the community plausibility rules.

    The rules (no 0 or 2 in the first four digits; fifth digit not 0, 2 or 5; no 2 in the last
    five; first four digits not identical) are folklore derived from published codes, not an
    official specification, so they produce warnings rather than errors by default. A code that
    is not even ten digits yields the hard error message as its only warning.
    """
    try:
        code = _clean_postal_code_format(value)
    except InvalidIdentifier as exc:
        return [exc.message]
    warnings: list[str] = []
    if set(code[:4]) & {"0", "2"}:
        warnings.append("رقم‌های ۰ و ۲ در چهار رقم اول کد پستی نمی‌آیند")
    if code[4] in "025":
        warnings.append("رقم پنجم کد پستی نمی‌تواند ۰، ۲ یا ۵ باشد")
    if "2" in code[5:]:
        warnings.append("رقم ۲ در پنج رقم آخر کد پستی نمی‌آید")
    if len(set(code[:4])) == 1:
        warnings.append("چهار رقم اول کد پستی نمی‌توانند یکسان باشند")
    return warnings


def is_plausible_postal_code(value: Any) -> bool:
    """True when the postal code is ten digits and raises none of the soft-rule warnings."""
    return not postal_code_warnings(value)


def _clean_postal_code_format(value: Any) -> str:
    """The hard part of postal-code validation: ten digits, nothing else."""
    code = normalize_identifier(value, label=_POSTAL_LABEL)
    if len(code) != 10:
        raise InvalidIdentifier("کد پستی باید ۱۰ رقم باشد", "length")
    return code


def clean_postal_code(value: Any, strict: bool = False) -> str:
    """Return the 10-digit postal code or raise :class:`InvalidIdentifier`.

    Ten digits are always required. The community soft rules (see :func:`postal_code_warnings`)
    only raise when ``strict`` is true, because a real but unusual code must not block a
    subscriber; non-strict callers can show the warnings instead.
    """
    code = _clean_postal_code_format(value)
    if strict:
        warnings = postal_code_warnings(code)
        if warnings:
            raise InvalidIdentifier(warnings[0], "implausible")
    return code


def is_valid_postal_code(value: Any, strict: bool = False) -> bool:
    """Boolean form of :func:`clean_postal_code`."""
    try:
        clean_postal_code(value, strict=strict)
    except InvalidIdentifier:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Bill ID (شناسه قبض) and payment ID (شناسه پرداخت)
# --------------------------------------------------------------------------------------------

SERVICE_TYPES: Mapping[int, str] = MappingProxyType(
    {1: "آب", 2: "برق", 3: "گاز", 4: "تلفن ثابت", 5: "تلفن همراه", 6: "شهرداری"}
)
"""Service-type digit (second-to-last digit of a bill ID) → Persian name.

Digits 7–9 mean different things in different bank implementations, so they are left out; the
portal itself issues 2 (electricity), 3 (gas) and 4 (fixed telephone).
"""

_BILL_LABEL = "شناسه قبض"
_PAYMENT_LABEL = "شناسه پرداخت"
_BARCODE_LABEL = "بارکد قبض"
_ID_MIN, _ID_MAX = 6, 13
_MAX_FILE_CODE_DIGITS = 8
_MAX_AMOUNT_THOUSANDS_DIGITS = _ID_MAX - 5  # year + period + two check digits take five


@dataclass(frozen=True, slots=True)
class BillIdParts:
    """A bill ID split into its fields (left to right)."""

    file_code: str
    company_code: str
    service_type: int
    check_digit: int

    @property
    def service_name(self) -> str | None:
        """Persian name of the service, or None for digits outside :data:`SERVICE_TYPES`."""
        return SERVICE_TYPES.get(self.service_type)


@dataclass(frozen=True, slots=True)
class PaymentIdParts:
    """A payment ID split into its fields; ``amount_rial`` is already multiplied by 1000."""

    amount_rial: int
    year_digit: int
    period: int
    check1: int
    check2: int


def bank_mod11_check_digit(digits: str) -> int:
    """Return the check digit of the banks' shared bill-payment scheme over ``digits``.

    Weights 2,3,4,5,6,7,2,3,… are applied from the RIGHT; r = sum mod 11; check = 0 if r is 0 or
    1, else 11 − r. Because weighting starts at the right, leading zeros never change the result,
    which is why bill and payment IDs can be stored with or without them. The shared digit for
    r = 0 and r = 1 means roughly 1.7% of single-digit typos slip through.
    """
    text = normalize_identifier(digits, label="رقم‌ها")
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(text)))
    remainder = total % 11
    return 0 if remainder < 2 else 11 - remainder


def _strip_id(value: Any, *, label: str) -> str:
    """Normalise a bill or payment ID, drop leading zeros and check the 6–13 digit length."""
    text = normalize_identifier(value, label=label).lstrip("0")
    if not _ID_MIN <= len(text) <= _ID_MAX:
        raise InvalidIdentifier(f"{label} باید بین ۶ تا ۱۳ رقم باشد", "length")
    return text


def _clean_company_code(company_code: Any) -> str:
    """Company codes are three digits; an integer (leading zeros lost) is padded back."""
    if isinstance(company_code, int) and not isinstance(company_code, bool):
        company_code = str(company_code).zfill(3)
    code = normalize_identifier(company_code, label="کد شرکت")
    if len(code) != 3:
        raise InvalidIdentifier("کد شرکت باید ۳ رقم باشد", "company_code")
    return code


def _service_name(service_type: int) -> str:
    return SERVICE_TYPES.get(service_type, f"خدمت {_fa(service_type)}")


def clean_bill_id(
    value: Any, *, company_code: str | None = None, service_type: int | None = None
) -> str:
    """Return the bill ID without leading zeros, or raise :class:`InvalidIdentifier`.

    The ID must be 6–13 digits once leading zeros are dropped and its last digit must match
    :func:`bank_mod11_check_digit` over the rest. When ``service_type`` or ``company_code`` is
    given (a form for one utility), the service-type digit and the three digits before it must
    match, each with its own message, so a subscriber who pastes a gas bill into the electricity
    form is told so instead of hearing "invalid". A valid check digit does not prove the bill
    exists: look it up before showing anything.
    """
    bill = _strip_id(value, label=_BILL_LABEL)
    if bank_mod11_check_digit(bill[:-1]) != int(bill[-1]):
        raise InvalidIdentifier("رقم کنترل شناسه قبض درست نیست", "check_digit")
    if service_type is not None and int(bill[-2]) != service_type:
        raise InvalidIdentifier(
            f"این شناسه قبض مربوط به {_service_name(service_type)} نیست", "service_type"
        )
    if company_code is not None and bill[-5:-2] != _clean_company_code(company_code):
        raise InvalidIdentifier("این شناسه قبض متعلق به شرکت دیگری است", "company_code")
    return bill


def is_valid_bill_id(
    value: Any, *, company_code: str | None = None, service_type: int | None = None
) -> bool:
    """Boolean form of :func:`clean_bill_id`."""
    try:
        clean_bill_id(value, company_code=company_code, service_type=service_type)
    except InvalidIdentifier:
        return False
    return True


def parse_bill_id(bill_id: Any) -> BillIdParts:
    """Validate a bill ID and split it into file code, company code, service digit and check.

    The file code is whatever precedes the last five digits (1–8 digits, leading zeros already
    dropped); the fields are fixed-width from the right, which is why the ID can be parsed even
    though its length varies.
    """
    bill = clean_bill_id(bill_id)
    return BillIdParts(
        file_code=bill[:-5],
        company_code=bill[-5:-2],
        service_type=int(bill[-2]),
        check_digit=int(bill[-1]),
    )


def generate_bill_id(*, file_code: str | int, company_code: str, service_type: int) -> str:
    """Build a bill ID: file code · 3-digit company code · service digit · mod-11 check digit.

    The file code identifies the subscription inside the company and must be a positive number
    of at most eight digits (leading zeros are dropped, as they would be from the final ID).
    """
    file_digits = normalize_identifier(file_code, label="کد پرونده").lstrip("0")
    if not file_digits or len(file_digits) > _MAX_FILE_CODE_DIGITS:
        raise InvalidIdentifier("کد پرونده باید عددی مثبت با حداکثر ۸ رقم باشد", "file_code")
    if isinstance(service_type, bool) or not isinstance(service_type, int):
        raise InvalidIdentifier("نوع خدمت باید یک رقم باشد", "service_type")
    if not 0 <= service_type <= 9:
        raise InvalidIdentifier("نوع خدمت باید یک رقم باشد", "service_type")
    body = file_digits + _clean_company_code(company_code) + str(service_type)
    return body + str(bank_mod11_check_digit(body))


def _split_payment_id(payment: str) -> tuple[str, int, int, int, int]:
    """Split a stripped payment ID into (amount in thousands, year digit, period, c1, c2)."""
    return payment[:-5], int(payment[-5]), int(payment[-4:-2]), int(payment[-2]), int(payment[-1])


def _clean_payment_format(value: Any) -> str:
    """Length and check digit 1 — everything that can be checked without the bill."""
    payment = _strip_id(value, label=_PAYMENT_LABEL)
    if bank_mod11_check_digit(payment[:-2]) != int(payment[-2]):
        raise InvalidIdentifier("رقم کنترل اول شناسه پرداخت درست نیست", "check_digit")
    return payment


def clean_payment_id(value: Any, *, bill_id: str) -> str:
    """Return the payment ID without leading zeros, validated against ``bill_id``.

    Check 1 is mod 11 over amount+year+period; check 2 is mod 11 over the bill ID (without
    leading zeros) followed by amount+year+period and check 1. Check 2 is what binds a payment
    ID to one bill, so a payment ID copied from another subscriber's bill is rejected with its
    own message. An invalid ``bill_id`` raises the bill's error.
    """
    bill = clean_bill_id(bill_id)
    payment = _clean_payment_format(value)
    if bank_mod11_check_digit(bill + payment[:-1]) != int(payment[-1]):
        raise InvalidIdentifier("شناسه پرداخت با این شناسه قبض هم‌خوانی ندارد", "bill_mismatch")
    return payment


def is_valid_payment_id(value: Any, *, bill_id: str) -> bool:
    """Boolean form of :func:`clean_payment_id`."""
    try:
        clean_payment_id(value, bill_id=bill_id)
    except InvalidIdentifier:
        return False
    return True


def parse_payment_id(payment_id: Any) -> PaymentIdParts:
    """Split a payment ID into amount (in rials), year digit, period and check digits.

    Only the length and check digit 1 are validated here, because check digit 2 needs the bill
    ID; call :func:`clean_payment_id` first when the bill is known. The amount is stored in
    thousands of rials, so the returned ``amount_rial`` is always a multiple of 1000.
    """
    amount, year_digit, period, check1, check2 = _split_payment_id(
        _clean_payment_format(payment_id)
    )
    return PaymentIdParts(
        amount_rial=int(amount) * 1000,
        year_digit=year_digit,
        period=period,
        check1=check1,
        check2=check2,
    )


def generate_payment_id(*, bill_id: str, amount_rial: int, jalali_year: int, period: int) -> str:
    """Build the payment ID that binds ``bill_id`` to one amount, Jalali year and period.

    The amount must be a positive multiple of 1000 rials (the ID carries thousands) and fit in
    eight digits of thousands; only the last digit of ``jalali_year`` is kept; ``period`` is
    1–99. Regenerate the ID whenever the payable amount changes (settlement, correction),
    otherwise the bank will collect the old amount.
    """
    bill = clean_bill_id(bill_id)
    if isinstance(amount_rial, bool) or not isinstance(amount_rial, int):
        raise InvalidIdentifier("مبلغ قبض باید عدد صحیح به ریال باشد", "amount")
    if amount_rial <= 0 or amount_rial % 1000:
        raise InvalidIdentifier("مبلغ قبض باید مضربی مثبت از ۱۰۰۰ ریال باشد", "amount")
    thousands = str(amount_rial // 1000)
    if len(thousands) > _MAX_AMOUNT_THOUSANDS_DIGITS:
        raise InvalidIdentifier("مبلغ قبض برای شناسه پرداخت بیش از حد بزرگ است", "amount")
    if isinstance(jalali_year, bool) or not isinstance(jalali_year, int) or jalali_year < 0:
        raise InvalidIdentifier("سال باید عددی نامنفی باشد", "year")
    if isinstance(period, bool) or not isinstance(period, int) or not 1 <= period <= 99:
        raise InvalidIdentifier("دوره باید بین ۱ تا ۹۹ باشد", "period")
    body = f"{thousands}{jalali_year % 10}{period:02d}"
    check1 = str(bank_mod11_check_digit(body))
    check2 = str(bank_mod11_check_digit(bill + body + check1))
    return body + check1 + check2


def payment_id_matches(
    bill_id: Any, payment_id: Any, *, amount_rial: int, jalali_year: int, period: int
) -> bool:
    """True when ``payment_id`` is exactly the one this bill, amount, year and period produce.

    Used by bill imports to catch files whose payment ID no longer matches the amount (the
    utility changed the amount but not the ID). Any invalid input gives False rather than an
    exception, since an import wants a yes/no per row.
    """
    try:
        expected = generate_payment_id(
            bill_id=bill_id, amount_rial=amount_rial, jalali_year=jalali_year, period=period
        )
        return clean_payment_id(payment_id, bill_id=bill_id) == expected
    except InvalidIdentifier:
        return False


def bill_barcode(bill_id: Any, payment_id: Any) -> str:
    """Return the 26-digit barcode text: bill ID and payment ID, each zero-padded to 13 digits.

    Both IDs are validated first (a barcode for a mismatched pair would send money to the wrong
    bill). Some libraries join ``bill + "000" + payment`` without padding; that is wrong and
    produces a barcode bank scanners split in the wrong place.
    """
    bill = clean_bill_id(bill_id)
    payment = clean_payment_id(payment_id, bill_id=bill)
    return bill.zfill(_ID_MAX) + payment.zfill(_ID_MAX)


def parse_bill_barcode(code: Any) -> tuple[str, str]:
    """Split a 26-digit bill barcode into (bill ID, payment ID), both validated and canonical."""
    text = normalize_identifier(code, label=_BARCODE_LABEL)
    if len(text) != 2 * _ID_MAX:
        raise InvalidIdentifier("بارکد قبض باید ۲۶ رقم باشد", "length")
    bill = clean_bill_id(text[:_ID_MAX])
    return bill, clean_payment_id(text[_ID_MAX:], bill_id=bill)


# --------------------------------------------------------------------------------------------
# Sheba (IBAN)
# --------------------------------------------------------------------------------------------

_SHEBA_LABEL = "شماره شبا"
_SHEBA_RE = re.compile(r"IR[0-9]{24}")
_IR_DIGITS = "1827"  # ISO 13616: I → 18, R → 27


def _sheba_text(value: Any) -> str:
    """Normalise Sheba input: digits, separators, case; a bare 24-digit number gets ``IR``."""
    if not isinstance(value, str):
        raise InvalidIdentifier(f"{_SHEBA_LABEL} وارد نشده است", "required")
    text = _SEPARATORS_RE.sub("", normalize_digits(value)).upper()
    if not text:
        raise InvalidIdentifier(f"{_SHEBA_LABEL} وارد نشده است", "required")
    if _DIGITS_RE.fullmatch(text) and len(text) == 24:
        text = "IR" + text
    return text


def clean_sheba(value: Any) -> str:
    """Return the Sheba number as ``IR`` + 24 digits, or raise :class:`InvalidIdentifier`.

    Accepts lowercase ``ir``, spaces, dashes, Persian digits, and 24 digits without the prefix
    (many forms print ``IR`` outside the input box). Validation is ISO 13616 mod 97: move the
    first four characters to the end, replace I and R with 18 and 27, and the number mod 97 must
    be 1. Mod 97 catches every single-digit error and every adjacent transposition.
    """
    text = _sheba_text(value)
    if not _SHEBA_RE.fullmatch(text):
        raise InvalidIdentifier("شماره شبا باید با IR شروع شود و ۲۴ رقم داشته باشد", "format")
    if int(text[4:] + _IR_DIGITS + text[2:4]) % 97 != 1:
        raise InvalidIdentifier("رقم‌های کنترل شماره شبا درست نیست", "check_digit")
    return text


def is_valid_sheba(value: Any) -> bool:
    """Boolean form of :func:`clean_sheba`."""
    try:
        clean_sheba(value)
    except InvalidIdentifier:
        return False
    return True


def sheba_bank_code(sheba: Any) -> str:
    """Return the 3-digit bank code (characters 5–7 of the Sheba), e.g. ``"054"`` for Parsian."""
    return clean_sheba(sheba)[4:7]


def generate_sheba(*, bank_code: str, account: str) -> str:
    """Build a valid Sheba from a 3-digit bank code and an account number of up to 19 digits.

    The account is left-padded with zeros to 19 digits, which is how banks fill the BBAN; the two
    check digits are 98 − (BBAN + "IR00" rearranged) mod 97.
    """
    bank = normalize_identifier(bank_code, label="کد بانک")
    if len(bank) != 3:
        raise InvalidIdentifier("کد بانک باید ۳ رقم باشد", "bank_code")
    account_digits = normalize_identifier(account, label="شماره حساب")
    if len(account_digits) > 19:
        raise InvalidIdentifier("شماره حساب در شبا حداکثر ۱۹ رقم است", "account")
    bban = bank + account_digits.zfill(19)
    check = 98 - int(bban + _IR_DIGITS + "00") % 97
    return f"IR{check:02d}{bban}"


# --- Public tracking numbers (request numbers, outage and complaint tracking codes) ----------
# Digits only so they can be read over the phone and typed on any keypad; random, not
# sequential, so one number says nothing about another (STYLE §6); the last digit is a Luhn
# check digit, which catches every single-digit typo and every swap of two adjacent digits
# except 09↔90.


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def generate_tracking_number(length: int = 10) -> str:
    """A random ``length``-digit number whose last digit is its Luhn check digit; it never
    starts with 0 (a leading zero is lost by spreadsheets and by people)."""
    import secrets

    if length < 4:
        raise ValueError("a tracking number needs at least 4 digits")
    body = str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(length - 2)
    )
    return body + str(luhn_check_digit(body))


def is_valid_tracking_number(value: Any, length: int = 10) -> bool:
    """True for a ``length``-digit number (Persian digits accepted) with a correct check digit."""
    try:
        text = normalize_identifier(value, label="شماره پیگیری")
    except InvalidIdentifier:
        return False
    if len(text) != length or not text.isdigit() or text[0] == "0":
        return False
    return luhn_check_digit(text[:-1]) == int(text[-1])
