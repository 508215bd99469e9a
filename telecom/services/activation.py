"""Seed 002's activation: a telecom-center operator sees the citizen in person, ticks the
document checklist and activates the citizen's claimed lines of the center.

One call of :func:`lines_activate` is one visit: one ``IdentityVerification`` (through
``identity_verify``, channel ``telecom_center``) covers every line activated in it. Per line
it creates or keeps the ``SubscriptionLink`` (proof ``telecom_center``) and creates the
``LineActivation``; it writes audit rows and, after commit, one SMS to the citizen.

The lease rule (seed 002): a tenant (استفاده‌کننده) shows a valid lease with at least five
months left. The operator types the lease's start and end from the document; the end must be
on or after today + 5 Jalali months (same day of month, clamped to the month's last day).

Legal persons (seed 002: «the system picks the username and gives only a password»): at the
organisation's FIRST line activation the system issues its credentials once. The username is
the account's username (issued as ``org`` + 7 digits at registration unless the organisation
chose one). A new random password replaces the one typed at online registration, so the
account's only password is one nobody but the verified organisation received; it is sent by
SMS to the account's verified mobile (the representative's) and is never shown to the
operator, written to the audit log or logged. Every other session and API token of the
account ends. A ``LegalCredentialIssue`` row records that it happened, so later activations
do not issue another; a lost password is recovered with the usual SMS password reset.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

import jdatetime
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue_rendered
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import mask_mobile
from portal.jalali import jalali_display
from subscribers import roles
from subscribers.models import IdentityVerification, SubscriptionLink, User
from subscribers.permissions import sees_all_offices
from subscribers.selectors.subscriptions import active_links
from subscribers.services.audit import audit_record
from subscribers.services.identity import identity_verify
from telecom.models import LegalCredentialIssue, LineActivation, LineClaim

Role = SubscriptionLink.Role
LEASE_MIN_MONTHS = 5
# Unambiguous characters only (no 0/O, 1/l/I): the password is read off a phone screen.
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet, not a password
PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class ActivationItem:
    """One claim to activate, with the lease the operator read off the document (tenants)."""

    claim_id: int
    lease_start: date | None = None
    lease_end: date | None = None


@dataclass
class ActivationResult:
    verification: IdentityVerification
    activations: list[LineActivation] = field(default_factory=list)
    credentials_issued: bool = False
    username: str = ""
    masked_mobile: str = ""


def add_jalali_months(day: date, months: int) -> date:
    """``day`` plus ``months`` Jalali months, the day of month clamped to the target month."""
    j = jdatetime.date.fromgregorian(date=day)
    index = j.month - 1 + months
    year, month = j.year + index // 12, index % 12 + 1
    last = (
        31
        if month <= 6
        else 30
        if month <= 11
        else (30 if jdatetime.date(year, 1, 1).isleap() else 29)
    )
    return jdatetime.date(year, month, min(j.day, last)).togregorian()


def lease_minimum_end(today: date | None = None) -> date:
    """The earliest lease end accepted at activation today (five Jalali months ahead)."""
    return add_jalali_months(today or timezone.localdate(), LEASE_MIN_MONTHS)


def operator_may_activate(user: User) -> bool:
    """Telecom-center operators (own center) and superusers/system administrators."""
    if not (user.is_active and user.is_staff):
        return False
    if sees_all_offices(user):
        return True
    return (
        user.office_id is not None
        and user.groups.filter(name=roles.TELECOM_CENTER_OPERATOR).exists()
    )


def _lease_error(claim: LineClaim, name: str, message: str) -> PortalError:
    key = f"{name}_{claim.pk}"
    number = to_persian_digits(claim.line.number)
    return PortalError("invalid", f"خط {number}: {message}", fields={key: [message]})


def _check_lease(claim: LineClaim, item: ActivationItem, today: date) -> None:
    if claim.role != Role.TENANT:
        return
    if item.lease_start is None:
        raise _lease_error(claim, "lease_start", "تاریخ شروع اجاره را از اجاره‌نامه وارد کنید.")
    if item.lease_end is None:
        raise _lease_error(claim, "lease_end", "تاریخ پایان اجاره را از اجاره‌نامه وارد کنید.")
    if item.lease_start > item.lease_end:
        raise _lease_error(claim, "lease_end", "پایان اجاره پیش از شروع آن است.")
    minimum = lease_minimum_end(today)
    if item.lease_end < minimum:
        raise _lease_error(
            claim,
            "lease_end",
            "کمتر از پنج ماه از اعتبار اجاره‌نامه باقی مانده است؛ پایان اجاره باید دست‌کم "
            f"{jalali_display(minimum, with_time=False)} باشد.",
        )


def _check_holder(claim: LineClaim, citizen: User) -> None:
    """The owner's role opens every call of the line: when the telecom company's records name
    the line's holder, only that person (or organisation) can be activated as owner."""
    holder = claim.line.subscription.holder_id
    if (
        claim.role == Role.OWNER
        and holder
        and holder
        not in (
            citizen.national_code,
            citizen.legal_national_id,
        )
    ):
        number = to_persian_digits(claim.line.number)
        message = (
            "دارنده ثبت‌شده این خط شخص دیگری است؛ فقط به‌عنوان استفاده‌کننده (با اجاره‌نامه) "
            "فعال می‌شود."
        )
        raise PortalError(
            "holder_mismatch", f"خط {number}: {message}", fields={f"claim_{claim.pk}": [message]}
        )


