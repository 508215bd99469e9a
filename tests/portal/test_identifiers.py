"""Iranian identifiers (portal.identifiers): every DOMAIN.md vector plus properties.

Pure module: no settings, no database.
"""

import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from portal import identifiers as ids
from portal.digits import to_persian_digits
from portal.identifiers import InvalidIdentifier

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def to_arabic_digits(text: str) -> str:
    return text.translate(ARABIC)


def mutate(code: str, index: int, digit: str) -> str:
    return code[:index] + digit + code[index + 1 :]


def other_digit(rng: random.Random, current: str) -> str:
    return rng.choice([d for d in "0123456789" if d != current])


# A seeded random.Random per example: the generators take one, and a seed shrinks well.
rngs = st.integers(min_value=0, max_value=2**64).map(random.Random)


def raises_code(func, *args, **kwargs) -> InvalidIdentifier:
    with pytest.raises(InvalidIdentifier) as info:
        func(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------------------------------
# InvalidIdentifier
# --------------------------------------------------------------------------------------------


def test_invalid_identifier_is_a_value_error_with_persian_message():
    exc = raises_code(ids.clean_national_code, "4271427685")
    assert isinstance(exc, ValueError)
    assert exc.message == "رقم کنترل کد ملی درست نیست"
    assert str(exc) == exc.message
    assert exc.code == "check_digit"


@pytest.mark.parametrize("value", [None, "", "   ", "-", True, 3.5, ["0499370899"]])
def test_empty_or_wrong_type_input_is_rejected_not_crashing(value):
    assert not ids.is_valid_national_code(value)
    assert not ids.is_valid_bill_id(value)
    assert not ids.is_valid_mobile(value)
    assert not ids.is_valid_sheba(value)


def test_messages_use_persian_digits():
    for func, value in [
        (ids.clean_national_code, "12345"),
        (ids.clean_legal_national_id, "123"),
        (ids.clean_postal_code, "123"),
        (ids.clean_bill_id, "123"),
        (ids.clean_mobile, "0912123456"),
        (ids.clean_sheba, "IR12"),
    ]:
        message = raises_code(func, value).message
        assert not any(ch in "0123456789" for ch in message), message


# --------------------------------------------------------------------------------------------
# National code
# --------------------------------------------------------------------------------------------

VALID_NATIONAL_CODES = ["0499370899", "1583250689", "0932833810"]


@pytest.mark.parametrize("code", VALID_NATIONAL_CODES)
def test_national_code_valid_vectors(code):
    assert ids.clean_national_code(code) == code
    assert ids.is_valid_national_code(code)
    assert ids.national_code_check_digit(code[:9]) == int(code[9])


@pytest.mark.parametrize(
    ("code", "reason"),
    [("4271427685", "check_digit"), ("0684159415", "check_digit"), ("1111111111", "repeated")],
)
def test_national_code_invalid_vectors(code, reason):
    assert not ids.is_valid_national_code(code)
    assert raises_code(ids.clean_national_code, code).code == reason


@pytest.mark.parametrize("digit", "0123456789")
def test_national_code_ten_identical_digits_rejected_although_arithmetic_passes(digit):
    code = digit * 10
    assert ids.national_code_check_digit(code[:9]) == int(digit)
    exc = raises_code(ids.clean_national_code, code)
    assert exc.code == "repeated"


def test_national_code_digits_4_to_9_all_zero_rejected():
    code = "1230000003"  # check digit is right
    assert ids.national_code_check_digit(code[:9]) == 3
    exc = raises_code(ids.clean_national_code, code)
    assert exc.code == "zeros"
    assert "صفر" in exc.message


def test_national_code_left_pads_dropped_zeros():
    assert ids.clean_national_code("499370899") == "0499370899"
    assert ids.clean_national_code("12345679") == "0012345679"
    assert ids.clean_national_code(499370899) == "0499370899"


@pytest.mark.parametrize("value", ["1234567", "04993708990", "049937089a"])
def test_national_code_wrong_shape(value):
    exc = raises_code(ids.clean_national_code, value)
    assert exc.code in {"length", "format"}


def test_national_code_length_message():
    assert raises_code(ids.clean_national_code, "1234567").message == "کد ملی باید ۱۰ رقم باشد"


@pytest.mark.parametrize(
    "value",
    ["۰۴۹۹۳۷۰۸۹۹", "٠٤٩٩٣٧٠٨٩٩", "049-937-0899", " 0499 370 899 ", "۰۴۹۹\u200c۳۷۰۸۹۹"],
)
def test_national_code_normalises_input(value):
    assert ids.clean_national_code(value) == "0499370899"


def test_national_code_check_digit_needs_nine_digits():
    assert raises_code(ids.national_code_check_digit, "12345678").code == "length"


def test_national_code_known_blind_spot():
    """r = 1 and r = 10 share check digit 1, so this one-digit typo goes unnoticed."""
    assert ids.is_valid_national_code("7633100461")
    assert ids.is_valid_national_code("7633100451")


def test_mask_national_code():
    assert ids.mask_national_code("0499370899") == "049****899"
    assert ids.mask_national_code("۴۹۹۳۷۰۸۹۹") == "049****899"
    assert ids.mask_national_code("4271427685") == "427****685"  # invalid, still masked
    assert ids.mask_national_code("12") == "**"
    assert ids.mask_national_code(None) == ""


def _national_remainder(first9: str) -> int:
    return sum(int(d) * (10 - i) for i, d in enumerate(first9)) % 11


@given(rngs)
def test_national_code_generate_round_trips(rng):
    code = ids.generate_national_code(rng)
    assert len(code) == 10
    assert ids.clean_national_code(code) == code
    assert ids.clean_national_code(to_persian_digits(code)) == code
    assert ids.clean_national_code(to_arabic_digits(code)) == code


@given(rngs, st.integers(0, 9), st.integers(1, 9))
def test_national_code_single_digit_change(rng, index, shift):
    """Always detected, except the one blind spot of the scheme (remainders 1 and 10)."""
    code = ids.generate_national_code(rng)
    changed = mutate(code, index, str((int(code[index]) + shift) % 10))
    if ids.is_valid_national_code(changed):
        assert index < 9, "a changed check digit is always detected"
        assert {_national_remainder(code[:9]), _national_remainder(changed[:9])} == {1, 10}


def test_national_code_detection_rate():
    rng = random.Random(1403)
    trials = 5000
    detected = 0
    for _ in range(trials):
        code = ids.generate_national_code(rng)
        index = rng.randrange(10)
        detected += not ids.is_valid_national_code(
            mutate(code, index, other_digit(rng, code[index]))
        )
    assert detected / trials > 0.95


# --------------------------------------------------------------------------------------------
# Legal-entity national ID
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["10380284790", "10100387143"])
def test_legal_id_valid_vectors(code):
    assert ids.clean_legal_national_id(code) == code
    assert ids.clean_legal_national_id(to_persian_digits(code)) == code
    assert ids.legal_national_id_check_digit(code[:10]) == int(code[10])


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("10380284792", "check_digit"),
        ("11111111111", "repeated"),
        ("00000000000", "repeated"),
        ("33333333333", "repeated"),  # passes the arithmetic
        ("12300000011", "zeros"),  # passes the arithmetic
        ("1038028479", "length"),
        ("103802847900", "length"),
    ],
)
def test_legal_id_invalid_vectors(code, reason):
    assert not ids.is_valid_legal_national_id(code)
    assert raises_code(ids.clean_legal_national_id, code).code == reason


