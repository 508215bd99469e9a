"""Tariff tables in admin: one table per company kind × use with its steps inline.

A tariff applies to every company of its kind in every office, so only system administrators
(superusers) add or change tables; office staff with ``view_tariff`` read them. The two rules
a table must keep — steps in ascending order with exactly one open last step, and no overlap
with another table of the same group — live in ``tariff_tiers_problems`` and
``tariff_overlap_problem`` below, which the admin forms call and any other writer must call too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import jdatetime
from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from billing.models import Tariff, TariffTier, TariffUse
from portal.digits import normalize_digits, to_persian_digits
from portal.jalali import jalali_display, parse_jalali_date
from subscribers.models import UtilityCompany
from subscribers.permissions import sees_all_offices


def _jalali_text(value: dt.date) -> str:
    return to_persian_digits(jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d"))


def _kind_label(kind: str) -> str:
    return str(dict(UtilityCompany.Kind.choices).get(kind, kind))


def _use_label(use: str) -> str:
    return str(dict(TariffUse.choices).get(use, use))


def is_system_administrator(request: HttpRequest) -> bool:
    """``sees_all_offices`` once per request (admin asks it many times per page)."""
    cached = getattr(request, "_billing_sees_all", None)
    if cached is None:
        user = request.user
        cached = bool(user.is_authenticated and user.is_staff and sees_all_offices(user))
        request._billing_sees_all = cached
    return cached


# --- The rules ------------------------------------------------------------------------------


def tariff_tiers_problems(tiers: Sequence[tuple[int | None, int]]) -> list[str]:
    """Persian problems with a table's steps, given as ``(up_to, rate)`` in the order entered.

    A bill is priced by walking the steps upwards, so the bounded steps must rise strictly and
    the last step must be the only open one (``up_to`` empty): otherwise some consumption would
    fall in no step, or in two.
    """
    if not tiers:
        return ["جدول تعرفه دست‌کم یک پلکان لازم دارد؛ پلکان آخر «تا مصرف ماهانه» خالی دارد."]
    problems = []
    open_steps = [n for n, (up_to, _rate) in enumerate(tiers, start=1) if up_to is None]
    if len(open_steps) != 1:
        problems.append(
            "جدول تعرفه باید دقیقاً یک پلکان باز (بدون «تا مصرف ماهانه») داشته باشد؛ "
            f"اکنون {to_persian_digits(len(open_steps))} پلکان باز دارد."
        )
    elif open_steps[0] != len(tiers):
        problems.append("پلکان باز (بدون «تا مصرف ماهانه») باید آخرین پلکان باشد.")
    previous = 0
    for n, (up_to, _rate) in enumerate(tiers, start=1):
        if up_to is None:
            continue
        if up_to <= previous:
            problems.append(
                f"پلکان {to_persian_digits(n)}: «تا مصرف ماهانه» ({to_persian_digits(up_to)}) "
                f"باید بیشتر از پلکان پیشین ({to_persian_digits(previous)}) باشد؛ "
                "پلکان‌ها را به ترتیب صعودی وارد کنید."
            )
        previous = max(previous, up_to)
    return problems


def tariff_overlap_problem(
    *,
    company_kind: str,
    use: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    exclude_pk: int | None = None,
) -> str | None:
    """The Persian refusal when another table of the same company kind and use is valid on
    any day of ``[valid_from, valid_to)``; ``None`` when the range is free.

    Call inside the saving transaction: the group's rows are locked (``select_for_update``) so
    two administrators saving overlapping tables at once cannot both pass the check.
    """
    if valid_to is not None and valid_to <= valid_from:
        return "«معتبر تا» باید بعد از «معتبر از» باشد."
    others = Tariff.objects.filter(company_kind=company_kind, use=use)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    list(others.select_for_update().values_list("pk", flat=True))
    # Half-open ranges [from, to) overlap when each starts before the other ends.
    overlapping = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lt=valid_to)
    clash = overlapping.order_by("valid_from").first()
    if clash is None:
        return None
    until = f"تا {_jalali_text(clash.valid_to)}" if clash.valid_to else "بدون تاریخ پایان"
    return (
        f"این بازه با جدول «{clash.title}» ({_kind_label(company_kind)}، {_use_label(use)}، "
        f"از {_jalali_text(clash.valid_from)} {until}) همپوشانی دارد. برای هر نوع شرکت و نوع "
        "مصرف در هر روز فقط یک جدول معتبر است؛ ابتدا «معتبر تا» جدول پیشین را تعیین کنید."
    )


# --- Forms ----------------------------------------------------------------------------------


class JalaliDateInput(forms.TextInput):
    """Shows a stored date as ``۱۴۰۳/۰۱/۰۱``."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {"dir": "ltr", "inputmode": "numeric", "placeholder": "۱۴۰۳/۰۱/۰۱", **(attrs or {})}
        )

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return _jalali_text(value)
        return super().format_value(value)


class JalaliDateField(forms.CharField):
    """A Jalali date (Persian or ASCII digits) → Gregorian ``date``; errors name the field."""

    widget = JalaliDateInput

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        if isinstance(value, dt.date):
            return value
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_jalali_date(text)
        except ValueError:
            raise forms.ValidationError(
                f"{self.label}: تاریخ را به شکل سال/ماه/روز شمسی وارد کنید، مانند ۱۴۰۳/۰۱/۰۱",
                code="invalid",
            ) from None


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _as_number_text(value: Any) -> Any:
    """``۳۰٬۰۰۰`` → ``30000``; anything that is not a number (a title) is left as typed."""
    if not isinstance(value, str):
        return value
    compact = normalize_digits(value).strip().replace("٬", "").replace(",", "")
    return compact if _NUMBER.fullmatch(compact) else value


