"""Project-wide middleware: Persian digits in every input, and the session idle timeout."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, QueryDict

from portal.digits import normalize_payload

_SKIP_KEYS = ("password",)


def _normalized_querydict(qd: QueryDict) -> QueryDict:
    copy = qd.copy()
    for key in list(copy):
        if any(skip in key.lower() for skip in _SKIP_KEYS):
            continue
        copy.setlist(key, [normalize_payload(v) for v in copy.getlist(key)])
    copy._mutable = False
    return copy


class PersianDigitsMiddleware:
    """Every form input accepts Persian (۰-۹) and Arabic-Indic (٠-٩) digits.

    GET and form-encoded POST values are rewritten to ASCII digits before any form, admin or
    DRF view sees them, so each field needs no digit handling of its own. Password fields
    are left untouched (their bytes are the secret). JSON bodies get the same treatment in
    ``portal.api.PersianDigitsJSONParser``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.GET:
            request.GET = _normalized_querydict(request.GET)
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and (
            content_type.startswith("application/x-www-form-urlencoded")
            or content_type.startswith("multipart/form-data")
        ):
            request.POST = _normalized_querydict(request.POST)
        return self.get_response(request)


class SessionIdleTimeoutMiddleware:
    """Ends an authenticated session after 30 min idle or 12 h in all (NIST AAL2).

    Django refreshes the cookie's expiry whenever the session is saved, so the absolute
    limit cannot rest on ``SESSION_COOKIE_AGE`` alone: the first authenticated request stamps
    the session's start and every request checks both limits. The last-seen stamp is written
    at most once a minute so an active user does not cost a session write per request.
    """

    STARTED = "_session_started"
    LAST_SEEN = "_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            started = session.get(self.STARTED)
            last_seen = session.get(self.LAST_SEEN)
            idle = last_seen is not None and now - int(last_seen) > settings.SESSION_IDLE_TIMEOUT
            expired = started is not None and now - int(started) > settings.SESSION_COOKIE_AGE
            if idle or expired:
                logout(request)
            else:
                if started is None:
                    session[self.STARTED] = now
                if last_seen is None or now - int(last_seen) >= 60:
                    session[self.LAST_SEEN] = now
        return self.get_response(request)
