"""One-time codes: issue, verify, and the limits around them.

Rules (TARGETS.md, ASVS 2.4.1 / 6.5, NIST 800-63B): six digits from ``secrets``, stored only
as an HMAC bound to the challenge and its purpose, valid five minutes, single use; a challenge
dies after five wrong codes. Sends are limited per mobile (3 per 10 minutes, 10 per 24 hours)
and per client IP (20 per hour); ten wrong codes for one mobile within 24 hours lock that
mobile for an hour. Every counter is a row in the database, so the limits hold when Redis is
down, and a refused send creates neither a challenge nor an SMS.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from notifications.services import sms_enqueue_otp
from portal.digits import normalize_digits, to_persian_digits
from portal.errors import PortalError, RateLimited
from portal.identifiers import InvalidIdentifier, clean_mobile
from subscribers.models import OtpChallenge, OtpFailure, OtpPurpose, User

OTP_TTL = timedelta(minutes=5)
MAX_WRONG_PER_CHALLENGE = 5
# (window, most sends allowed in it)
MOBILE_SEND_LIMITS = ((timedelta(minutes=10), 3), (timedelta(hours=24), 10))
IP_SEND_LIMIT = (timedelta(hours=1), 20)
FAILURE_LIMIT = (timedelta(hours=24), 10)
FAILURE_LOCK = timedelta(hours=1)

INVALID_CODE = "کد تایید درست نیست."


@dataclass(frozen=True)
class IssuedOtp:
    challenge: OtpChallenge
    expires_in: int  # seconds


def _hash(challenge_id: UUID, purpose: str, code: str) -> str:
    return salted_hmac(
        f"portal.otp.{purpose}", f"{challenge_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _wait_message(seconds: float, what: str) -> str:
    minutes = max(1, int(-(-seconds // 60)))
    return f"{what} {to_persian_digits(minutes)} دقیقه دیگر دوباره تلاش کنید."


def _serialise_on(mobile: str) -> None:
    """Two requests for one mobile at once must not both pass the count: on PostgreSQL an
    advisory lock held until commit serialises them (SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(
            hashlib.sha256(f"otp:{mobile}".encode()).digest()[:8], "big", signed=True
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def mobile_locked_for(mobile: str, *, now: datetime | None = None) -> float:
    """Seconds until this mobile may use codes again after too many wrong ones (0 = free)."""
    now = now or timezone.now()
    window, limit = FAILURE_LIMIT
    recent = OtpFailure.objects.filter(mobile=mobile, created_at__gt=now - window)
    if recent.count() < limit:
        return 0
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    return max(0.0, (last + FAILURE_LOCK - now).total_seconds())


def _check_send_limits(mobile: str, client_ip: str | None, now: datetime) -> None:
    locked = mobile_locked_for(mobile, now=now)
    if locked:
        raise RateLimited(
            _wait_message(locked, "به‌خاطر کدهای نادرست پی‌درپی، این شماره موقتاً مسدود است؛"),
            retry_after=int(locked) + 1,
        )
    for window, limit in MOBILE_SEND_LIMITS:
        sent = OtpChallenge.objects.filter(mobile=mobile, created_at__gt=now - window)
        times = list(sent.order_by("created_at").values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            wait = (times[0] + window - now).total_seconds()
            raise RateLimited(
                _wait_message(wait, "برای این شماره به اندازه کافی کد ارسال شده است؛"),
                retry_after=int(wait) + 1,
            )
    if client_ip:
        window, limit = IP_SEND_LIMIT
        sent = OtpChallenge.objects.filter(client_ip=client_ip, created_at__gt=now - window)
        times = list(sent.order_by("created_at").values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            wait = (times[0] + window - now).total_seconds()
            raise RateLimited(
                _wait_message(wait, "از این نشانی درخواست کد بیش از حد مجاز بوده است؛"),
                retry_after=int(wait) + 1,
            )


def otp_issue(
    *,
    mobile: str,
    purpose: str,
    client_ip: str | None,
    user: User | None = None,
    payload: dict[str, Any] | None = None,
) -> IssuedOtp:
    """Create a challenge and queue its SMS, or refuse with HTTP 429 and create nothing.

    The SMS goes through the notifications outbox (Kavenegar ``verify_lookup`` in
    production, the console in development) after the surrounding transaction commits.
    Raises ``PortalError`` (field ``mobile``) for a malformed number, ``RateLimited`` over
    any limit.
    """
    try:
        mobile = clean_mobile(mobile)
    except InvalidIdentifier as exc:
        raise PortalError(
            "invalid", f"تلفن همراه: {exc.message}", fields={"mobile": [exc.message]}
        ) from None
    if purpose not in OtpPurpose.values:
        raise PortalError("invalid", "منظور کد تایید معتبر نیست.", fields={"purpose": ["نامعتبر"]})
    now = timezone.now()
    with transaction.atomic():
        _serialise_on(mobile)
        _check_send_limits(mobile, client_ip, now)
        code = f"{secrets.randbelow(10**6):06d}"
        challenge = OtpChallenge(
            mobile=mobile,
            purpose=purpose,
            user=user,
            payload=payload or {},
            client_ip=client_ip,
            expires_at=now + OTP_TTL,
        )
        challenge.code_hash = _hash(challenge.id, purpose, code)
        challenge.save()
        sms_enqueue_otp(recipient=mobile, code=code, idempotency_key=f"otp:{challenge.id}")
    return IssuedOtp(challenge=challenge, expires_in=int(OTP_TTL.total_seconds()))


def otp_verify(*, challenge_id: UUID | str, code: str, purpose: str) -> OtpChallenge:
    """Check a code against its challenge and spend the challenge (single use).

    Wrong codes are counted (per challenge and per mobile) in a block that is committed
    before the error is raised, so do not call this inside a transaction you roll back on
    its error; run the action the code unlocks afterwards, in its own transaction. A wrong
    purpose, an unknown challenge and a wrong code answer alike, revealing nothing.
    """
    now = timezone.now()
    error: PortalError | None = None
    code = normalize_digits(str(code or "")).strip()
    with transaction.atomic():
        try:
            challenge = OtpChallenge.objects.select_for_update().get(pk=challenge_id)
        except (OtpChallenge.DoesNotExist, ValueError, TypeError, ValidationError):
            raise PortalError(
                "otp_invalid", INVALID_CODE, fields={"code": [INVALID_CODE]}
            ) from None
        locked = mobile_locked_for(challenge.mobile, now=now)
        if challenge.purpose != purpose:
            error = PortalError("otp_invalid", INVALID_CODE, fields={"code": [INVALID_CODE]})
        elif locked:
            error = RateLimited(
                _wait_message(locked, "به‌خاطر کدهای نادرست پی‌درپی، این شماره موقتاً مسدود است؛"),
                retry_after=int(locked) + 1,
            )
        elif challenge.verified_at is not None:
            error = PortalError("otp_used", "این کد قبلاً استفاده شده است؛ کد تازه بگیرید.")
        elif challenge.failed_attempts >= MAX_WRONG_PER_CHALLENGE:
            error = PortalError(
                "otp_dead", "به‌خاطر کدهای نادرست پی‌درپی این کد باطل شد؛ کد تازه بگیرید."
            )
        elif challenge.expires_at <= now:
            error = PortalError("otp_expired", "مهلت این کد تمام شده است؛ کد تازه بگیرید.")
        elif not constant_time_compare(_hash(challenge.id, purpose, code), challenge.code_hash):
            challenge.failed_attempts += 1
            challenge.save(update_fields=["failed_attempts"])
            OtpFailure.objects.create(mobile=challenge.mobile, challenge=challenge)
            error = PortalError("otp_invalid", INVALID_CODE, fields={"code": [INVALID_CODE]})
        else:
            challenge.verified_at = now
            challenge.save(update_fields=["verified_at"])
    if error is not None:
        raise error
    return challenge


def otp_consume(
    *, challenge_id: UUID | str, purpose: str, mobile: str | None = None
) -> OtpChallenge:
    """Spend a challenge that ``otp_verify`` already accepted, for a two-step flow (verify the
    mobile first, then submit the form that needs it). Valid once, within the code's five
    minutes, for the same purpose (and mobile, when given). Call it inside the transaction
    of the action, so a failed action leaves the verification unspent."""
    now = timezone.now()
    unusable = PortalError(
        "otp_not_verified",
        "تأیید تلفن همراه معتبر نیست یا منقضی شده است؛ دوباره کد بگیرید.",
        fields={"challenge_id": ["تأیید تلفن همراه معتبر نیست."]},
    )
    try:
        challenge = OtpChallenge.objects.select_for_update().get(pk=challenge_id)
    except (OtpChallenge.DoesNotExist, ValueError, TypeError, ValidationError):
        raise unusable from None
    if (
        challenge.purpose != purpose
        or challenge.verified_at is None
        or challenge.consumed_at is not None
        or challenge.expires_at <= now
        or (mobile is not None and challenge.mobile != mobile)
    ):
        raise unusable
    challenge.consumed_at = now
    challenge.save(update_fields=["consumed_at"])
    return challenge
