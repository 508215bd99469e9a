"""An organisation's bills, aggregated (seed 000, issue 5 item 8).

An organisation is a legal person that linked more than five subscriptions and had a
representative approved by the office (``OrganisationAccess``, see
subscribers.services.organisations). The aggregated view is addressed by that access's pk:
it opens for the organisation's own account and for the representative it names, and only
while the access is ``approved``; for everyone else — another subscriber, staff, a
representative whose access is pending, rejected or revoked — it is ``NotFound``.

One row per subscription currently linked to the organisation: its latest issued bill, or
with a period filter its bill of that period. The rows are one query whatever the number of
subscriptions, and the totals over every filtered row one aggregate query: an organisation (a
water company, a university) can hold thousands of subscriptions, and the page shows 50.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum

from billing.models import Bill
from portal.errors import NotFound
from subscribers.models import City, OrganisationAccess, Subscription, User
from subscribers.selectors.subscriptions import active_links


@dataclass(frozen=True)
class OrganisationBillFilters:
    """Validated filters (forms and the API build it). ``paid``: True, False or None."""

    company_kind: str = ""
    paid: bool | None = None
    city_id: int | None = None
    year: int | None = None
    period: int | None = None


@dataclass(frozen=True)
class OrganisationTotals:
    count: int
    total_amount: int
    unpaid_count: int
    unpaid_amount: int


def organisation_access_get_for_user(*, user: User, pk: int | str) -> OrganisationAccess:
    """The approved access ``pk`` if ``user`` is its organisation or its representative."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    access = (
        OrganisationAccess.objects.filter(
            Q(organisation=user) | Q(representative=user),
            pk=pk,
            status=OrganisationAccess.Status.APPROVED,
        )
        .select_related("organisation__legal_profile", "representative", "office")
        .first()
    )
    if access is None:
        raise NotFound()
    return access


def organisation_accesses_for_user(*, user: User) -> QuerySet[OrganisationAccess]:
    """Approved aggregated accesses ``user`` may open: as the organisation or its
    representative (the links on the bills home)."""
    if not getattr(user, "is_authenticated", False):
        return OrganisationAccess.objects.none()
    return (
        OrganisationAccess.objects.filter(
            Q(organisation=user) | Q(representative=user),
            status=OrganisationAccess.Status.APPROVED,
        )
        .select_related("organisation__legal_profile")
        .order_by("pk")
    )


def organisation_subscriptions(*, access: OrganisationAccess) -> QuerySet[Subscription]:
    """Subscriptions actively linked to the organisation (owner, or tenant within lease)."""
    linked = active_links().filter(user_id=access.organisation_id).values("subscription_id")
    return Subscription.objects.filter(pk__in=linked)


def organisation_cities(*, access: OrganisationAccess) -> QuerySet[City]:
    """Cities of the organisation's subscriptions, for the city filter."""
    return City.objects.filter(
        pk__in=organisation_subscriptions(access=access).values("city_id")
    ).order_by("name")


def _latest_issued() -> QuerySet[Bill]:
    return Bill.objects.filter(subscription=OuterRef("pk"), status=Bill.Status.ISSUED).order_by(
        "-year", "-period", "-version", "-pk"
    )


def _organisation_bill_rows(
    *, access: OrganisationAccess, filters: OrganisationBillFilters | None
) -> QuerySet[Bill]:
    """The filtered bills, bare: no joins, annotations or order, so the totals aggregate over
    exactly the rows the page lists."""
    filters = filters or OrganisationBillFilters()
    subscriptions = organisation_subscriptions(access=access)
    if filters.company_kind:
        subscriptions = subscriptions.filter(company__kind=filters.company_kind)
    if filters.city_id:
        subscriptions = subscriptions.filter(city_id=filters.city_id)
    chosen = _latest_issued()
    if filters.year is not None:
        chosen = chosen.filter(year=filters.year)
    if filters.period is not None:
        chosen = chosen.filter(period=filters.period)
    bill_ids = subscriptions.annotate(chosen=Subquery(chosen.values("pk")[:1])).values("chosen")
    bills = Bill.objects.filter(pk__in=bill_ids)
    if filters.paid is True:
        bills = bills.filter(paid_amount__gte=F("amount"))
    elif filters.paid is False:
        bills = bills.filter(paid_amount__lt=F("amount"))
    return bills


def organisation_bills(
    *, access: OrganisationAccess, filters: OrganisationBillFilters | None = None
) -> QuerySet[Bill]:
    """Each subscription's current bill (or its bill of the filtered period), filtered,
    with subscription, company, city and office joined, ordered by company kind, company
    name and bill ID (unique, so pages cut by OFFSET never repeat or skip a row).

    Each bill is annotated with ``latest_pk``, the subscription's latest issued bill, so the
    caller knows whether a period-filtered bill is still the payable one. Lazy: the page
    slices it, the downloads read it whole.
    """
    return (
        _organisation_bill_rows(access=access, filters=filters)
        .select_related("subscription__company", "subscription__city", "subscription__office")
        .annotate(
            latest_pk=Subquery(
                Bill.objects.filter(subscription=OuterRef("subscription"), status="issued")
                .order_by("-year", "-period", "-version", "-pk")
                .values("pk")[:1]
            )
        )
        .order_by(
            "subscription__company__kind", "subscription__company__name", "subscription__bill_id"
        )
    )


def organisation_totals(
    *, access: OrganisationAccess, filters: OrganisationBillFilters | None = None
) -> OrganisationTotals:
    """Count, total payable, and the unpaid count and balance of every filtered bill (not
    just one page): one aggregate query, no rows loaded. A bill is unpaid while
    ``paid_amount < amount`` (``Bill.is_paid``); its balance is then ``amount - paid_amount``
    (``Bill.balance``)."""
    unpaid = Q(paid_amount__lt=F("amount"))
    sums = _organisation_bill_rows(access=access, filters=filters).aggregate(
        count=Count("pk"),
        total_amount=Sum("amount", default=0),
        unpaid_count=Count("pk", filter=unpaid),
        unpaid_amount=Sum(F("amount") - F("paid_amount"), filter=unpaid, default=0),
    )
    return OrganisationTotals(**{name: int(value) for name, value in sums.items()})


__all__ = [
    "OrganisationBillFilters",
    "OrganisationTotals",
    "organisation_access_get_for_user",
    "organisation_bills",
    "organisation_cities",
    "organisation_subscriptions",
    "organisation_totals",
]
