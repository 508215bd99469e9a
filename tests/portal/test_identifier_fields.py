"""Django validators, form fields and DRF serializer fields for identifiers.

These need settings (pytest-django) but no database.
"""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from rest_framework import serializers

from portal import forms as id_forms
from portal import identifiers, validators
from portal import serializers as id_serializers

# --------------------------------------------------------------------------------------------
# Validators
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validators.validate_national_code, "0499370899"),
        (validators.validate_legal_national_id, "10380284790"),
        (validators.validate_mobile, "09121234567"),
        (validators.validate_postal_code, "1193653471"),
        (validators.validate_postal_code, "1111111111"),  # soft rules not enforced
        (validators.validate_bill_id, "7748317800142"),
        (validators.validate_sheba, "IR820540102680020817909002"),
        (validators.BillIdValidator(service_type=2), "9985235404124"),
        (validators.BillIdValidator(service_type=4, company_code="001"), "7748317800142"),
        (validators.PostalCodeValidator(strict=True), "7134845111"),
    ],
)
def test_validators_accept_canonical_values(validator, value):
    validator(value)


@pytest.mark.parametrize(
    ("validator", "value", "code", "message"),
    [
        (
            validators.validate_national_code,
            "4271427685",
            "check_digit",
            "رقم کنترل کد ملی درست نیست",
        ),
        (validators.validate_national_code, "1111111111", "repeated", None),
        (validators.validate_legal_national_id, "10380284792", "check_digit", None),
        (validators.validate_mobile, "08121234567", "prefix", None),
        (validators.validate_postal_code, "123", "length", "کد پستی باید ۱۰ رقم باشد"),
        (
            validators.validate_bill_id,
            "2234322344613",
            "check_digit",
            "رقم کنترل شناسه قبض درست نیست",
        ),
        (validators.validate_sheba, "IR820540102680020817909003", "check_digit", None),
        (
            validators.BillIdValidator(service_type=3),
            "9985235404124",
            "service_type",
            "این شناسه قبض مربوط به گاز نیست",
        ),
        (
            validators.BillIdValidator(company_code="001"),
            "9985235404124",
            "company_code",
            None,
        ),
        (validators.PostalCodeValidator(strict=True), "1234567890", "implausible", None),
    ],
)
def test_validators_reject_with_persian_message_and_code(validator, value, code, message):
    with pytest.raises(ValidationError) as info:
        validator(value)
    error = info.value.error_list[0]
    assert error.code == code
    if message is not None:
        assert error.message == message


@pytest.mark.parametrize(
    ("validator", "value", "canonical"),
    [
        (validators.validate_national_code, "۰۴۹۹۳۷۰۸۹۹", "۰۴۹۹۳۷۰۸۹۹"),
        (validators.validate_national_code, "499370899", "۰۴۹۹۳۷۰۸۹۹"),
        (validators.validate_mobile, "+989121234567", "۰۹۱۲۱۲۳۴۵۶۷"),
        (validators.validate_bill_id, "0007748317800142", "۷۷۴۸۳۱۷۸۰۰۱۴۲"),
        (validators.validate_sheba, "ir820540102680020817909002", "IR۸۲۰۵۴۰۱۰۲۶۸۰۰۲۰۸۱۷۹۰۹۰۰۲"),
    ],
)
def test_validators_reject_non_canonical_spelling(validator, value, canonical):
    with pytest.raises(ValidationError) as info:
        validator(value)
    error = info.value.error_list[0]
    assert error.code == "not_canonical"
    assert canonical in error.message


def test_class_validators_deconstruct_for_migrations():
    path, args, kwargs = validators.BillIdValidator(service_type=2).deconstruct()
    assert path == "portal.validators.BillIdValidator"
    assert args == ()
    assert kwargs == {"service_type": 2}
    assert validators.BillIdValidator(service_type=2) == validators.BillIdValidator(service_type=2)
    assert validators.BillIdValidator(service_type=2) != validators.BillIdValidator(service_type=3)
    assert validators.BillIdValidator(company_code="001") != validators.BillIdValidator()

    path, args, kwargs = validators.PostalCodeValidator(strict=True).deconstruct()
    assert path == "portal.validators.PostalCodeValidator"
    assert kwargs == {"strict": True}


def test_model_field_with_validators_deconstructs():
    field = models.CharField(max_length=13, validators=[validators.BillIdValidator(service_type=3)])
    _, _, _, kwargs = field.deconstruct()
    assert kwargs["validators"] == [validators.BillIdValidator(service_type=3)]


# --------------------------------------------------------------------------------------------
# Form fields
# --------------------------------------------------------------------------------------------


class IdentityForm(forms.Form):
    national_code = id_forms.NationalCodeField()
    legal_id = id_forms.LegalNationalIdField(required=False)
    mobile = id_forms.MobileField()
    postal_code = id_forms.PostalCodeField(required=False)
    sheba = id_forms.ShebaField(required=False)


