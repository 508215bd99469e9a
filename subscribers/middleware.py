"""On-behalf-of sessions for kiosk operators.

When the logged-in operator's session holds the id of an active ``OnBehalfSession``, the rest
of the request sees ``request.user`` = the citizen, with ``request.operator`` (the real user)
and ``request.kiosk_session`` set, so the operator uses the citizen's own screens and API.

Rules:
- The swap happens only while the session is open, unexpired, the operator's record is still
  active at that kiosk and the staff second factor is in the session. A stale session is ended
  (audited) and the operator is sent back to the console with a notice.
- No swap under ``/pishkhan/`` (the console works as the operator), under ``/admin/`` (an
  operator never reaches admin as the citizen), for static files and health checks, or on any
  ``…/logout/`` path. A logout ends the on-behalf session first, then the view logs the
  *operator* out (``request.session`` is always the operator's session).
- Every swapped request except static/health is an operator action: an ``AuditLog`` row
  ``kiosk.request`` (method, path without query string; actor = operator, on_behalf_of =
  citizen, kiosk, IP) is written before the view runs, so failed attempts are recorded too.
- Account-control pages (login, registration, password reset, mobile change — HTML and API)
  are refused during a session (audited with ``blocked``): changing the citizen's mobile or
  password would hand over the account.
- If a view called ``login()`` for the citizen during a swapped request, the operator's
  browser would now hold the citizen's login: the session is flushed instead.
"""

from __future__ import annotations

import math
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal.errors import PortalError
from portal.http import client_ip
from subscribers.permissions import staff_second_factor_done
from subscribers.services.audit import audit_record
from subscribers.services.kiosk import kiosk_session_active, kiosk_session_end

# The operator's Django session holds the open OnBehalfSession's id under this key.
ON_BEHALF_SESSION_KEY = "kiosk_on_behalf_session_id"
# Why a session stopped, for the console to show once ("expired", "inactive", "ended").
KIOSK_NOTICE_KEY = "kiosk_notice"

KIOSK_PREFIX = "دفتر پیشخوان"
BLOCKED_MESSAGE = (
    "ورود، ثبت‌نام و تغییر تلفن همراه یا رمز عبور مشترک در نشست «به‌جای شهروند» ممکن نیست؛ "
    "مشترک باید خودش این کار را انجام دهد."
)
_LOGOUT_RE = re.compile(r"/logout/?$")


def _prefixes() -> tuple[str, ...]:
    return (
        reverse("subscribers:kiosk-home"),
        reverse("admin:index"),
        settings.STATIC_URL,
        settings.MEDIA_URL or "/media/",
        reverse("portal:healthz"),
    )


# Account-control pages an operator must not use as the citizen: changing the citizen's mobile
# or password would hand the account to whoever controls the new factor, and a login or
# registration flow would replace the operator's own login.
_BLOCKED_URL_NAMES = (
    "subscribers:register",
    "subscribers:verify",
    "subscribers:verify-resend",
    "subscribers:login",
    "subscribers:staff-login",
    "subscribers:password-reset",
    "subscribers:password-reset-confirm",
    "subscribers:mobile-change",
    "subscribers:mobile-change-verify",
    "auth-otp",
    "auth-otp-verify",
    "auth-register",
    "auth-login",
)


def _blocked_paths() -> set[str]:
    paths = set()
    for name in _BLOCKED_URL_NAMES:
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return paths


def _unaudited(path: str) -> bool:
    return path.startswith((settings.STATIC_URL, reverse("portal:healthz"), "/favicon.ico"))


class OnBehalfMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_id = request.session.get(ON_BEHALF_SESSION_KEY)
        if not session_id:
            return self.get_response(request)
        operator = request.user
        ip = client_ip(request)
        kiosk_session, reason = kiosk_session_active(
            session_id=session_id, operator=operator, client_ip=ip
        )
        if kiosk_session is not None and not staff_second_factor_done(request):
            kiosk_session_end(session=kiosk_session, actor=operator, client_ip=ip, reason="2fa")
            kiosk_session, reason = None, "inactive"
        path = request.path_info
        exempt = path.startswith(_prefixes()) or bool(_LOGOUT_RE.search(path))
        if kiosk_session is None:
            request.session.pop(ON_BEHALF_SESSION_KEY, None)
            if reason in ("expired", "inactive"):
                request.session[KIOSK_NOTICE_KEY] = reason
                # Pages go back to the console; API calls simply continue as the operator.
                if not exempt and not path.startswith("/api/"):
                    return HttpResponseRedirect(reverse("subscribers:kiosk-home"))
            return self.get_response(request)

        if _LOGOUT_RE.search(path) and request.method == "POST":
            kiosk_session_end(session=kiosk_session, actor=operator, client_ip=ip, reason="logout")
            request.session.pop(ON_BEHALF_SESSION_KEY, None)
            return self.get_response(request)

        seconds_left = (kiosk_session.expires_at - timezone.now()).total_seconds()
        kiosk_session.minutes_left = max(1, math.ceil(seconds_left / 60))
        # «در دفتر پیشخوان {name}» reads twice when the name already starts with the phrase.
        kiosk_session.kiosk_label = kiosk_session.kiosk.name.removeprefix(KIOSK_PREFIX).strip()
        request.operator = operator
        request.kiosk_session = kiosk_session
        if exempt:
            return self.get_response(request)

        citizen = kiosk_session.citizen
        blocked = path in _blocked_paths()
        if not _unaudited(path):
            details = {"method": request.method, "path": path}
            if blocked:
                details["blocked"] = True
            audit_record(
                actor=operator,
                action="kiosk.request",
                on_behalf_of=citizen,
                kiosk=kiosk_session.kiosk,
                ip=ip,
                details=details,
            )
        if blocked:
            return _refuse_on_behalf(request)
        request.user = citizen

        async def auser():
            return citizen

        request.auser = auser
        response = self.get_response(request)
        if str(request.session.get("_auth_user_id")) == str(citizen.pk):
            # A view logged the citizen in on the operator's browser: refuse to keep it.
            kiosk_session_end(
                session=kiosk_session, actor=operator, client_ip=ip, reason="login_swap"
            )
            request.session.flush()
        return response


def _refuse_on_behalf(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        error = PortalError("on_behalf_forbidden", BLOCKED_MESSAGE, status_code=403)
        return JsonResponse(error.as_dict(), status=403)
    request.session[KIOSK_NOTICE_KEY] = "blocked"
    return HttpResponseRedirect(reverse("subscribers:kiosk-home"))
