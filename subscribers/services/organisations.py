"""Seed 000: aggregated access for organisations. A legal person with more than five linked
subscriptions introduces a representative (a natural-person account); once the office
approves, the representative sees all of the organisation's subscriptions."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import InvalidIdentifier, clean_national_code
from subscribers.models import OrganisationAccess, Subscription, User
from subscribers.permissions import sees_all_offices
from subscribers.selectors.subscriptions import active_links
from subscribers.services.audit import audit_record

MIN_SUBSCRIPTIONS = 6  # "more than five"


def organisation_access_request(
    *, organisation: User, representative_national_code: str, introduction_letter: str
) -> OrganisationAccess:
    """Ask the office to let a representative see all of ``organisation``'s subscriptions.

    Preconditions: ``organisation`` is a legal person with more than five active links; the
    representative has a natural-person account with that national code; there is no open
    (pending or approved) request for the same pair. The request goes to the office that
    serves most of the organisation's subscriptions. Raises ``PortalError`` in Persian.
    """
    if organisation.kind != User.Kind.LEGAL:
        raise PortalError("not_organisation", "دسترسی تجمیعی فقط برای حساب‌های اشخاص حقوقی است.")
    letter = (introduction_letter or "").strip()
    if not letter:
        message = "شماره معرفی‌نامه: این مورد را وارد کنید"
        raise PortalError("invalid", message, fields={"introduction_letter": [message]})
    try:
        code = clean_national_code(representative_national_code)
    except InvalidIdentifier as exc:
        message = f"کد ملی نماینده: {exc.message}"
        raise PortalError(
            "invalid", message, fields={"representative_national_code": [message]}
        ) from None
    subscription_ids = active_links().filter(user=organisation).values("subscription_id")
    offices = list(
        Subscription.objects.filter(pk__in=subscription_ids)
        .values("office_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "office_id")
    )
    total = sum(row["n"] for row in offices)
    if total < MIN_SUBSCRIPTIONS:
        raise PortalError(
            "too_few_subscriptions",
            "دسترسی تجمیعی برای سازمان‌هایی است که بیش از پنج اشتراک متصل دارند؛ "
            f"اکنون {to_persian_digits(total)} اشتراک به این حساب متصل است.",
        )
    representative = User.objects.filter(national_code=code, kind=User.Kind.NATURAL).first()
    if representative is None:
        message = (
            "کد ملی نماینده: حسابی با این کد ملی یافت نشد؛ نماینده ابتدا باید در سامانه ثبت‌نام کند."
        )
        raise PortalError(
            "representative_not_found", message, fields={"representative_national_code": [message]}
        )
    duplicate = PortalError(
        "duplicate_request", "برای این نماینده درخواست باز یا تأییدشده‌ای وجود دارد."
    )
    if OrganisationAccess.objects.filter(
        organisation=organisation,
        representative=representative,
        status__in=[OrganisationAccess.Status.PENDING, OrganisationAccess.Status.APPROVED],
    ).exists():
        raise duplicate
    try:
        with transaction.atomic():
            return OrganisationAccess.objects.create(
                organisation=organisation,
                representative=representative,
                office_id=offices[0]["office_id"],
                introduction_letter=letter,
            )
    except IntegrityError:
        raise duplicate from None


def organisation_access_decide(
    *, access: OrganisationAccess, actor: User, approve: bool, note: str = ""
) -> OrganisationAccess:
    """Approve or reject a pending request; staff only of the request's office (system
    administrators anywhere). Audited as ``organisations.access_approve`` / ``_reject``.
    Raises ``NotFound`` outside the actor's office and ``PortalError`` if not pending."""

    with transaction.atomic():
        access = OrganisationAccess.objects.select_for_update().get(pk=access.pk)
        if not sees_all_offices(actor) and actor.office_id != access.office_id:
            raise NotFound()
        if access.status != OrganisationAccess.Status.PENDING:
            raise PortalError(
                "not_pending", f"این درخواست «{access.get_status_display()}» است و بررسی نمی‌شود."
            )
        access.status = (
            OrganisationAccess.Status.APPROVED if approve else OrganisationAccess.Status.REJECTED
        )
        access.decided_by = actor
        access.decided_at = timezone.now()
        access.note = note[:300]
        access.save(update_fields=["status", "decided_by", "decided_at", "note"])
        audit_record(
            actor=actor,
            action="organisations.access_approve" if approve else "organisations.access_reject",
            obj=access,
            on_behalf_of=access.organisation,
            office=access.office,
            details={"representative_id": access.representative_id},
        )
    return access
