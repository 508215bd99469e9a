"""Grant the request workflow's model permissions to the staff role groups.

Clerks work the queue (view and act on requests, review documents, schedule visits, answer
complaints) and read the catalog; supervisors also edit the catalog; call-centre operators
only look requests up. Status changes are never a permission: they go through the services,
which check the office role themselves.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from subscribers import roles

_CLERK = [
    "view_servicerequest",
    "add_servicerequest",
    "change_servicerequest",
    "view_requestevent",
    "view_requestdocument",
    "change_requestdocument",
    "view_payment",
    "view_visitappointment",
    "add_visitappointment",
    "view_complaint",
    "change_complaint",
    "view_billingadjustment",
    "view_requesttype",
    "view_requireddocument",
]
# Frozen here (not imported from code) so this migration means the same thing forever.
ROLE_PERMISSIONS = {
    roles.OFFICE_CLERK: _CLERK,
    roles.OFFICE_SUPERVISOR: [
        *_CLERK,
        "add_requesttype",
        "change_requesttype",
        "add_requireddocument",
        "change_requireddocument",
    ],
    roles.CALL_CENTER_OPERATOR: ["view_servicerequest"],
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="requests_app", codename__in=codenames)


def grant(apps, schema_editor):
    # On a fresh database post_migrate has not run yet, so the permissions do not exist.
    app_config = apps.get_app_config("requests_app")
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
        ("requests_app", "0002_workflow"),
        ("subscribers", "0003_roles_and_append_only_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