def test_legal_id_arithmetic_of_rejected_vectors():
    assert ids.legal_national_id_check_digit("3333333333") == 3
    assert ids.legal_national_id_check_digit("1230000001") == 1


@given(rngs)
def test_legal_id_generate_round_trips(rng):
    code = ids.generate_legal_national_id(rng)
    assert len(code) == 11
    assert ids.clean_legal_national_id(code) == code
    assert ids.clean_legal_national_id(to_arabic_digits(code)) == code


@given(rngs, st.integers(0, 10), st.integers(1, 9))
def test_legal_id_single_digit_change(rng, index, shift):
    code = ids.generate_legal_national_id(rng)
    changed = mutate(code, index, str((int(code[index]) + shift) % 10))
    assert not ids.is_valid_legal_national_id(changed) or (
        ids.legal_national_id_check_digit(changed[:10]) == int(changed[10])
    )
    if index == 10:
        assert not ids.is_valid_legal_national_id(changed)


def test_legal_id_detection_rate():
    rng = random.Random(1404)
    trials = 5000
    detected = 0
    for _ in range(trials):
        code = ids.generate_legal_national_id(rng)
        index = rng.randrange(11)
        detected += not ids.is_valid_legal_national_id(
            mutate(code, index, other_digit(rng, code[index]))
        )
    assert detected / trials > 0.95


