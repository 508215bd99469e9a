"""Keeping the role groups and their permissions in place."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from subscribers import roles


def _role_permissions() -> list[tuple[str, dict[str, list[str]]]]:
    """(app label, role → codenames) of every app that grants its models to the roles."""
    from billing.roles import ROLE_PERMISSIONS as BILLING_PERMISSIONS
    from outages.roles import ROLE_PERMISSIONS as OUTAGE_PERMISSIONS
    from requests_app.roles import ROLE_PERMISSIONS as REQUEST_PERMISSIONS
    from subscribers.roles import ROLE_PERMISSIONS as SUBSCRIBER_PERMISSIONS
    from telecom.roles import ROLE_PERMISSIONS as TELECOM_PERMISSIONS

    return [
        ("subscribers", SUBSCRIBER_PERMISSIONS),
        ("requests_app", REQUEST_PERMISSIONS),
        ("outages", OUTAGE_PERMISSIONS),
        ("billing", BILLING_PERMISSIONS),
        ("telecom", TELECOM_PERMISSIONS),
    ]


def roles_sync() -> dict[str, Group]:
    """Create any missing role group and grant it its permissions in every app (idempotent).

    The apps' migrations do this on a new database; seed_demo calls it too because a database
    flushed by transactional tests has lost the migrations' rows.
    """
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in roles.ALL_ROLES}
    for app_label, role_permissions in _role_permissions():
        for role, codenames in role_permissions.items():
            groups[role].permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
    return groups
