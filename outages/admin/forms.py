"""Forms of the outages pages in admin. They only collect input; the services decide."""

from __future__ import annotations

import datetime as dt

import jdatetime
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outages.models import Feeder, Incident, IncidentState
from portal.digits import normalize_digits, to_persian_digits
from portal.forms import CsvUploadField
from requests_app.admin.forms import JalaliDateField


class PersianTimeField(forms.TimeField):
    """``۰۹:۳۰`` or ``09:30`` → ``time``."""

    def to_python(self, value):
        if isinstance(value, str):
            value = normalize_digits(value).strip()
        return super().to_python(value)


def jalali_date_text(value: dt.date) -> str:
    return to_persian_digits(jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d"))


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    """The instant of a wall-clock date and time in Asia/Tehran (aware, stored as UTC)."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def _date(label: str, required_message: str) -> JalaliDateField:
    return JalaliDateField(
        label=label,
        help_text=_("شمسی، مثلاً ۱۴۰۵/۰۶/۳۱"),
        error_messages={"required": required_message},
    )


def _time(label: str, required_message: str) -> PersianTimeField:
    return PersianTimeField(
        label=label,
        help_text=_("ساعت و دقیقه، مثلاً ۰۹:۳۰"),
        error_messages={
            "required": required_message,
            "invalid": _("ساعت را به شکل ۰۹:۳۰ بنویسید."),
        },
    )


class ScheduledOutageForm(forms.Form):
    """A planned window: feeder, Jalali start and end (date + time, Tehran), reason."""

    feeder = forms.ModelChoiceField(
        label=_("فیدر"),
        queryset=Feeder.objects.none(),
        error_messages={
            "required": _("فیدر را انتخاب کنید."),
            "invalid_choice": _("این فیدر در امور شما نیست."),
        },
    )
    start_date = _date(_("تاریخ شروع"), _("تاریخ شروع را وارد کنید."))
    start_time = _time(_("ساعت شروع"), _("ساعت شروع را وارد کنید."))
    end_date = _date(_("تاریخ پایان"), _("تاریخ پایان را وارد کنید."))
    end_time = _time(_("ساعت پایان"), _("ساعت پایان را وارد کنید."))
    reason = forms.CharField(
        label=_("علت"),
        max_length=300,
        help_text=_("در برنامه عمومی و پیامک هشدار به مشترکین نمایش داده می‌شود."),
        error_messages={"required": _("علت خاموشی را بنویسید.")},
    )

    # The service reports errors on its own names; they land on these inputs.
    SERVICE_FIELDS = {
        "feeder": ["feeder"],
        "feeder_code": ["feeder"],
        "starts_at": ["start_date", "start_time"],
        "start": ["start_date", "start_time"],
        "ends_at": ["end_date", "end_time"],
        "end": ["end_date", "end_time"],
        "reason": ["reason"],
    }

    def __init__(self, *args, feeders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["feeder"].queryset = feeders

    @classmethod
    def initial_for(cls, outage) -> dict:
        start = timezone.localtime(outage.starts_at)
        end = timezone.localtime(outage.ends_at)
        return {
            "feeder": outage.feeder_id,
            "start_date": jalali_date_text(start.date()),
            "start_time": to_persian_digits(start.strftime("%H:%M")),
            "end_date": jalali_date_text(end.date()),
            "end_time": to_persian_digits(end.strftime("%H:%M")),
            "reason": outage.reason,
        }

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        return (
            local_datetime(data["start_date"], data["start_time"]),
            local_datetime(data["end_date"], data["end_time"]),
        )

    def add_service_errors(self, fields: dict[str, list[str]]) -> bool:
        """Put a ``PortalError``'s field messages on the matching inputs; False if none
        matched (the caller shows the message above the form)."""
        matched = False
        for key, messages in (fields or {}).items():
            names = self.SERVICE_FIELDS.get(key, [key] if key in self.fields else [])
            if names:
                for message in messages:
                    self.add_error(names[0], message)
                matched = True
        return matched


class OutageImportForm(forms.Form):
    file = CsvUploadField(
        label="فایل CSV",
        command="import_outages",
        help_text=(
            "ستون‌ها: feeder_code، start، end، reason و در صورت نیاز company_code؛ "
            "تاریخ‌ها شمسی یا ISO به وقت تهران؛ حداکثر ۲۰ مگابایت."
        ),
    )


# --- Incident workflow ---------------------------------------------------------------------


class SeenStateForm(forms.Form):
    """Every action form carries the state the staff member saw, so of two staff acting at
    once the second meets the service's "conflict" instead of acting on a newer state."""

    seen_state = forms.ChoiceField(choices=IncidentState.choices, widget=forms.HiddenInput)


class DispatchForm(SeenStateForm):
    crew = forms.CharField(
        label=_("اکیپ"),
        max_length=150,
        help_text=_("نام یا شماره اکیپ اعزامی"),
        error_messages={"required": _("نام یا شماره اکیپ اعزامی را وارد کنید.")},
    )


class ResolveForm(SeenStateForm):
    restored_date = _date(_("تاریخ وصل برق"), _("تاریخ وصل برق را وارد کنید."))
    restored_time = _time(_("ساعت وصل برق"), _("ساعت وصل برق را وارد کنید."))
    result = forms.CharField(
        label=_("نتیجه"),
        required=False,
        max_length=300,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("با پیامک برای همه گزارش‌دهندگان فرستاده می‌شود؛ خالی: متن پیش‌فرض."),
    )
    SERVICE_FIELDS = {"restored_at": "restored_date"}

    @classmethod
    def initial_now(cls, state: str) -> dict:
        now = timezone.localtime()
        return {
            "seen_state": state,
            "restored_date": jalali_date_text(now.date()),
            "restored_time": to_persian_digits(now.strftime("%H:%M")),
        }

    def restored_at(self) -> dt.datetime:
        data = self.cleaned_data
        value = local_datetime(data["restored_date"], data["restored_time"])
        now = timezone.now()
        # The form shows "now" to the minute; that minute means now, not its first second
        # (which may precede an incident opened moments ago).
        if value <= now < value + dt.timedelta(minutes=1):
            return now
        return value


class CloseForm(SeenStateForm):
    close_reason = forms.ChoiceField(
        label=_("دلیل بستن"),
        choices=[("", "—"), *Incident.CloseReason.choices],
        error_messages={"required": _("دلیل بستن حادثه را انتخاب کنید.")},
    )
    result = forms.CharField(
        label=_("نتیجه"),
        required=False,
        max_length=300,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("با پیامک برای همه گزارش‌دهندگان فرستاده می‌شود؛ خالی: متن پیش‌فرض."),
    )


class NoteForm(SeenStateForm):
    note = forms.CharField(
        label=_("یادداشت"),
        max_length=500,
        widget=forms.Textarea({"rows": 3}),
        error_messages={"required": _("متن یادداشت را وارد کنید.")},
    )
    public = forms.BooleanField(
        label=_("نمایش در صفحه پیگیری"),
        required=False,
        help_text=_("یادداشت عمومی را گزارش‌دهندگان در صفحه پیگیری می‌بینند."),
    )


def attach_errors(form: forms.Form, fields: dict[str, list[str]] | None, aliases=None) -> bool:
    matched = False
    aliases = aliases or {}
    for name, errors in (fields or {}).items():
        name = aliases.get(name, name)
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            matched = True
    return matched
