"""Paying a request's fees: online through the configured gateway, or cash/POS at a kiosk.

The ``Payment`` rows already exist (``workflow.request_file`` snapshots one per fee). This
module only moves a row from pending to paid, and there is exactly one way to do that:
``_mark_paid``. It runs with the request and then the payment locked — the same order
``request_cancel``/``request_reject`` take them in, so a payment racing a cancellation waits
instead of deadlocking — records the bank's reference (unique across all payments, so one
bank transaction can never pay two fees), writes the request's PAYMENT event and lets the
workflow move a request that waited for the payment on.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from requests_app.gateways import TOKEN_RE, payment_gateway
from requests_app.models import (
    Actor,
    Payment,
    RequestEvent,
    ServiceRequest,
    Status,
)
from requests_app.services import workflow
from subscribers.models import KioskOffice, User
from subscribers.services.audit import audit_record
from subscribers.services.kiosk import kiosk_operator_get

logger = logging.getLogger(__name__)

KIOSK_METHODS = (Payment.Method.KIOSK_CASH, Payment.Method.KIOSK_POS)
# A POS terminal's trace (6 digits) or retrieval reference number (12 digits).
POS_REFERENCE_RE = re.compile(r"\d{6,20}")

CANCELLED_AT_BANK = "پرداخت را در درگاه بانک لغو کردید؛ این هزینه هنوز پرداخت نشده است."
UNKNOWN_ATTEMPT = (
    "این تراکنش یافت نشد یا پیش‌تر بسته شده است و پرداختی ثبت نشد. اگر مبلغی از حساب شما "
    "کسر شده باشد، بانک حداکثر تا ۷۲ ساعت آن را بازمی‌گرداند."
)
REFERENCE_USED = "این شماره مرجع پیش‌تر برای پرداخت دیگری ثبت شده است."


def paid_message(payment: Payment) -> str:
    """The Persian confirmation shown after a fee was paid."""
    amount = to_persian_digits(f"{payment.amount:,}").replace(",", "٬")
    return (
        f"پرداخت «{payment.get_purpose_display()}» به مبلغ {amount} ریال با شماره مرجع "
        f"{to_persian_digits(payment.reference)} ثبت شد."
    )


def _payable(payment: Payment, request: ServiceRequest) -> None:
    """Refuse a fee that is not (or no longer) waiting to be paid."""
    if payment.state == Payment.State.PAID:
        raise PortalError("already_paid", "این هزینه پیش‌تر پرداخت شده است.", status_code=409)
    if payment.state == Payment.State.CANCELLED or request.is_closed:
        raise PortalError(
            "payment_closed",
            "این درخواست بسته شده و هزینه آن دیگر قابل پرداخت نیست.",
            status_code=409,
        )
    if request.status == Status.DRAFT:
        raise PortalError(
            "request_draft", "درخواست هنوز ارسال نشده است؛ پیش از پرداخت آن را ارسال کنید."
        )


def _lock(payment_id: int, request_id: int) -> tuple[ServiceRequest, Payment]:
    """Lock the request, then the payment (the workflow's order, see the module docstring)."""
    request = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("request_type", "applicant", "office")
        .get(pk=request_id)
    )
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.request = request
    return request, payment


def _mark_paid(
    *,
    request: ServiceRequest,
    payment: Payment,
    method: str,
    reference: str,
    actor: User | None,
    role: str,
    on_behalf_of: User | None = None,
    kiosk: KioskOffice | None = None,
) -> None:
    """The one way a fee becomes paid. Both rows are locked by the caller, inside ``atomic``."""
    payment.state = Payment.State.PAID
    payment.method = method
    payment.reference = reference
    payment.paid_at = timezone.now()
    payment.recorded_by = actor
    changed = ["state", "method", "reference", "paid_at", "recorded_by"]
    if kiosk is not None:
        payment.kiosk = kiosk
        changed.append("kiosk")
    try:
        with transaction.atomic():
            payment.save(update_fields=changed)
    except IntegrityError:
        # The unique reference: this bank transaction or POS slip already paid another fee.
        raise PortalError(
            "reference_used", REFERENCE_USED, fields={"reference": [REFERENCE_USED]}
        ) from None
    amount = to_persian_digits(f"{payment.amount:,}").replace(",", "٬")
    workflow.request_event_add(
        request=request,
        kind=RequestEvent.Kind.PAYMENT,
        actor=actor,
        role=role,
        on_behalf_of=on_behalf_of,
        note=f"{payment.get_purpose_display()} {amount} ریال — {payment.get_method_display()}",
    )
    try:
        # Moves a request that waited for this payment on, with its SMS (on commit).
        workflow.request_payments_changed(request=request)
    except PortalError as exc:
        # The money is real: a request in an unexpected state must not undo the payment
        # (the savepoint of request_payments_changed rolled its own part back). Staff see
        # the fee paid and move the request by hand.
        logger.error("request %s not moved after payment: %s", request.number, exc.code)


