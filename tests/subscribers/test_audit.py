"""The audit log: append-only in the model and (on PostgreSQL) in the database; read-only and
office-scoped in admin; kiosk admin for system administrators only."""

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from subscribers import roles
from subscribers.admin.audit import audit_scope
from subscribers.models import AuditLog
from subscribers.services.audit import audit_record
from tests.factories import (
    DistrictOfficeFactory,
    KioskOfficeFactory,
    KioskOperatorFactory,
    StaffFactory,
    SubscriptionLinkFactory,
    UserFactory,
    add_role,
    login_with_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return StaffFactory(is_superuser=True, office=None)


def test_model_refuses_update_and_delete():
    row = audit_record(actor=None, action="test.event")
    row.action = "test.changed"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    assert AuditLog.objects.get().action == "test.event"


def test_database_refuses_raw_update_and_delete_on_postgresql():
    row = audit_record(actor=None, action="test.event")
    if connection.vendor == "postgresql":
        for sql in (
            "UPDATE subscribers_auditlog SET action = 'forged' WHERE id = %s",
            "DELETE FROM subscribers_auditlog WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [row.pk])
        assert AuditLog.objects.get().action == "test.event"
    else:
        # SQLite has no trigger (0003 installs it on PostgreSQL only): the model guard is
        # what stands there, so assert that instead of passing silently.
        with pytest.raises(PermissionError):
            row.delete()


def test_audit_admin_has_no_add_change_or_delete_even_for_a_superuser(client, superuser):
    model_admin = site._registry[AuditLog]
    request = RequestFactory().get("/")
    request.user = superuser
    row = audit_record(actor=superuser, action="test.event")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    assert model_admin.has_view_permission(request, row)
    assert not model_admin.get_actions(request)

    login_with_second_factor(client, superuser)
    assert client.get(reverse("admin:subscribers_auditlog_changelist")).status_code == 200
    assert client.get(reverse("admin:subscribers_auditlog_add")).status_code == 403
    detail = client.get(reverse("admin:subscribers_auditlog_change", args=[row.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    delete_url = reverse("admin:subscribers_auditlog_delete", args=[row.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_audit_admin_filters_and_search(client, superuser):
    kiosk = KioskOfficeFactory()
    audit_record(actor=superuser, action="kiosk.lookup", kiosk=kiosk)
    target = audit_record(actor=superuser, action="identity.verify", obj=superuser)
    login_with_second_factor(client, superuser)
    url = reverse("admin:subscribers_auditlog_changelist")
    by_action = client.get(url, {"action": "identity.verify"})
    assert [r.pk for r in by_action.context["cl"].result_list] == [target.pk]
    by_kiosk = client.get(url, {"kiosk__id__exact": kiosk.pk})
    assert [r.action for r in by_kiosk.context["cl"].result_list] == ["kiosk.lookup"]
    by_object = client.get(url, {"q": str(superuser.pk)})
    assert target.pk in [r.pk for r in by_object.context["cl"].result_list]


def test_office_staff_see_only_their_offices_rows(client):
    office, elsewhere = DistrictOfficeFactory(), DistrictOfficeFactory()
    clerk = add_role(StaffFactory(office=office), roles.OFFICE_CLERK)
    colleague = StaffFactory(office=office)
    stranger = StaffFactory(office=elsewhere)
    our_citizen = UserFactory()
    SubscriptionLinkFactory(user=our_citizen, subscription__office=office)
    their_citizen = UserFactory()
    SubscriptionLinkFactory(user=their_citizen, subscription__office=elsewhere)
    kiosk_operator = KioskOperatorFactory()

    visible = {
        audit_record(actor=stranger, action="a.office", office=office).pk,
        audit_record(actor=colleague, action="a.colleague").pk,
        audit_record(
            actor=kiosk_operator.user,
            action="kiosk.request",
            on_behalf_of=our_citizen,
            kiosk=kiosk_operator.kiosk,
        ).pk,
    }
    audit_record(actor=stranger, action="b.other_office", office=elsewhere)
    audit_record(
        actor=kiosk_operator.user,
        action="kiosk.request",
        on_behalf_of=their_citizen,
        kiosk=kiosk_operator.kiosk,
    )

    assert set(audit_scope(AuditLog.objects.all(), clerk).values_list("pk", flat=True)) == visible
    login_with_second_factor(client, clerk)
    response = client.get(reverse("admin:subscribers_auditlog_changelist"))
    assert response.status_code == 200
    assert {r.pk for r in response.context["cl"].result_list} == visible

    sysadmin = add_role(StaffFactory(office=None), roles.SYSTEM_ADMINISTRATOR)
    assert audit_scope(AuditLog.objects.all(), sysadmin).count() == 5
    assert not audit_scope(AuditLog.objects.all(), StaffFactory(office=None)).exists()


def test_staff_without_the_view_permission_cannot_open_the_audit_log(client):
    login_with_second_factor(client, StaffFactory())
    assert client.get(reverse("admin:subscribers_auditlog_changelist")).status_code == 403


@pytest.mark.parametrize("model", ["kioskoffice", "kioskoperator", "onbehalfsession"])
def test_kiosk_admin_is_for_system_administrators_only(client, superuser, model):
    KioskOperatorFactory()
    url = reverse(f"admin:subscribers_{model}_changelist")
    clerk = add_role(StaffFactory(), roles.OFFICE_SUPERVISOR)
    login_with_second_factor(client, clerk)
    assert client.get(url).status_code == 403
    login_with_second_factor(client, superuser)
    assert client.get(url).status_code == 200


def test_system_administrator_adds_a_kiosk_operator(client, superuser):
    kiosk = KioskOfficeFactory()
    staff = StaffFactory(office=None, is_staff=False)
    login_with_second_factor(client, superuser)
    response = client.post(
        reverse("admin:subscribers_kioskoperator_add"),
        {"user": staff.pk, "kiosk": kiosk.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    assert staff.kiosk_operator.kiosk == kiosk


@pytest.mark.parametrize(
    ("model", "can_add"),
    [
        ("auditlog", False),
        ("kioskoffice", True),
        ("kioskoperator", True),
        ("onbehalfsession", False),
        ("identityverification", True),
    ],
)
def test_kiosk_and_audit_admin_pages_open_for_a_superuser(client, superuser, model, can_add):
    KioskOperatorFactory()
    audit_record(actor=superuser, action="test.event")
    login_with_second_factor(client, superuser)
    assert client.get(reverse(f"admin:subscribers_{model}_changelist")).status_code == 200
    add = client.get(reverse(f"admin:subscribers_{model}_add"))
    assert add.status_code == (200 if can_add else 403)
