"""Settlement between tenant and owner (تسویه حساب, DOMAIN.md §2).

A settlement request (request engine, behaviour SETTLEMENT) carries the meter's final reading
and its date. When the office completes it, ``settlement_bill_issue`` bills the use from the
last bill up to that reading as an out-of-period bill of kind ``settlement`` with its own
payable IDs, and sends it to the applicant by SMS. Once that bill is paid the tenant's link to
the subscription can be closed with ``settlement_close_tenant_link``: the tenant then stops
seeing the subscription and its bills, and the owner's next occupant starts from a settled
meter.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Bill
from billing.services.readings import (
    computed_bill_issue,
    parse_read_on,
    parse_reading,
    reading_basis,
    reading_check,
)
from portal.errors import NotFound, PortalError
from requests_app.models import RequestType, ServiceRequest, Status
from requests_app.services.workflow import staff_role
from subscribers.models import Subscription, SubscriptionLink, User
from subscribers.selectors.subscriptions import active_links
from subscribers.services.audit import audit_record

READING_FIELD = "final_reading"


def settlement_bill_issue(*, request: ServiceRequest) -> Bill:
    """The settlement bill of a completed settlement ``request`` (fields ``final_reading``,
    ``read_on``, optional ``rollover``); exactly once per request. See
    ``billing.services.readings.computed_bill_issue`` for checks and side effects."""
    return computed_bill_issue(
        request=request,
        kind=Bill.Kind.SETTLEMENT,
        reading_field=READING_FIELD,
        sms_template="bill_settlement",
    )


def settlement_fields_check(*, subscription: Subscription, fields: dict[str, Any]) -> None:
    """Check a settlement's final reading and date when it is filed, so the citizen hears at
    once — not at approval — that the date is in the future or before the last bill, or the
    reading below the last one without a confirmed rollover. ``PortalError`` naming
    ``final_reading`` or ``read_on``; no side effects. The same checks run again when the
    bill is issued."""
    reading = parse_reading(fields.get(READING_FIELD), field=READING_FIELD)
    read_on = parse_read_on(fields.get("read_on"))
    basis = reading_basis(subscription=subscription, read_on=read_on)
    reading_check(
        subscription=subscription,
        reading=reading,
        read_on=read_on,
        rollover=fields.get("rollover") == "yes" and reading < basis.previous_reading,
        basis=basis,
        plausibility=False,
        field=READING_FIELD,
    )


def settlement_bill(*, request: ServiceRequest) -> Bill | None:
    """The current settlement bill of ``request`` (``None`` before completion)."""
    return (
        Bill.objects.filter(request=request, kind=Bill.Kind.SETTLEMENT).order_by("-version").first()
    )


def _caller_may_close(*, request: ServiceRequest, actor: User, on_behalf_of: User | None) -> None:
    """The owner or the tenant of the subscription (themselves, or a kiosk operator acting
    for them), or staff of the request's office. Anyone else: ``NotFound``."""
    citizen = on_behalf_of or actor
    is_party = (
        active_links()
        .filter(
            user=citizen,
            subscription_id=request.subscription_id,
            role__in=[SubscriptionLink.Role.OWNER, SubscriptionLink.Role.TENANT],
        )
        .exists()
    )
    if is_party or request.applicant_id == citizen.pk:
        return
    if on_behalf_of is None and staff_role(user=actor, office_id=request.office_id) is not None:
        return
    raise NotFound()


def settlement_close_tenant_link(
    *, request: ServiceRequest, actor: User, on_behalf_of: User | None = None
) -> list[SubscriptionLink]:
    """End the tenant's link to the subscription of a completed, paid settlement.

    Who may: the owner, the tenant (so either side can finish the move), a kiosk operator
    acting for one of them, or staff of the request's office; anyone else gets ``NotFound``.
    Which link: the applicant's own tenant link when the tenant filed, otherwise every active
    tenant link that already existed when the settlement was filed (a tenant linked later is
    the next occupant and is left alone). Refused with a Persian message unless the request is
    a completed settlement whose settlement bill is paid. Side effects, in one transaction:
    ``ended_at`` set on those links and one audit row per link.
    """
    if request.request_type.behaviour != RequestType.Behaviour.SETTLEMENT:
        raise NotFound()
    _caller_may_close(request=request, actor=actor, on_behalf_of=on_behalf_of)
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if locked.status != Status.COMPLETED:
            raise PortalError(
                "settlement_not_completed",
                "این درخواست تسویه‌حساب هنوز انجام نشده است؛ پس از صدور و پرداخت قبض تسویه "
                "می‌توانید اتصال مستأجر را پایان دهید.",
            )
        bill = settlement_bill(request=locked)
        if bill is None or not bill.is_paid:
            raise PortalError(
                "settlement_unpaid",
                "قبض تسویه‌حساب هنوز پرداخت نشده است؛ پس از پرداخت آن اتصال مستأجر پایان می‌یابد.",
            )
        tenants = (
            active_links()
            .select_for_update()
            .filter(subscription_id=locked.subscription_id, role=SubscriptionLink.Role.TENANT)
        )
        own = tenants.filter(user_id=locked.applicant_id)
        links = list(own if own.exists() else tenants.filter(Q(created_at__lte=locked.created_at)))
        if not links:
            raise PortalError(
                "no_tenant_link", "اتصال مستأجری برای این اشتراک باز نیست که پایان یابد."
            )
        now = timezone.now()
        for link in links:
            link.ended_at = now
            link.save(update_fields=["ended_at"])
            audit_record(
                actor=actor,
                on_behalf_of=on_behalf_of,
                action="billing.settlement_close_tenant_link",
                obj=link,
                office=locked.office,
                details={"request": locked.number, "bill": str(bill.uid)},
            )
    return links


__all__ = [
    "settlement_bill",
    "settlement_bill_issue",
    "settlement_close_tenant_link",
    "settlement_fields_check",
]