def payment_start(
    *, payment: Payment, actor: User, on_behalf_of: User | None = None, callback_url: str
) -> str:
    """Open an online payment attempt for one pending fee and return the bank page's URL.

    Preconditions: ``actor`` is the request's applicant, or an active kiosk operator acting
    ``on_behalf_of`` the applicant (anyone else: ``NotFound``); the fee is pending and the
    request submitted and not closed (``PortalError`` otherwise). Side effects: a fresh
    gateway token is saved on the payment — each attempt replaces the previous one, so a
    bank answer for an abandoned attempt is no longer accepted.
    """
    applicant = on_behalf_of or actor
    if payment.request.applicant_id != applicant.pk:
        raise NotFound()
    if on_behalf_of is not None and kiosk_operator_get(user=actor) is None:
        raise NotFound()
    gateway = payment_gateway()
    with transaction.atomic():
        request, locked = _lock(payment.pk, payment.request_id)
        _payable(locked, request)
        url = gateway.start(locked, callback_url=callback_url)
        locked.save(update_fields=["gateway_token"])
    payment.gateway_token = locked.gateway_token
    return url


def payment_callback(*, params: Mapping[str, str]) -> Payment:
    """Record the bank's answer for an attempt and return its payment.

    The answer must be authentic and fresh (``verify_callback``); its token must name a
    current attempt (else ``PortalError`` 400). A cancelled attempt leaves the fee pending
    and its token spent (the returned payment is still PENDING: show ``CANCELLED_AT_BANK``).
    A paid answer must carry the fee's exact amount and a reference no other payment used;
    then the fee is paid (one PAYMENT event, the request moved on and its SMS queued).
    The same answer arriving twice — a double redirect, a reload — returns the payment
    unchanged and records nothing; a different answer for a paid fee is refused as a replay.
    Every refusal is logged and leaves the database unchanged.
    """
    result = payment_gateway().verify_callback(params)
    with transaction.atomic():
        found = None
        if TOKEN_RE.fullmatch(result.token):
            found = Payment.objects.filter(gateway_token=result.token).first()
        if found is None:
            _refuse("callback_unknown", UNKNOWN_ATTEMPT, token=result.token)
        request, payment = _lock(found.pk, found.request_id)
        if payment.gateway_token != result.token:  # a new attempt started meanwhile
            _refuse("callback_unknown", UNKNOWN_ATTEMPT, token=result.token)
        if payment.state == Payment.State.PAID:
            if result.ok and result.reference == payment.reference:
                return payment
            _refuse(
                "callback_replayed",
                "این هزینه پیش‌تر پرداخت شده است؛ پاسخ تکراری درگاه بانک پذیرفته نشد.",
                token=result.token,
            )
        if not result.ok:
            if payment.state == Payment.State.PENDING:
                payment.gateway_token = ""  # the attempt is over; its page closes
                payment.save(update_fields=["gateway_token"])
            return payment
        if payment.state != Payment.State.PENDING or request.is_closed:
            # The request was cancelled or rejected while the citizen was at the bank.
            _refuse(
                "payment_closed",
                "این درخواست بسته شده و پرداخت ثبت نشد. اگر مبلغی از حساب شما کسر شده باشد، "
                "بانک حداکثر تا ۷۲ ساعت آن را بازمی‌گرداند.",
                token=result.token,
            )
        if result.amount != payment.amount:
            _refuse(
                "amount_mismatch",
                "مبلغ تراکنش با مبلغ این هزینه برابر نیست و پرداخت ثبت نشد. اگر مبلغی از حساب "
                "شما کسر شده باشد، بانک حداکثر تا ۷۲ ساعت آن را بازمی‌گرداند.",
                token=result.token,
            )
        try:
            _mark_paid(
                request=request,
                payment=payment,
                method=Payment.Method.GATEWAY,
                reference=result.reference,
                actor=None,
                role=Actor.SYSTEM,
            )
        except PortalError as exc:
            logger.warning("payment callback refused: %s (payment %s)", exc.code, payment.pk)
            raise
    return payment


