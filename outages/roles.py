"""What each staff role may do with the outages app's models in admin.

Migration 0002_roles grants these on a new database (with its own frozen copy);
``subscribers.services.roles.roles_sync`` re-grants them (seed_demo calls it after a flush).
Incident state moves and window cancellations are never a model permission: the services
check the office role themselves. System administrators are superusers (nothing to grant);
Open311 keys are theirs alone.
"""

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

ROLE_PERMISSIONS: dict[str, list[str]] = {
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
