"""Self meter reading page (ثبت کارکرد) and closing a tenant's link after a paid settlement.

``reading-new`` lets a subscriber — or a kiosk operator acting for one (``request.user`` is
then the citizen, the operator acts on the kiosk channel) — submit the current reading of one
of their electricity or gas meters; ``billing.services.readings.reading_submit`` checks it and
files the request, and the page sends the citizen to that request. The rollover box appears
only after the service said the reading is below the previous one.

``settlement-close-link`` is the button on a completed settlement's request page
(``templates/billing/_reading_settlement.html``): it ends the tenant's link once the
settlement bill is paid.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from billing.selectors.bills import accesses_for_user, bill_access_for_user
from billing.services.readings import BELOW_PREVIOUS, READING_KINDS, reading_submit
from billing.services.settlement import settlement_close_tenant_link
from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from portal.jalali import to_jalali
from requests_app.models import Channel
from requests_app.selectors.requests import request_get_for_user
from subscribers.models import SubscriptionLink

NOT_YOURS = "این شناسه قبض در حساب شما نیست یا اشتراک برق یا گاز نیست."


def _acting(request: HttpRequest) -> dict[str, Any]:
    kiosk_session = getattr(request, "kiosk_session", None)
    if kiosk_session is not None:
        return {
            "actor": request.operator,
            "on_behalf_of": request.user,
            "channel": Channel.KIOSK,
            "kiosk": kiosk_session.kiosk,
        }
    return {"actor": request.user, "on_behalf_of": None, "channel": Channel.WEB, "kiosk": None}


def _reading_choices(user) -> list[tuple[str, str]]:
    """The user's own (owner or tenant) electricity and gas subscriptions, by bill ID."""
    choices = []
    for access in accesses_for_user(user=user):
        subscription = access.subscription
        if access.role not in (SubscriptionLink.Role.OWNER, SubscriptionLink.Role.TENANT):
            continue
        if subscription.company.kind not in READING_KINDS:
            continue
        label = (
            f"{subscription.company.get_kind_display()} — شناسه قبض "
            f"{to_persian_digits(subscription.bill_id)} — {subscription.address}"
        )
        choices.append((subscription.bill_id, label))
    return choices


class ReadingForm(forms.Form):
    """Structure only: the reading and date are parsed and checked by ``reading_submit``, so
    the web, the API and the kiosk give the same messages."""

    bill_id = forms.ChoiceField(
        label="اشتراک (شناسه قبض)",
        error_messages={
            "required": "اشتراک (شناسه قبض): یکی از اشتراک‌های برق یا گاز خود را انتخاب کنید.",
            "invalid_choice": f"اشتراک (شناسه قبض): {NOT_YOURS}",
        },
    )
    reading = forms.CharField(
        label="شماره فعلی کنتور",
        max_length=20,
        help_text="همه ارقام شمارنده را بدون اعشار وارد کنید؛ ارقام فارسی هم پذیرفته است.",
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
        error_messages={"required": "شماره فعلی کنتور را وارد کنید."},
    )
    read_on = forms.CharField(
        label="تاریخ قرائت",
        max_length=10,
        help_text="به تاریخ شمسی، مانند ۱۴۰۵/۰۹/۱۲",
        widget=forms.TextInput(
            attrs={"dir": "ltr", "inputmode": "numeric", "placeholder": "۱۴۰۵/۰۹/۱۲"}
        ),
        error_messages={"required": "تاریخ قرائت کنتور را وارد کنید."},
    )
    rollover_confirmed = forms.BooleanField(
        label="تأیید می‌کنم که شمارنده کنتور پس از رسیدن به بیشترین عدد از صفر شروع شده است "
        "(کنتور دور زده است).",
        required=False,
    )
    photo = forms.FileField(
        label="تصویر صفحه کنتور (اختیاری)",
        required=False,
        help_text="JPEG، PNG یا PDF، رنگی، حداکثر ۲ مگابایت.",
    )

    def __init__(self, *args: Any, user, show_rollover: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bill_id"].choices = [("", "— انتخاب کنید —"), *_reading_choices(user)]
        ticked = str(self.data.get("rollover_confirmed", "")).lower() in ("on", "true", "1")
        self.show_rollover = show_rollover or ticked
        if not self.show_rollover:
            self.fields["rollover_confirmed"].widget = forms.HiddenInput()
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs["class"] = "form-select" if name == "bill_id" else "form-control"
                if field.help_text:
                    field.widget.attrs["aria-describedby"] = f"id_{name}-help"

    def add_service_errors(self, exc: PortalError) -> None:
        placed = False
        for name, errors in (exc.fields or {}).items():
            target = name if name in self.fields else None
            for error in errors:
                self.add_error(target, error)
                placed = True
        if not placed:
            self.add_error(None, exc.message)
        if exc.code == BELOW_PREVIOUS:
            self.show_rollover = True
            self.fields["rollover_confirmed"].widget = forms.CheckboxInput(
                attrs={"class": "form-check-input"}
            )


@login_required
@require_http_methods(["GET", "POST"])
def reading_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ReadingForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                access = bill_access_for_user(user=request.user, bill_id=data["bill_id"])
                filed = reading_submit(
                    subscription=access.subscription,
                    reading=data["reading"],
                    read_on=data["read_on"],
                    rollover_confirmed=data["rollover_confirmed"],
                    photo=data.get("photo"),
                    **_acting(request),
                )
            except NotFound:
                form.add_error("bill_id", f"اشتراک (شناسه قبض): {NOT_YOURS}")
            except PortalError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    f"کارکرد شما با شماره درخواست {to_persian_digits(filed.number)} ثبت شد. "
                    "پس از تأیید امور مشترکین، قبض علی‌الحساب با پیامک برایتان فرستاده می‌شود.",
                )
                return redirect(reverse("requests_app:request-detail", args=[filed.number]))
        status = 400
    else:
        today = to_jalali(timezone.localdate()).strftime("%Y/%m/%d")
        initial = {
            "bill_id": normalize_digits(request.GET.get("bill_id", "")).strip(),
            "read_on": to_persian_digits(today),
        }
        form = ReadingForm(initial=initial, user=request.user)
        status = 200
    return render(request, "billing/reading_new.html", {"form": form}, status=status)


@login_required
@require_POST
def settlement_close_link(request: HttpRequest, number: str) -> HttpResponse:
    try:
        req = request_get_for_user(user=request.user, number=number)
        acting = _acting(request)
        settlement_close_tenant_link(
            request=req, actor=acting["actor"], on_behalf_of=acting["on_behalf_of"]
        )
    except NotFound:
        raise Http404 from None
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "اتصال مستأجر به این اشتراک پایان یافت.")
    return redirect(reverse("requests_app:request-detail", args=[number]))


urlpatterns = [
    path("bills/readings/new/", reading_new, name="reading-new"),
    path(
        "bills/settlements/<str:number>/close-tenant-link/",
        settlement_close_link,
        name="settlement-close-link",
    ),
]
