"""Linking a subscription to an account: national-code, OTP, kiosk and office proofs; unlink;
tenants' lease end checked on every read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.errors import NotFound, PortalError
from subscribers.models import AuditLog, IdentityVerification, SubscriptionLink
from subscribers.selectors.subscriptions import (
    subscription_get_for_user,
    subscriptions_for_user,
)
from subscribers.services.subscriptions import (
    subscription_link_by_office,
    subscription_link_confirm,
    subscription_link_in_person,
    subscription_link_start,
    subscription_unlink,
)
from tests.factories import (
    KioskOperatorFactory,
    LegalUserFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Role = SubscriptionLink.Role


def sent_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(recipient=mobile, kind="otp").latest("pk")
    return message.tokens["token"]


def future(days: int = 90):
    return timezone.localdate() + timedelta(days=days)


def test_national_code_match_links_at_once():
    user = UserFactory()
    sub = SubscriptionFactory(holder_id=user.national_code)
    started = subscription_link_start(
        user=user, bill_id=sub.bill_id, role=Role.OWNER, client_ip="10.0.0.1"
    )
    assert started.link is not None and started.challenge_id is None
    assert started.link.proof == SubscriptionLink.Proof.NATIONAL_CODE
    assert list(subscriptions_for_user(user=user)) == [sub]
    assert not OutboxMessage.objects.exists()


def test_legal_id_match_links_at_once():
    org = LegalUserFactory()
    sub = SubscriptionFactory(holder_id=org.legal_national_id)
    started = subscription_link_start(
        user=org, bill_id=sub.bill_id, role=Role.OWNER, client_ip=None
    )
    assert started.link.user == org


def test_otp_proof_end_to_end():
    user = UserFactory()
    sub = SubscriptionFactory(mobile="09147778899", holder_id="")
    started = subscription_link_start(
        user=user, bill_id=sub.bill_id, role=Role.TENANT, lease_end=future(), client_ip="10.0.0.1"
    )
    assert started.link is None
    assert started.masked_mobile == "0914***8899"
    assert OutboxMessage.objects.filter(recipient="09147778899").count() == 1
    assert not SubscriptionLink.objects.exists()
    link = subscription_link_confirm(
        user=user, challenge_id=started.challenge_id, code=sent_code("09147778899")
    )
    assert (link.role, link.lease_end, link.proof) == (Role.TENANT, future(), "otp")
    assert subscription_get_for_user(user=user, subscription_id=sub.pk).link_role == "tenant"
    # Single use: the same code again does not make a second link.
    with pytest.raises(PortalError):
        subscription_link_confirm(
            user=user, challenge_id=started.challenge_id, code=sent_code("09147778899")
        )


def test_wrong_code_links_nothing():
    user = UserFactory()
    sub = SubscriptionFactory(holder_id="")
    started = subscription_link_start(
        user=user, bill_id=sub.bill_id, role=Role.OWNER, client_ip=None
    )
    code = sent_code(sub.mobile)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(PortalError) as exc:
        subscription_link_confirm(user=user, challenge_id=started.challenge_id, code=wrong)
    assert exc.value.code == "otp_invalid"
    assert not SubscriptionLink.objects.exists()


def test_someone_elses_challenge_is_refused():
    owner, thief = UserFactory(), UserFactory()
    sub = SubscriptionFactory(holder_id="")
    started = subscription_link_start(
        user=owner, bill_id=sub.bill_id, role=Role.OWNER, client_ip=None
    )
    with pytest.raises(PortalError):
        subscription_link_confirm(
            user=thief, challenge_id=started.challenge_id, code=sent_code(sub.mobile)
        )
    assert not SubscriptionLink.objects.exists()


def test_duplicate_active_link_is_refused():
    link = SubscriptionLinkFactory()
    link.subscription.holder_id = link.user.national_code
    link.subscription.save()
    with pytest.raises(PortalError) as exc:
        subscription_link_start(
            user=link.user, bill_id=link.subscription.bill_id, role=Role.OWNER, client_ip=None
        )
    assert exc.value.code == "already_linked"


def test_unknown_bill_and_bad_tenant_dates():
    user = UserFactory()
    sub = SubscriptionFactory()
    with pytest.raises(PortalError) as exc:
        subscription_link_start(user=user, bill_id="7748317800142", role=Role.OWNER, client_ip=None)
    assert "bill_id" in exc.value.fields
    with pytest.raises(PortalError) as exc:
        subscription_link_start(user=user, bill_id=sub.bill_id, role=Role.TENANT, client_ip=None)
    assert "lease_end" in exc.value.fields
    with pytest.raises(PortalError) as exc:
        subscription_link_start(
            user=user,
            bill_id=sub.bill_id,
            role=Role.TENANT,
            lease_end=timezone.localdate(),
            client_ip=None,
        )
    assert "lease_end" in exc.value.fields


def test_find_by_company_and_number():
    user = UserFactory()
    sub = SubscriptionFactory(holder_id=user.national_code)
    started = subscription_link_start(
        user=user,
        role=Role.OWNER,
        client_ip=None,
        company=sub.company,
        subscription_number=sub.subscription_number,
    )
    assert started.link.subscription == sub


def test_staff_cannot_link():
    staff = StaffFactory()
    sub = SubscriptionFactory()
    with pytest.raises(PortalError):
        subscription_link_start(user=staff, bill_id=sub.bill_id, role=Role.OWNER, client_ip=None)


def test_tenant_after_lease_end_is_gone_without_a_job():
    link = SubscriptionLinkFactory(role=Role.TENANT, lease_end=future(10))
    user, sub = link.user, link.subscription
    assert list(subscriptions_for_user(user=user)) == [sub]
    assert list(subscriptions_for_user(user=user, today=future(10))) == [sub]
    later = future(11)
    assert list(subscriptions_for_user(user=user, today=later)) == []
    with pytest.raises(Http404):
        subscription_get_for_user(user=user, subscription_id=sub.pk, today=later)


def test_tenant_can_relink_after_lease_ended():
    link = SubscriptionLinkFactory(
        role=Role.TENANT, lease_end=timezone.localdate() - timedelta(days=1)
    )
    sub = link.subscription
    sub.holder_id = link.user.national_code
    sub.save()
    started = subscription_link_start(
        user=link.user, bill_id=sub.bill_id, role=Role.TENANT, lease_end=future(), client_ip=None
    )
    assert started.link.pk != link.pk
    link.refresh_from_db()
    assert link.ended_at is not None


def test_unlink_sets_ended_at_and_hides():
    link = SubscriptionLinkFactory()
    subscription_unlink(user=link.user, subscription_id=link.subscription_id)
    link.refresh_from_db()
    assert link.ended_at is not None
    assert not subscriptions_for_user(user=link.user).exists()
    with pytest.raises(NotFound):
        subscription_unlink(user=link.user, subscription_id=link.subscription_id)


def test_unlink_someone_elses_is_not_found():
    link = SubscriptionLinkFactory()
    with pytest.raises(NotFound):
        subscription_unlink(user=UserFactory(), subscription_id=link.subscription_id)


def test_in_person_link_by_kiosk_operator_is_audited():
    operator = KioskOperatorFactory()
    citizen = UserFactory()
    sub = SubscriptionFactory()
    verification = IdentityVerification.objects.create(
        user=citizen,
        verified_by=operator.user,
        channel=IdentityVerification.Channel.KIOSK,
        kiosk=operator.kiosk,
        document_type=IdentityVerification.DocumentType.NATIONAL_CARD,
        document_number="123",
    )
    link = subscription_link_in_person(
        citizen=citizen,
        subscription=sub,
        role=Role.OWNER,
        lease_end=None,
        operator=operator.user,
        verification=verification,
    )
    assert (link.proof, link.verified_by) == ("kiosk", operator.user)
    log = AuditLog.objects.get(action="subscriptions.link_in_person")
    assert (log.actor, log.on_behalf_of, log.kiosk) == (operator.user, citizen, operator.kiosk)


def test_in_person_link_needs_this_citizens_verification():
    operator = KioskOperatorFactory()
    other = UserFactory()
    verification = IdentityVerification.objects.create(
        user=other,
        verified_by=operator.user,
        channel=IdentityVerification.Channel.KIOSK,
        kiosk=operator.kiosk,
        document_type=IdentityVerification.DocumentType.NATIONAL_CARD,
        document_number="123",
    )
    with pytest.raises(PortalError):
        subscription_link_in_person(
            citizen=UserFactory(),
            subscription=SubscriptionFactory(),
            role=Role.OWNER,
            lease_end=None,
            operator=operator.user,
            verification=verification,
        )


def test_office_link_only_by_the_subscriptions_office():
    sub = SubscriptionFactory()
    citizen = UserFactory()
    with pytest.raises(NotFound):
        subscription_link_by_office(
            citizen=citizen, subscription=sub, role=Role.OWNER, lease_end=None, actor=StaffFactory()
        )
    clerk = StaffFactory(office=sub.office)
    link = subscription_link_by_office(
        citizen=citizen, subscription=sub, role=Role.OWNER, lease_end=None, actor=clerk
    )
    assert link.proof == "office"
    assert AuditLog.objects.filter(action="subscriptions.link_office", actor=clerk).exists()


def test_one_account_sees_all_utilities():
    user = UserFactory()
    electricity = SubscriptionLinkFactory(user=user).subscription
    gas = SubscriptionLinkFactory(user=user, subscription__office__company__kind="gas").subscription
    assert set(subscriptions_for_user(user=user)) == {electricity, gas}


def test_in_person_duplicate_is_refused_and_not_audited():
    operator = KioskOperatorFactory()
    link = SubscriptionLinkFactory()
    verification = IdentityVerification.objects.create(
        user=link.user,
        verified_by=operator.user,
        channel=IdentityVerification.Channel.KIOSK,
        kiosk=operator.kiosk,
        document_type=IdentityVerification.DocumentType.NATIONAL_CARD,
        document_number="123",
    )
    with pytest.raises(PortalError) as exc:
        subscription_link_in_person(
            citizen=link.user,
            subscription=link.subscription,
            role=Role.OWNER,
            lease_end=None,
            operator=operator.user,
            verification=verification,
        )
    assert exc.value.code == "already_linked"
    assert not AuditLog.objects.filter(action="subscriptions.link_in_person").exists()