class ElectricityPaymentForm(forms.Form):
    """How a utility form binds the payment ID to the bill ID in ``clean``."""

    bill_id = id_forms.BillIdField(service_type=2)
    payment_id = id_forms.PaymentIdField()

    def clean(self):
        cleaned = super().clean()
        bill_id, payment_id = cleaned.get("bill_id"), cleaned.get("payment_id")
        if bill_id and payment_id:
            try:
                cleaned["payment_id"] = identifiers.clean_payment_id(payment_id, bill_id=bill_id)
            except identifiers.InvalidIdentifier as exc:
                self.add_error("payment_id", exc.message)
        return cleaned


def test_form_fields_normalise_to_canonical_values():
    form = IdentityForm(
        data={
            "national_code": "۰۴۹۹-۳۷۰-۸۹۹",
            "legal_id": "١٠٣٨٠٢٨٤٧٩٠",
            "mobile": "+98 912 123 4567",
            "postal_code": "۱۱۹۳۶-۵۳۴۷۱",
            "sheba": "ir82 0540 1026 8002 0817 9090 02",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "national_code": "0499370899",
        "legal_id": "10380284790",
        "mobile": "09121234567",
        "postal_code": "1193653471",
        "sheba": "IR820540102680020817909002",
    }


def test_form_field_errors_name_the_field():
    form = IdentityForm(
        data={
            "national_code": "4271427685",
            "legal_id": "10380284792",
            "mobile": "0912123456",
            "postal_code": "123",
            "sheba": "IR820540102680020817909003",
        }
    )
    assert not form.is_valid()
    assert form.errors["national_code"] == ["کد ملی: رقم کنترل کد ملی درست نیست"]
    assert form.errors["legal_id"][0].startswith("شناسه ملی: ")
    assert form.errors["mobile"][0].startswith("شماره همراه: ")
    assert form.errors["postal_code"] == ["کد پستی: کد پستی باید ۱۰ رقم باشد"]
    assert form.errors["sheba"][0].startswith("شماره شبا: ")
    assert form.errors.as_data()["national_code"][0].code == "check_digit"


def test_form_required_messages_are_persian_and_name_the_field():
    form = IdentityForm(data={})
    assert not form.is_valid()
    assert form.errors["national_code"] == ["کد ملی: این مورد را وارد کنید"]
    assert form.errors["mobile"][0].startswith("شماره همراه")
    assert form.cleaned_data["legal_id"] == ""


def test_form_field_custom_label_and_messages():
    field = id_forms.NationalCodeField(label="کد ملی مالک")
    with pytest.raises(ValidationError) as info:
        field.clean("4271427685")
    assert info.value.messages == ["کد ملی مالک: رقم کنترل کد ملی درست نیست"]
    field = id_forms.NationalCodeField(error_messages={"required": "لازم"})
    with pytest.raises(ValidationError) as info:
        field.clean("")
    assert info.value.messages == ["لازم"]


def test_form_widgets_are_numeric_and_left_to_right():
    form = IdentityForm()
    national = str(form["national_code"])
    assert 'inputmode="numeric"' in national
    assert 'dir="ltr"' in national
    assert 'autocomplete="off"' in national
    mobile = str(form["mobile"])
    assert 'autocomplete="tel"' in mobile
    assert 'dir="ltr"' in mobile
    assert 'autocomplete="postal-code"' in str(form["postal_code"])
    assert 'dir="ltr"' in str(form["sheba"])
    assert "کد ملی" in form["national_code"].label_tag()


def test_explicit_widget_attrs_win():
    field = id_forms.MobileField(widget=forms.TextInput(attrs={"autocomplete": "off"}))
    assert field.widget.attrs["autocomplete"] == "off"
    assert field.widget.attrs["dir"] == "ltr"


def test_postal_code_field_strict():
    assert id_forms.PostalCodeField().clean("1234567890") == "1234567890"
    with pytest.raises(ValidationError) as info:
        id_forms.PostalCodeField(strict=True).clean("1234567890")
    assert info.value.messages[0].startswith("کد پستی: ")


def test_bill_id_field_restrictions():
    assert id_forms.BillIdField().clean("۰۰۷۷۴۸۳۱۷۸۰۰۱۴۲") == "7748317800142"
    assert id_forms.BillIdField(service_type=4, company_code="001").clean("7748317800142")
    with pytest.raises(ValidationError) as info:
        id_forms.BillIdField(service_type=3).clean("9985235404124")
    assert info.value.messages == ["شناسه قبض: این شناسه قبض مربوط به گاز نیست"]
    with pytest.raises(ValidationError) as info:
        id_forms.BillIdField(company_code="001").clean("9985235404124")
    assert info.value.error_list[0].code == "company_code"
    assert 'inputmode="numeric"' in str(ElectricityPaymentForm()["bill_id"])


def test_payment_id_field_only_normalises():
    field = id_forms.PaymentIdField()
    assert field.clean("۰۰۰۰-۸۸۰۰-۰۰۵۶۸") == "0000880000568"
    assert field.clean("12908197") == "12908197"  # wrong for its bill, but the form decides
    with pytest.raises(ValidationError) as info:
        field.clean("12a")
    assert info.value.messages[0].startswith("شناسه پرداخت: ")


def test_payment_form_validates_the_pair():
    form = ElectricityPaymentForm(data={"bill_id": "9985235404124", "payment_id": "0000880000568"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"bill_id": "9985235404124", "payment_id": "880000568"}

    form = ElectricityPaymentForm(data={"bill_id": "9174639504124", "payment_id": "12908197"})
    assert not form.is_valid()
    assert form.errors["payment_id"] == ["شناسه پرداخت با این شناسه قبض هم‌خوانی ندارد"]

    form = ElectricityPaymentForm(data={"bill_id": "7748317800142", "payment_id": "1770160"})
    assert not form.is_valid()
    assert form.errors["bill_id"] == ["شناسه قبض: این شناسه قبض مربوط به برق نیست"]


# --------------------------------------------------------------------------------------------
# Serializer fields
# --------------------------------------------------------------------------------------------


class IdentitySerializer(serializers.Serializer):
    national_code = id_serializers.NationalCodeSerializerField()
    legal_id = id_serializers.LegalNationalIdSerializerField(required=False)
    mobile = id_serializers.MobileSerializerField()
    postal_code = id_serializers.PostalCodeSerializerField(required=False)
    strict_postal_code = id_serializers.PostalCodeSerializerField(required=False, strict=True)
    bill_id = id_serializers.BillIdSerializerField(required=False, service_type=3)
    sheba = id_serializers.ShebaSerializerField(required=False)


def test_serializer_fields_normalise_to_canonical_values():
    serializer = IdentitySerializer(
        data={
            "national_code": 499370899,  # a JSON number that lost its leading zero
            "legal_id": "۱۰۳۸۰۲۸۴۷۹۰",
            "mobile": "00989121234567",
            "postal_code": "١١٩٣٦٥٣٤٧١",
            "strict_postal_code": "7134845111",
            "bill_id": identifiers.generate_bill_id(
                file_code=1234, company_code="۰۱۲", service_type=3
            ),
            "sheba": "820540102680020817909002",
        }
    )
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {
        "national_code": "0499370899",
        "legal_id": "10380284790",
        "mobile": "09121234567",
        "postal_code": "1193653471",
        "strict_postal_code": "7134845111",
        "bill_id": "1234012" + "3" + str(identifiers.bank_mod11_check_digit("12340123")),
        "sheba": "IR820540102680020817909002",
    }


def test_serializer_field_errors_are_persian_with_codes():
    serializer = IdentitySerializer(
        data={
            "national_code": "1111111111",
            "legal_id": "10380284792",
            "mobile": "08121234567",
            "postal_code": "12345",
            "strict_postal_code": "0193653471",
            "bill_id": "9985235404124",
            "sheba": "IR820540102680020817909003",
        }
    )
    assert not serializer.is_valid()
    errors = serializer.errors
    assert errors["national_code"] == ["کد ملی نمی‌تواند ده رقم یکسان باشد"]
    assert errors["national_code"][0].code == "repeated"
    assert errors["legal_id"][0].code == "check_digit"
    assert errors["mobile"] == ["شماره همراه باید با ۰۹ شروع شود"]
    assert errors["postal_code"] == ["کد پستی باید ۱۰ رقم باشد"]
    assert errors["strict_postal_code"][0].code == "implausible"
    assert errors["bill_id"] == ["این شناسه قبض مربوط به گاز نیست"]
    assert errors["sheba"][0].code == "check_digit"


def test_serializer_required_and_blank_messages_are_persian():
    serializer = IdentitySerializer(data={"mobile": ""})
    assert not serializer.is_valid()
    assert serializer.errors["national_code"] == ["کد ملی الزامی است."]
    assert serializer.errors["mobile"] == ["شماره همراه نمی‌تواند خالی باشد."]


def test_serializer_field_standalone_and_custom_messages():
    field = id_serializers.BillIdSerializerField(service_type=4, company_code="001")
    assert field.run_validation("۷۷۴۸۳۱۷۸۰۰۱۴۲") == "7748317800142"
    with pytest.raises(serializers.ValidationError) as info:
        field.run_validation("9985235404124")
    assert info.value.detail[0].code == "service_type"

    field = id_serializers.MobileSerializerField(error_messages={"blank": "خالی"})
    with pytest.raises(serializers.ValidationError) as info:
        field.run_validation("")
    assert info.value.detail == ["خالی"]