# --------------------------------------------------------------------------------------------
# Mobile
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "09121234567",
        "+989121234567",
        "00989121234567",
        "9121234567",
        "989121234567",
        "+98 912 123 4567",
        "0912-123-4567",
        "(0912) 123 4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "+٩٨٩١٢١٢٣٤٥٦٧",
        9121234567,
    ],
)
def test_mobile_valid_vectors(value):
    assert ids.clean_mobile(value) == "09121234567"
    assert ids.is_valid_mobile(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0912123456", "length"), ("091212345678", "length"), ("08121234567", "prefix")],
)
def test_mobile_invalid_vectors(value, reason):
    assert not ids.is_valid_mobile(value)
    assert raises_code(ids.clean_mobile, value).code == reason


def test_mobile_messages():
    assert "۱۱ رقم" in raises_code(ids.clean_mobile, "0912123456").message
    assert "۰۹" in raises_code(ids.clean_mobile, "08121234567").message


@pytest.mark.parametrize("prefix", ["0900", "0941", "0999", "0904"])
def test_mobile_unknown_operator_ranges_are_accepted(prefix):
    assert ids.clean_mobile(prefix + "1234567") == prefix + "1234567"


def test_mobile_starting_with_98_inside_the_number():
    """A 10-digit number whose first digits are 98 is a number, not a country code."""
    assert ids.clean_mobile("9812345678") == "09812345678"


def test_mask_mobile():
    assert ids.mask_mobile("09121234567") == "0912***4567"
    assert ids.mask_mobile("+989121234567") == "0912***4567"
    assert ids.mask_mobile("0812123456") == "0812**3456"  # invalid, still masked
    assert ids.mask_mobile("") == ""


@given(st.from_regex(r"9[0-9]{9}", fullmatch=True), st.sampled_from(["", "0", "98", "+98", "0098"]))
def test_mobile_prefix_forms_agree(rest, prefix):
    assert ids.clean_mobile(prefix + rest) == "0" + rest


# --------------------------------------------------------------------------------------------
# Postal code
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["1193653471", "7134845111"])
def test_postal_code_plausible_vectors(code):
    assert ids.clean_postal_code(code) == code
    assert ids.clean_postal_code(code, strict=True) == code
    assert ids.postal_code_warnings(code) == []
    assert ids.is_plausible_postal_code(code)


@pytest.mark.parametrize("code", ["1111111111", "1234567890", "0193653471"])
def test_postal_code_implausible_vectors_are_soft(code):
    assert ids.clean_postal_code(code) == code  # not strict: accepted
    assert ids.is_valid_postal_code(code)
    assert not ids.is_plausible_postal_code(code)
    assert ids.postal_code_warnings(code)
    assert not ids.is_valid_postal_code(code, strict=True)
    exc = raises_code(ids.clean_postal_code, code, strict=True)
    assert exc.code == "implausible"
    assert exc.message == ids.postal_code_warnings(code)[0]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("1111111111", "یکسان"),  # four identical leading digits
        ("0193653471", "چهار رقم اول"),  # a 0 among the first four
        ("1193053471", "رقم پنجم"),  # fifth digit 0
        ("1193553471", "رقم پنجم"),  # fifth digit 5
        ("1193653472", "پنج رقم آخر"),  # a 2 among the last five
    ],
)
def test_postal_code_each_soft_rule(code, fragment):
    assert any(fragment in warning for warning in ids.postal_code_warnings(code))


@pytest.mark.parametrize("value", ["119365347", "11936534711", "11936-5347a"])
def test_postal_code_ten_digits_always_required(value):
    assert not ids.is_valid_postal_code(value)
    assert ids.postal_code_warnings(value)
    raises_code(ids.clean_postal_code, value)


