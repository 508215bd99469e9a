"""The kiosk (دفتر پیشخوان) console: finding a present citizen and acting on their behalf.

An operator works for a citizen only inside an ``OnBehalfSession``: opened after the citizen's
consent (an SMS code the citizen reads out, or an in-person identity check recorded now),
limited to ``SESSION_DURATION``, tied to the operator's kiosk, and ended by the operator, by
logout or by expiry. Every step is written to the audit log with the operator as actor.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.errors import PortalError
from portal.identifiers import (
    InvalidIdentifier,
    clean_bill_id,
    clean_legal_national_id,
    clean_national_code,
)
from subscribers.models import (
    IdentityVerification,
    KioskOffice,
    KioskOperator,
    OnBehalfSession,
    OtpChallenge,
    OtpPurpose,
    User,
)
from subscribers.services.audit import audit_record
from subscribers.services.otp import otp_issue, otp_verify

SESSION_DURATION = timedelta(minutes=20)
# How recent an in-person check must be to open a session with it.
VERIFICATION_FRESHNESS = timedelta(minutes=30)

LOOKUP_NATIONAL_CODE = "national_code"
LOOKUP_LEGAL_ID = "legal_national_id"
LOOKUP_BILL_ID = "bill_id"


def kiosk_operator_get(*, user: User) -> KioskOperator | None:
    """The user's active operator record (with its kiosk), or None."""
    if not user.is_authenticated:
        return None
    return KioskOperator.objects.filter(user=user, is_active=True).select_related("kiosk").first()


def _require_operator(operator: User, kiosk: KioskOffice | None = None) -> KioskOperator:
    record = kiosk_operator_get(user=operator)
    if record is None or (kiosk is not None and record.kiosk_id != kiosk.pk):
        raise PortalError("forbidden", "شما اپراتور فعال این دفتر پیشخوان نیستید.", status_code=403)
    return record


def _citizens() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, kind__in=[User.Kind.NATURAL, User.Kind.LEGAL]
    ).select_related("legal_profile")


def kiosk_citizen_lookup(
    *, operator: User, by: str, value: str, client_ip: str | None
) -> list[User]:
    """Find active subscribers by national code, legal national ID or bill ID.

    Persian digits and separators are accepted. A bill ID finds every citizen with an
    active link to that subscription. The search itself is audited (``kiosk.lookup``,
    without the searched value). Raises ``PortalError`` (field ``value``) for a malformed
    identifier and when the operator is not active.
    """
    record = _require_operator(operator)
    try:
        if by == LOOKUP_NATIONAL_CODE:
            citizens = _citizens().filter(national_code=clean_national_code(value))
        elif by == LOOKUP_LEGAL_ID:
            citizens = _citizens().filter(legal_national_id=clean_legal_national_id(value))
        elif by == LOOKUP_BILL_ID:
            citizens = (
                _citizens()
                .filter(
                    subscription_links__subscription__bill_id=clean_bill_id(value),
                    subscription_links__ended_at__isnull=True,
                )
                .distinct()
            )
        else:
            raise PortalError("invalid", "نوع شناسه معتبر نیست.", fields={"by": ["نامعتبر"]})
    except InvalidIdentifier as exc:
        raise PortalError("invalid", exc.message, fields={"value": [exc.message]}) from None
    found = list(citizens.order_by("pk")[:10])
    audit_record(
        actor=operator,
        action="kiosk.lookup",
        kiosk=record.kiosk,
        ip=client_ip,
        details={"by": by, "found": len(found)},
    )
    return found


def kiosk_consent_request(*, operator: User, citizen: User, client_ip: str | None) -> OtpChallenge:
    """Send the consent code to the citizen's verified mobile; return the challenge.

    The client IP is not passed to ``otp_issue``: a busy kiosk shares one address and would
    hit the anonymous per-IP limit; the per-mobile limits still apply and the audit row keeps
    the IP. Raises ``PortalError`` when the citizen has no verified mobile (use the in-person
    check instead) and ``RateLimited`` over the SMS limits.
    """
    record = _require_operator(operator)
    if not citizen.is_subscriber or not citizen.is_active:
        raise PortalError("invalid", "این کاربر مشترک فعال نیست.")
    if not citizen.mobile or citizen.mobile_verified_at is None:
        raise PortalError(
            "no_verified_mobile",
            "این مشترک تلفن همراه تأییدشده ندارد؛ هویت او را حضوری احراز کنید.",
        )
    with transaction.atomic():
        issued = otp_issue(
            mobile=citizen.mobile,
            purpose=OtpPurpose.CONSENT,
            client_ip=None,
            user=citizen,
            payload={"operator_id": operator.pk, "kiosk_id": record.kiosk_id},
        )
        audit_record(
            actor=operator,
            action="kiosk.consent_request",
            on_behalf_of=citizen,
            kiosk=record.kiosk,
            ip=client_ip,
        )
    return issued.challenge


