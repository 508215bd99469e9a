"""Activation at the telephone center: checklists (natural and legal), the five-month lease
rule, center scoping, audit rows, one SMS, the legal person's username + one password, and
the operator's admin page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from notifications.models import OutboxMessage
from portal.errors import NotFound, PortalError
from portal.jalali import to_jalali
from subscribers.models import AuditLog, IdentityVerification, SubscriptionLink
from telecom.models import LegalCredentialIssue, LineActivation, LineClaim
from telecom.selectors.lines import line_access_for
from telecom.services.activation import (
    ActivationItem,
    add_jalali_months,
    lease_minimum_end,
    lines_activate,
)
from telecom.services.lines import line_claim_create
from tests.factories import LegalProfileFactory, UserFactory, login_with_second_factor
from tests.telecom.factories import PhoneLineFactory, TelephoneCenterFactory, telecom_operator

pytestmark = pytest.mark.django_db

NATURAL_DOCS = ["id_original", "id_copy", "last_paid_bills"]
LEGAL_DOCS = [
    "org_request",
    "representative_letter",
    "latest_gazette",
    "registration_certificate",
    "articles_and_founding",
    "last_paid_bills",
]
Type = IdentityVerification.DocumentType


def activate(citizen, operator, items, docs=NATURAL_DOCS, doc_type=Type.NATIONAL_CARD):
    return lines_activate(
        citizen=citizen,
        operator=operator,
        items=items,
        document_type=doc_type,
        document_number="۱۲۳۴۵۶",
        documents_seen=docs,
        client_ip="127.0.0.1",
    )


@pytest.fixture
def line():
    return PhoneLineFactory()


@pytest.fixture
def operator(line):
    return telecom_operator(line.subscription.office)


def test_owner_activation_creates_link_activation_audit_and_one_sms(line, operator):
    citizen = UserFactory()
    claim = line_claim_create(user=citizen, number=line.number, role="owner")
    result = activate(citizen, operator, [ActivationItem(claim.pk)])
    activation = result.activations[0]
    assert activation.link.proof == SubscriptionLink.Proof.TELECOM_CENTER
    assert activation.link.role == "owner" and activation.verification.channel == "telecom_center"
    claim.refresh_from_db()
    assert claim.status == LineClaim.Status.ACTIVATED and claim.activation == activation
    assert (
        AuditLog.objects.filter(action="telecom.line_activate", on_behalf_of=citizen).count() == 1
    )
    assert AuditLog.objects.filter(action="identity.verify").count() == 1
    sms = OutboxMessage.objects.filter(recipient=citizen.mobile)
    assert sms.count() == 1 and line.number[-4:] in sms.get().text.translate(
        str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
    )
    access = line_access_for(user=citizen, number=line.number)
    assert access.is_owner and access.visible_from is None
    # Once active, the claim is closed: activating it again is refused, and no new SMS.
    with pytest.raises(PortalError):
        activate(citizen, operator, [ActivationItem(claim.pk)])
    assert OutboxMessage.objects.filter(recipient=citizen.mobile).count() == 1


def test_checklist_missing_item_refused_and_nothing_saved(line, operator):
    citizen = UserFactory()
    claim = line_claim_create(user=citizen, number=line.number, role="owner")
    with pytest.raises(PortalError) as exc:
        activate(citizen, operator, [ActivationItem(claim.pk)], docs=["id_original"])
    assert "documents_seen" in exc.value.fields
    assert not LineActivation.objects.exists() and not IdentityVerification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_tenant_needs_lease_document_and_five_months(line, operator):
    citizen = UserFactory()
    today = timezone.localdate()
    claim = line_claim_create(
        user=citizen, number=line.number, role="tenant", lease_end=today + timedelta(days=400)
    )
    start = today - timedelta(days=30)
    short_end = lease_minimum_end(today) - timedelta(days=1)
    with pytest.raises(PortalError) as exc:
        activate(
            citizen,
            operator,
            [ActivationItem(claim.pk, start, short_end)],
            docs=[*NATURAL_DOCS, "lease"],
        )
    assert f"lease_end_{claim.pk}" in exc.value.fields
    assert "پنج ماه" in exc.value.message
    # The lease item of the checklist is mandatory for a tenant.
    with pytest.raises(PortalError) as exc:
        activate(citizen, operator, [ActivationItem(claim.pk, start, lease_minimum_end(today))])
    assert "documents_seen" in exc.value.fields
    with pytest.raises(PortalError) as exc:
        activate(
            citizen, operator, [ActivationItem(claim.pk, None, None)], docs=[*NATURAL_DOCS, "lease"]
        )
    assert f"lease_start_{claim.pk}" in exc.value.fields
    assert not LineActivation.objects.exists()
    end = lease_minimum_end(today)
    result = activate(
        citizen, operator, [ActivationItem(claim.pk, start, end)], docs=[*NATURAL_DOCS, "lease"]
    )
    activation = result.activations[0]
    assert (activation.lease_start, activation.lease_end) == (start, end)
    access = line_access_for(user=citizen, number=line.number)
    assert access.visible_from is not None and access.visible_until is not None


def test_five_jalali_months():
    # 1404/10/30 + 5 months = 1405/03/30; 1404/06/31 + 5 = 1404/11/30 (clamped).
    import jdatetime

    d = jdatetime.date(1404, 10, 30).togregorian()
    assert to_jalali(add_jalali_months(d, 5)) == jdatetime.date(1405, 3, 30)
    d = jdatetime.date(1404, 6, 31).togregorian()
    assert to_jalali(add_jalali_months(d, 5)) == jdatetime.date(1404, 11, 30)


def test_operator_of_another_center_gets_not_found(line):
    citizen = UserFactory()
    claim = line_claim_create(user=citizen, number=line.number, role="owner")
    stranger = telecom_operator(TelephoneCenterFactory())
    with pytest.raises(NotFound):
        activate(citizen, stranger, [ActivationItem(claim.pk)])
    assert not LineActivation.objects.exists()


def test_holder_mismatch_cannot_be_owner(operator, line):
    line.subscription.holder_id = UserFactory().national_code
    line.subscription.save()
    citizen = UserFactory()
    claim = line_claim_create(user=citizen, number=line.number, role="owner")
    with pytest.raises(PortalError) as exc:
        activate(citizen, operator, [ActivationItem(claim.pk)])
    assert exc.value.code == "holder_mismatch"


def test_legal_person_gets_username_and_one_password_by_sms(operator, line, caplog):
    org = LegalProfileFactory().user
    Token.objects.create(user=org)
    old_hash = org.password
    second = PhoneLineFactory(subscription__office=line.subscription.office)
    c1 = line_claim_create(user=org, number=line.number, role="owner")
    result = activate(
        org, operator, [ActivationItem(c1.pk)], docs=LEGAL_DOCS, doc_type=Type.COMPANY_DOCUMENTS
    )
    assert result.credentials_issued and result.username == org.username
    org.refresh_from_db()
    assert org.password != old_hash and not Token.objects.filter(user=org).exists()
    sms = OutboxMessage.objects.get(idempotency_key=f"telecom-legal-credentials-{org.pk}")
    assert sms.recipient == org.mobile and org.username in sms.text
    assert sms.secret  # erased from the outbox once sent (SMS_ERASE_SECRETS)
    password = sms.text.split("رمز عبور:")[1].split()[0]
    assert org.check_password(password)
    # Never in the audit log or the logs.
    audit = AuditLog.objects.get(action="telecom.legal_credentials_issue")
    assert password not in str(audit.details) and password not in caplog.text
    assert LegalCredentialIssue.objects.filter(user=org).count() == 1
    # A second activation issues nothing new.
    c2 = line_claim_create(user=org, number=second.number, role="owner")
    again = activate(
        org, operator, [ActivationItem(c2.pk)], docs=LEGAL_DOCS, doc_type=Type.COMPANY_DOCUMENTS
    )
    assert not again.credentials_issued
    org.refresh_from_db()
    assert org.check_password(password)
    assert OutboxMessage.objects.filter(idempotency_key__startswith="telecom-legal").count() == 1


def test_legal_checklist_enforced(operator, line):
    org = LegalProfileFactory().user
    claim = line_claim_create(user=org, number=line.number, role="owner")
    with pytest.raises(PortalError) as exc:
        activate(
            org,
            operator,
            [ActivationItem(claim.pk)],
            docs=LEGAL_DOCS[1:],
            doc_type=Type.COMPANY_DOCUMENTS,
        )
    assert "documents_seen" in exc.value.fields
    with pytest.raises(PortalError):
        activate(org, operator, [ActivationItem(claim.pk)], docs=LEGAL_DOCS)  # national card
    assert not LegalCredentialIssue.objects.exists()


def test_existing_link_is_kept(operator, line):
    from tests.factories import SubscriptionLinkFactory

    citizen = UserFactory()
    link = SubscriptionLinkFactory(user=citizen, subscription=line.subscription)
    claim = line_claim_create(user=citizen, number=line.number, role="owner")
    result = activate(citizen, operator, [ActivationItem(claim.pk)])
    assert result.activations[0].link_id == link.pk


# --- the operator's admin page -------------------------------------------------------------

URL = "/admin/telecom/lineactivation/activate/"


def test_operator_page_activates_without_javascript(client, operator, line):
    citizen = UserFactory()
    claim = line_claim_create(user=citizen, number=line.number, role="owner")
    login_with_second_factor(client, operator)
    page = client.get(URL, {"q": citizen.national_code})
    assert page.status_code == 200
    body = page.content.decode()
    assert "اصل شناسنامه" in body and f"claim_{claim.pk}" in body
    bad = client.post(
        f"{URL}?q={citizen.national_code}",
        {f"claim_{claim.pk}": "on", "document_type": Type.NATIONAL_CARD, "document_number": "1"},
    )
    assert bad.status_code == 200 and "این مدارک دیده نشده است" in bad.content.decode()
    ok = client.post(
        f"{URL}?q={citizen.national_code}",
        {
            f"claim_{claim.pk}": "on",
            "document_type": Type.NATIONAL_CARD,
            "document_number": "12345",
            "documents_seen": NATURAL_DOCS,
        },
    )
    assert ok.status_code == 302
    assert LineActivation.objects.filter(link__user=citizen).count() == 1


def test_operator_page_other_center(client, line):
    citizen = UserFactory()
    claim = line_claim_create(user=citizen, number=line.number, role="owner")
    stranger = telecom_operator(TelephoneCenterFactory())
    login_with_second_factor(client, stranger)
    page = client.get(URL, {"q": citizen.national_code})
    assert page.status_code == 200 and line.number not in page.content.decode()
    forged = client.post(
        f"{URL}?q={citizen.national_code}",
        {
            f"claim_{claim.pk}": "on",
            "document_type": Type.NATIONAL_CARD,
            "document_number": "12345",
            "documents_seen": NATURAL_DOCS,
        },
    )
    assert forged.status_code == 404
    assert not LineActivation.objects.exists()


def test_subscriber_and_clerk_cannot_open_operator_page(client, line):
    from subscribers import roles
    from tests.factories import StaffFactory, add_role

    clerk = StaffFactory(office=line.subscription.office)
    add_role(clerk, roles.OFFICE_CLERK)
    login_with_second_factor(client, clerk)
    assert client.get(URL).status_code == 403
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 302  # to the admin login
