"""What each staff role may do with the billing app's models in admin.

Migration 0002_roles grants these on a new database (with its own frozen copy);
``subscribers.services.roles.roles_sync`` re-grants them (seed_demo calls it after a flush).
Bills and payments come only from the imports and billing services, so nobody is granted
add/change/delete on them; tariff tables apply to every office and are edited by system
administrators (superusers) only.
"""

from subscribers import roles

_CLERK = [
    "view_tariff",
    "view_tarifftier",
    "view_bill",
    "view_billpayment",
    "view_billimport",
    "add_billimport",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.OFFICE_CLERK: _CLERK,
    roles.OFFICE_SUPERVISOR: _CLERK,
    roles.CALL_CENTER_OPERATOR: ["view_bill", "view_billpayment"],
}
