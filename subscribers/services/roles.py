"""Keeping the role groups and their permissions in place."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from subscribers.roles import ROLE_PERMISSIONS


def roles_sync() -> dict[str, Group]:
    """Create any missing role group and grant it its subscribers permissions (idempotent).

    Migration 0003 does this on a new database; seed_demo calls it too because a database
    flushed by transactional tests has lost the migration's rows.
    """
    groups = {}
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label="subscribers", codename__in=codenames
        )
        group.permissions.add(*permissions)
        groups[role] = group
    return groups
