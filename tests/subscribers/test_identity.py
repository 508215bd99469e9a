"""In-person identity verification: checklists per kind of person, who may record it, admin."""

from datetime import date

import pytest
from django.urls import reverse

from portal.errors import PortalError
from subscribers import roles
from subscribers.models import AuditLog, IdentityVerification
from subscribers.services.identity import (
    CHECKLISTS,
    identity_is_verified,
    identity_verify,
)
from tests.factories import (
    KioskOperatorFactory,
    LegalProfileFactory,
    StaffFactory,
    SubscriptionLinkFactory,
    UserFactory,
    add_role,
    login_with_second_factor,
)

pytestmark = pytest.mark.django_db

NATURAL_MANDATORY = ["id_original", "id_copy", "last_paid_bills"]
LEGAL_MANDATORY = [
    "org_request",
    "representative_letter",
    "latest_gazette",
    "registration_certificate",
    "articles_and_founding",
    "last_paid_bills",
]


def _verify(citizen, operator, documents, **kwargs):
    defaults = {
        "channel": IdentityVerification.Channel.KIOSK,
        "document_type": IdentityVerification.DocumentType.NATIONAL_CARD,
        "document_number": "۰۰۱۲۳۴۵۶۷۸",
        "client_ip": "10.0.0.7",
    }
    defaults.update(kwargs)
    return identity_verify(citizen=citizen, operator=operator, documents_seen=documents, **defaults)


def test_checklists_have_stable_keys_and_persian_titles():
    natural = [item.key for item in CHECKLISTS["natural"]]
    legal = [item.key for item in CHECKLISTS["legal"]]
    assert natural == [*NATURAL_MANDATORY, "lease"]
    assert legal == [*LEGAL_MANDATORY, "lease"]
    assert all(item.title for items in CHECKLISTS.values() for item in items)


def test_natural_person_verified_with_every_mandatory_document():
    citizen = UserFactory()
    operator = KioskOperatorFactory()
    assert not identity_is_verified(user=citizen)

    verification = _verify(citizen, operator.user, NATURAL_MANDATORY)

    assert verification.channel == "kiosk"
    assert verification.kiosk == operator.kiosk
    assert verification.verified_by == operator.user
    assert verification.document_number == "0012345678"
    assert verification.documents_seen == NATURAL_MANDATORY
    assert identity_is_verified(user=citizen)
    row = AuditLog.objects.get(action="identity.verify")
    assert (row.actor, row.on_behalf_of, row.kiosk) == (operator.user, citizen, operator.kiosk)
    assert row.ip == "10.0.0.7"
    assert "0012345678" not in str(row.details)


@pytest.mark.parametrize("missing", NATURAL_MANDATORY)
def test_natural_person_missing_a_document_is_refused(missing):
    citizen = UserFactory()
    operator = KioskOperatorFactory()
    documents = [key for key in NATURAL_MANDATORY if key != missing]
    with pytest.raises(PortalError) as exc:
        _verify(citizen, operator.user, documents)
    assert "documents_seen" in exc.value.fields
    assert not IdentityVerification.objects.exists()
    assert not AuditLog.objects.exists()


def test_lease_is_required_only_for_a_tenant():
    citizen = UserFactory()
    operator = KioskOperatorFactory()
    with pytest.raises(PortalError):
        _verify(citizen, operator.user, NATURAL_MANDATORY, is_tenant=True)
    assert _verify(citizen, operator.user, [*NATURAL_MANDATORY, "lease"], is_tenant=True)
    # An owner may still show a lease; it is optional.
    assert _verify(citizen, operator.user, [*NATURAL_MANDATORY, "lease"])


def test_an_active_tenant_link_requires_the_lease_even_if_not_flagged():
    citizen = UserFactory()
    SubscriptionLinkFactory(user=citizen, role="tenant", lease_end=date(2030, 1, 1))
    operator = KioskOperatorFactory()
    with pytest.raises(PortalError) as exc:
        _verify(citizen, operator.user, NATURAL_MANDATORY)
    assert "اجاره" in exc.value.message


