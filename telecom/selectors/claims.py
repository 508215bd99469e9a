"""Reads for the lines page, the lines API and the operator's activation page.

``lines_for_user`` is the one list of a subscriber's lines: activated links, open claims, and
links to a line that were made elsewhere (e.g. on «اشتراک‌های من») but never activated. It
runs a fixed number of queries whatever the number of lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from portal.digits import normalize_digits
from portal.errors import NotFound
from portal.identifiers import InvalidIdentifier, clean_legal_national_id, clean_national_code
from subscribers.models import SubscriptionLink, User
from subscribers.permissions import sees_all_offices
from subscribers.selectors.subscriptions import active_links
from telecom.models import LineClaim, PhoneLine


@dataclass(frozen=True)
class MyLine:
    """One row of «خطوط تلفن من»."""

    line: PhoneLine
    role: str
    status: str  # "active" | "pending" | "linked" (linked elsewhere, not yet claimed)
    lease_start: dt.date | None = None
    lease_end: dt.date | None = None
    claim: LineClaim | None = None
    activated_at: dt.datetime | None = None

    @property
    def role_display(self) -> str:
        return "صاحب تلفن" if self.role == SubscriptionLink.Role.OWNER else "استفاده‌کننده"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


def lines_for_user(*, user: User) -> list[MyLine]:
    """The subscriber's lines (see module docstring), activated first, then by number.
    Three queries; empty for anonymous users and staff."""
    if not getattr(user, "is_authenticated", False) or not user.is_subscriber:
        return []
    rows: dict[int, MyLine] = {}
    links = (
        active_links()
        .filter(user=user, subscription__phone_line__isnull=False)
        # The reverse one-to-one points phone_line.subscription back at this subscription,
        # so office and company are joined on it.
        .select_related(
            "line_activation",
            "subscription__office",
            "subscription__company",
            "subscription__phone_line",
        )
        .order_by("-created_at")
    )
    linked: dict[int, SubscriptionLink] = {}
    for link in links:
        line = link.subscription.phone_line
        activation = getattr(link, "line_activation", None)
        if activation is not None:
            rows[line.pk] = MyLine(
                line=line,
                role=link.role,
                status="active",
                lease_start=activation.lease_start,
                lease_end=activation.lease_end,
                activated_at=activation.activated_at,
            )
        else:
            linked.setdefault(line.pk, link)
    claims = (
        LineClaim.objects.filter(user=user, status=LineClaim.Status.PENDING)
        .select_related("line__subscription__office", "line__subscription__company")
        .order_by("-created_at")
    )
    for claim in claims:
        if claim.line_id not in rows:
            rows[claim.line_id] = MyLine(
                line=claim.line,
                role=claim.role,
                status="pending",
                lease_end=claim.lease_end,
                claim=claim,
            )
    for line_id, link in linked.items():
        if line_id not in rows:
            rows[line_id] = MyLine(
                line=link.subscription.phone_line,
                role=link.role,
                status="linked",
                lease_end=link.lease_end,
            )
    order = {"active": 0, "pending": 1, "linked": 2}
    return sorted(rows.values(), key=lambda r: (order[r.status], r.line.number))


def citizen_find(*, identifier: str) -> User:
    """The active subscriber with this national code (10 digits) or legal national ID (11),
    Persian digits accepted; ``NotFound`` otherwise, ``PortalError`` for a malformed one."""
    from portal.errors import PortalError

    text = "".join(ch for ch in normalize_digits(str(identifier or "")) if ch.isdigit())
    try:
        if len(text) == 11:
            query = {"legal_national_id": clean_legal_national_id(text)}
        else:
            query = {"national_code": clean_national_code(text)}
    except InvalidIdentifier as exc:
        message = f"{exc.message}."
        raise PortalError(
            "invalid", f"کد ملی / شناسه ملی: {message}", fields={"q": [message]}
        ) from None
    user = (
        User.objects.filter(**query, is_active=True)
        .exclude(kind=User.Kind.STAFF)
        .select_related("legal_profile", "natural_profile")
        .first()
    )
    if user is None:
        raise NotFound("مشترکی با این کد ملی یا شناسه ملی در سامانه ثبت‌نام نکرده است.")
    return user


def pending_claims_for_operator(*, operator: User, citizen: User) -> QuerySet[LineClaim]:
    """The citizen's open claims on lines of the operator's center (every center for those
    who see all offices), with line, center and company joined."""
    claims = (
        LineClaim.objects.filter(user=citizen, status=LineClaim.Status.PENDING)
        .select_related("line__subscription__office", "line__subscription__company")
        .order_by("line__number")
    )
    if sees_all_offices(operator):
        return claims
    if operator.office_id is None:
        return claims.none()
    return claims.filter(line__subscription__office_id=operator.office_id)
