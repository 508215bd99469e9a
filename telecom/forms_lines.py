"""Forms of the lines page («درج تلفن») and the operator's activation page. Every error names
its field in Persian; dates are Jalali (۱۴۰۵/۰۶/۳۱); Persian digits are accepted."""

from __future__ import annotations

from typing import Any

from django import forms

from subscribers.forms_subscriptions import JalaliDateField, _StyledForm
from subscribers.models import IdentityVerification, SubscriptionLink
from subscribers.services.identity import CHECKLISTS, DOCUMENT_TYPES

OWNERSHIP_CHOICES = [
    (SubscriptionLink.Role.OWNER, "صاحب تلفن"),
    (SubscriptionLink.Role.TENANT, "استفاده‌کننده (مستأجر)"),
]


class LineClaimForm(_StyledForm):
    number = forms.CharField(
        label="شماره تلفن با کد شهر",
        max_length=30,
        error_messages={"required": "شماره تلفن: این مورد را وارد کنید"},
        help_text="۱۱ رقم، مانند ۰۴۱۳۳۳۳۴۴۴۴",
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )
    role = forms.ChoiceField(
        label="وضعیت تملک",
        choices=OWNERSHIP_CHOICES,
        widget=forms.RadioSelect,
        initial=SubscriptionLink.Role.OWNER,
        error_messages={
            "required": "وضعیت تملک: یکی از گزینه‌ها را انتخاب کنید",
            "invalid_choice": "وضعیت تملک: گزینه معتبر نیست",
        },
    )
    lease_end = JalaliDateField(
        label="تاریخ پایان اجاره‌نامه",
        required=False,
        help_text="فقط برای استفاده‌کننده؛ تاریخ شمسی، مانند ۱۴۰۵/۰۶/۳۱",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("role") == SubscriptionLink.Role.TENANT
            and not data.get("lease_end")
            and "lease_end" not in self.errors
        ):
            self.add_error("lease_end", "تاریخ پایان اجاره‌نامه: برای استفاده‌کننده لازم است")
        return data


class CitizenSearchForm(forms.Form):
    q = forms.CharField(
        label="کد ملی (حقیقی) یا شناسه ملی (حقوقی) مشترک",
        max_length=20,
        error_messages={"required": "کد ملی / شناسه ملی: این مورد را وارد کنید"},
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric", "autofocus": True}),
    )


class ActivationForm(forms.Form):
    """The checklist of the citizen's kind, the identity document, and per claim a checkbox
    (``claim_<id>``) plus, for tenant claims, the lease start and end from the document."""

    document_type = forms.ChoiceField(
        label="نوع مدرک هویتی",
        error_messages={
            "required": "نوع مدرک هویتی: یکی را انتخاب کنید",
            "invalid_choice": "نوع مدرک هویتی: گزینه معتبر نیست",
        },
    )
    document_number = forms.CharField(
        label="شماره مدرک",
        max_length=30,
        error_messages={"required": "شماره مدرک: این مورد را وارد کنید"},
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    documents_seen = forms.MultipleChoiceField(
        label="مدارک رؤیت‌شده",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, citizen, claims, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claims = list(claims)
        labels = dict(IdentityVerification.DocumentType.choices)
        self.fields["document_type"].choices = [
            (value, labels[value]) for value in DOCUMENT_TYPES[citizen.kind]
        ]
        self.fields["documents_seen"].choices = [
            (item.key, item.title) for item in CHECKLISTS[citizen.kind]
        ]
        for claim in self.claims:
            self.fields[f"claim_{claim.pk}"] = forms.BooleanField(required=False)
            if claim.role == SubscriptionLink.Role.TENANT:
                self.fields[f"lease_start_{claim.pk}"] = JalaliDateField(
                    label="شروع اجاره", required=False
                )
                self.fields[f"lease_end_{claim.pk}"] = JalaliDateField(
                    label="پایان اجاره", required=False
                )

    def rows(self) -> list[dict[str, Any]]:
        """Per claim: the claim and its bound fields, for the template's table."""
        return [
            {
                "claim": claim,
                "check": self[f"claim_{claim.pk}"],
                "lease_start": self[f"lease_start_{claim.pk}"]
                if f"lease_start_{claim.pk}" in self.fields
                else None,
                "lease_end": self[f"lease_end_{claim.pk}"]
                if f"lease_end_{claim.pk}" in self.fields
                else None,
            }
            for claim in self.claims
        ]
