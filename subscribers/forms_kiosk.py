"""Forms of the kiosk console (/pishkhan/) and of the identity-check admin."""

from __future__ import annotations

from django import forms

from portal.errors import PortalError
from subscribers.models import IdentityVerification, User
from subscribers.services import kiosk as kiosk_services
from subscribers.services.identity import (
    CHECKLISTS,
    DOCUMENT_TYPES,
    identity_channel_for,
    identity_checklist_validate,
)


class CitizenLookupForm(forms.Form):
    by = forms.ChoiceField(
        label="جستجو با",
        choices=[
            (kiosk_services.LOOKUP_NATIONAL_CODE, "کد ملی"),
            (kiosk_services.LOOKUP_LEGAL_ID, "شناسه ملی (شخص حقوقی)"),
            (kiosk_services.LOOKUP_BILL_ID, "شناسه قبض"),
        ],
        initial=kiosk_services.LOOKUP_NATIONAL_CODE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    value = forms.CharField(
        label="شناسه",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "dir": "ltr"}),
    )


class ConsentCodeForm(forms.Form):
    code = forms.CharField(
        label="کد رضایتی که مشترک می‌خواند",
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"}
        ),
    )


class IdentityCheckForm(forms.Form):
    """The checklist for one citizen's kind; the service decides what is mandatory."""

    document_type = forms.ChoiceField(label="مدرک هویتی ارائه‌شده")
    document_number = forms.CharField(label="شماره مدرک", max_length=30)
    documents_seen = forms.MultipleChoiceField(
        label="مدارک رؤیت‌شده",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
    )
    is_tenant = forms.BooleanField(
        label="مشترک مالک نیست (مستأجر / استفاده‌کننده است)",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, citizen: User, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(IdentityVerification.DocumentType.choices)
        self.fields["document_type"].choices = [
            (value, labels[value]) for value in DOCUMENT_TYPES.get(citizen.kind, ())
        ]
        self.fields["documents_seen"].choices = [
            (item.key, item.title) for item in CHECKLISTS.get(citizen.kind, ())
        ]


class IdentityVerificationAdminForm(forms.ModelForm):
    """Admin add form: every checklist item of both kinds; the service checks the right ones."""

    documents_seen = forms.MultipleChoiceField(
        label="مدارک رؤیت‌شده", widget=forms.CheckboxSelectMultiple, required=False
    )
    is_tenant = forms.BooleanField(
        label="مشترک مالک نیست (مستأجر / استفاده‌کننده است)", required=False
    )

    class Meta:
        model = IdentityVerification
        fields = ["user", "document_type", "document_number", "documents_seen"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = {User.Kind.NATURAL: "حقیقی", User.Kind.LEGAL: "حقوقی"}
        choices: dict[str, str] = {}
        for kind, items in CHECKLISTS.items():
            for item in items:
                prefix = "همه" if item.key in choices else kinds[kind]
                choices[item.key] = f"{prefix}: {item.title}"
        self.fields["documents_seen"].choices = list(choices.items())
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(
                kind__in=[User.Kind.NATURAL, User.Kind.LEGAL], is_active=True
            )

    # Set per request by the admin's get_form: the staff user recording the check.
    operator: User | None = None

    def clean(self):
        data = super().clean()
        citizen, document_type = data.get("user"), data.get("document_type")
        if self.operator is not None and identity_channel_for(self.operator) is None:
            raise forms.ValidationError("شما اجازه ثبت احراز هویت حضوری را ندارید.")
        if citizen is None or not document_type:
            return data
        try:
            data["documents_seen"] = identity_checklist_validate(
                citizen=citizen,
                document_type=document_type,
                documents_seen=data.get("documents_seen") or [],
                is_tenant=bool(data.get("is_tenant")),
            )
        except PortalError as exc:
            if not exc.fields:
                raise forms.ValidationError(exc.message) from None
            for field, errors in exc.fields.items():
                self.add_error(field if field in self.fields else None, errors)
        return data
