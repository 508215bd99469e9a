"""Accounts: registration with SMS activation, subscriber login (password or SMS code),
password reset and mobile change by SMS code, logout, disabling, and the two-factor staff
and kiosk-operator login.

Codes are issued and checked only through :mod:`subscribers.services.otp`. ``otp_verify``
commits its failure counters itself, so every flow here calls it *outside* any transaction
and runs the action the code unlocks afterwards in its own ``transaction.atomic()``, spending
the challenge there with ``consumed_at`` (single use).

Sessions: Django's ``login`` rotates the session key; the session hash of ``User`` covers the
password and the mobile, so a password or mobile change ends every other session on its
next request, and ``ModelBackend`` drops sessions of inactive users the same way.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import PortalError, RateLimited
from portal.identifiers import (
    InvalidIdentifier,
    clean_mobile,
    clean_national_code,
    mask_mobile,
)
from subscribers.models import LegalProfile, LoginFailure, NaturalProfile, OtpChallenge, User
from subscribers.models.otp import OtpPurpose
from subscribers.permissions import STAFF_SECOND_FACTOR_SESSION_KEY
from subscribers.services.audit import audit_record
from subscribers.services.otp import INVALID_CODE, OTP_TTL, IssuedOtp, otp_issue, otp_verify

BACKEND = "django.contrib.auth.backends.ModelBackend"

LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=30)
LOGIN_LOCK = timedelta(minutes=30)

USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]{4,30}$")

BAD_LOGIN = "نام کاربری یا رمز عبور درست نیست."
NOT_ACTIVE = (
    "حساب شما هنوز فعال نشده است؛ ابتدا تلفن همراه خود را با کد پیامکی تأیید کنید "
    "یا دوباره ثبت‌نام کنید."
)


@dataclass(frozen=True)
class OtpStarted:
    """What a caller may show after asking for a code: the same shape whether or not an SMS
    was really sent, so the answer never reveals whether an account exists."""

    challenge_id: uuid.UUID
    expires_in: int
    masked_mobile: str


def _field_error(field: str, label: str, message: str, code: str = "invalid") -> PortalError:
    return PortalError(code, f"{label}: {message}", fields={field: [message]})


def _check_password(password: str, user: User | None, *, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        messages = list(exc.messages)
        raise PortalError(
            "invalid", "رمز عبور: " + " ".join(messages), fields={field: messages}
        ) from None


def _fake_start(mobile_hint: str = "") -> OtpStarted:
    """The answer for an unknown account: a random challenge id that no row will ever match."""
    return OtpStarted(
        challenge_id=uuid.uuid4(),
        expires_in=int(OTP_TTL.total_seconds()),
        masked_mobile=mask_mobile(mobile_hint) if mobile_hint else "09*******",
    )


def otp_started(issued: IssuedOtp) -> OtpStarted:
    """What a page may show about an issued code (id, lifetime, masked mobile)."""
    return OtpStarted(
        challenge_id=issued.challenge.id,
        expires_in=issued.expires_in,
        masked_mobile=mask_mobile(issued.challenge.mobile),
    )


def _canonical_username(username: str) -> str:
    """Natural persons log in with their national code, possibly typed without leading zeros
    or with Persian digits; anything that is not a valid national code is used as typed."""
    text = normalize_digits(str(username or "")).strip()
    if text.isdigit():
        try:
            return clean_national_code(text)
        except InvalidIdentifier:
            return text
    return text


def _challenge_uuid(value: uuid.UUID | str) -> uuid.UUID:
    """A malformed challenge id answers like a wrong code (``otp_verify`` itself expects a
    well-formed one: Django raises ``ValidationError`` for a bad UUID string)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise PortalError("otp_invalid", INVALID_CODE, fields={"code": [INVALID_CODE]}) from None