def test_postal_code_normalises_input():
    assert ids.clean_postal_code("۱۱۹۳۶-۵۳۴۷۱") == "1193653471"
    assert ids.clean_postal_code("١١٩٣٦ ٥٣٤٧١") == "1193653471"


# --------------------------------------------------------------------------------------------
# Bill ID and payment ID
# --------------------------------------------------------------------------------------------

# (bill ID, payment ID, service digit, company, amount in rial, year digit, period)
VALID_PAIRS = [
    ("7748317800142", "1770160", 4, "001", 17_000, 7, 1),
    ("2050327604613", "1070189", 1, "046", 10_000, 7, 1),
    ("9985235404124", "0000880000568", 2, "041", 8_800_000, 0, 5),
    ("1117753200140", "12070160", 4, "001", 120_000, 7, 1),
    ("9174639504124", "12908190", 2, "041", 129_000, 0, 81),
]


def test_bank_mod11_check_digit():
    assert ids.bank_mod11_check_digit("774831780014") == 2
    assert ids.bank_mod11_check_digit("17701") == 6
    assert ids.bank_mod11_check_digit("0000017701") == 6  # leading zeros never matter
    assert ids.bank_mod11_check_digit("۱۷۷۰۱") == 6
    # r = 0 and r = 1 both give 0: "11" -> 1*2 + 1*3 = 5 -> 6; "6" -> 12 -> r 1 -> 0
    assert ids.bank_mod11_check_digit("11") == 6
    assert ids.bank_mod11_check_digit("6") == 0
    assert ids.bank_mod11_check_digit("0") == 0


@pytest.mark.parametrize(
    ("bill", "payment", "service", "company", "amount", "year", "period"), VALID_PAIRS
)
def test_bill_and_payment_valid_vectors(bill, payment, service, company, amount, year, period):
    assert ids.clean_bill_id(bill) == bill
    parts = ids.parse_bill_id(bill)
    assert parts.service_type == service
    assert parts.company_code == company
    assert parts.file_code == bill[:-5]
    assert parts.check_digit == int(bill[-1])
    assert parts.service_name == ids.SERVICE_TYPES[service]

    canonical = payment.lstrip("0")
    assert ids.clean_payment_id(payment, bill_id=bill) == canonical
    assert ids.is_valid_payment_id(payment, bill_id=bill)
    pay = ids.parse_payment_id(payment)
    assert (pay.amount_rial, pay.year_digit, pay.period) == (amount, year, period)
    assert pay.check1 == int(canonical[-2])
    assert pay.check2 == int(canonical[-1])

    assert (
        ids.generate_payment_id(
            bill_id=bill, amount_rial=amount, jalali_year=1400 + year, period=period
        )
        == canonical
    )
    assert ids.payment_id_matches(
        bill, payment, amount_rial=amount, jalali_year=1400 + year, period=period
    )
    assert (
        ids.generate_bill_id(file_code=parts.file_code, company_code=company, service_type=service)
        == bill
    )


def test_vector_phone_bill_details():
    parts = ids.parse_bill_id("7748317800142")
    assert (parts.service_type, parts.company_code, parts.service_name) == (4, "001", "تلفن ثابت")
    pay = ids.parse_payment_id("1770160")
    assert (pay.amount_rial, pay.year_digit, pay.period) == (17_000, 7, 1)


def test_vector_electricity_payment_with_leading_zeros():
    assert ids.parse_bill_id("9985235404124").service_name == "برق"
    assert ids.clean_payment_id("0000880000568", bill_id="9985235404124") == "880000568"
    assert ids.parse_payment_id("0000880000568").amount_rial == 8_800_000


def test_vector_payment_of_another_bill_is_rejected():
    assert ids.is_valid_bill_id("9174639504124")
    assert not ids.is_valid_payment_id("12908197", bill_id="9174639504124")
    exc = raises_code(ids.clean_payment_id, "12908197", bill_id="9174639504124")
    assert exc.code == "bill_mismatch"
    assert exc.message == "شناسه پرداخت با این شناسه قبض هم‌خوانی ندارد"
    # check digit 1 is fine: only the binding to the bill is wrong
    assert ids.parse_payment_id("12908197").check1 == 9
    assert ids.clean_payment_id("12908190", bill_id="9174639504124") == "12908190"


