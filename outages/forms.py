"""Forms of the public outage pages and the 121 operator's console.

Forms only collect and pre-check input so every error can be shown next to its field in
Persian; ``outages.services.reports`` stays the authority and its ``PortalError.fields`` are put
back on the same fields by the views (``add_service_errors``). Persian digits are accepted
everywhere: the middleware normalises POST data and the identifier fields normalise again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from portal.digits import normalize_digits, to_persian_digits
from portal.forms import BillIdField, MobileField
from portal.jalali import jalali_iso, parse_jalali_date
from requests_app.forms import StyledForm, SubscriptionChoiceField
from subscribers.models import City, User, UtilityCompany
from subscribers.selectors.subscriptions import subscriptions_for_user

DESCRIPTION_MAX = 1000
ELECTRICITY_DIGIT = UtilityCompany.SERVICE_DIGIT[UtilityCompany.Kind.ELECTRICITY]


def _description() -> forms.CharField:
    return forms.CharField(
        label="توضیح (اختیاری)",
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="مثلاً «برق کل کوچه قطع است» یا «فقط منزل ما برق ندارد».",
        error_messages={
            "max_length": f"«توضیح» حداکثر {to_persian_digits(DESCRIPTION_MAX)} نویسه است."
        },
    )


def _bill_id_field() -> BillIdField:
    return BillIdField(
        service_type=ELECTRICITY_DIGIT,
        help_text="شناسه قبض برق، چاپ‌شده روی قبض (ارقام فارسی هم پذیرفته می‌شود).",
    )


class JalaliDateField(forms.CharField):
    """A Jalali date typed as ``۱۴۰۵/۰۶/۳۱`` (Persian or ASCII digits) → ``date``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"dir": "ltr", "inputmode": "numeric", "placeholder": "۱۴۰۵/۰۶/۳۱"}
        )

    def to_python(self, value: Any) -> dt.date | None:
        text = normalize_digits(str(value or "")).strip()[:20]
        if not text:
            return None
        try:
            return parse_jalali_date(text)
        except ValueError:
            raise forms.ValidationError(
                "«تاریخ» معتبر نیست؛ به شکل ۱۴۰۵/۰۶/۳۱ وارد کنید.", code="invalid"
            ) from None


class CityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: City) -> str:
        return to_persian_digits(obj.name)


class ScheduleFilterForm(StyledForm):
    """The public schedule's GET filter: a city that has feeders (or all) and a Jalali day."""

    city = CityChoiceField(
        label="شهر",
        queryset=City.objects.none(),
        required=False,
        empty_label="همه شهرها",
        error_messages={"invalid_choice": "«شهر» انتخاب‌شده در فهرست نیست."},
    )
    date = JalaliDateField(label="تاریخ", required=False, help_text="به شکل ۱۴۰۵/۰۶/۳۱")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = (
            City.objects.filter(feeders__isnull=False).distinct().order_by("name")
        )
        if not self.is_bound or not self.data.get("date"):
            self.initial.setdefault("date", to_persian_digits(jalali_iso(timezone.localdate())))

    def day(self) -> dt.date:
        return self.cleaned_data.get("date") or timezone.localdate()


class ReportForm(StyledForm):
    """A logged-in subscriber reporting for one of their own electricity subscriptions."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subscription"] = SubscriptionChoiceField(
            label="اشتراک برق",
            queryset=electricity_subscriptions(user),
            widget=forms.RadioSelect,
            empty_label=None,
            error_messages={
                "required": "«اشتراک برق» را انتخاب کنید.",
                "invalid_choice": "اشتراک انتخاب‌شده از اشتراک‌های برق شما نیست.",
            },
        )
        self.fields["mobile"] = MobileField(
            label="تلفن همراه برای پیامک نتیجه", initial=user.mobile or ""
        )
        self.fields["description"] = _description()
        self._style()


def electricity_subscriptions(user: User):
    """The user's own active links to electricity subscriptions (a representative's view of an
    organisation does not let them report for it)."""
    return (
        subscriptions_for_user(user=user)
        .filter(company__kind=UtilityCompany.Kind.ELECTRICITY, link_id__isnull=False)
        .order_by("subscription_number")
    )


class BillReportForm(StyledForm):
    """Reporting without login: a bill ID and the mobile the code is sent to."""

    bill_id = _bill_id_field()
    mobile = MobileField(label="تلفن همراه", help_text="کد تأیید و نتیجه به این شماره پیامک می‌شود.")
    description = _description()


class OtpCodeForm(StyledForm):
    code = forms.CharField(
        label="کد تأیید",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "one-time-code"}
        ),
        error_messages={
            "required": "«کد تأیید» را وارد کنید.",
            "min_length": "«کد تأیید» شش رقم است.",
            "max_length": "«کد تأیید» شش رقم است.",
        },
    )

    def clean_code(self) -> str:
        code = normalize_digits(self.cleaned_data["code"]).strip()
        if not code.isdigit():
            raise forms.ValidationError("«کد تأیید» فقط رقم است.")
        return code


class CallCenterForm(StyledForm):
    """The 121 operator types what the caller says: bill ID, caller's mobile, description."""

    bill_id = _bill_id_field()
    mobile = MobileField(
        label="تلفن همراه تماس‌گیرنده",
        help_text="کد رهگیری و نتیجه به این شماره پیامک می‌شود.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = _description()


class StatusLookupForm(StyledForm):
    """The console's "is this feeder out now?" lookup; shown beside ``CallCenterForm``, so the
    view gives it its own ``auto_id`` and the help text is tied to that id."""

    bill_id = _bill_id_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.auto_id:
            self.fields["bill_id"].widget.attrs["aria-describedby"] = (
                f"{self.auto_id % 'bill_id'}-help"
            )
