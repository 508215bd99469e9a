"""Staff roles. Each is a Django group created by a data migration; code refers to them by
these constants, never by a literal name. Later issues grant their own models' permissions to
these groups in their own migrations."""

OFFICE_CLERK = "کارمند امور مشترکین"
OFFICE_SUPERVISOR = "رئیس امور مشترکین"
CALL_CENTER_OPERATOR = "اپراتور مرکز تماس ۱۲۱"
TELECOM_CENTER_OPERATOR = "اپراتور مرکز تلفن"
SYSTEM_ADMINISTRATOR = "مدیر سامانه"
KIOSK_OPERATOR = "اپراتور دفتر پیشخوان"

ALL_ROLES = (
    OFFICE_CLERK,
    OFFICE_SUPERVISOR,
    CALL_CENTER_OPERATOR,
    TELECOM_CENTER_OPERATOR,
    SYSTEM_ADMINISTRATOR,
    KIOSK_OPERATOR,
)

# Roles whose staff see only their own office's subscribers and work in admin.
OFFICE_SCOPED_ROLES = (
    OFFICE_CLERK,
    OFFICE_SUPERVISOR,
    CALL_CENTER_OPERATOR,
    TELECOM_CENTER_OPERATOR,
)

# (role, [(app_label, codename), ...]) for this app's models.
_VIEW = ["view_subscription", "view_subscriptionlink", "view_user", "view_auditlog"]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    OFFICE_CLERK: [
        *_VIEW,
        "change_subscription",
        "add_subscriptionlink",
        "change_subscriptionlink",
        "view_organisationaccess",
        "add_identityverification",
        "view_identityverification",
    ],
    OFFICE_SUPERVISOR: [
        *_VIEW,
        "add_subscription",
        "change_subscription",
        "add_subscriptionlink",
        "change_subscriptionlink",
        "view_organisationaccess",
        "change_organisationaccess",
        "add_identityverification",
        "view_identityverification",
    ],
    CALL_CENTER_OPERATOR: ["view_subscription"],
    TELECOM_CENTER_OPERATOR: [
        "view_subscription",
        "view_user",
        "add_identityverification",
        "view_identityverification",
    ],
    SYSTEM_ADMINISTRATOR: [],  # system administrators are superusers
    KIOSK_OPERATOR: [],  # operators work in /pishkhan/, not in admin
}