def _spend(challenge: OtpChallenge) -> None:
    OtpChallenge.objects.filter(pk=challenge.pk).update(consumed_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


def _replaceable(user: User) -> bool:
    """An account that never proved its mobile may be taken over by a new registration."""
    return not user.is_active and user.mobile_verified_at is None and user.last_login is None


@transaction.atomic
def account_register_natural(
    *,
    first_name: str,
    last_name: str,
    gender: str,
    father_name: str,
    nationality: str,
    birth_date: date,
    id_number: str,
    place_of_issue: str,
    national_code: str,
    postal_code: str,
    mobile: str,
    password: str,
    client_ip: str | None,
) -> tuple[User, IssuedOtp]:
    """Create an inactive natural-person account (username = national code) and send a
    ``register`` code to ``mobile``; the account becomes active in :func:`account_activate`.

    Atomic: a refused password, a duplicate national code or a refused SMS (``RateLimited``
    over the send limits) leaves nothing behind. Re-registration: an account with this
    national code that was never activated (inactive, no verified mobile, never logged in)
    is *updated in place* with the new details — a typo in the mobile or a stranger squatting
    someone's national code must not block the real owner — and is kept as the same row so
    its earlier challenges still count towards the SMS limits. Raises ``PortalError`` with
    field errors, ``RateLimited`` over a limit.
    """
    national_code = clean_national_code(national_code)
    existing = User.objects.select_for_update().filter(username=national_code).first()
    if existing is None:
        existing = User.objects.select_for_update().filter(national_code=national_code).first()
    if existing is not None and not _replaceable(existing):
        raise _field_error(
            "national_code",
            "کد ملی",
            "با این کد ملی قبلاً حساب کاربری ساخته شده است؛ از «ورود» یا «بازیابی رمز عبور» "
            "استفاده کنید.",
            code="duplicate",
        )
    user = existing or User(kind=User.Kind.NATURAL)
    user.kind = User.Kind.NATURAL
    user.username = national_code
    user.national_code = national_code
    user.legal_national_id = None
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.mobile = clean_mobile(mobile)
    user.mobile_verified_at = None
    user.is_active = False
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _field_error(
            "national_code", "کد ملی", "با این کد ملی قبلاً حساب کاربری ساخته شده است.",
            code="duplicate",
        ) from None  # fmt: skip
    LegalProfile.objects.filter(user=user).delete()
    NaturalProfile.objects.update_or_create(
        user=user,
        defaults={
            "gender": gender,
            "father_name": father_name.strip(),
            "nationality": nationality.strip() or "ایرانی",
            "birth_date": birth_date,
            "id_number": id_number.strip(),
            "place_of_issue": place_of_issue.strip(),
            "postal_code": postal_code,
        },
    )
    issued = otp_issue(
        mobile=user.mobile, purpose=OtpPurpose.REGISTER, client_ip=client_ip, user=user
    )
    return user, issued


def _generate_username() -> str:
    for _ in range(20):
        candidate = f"org{secrets.randbelow(10**7):07d}"
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    raise PortalError("username_unavailable", "ساخت نام کاربری ممکن نشد؛ دوباره تلاش کنید.")


def _check_chosen_username(username: str) -> str:
    username = username.strip()
    if not USERNAME_RE.fullmatch(username) or username.isdigit():
        raise _field_error(
            "username",
            "نام کاربری",
            "باید ۴ تا ۳۰ نویسه از حروف انگلیسی، رقم، نقطه، خط تیره یا زیرخط باشد و "
            "فقط از رقم تشکیل نشده باشد.",
        )
    return username


@transaction.atomic
def account_register_legal(
    *,
    company_name: str,
    registration_date: date,
    registration_number: str,
    place_of_issue: str,
    subscriber_type: str,
    legal_national_id: str,
    representative_first_name: str,
    representative_last_name: str,
    representative_national_code: str,
    representative_mobile: str,
    username: str | None,
    password: str,
    client_ip: str | None,
) -> tuple[User, IssuedOtp]:
    """Create an inactive legal-person account and send a ``register`` code to the
    representative's mobile (the account's mobile).

    ``username`` is the organisation's choice (4–30 of ``A-Z a-z 0-9 . _ -``, not all digits,
    so it never collides with a national code) or, when empty, issued as ``org`` + 7 random
    digits. Same atomicity and re-registration rule as :func:`account_register_natural`,
    keyed on the legal national ID. Raises ``PortalError``/``RateLimited``.
    """
    existing = User.objects.select_for_update().filter(legal_national_id=legal_national_id).first()
    if existing is not None and not _replaceable(existing):
        raise _field_error(
            "legal_national_id",
            "شناسه ملی",
            "با این شناسه ملی قبلاً حساب کاربری ساخته شده است؛ از «ورود» استفاده کنید.",
            code="duplicate",
        )
    if username:
        username = _check_chosen_username(username)
        taken = User.objects.filter(username__iexact=username)
        if existing is not None:
            taken = taken.exclude(pk=existing.pk)
        if taken.exists():
            raise _field_error(
                "username", "نام کاربری", "این نام کاربری قبلاً گرفته شده است.", "duplicate"
            )
    elif existing is not None and existing.username.startswith("org"):
        username = existing.username
    else:
        username = _generate_username()
    user = existing or User(kind=User.Kind.LEGAL)
    user.kind = User.Kind.LEGAL
    user.username = username
    user.legal_national_id = legal_national_id
    user.national_code = None
    user.first_name = representative_first_name.strip()
    user.last_name = representative_last_name.strip()
    user.mobile = clean_mobile(representative_mobile)
    user.mobile_verified_at = None
    user.is_active = False
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _field_error(
            "username", "نام کاربری", "این نام کاربری یا شناسه ملی قبلاً ثبت شده است.",
            code="duplicate",
        ) from None  # fmt: skip
    NaturalProfile.objects.filter(user=user).delete()
    LegalProfile.objects.update_or_create(
        user=user,
        defaults={
            "company_name": company_name.strip(),
            "registration_date": registration_date,
            "registration_number": registration_number.strip(),
            "place_of_issue": place_of_issue.strip(),
            "subscriber_type": subscriber_type.strip(),
            "representative_first_name": representative_first_name.strip(),
            "representative_last_name": representative_last_name.strip(),
            "representative_national_code": representative_national_code,
            "representative_mobile": user.mobile,
        },
    )
    issued = otp_issue(
        mobile=user.mobile, purpose=OtpPurpose.REGISTER, client_ip=client_ip, user=user
    )
    return user, issued


def account_activate(*, challenge_id: uuid.UUID | str, code: str) -> User:
    """Accept a ``register`` code: the account becomes active with a verified mobile.

    The challenge must belong to an account still waiting for activation whose mobile is the
    one the code went to (a re-registration with another number voids older codes). Raises
    ``PortalError`` (field ``code``) or ``RateLimited``.
    """
    challenge_id = _challenge_uuid(challenge_id)
    challenge = otp_verify(challenge_id=challenge_id, code=code, purpose=OtpPurpose.REGISTER)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=challenge.user_id).first()
        if user is None or user.mobile != challenge.mobile or user.mobile_verified_at:
            raise PortalError(
                "otp_invalid",
                "این کد برای فعال‌سازی حساب معتبر نیست؛ دوباره ثبت‌نام کنید.",
                fields={"code": ["این کد معتبر نیست."]},
            )
        user.is_active = True
        user.mobile_verified_at = timezone.now()
        user.save(update_fields=["is_active", "mobile_verified_at"])
        _spend(challenge)
    return user


