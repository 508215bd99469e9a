"""What each staff role may do with the telecom app's models in admin.

Migration 0002_roles grants these on a new database (with its own frozen copy);
``subscribers.services.roles.roles_sync`` re-grants them. Telecom-center operators record
line activations (after the in-person identity check) and read lines; telecom office clerks
and supervisors read lines and call records of their own office and upload line and
call-record files. Call records come only from imports: nobody changes or deletes them.
"""

from subscribers import roles

_OFFICE = [
    "view_phoneline",
    "change_phoneline",
    "view_lineactivation",
    "view_cdrimport",
    "add_cdrimport",
    "view_callrecord",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.OFFICE_CLERK: _OFFICE,
    roles.OFFICE_SUPERVISOR: _OFFICE,
    roles.TELECOM_CENTER_OPERATOR: ["view_phoneline", "view_lineactivation", "add_lineactivation"],
}
