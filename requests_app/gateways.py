"""Payment gateways: the interface a bank (Shaparak PSP) plugs into, and the sandbox bank.

A gateway does two things for ``requests_app.services.payments``: ``start`` opens an attempt
for one fee and returns the bank page to send the citizen to, and ``verify_callback`` checks
the bank's answer when the citizen's browser comes back. Everything else — which fee, who may
pay, recording the payment exactly once — stays in the service, so a real PSP is one class
named in ``settings.PAYMENT_GATEWAY`` (default: the sandbox below).

The sandbox bank lives inside the portal (``payments/sandbox/<token>/``) and simulates what a
PSP does: it shows the amount, lets the citizen pay or cancel, and sends the browser back with
parameters signed by HMAC-SHA256 under a key derived from ``SECRET_KEY``. Nothing is charged.
"""

from __future__ import annotations

import re
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from portal.errors import NotFound, PortalError

if TYPE_CHECKING:
    from requests_app.models import Payment

DEFAULT_GATEWAY = "requests_app.gateways.SandboxGateway"
# What ``secrets.token_urlsafe`` produces; anything else in a URL is not a token of ours.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")

CALLBACK_INVALID = (
    "پاسخ درگاه بانک معتبر نیست و پرداخت ثبت نشد. اگر مبلغی از حساب شما کسر شده باشد، "
    "بانک حداکثر تا ۷۲ ساعت آن را بازمی‌گرداند."
)
CALLBACK_EXPIRED = (
    "مهلت پاسخ درگاه بانک گذشته است و پرداخت ثبت نشد؛ دوباره از صفحه درخواست پرداخت کنید. "
    "اگر مبلغی از حساب شما کسر شده باشد، بانک حداکثر تا ۷۲ ساعت آن را بازمی‌گرداند."
)


@dataclass(frozen=True)
class CallbackResult:
    """A verified answer of the bank: ``ok`` is False when the citizen cancelled."""

    token: str
    ok: bool
    reference: str
    amount: int


class PaymentGateway(ABC):
    """What the payment service needs from a bank."""

    @abstractmethod
    def start(self, payment: Payment, *, callback_url: str) -> str:
        """Open an attempt for ``payment``: set a fresh ``payment.gateway_token`` (the caller
        saves it) and return the URL of the bank page. ``callback_url`` is where the bank
        sends the browser back."""

    @abstractmethod
    def verify_callback(self, params: Mapping[str, str]) -> CallbackResult:
        """Check the bank's answer; raise ``PortalError`` when it is not authentic or too old."""


def payment_gateway() -> PaymentGateway:
    """The configured gateway (``settings.PAYMENT_GATEWAY``, a dotted path)."""
    return import_string(getattr(settings, "PAYMENT_GATEWAY", DEFAULT_GATEWAY))()


class SandboxGateway(PaymentGateway):
    """The simulated bank. Tokens are random per attempt; callbacks carry
    ``token, status, reference, amount, ts, sig`` where ``sig`` signs the other five."""

    KEY_SALT = "requests_app.sandbox-bank"
    RETURN_SALT = "requests_app.sandbox-bank.return"
    # A callback is refused once older than this (a replayed old answer) or from the future.
    REPLAY_WINDOW = 15 * 60
    CLOCK_SKEW = 60
    PAID, CANCELLED = "paid", "cancelled"
    MERCHANT = "سامانه خدمات غیرحضوری (پذیرنده آزمایشی)"

    # --- the bank's side ---------------------------------------------------------------

    def start(self, payment: Payment, *, callback_url: str) -> str:
        payment.gateway_token = secrets.token_urlsafe(32)
        # The bank page sends the browser back to ``callback_url``; it travels signed so the
        # page can never be turned into an open redirect.
        back = signing.dumps(callback_url, salt=self.RETURN_SALT)
        url = reverse("requests_app:sandbox-bank", args=[payment.gateway_token])
        return f"{url}?{urlencode({'back': back})}"

    def attempt_get(self, *, token: str) -> Payment:
        """The unpaid fee an open attempt is for (the bank page); ``NotFound`` otherwise."""
        from requests_app.models import Payment

        payment = None
        if TOKEN_RE.fullmatch(token or ""):
            payment = (
                Payment.objects.select_related("request__company")
                .filter(gateway_token=token, state=Payment.State.PENDING)
                .first()
            )
        if payment is None:
            raise NotFound("این تراکنش یافت نشد یا پیش‌تر بسته شده است.")
        return payment

    def decide(self, *, token: str, pay: bool, back: str) -> str:
        """The citizen pressed «پرداخت» (``pay``) or «انصراف»: the signed callback URL."""
        payment = self.attempt_get(token=token)
        try:
            callback_url = signing.loads(back, salt=self.RETURN_SALT)
        except signing.BadSignature:
            raise NotFound() from None
        params = self.callback_params(
            token=token,
            status=self.PAID if pay else self.CANCELLED,
            # Shaparak's retrieval reference number is twelve digits.
            reference=f"{secrets.randbelow(10**12):012d}" if pay else "",
            amount=payment.amount,
        )
        separator = "&" if "?" in callback_url else "?"
        return f"{callback_url}{separator}{urlencode(params)}"

    def callback_params(
        self, *, token: str, status: str, reference: str, amount: int, timestamp: int | None = None
    ) -> dict[str, str]:
        values = {
            "token": token,
            "status": status,
            "reference": reference,
            "amount": str(amount),
            "ts": str(int(time.time()) if timestamp is None else timestamp),
        }
        return {**values, "sig": self._sign(values)}

    def _sign(self, values: Mapping[str, str]) -> str:
        message = "|".join(
            values.get(name, "") for name in ("token", "status", "reference", "amount", "ts")
        )
        return salted_hmac(self.KEY_SALT, message, algorithm="sha256").hexdigest()

    # --- the portal's side -------------------------------------------------------------

    def verify_callback(self, params: Mapping[str, str]) -> CallbackResult:
        values = {
            name: str(params.get(name) or "")
            for name in ("token", "status", "reference", "amount", "ts", "sig")
        }
        if not constant_time_compare(values["sig"], self._sign(values)):
            raise PortalError("callback_invalid", CALLBACK_INVALID)
        # Signed by us, so well-formed unless the key leaked; checked anyway, never a 500.
        if (
            not values["token"]
            or values["status"] not in (self.PAID, self.CANCELLED)
            or not values["amount"].isdigit()
            or not values["ts"].isdigit()
            or (values["status"] == self.PAID and not values["reference"])
        ):
            raise PortalError("callback_invalid", CALLBACK_INVALID)
        age = time.time() - int(values["ts"])
        if age > self.REPLAY_WINDOW or age < -self.CLOCK_SKEW:
            raise PortalError("callback_expired", CALLBACK_EXPIRED)
        return CallbackResult(
            token=values["token"],
            ok=values["status"] == self.PAID,
            reference=values["reference"],
            amount=int(values["amount"]),
        )
