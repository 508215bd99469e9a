"""Forms of the billing pages: history by bill ID and start year (logged-in and no-login) and
the export format. Persian and Arabic-Indic digits are accepted in every field; every error
names its field («شناسه قبض»، «سال شروع»، «قالب خروجی»).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from billing.selectors.history import HISTORY_MIN_YEAR, current_jalali_year, default_from_year
from portal.digits import normalize_digits, to_persian_digits
from portal.forms import BillIdField
from requests_app.forms import StyledForm

BILL_ID_LABEL = "شناسه قبض"
YEAR_LABEL = "سال شروع"
# Not found and not yours read the same, so the page never tells that a bill ID exists.
NOT_FOUND = "«شناسه قبض» در اشتراک‌های شما یافت نشد؛ شناسه را از روی پیامک قبض بررسی کنید."
NOT_FOUND_PUBLIC = "«شناسه قبض» یافت نشد؛ شناسه را از روی پیامک قبض بررسی کنید."


def parse_from_year(value: Any, *, label: str = YEAR_LABEL) -> int | None:
    """A four-digit Jalali year (Persian or ASCII digits) from ``HISTORY_MIN_YEAR`` to this
    year → ``int``; ``None`` when empty; ``ValueError`` with a Persian message naming
    ``label`` otherwise. Shared by the HTML forms and the API."""
    text = normalize_digits(str(value if value is not None else "")).strip()
    if not text:
        return None
    this_year = current_jalali_year()
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise ValueError(
            f"«{label}» را به شکل سال چهاررقمی شمسی وارد کنید، مثلاً "
            f"{to_persian_digits(this_year - 2)}."
        )
    year = int(text)
    if not HISTORY_MIN_YEAR <= year <= this_year:
        raise ValueError(
            f"«{label}» باید سالی شمسی از {to_persian_digits(HISTORY_MIN_YEAR)} "
            f"تا {to_persian_digits(this_year)} باشد."
        )
    return year


class JalaliYearField(forms.CharField):
    """The start year of a history (see ``parse_from_year``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "dir": "ltr",
                "inputmode": "numeric",
                "autocomplete": "off",
                "maxlength": "4",
            }
        )

    def to_python(self, value: Any) -> int | None:
        try:
            return parse_from_year(value, label=str(self.label))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class HistoryForm(StyledForm):
    """Bill ID and an optional Jalali start year (default: the last five years)."""

    bill_id = BillIdField(
        label=BILL_ID_LABEL,
        help_text="شناسه قبض، چاپ‌شده در پیامک یا قبض (ارقام فارسی هم پذیرفته می‌شود).",
        max_length=40,
    )
    from_year = JalaliYearField(
        label=YEAR_LABEL,
        required=False,
        help_text="سوابق از ابتدای این سال شمسی نمایش داده می‌شود؛ خالی: پنج سال اخیر.",
    )

    def clean_from_year(self) -> int:
        return self.cleaned_data.get("from_year") or default_from_year()

    def not_found(self, message: str = NOT_FOUND) -> None:
        self.add_error("bill_id", forms.ValidationError(message, code="not_found"))


class ExportForm(HistoryForm):
    class Format(models.TextChoices):
        CSV = "csv", "CSV (اکسل)"
        ESPI = "espi", "گرین باتن (Green Button)"

    format = forms.ChoiceField(
        label="قالب خروجی",
        choices=Format.choices,
        error_messages={
            "required": "«قالب خروجی» را انتخاب کنید.",
            "invalid_choice": "«قالب خروجی» باید csv یا espi باشد.",
        },
    )