def test_vector_invalid_bill():
    assert not ids.is_valid_bill_id("2234322344613")
    exc = raises_code(ids.clean_bill_id, "2234322344613")
    assert exc.code == "check_digit"
    assert exc.message == "رقم کنترل شناسه قبض درست نیست"
    assert not ids.is_valid_payment_id("1070189", bill_id="2234322344613")
    assert raises_code(ids.clean_payment_id, "1070189", bill_id="2234322344613").message == (
        "رقم کنترل شناسه قبض درست نیست"
    )


def test_bill_id_normalisation_and_leading_zeros():
    assert ids.clean_bill_id("۷۷۴۸۳۱۷۸۰۰۱۴۲") == "7748317800142"
    assert ids.clean_bill_id("٧٧٤٨٣١٧٨٠٠١٤٢") == "7748317800142"
    assert ids.clean_bill_id("7748-3178-0014-2") == "7748317800142"
    assert ids.clean_bill_id("0007748317800142") == "7748317800142"
    assert ids.clean_bill_id(7748317800142) == "7748317800142"


@pytest.mark.parametrize("value", ["12345", "00012345", "12345678901234", "0"])
def test_bill_id_length(value):
    exc = raises_code(ids.clean_bill_id, value)
    assert exc.code == "length"
    assert exc.message == "شناسه قبض باید بین ۶ تا ۱۳ رقم باشد"


def test_bill_id_service_type_and_company_restrictions():
    gas_form = {"service_type": 3}
    assert ids.clean_bill_id("7748317800142", service_type=4, company_code="001")
    exc = raises_code(ids.clean_bill_id, "9985235404124", **gas_form)
    assert exc.code == "service_type"
    assert exc.message == "این شناسه قبض مربوط به گاز نیست"
    exc = raises_code(ids.clean_bill_id, "9985235404124", service_type=2, company_code="001")
    assert exc.code == "company_code"
    assert exc.message != raises_code(ids.clean_bill_id, "9985235404124", **gas_form).message
    assert ids.clean_bill_id("9985235404124", service_type=2, company_code="۰۴۱") == "9985235404124"
    assert ids.clean_bill_id("7748317800142", company_code=1) == "7748317800142"
    assert not ids.is_valid_bill_id("7748317800142", service_type=2)


def test_service_types():
    assert dict(ids.SERVICE_TYPES) == {
        1: "آب",
        2: "برق",
        3: "گاز",
        4: "تلفن ثابت",
        5: "تلفن همراه",
        6: "شهرداری",
    }


def test_generate_bill_id_rejects_bad_parts():
    assert raises_code(
        ids.generate_bill_id, file_code=0, company_code="001", service_type=2
    ).code == ("file_code")
    assert (
        raises_code(
            ids.generate_bill_id, file_code=123456789, company_code="001", service_type=2
        ).code
        == "file_code"
    )
    assert raises_code(
        ids.generate_bill_id, file_code=1, company_code="12", service_type=2
    ).code == ("company_code")
    assert raises_code(
        ids.generate_bill_id, file_code=1, company_code="001", service_type=10
    ).code == ("service_type")
    assert ids.generate_bill_id(file_code="۰۰۱۲", company_code="001", service_type=2) == (
        ids.generate_bill_id(file_code=12, company_code="001", service_type=2)
    )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"amount_rial": 17_500}, "amount"),
        ({"amount_rial": 0}, "amount"),
        ({"amount_rial": -1000}, "amount"),
        ({"amount_rial": 1_000 * 10**8}, "amount"),
        ({"period": 0}, "period"),
        ({"period": 100}, "period"),
        ({"jalali_year": -1}, "year"),
    ],
)
def test_generate_payment_id_rejects_bad_input(kwargs, reason):
    args = {"bill_id": "7748317800142", "amount_rial": 17_000, "jalali_year": 1407, "period": 1}
    exc = raises_code(ids.generate_payment_id, **{**args, **kwargs})
    assert exc.code == reason


