"""Tracking a request without logging in (seed 000) (work package: subscriber web UI).

The request number alone finds a new-connection request; an after-sales request also needs
its subscription number. A wrong pair answers exactly like a number that does not exist, and
every lookup counts against a per-IP limit, so the page cannot be used to enumerate numbers.
Only what ``request_track`` exposes is shown: never a name, national code, address or document.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from portal.digits import normalize_digits
from portal.errors import NotFound, RateLimited
from portal.http import client_ip
from requests_app.selectors.requests import request_track
from subscribers.services.ratelimit import rate_limit_hit

TRACK_LIMIT = 30
TRACK_WINDOW = timedelta(minutes=10)


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    number = normalize_digits(request.GET.get("number", "")).strip()[:20]
    subscription = normalize_digits(request.GET.get("subscription", "")).strip()[:20]
    context = {"number": number, "subscription": subscription, "view": None, "error": ""}
    status = 200
    if "number" in request.GET:
        if not number:
            context["error"] = "«شماره درخواست» را وارد کنید."
            status = 400
        else:
            try:
                rate_limit_hit(
                    scope="track",
                    key=client_ip(request) or "-",
                    limit=TRACK_LIMIT,
                    window=TRACK_WINDOW,
                )
                context["view"] = request_track(number=number, subscription_number=subscription)
            except RateLimited as exc:
                context["error"], status = exc.message, 429
            except NotFound as exc:
                context["error"], status = exc.message, 404
    response = render(request, "requests_app/track.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [path("track/", track, name="track")]
