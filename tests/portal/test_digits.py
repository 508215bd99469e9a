"""Digit normalisation (portal.digits): pure functions, no database."""

import copy

from hypothesis import given
from hypothesis import strategies as st

from portal.digits import normalize_digits, normalize_payload, to_persian_digits

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


def test_every_persian_and_arabic_indic_digit_maps_to_ascii():
    assert normalize_digits(PERSIAN) == "0123456789"
    assert normalize_digits(ARABIC_INDIC) == "0123456789"
    for ascii_digit, persian, arabic in zip("0123456789", PERSIAN, ARABIC_INDIC, strict=True):
        assert normalize_digits(persian) == ascii_digit
        assert normalize_digits(arabic) == ascii_digit


def test_mixed_text_keeps_everything_but_the_digits():
    assert normalize_digits("کد ملی: ۰۴۹۹-٣٧٠-899") == "کد ملی: 0499-370-899"
    assert normalize_digits("IR۸۲ ۰۵۴۰") == "IR82 0540"
    assert normalize_digits("") == ""


def test_non_strings_are_returned_unchanged():
    marker = object()
    for value in (None, 5, 3.5, b"\xdb\xb1", ["۱"], marker):
        assert normalize_digits(value) is value


def test_to_persian_digits():
    assert to_persian_digits("0123456789") == PERSIAN
    assert to_persian_digits(17000) == "۱۷۰۰۰"
    assert to_persian_digits("قبض 12 آبان") == "قبض ۱۲ آبان"
    assert to_persian_digits(None) == ""


@given(st.text())
def test_persian_round_trip(text):
    assert normalize_digits(to_persian_digits(text)) == normalize_digits(text)


@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize_digits(text)
    assert normalize_digits(once) == once
    assert not set(once) & set(PERSIAN + ARABIC_INDIC)


def test_payload_nested_structures():
    data = {
        "mobile": "۰۹۱۲۱۲۳۴۵۶۷",
        "items": [{"bill_id": "٧٧٤٨٣١٧٨٠٠١٤٢"}, "۱", 7, None],
        "pair": ("۲", "x"),
        "count": 3,
    }
    assert normalize_payload(data) == {
        "mobile": "09121234567",
        "items": [{"bill_id": "7748317800142"}, "1", 7, None],
        "pair": ("2", "x"),
        "count": 3,
    }


def test_payload_password_values_are_left_alone():
    data = {
        "password": "رمز۱۲۳",
        "new_password1": "۱۲۳۴",
        "New_Password2": "۱۲۳۴",
        "OLD_PASSWORD": ["۱"],
        "username": "۰۹۱۲",
        "profile": {"password_hint": "۵", "code": "۵"},
    }
    assert normalize_payload(data) == {
        "password": "رمز۱۲۳",
        "new_password1": "۱۲۳۴",
        "New_Password2": "۱۲۳۴",
        "OLD_PASSWORD": ["۱"],
        "username": "0912",
        "profile": {"password_hint": "۵", "code": "5"},
    }


def test_payload_custom_skip_keys_and_keys_not_rewritten():
    data = {"otp": "۱۲۳", "pin_code": "۴", "۱": "۲"}
    assert normalize_payload(data, skip_keys=("PIN",)) == {"otp": "123", "pin_code": "۴", "۱": "2"}


def test_payload_does_not_mutate_input():
    data = {"a": ["۱", {"b": "۲"}]}
    before = copy.deepcopy(data)
    normalize_payload(data)
    assert data == before


def test_payload_scalars():
    assert normalize_payload("۱۲") == "12"
    assert normalize_payload(None) is None
    assert normalize_payload(12) == 12
