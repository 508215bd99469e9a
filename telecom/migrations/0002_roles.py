"""Grant the telecom app's model permissions to the staff role groups (see telecom/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from subscribers import roles

_OFFICE = [
    "view_phoneline",
    "change_phoneline",
    "view_lineactivation",
    "view_cdrimport",
    "add_cdrimport",
    "view_callrecord",
]
# Frozen here (not imported from code) so this migration means the same thing forever.
ROLE_PERMISSIONS = {
    roles.OFFICE_CLERK: _OFFICE,
    roles.OFFICE_SUPERVISOR: _OFFICE,
    roles.TELECOM_CENTER_OPERATOR: ["view_phoneline", "view_lineactivation", "add_lineactivation"],
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="telecom", codename__in=codenames)


def grant(apps, schema_editor):
    # On a fresh database post_migrate has not run yet, so the permissions do not exist.
    app_config = apps.get_app_config("telecom")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*_permissions(apps, codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("telecom", "0001_telecom"),
        ("subscribers", "0003_roles_and_append_only_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