def _link_for(
    *, claim: LineClaim, citizen: User, operator: User, item: ActivationItem
) -> SubscriptionLink:
    """Keep the citizen's active link to the line when its role matches (updating a tenant's
    lease to the document's), otherwise end it and create one with proof telecom_center."""
    subscription_id = claim.line.subscription_id
    lease_start = item.lease_start if claim.role == Role.TENANT else None
    lease_end = item.lease_end if claim.role == Role.TENANT else None
    now = timezone.now()
    # Links that are open but no longer grant access (a lease that ran out) block the
    # partial unique constraint: close them first, like the subscriptions service does.
    open_links = SubscriptionLink.objects.select_for_update().filter(
        user=citizen, subscription_id=subscription_id, ended_at__isnull=True
    )
    current = None
    valid = set(active_links().filter(pk__in=open_links.values("pk")).values_list("pk", flat=True))
    for link in open_links:
        if link.pk in valid and link.role == claim.role and current is None:
            current = link
        else:
            link.ended_at = now
            link.save(update_fields=["ended_at"])
    if current is not None:
        if LineActivation.objects.filter(link=current).exists():
            raise PortalError(
                "already_active",
                f"خط {to_persian_digits(claim.line.number)} برای این مشترک هم‌اکنون فعال است.",
                status_code=409,
            )
        if claim.role == Role.TENANT:
            current.lease_start, current.lease_end = lease_start, lease_end
            current.save(update_fields=["lease_start", "lease_end"])
        return current
    return SubscriptionLink.objects.create(
        user=citizen,
        subscription_id=subscription_id,
        role=claim.role,
        lease_start=lease_start,
        lease_end=lease_end,
        proof=SubscriptionLink.Proof.TELECOM_CENTER,
        verified_by=operator,
    )


def _generate_password(user: User) -> str:
    for _ in range(10):
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    raise PortalError("password_unavailable", "ساخت رمز عبور ممکن نشد؛ دوباره تلاش کنید.")


def _issue_legal_credentials(
    *, citizen: User, operator: User, activation: LineActivation
) -> LegalCredentialIssue | None:
    """Seed 002's username + one password for a legal person (see the module docstring)."""
    if citizen.kind != User.Kind.LEGAL:
        return None
    if LegalCredentialIssue.objects.filter(user=citizen).exists():
        return None
    if not citizen.mobile:
        raise PortalError(
            "no_mobile",
            "برای حساب این شخص حقوقی تلفن همراهی ثبت نشده است؛ رمز عبور قابل ارسال نیست.",
        )
    locked = User.objects.select_for_update().get(pk=citizen.pk)
    password = _generate_password(locked)
    locked.set_password(password)
    locked.save(update_fields=["password"])
    Token.objects.filter(user=locked).delete()
    issue = LegalCredentialIssue.objects.create(
        user=locked,
        activation=activation,
        issued_by=operator,
        username=locked.username,
        masked_mobile=mask_mobile(locked.mobile),
    )
    sms_enqueue_rendered(
        recipient=locked.mobile,
        kind=OutboxMessage.Kind.GENERAL,
        template_name="telecom_legal_credentials",
        context={"username": locked.username, "password": password},
        idempotency_key=f"telecom-legal-credentials-{locked.pk}",
        secret=True,
    )
    audit_record(
        actor=operator,
        action="telecom.legal_credentials_issue",
        obj=issue,
        on_behalf_of=locked,
        office=operator.office,
        details={"username": locked.username, "mobile": issue.masked_mobile},
    )
    return issue