def test_generate_payment_id_amount_message():
    exc = raises_code(
        ids.generate_payment_id,
        bill_id="7748317800142",
        amount_rial=17_500,
        jalali_year=1407,
        period=1,
    )
    assert exc.message == "مبلغ قبض باید مضربی مثبت از ۱۰۰۰ ریال باشد"


def test_payment_id_matches_is_exact():
    bill, payment = "7748317800142", "1770160"
    assert ids.payment_id_matches(bill, payment, amount_rial=17_000, jalali_year=1397, period=1)
    assert not ids.payment_id_matches(bill, payment, amount_rial=18_000, jalali_year=1407, period=1)
    assert not ids.payment_id_matches(bill, payment, amount_rial=17_000, jalali_year=1406, period=1)
    assert not ids.payment_id_matches(bill, payment, amount_rial=17_000, jalali_year=1407, period=2)
    assert not ids.payment_id_matches(
        bill, "1770161", amount_rial=17_000, jalali_year=1407, period=1
    )
    assert not ids.payment_id_matches(
        "2234322344613", payment, amount_rial=17_000, jalali_year=1407, period=1
    )
    assert not ids.payment_id_matches(bill, payment, amount_rial=17_500, jalali_year=1407, period=1)


def test_payment_id_format_errors():
    assert raises_code(ids.parse_payment_id, "12345").code == "length"
    assert raises_code(ids.parse_payment_id, "1770170").code == "check_digit"
    assert raises_code(ids.clean_payment_id, "1770170", bill_id="7748317800142").message == (
        "رقم کنترل اول شناسه پرداخت درست نیست"
    )
    assert ids.clean_payment_id("۱۷۷-۰۱۶۰", bill_id="٧٧٤٨٣١٧٨٠٠١٤٢") == "1770160"


# Barcode ------------------------------------------------------------------------------------


def test_barcode_vectors():
    assert ids.bill_barcode("7748317800142", "1770160") == "7748317800142" + "0000001770160"
    assert ids.bill_barcode("9985235404124", "0000880000568") == "99852354041240000880000568"
    for bill, payment, *_ in VALID_PAIRS:
        code = ids.bill_barcode(bill, payment)
        assert len(code) == 26
        assert ids.parse_bill_barcode(code) == (bill, payment.lstrip("0"))


def test_barcode_pads_short_bill_ids():
    bill = ids.generate_bill_id(file_code=1, company_code="001", service_type=2)
    payment = ids.generate_payment_id(bill_id=bill, amount_rial=5000, jalali_year=1403, period=3)
    code = ids.bill_barcode(bill, payment)
    assert code == bill.zfill(13) + payment.zfill(13)
    assert ids.parse_bill_barcode(code) == (bill, payment)


def test_barcode_rejects_unpadded_join_and_mismatches():
    wrong_join = "7748317800142" + "000" + "1770160"
    assert raises_code(ids.parse_bill_barcode, wrong_join).code == "length"
    assert raises_code(ids.bill_barcode, "9174639504124", "12908197").code == "bill_mismatch"
    bad = "9174639504124" + "0000012908197"
    assert raises_code(ids.parse_bill_barcode, bad).code == "bill_mismatch"
    assert ids.parse_bill_barcode(to_persian_digits("9174639504124" + "0000012908190")) == (
        "9174639504124",
        "12908190",
    )


# Properties ---------------------------------------------------------------------------------

file_codes = st.integers(min_value=1, max_value=99_999_999)
company_codes = st.from_regex(r"[0-9]{3}", fullmatch=True)
service_digits = st.sampled_from([2, 3, 4])
amounts = st.integers(min_value=1, max_value=99_999_999).map(lambda k: k * 1000)
years = st.integers(min_value=1300, max_value=1500)
periods = st.integers(min_value=1, max_value=99)


def _mod11_remainder(digits: str) -> int:
    return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits))) % 11


@given(file_codes, company_codes, service_digits)
def test_bill_id_generate_round_trips(file_code, company, service):
    bill = ids.generate_bill_id(file_code=file_code, company_code=company, service_type=service)
    assert 6 <= len(bill) <= 13
    assert ids.clean_bill_id(bill, company_code=company, service_type=service) == bill
    assert ids.clean_bill_id(to_persian_digits(bill)) == bill
    assert ids.clean_bill_id("000" + bill) == bill
    parts = ids.parse_bill_id(bill)
    assert parts.file_code == str(file_code)
    assert parts.company_code == company
    assert parts.service_type == service


