"""Grant the outages app's model permissions to the staff role groups.

Clerks keep their office's schedule and work its incidents; supervisors also keep the feeder
list; 121 operators read the schedule and work incidents. State moves are never a permission:
they go through the services, which check the office role themselves.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from subscribers import roles

_CLERK = [
    "view_feeder",
    "view_scheduledoutage",
    "add_scheduledoutage",
    "change_scheduledoutage",
    "view_incident",
    "change_incident",
    "view_incidentevent",
    "view_outagereport",
]
# Frozen here (not imported from code) so this migration means the same thing forever.
ROLE_PERMISSIONS = {
    roles.OFFICE_CLERK: _CLERK,
    roles.OFFICE_SUPERVISOR: [*_CLERK, "add_feeder", "change_feeder"],
    roles.CALL_CENTER_OPERATOR: [
        "view_feeder",
        "view_scheduledoutage",
        "view_incident",
        "change_incident",
        "view_outagereport",
    ],
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="outages", codename__in=codenames)


def grant(apps, schema_editor):
    # On a fresh database post_migrate has not run yet, so the permissions do not exist.
    app_config = apps.get_app_config("outages")
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
        ("outages", "0001_outages"),
        ("subscribers", "0003_roles_and_append_only_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
