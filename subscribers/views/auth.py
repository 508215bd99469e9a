"""Account pages: register, verify code, login (password | SMS code), password reset,
«حساب من» with mobile change, logout, and the two-step staff/operator login.

GET shows, POST calls a service from :mod:`subscribers.services.accounts`; a ``PortalError``
re-renders the form with the error on its field and as a message; success redirects. The
challenge a page waits for lives in the session (never in the URL: codes and challenge ids
stay out of logs).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.http import client_ip
from subscribers.forms_auth import (
    CodeForm,
    LegalRegisterForm,
    MobileChangeForm,
    NaturalRegisterForm,
    OtpLoginForm,
    PasswordLoginForm,
    ResetConfirmForm,
    ResetStartForm,
    StaffLoginForm,
)
from subscribers.models import OtpPurpose, User
from subscribers.services import accounts as svc

PENDING = "auth_pending"  # {"challenge_id", "purpose", "masked", "sent_at", "next"}
STAFF_PENDING = "staff_login_pending"  # {"username", "challenge_id", "masked", "next"}


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _fail(request: HttpRequest, form: Any, error: PortalError) -> None:
    form.apply_error(error)
    messages.error(request, error.message)


def _remember(request: HttpRequest, started: Any, purpose: str, next_url: str = "") -> None:
    request.session[PENDING] = {
        "challenge_id": str(started.challenge_id),
        "purpose": purpose,
        "masked": started.masked_mobile,
        "sent_at": int(time.time()),
        "next": next_url,
    }


def _pending(request: HttpRequest, *purposes: str) -> dict | None:
    pending = request.session.get(PENDING)
    if pending and pending.get("purpose") in purposes:
        return pending
    return None


def _code_context(pending: dict) -> dict[str, Any]:
    left = max(0, pending["sent_at"] + 300 - int(time.time()))
    return {
        "masked_mobile": pending["masked"],
        "seconds_left": left,
        "minutes_left": to_persian_digits(max(1, -(-left // 60))) if left else "۰",
    }


# --- registration ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind") or request.GET.get("kind") or User.Kind.NATURAL
    if kind not in (User.Kind.NATURAL, User.Kind.LEGAL):
        kind = User.Kind.NATURAL
    data = request.POST if request.method == "POST" else None
    natural = NaturalRegisterForm(data if kind == "natural" else None, prefix="n")
    legal = LegalRegisterForm(data if kind == "legal" else None, prefix="l")
    form = natural if kind == "natural" else legal
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("password2")
            data["client_ip"] = client_ip(request)
            try:
                if kind == "natural":
                    user, issued = svc.account_register_natural(**data)
                else:
                    data["username"] = data.get("username") or None
                    user, issued = svc.account_register_legal(**data)
            except PortalError as exc:
                _fail(request, form, exc)
            else:
                _remember(request, svc.otp_started(issued), OtpPurpose.REGISTER)
                messages.success(
                    request,
                    f"حساب با نام کاربری «{user.username}» ساخته شد؛ کد تایید پیامک شد.",
                )
                return redirect("subscribers:verify")
        else:
            messages.error(request, "اطلاعات فرم کامل یا درست نیست؛ خطای هر فیلد را ببینید.")
    return render(
        request,
        "subscribers/auth/register.html",
        {"kind": kind, "natural_form": natural, "legal_form": legal},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code page of registration and of the SMS login."""
    pending = _pending(request, OtpPurpose.REGISTER, OtpPurpose.LOGIN)
    if pending is None:
        messages.info(request, "ابتدا ثبت‌نام کنید یا درخواست کد ورود بدهید.")
        return redirect("subscribers:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if pending["purpose"] == OtpPurpose.REGISTER:
                user = svc.account_activate(challenge_id=pending["challenge_id"], code=code)
                request.session.pop(PENDING, None)
                # The code proved the mobile and the password was just chosen: log in.
                login(request, user, backend=svc.BACKEND)
                messages.success(request, "تلفن همراه تأیید و حساب شما فعال شد.")
                return redirect("subscribers:account")
            svc.account_login_otp_finish(
                request=request, challenge_id=pending["challenge_id"], code=code
            )
            request.session.pop(PENDING, None)
            messages.success(request, "خوش آمدید؛ وارد شدید.")
            return HttpResponseRedirect(pending.get("next") or reverse("subscribers:account"))
        except PortalError as exc:
            _fail(request, form, exc)
    elif request.method == "POST":
        messages.error(request, "کد تایید را درست وارد کنید.")
    return render(
        request,
        "subscribers/auth/verify.html",
        {
            "form": form,
            "purpose": pending["purpose"],
            "resend_url": reverse("subscribers:verify-resend"),
            **_code_context(pending),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def verify_resend(request: HttpRequest) -> HttpResponse:
    """Send the pending code again; the OTP limits (3 per 10 minutes…) apply."""
    pending = request.session.get(PENDING)
    back = request.POST.get("back") or ""
    target = back if back in ("password-reset-confirm", "mobile-change-verify") else "verify"
    if not pending:
        return redirect("subscribers:login")
    try:
        started = svc.account_otp_resend(
            challenge_id=pending["challenge_id"], client_ip=client_ip(request)
        )
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        _remember(request, started, pending["purpose"], pending.get("next", ""))
        messages.success(request, "کد تازه پیامک شد.")
    return redirect(f"subscribers:{target}")


# --- login / logout --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    method = request.POST.get("method") or request.GET.get("tab") or "password"
    next_url = _safe_next(request, "")
    data = request.POST if request.method == "POST" else None
    password_form = PasswordLoginForm(data if method == "password" else None)
    otp_form = OtpLoginForm(data if method == "otp" else None, prefix="otp")
    if request.method == "POST":
        ip = client_ip(request)
        if method == "password" and password_form.is_valid():
            try:
                svc.account_login_password(
                    request=request,
                    username=password_form.cleaned_data["username"],
                    password=password_form.cleaned_data["password"],
                    client_ip=ip,
                )
            except PortalError as exc:
                _fail(request, password_form, exc)
            else:
                messages.success(request, "خوش آمدید؛ وارد شدید.")
                return HttpResponseRedirect(next_url or reverse("subscribers:account"))
        elif method == "otp" and otp_form.is_valid():
            try:
                started = svc.account_login_otp_start(
                    username_or_mobile=otp_form.cleaned_data["username_or_mobile"], client_ip=ip
                )
            except PortalError as exc:
                _fail(request, otp_form, exc)
            else:
                _remember(request, started, OtpPurpose.LOGIN, next_url)
                messages.info(
                    request, "اگر حسابی با این مشخصات باشد، کد ورود به تلفن همراه آن پیامک شد."
                )
                return redirect("subscribers:verify")
        else:
            messages.error(request, "فرم ورود را کامل کنید.")
    return render(
        request,
        "subscribers/auth/login.html",
        {
            "tab": "otp" if method == "otp" else "password",
            "password_form": password_form,
            "otp_form": otp_form,
            "next": next_url,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    svc.account_logout(request=request)
    messages.success(request, "از سامانه خارج شدید.")
    return redirect("portal:home")


# --- password reset ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = ResetStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = svc.account_password_reset_start(
                username=form.cleaned_data["username"], client_ip=client_ip(request)
            )
        except PortalError as exc:
            _fail(request, form, exc)
        else:
            _remember(request, started, OtpPurpose.RESET)
            messages.info(
                request, "اگر حسابی با این مشخصات باشد، کد بازیابی به تلفن همراه آن پیامک شد."
            )
            return redirect("subscribers:password-reset-confirm")
    return render(request, "subscribers/auth/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    pending = _pending(request, OtpPurpose.RESET)
    if pending is None:
        return redirect("subscribers:password-reset")
    form = ResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.account_password_reset_finish(
                challenge_id=pending["challenge_id"],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                ip=client_ip(request),
            )
        except PortalError as exc:
            _fail(request, form, exc)
        else:
            request.session.pop(PENDING, None)
            messages.success(request, "رمز عبور تازه ثبت شد؛ با آن وارد شوید.")
            return redirect("subscribers:login")
    return render(
        request,
        "subscribers/auth/password_reset_confirm.html",
        {"form": form, **_code_context(pending)},
    )


# --- «حساب من» ------------------------------------------------------------------------------


def _login_redirect(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('subscribers:login')}?{urlencode({'next': request.path})}")


@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    user = (
        User.objects.select_related("natural_profile", "legal_profile")
        .filter(pk=request.user.pk)
        .first()
    )
    return render(
        request,
        "subscribers/auth/account.html",
        {
            "account": user,
            "profile": getattr(user, "natural_profile", None),
            "legal": getattr(user, "legal_profile", None),
            "masked_code": svc.masked_national_code(user),
            "mobile_form": MobileChangeForm(),
        },
    )


@require_POST
def mobile_change(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    form = MobileChangeForm(request.POST)
    if form.is_valid():
        try:
            started = svc.account_mobile_change_start(
                user=request.user,
                password=form.cleaned_data["password"],
                new_mobile=form.cleaned_data["new_mobile"],
                client_ip=client_ip(request),
            )
        except PortalError as exc:
            _fail(request, form, exc)
        else:
            _remember(request, started, OtpPurpose.MOBILE_CHANGE)
            messages.info(request, "کد تایید به شماره جدید پیامک شد.")
            return redirect("subscribers:mobile-change-verify")
    else:
        messages.error(request, "فرم تغییر تلفن همراه را درست پر کنید.")
    user = request.user
    return render(
        request,
        "subscribers/auth/account.html",
        {
            "account": user,
            "profile": getattr(user, "natural_profile", None),
            "legal": getattr(user, "legal_profile", None),
            "masked_code": svc.masked_national_code(user),
            "mobile_form": form,
        },
        status=400,
    )


@require_http_methods(["GET", "POST"])
def mobile_change_verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    pending = _pending(request, OtpPurpose.MOBILE_CHANGE)
    if pending is None:
        return redirect("subscribers:account")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.account_mobile_change_finish(
                request=request,
                challenge_id=pending["challenge_id"],
                code=form.cleaned_data["code"],
            )
        except PortalError as exc:
            _fail(request, form, exc)
        else:
            request.session.pop(PENDING, None)
            messages.success(request, "تلفن همراه تغییر کرد؛ نشست‌های دیگر شما بسته شد.")
            return redirect("subscribers:account")
    return render(
        request,
        "subscribers/auth/verify.html",
        {
            "form": form,
            "purpose": OtpPurpose.MOBILE_CHANGE,
            "resend_back": "mobile-change-verify",
            "resend_url": reverse("subscribers:verify-resend"),
            **_code_context(pending),
        },
    )


# --- staff and kiosk operators ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    """Two steps on one URL: password, then the SMS code (second factor)."""
    next_url = _safe_next(request, reverse("admin:index"))
    pending = request.session.get(STAFF_PENDING)
    if request.GET.get("restart") or (request.method == "GET" and not pending):
        request.session.pop(STAFF_PENDING, None)
        pending = None
    step = 2 if pending else 1
    ip = client_ip(request)
    data = request.POST or None
    form: Any = CodeForm(data) if step == 2 else StaffLoginForm(data)
    if request.method == "POST" and form.is_valid():
        try:
            if step == 1:
                user, started = svc.staff_login_start(
                    request=request,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    client_ip=ip,
                )
                request.session[STAFF_PENDING] = {
                    "username": user.username,
                    "challenge_id": str(started.challenge_id),
                    "masked": started.masked_mobile,
                    "sent_at": int(time.time()),
                    "next": next_url,
                }
                messages.info(request, "رمز درست بود؛ کد تایید به تلفن همراه شما پیامک شد.")
                return redirect(
                    f"{reverse('subscribers:staff-login')}?{urlencode({'next': next_url})}"
                )
            svc.staff_login_finish(
                request=request,
                username=pending["username"],
                challenge_id=pending["challenge_id"],
                code=form.cleaned_data["code"],
                client_ip=ip,
            )
            request.session.pop(STAFF_PENDING, None)
            messages.success(request, "ورود دومرحله‌ای کامل شد.")
            return HttpResponseRedirect(pending.get("next") or next_url)
        except PortalError as exc:
            _fail(request, form, exc)
    elif request.method == "POST":
        messages.error(request, "فرم ورود را کامل کنید.")
    context: dict[str, Any] = {"form": form, "step": step, "next": next_url}
    if pending:
        context.update(_code_context(pending))
    context["show_outbox_hint"] = settings.DEBUG
    return render(
        request,
        "subscribers/auth/staff_login.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("register/", register, name="register"),
    path("verify/", verify, name="verify"),
    path("verify/resend/", verify_resend, name="verify-resend"),
    path("login/", login_view, name="login"),
    path("logout/", logout_view, name="logout"),
    path("password/reset/", password_reset, name="password-reset"),
    path("password/reset/confirm/", password_reset_confirm, name="password-reset-confirm"),
    path("account/", account, name="account"),
    path("account/mobile/", mobile_change, name="mobile-change"),
    path("account/mobile/verify/", mobile_change_verify, name="mobile-change-verify"),
    path("staff/login/", staff_login, name="staff-login"),
]
