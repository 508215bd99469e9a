"""Who may do what: small predicates shared by views, API, admin and services."""

from __future__ import annotations

from django.http import HttpRequest

# Set in the session by the staff login flow once both the password and the SMS code (the
# second factor) were accepted; the admin and the kiosk console require it.
STAFF_SECOND_FACTOR_SESSION_KEY = "staff_2fa_verified"


def staff_second_factor_done(request: HttpRequest) -> bool:
    return bool(request.session.get(STAFF_SECOND_FACTOR_SESSION_KEY))


def sees_all_offices(user) -> bool:
    """Superusers and system administrators see every office; other staff only their own."""
    from subscribers import roles

    return user.is_superuser or user.groups.filter(name=roles.SYSTEM_ADMINISTRATOR).exists()
