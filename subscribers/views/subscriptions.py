"""«اشتراک‌های من»: list, detail, link (with the OTP step), unlink, and organisations'
aggregated-access request. GET shows; POST calls a service, then redirects with a message.
Everything a user reaches goes through ``subscriptions_for_user``, so a subscription that is
not theirs answers 404 exactly like one that does not exist."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.http import client_ip
from subscribers.forms_subscriptions import LinkConfirmForm, LinkForm, OrganisationAccessForm
from subscribers.models import User
from subscribers.selectors.subscriptions import (
    organisation_accesses_for_user,
    subscription_get_for_user,
    subscriptions_for_user,
)
from subscribers.services.organisations import MIN_SUBSCRIPTIONS, organisation_access_request
from subscribers.services.subscriptions import (
    subscription_link_confirm,
    subscription_link_start,
    subscription_unlink,
)

SESSION_KEY = "subscription_link_challenge"


def _show_error(request: HttpRequest, form: forms.Form, exc: PortalError) -> None:
    """Put a service's field errors on the form; anything else becomes a message."""
    placed = False
    for name, errors in (exc.fields or {}).items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        messages.error(request, exc.message)


@login_required
@require_http_methods(["GET"])
def subscription_list(request: HttpRequest) -> HttpResponse:
    subscriptions = subscriptions_for_user(user=request.user).order_by(
        "company__name", "subscription_number"
    )
    return render(
        request,
        "subscribers/subscriptions/list.html",
        {
            "subscriptions": subscriptions,
            "is_legal": request.user.kind == User.Kind.LEGAL,
        },
    )


@login_required
@require_http_methods(["GET"])
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = subscription_get_for_user(user=request.user, subscription_id=pk)
    return render(request, "subscribers/subscriptions/detail.html", {"subscription": subscription})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_link(request: HttpRequest) -> HttpResponse:
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            started = subscription_link_start(
                user=request.user,
                bill_id=data["bill_id"],
                role=data["role"],
                lease_end=data.get("lease_end"),
                client_ip=client_ip(request),
            )
        except PortalError as exc:
            _show_error(request, form, exc)
        else:
            if started.link is not None:
                messages.success(
                    request, "کد ملی شما با دارنده اشتراک یکی بود؛ اشتراک به حساب شما متصل شد."
                )
                return redirect("subscribers:subscription_detail", pk=started.link.subscription_id)
            request.session[SESSION_KEY] = {
                "challenge_id": str(started.challenge_id),
                "masked_mobile": started.masked_mobile,
            }
            messages.info(
                request,
                "کد تایید به تلفن همراه ثبت‌شده اشتراک "
                f"({to_persian_digits(started.masked_mobile)}) پیامک شد.",
            )
            return redirect("subscribers:subscription_link_confirm")
    return render(request, "subscribers/subscriptions/link.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_link_confirm_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(SESSION_KEY)
    if not pending:
        messages.info(request, "ابتدا شناسه قبض را وارد کنید.")
        return redirect("subscribers:subscription_link")
    form = LinkConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = subscription_link_confirm(
                user=request.user,
                challenge_id=pending["challenge_id"],
                code=form.cleaned_data["code"],
            )
        except PortalError as exc:
            _show_error(request, form, exc)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, "اشتراک به حساب شما متصل شد.")
            return redirect("subscribers:subscription_detail", pk=link.subscription_id)
    return render(
        request,
        "subscribers/subscriptions/link_confirm.html",
        {"form": form, "masked_mobile": pending["masked_mobile"]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscription_unlink_view(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = subscription_get_for_user(user=request.user, subscription_id=pk)
    if request.method == "POST":
        try:
            subscription_unlink(user=request.user, subscription_id=subscription.pk)
        except PortalError as exc:
            messages.error(request, exc.message)
            return redirect("subscribers:subscription_detail", pk=subscription.pk)
        messages.success(request, "اتصال اشتراک از حساب شما برداشته شد.")
        return redirect("subscribers:subscription_list")
    return render(request, "subscribers/subscriptions/unlink.html", {"subscription": subscription})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_access(request: HttpRequest) -> HttpResponse:
    if request.user.kind != User.Kind.LEGAL:
        messages.info(request, "دسترسی تجمیعی فقط برای حساب‌های اشخاص حقوقی است.")
        return redirect("subscribers:subscription_list")
    form = OrganisationAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_access_request(
                organisation=request.user,
                representative_national_code=form.cleaned_data["representative_national_code"],
                introduction_letter=form.cleaned_data["introduction_letter"],
            )
        except PortalError as exc:
            _show_error(request, form, exc)
        else:
            messages.success(
                request, "درخواست ثبت شد؛ پس از تأیید امور مشترکین، نماینده همه اشتراک‌ها را می‌بیند."
            )
            return redirect("subscribers:organisation_access")
    return render(
        request,
        "subscribers/subscriptions/organisation_access.html",
        {
            "form": form,
            "accesses": organisation_accesses_for_user(user=request.user),
            "min_subscriptions": MIN_SUBSCRIPTIONS,
        },
    )


urlpatterns = [
    path("subscriptions/", subscription_list, name="subscription_list"),
    path("subscriptions/link/", subscription_link, name="subscription_link"),
    path(
        "subscriptions/link/confirm/",
        subscription_link_confirm_view,
        name="subscription_link_confirm",
    ),
    path("subscriptions/<int:pk>/", subscription_detail, name="subscription_detail"),
    path("subscriptions/<int:pk>/unlink/", subscription_unlink_view, name="subscription_unlink"),
    path("subscriptions/organisation-access/", organisation_access, name="organisation_access"),
]
