"""Seed 000: organisations with more than five subscriptions and their representative."""

from __future__ import annotations

import pytest

from portal.errors import NotFound, PortalError
from subscribers.models import AuditLog, OrganisationAccess
from subscribers.selectors.subscriptions import subscriptions_for_user
from subscribers.services.organisations import (
    organisation_access_decide,
    organisation_access_request,
)
from tests.factories import (
    DistrictOfficeFactory,
    LegalUserFactory,
    StaffFactory,
    SubscriptionLinkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def organisation_with(count: int):
    org = LegalUserFactory()
    office = DistrictOfficeFactory()
    subs = [
        SubscriptionLinkFactory(user=org, subscription__office=office).subscription
        for _ in range(count)
    ]
    return org, office, subs


def test_five_or_fewer_is_refused():
    org, _, _ = organisation_with(5)
    rep = UserFactory()
    with pytest.raises(PortalError) as exc:
        organisation_access_request(
            organisation=org,
            representative_national_code=rep.national_code,
            introduction_letter="۱۲۳/الف",
        )
    assert exc.value.code == "too_few_subscriptions"
    assert "پنج" in exc.value.message


def test_natural_person_cannot_request():
    with pytest.raises(PortalError):
        organisation_access_request(
            organisation=UserFactory(),
            representative_national_code="0499370899",
            introduction_letter="1",
        )


def test_unknown_representative():
    org, _, _ = organisation_with(6)
    with pytest.raises(PortalError) as exc:
        organisation_access_request(
            organisation=org, representative_national_code="0499370899", introduction_letter="1"
        )
    assert "representative_national_code" in exc.value.fields


def test_approve_lets_the_representative_see_all():
    org, office, subs = organisation_with(6)
    rep = UserFactory()
    own = SubscriptionLinkFactory(user=rep).subscription
    access = organisation_access_request(
        organisation=org, representative_national_code=rep.national_code, introduction_letter="45"
    )
    assert access.office == office and access.status == "pending"
    assert list(subscriptions_for_user(user=rep)) == [own]
    with pytest.raises(PortalError):
        organisation_access_request(
            organisation=org,
            representative_national_code=rep.national_code,
            introduction_letter="46",
        )

    # Staff of another office cannot decide it.
    with pytest.raises(NotFound):
        organisation_access_decide(access=access, actor=StaffFactory(), approve=True)

    clerk = StaffFactory(office=office)
    organisation_access_decide(access=access, actor=clerk, approve=True, note="مدارک کامل")
    access.refresh_from_db()
    assert (access.status, access.decided_by) == ("approved", clerk)
    visible = subscriptions_for_user(user=rep)
    assert set(visible) == {own, *subs}
    assert {s.pk: s.link_role for s in visible}[subs[0].pk] is None
    assert AuditLog.objects.filter(action="organisations.access_approve", actor=clerk).exists()
    # Decided once only.
    with pytest.raises(PortalError):
        organisation_access_decide(access=access, actor=clerk, approve=False)


def test_rejected_representative_sees_nothing():
    org, office, _ = organisation_with(6)
    rep = UserFactory()
    access = organisation_access_request(
        organisation=org, representative_national_code=rep.national_code, introduction_letter="45"
    )
    organisation_access_decide(access=access, actor=StaffFactory(office=office), approve=False)
    assert OrganisationAccess.objects.get().status == "rejected"
    assert not subscriptions_for_user(user=rep).exists()
    assert AuditLog.objects.filter(action="organisations.access_reject").exists()
