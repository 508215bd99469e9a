"""Forms of the office staff's request pages in admin: filing at the counter and the small
forms of the workflow actions. They only collect input; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.jalali import parse_jalali_date
from requests_app.models import RequestType, ServiceRequest, Status
from subscribers.models import City, User


class SeenStatusForm(forms.Form):
    """Every action form carries the status the staff member saw, so an action taken on a
    stale page meets the service's "conflict" check instead of acting on a newer state."""

    seen_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)


class NoteForm(SeenStatusForm):
    note = forms.CharField(
        label=_("توضیح"), required=False, max_length=1000, widget=forms.Textarea({"rows": 3})
    )


class AskDocumentsForm(SeenStatusForm):
    note = forms.CharField(
        label=_("مدارک لازم"),
        max_length=1000,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("این متن با پیامک برای متقاضی فرستاده می‌شود."),
        error_messages={"required": _("شرح مدارک لازم را بنویسید.")},
    )


class RejectForm(SeenStatusForm):
    reason = forms.CharField(
        label=_("دلیل رد"),
        max_length=500,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("متقاضی این دلیل را در پیامک و صفحه درخواست می‌خواند."),
        error_messages={"required": _("دلیل رد را بنویسید.")},
    )


class DocumentRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("دلیل رد مدرک"),
        max_length=300,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("متقاضی این دلیل را می‌خواند و مدرک را دوباره بارگذاری می‌کند."),
        error_messages={"required": _("دلیل رد مدرک را بنویسید.")},
    )