def lines_activate(
    *,
    citizen: User,
    operator: User,
    items: list[ActivationItem],
    document_type: str,
    document_number: str,
    documents_seen: list[str],
    client_ip: str | None,
) -> ActivationResult:
    """Activate the citizen's claimed lines after the in-person check (see module docstring).

    Preconditions: ``operator`` is a telecom-center operator (claims of lines of their own
    center only; a claim elsewhere is ``NotFound``) or sees all offices; each item names a
    PENDING claim of ``citizen``; the checklist satisfies ``identity_verify`` for the citizen's
    kind (the lease item is mandatory when any line is claimed as tenant); a tenant line has
    the lease start and end, with at least five Jalali months left; an owner line whose
    records name a holder is activated only for that holder. All or nothing, in one
    transaction: the verification, per line the link (kept or created), the
    ``LineActivation``, the claim marked activated and a ``telecom.line_activate`` audit row;
    for a legal person's first activation its credentials; after commit one SMS to the
    citizen listing the activated numbers. Raises ``PortalError`` with field errors.
    """
    if not operator_may_activate(operator):
        raise PortalError("forbidden", "شما اجازه فعال‌سازی خطوط تلفن را ندارید.", status_code=403)
    if not items:
        message = "دست‌کم یک خط را برای فعال‌سازی انتخاب کنید."
        raise PortalError("invalid", message, fields={"claims": [message]})
    if len({item.claim_id for item in items}) != len(items):
        raise PortalError("invalid", "یک خط دو بار انتخاب شده است.")
    today = timezone.localdate()
    with transaction.atomic():
        claims = {
            claim.pk: claim
            for claim in LineClaim.objects.select_for_update(of=("self",))
            .select_related("line__subscription")
            .filter(pk__in=[item.claim_id for item in items], user=citizen)
        }
        for item in items:
            claim = claims.get(item.claim_id)
            if claim is None or (
                not sees_all_offices(operator)
                and claim.line.subscription.office_id != operator.office_id
            ):
                raise NotFound("این درخواست درج تلفن در مرکز شما یافت نشد.")
            if claim.status != LineClaim.Status.PENDING:
                raise PortalError(
                    "claim_closed",
                    f"درخواست خط {to_persian_digits(claim.line.number)} دیگر باز نیست.",
                    status_code=409,
                )
            _check_holder(claim, citizen)
            _check_lease(claim, item, today)
        verification = identity_verify(
            citizen=citizen,
            operator=operator,
            channel=IdentityVerification.Channel.TELECOM_CENTER,
            document_type=document_type,
            document_number=document_number,
            documents_seen=documents_seen,
            client_ip=client_ip,
            is_tenant=any(claims[i.claim_id].role == Role.TENANT for i in items),
        )
        result = ActivationResult(verification=verification)
        now = timezone.now()
        for item in items:
            claim = claims[item.claim_id]
            link = _link_for(claim=claim, citizen=citizen, operator=operator, item=item)
            activation = LineActivation.objects.create(
                link=link,
                verification=verification,
                lease_start=link.lease_start if claim.role == Role.TENANT else None,
                lease_end=link.lease_end if claim.role == Role.TENANT else None,
                activated_by=operator,
            )
            claim.status = LineClaim.Status.ACTIVATED
            claim.activation = activation
            claim.decided_at = now
            claim.save(update_fields=["status", "activation", "decided_at"])
            audit_record(
                actor=operator,
                action="telecom.line_activate",
                obj=activation,
                on_behalf_of=citizen,
                office=operator.office,
                ip=client_ip,
                details={
                    "number": claim.line.number,
                    "role": claim.role,
                    "lease_end": link.lease_end.isoformat() if link.lease_end else None,
                    "verification": verification.pk,
                },
            )
            result.activations.append(activation)
        issue = _issue_legal_credentials(
            citizen=citizen, operator=operator, activation=result.activations[0]
        )
        if issue is not None:
            result.credentials_issued = True
            result.username = issue.username
            result.masked_mobile = issue.masked_mobile
        if citizen.mobile:
            numbers = [claims[i.claim_id].line.number for i in items]
            sms_enqueue_rendered(
                recipient=citizen.mobile,
                kind=OutboxMessage.Kind.GENERAL,
                template_name="telecom_lines_activated",
                context={"numbers": "، ".join(to_persian_digits(n) for n in numbers)},
                idempotency_key=f"telecom-lines-activated-{verification.pk}",
            )
    return result
