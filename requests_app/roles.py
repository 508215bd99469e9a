"""What each staff role may do with the request workflow's models in admin.

Migration 0003_request_roles grants these on a new database (with its own frozen copy);
``subscribers.services.roles.roles_sync`` re-grants them (seed_demo calls it after a flush).
Status changes are never a model permission: the workflow services check the office role.
"""

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

ROLE_PERMISSIONS: dict[str, list[str]] = {
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