def _refuse(code: str, message: str, *, token: str) -> None:
    # Never log the whole token: it is the capability to the bank page.
    logger.warning("payment callback refused: %s (token %s…)", code, token[:6])
    raise PortalError(code, message)


def payment_record_kiosk(
    *,
    payment: Payment,
    operator: User,
    kiosk: KioskOffice,
    method: str,
    reference: str = "",
    client_ip: str | None = None,
) -> Payment:
    """A kiosk operator records a fee the citizen paid at the counter, in cash or by POS.

    Preconditions: ``operator`` is active at ``kiosk``; the fee is pending, the request
    submitted and open; a kiosk's own charge is collected only by the kiosk that filed the
    request; ``method`` is cash or POS; a POS payment needs the terminal's trace/reference
    number (digits, Persian accepted), a cash one gets ``CASH-<kiosk>-<random>``. Refusals are
    ``PortalError`` naming the field. Side effects: the fee is paid (one PAYMENT event by the
    operator on the applicant's behalf, the request moved on with its SMS) and a
    ``kiosk.payment`` audit row is written in the same transaction.
    """
    record = kiosk_operator_get(user=operator)
    if record is None or record.kiosk_id != kiosk.pk:
        raise PortalError("forbidden", "شما اپراتور فعال این دفتر پیشخوان نیستید.", status_code=403)
    if method not in KIOSK_METHODS:
        raise PortalError(
            "invalid_method",
            "روش پرداخت را انتخاب کنید.",
            fields={"method": ["روش پرداخت باید «نقدی» یا «کارتخوان» باشد."]},
        )
    if method == Payment.Method.KIOSK_POS:
        digits = normalize_digits(str(reference or "")).strip().replace(" ", "")
        if not POS_REFERENCE_RE.fullmatch(digits):
            message = "شماره پیگیری کارتخوان را وارد کنید (۶ تا ۲۰ رقم)."
            raise PortalError("invalid_reference", message, fields={"reference": [message]})
        # Trace numbers are unique per terminal only: scope them to the kiosk, so one slip is
        # refused the second time without two kiosks' slips colliding.
        reference = f"POS-{kiosk.code}-{digits}"
    else:
        reference = f"CASH-{kiosk.code}-{secrets.randbelow(10**10):010d}"
    with transaction.atomic():
        request, locked = _lock(payment.pk, payment.request_id)
        _payable(locked, request)
        if locked.purpose == Payment.Purpose.KIOSK_CHARGE and locked.kiosk_id != kiosk.pk:
            raise PortalError(
                "other_kiosk",
                "کارمزد دفتر پیشخوان فقط در همان دفتری که درخواست را ثبت کرده دریافت می‌شود.",
            )
        _mark_paid(
            request=request,
            payment=locked,
            method=method,
            reference=reference,
            actor=operator,
            role=Actor.APPLICANT,
            on_behalf_of=request.applicant,
            kiosk=kiosk,
        )
        audit_record(
            actor=operator,
            action="kiosk.payment",
            obj=locked,
            on_behalf_of=request.applicant,
            kiosk=kiosk,
            ip=client_ip,
            details={
                "request": request.number,
                "purpose": locked.purpose,
                "amount": locked.amount,
                "method": method,
                "reference": reference,
            },
        )
    return locked
