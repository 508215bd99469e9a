"""``line_access_for`` as one hand-written statement, for the call search that runs it on every
request.

The rule is ``telecom.selectors.lines.line_access_for`` (``activated_links``: an active link
of a subscriber — owner, or tenant whose lease has not ended — with a line activation, to the
line with this number; owner before tenant). Building and compiling that ORM statement cost
several times what PostgreSQL needs to run it, and its path to the line goes through the
subscription table, which PostgreSQL must parse and plan on every request too (0.46 ms against
0.25 ms on the 10 M-row benchmark database). So the search runs the same rule as three tables
— phone line, link, activation — written out once here. It is privacy-critical:
``tests/telecom/test_line_access.py`` checks that both answer the same on a table of cases
(owner, tenant inside and after the lease, ended or never-activated links, another
subscriber, staff, an organisation's representative, anonymous, missing numbers, Persian
digits).

The instances in the returned ``LineAccess`` carry only the fields the call screens read
(line: number and subscription; link: user, subscription, role, lease dates; activation:
lease dates); any other field loads on first use.
"""

from __future__ import annotations

import datetime as dt

from django.db import connections, router
from django.utils import timezone

from portal.errors import NotFound
from subscribers.models import SubscriptionLink, User
from telecom.models import LineActivation, PhoneLine
from telecom.selectors.lines import (
    NOT_ACTIVE,
    LineAccess,
    line_access_build,
    normalize_number,
)

_LINK_FIELDS = ("id", "user_id", "subscription_id", "role", "lease_start", "lease_end")
_ACTIVATION_FIELDS = ("id", "link_id", "lease_start", "lease_end")
_LINE_FIELDS = ("id", "subscription_id", "number")
_DATES = {4, 5, 8, 9}  # the lease columns; SQLite returns them as text
_LEASE_START = SubscriptionLink._meta.get_field("lease_start")

_statements: dict[str, str] = {}


def _statement(alias: str) -> str:
    """activated_links(user).filter(subscription__phone_line__number=…).order_by("role")[:1]
    without the subscription table (the link and the line both name it)."""
    statement = _statements.get(alias)
    if statement is None:
        quote = connections[alias].ops.quote_name
        line, link, activation = (
            quote(model._meta.db_table) for model in (PhoneLine, SubscriptionLink, LineActivation)
        )
        columns = ", ".join(
            [f"l.{name}" for name in _LINK_FIELDS]
            + [f"a.{name}" for name in _ACTIVATION_FIELDS]
            + [f"p.{name}" for name in _LINE_FIELDS]
        )
        statement = _statements[alias] = (
            f"SELECT {columns} FROM {line} p "  # noqa: S608 (table names from the models)
            f"JOIN {link} l ON l.subscription_id = p.subscription_id "
            f"JOIN {activation} a ON a.link_id = l.id "
            "WHERE p.number = %s AND l.user_id = %s AND l.ended_at IS NULL "
            "AND (l.role = %s OR l.lease_end >= %s) "
            "ORDER BY l.role LIMIT 1"  # "owner" before "tenant"
        )
    return statement


def _loaded(model, alias: str, names: tuple[str, ...], values) -> object:
    """An instance as the ORM loads one with only ``names`` selected (the rest deferred)."""
    return model.from_db(alias, list(names), list(values))


def call_access_for(*, user: User, number: str, today: dt.date | None = None) -> LineAccess:
    """``line_access_for`` in one query: the same link and the same ``LineAccess``,
    ``NotFound`` for anything the user may not see (a missing line, another's line, an
    inactive or unactivated link, an ended lease, staff, anonymous)."""
    if not getattr(user, "is_authenticated", False) or not user.is_subscriber:
        raise NotFound(NOT_ACTIVE)
    digits = normalize_number(number)
    alias = router.db_for_read(SubscriptionLink)
    on = connections[alias].ops.adapt_datefield_value(today or timezone.localdate())
    params = (digits, user.pk, SubscriptionLink.Role.OWNER.value, on)
    with connections[alias].cursor() as cursor:
        cursor.execute(_statement(alias), params)
        row = cursor.fetchone()
    if row is None:
        raise NotFound(NOT_ACTIVE)
    to_date = _LEASE_START.to_python
    row = tuple(to_date(value) if i in _DATES else value for i, value in enumerate(row))
    n_link, n_activation = len(_LINK_FIELDS), len(_ACTIVATION_FIELDS)
    link = _loaded(SubscriptionLink, alias, _LINK_FIELDS, row[:n_link])
    activation = _loaded(
        LineActivation, alias, _ACTIVATION_FIELDS, row[n_link : n_link + n_activation]
    )
    line = _loaded(PhoneLine, alias, _LINE_FIELDS, row[n_link + n_activation :])
    link.user = user
    activation.link = link
    return line_access_build(line=line, link=link, activation=activation)