class JalaliDateField(forms.CharField):
    """``۱۴۰۵/۰۶/۳۱`` (Persian or ASCII digits) → a Gregorian ``date``."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_jalali_date(value)
        except ValueError:
            raise forms.ValidationError(
                _("تاریخ را به شکل سال/ماه/روز شمسی بنویسید، مثلاً ۱۴۰۵/۰۶/۳۱.")
            ) from None


class ScheduleVisitForm(SeenStatusForm):
    date = JalaliDateField(
        label=_("تاریخ بازدید"),
        help_text=_("شمسی، مثلاً ۱۴۰۵/۰۶/۳۱"),
        error_messages={"required": _("تاریخ بازدید را وارد کنید.")},
    )
    window_start = forms.TimeField(
        label=_("از ساعت"),
        initial=dt.time(8),
        error_messages={
            "required": _("ساعت شروع را وارد کنید."),
            "invalid": _("ساعت را به شکل ۰۹:۰۰ بنویسید."),
        },
    )
    window_end = forms.TimeField(
        label=_("تا ساعت"),
        initial=dt.time(12),
        error_messages={
            "required": _("ساعت پایان را وارد کنید."),
            "invalid": _("ساعت را به شکل ۱۲:۰۰ بنویسید."),
        },
    )
    inspector = forms.ModelChoiceField(
        label=_("بازدیدکننده"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("بازدیدکننده را انتخاب کنید."),
            "invalid_choice": _("بازدیدکننده باید از کارکنان همین امور باشد."),
        },
    )
    note = forms.CharField(label=_("توضیح"), required=False, max_length=500)

    def __init__(self, *args, request: ServiceRequest, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this office's active staff; the service checks their role once more.
        self.fields["inspector"].queryset = User.objects.filter(
            office_id=request.office_id, is_staff=True, is_active=True
        ).order_by("last_name", "first_name", "id")
        self.fields["inspector"].label_from_instance = lambda user: user.display_name


class RecordVisitForm(SeenStatusForm):
    RESULT_CHOICES = [("done", _("بازدید انجام شد")), ("no_access", _("دسترسی ممکن نشد"))]

    result = forms.ChoiceField(
        label=_("نتیجه بازدید"),
        choices=RESULT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("نتیجه بازدید را انتخاب کنید.")},
    )
    outcome = forms.ChoiceField(
        label=_("نتیجه آزمایش کنتور"),
        required=False,
        choices=[("", "—"), *ServiceRequest.Outcome.choices[1:]],
    )
    note = forms.CharField(
        label=_("شرح"),
        required=False,
        max_length=500,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("اگر دسترسی ممکن نشد، دلیل را بنویسید (درِ بسته، عدم اجازه ورود…)."),
    )

    def __init__(self, *args, request: ServiceRequest, **kwargs):
        super().__init__(*args, **kwargs)
        if request.request_type.behaviour != RequestType.Behaviour.METER_TEST:
            del self.fields["outcome"]


class ComplaintAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("پاسخ"),
        max_length=1000,
        widget=forms.Textarea({"rows": 5}),
        help_text=_("این پاسخ با پیامک برای شاکی فرستاده می‌شود."),
        error_messages={"required": _("متن پاسخ را بنویسید.")},
    )


class CounterFilingForm(forms.Form):
    """A clerk files a request for a citizen at the counter. The type's own fields are
    generated from its ``fields_schema`` (named ``field_<name>``); ``fields_clean`` in the
    service validates them."""

    FIELD_PREFIX = "field_"

    request_type = forms.ModelChoiceField(
        label=_("نوع درخواست"), queryset=RequestType.objects.none(), widget=forms.HiddenInput
    )
    national_code = forms.CharField(
        label=_("کد ملی / شناسه ملی متقاضی"),
        max_length=11,
        error_messages={"required": _("کد ملی یا شناسه ملی متقاضی را وارد کنید.")},
    )
    subscription_number = forms.CharField(
        label=_("شماره اشتراک"),
        required=False,
        max_length=20,
        error_messages={"required": _("شماره اشتراک را وارد کنید.")},
    )
    city = forms.ModelChoiceField(
        label=_("شهر محل"),
        required=False,
        queryset=City.objects.none(),
        error_messages={"required": _("شهر محل را انتخاب کنید.")},
    )
    address = forms.CharField(
        label=_("نشانی محل"),
        required=False,
        max_length=300,
        error_messages={"required": _("نشانی محل را وارد کنید.")},
    )
    postal_code = forms.CharField(label=_("کد پستی محل"), required=False, max_length=10)
    description = forms.CharField(
        label=_("توضیح متقاضی"), required=False, max_length=2000, widget=forms.Textarea({"rows": 3})
    )

    def __init__(self, *args, request_type: RequestType, types, cities, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.fields["request_type"].queryset = types
        self.fields["request_type"].initial = request_type.pk
        if request_type.needs_subscription:
            self.fields["subscription_number"].required = True
            for name in ("city", "address", "postal_code"):
                del self.fields[name]
        else:
            del self.fields["subscription_number"]
            self.fields["city"].queryset = cities
            self.fields["city"].required = True
            self.fields["address"].required = True
        for item in request_type.fields_schema:
            name = self.FIELD_PREFIX + item["name"]
            label = item["label"]
            required_message = {"required": _("«%(label)s» را وارد کنید.") % {"label": label}}
            if item["kind"] == "choice":
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    required=bool(item.get("required")),
                    choices=[("", "—"), *((str(v), lbl) for v, lbl in item["choices"])],
                    error_messages=required_message,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=label,
                    required=bool(item.get("required")),
                    max_length=item.get("max_length", 500) if item["kind"] == "text" else 20,
                    error_messages=required_message,
                )

    def type_fields(self) -> dict[str, str]:
        """The type's own fields as the service expects them: ``{name: raw value}``."""
        return {
            name.removeprefix(self.FIELD_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(self.FIELD_PREFIX) and value not in (None, "")
        }

    def add_service_errors(self, fields: dict[str, list[str]]) -> bool:
        """Put a ``PortalError``'s field messages on the matching inputs; False if none
        matched (the caller shows the message above the form)."""
        matched = False
        for key, messages in fields.items():
            for name in (key, self.FIELD_PREFIX + key):
                if name in self.fields:
                    for message in messages:
                        self.add_error(name, message)
                    matched = True
                    break
        return matched
