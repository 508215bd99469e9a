"""Forms of the applicant's request screens: filing a request, rating it and complaining.

Forms only collect and pre-check input so that every error can be shown next to its field
in Persian; the services (``request_file``, ``rating_submit``, ``complaint_file``) remain the
authority and their ``PortalError.fields`` are put back on the same fields by the views.
Persian digits are accepted everywhere (the middleware normalises POST data; the integer
fields of a type's schema are normalised again by ``fields_clean``).
"""

from __future__ import annotations

from typing import Any

from django import forms

from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.forms import PostalCodeField
from requests_app.models import RequestType
from requests_app.selectors.requests import request_subscriptions_for
from requests_app.services.fields import fields_clean
from subscribers.models import City, Subscription, User

DESCRIPTION_MAX = 2000


def _required(label: str) -> dict[str, str]:
    return {"required": f"«{label}» را وارد کنید.", "invalid_choice": f"«{label}» معتبر نیست."}


class StyledForm(forms.Form):
    """Bootstrap classes and ``aria-describedby`` on every widget, so templates render
    ``{{ field }}`` as is (the same convention as the subscription forms)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def _style(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = css
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}-help"

    def add_service_errors(self, exc: PortalError) -> None:
        """Put a service's field errors on the matching fields; anything else (and an error
        without fields) becomes a non-field error, so nothing is silently dropped."""
        placed = False
        for name, errors in (exc.fields or {}).items():
            target = name if name in self.fields else None
            for error in errors:
                self.add_error(target, error)
            placed = True
        if not placed:
            self.add_error(None, exc.message)


class SubscriptionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Subscription) -> str:
        company = obj.company.short_name or obj.company.name
        return to_persian_digits(f"{obj.subscription_number} — {company} — {obj.address}")[:120]


class RequestFileForm(StyledForm):
    """Filing one request of ``request_type`` for ``user``.

    After-sales types choose one of the user's own subscriptions of the type's company kind;
    a new connection names the site instead (city served by a company of that kind, address,
    postal code). Then the type's own fields from ``fields_schema`` and a description."""

    def __init__(self, *args: Any, request_type: RequestType, user: User, **kwargs: Any) -> None:
        self.request_type = request_type
        super().__init__(*args, **kwargs)
        kind = request_type.company_kind
        if request_type.needs_subscription:
            own = request_subscriptions_for(user=user, request_type=request_type)
            # A telecom subscription is a phone line (its subscription number is the number).
            noun = "خط تلفن" if kind == RequestType.CompanyKind.TELECOM else "اشتراک"
            help_text, invalid = "", f"{noun} انتخاب‌شده در حساب شما نیست."
            if request_type.behaviour == RequestType.Behaviour.LINE_SERVICE:
                help_text = (
                    "فقط خطوطی فهرست شده‌اند که خدمات الکترونیک آن‌ها برای شما در مرکز تلفن "
                    "فعال شده است."
                )
                invalid = (
                    "خط انتخاب‌شده در حساب شما نیست یا خدمات الکترونیک آن هنوز برای شما فعال "
                    "نشده است؛ برای فعال‌سازی با مدارک شناسایی به یکی از مراکز تلفن مراجعه کنید."
                )
            self.fields["subscription"] = SubscriptionChoiceField(
                label=noun,
                queryset=own,
                help_text=help_text,
                empty_label=f"— {noun} را انتخاب کنید —",
                error_messages={"required": f"«{noun}» را انتخاب کنید.", "invalid_choice": invalid},
            )
        else:
            self.fields["city"] = forms.ModelChoiceField(
                label="شهر محل",
                queryset=City.objects.filter(companies__kind=kind)
                .distinct()
                .order_by("province", "name"),
                empty_label="— شهر را انتخاب کنید —",
                error_messages={
                    "required": "«شهر محل» را انتخاب کنید.",
                    "invalid_choice": "برای شهر انتخاب‌شده این خدمت ارائه نمی‌شود.",
                },
            )
            self.fields["address"] = forms.CharField(
                label="نشانی محل",
                max_length=300,
                error_messages={
                    "required": "«نشانی محل» را وارد کنید.",
                    "max_length": "«نشانی محل» حداکثر ۳۰۰ نویسه است.",
                },
            )
            self.fields["postal_code"] = PostalCodeField(
                label="کد پستی محل", required=False, help_text="ده رقم، اختیاری"
            )
        for item in request_type.fields_schema:
            self.fields[item["name"]] = self._schema_field(item)
        self.fields["description"] = forms.CharField(
            label="توضیح (اختیاری)",
            required=False,
            max_length=DESCRIPTION_MAX,
            widget=forms.Textarea(attrs={"rows": 3}),
            error_messages={"max_length": "«توضیح» حداکثر ۲۰۰۰ نویسه است."},
        )
        self._style()  # again: the fields above were added after StyledForm.__init__

    @staticmethod
    def _schema_field(item: dict[str, Any]) -> forms.Field:
        label, required = item["label"], bool(item.get("required"))
        messages = _required(label)
        if item["kind"] == "choice":
            choices = [(str(value), text) for value, text in item["choices"]]
            return forms.ChoiceField(
                label=label,
                required=required,
                choices=[("", "— انتخاب کنید —"), *choices],
                error_messages=messages,
            )
        if item["kind"] == "integer":
            # A text box with the numeric keypad, not type=number: browsers drop Persian
            # digits typed into a number input, and those must be accepted.
            hints = []
            if item.get("min") is not None:
                hints.append(f"کمینه {item['min']}")
            if item.get("max") is not None:
                hints.append(f"بیشینه {item['max']}")
            return forms.CharField(
                label=label,
                required=required,
                max_length=12,
                help_text=to_persian_digits("، ".join(hints)),
                widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
                error_messages={**messages, "max_length": f"«{label}» باید عدد صحیح باشد."},
            )
        limit = item.get("max_length", 500)
        return forms.CharField(
            label=label,
            required=required,
            max_length=limit,
            error_messages={
                **messages,
                "max_length": f"«{label}» حداکثر {to_persian_digits(limit)} نویسه است.",
            },
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        schema = self.request_type.fields_schema
        raw = {item["name"]: data.get(item["name"]) for item in schema}
        try:
            self.schema_values = fields_clean(schema=schema, data=raw)
        except PortalError as exc:
            self.schema_values = {}
            for name, errors in exc.fields.items():
                if name in self.fields and name not in self.errors:
                    for error in errors:
                        self.add_error(name, error)
        return data


class RatingForm(StyledForm):
    score = forms.TypedChoiceField(
        label="امتیاز شما به این خدمت",
        choices=[(n, to_persian_digits(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "یکی از امتیازهای ۱ تا ۵ را انتخاب کنید.",
            "invalid_choice": "یکی از امتیازهای ۱ تا ۵ را انتخاب کنید.",
        },
    )
    comment = forms.CharField(
        label="نظر شما (اختیاری)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "نظر حداکثر ۱۰۰۰ نویسه است."},
    )


class ComplaintForm(StyledForm):
    """About one of the user's requests, or about a service in general. ``request`` is the
    request number; the view resolves it through ``request_get_for_user`` (404 if not theirs)."""

    request = forms.ChoiceField(label="درخواست مورد شکایت", required=False)
    request_type = forms.ModelChoiceField(
        label="یا خدمت مورد شکایت",
        required=False,
        queryset=RequestType.objects.none(),
        empty_label="— خدمت را انتخاب کنید —",
        error_messages={"invalid_choice": "خدمت انتخاب‌شده معتبر نیست."},
    )
    text = forms.CharField(
        label="شرح شکایت",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "شرح شکایت را بنویسید.",
            "max_length": "شرح شکایت حداکثر ۲۰۰۰ نویسه است.",
        },
    )

    def __init__(self, *args: Any, requests: list, request_types, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["request"].choices = [
            ("", "— درخواست را انتخاب کنید —"),
            *(
                (r.number, to_persian_digits(f"{r.number} — {r.request_type.title}"))
                for r in requests
            ),
        ]
        # Any number is accepted here; the view answers 404 for one that is not the user's.
        self.fields["request"].valid_value = lambda value: True
        self.fields["request_type"].queryset = request_types

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("request") and not data.get("request_type"):
            self.add_error("request_type", "خدمت یا درخواست مورد شکایت را انتخاب کنید.")
        return data