def account_register_resend(*, mobile: str, client_ip: str | None) -> OtpStarted:
    """Send a fresh ``register`` code to a registration still waiting for activation.

    Answers the same way for any mobile (no account, already active…) and sends an SMS only
    when an inactive, never-verified account has this mobile. Raises ``RateLimited`` (for a
    pending account) and ``PortalError`` for a malformed number.
    """
    mobile = _clean_mobile_field(mobile)
    pending = (
        User.objects.filter(mobile=mobile, is_active=False, mobile_verified_at__isnull=True)
        .exclude(kind=User.Kind.STAFF)
        .order_by("-date_joined")
        .first()
    )
    if pending is None:
        return _fake_start(mobile)
    issued = otp_issue(
        mobile=mobile, purpose=OtpPurpose.REGISTER, client_ip=client_ip, user=pending
    )
    return otp_started(issued)


def account_otp_resend(*, challenge_id: uuid.UUID | str, client_ip: str | None) -> OtpStarted:
    """Send a new code for the same purpose, account and payload as an earlier challenge
    (the "send again" link). An unknown id answers like a real one and sends nothing."""
    challenge_id = _challenge_uuid(challenge_id)
    try:
        old = OtpChallenge.objects.filter(pk=challenge_id).first()
    except (ValueError, ValidationError):
        old = None
    if old is None or old.consumed_at is not None:
        return _fake_start()
    issued = otp_issue(
        mobile=old.mobile,
        purpose=old.purpose,
        client_ip=client_ip,
        user=old.user,
        payload=old.payload,
    )
    return otp_started(issued)