@given(file_codes, company_codes, service_digits, st.data())
def test_bill_id_single_digit_change(file_code, company, service, data):
    """Detected unless the scheme cannot: body remainders 0 and 1 share check digit 0."""
    bill = ids.generate_bill_id(file_code=file_code, company_code=company, service_type=service)
    index = data.draw(st.integers(0, len(bill) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != bill[index]]))
    changed = mutate(bill, index, digit)
    if ids.is_valid_bill_id(changed):
        stripped = changed.lstrip("0")
        assert ids.bank_mod11_check_digit(stripped[:-1]) == int(stripped[-1])
        assert index < len(bill) - 1, "a changed check digit is always detected"
        assert {_mod11_remainder(bill[:-1]), _mod11_remainder(changed[:-1])} == {0, 1}


def test_bill_id_detection_rate():
    rng = random.Random(1402)
    trials = 5000
    detected = 0
    for _ in range(trials):
        bill = ids.generate_bill_id(
            file_code=rng.randint(1, 99_999_999),
            company_code=f"{rng.randint(0, 999):03d}",
            service_type=rng.choice([2, 3, 4]),
        )
        index = rng.randrange(len(bill))
        detected += not ids.is_valid_bill_id(mutate(bill, index, other_digit(rng, bill[index])))
    assert detected / trials > 0.95


@given(file_codes, company_codes, service_digits, amounts, years, periods)
def test_payment_id_generate_round_trips(file_code, company, service, amount, year, period):
    bill = ids.generate_bill_id(file_code=file_code, company_code=company, service_type=service)
    payment = ids.generate_payment_id(
        bill_id=bill, amount_rial=amount, jalali_year=year, period=period
    )
    assert 6 <= len(payment) <= 13
    assert ids.clean_payment_id(payment, bill_id=bill) == payment
    assert ids.clean_payment_id(payment.zfill(13), bill_id=bill) == payment
    assert ids.clean_payment_id(to_arabic_digits(payment), bill_id=bill) == payment
    parts = ids.parse_payment_id(payment)
    assert (parts.amount_rial, parts.year_digit, parts.period) == (amount, year % 10, period)
    assert ids.payment_id_matches(
        bill, payment, amount_rial=amount, jalali_year=year, period=period
    )
    assert ids.parse_bill_barcode(ids.bill_barcode(bill, payment)) == (bill, payment)


@given(file_codes, company_codes, service_digits, amounts, years, periods, st.data())
def test_payment_id_single_digit_change(file_code, company, service, amount, year, period, data):
    bill = ids.generate_bill_id(file_code=file_code, company_code=company, service_type=service)
    payment = ids.generate_payment_id(
        bill_id=bill, amount_rial=amount, jalali_year=year, period=period
    )
    index = data.draw(st.integers(0, len(payment) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != payment[index]]))
    changed = mutate(payment, index, digit)
    if ids.is_valid_payment_id(changed, bill_id=bill):
        stripped = changed.lstrip("0")
        assert ids.bank_mod11_check_digit(stripped[:-2]) == int(stripped[-2])
        assert ids.bank_mod11_check_digit(bill + stripped[:-1]) == int(stripped[-1])
        # Only a change in amount/year/period can slip through, and only when its remainder
        # moves between 0 and 1 (check digit 1 unchanged).
        assert index < len(payment) - 2
        assert {_mod11_remainder(payment[:-2]), _mod11_remainder(changed[:-2])} == {0, 1}
        assert not ids.payment_id_matches(
            bill, changed, amount_rial=amount, jalali_year=year, period=period
        )