class PersianDigitsFormMixin:
    """Reads Persian and Arabic-Indic digits and thousands separators in number inputs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        data = kwargs.get("data", args[0] if args else None)
        if data is not None:
            data = data.copy()
            for key in list(data.keys()):
                data.setlist(key, [_as_number_text(v) for v in data.getlist(key)])
            if "data" in kwargs:
                kwargs["data"] = data
            else:
                args = (data, *args[1:])
        super().__init__(*args, **kwargs)


def _field_messages(label: str) -> dict[str, str]:
    return {
        "required": f"{label}: این مورد را وارد کنید.",
        "invalid": f"{label}: عدد وارد کنید.",
        "min_value": f"{label}: عدد منفی مجاز نیست.",
        "max_value": f"{label}: عدد بیش از حد بزرگ است.",
        "max_digits": f"{label}: عدد بیش از حد بزرگ است.",
        "max_decimal_places": f"{label}: حداکثر دو رقم اعشار.",
        "invalid_choice": f"{label}: یکی از گزینه‌ها را انتخاب کنید.",
    }


class TariffForm(PersianDigitsFormMixin, forms.ModelForm):
    valid_from = JalaliDateField(
        label="معتبر از",
        help_text="شمسی، مانند ۱۴۰۳/۰۱/۰۱",
        error_messages={"required": "معتبر از: تاریخ شروع اعتبار را وارد کنید."},
    )
    valid_to = JalaliDateField(
        label="معتبر تا (بدون احتساب)",
        required=False,
        help_text="شمسی؛ خالی یعنی تا اطلاع بعدی. این روز خودش مشمول جدول نیست.",
    )

    class Meta:
        model = Tariff
        fields = [
            "company_kind",
            "use",
            "title",
            "valid_from",
            "valid_to",
            "subscription_fee",
            "tax_percent",
            "duties_percent",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in ("valid_from", "valid_to"):
                field.error_messages.update(_field_messages(str(field.label)))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        problem = tariff_overlap_problem(
            company_kind=data["company_kind"],
            use=data["use"],
            valid_from=data["valid_from"],
            valid_to=data.get("valid_to"),
            exclude_pk=self.instance.pk,
        )
        if problem:
            raise forms.ValidationError(problem, code="overlap")
        return data

    def _get_validation_exclusions(self):
        # When the overlap check above refused the range it already named the clashing
        # table; the model's own constraints on the same dates would only repeat it in
        # Django's words, so they are skipped for this submission.
        exclude = super()._get_validation_exclusions()
        if self.has_error(NON_FIELD_ERRORS):
            exclude.add("valid_from")
        return exclude


class TariffTierForm(PersianDigitsFormMixin, forms.ModelForm):
    class Meta:
        model = TariffTier
        fields = ["up_to", "rate"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages.update(_field_messages(str(field.label)))

    def clean_up_to(self) -> int | None:
        value = self.cleaned_data.get("up_to")
        if value == 0:
            raise forms.ValidationError("تا مصرف ماهانه: باید بیشتر از صفر باشد.")
        return value


class TariffTierFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        tiers = [
            (form.cleaned_data.get("up_to"), form.cleaned_data.get("rate"))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = tariff_tiers_problems(tiers)
        if problems:
            raise forms.ValidationError(problems)

    def validate_unique(self) -> None:
        # Duplicate steps are reported by tariff_tiers_problems in Persian.
        return None


# --- Admin ----------------------------------------------------------------------------------


class TariffTierInline(admin.TabularInline):
    model = TariffTier
    form = TariffTierForm
    formset = TariffTierFormSet
    extra = 1
    min_num = 0


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    form = TariffForm
    inlines = [TariffTierInline]
    list_display = [
        "title",
        "company_kind",
        "use",
        "valid_from_display",
        "valid_to_display",
        "subscription_fee_display",
        "tax_percent",
        "duties_percent",
    ]
    list_filter = ["company_kind", "use"]
    search_fields = ["title"]
    readonly_fields = ["created_at"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["company_kind", "use", "title"]}),
        ("اعتبار", {"fields": ["valid_from", "valid_to"]}),
        ("بهای ثابت و مالیات", {"fields": ["subscription_fee", "tax_percent", "duties_percent"]}),
        (None, {"fields": ["created_at"]}),
    ]

    @admin.display(description="معتبر از", ordering="valid_from")
    def valid_from_display(self, obj: Tariff) -> str:
        return jalali_display(obj.valid_from)

    @admin.display(description="معتبر تا", ordering="valid_to")
    def valid_to_display(self, obj: Tariff) -> str:
        return jalali_display(obj.valid_to) if obj.valid_to else "تا اطلاع بعدی"

    @admin.display(description="آبونمان ماهانه (ریال)", ordering="subscription_fee")
    def subscription_fee_display(self, obj: Tariff) -> str:
        return to_persian_digits(f"{obj.subscription_fee:,}").replace(",", "٬")

    # A table applies to every office of every company of its kind, so no office role is
    # granted add/change_tariff (migration 0002_roles): system administrators (superusers)
    # write tables, office staff with view_tariff read them. Django's own permission checks
    # do that without a query, which matters because the admin sidebar asks on every page.

    def has_delete_permission(self, request: HttpRequest, obj: Tariff | None = None) -> bool:
        # Bills keep their own priced items, but a deleted table erases what was in force.
        return False
