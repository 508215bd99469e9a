"""Fee payment: starting an online payment, the sandbox bank, the bank's callback, kiosk
cash/POS and the printable receipt (work package: payments).

Requests are loaded through ``request_get_for_user``, so a request or fee that is not the
user's answers 404 like one that does not exist. During a kiosk on-behalf session
``request.user`` is the citizen and the operator acts for them (``request.operator``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.errors import NotFound, PortalError
from portal.http import client_ip
from requests_app.gateways import SandboxGateway, payment_gateway
from requests_app.models import Payment, ServiceRequest
from requests_app.selectors.requests import request_get_for_user
from requests_app.services.payments import (
    CANCELLED_AT_BANK,
    paid_message,
    payment_callback,
    payment_record_kiosk,
    payment_start,
)


def _request_and_payment(
    request: HttpRequest, number: str, payment_id: int
) -> tuple[ServiceRequest, Payment]:
    try:
        req = request_get_for_user(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    for payment in req.payments.all():  # prefetched by the selector
        if payment.pk == payment_id:
            payment.request = req
            return req, payment
    raise Http404


def _detail(number: str) -> str:
    return reverse("requests_app:request-detail", args=[number])


def _kiosk_session(request: HttpRequest):
    return getattr(request, "kiosk_session", None)


@login_required
@require_POST
def pay(request: HttpRequest, number: str, payment_id: int) -> HttpResponse:
    req, payment = _request_and_payment(request, number, payment_id)
    on_behalf = _kiosk_session(request) is not None
    try:
        url = payment_start(
            payment=payment,
            actor=request.operator if on_behalf else request.user,
            on_behalf_of=request.user if on_behalf else None,
            callback_url=request.build_absolute_uri(reverse("requests_app:payment-callback")),
        )
    except NotFound:
        raise Http404 from None
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect(_detail(req.number))
    return redirect(url)


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_bank(request: HttpRequest, token: str) -> HttpResponse:
    """The simulated bank page. The token is the capability: no login, nothing personal."""
    gateway = payment_gateway()
    if not isinstance(gateway, SandboxGateway):
        raise Http404  # a real bank is configured: the simulation is switched off
    try:
        payment = gateway.attempt_get(token=token)
        if request.method == "POST":
            url = gateway.decide(
                token=token,
                pay=request.POST.get("action") == "pay",
                back=request.POST.get("back", ""),
            )
            return redirect(url)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "requests_app/payments/sandbox_bank.html",
        {
            "payment": payment,
            "merchant": payment.request.company.name,
            "gateway": gateway,
            "back": request.GET.get("back", ""),
        },
    )


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Where the bank sends the browser back. Refusals are a Persian page, status 400."""
    try:
        payment = payment_callback(params=request.GET)
    except PortalError as exc:
        return render(
            request,
            "requests_app/payments/callback_error.html",
            {"message": exc.message},
            status=400,
        )
    if payment.state == Payment.State.PAID:
        messages.success(request, paid_message(payment))
    else:
        messages.warning(request, CANCELLED_AT_BANK)
    return redirect(_detail(payment.request.number))


@login_required
@require_POST
def kiosk_record(request: HttpRequest, number: str, payment_id: int) -> HttpResponse:
    kiosk_session = _kiosk_session(request)
    if kiosk_session is None:
        raise Http404  # only an operator in an on-behalf session records counter payments
    req, payment = _request_and_payment(request, number, payment_id)
    try:
        payment = payment_record_kiosk(
            payment=payment,
            operator=request.operator,
            kiosk=kiosk_session.kiosk,
            method=request.POST.get("method", ""),
            reference=request.POST.get("reference", ""),
            client_ip=client_ip(request),
        )
    except NotFound:
        raise Http404 from None
    except PortalError as exc:
        errors = [message for values in exc.fields.values() for message in values]
        messages.error(request, " ".join(errors) or exc.message)
        return redirect(_detail(req.number))
    messages.success(request, paid_message(payment))
    return redirect("requests_app:payment-receipt", req.number, payment.pk)


@login_required
@require_GET
def receipt(request: HttpRequest, number: str, payment_id: int) -> HttpResponse:
    req, payment = _request_and_payment(request, number, payment_id)
    if payment.state != Payment.State.PAID:
        raise Http404
    return render(
        request,
        "requests_app/payments/receipt.html",
        {"req": req, "payment": payment, "kiosk": payment.kiosk if payment.kiosk_id else None},
    )


urlpatterns = [
    path("requests/<str:number>/payments/<int:payment_id>/pay/", pay, name="payment-start"),
    path(
        "requests/<str:number>/payments/<int:payment_id>/kiosk/",
        kiosk_record,
        name="payment-kiosk",
    ),
    path(
        "requests/<str:number>/payments/<int:payment_id>/receipt/",
        receipt,
        name="payment-receipt",
    ),
    path("payments/sandbox/<str:token>/", sandbox_bank, name="sandbox-bank"),
    path("payments/callback/", callback, name="payment-callback"),
]