def kiosk_consent_confirm(
    *, operator: User, citizen: User, challenge_id: str, code: str, client_ip: str | None
) -> OnBehalfSession:
    """Check the code the citizen read out and open the session.

    The challenge must be a consent code issued to this citizen for this operator at this
    kiosk. ``otp_verify`` commits wrong-code counts before raising, so it runs outside the
    session's transaction. Raises ``PortalError``.
    """
    record = _require_operator(operator)
    challenge = otp_verify(challenge_id=challenge_id, code=code, purpose=OtpPurpose.CONSENT)
    if (
        challenge.user_id != citizen.pk
        or challenge.payload.get("operator_id") != operator.pk
        or challenge.payload.get("kiosk_id") != record.kiosk_id
    ):
        raise PortalError("otp_invalid", "کد تایید درست نیست.", fields={"code": ["نامعتبر"]})
    return kiosk_session_start(
        operator=operator,
        citizen=citizen,
        kiosk=record.kiosk,
        consent=OnBehalfSession.Consent.OTP,
        client_ip=client_ip,
    )


def kiosk_session_start(
    *,
    operator: User,
    citizen: User,
    kiosk: KioskOffice,
    consent: str,
    verification: IdentityVerification | None = None,
    client_ip: str | None,
) -> OnBehalfSession:
    """Open a ``SESSION_DURATION`` on-behalf session after the citizen's consent.

    Preconditions: the operator is active at ``kiosk``; the citizen is an active subscriber;
    in-person consent needs a fresh verification of this citizen by this operator. Any other
    open session of the operator is ended first (one citizen at a time). Audited as
    ``kiosk.session_start``. Call it only after the consent was checked (the OTP path goes
    through ``kiosk_consent_confirm``).
    """
    _require_operator(operator, kiosk)
    if not citizen.is_subscriber or not citizen.is_active:
        raise PortalError("invalid", "این کاربر مشترک فعال نیست.")
    if consent == OnBehalfSession.Consent.IN_PERSON:
        if (
            verification is None
            or verification.user_id != citizen.pk
            or verification.verified_by_id != operator.pk
            or verification.created_at < timezone.now() - VERIFICATION_FRESHNESS
        ):
            raise PortalError("invalid", "برای رضایت حضوری، احراز هویت همین حالا لازم است.")
    elif consent != OnBehalfSession.Consent.OTP:
        raise PortalError("invalid", "نوع رضایت معتبر نیست.")
    now = timezone.now()
    with transaction.atomic():
        for open_session in OnBehalfSession.objects.select_for_update().filter(
            operator=operator, ended_at__isnull=True
        ):
            _end(open_session, actor=operator, client_ip=client_ip, reason="replaced", now=now)
        session = OnBehalfSession.objects.create(
            operator=operator,
            citizen=citizen,
            kiosk=kiosk,
            consent=consent,
            verification=verification,
            expires_at=now + SESSION_DURATION,
        )
        audit_record(
            actor=operator,
            action="kiosk.session_start",
            obj=session,
            on_behalf_of=citizen,
            kiosk=kiosk,
            ip=client_ip,
            details={"consent": consent},
        )
    return session


def _end(session: OnBehalfSession, *, actor: User, client_ip: str | None, reason: str, now) -> None:
    session.ended_at = min(now, session.expires_at)
    session.save(update_fields=["ended_at"])
    audit_record(
        actor=actor,
        action="kiosk.session_end",
        obj=session,
        on_behalf_of=session.citizen,
        kiosk=session.kiosk,
        ip=client_ip,
        details={"reason": reason},
    )


def kiosk_session_end(
    *, session: OnBehalfSession, actor: User, client_ip: str | None, reason: str = "operator"
) -> OnBehalfSession:
    """End an open session (operator's button, logout, expiry, inactive operator).

    Only the session's operator may end it. An expired session is recorded as ended at its
    expiry time. Ending an already ended session does nothing. Audited as
    ``kiosk.session_end`` with the reason.
    """
    if actor.pk != session.operator_id:
        raise PortalError("not_found", "نشست یافت نشد.", status_code=404)
    with transaction.atomic():
        locked = (
            OnBehalfSession.objects.select_for_update()
            .select_related("citizen", "kiosk")
            .get(pk=session.pk)
        )
        if locked.ended_at is None:
            _end(locked, actor=actor, client_ip=client_ip, reason=reason, now=timezone.now())
    return locked


def kiosk_session_active(
    *, session_id: int | None, operator: User, client_ip: str | None
) -> tuple[OnBehalfSession | None, str | None]:
    """The operator's open, unexpired session with this id, or (None, why it stopped).

    A session whose time ran out, or whose operator record was deactivated or moved to
    another kiosk, is ended here (audited) and reported as ``"expired"`` or ``"inactive"``.
    """
    if not session_id or not operator.is_authenticated:
        return None, None
    session = (
        OnBehalfSession.objects.select_related(
            "citizen", "citizen__legal_profile", "kiosk", "operator__kiosk_operator"
        )
        .filter(pk=session_id, operator=operator, ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None, "ended"
    record = getattr(session.operator, "kiosk_operator", None)
    if record is None or not record.is_active or record.kiosk_id != session.kiosk_id:
        reason = "inactive"
    elif session.expires_at <= timezone.now() or not session.citizen.is_active:
        reason = "expired"
    else:
        return session, None
    kiosk_session_end(session=session, actor=operator, client_ip=client_ip, reason=reason)
    return None, reason
