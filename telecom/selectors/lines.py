"""Who may use a line's e-services, and which calls of it they may see.

A subscriber uses a line's e-services through an active ``SubscriptionLink`` to the line's
subscription that has a ``LineActivation`` (seed 002: activated by a telecom-center operator
after the in-person identity check). The owner (صاحب تلفن) sees every call; a tenant
(استفاده‌کننده) only calls inside the lease recorded at activation. Anything else is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from portal.digits import normalize_digits
from portal.errors import NotFound
from subscribers.models import SubscriptionLink, User
from subscribers.selectors.subscriptions import active_links
from telecom.models import LineActivation, PhoneLine

TEHRAN = ZoneInfo("Asia/Tehran")
NOT_ACTIVE = "خطی با این شماره در حساب شما فعال نیست."


def normalize_number(value: str) -> str:
    """Digits only, Persian/Arabic digits accepted: «۰۴۱-۳۳۳۳ ۴۴۴۴» → ``04133334444``."""
    return "".join(ch for ch in normalize_digits(str(value or "")) if ch.isdigit())


@dataclass(frozen=True)
class LineAccess:
    line: PhoneLine
    link: SubscriptionLink
    activation: LineActivation
    # Calls visible to this user: [visible_from, visible_until) as aware datetimes, or None for
    # no bound (the owner).
    visible_from: dt.datetime | None
    visible_until: dt.datetime | None

    @property
    def is_owner(self) -> bool:
        return self.link.role == SubscriptionLink.Role.OWNER


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TEHRAN)


def activated_links(*, user: User, today: dt.date | None = None) -> QuerySet[SubscriptionLink]:
    """The user's active links (on ``today``, default the Tehran date) that have a line
    activation, with line and activation joined."""
    if not getattr(user, "is_authenticated", False) or not user.is_subscriber:
        return SubscriptionLink.objects.none()
    return (
        active_links(today=today)
        .filter(user=user, line_activation__isnull=False, subscription__phone_line__isnull=False)
        .select_related("line_activation", "subscription__phone_line")
    )


def line_access_for(*, user: User, number: str, today: dt.date | None = None) -> LineAccess:
    """The user's access to the line ``number`` (any spelling of its digits), or ``NotFound``
    when the line does not exist, is not linked to the user, or is not activated.

    This is the rule; ``telecom.selectors.line_access.call_access_for`` is the same rule as
    one hand-written statement for the call search (a test compares the two)."""
    digits = normalize_number(number)
    link = (
        activated_links(user=user, today=today)
        .filter(subscription__phone_line__number=digits)
        .order_by("role")  # "owner" before "tenant"
        .first()
    )
    if link is None:
        raise NotFound(NOT_ACTIVE)
    return line_access_build(
        line=link.subscription.phone_line, link=link, activation=link.line_activation
    )


def line_access_build(
    *, line: PhoneLine, link: SubscriptionLink, activation: LineActivation
) -> LineAccess:
    """The ``LineAccess`` of a link that passed the rule above: the owner sees every call, a
    tenant the lease recorded at activation (else the link's own lease dates)."""
    if link.role == SubscriptionLink.Role.OWNER:
        start = end = None
    else:
        lease_start = activation.lease_start or link.lease_start
        lease_end = activation.lease_end or link.lease_end
        start = _day_start(lease_start) if lease_start else None
        end = _day_start(lease_end + dt.timedelta(days=1)) if lease_end else None
    return LineAccess(
        line=line, link=link, activation=activation, visible_from=start, visible_until=end
    )
