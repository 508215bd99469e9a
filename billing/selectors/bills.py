"""Who may see which bills.

A subscription's bills are visible to the owner (all of them), to a tenant (only periods that
lie inside the lease: a tenant never sees the previous occupant's consumption or debts), to the
representative of an organisation with approved aggregated access (all), and to a kiosk
operator only while acting for one of those (the kiosk middleware makes ``request.user`` the
citizen). Everything else — another subscriber's bill ID, a bill ID that does not exist, a
malformed one — is the same ``NotFound``, so the answer never reveals that a bill ID exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from billing.models import Bill
from portal.errors import NotFound
from portal.identifiers import InvalidIdentifier, clean_bill_id
from subscribers.models import Subscription, SubscriptionLink, User
from subscribers.permissions import sees_all_offices
from subscribers.selectors.subscriptions import subscriptions_for_user


@dataclass(frozen=True)
class BillAccess:
    """One subscription as one user may see its bills. ``since``/``until`` bound a tenant's
    view to the lease (periods starting on or after ``since`` and ending on or before
    ``until``); both are ``None`` for an owner or an organisation's representative."""

    subscription: Subscription
    role: str  # SubscriptionLink.Role value, or "organisation"
    since: date | None = None
    until: date | None = None

    @property
    def is_tenant(self) -> bool:
        return self.role == SubscriptionLink.Role.TENANT


def _access(subscription: Subscription) -> BillAccess:
    role = subscription.link_role
    if role == SubscriptionLink.Role.TENANT:
        link = SubscriptionLink.objects.only("lease_start", "lease_end", "created_at").get(
            pk=subscription.link_id
        )
        return BillAccess(
            subscription=subscription,
            role=role,
            since=link.lease_start or link.created_at.date(),
            until=link.lease_end,
        )
    return BillAccess(subscription=subscription, role=role or "organisation")


def bill_access_for_user(*, user: User, bill_id: str) -> BillAccess:
    """The subscription with ``bill_id`` as ``user`` may see it; ``NotFound`` otherwise
    (including a malformed bill ID — the caller validates format first when it wants a
    field error)."""
    try:
        cleaned = clean_bill_id(bill_id)
    except InvalidIdentifier:
        raise NotFound() from None
    subscription = subscriptions_for_user(user=user).filter(bill_id=cleaned).first()
    if subscription is None:
        raise NotFound()
    return _access(subscription)


def accesses_for_user(*, user: User) -> list[BillAccess]:
    """Every subscription whose bills ``user`` may see, for pickers and the bills home."""
    return [_access(s) for s in subscriptions_for_user(user=user).order_by("bill_id")]


def bills_visible(*, access: BillAccess, include_superseded: bool = False) -> QuerySet[Bill]:
    """``access``'s bills, newest period first, with subscription and company joined."""
    queryset = Bill.objects.filter(subscription=access.subscription).select_related(
        "subscription__company"
    )
    if not include_superseded:
        queryset = queryset.filter(status=Bill.Status.ISSUED)
    if access.since is not None:
        queryset = queryset.filter(period_start__gte=access.since)
    if access.until is not None:
        queryset = queryset.filter(period_end__lte=access.until)
    return queryset.order_by("-year", "-period", "-version", "-pk")


def bill_get_for_user(*, user: User, uid: uuid.UUID | str) -> Bill:
    """One bill by its public uid if ``user`` may see it, else ``NotFound``."""
    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        raise NotFound() from None
    bill = (
        Bill.objects.filter(uid=uid)
        .select_related("subscription__company", "subscription__office", "subscription__city")
        .first()
    )
    if bill is None:
        raise NotFound()
    access = bill_access_for_user(user=user, bill_id=bill.subscription.bill_id)
    if not bills_visible(access=access, include_superseded=True).filter(pk=bill.pk).exists():
        raise NotFound()
    return bill


def payable_bill(*, access: BillAccess) -> Bill | None:
    """The one bill whose bill ID and payment ID may be shown for payment: the latest issued
    bill, if it is unpaid (seed 000: older bills show their items only)."""
    latest = bills_visible(access=access).first()
    if latest is None or latest.is_paid:
        return None
    return latest


def subscription_debt(*, subscription_id: int) -> Bill | None:
    """The subscription's outstanding debt as the billing system last stated it: its latest
    issued bill when that is not fully paid, else None. A later bill carries earlier unpaid
    amounts as its «بدهی قبلی» item, so the latest bill alone says whether debts are settled
    (used before an electricity name change, seed 000)."""
    latest = (
        Bill.objects.filter(subscription_id=subscription_id, status=Bill.Status.ISSUED)
        .order_by("-year", "-period", "-version", "-pk")
        .first()
    )
    if latest is None or latest.is_paid:
        return None
    return latest


def bills_for_staff(*, user: User) -> QuerySet[Bill]:
    """Bills of the staff member's office (all offices for system administrators)."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return Bill.objects.none()
    queryset = Bill.objects.select_related("subscription__company", "subscription__office")
    if sees_all_offices(user):
        return queryset
    if user.office_id is None:
        return Bill.objects.none()
    return queryset.filter(subscription__office_id=user.office_id)


__all__ = [
    "BillAccess",
    "accesses_for_user",
    "bill_access_for_user",
    "bill_get_for_user",
    "bills_for_staff",
    "bills_visible",
    "payable_bill",
    "subscription_debt",
]
