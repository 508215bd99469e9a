"""The six staff roles exist as groups with exactly their permissions (migration 0003)."""

import pytest
from django.contrib.auth.models import Group

from subscribers import roles

pytestmark = pytest.mark.django_db


def test_all_six_roles_exist():
    assert len(roles.ALL_ROLES) == 6
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_role_has_its_permissions(role):
    group = Group.objects.get(name=role)
    granted = set(
        group.permissions.filter(content_type__app_label="subscribers").values_list(
            "codename", flat=True
        )
    )
    assert granted >= set(roles.ROLE_PERMISSIONS[role])


def test_kiosk_operators_get_no_admin_permissions():
    group = Group.objects.get(name=roles.KIOSK_OPERATOR)
    assert not group.permissions.filter(content_type__app_label="subscribers").exists()


def test_telecom_center_operators_can_record_identity_checks():
    group = Group.objects.get(name=roles.TELECOM_CENTER_OPERATOR)
    assert group.permissions.filter(codename="add_identityverification").exists()
    assert not group.permissions.filter(codename="change_identityverification").exists()
