"""Subscription admin: office scoping, CSV upload, office link, organisation decisions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.identifiers import generate_bill_id
from subscribers import roles
from subscribers.models import AuditLog, OrganisationAccess, Subscription, SubscriptionLink
from subscribers.permissions import STAFF_SECOND_FACTOR_SESSION_KEY
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    OrganisationAccessFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    subscription_csv,
)

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:subscribers_subscription_changelist"


def login(client, user):
    client.force_login(user)
    session = client.session
    session[STAFF_SECOND_FACTOR_SESSION_KEY] = True
    session.save()
    return client


def staff(office, role=roles.OFFICE_SUPERVISOR, **kwargs):
    user = StaffFactory(office=office, **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def two_offices():
    mine = SubscriptionFactory(subscription_number="1111111")
    theirs = SubscriptionFactory(subscription_number="2222222")
    return mine, theirs


def test_office_staff_see_only_their_office(client, two_offices):
    mine, theirs = two_offices
    login(client, staff(mine.office, roles.OFFICE_CLERK))
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert mine.bill_id in html and theirs.bill_id not in html
    assert (
        client.get(reverse("admin:subscribers_subscription_change", args=[mine.pk])).status_code
        == 200
    )
    response = client.get(reverse("admin:subscribers_subscription_change", args=[theirs.pk]))
    assert response.status_code != 200
    link_url = reverse("admin:subscribers_subscription_link", args=[theirs.pk])
    assert client.get(link_url).status_code == 404


def test_system_administrator_sees_all(client, two_offices):
    mine, theirs = two_offices
    login(client, StaffFactory(office=None, is_superuser=True))
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert mine.bill_id in html and theirs.bill_id in html


def test_search_by_bill_id(client, two_offices):
    mine, _ = two_offices
    login(client, StaffFactory(office=None, is_superuser=True))
    response = client.get(reverse(CHANGELIST), {"q": mine.bill_id})
    assert response.context["cl"].result_count == 1


def test_links_are_scoped_by_subscription_office(client):
    mine = SubscriptionLinkFactory()
    theirs = SubscriptionLinkFactory()
    login(client, staff(mine.subscription.office, roles.OFFICE_CLERK))
    response = client.get(reverse("admin:subscribers_subscriptionlink_changelist"))
    assert list(response.context["cl"].queryset) == [mine]
    assert theirs not in response.context["cl"].queryset


def _area(office):
    city = CityFactory(name="تبریز")
    office.company.cities.add(city)
    return city


def _row(office, n, **overrides):
    company = office.company
    return {
        "company_code": company.code,
        "subscription_number": str(8_000_000 + n),
        "bill_id": generate_bill_id(file_code=300 + n, company_code=company.code, service_type=2),
        "office_code": office.code,
        "city": "تبریز",
        "address": "نشانی",
        "postal_code": "5153847911",
        "mobile": "09141112233",
        "tariff": "خانگی",
        "branches": "1",
        "meter_serial": "M1",
        "feeder_code": "",
        "holder_id": "",
        **overrides,
    }


def test_upload_imports_and_audits(client):
    office = DistrictOfficeFactory(code="07")
    _area(office)
    supervisor = staff(office)
    login(client, supervisor)
    changelist = client.get(reverse(CHANGELIST)).content.decode()
    assert reverse("admin:subscribers_subscription_import") in changelist
    url = reverse("admin:subscribers_subscription_import")
    assert client.get(url).status_code == 200
    data = subscription_csv([_row(office, 1), _row(office, 2)], bom=True)
    response = client.post(url, {"file": SimpleUploadedFile("subs.csv", data)})
    assert response.status_code == 302
    assert Subscription.objects.filter(office=office).count() == 2
    log = AuditLog.objects.get(action="subscriptions.import")
    assert log.details == {"created": 2, "updated": 0, "unchanged": 0}
    assert log.actor == supervisor and log.office == office


def test_upload_with_errors_writes_nothing_and_lists_them(client):
    office = DistrictOfficeFactory(code="07")
    other = DistrictOfficeFactory(company=office.company, code="08")
    _area(office)
    login(client, staff(office))
    data = subscription_csv([_row(office, 1), _row(other, 2), _row(office, 3, mobile="1")])
    response = client.post(
        reverse("admin:subscribers_subscription_import"),
        {"file": SimpleUploadedFile("subs.csv", data)},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "سطر ۳" in html and "حوزه دسترسی شما" in html and "سطر ۴" in html
    assert not Subscription.objects.exists()
    assert not AuditLog.objects.filter(action="subscriptions.import").exists()


def test_clerk_cannot_upload(client):
    office = DistrictOfficeFactory()
    login(client, staff(office, roles.OFFICE_CLERK))
    assert client.get(reverse("admin:subscribers_subscription_import")).status_code == 403


def test_office_links_a_subscriber(client):
    sub = SubscriptionFactory()
    citizen = UserFactory()
    clerk = staff(sub.office, roles.OFFICE_CLERK)
    login(client, clerk)
    url = reverse("admin:subscribers_subscription_link", args=[sub.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"role": "owner"})
    assert "کد ملی مشترک:" in bad.content.decode()
    response = client.post(url, {"national_code": citizen.national_code, "role": "owner"})
    assert response.status_code == 302
    link = SubscriptionLink.objects.get(user=citizen)
    assert (link.proof, link.verified_by) == ("office", clerk)
    assert AuditLog.objects.filter(action="subscriptions.link_office", actor=clerk).exists()


def test_organisation_access_actions_are_scoped(client):
    access = OrganisationAccessFactory()
    elsewhere = OrganisationAccessFactory()
    supervisor = staff(access.office)
    login(client, supervisor)
    url = reverse("admin:subscribers_organisationaccess_changelist")
    response = client.get(url)
    assert list(response.context["cl"].queryset) == [access]
    client.post(
        url,
        {"action": "approve", "_selected_action": [access.pk, elsewhere.pk]},
    )
    access.refresh_from_db()
    elsewhere.refresh_from_db()
    assert access.status == OrganisationAccess.Status.APPROVED
    assert elsewhere.status == OrganisationAccess.Status.PENDING
    assert AuditLog.objects.filter(action="organisations.access_approve").count() == 1


def test_organisation_access_reject(client):
    access = OrganisationAccessFactory()
    login(client, staff(access.office))
    client.post(
        reverse("admin:subscribers_organisationaccess_changelist"),
        {"action": "reject", "_selected_action": [access.pk]},
    )
    access.refresh_from_db()
    assert access.status == OrganisationAccess.Status.REJECTED


def test_every_page_opens_for_a_system_administrator(client):
    link = SubscriptionLinkFactory()
    access = OrganisationAccessFactory()
    login(client, StaffFactory(office=None, is_superuser=True))
    sub = link.subscription
    for url in [
        reverse(CHANGELIST),
        reverse("admin:subscribers_subscription_change", args=[sub.pk]),
        reverse("admin:subscribers_subscription_add"),
        reverse("admin:subscribers_subscription_import"),
        reverse("admin:subscribers_subscription_link", args=[sub.pk]),
        reverse("admin:subscribers_subscriptionlink_changelist"),
        reverse("admin:subscribers_subscriptionlink_change", args=[link.pk]),
        reverse("admin:subscribers_organisationaccess_changelist"),
        reverse("admin:subscribers_organisationaccess_change", args=[access.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_admin_form_checks_bill_id_against_company(client):
    sub = SubscriptionFactory()
    login(client, StaffFactory(office=None, is_superuser=True))
    url = reverse("admin:subscribers_subscription_change", args=[sub.pk])
    data = {
        "company": sub.company_id,
        "subscription_number": sub.subscription_number,
        "bill_id": "7748317800142",  # valid, but a phone bill of company 001
        "office": sub.office_id,
        "city": sub.city_id,
        "address": sub.address,
        "postal_code": sub.postal_code,
        "mobile": sub.mobile,
        "tariff": sub.tariff,
        "branches": 1,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "شناسه قبض:" in response.content.decode()