def _clean_mobile_field(mobile: str) -> str:
    try:
        return clean_mobile(mobile)
    except InvalidIdentifier as exc:
        raise _field_error("mobile", "تلفن همراه", exc.message) from None


# ---------------------------------------------------------------------------------------------
# Lockout on username + IP (staff and subscribers alike)
# ---------------------------------------------------------------------------------------------


def login_locked_for(*, username: str, client_ip: str | None, now: datetime | None = None) -> float:
    """Seconds until ``username`` may try again from ``client_ip`` (0 = free): five failures
    within 30 minutes lock that pair for 30 minutes after the last one. Never IP-only (a kiosk
    shares one address) and never permanent."""
    now = now or timezone.now()
    recent = LoginFailure.objects.filter(
        username=username, client_ip=client_ip, created_at__gt=now - LOGIN_FAILURE_WINDOW
    )
    times = list(recent.order_by("-created_at").values_list("created_at", flat=True))
    if len(times) < LOGIN_FAILURE_LIMIT:
        return 0
    return max(0.0, (times[0] + LOGIN_LOCK - now).total_seconds())


def _raise_if_locked(username: str, client_ip: str | None) -> None:
    wait = login_locked_for(username=username, client_ip=client_ip)
    if wait:
        minutes = max(1, int(-(-wait // 60)))
        raise RateLimited(
            f"به‌خاطر چند تلاش ناموفق پی‌درپی، ورود با این نام کاربری از این دستگاه موقتاً "
            f"بسته است؛ {to_persian_digits(minutes)} دقیقه دیگر دوباره تلاش کنید.",
            retry_after=int(wait) + 1,
        )


def _record_failure(username: str, client_ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], client_ip=client_ip)


def _clear_failures(username: str, client_ip: str | None) -> None:
    LoginFailure.objects.filter(username=username, client_ip=client_ip).delete()


# ---------------------------------------------------------------------------------------------
# Subscriber login
# ---------------------------------------------------------------------------------------------


def account_check_password(
    *, request: HttpRequest | None, username: str, password: str, client_ip: str | None
) -> User:
    """Return the subscriber whose username and password these are, without logging in.

    Used by the web login (which then calls ``login``) and the API token login. Counts
    failures per username + IP like the staff login. Raises ``PortalError`` with one generic
    message for a wrong pair; an inactive account with the right password gets the
    "activate first" message (only someone holding the password learns it exists).
    """
    username = _canonical_username(username)
    _raise_if_locked(username, client_ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        candidate = User.objects.filter(username=username).first()
        if (
            candidate is not None
            and not candidate.is_active
            and candidate.is_subscriber
            and candidate.check_password(password)
        ):
            raise PortalError("inactive", NOT_ACTIVE)
        _record_failure(username, client_ip)
        raise PortalError("bad_credentials", BAD_LOGIN, fields={"password": [BAD_LOGIN]})
    if not user.is_subscriber:
        raise PortalError(
            "staff_login_required", "کارکنان و اپراتورها باید از «ورود کارکنان» وارد شوند."
        )
    if user.mobile_verified_at is None:
        raise PortalError("inactive", NOT_ACTIVE)
    _clear_failures(username, client_ip)
    return user


def account_login_password(
    *, request: HttpRequest, username: str, password: str, client_ip: str | None = None
) -> User:
    """Log a subscriber in with username (natural persons: national code) and password.
    ``login`` rotates the session key (session fixation). Raises ``PortalError``."""
    from portal.http import client_ip as request_ip

    user = account_check_password(
        request=request,
        username=username,
        password=password,
        client_ip=client_ip if client_ip is not None else request_ip(request),
    )
    login(request, user, backend=BACKEND)
    return user


def _subscriber_by_identifier(identifier: str) -> User | None:
    text = normalize_digits(str(identifier or "")).strip()
    active = User.objects.filter(is_active=True, mobile_verified_at__isnull=False).exclude(
        kind=User.Kind.STAFF
    )
    user = active.filter(username=_canonical_username(text)).first()
    if user is not None:
        return user
    try:
        mobile = clean_mobile(text)
    except InvalidIdentifier:
        return None
    matches = list(active.filter(mobile=mobile)[:2])
    # A number shared by two accounts cannot say which one logs in: ask for the username.
    return matches[0] if len(matches) == 1 else None


def account_login_otp_start(*, username_or_mobile: str, client_ip: str | None) -> OtpStarted:
    """Send a ``login`` code to the verified mobile of the subscriber named by username,
    national code or (if it belongs to exactly one account) mobile.

    The answer has the same shape whether or not the account exists; an SMS is sent only
    when it does. Raises ``RateLimited`` over the send limits (of a real account).
    """
    user = _subscriber_by_identifier(username_or_mobile)
    if user is None:
        return _fake_start()
    issued = otp_issue(mobile=user.mobile, purpose=OtpPurpose.LOGIN, client_ip=client_ip, user=user)
    return otp_started(issued)


def account_otp_login_user(*, challenge_id: uuid.UUID | str, code: str) -> User:
    """Check a ``login`` code and return its account (still active, same mobile); the
    challenge is spent. Shared by the web login (session) and the API (token)."""
    challenge_id = _challenge_uuid(challenge_id)
    challenge = otp_verify(challenge_id=challenge_id, code=code, purpose=OtpPurpose.LOGIN)
    with transaction.atomic():
        user = User.objects.filter(pk=challenge.user_id, is_active=True).first()
        if user is None or user.mobile != challenge.mobile:
            raise PortalError("otp_invalid", "این کد دیگر معتبر نیست؛ کد تازه بگیرید.")
        _spend(challenge)
    return user


def account_login_otp_finish(
    *, request: HttpRequest, challenge_id: uuid.UUID | str, code: str
) -> User:
    """Log a subscriber in with the ``login`` code sent by :func:`account_login_otp_start`."""
    user = account_otp_login_user(challenge_id=challenge_id, code=code)
    login(request, user, backend=BACKEND)
    return user


def account_token_issue(*, user: User) -> str:
    """The API token of ``user`` (one per account; created on first login)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


# ---------------------------------------------------------------------------------------------
# Password reset
# ---------------------------------------------------------------------------------------------


def account_password_reset_start(*, username: str, client_ip: str | None) -> OtpStarted:
    """Send a ``reset`` code to the verified mobile of the subscriber with this username or
    national code (or mobile, when unambiguous). Same answer for unknown accounts, without
    an SMS. Staff reset their password through an administrator, not by SMS: an SMS-only
    reset would leave them a single factor."""
    user = _subscriber_by_identifier(username)
    if user is None:
        return _fake_start()
    issued = otp_issue(mobile=user.mobile, purpose=OtpPurpose.RESET, client_ip=client_ip, user=user)
    return otp_started(issued)


def account_password_reset_finish(
    *, challenge_id: uuid.UUID | str, code: str, new_password: str, ip: str | None = None
) -> User:
    """Set a new password with a ``reset`` code, in one step (no reset ticket to leak).

    The new password is validated before the code is checked, so a refused password does not
    spend the code. Every other session ends (the session hash covers the password) and the
    account's API tokens are deleted. Raises ``PortalError``/``RateLimited``.
    """
    challenge_id = _challenge_uuid(challenge_id)
    try:
        pending = (
            OtpChallenge.objects.select_related("user")
            .filter(pk=challenge_id, purpose=OtpPurpose.RESET)
            .first()
        )
    except (ValueError, ValidationError):
        pending = None
    _check_password(new_password, pending.user if pending else None, field="new_password")
    challenge = otp_verify(challenge_id=challenge_id, code=code, purpose=OtpPurpose.RESET)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=challenge.user_id).first()
        if user is None or not user.is_active or user.mobile != challenge.mobile:
            raise PortalError("otp_invalid", "این کد دیگر معتبر نیست؛ کد تازه بگیرید.")
        user.set_password(new_password)
        user.save(update_fields=["password"])
        Token.objects.filter(user=user).delete()
        _spend(challenge)
        audit_record(actor=user, action="account.password_reset", obj=user, ip=ip)
    return user


# ---------------------------------------------------------------------------------------------
# Mobile change
# ---------------------------------------------------------------------------------------------


def account_mobile_change_start(
    *, user: User, password: str, new_mobile: str, client_ip: str | None
) -> OtpStarted:
    """Send a ``mobile_change`` code to the NEW number once the current password is right.
    Raises ``PortalError`` (fields ``password``/``new_mobile``) or ``RateLimited``."""
    if not user.check_password(password):
        raise _field_error("password", "رمز عبور فعلی", "درست نیست.")
    try:
        new_mobile = clean_mobile(new_mobile)
    except InvalidIdentifier as exc:
        raise _field_error("new_mobile", "تلفن همراه جدید", exc.message) from None
    if new_mobile == user.mobile:
        raise _field_error("new_mobile", "تلفن همراه جدید", "با شماره فعلی یکی است.")
    issued = otp_issue(
        mobile=new_mobile,
        purpose=OtpPurpose.MOBILE_CHANGE,
        client_ip=client_ip,
        user=user,
        payload={"new_mobile": new_mobile},
    )
    return otp_started(issued)


def account_mobile_change_finish(
    *, request: HttpRequest, challenge_id: uuid.UUID | str, code: str
) -> User:
    """Accept the ``mobile_change`` code of ``request.user``: store the new mobile as
    verified, keep the current session (``update_session_auth_hash``), end every other
    session (the session hash covers the mobile), delete the API tokens and audit it."""
    challenge_id = _challenge_uuid(challenge_id)
    from portal.http import client_ip

    actor: User = request.user
    try:
        owned = OtpChallenge.objects.filter(
            pk=challenge_id, user=actor, purpose=OtpPurpose.MOBILE_CHANGE
        ).exists()
    except (ValueError, ValidationError):
        owned = False
    if not owned:
        raise PortalError("otp_invalid", "کد تایید درست نیست.", fields={"code": ["نادرست"]})
    challenge = otp_verify(challenge_id=challenge_id, code=code, purpose=OtpPurpose.MOBILE_CHANGE)
    new_mobile = challenge.payload.get("new_mobile") or challenge.mobile
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        old_mobile = user.mobile
        user.mobile = new_mobile
        user.mobile_verified_at = timezone.now()
        user.save(update_fields=["mobile", "mobile_verified_at"])
        LegalProfile.objects.filter(user=user).update(representative_mobile=new_mobile)
        Token.objects.filter(user=user).delete()
        _spend(challenge)
        audit_record(
            actor=user,
            action="account.mobile_change",
            obj=user,
            ip=client_ip(request),
            details={"old": mask_mobile(old_mobile), "new": mask_mobile(new_mobile)},
        )
    update_session_auth_hash(request, user)
    return user


# ---------------------------------------------------------------------------------------------
# Logout and disabling
# ---------------------------------------------------------------------------------------------


def account_logout(*, request: HttpRequest) -> None:
    """End the caller's session server-side (flush) and, for a token client, delete the
    token it used."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, Token):
        auth.delete()
    django_request = getattr(request, "_request", request)
    logout(django_request)


def account_disable(*, user: User, actor: User | None, ip: str | None = None) -> User:
    """Disable an account: it can no longer log in, its API tokens are deleted, and its open
    sessions end on their next request (``ModelBackend`` refuses inactive users when the
    session is loaded), without scanning the session table. Audited."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        Token.objects.filter(user=user).delete()
        audit_record(actor=actor, action="account.disable", obj=user, ip=ip)
    return user


# ---------------------------------------------------------------------------------------------
# Staff and kiosk operators: password + SMS code
# ---------------------------------------------------------------------------------------------


def _may_use_staff_login(user: User) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    operator = getattr(user, "kiosk_operator", None)
    return operator is not None and operator.is_active


def staff_login_start(
    *, request: HttpRequest | None, username: str, password: str, client_ip: str | None
) -> tuple[User, OtpStarted]:
    """First step of the staff/operator login: check the password and send a
    ``staff_login`` code to the user's mobile.

    While ``username`` + ``client_ip`` is locked (5 failures in 30 minutes) no password is
    checked at all and ``RateLimited`` says how many minutes remain. A wrong password, or a
    user who is neither staff nor an active kiosk operator, counts as a failure.
    """
    username = (username or "").strip()
    _raise_if_locked(username, client_ip)
    user = authenticate(request, username=username, password=password)
    if user is None or not _may_use_staff_login(user):
        _record_failure(username, client_ip)
        raise PortalError("bad_credentials", BAD_LOGIN)
    if not user.mobile:
        raise PortalError(
            "no_mobile", "برای حساب شما تلفن همراهی ثبت نشده است؛ با مدیر سامانه تماس بگیرید."
        )
    issued = otp_issue(
        mobile=user.mobile, purpose=OtpPurpose.STAFF_LOGIN, client_ip=client_ip, user=user
    )
    return user, otp_started(issued)


def staff_login_finish(
    *,
    request: HttpRequest,
    username: str,
    challenge_id: uuid.UUID | str,
    code: str,
    client_ip: str | None,
) -> User:
    """Second step: accept the ``staff_login`` code, log in (new session key), mark the
    session as second-factor verified and clear the username + IP failures. A wrong code
    counts towards the username + IP lockout as well as the OTP limits."""
    challenge_id = _challenge_uuid(challenge_id)
    username = (username or "").strip()
    _raise_if_locked(username, client_ip)
    try:
        challenge = otp_verify(challenge_id=challenge_id, code=code, purpose=OtpPurpose.STAFF_LOGIN)
    except RateLimited:
        raise
    except PortalError:
        _record_failure(username, client_ip)
        raise
    with transaction.atomic():
        user = User.objects.filter(pk=challenge.user_id, is_active=True).first()
        if user is None or user.username != username or not _may_use_staff_login(user):
            raise PortalError("otp_invalid", "این کد دیگر معتبر نیست؛ دوباره وارد شوید.")
        _spend(challenge)
        _clear_failures(username, client_ip)
    login(request, user, backend=BACKEND)
    request.session[STAFF_SECOND_FACTOR_SESSION_KEY] = True
    return user


def masked_national_code(user: User) -> str:
    from portal.identifiers import mask_national_code

    code: Any = user.national_code or user.legal_national_id or ""
    return mask_national_code(code) if code else ""
