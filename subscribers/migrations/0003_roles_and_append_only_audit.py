"""Staff roles as groups, and an append-only audit table on PostgreSQL.

Row triggers refuse UPDATE and DELETE. TRUNCATE is left to the table owner (the test
runner's flush uses it); the application's database role should not own the table.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from subscribers.roles import ROLE_PERMISSIONS

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION subscribers_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'subscribers_auditlog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER subscribers_auditlog_no_update_delete
    BEFORE UPDATE OR DELETE ON subscribers_auditlog
    FOR EACH ROW EXECUTE FUNCTION subscribers_auditlog_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS subscribers_auditlog_no_update_delete ON subscribers_auditlog;
DROP FUNCTION IF EXISTS subscribers_auditlog_append_only();
"""


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="subscribers", codename__in=codenames
            )
        )


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0002_accounts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(append_only, drop_append_only),
    ]