def test_legal_person_checklist():
    citizen = LegalProfileFactory().user
    operator = KioskOperatorFactory()
    company_docs = IdentityVerification.DocumentType.COMPANY_DOCUMENTS
    with pytest.raises(PortalError):
        _verify(citizen, operator.user, LEGAL_MANDATORY[1:], document_type=company_docs)
    with pytest.raises(PortalError) as exc:  # a national card is not a company's document
        _verify(citizen, operator.user, LEGAL_MANDATORY)
    assert "document_type" in exc.value.fields
    verification = _verify(citizen, operator.user, LEGAL_MANDATORY, document_type=company_docs)
    assert verification.documents_seen == LEGAL_MANDATORY
    assert identity_is_verified(user=citizen)


def test_unknown_document_key_is_refused():
    with pytest.raises(PortalError):
        _verify(UserFactory(), KioskOperatorFactory().user, [*NATURAL_MANDATORY, "bribe"])


def test_staff_accounts_are_not_verified_in_person():
    with pytest.raises(PortalError):
        _verify(StaffFactory(), KioskOperatorFactory().user, NATURAL_MANDATORY)
    assert not identity_is_verified(user=StaffFactory())


def test_inactive_kiosk_operator_cannot_verify():
    operator = KioskOperatorFactory(is_active=False)
    with pytest.raises(PortalError):
        _verify(UserFactory(), operator.user, NATURAL_MANDATORY)


def test_telecom_center_channel_needs_the_role():
    staff = StaffFactory()
    telecom = IdentityVerification.Channel.TELECOM_CENTER
    with pytest.raises(PortalError):
        _verify(UserFactory(), staff, NATURAL_MANDATORY, channel=telecom)
    add_role(staff, roles.TELECOM_CENTER_OPERATOR)
    verification = _verify(UserFactory(), staff, NATURAL_MANDATORY, channel=telecom)
    assert verification.kiosk is None
    assert AuditLog.objects.get(action="identity.verify").office == staff.office


def _admin_add(client, citizen, documents):
    return client.post(
        reverse("admin:subscribers_identityverification_add"),
        {
            "user": citizen.pk,
            "document_type": "national_card",
            "document_number": "12345",
            "documents_seen": documents,
        },
    )


def test_telecom_center_operator_records_a_check_in_admin(client):
    operator = add_role(StaffFactory(), roles.TELECOM_CENTER_OPERATOR)
    citizen = UserFactory()
    login_with_second_factor(client, operator)

    refused = _admin_add(client, citizen, NATURAL_MANDATORY[:2])
    assert refused.status_code == 200
    assert not IdentityVerification.objects.exists()

    response = _admin_add(client, citizen, NATURAL_MANDATORY)
    assert response.status_code == 302, response.content.decode()[:2000]
    verification = IdentityVerification.objects.get()
    assert verification.verified_by == operator
    assert verification.channel == "telecom_center"
    assert identity_is_verified(user=citizen)
    assert AuditLog.objects.filter(action="identity.verify", actor=operator).count() == 1


def test_identity_admin_is_scoped_and_never_editable(client):
    clerk = add_role(StaffFactory(), roles.OFFICE_CLERK)
    mine = UserFactory()
    SubscriptionLinkFactory(user=mine, subscription__office=clerk.office)
    other = UserFactory()
    kiosk_operator = KioskOperatorFactory()
    own_check = _verify(mine, kiosk_operator.user, NATURAL_MANDATORY)
    foreign_check = _verify(other, kiosk_operator.user, NATURAL_MANDATORY)
    login_with_second_factor(client, clerk)

    changelist = client.get(reverse("admin:subscribers_identityverification_changelist"))
    assert changelist.status_code == 200
    shown = {row.pk for row in changelist.context["cl"].result_list}
    assert shown == {own_check.pk}
    url = reverse("admin:subscribers_identityverification_change", args=[foreign_check.pk])
    assert client.get(url).status_code in (302, 404)
    own_url = reverse("admin:subscribers_identityverification_change", args=[own_check.pk])
    page = client.get(own_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    delete_url = reverse("admin:subscribers_identityverification_delete", args=[own_check.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
