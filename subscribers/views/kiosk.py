"""The kiosk console (/pishkhan/): find a present citizen, record an in-person identity check,
and open or end an "on behalf of" session. Every page works as the operator (the middleware
never swaps the user here) and needs an active operator record plus the staff second factor.

Lookup results live in the operator's session, not in the URL (no national code in URLs), and
a citizen page answers 404 unless that citizen came out of the operator's last lookup.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.http import client_ip
from portal.identifiers import mask_mobile, mask_national_code
from subscribers.forms_kiosk import CitizenLookupForm, ConsentCodeForm, IdentityCheckForm
from subscribers.middleware import BLOCKED_MESSAGE, KIOSK_NOTICE_KEY, ON_BEHALF_SESSION_KEY
from subscribers.models import IdentityVerification, OnBehalfSession, User
from subscribers.permissions import staff_second_factor_done
from subscribers.services.identity import identity_verify
from subscribers.services.kiosk import (
    kiosk_citizen_lookup,
    kiosk_consent_confirm,
    kiosk_consent_request,
    kiosk_operator_get,
    kiosk_session_end,
    kiosk_session_start,
)

LOOKUP_SESSION_KEY = "kiosk_lookup"
CONSENT_SESSION_KEY = "kiosk_consent"

NOTICES = {
    "expired": "مهلت نشست «به‌جای شهروند» تمام شد و نشست بسته شد.",
    "inactive": "نشست «به‌جای شهروند» بسته شد؛ دسترسی اپراتور دیگر فعال نیست.",
    "blocked": BLOCKED_MESSAGE,
}


def staff_login_url() -> str:
    try:
        return reverse("subscribers:staff-login")
    except NoReverseMatch:
        return resolve_url(settings.LOGIN_URL)


def operator_required(view):
    """Logged in, an active kiosk operator, and past the staff second factor."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        record = kiosk_operator_get(user=request.user)
        if record is None or not staff_second_factor_done(request):
            return redirect_to_login(request.get_full_path(), staff_login_url())
        request.kiosk_operator = record
        return view(request, *args, **kwargs)

    return wrapper


def _error(request: HttpRequest, exc: PortalError, form=None) -> None:
    if form is not None and exc.fields:
        for field, errors in exc.fields.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        messages.error(request, exc.message)


def _citizen_rows(ids: list[int]) -> list[dict]:
    """Only what the operator needs: never the address, bills or full identifiers."""
    citizens = (
        User.objects.filter(
            pk__in=ids, is_active=True, kind__in=[User.Kind.NATURAL, User.Kind.LEGAL]
        )
        .select_related("legal_profile")
        .annotate(verified=Exists(IdentityVerification.objects.filter(user=OuterRef("pk"))))
        .order_by("pk")
    )
    return [
        {
            "pk": citizen.pk,
            "name": citizen.display_name,
            "kind": citizen.get_kind_display(),
            "identifier": mask_national_code(citizen.national_code or citizen.legal_national_id),
            "identifier_label": "کد ملی" if citizen.national_code else "شناسه ملی",
            "mobile": mask_mobile(citizen.mobile) if citizen.mobile else "",
            "mobile_verified": bool(citizen.mobile and citizen.mobile_verified_at),
            "verified": citizen.verified,
        }
        for citizen in citizens
    ]


def _citizen_or_404(request: HttpRequest, pk: int) -> tuple[User, dict]:
    if pk not in request.session.get(LOOKUP_SESSION_KEY, []):
        raise Http404
    rows = _citizen_rows([pk])
    if not rows:
        raise Http404
    citizen = User.objects.select_related("legal_profile").get(pk=pk)
    return citizen, rows[0]


@operator_required
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest) -> HttpResponse:
    notice = request.session.pop(KIOSK_NOTICE_KEY, None)
    if notice in NOTICES:
        messages.warning(request, NOTICES[notice])
    if request.method == "POST":
        form = CitizenLookupForm(request.POST)
        if form.is_valid():
            try:
                found = kiosk_citizen_lookup(
                    operator=request.user,
                    by=form.cleaned_data["by"],
                    value=form.cleaned_data["value"],
                    client_ip=client_ip(request),
                )
            except PortalError as exc:
                _error(request, exc, form)
            else:
                request.session[LOOKUP_SESSION_KEY] = [citizen.pk for citizen in found]
                request.session.pop(CONSENT_SESSION_KEY, None)
                if not found:
                    messages.info(request, "مشترک فعالی با این شناسه پیدا نشد.")
                return redirect("subscribers:kiosk-home")
    else:
        form = CitizenLookupForm()
    ids = request.session.get(LOOKUP_SESSION_KEY, [])
    return render(
        request,
        "pishkhan/console.html",
        {
            "form": form,
            "citizens": _citizen_rows(ids) if ids else [],
            "kiosk": request.kiosk_operator.kiosk,
        },
    )


