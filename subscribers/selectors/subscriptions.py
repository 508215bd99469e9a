"""Read paths for subscriptions: what one user may see, joined for list pages and the API.

A link is active while it has not been ended and, for a tenant, while today is on or before
the lease end. That rule is checked on every read (never by a nightly job), so a lease that
ran out yesterday stops showing today without anything having to run.
"""

from __future__ import annotations

from datetime import date

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from subscribers.models import OrganisationAccess, Subscription, SubscriptionLink, User


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def active_links(*, today: date | None = None) -> QuerySet[SubscriptionLink]:
    """Links that currently grant access: not ended, and owner or a lease not yet over."""
    return SubscriptionLink.objects.filter(ended_at__isnull=True).filter(
        Q(role=SubscriptionLink.Role.OWNER) | Q(lease_end__gte=_today(today))
    )


def subscriptions_for_user(*, user: User, today: date | None = None) -> QuerySet[Subscription]:
    """Subscriptions ``user`` may see now, with company, office and city joined.

    That is the user's own active links plus every subscription actively linked to an
    organisation whose approved ``OrganisationAccess`` names ``user`` as its representative.
    Each row is annotated with the user's own link (``link_id``, ``link_role``,
    ``link_lease_end``, ``link_proof``); those are ``None`` for rows seen only as a
    representative. Anonymous users and staff without links get an empty queryset.
    """
    if not getattr(user, "is_authenticated", False):
        return Subscription.objects.none()
    today = _today(today)
    links = active_links(today=today)
    organisations = OrganisationAccess.objects.filter(
        representative=user, status=OrganisationAccess.Status.APPROVED
    ).values("organisation_id")
    visible = links.filter(Q(user=user) | Q(user__in=organisations)).values("subscription_id")
    own = links.filter(user=user, subscription=OuterRef("pk")).order_by("-created_at")
    return (
        Subscription.objects.filter(pk__in=visible)
        .select_related("company", "office", "city")
        .annotate(
            link_id=Subquery(own.values("pk")[:1]),
            link_role=Subquery(own.values("role")[:1]),
            link_lease_end=Subquery(own.values("lease_end")[:1]),
            link_proof=Subquery(own.values("proof")[:1]),
        )
    )


def subscription_get_for_user(
    *, user: User, subscription_id: int | str, today: date | None = None
) -> Subscription:
    """One subscription the user may see; ``Http404`` when it is missing or not theirs, so
    the answer never reveals that someone else's subscription exists."""
    try:
        return subscriptions_for_user(user=user, today=today).get(pk=int(subscription_id))
    except (Subscription.DoesNotExist, ValueError, TypeError):
        raise Http404("مورد درخواستی یافت نشد.") from None


def organisation_accesses_for_user(*, user: User) -> QuerySet[OrganisationAccess]:
    """The aggregated-access requests a legal person made, newest first."""
    return (
        OrganisationAccess.objects.filter(organisation=user)
        .select_related("representative", "office")
        .order_by("-requested_at")
    )