def test_payment_id_detection_rate():
    rng = random.Random(1401)
    trials = 5000
    detected = 0
    for _ in range(trials):
        bill = ids.generate_bill_id(
            file_code=rng.randint(1, 99_999_999),
            company_code=f"{rng.randint(0, 999):03d}",
            service_type=rng.choice([2, 3, 4]),
        )
        payment = ids.generate_payment_id(
            bill_id=bill,
            amount_rial=rng.randint(1, 99_999_999) * 1000,
            jalali_year=rng.randint(1390, 1410),
            period=rng.randint(1, 12),
        )
        index = rng.randrange(len(payment))
        changed = mutate(payment, index, other_digit(rng, payment[index]))
        detected += not ids.is_valid_payment_id(changed, bill_id=bill)
    assert detected / trials > 0.95


@given(file_codes, company_codes, service_digits, amounts, years, periods)
def test_payment_id_is_bound_to_its_bill(file_code, company, service, amount, year, period):
    bill = ids.generate_bill_id(file_code=file_code, company_code=company, service_type=service)
    other = ids.generate_bill_id(
        file_code=file_code % 99_999_999 + 1, company_code=company, service_type=service
    )
    payment = ids.generate_payment_id(
        bill_id=bill, amount_rial=amount, jalali_year=year, period=period
    )
    other_payment = ids.generate_payment_id(
        bill_id=other, amount_rial=amount, jalali_year=year, period=period
    )
    assume(payment != other_payment)  # about one pair in eleven shares check digit 2
    assert not ids.is_valid_payment_id(payment, bill_id=other)


# --------------------------------------------------------------------------------------------
# Sheba
# --------------------------------------------------------------------------------------------

SHEBA = "IR820540102680020817909002"


@pytest.mark.parametrize(
    "value",
    [
        SHEBA,
        "ir820540102680020817909002",
        "IR82 0540 1026 8002 0817 9090 02",
        "IR82-0540-1026-8002-0817-9090-02",
        "IR" + to_persian_digits(SHEBA[2:]),
        "ir" + to_arabic_digits(SHEBA[2:]),
        SHEBA[2:],  # prefix printed outside the input box
    ],
)
def test_sheba_valid_vector_in_every_spelling(value):
    assert ids.clean_sheba(value) == SHEBA
    assert ids.is_valid_sheba(value)


def test_sheba_bank_code():
    assert ids.sheba_bank_code(SHEBA) == "054"
    assert ids.sheba_bank_code("ir82 0540 1026 8002 0817 9090 02") == "054"


def test_generate_sheba_reproduces_vector():
    assert ids.generate_sheba(bank_code="054", account="0102680020817909002") == SHEBA
    assert ids.generate_sheba(bank_code="054", account="102680020817909002") == SHEBA


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("IR820540102680020817909003", "check_digit"),
        ("IR280540102680020817909002", "check_digit"),  # transposed check digits
        ("DE820540102680020817909002", "format"),
        ("IR82054010268002081790900", "format"),
        ("IR8205401026800208179090021", "format"),
        ("IR82054010268002081790900X", "format"),
    ],
)
def test_sheba_invalid(value, reason):
    assert not ids.is_valid_sheba(value)
    assert raises_code(ids.clean_sheba, value).code == reason


def test_generate_sheba_rejects_bad_parts():
    assert raises_code(ids.generate_sheba, bank_code="54", account="1").code == "bank_code"
    assert raises_code(ids.generate_sheba, bank_code="054", account="1" * 20).code == "account"


sheba_parts = st.tuples(
    st.from_regex(r"[0-9]{3}", fullmatch=True), st.from_regex(r"[0-9]{1,19}", fullmatch=True)
)


@given(sheba_parts)
def test_sheba_generate_round_trips(parts):
    bank, account = parts
    sheba = ids.generate_sheba(bank_code=bank, account=account)
    assert len(sheba) == 26
    assert ids.clean_sheba(sheba) == sheba
    assert ids.clean_sheba(sheba.lower()) == sheba
    assert ids.clean_sheba(to_persian_digits(sheba)) == sheba
    assert ids.sheba_bank_code(sheba) == bank


@given(sheba_parts, st.integers(2, 25), st.integers(1, 9))
def test_sheba_single_digit_change_always_detected(parts, index, shift):
    bank, account = parts
    sheba = ids.generate_sheba(bank_code=bank, account=account)
    changed = mutate(sheba, index, str((int(sheba[index]) + shift) % 10))
    assert not ids.is_valid_sheba(changed)
