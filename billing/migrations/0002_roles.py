"""Grant the billing app's model permissions to the staff role groups.

Clerks and supervisors read their office's bills, payments and import history, read the
tariff tables and upload bill and payment files (``add_billimport``); 121 operators read
bills and payments to answer callers. Nobody is granted add/change/delete on bills or
payments: they come only from the import and billing services. Tariff tables apply to every
office, so only system administrators (superusers, nothing to grant) edit them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from subscribers import roles

_CLERK = [
    "view_tariff",
    "view_tarifftier",
    "view_bill",
    "view_billpayment",
    "view_billimport",
    "add_billimport",
]
# Frozen here (not imported from code) so this migration means the same thing forever.
ROLE_PERMISSIONS = {
    roles.OFFICE_CLERK: _CLERK,
    roles.OFFICE_SUPERVISOR: _CLERK,
    roles.CALL_CENTER_OPERATOR: ["view_bill", "view_billpayment"],
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)


def grant(apps, schema_editor):
    # On a fresh database post_migrate has not run yet, so the permissions do not exist.
    app_config = apps.get_app_config("billing")
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
        ("billing", "0001_billing"),
        ("subscribers", "0003_roles_and_append_only_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
