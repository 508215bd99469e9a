"""``call_access_for`` (the call search's one prepared query) against the rule it must equal,
``line_access_for``, on a table of cases: the owner, a tenant inside and after the lease (the
activation's lease dates or the link's), an ended link, a link never activated, another
subscriber, staff of the line's own center and of another, an organisation's representative,
anonymous, a missing line, and numbers typed with Persian digits and dashes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from portal.errors import NotFound
from subscribers.models import OrganisationAccess, SubscriptionLink
from telecom.models import LineActivation
from telecom.selectors.line_access import call_access_for
from telecom.selectors.lines import line_access_for
from tests.factories import (
    LegalUserFactory,
    OrganisationAccessFactory,
    StaffFactory,
    SubscriptionLinkFactory,
    UserFactory,
)
from tests.telecom.factories import PhoneLineFactory, activated_link, telecom_operator

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


def _fa(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def _answer(function, *, user, number, today):
    try:
        access = function(user=user, number=number, today=today)
    except NotFound as exc:
        return ("404", exc.message)
    return (
        access.line.pk,
        access.line.number,
        access.line.subscription_id,
        access.link.pk,
        access.link.role,
        access.link.user_id,
        access.link.lease_start,
        access.link.lease_end,
        access.activation.pk,
        access.activation.lease_start,
        access.activation.lease_end,
        access.is_owner,
        access.visible_from,
        access.visible_until,
    )


def _cases() -> list[tuple[str, object, str, dt.date, bool]]:
    """(label, user, number as typed, today, visible?)"""
    cases = []
    owner_line = PhoneLineFactory()
    owner = activated_link(line=owner_line).user
    cases += [
        ("owner", owner, owner_line.number, TODAY, True),
        ("owner, Persian digits", owner, _fa(owner_line.number), TODAY, True),
        ("owner, dashes", owner, f"{owner_line.number[:3]}-{owner_line.number[3:]}", TODAY, True),
        ("owner, missing number", owner, "04100000000", TODAY, False),
        ("owner, garbage", owner, "abc", TODAY, False),
    ]

    legal_line = PhoneLineFactory()
    legal = activated_link(line=legal_line, user=LegalUserFactory()).user
    cases.append(("legal owner", legal, legal_line.number, TODAY, True))
    # The organisation's representative sees its bills, never its calls.
    representative = UserFactory()
    OrganisationAccessFactory(
        organisation=legal, representative=representative, status=OrganisationAccess.Status.APPROVED
    )
    cases.append(("organisation representative", representative, legal_line.number, TODAY, False))

    start, end = dt.date(2025, 12, 1), dt.date(2026, 6, 30)
    tenant_line = PhoneLineFactory()
    tenant = activated_link(line=tenant_line, role="tenant", lease_start=start, lease_end=end).user
    cases += [
        ("tenant inside the lease", tenant, tenant_line.number, TODAY, True),
        ("tenant on the last lease day", tenant, tenant_line.number, end, True),
        ("tenant after the lease", tenant, tenant_line.number, end + dt.timedelta(1), False),
    ]
    # The owner of the same line still sees it, tenant or not.
    line_owner = activated_link(line=tenant_line).user
    cases.append(("owner of a rented line", line_owner, tenant_line.number, TODAY, True))

    link_lease_line = PhoneLineFactory()
    link_lease = activated_link(
        line=link_lease_line, role="tenant", lease_start=start, lease_end=end
    )
    LineActivation.objects.filter(link=link_lease).update(lease_start=None, lease_end=None)
    cases.append(
        ("tenant, lease on the link only", link_lease.user, link_lease_line.number, TODAY, True)
    )

    ended_line = PhoneLineFactory()
    ended = activated_link(line=ended_line)
    SubscriptionLink.objects.filter(pk=ended.pk).update(ended_at=timezone.now())
    cases.append(("ended link", ended.user, ended_line.number, TODAY, False))

    claimed_line = PhoneLineFactory()
    not_activated = SubscriptionLinkFactory(
        subscription=claimed_line.subscription, role="owner", proof=SubscriptionLink.Proof.OFFICE
    ).user
    cases.append(("link never activated", not_activated, claimed_line.number, TODAY, False))

    center = owner_line.subscription.office
    cases += [
        ("another subscriber", UserFactory(), owner_line.number, TODAY, False),
        (
            "operator of the line's center",
            telecom_operator(center),
            owner_line.number,
            TODAY,
            False,
        ),
        ("staff of another office", StaffFactory(), owner_line.number, TODAY, False),
        ("anonymous", AnonymousUser(), owner_line.number, TODAY, False),
    ]
    return cases


def test_call_access_agrees_with_line_access_for_on_every_case():
    for label, user, number, today, visible in _cases():
        rule = _answer(line_access_for, user=user, number=number, today=today)
        fast = _answer(call_access_for, user=user, number=number, today=today)
        assert fast == rule, label
        assert (rule[0] != "404") is visible, label


def test_one_query_and_no_lazy_load_on_the_search_path(django_assert_num_queries):
    line = PhoneLineFactory()
    user = activated_link(line=line, role="tenant", lease_start=TODAY, lease_end=TODAY).user
    with django_assert_num_queries(1):
        access = call_access_for(user=user, number=line.number, today=TODAY)
        # What the search, its audit row and its page read.
        assert (access.line.pk, access.line.number, access.link.role) == (
            line.pk,
            line.number,
            "tenant",
        )
        assert access.activation.lease_end == access.link.lease_end == TODAY
        assert access.link.user is user