@operator_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    citizen, row = _citizen_or_404(request, pk)
    pending = request.session.get(CONSENT_SESSION_KEY) or {}
    challenge_id = pending.get("challenge") if pending.get("citizen") == pk else None
    form = ConsentCodeForm()
    if request.method == "POST":
        ip = client_ip(request)
        if request.POST.get("intent") == "send":
            try:
                challenge = kiosk_consent_request(
                    operator=request.user, citizen=citizen, client_ip=ip
                )
            except PortalError as exc:
                _error(request, exc)
            else:
                request.session[CONSENT_SESSION_KEY] = {
                    "citizen": pk,
                    "challenge": str(challenge.pk),
                }
                mobile = to_persian_digits(row["mobile"])
                messages.success(request, f"کد رضایت به تلفن همراه {mobile} فرستاده شد.")
            return redirect("subscribers:kiosk-consent", pk=pk)
        form = ConsentCodeForm(request.POST)
        if challenge_id is None:
            messages.error(request, "ابتدا کد رضایت را بفرستید.")
            return redirect("subscribers:kiosk-consent", pk=pk)
        if form.is_valid():
            try:
                session = kiosk_consent_confirm(
                    operator=request.user,
                    citizen=citizen,
                    challenge_id=challenge_id,
                    code=form.cleaned_data["code"],
                    client_ip=ip,
                )
            except PortalError as exc:
                _error(request, exc, form)
            else:
                return _enter_session(request, session)
    return render(
        request,
        "pishkhan/consent.html",
        {"citizen": row, "form": form, "code_sent": challenge_id is not None},
    )


@operator_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    citizen, row = _citizen_or_404(request, pk)
    form = IdentityCheckForm(request.POST or None, citizen=citizen)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        kiosk = request.kiosk_operator.kiosk
        try:
            verification = identity_verify(
                citizen=citizen,
                operator=request.user,
                channel=IdentityVerification.Channel.KIOSK,
                kiosk=kiosk,
                document_type=form.cleaned_data["document_type"],
                document_number=form.cleaned_data["document_number"],
                documents_seen=form.cleaned_data["documents_seen"],
                is_tenant=form.cleaned_data["is_tenant"],
                client_ip=ip,
            )
            if request.POST.get("intent") == "start":
                session = kiosk_session_start(
                    operator=request.user,
                    citizen=citizen,
                    kiosk=kiosk,
                    consent=OnBehalfSession.Consent.IN_PERSON,
                    verification=verification,
                    client_ip=ip,
                )
                return _enter_session(request, session)
        except PortalError as exc:
            _error(request, exc, form)
        else:
            messages.success(request, f"احراز هویت حضوری {row['name']} ثبت شد.")
            return redirect("subscribers:kiosk-home")
    return render(request, "pishkhan/verify.html", {"citizen": row, "form": form})


def _enter_session(request: HttpRequest, session: OnBehalfSession) -> HttpResponse:
    request.session[ON_BEHALF_SESSION_KEY] = session.pk
    request.session.pop(CONSENT_SESSION_KEY, None)
    messages.success(request, "نشست «به‌جای شهروند» آغاز شد؛ اکنون صفحه‌های مشترک را می‌بینید.")
    return redirect("portal:home")


@operator_required
@require_POST
def session_end(request: HttpRequest) -> HttpResponse:
    session_id = request.session.pop(ON_BEHALF_SESSION_KEY, None)
    session = (
        OnBehalfSession.objects.filter(pk=session_id, operator=request.user).first()
        if session_id
        else None
    )
    if session is not None:
        kiosk_session_end(session=session, actor=request.user, client_ip=client_ip(request))
        messages.success(request, "نشست «به‌جای شهروند» پایان یافت.")
    return redirect("subscribers:kiosk-home")


urlpatterns = [
    path("", console, name="kiosk-home"),
    path("citizen/<int:pk>/consent/", consent, name="kiosk-consent"),
    path("citizen/<int:pk>/verify/", verify, name="kiosk-verify"),
    path("session/end/", session_end, name="kiosk-session-end"),
]
