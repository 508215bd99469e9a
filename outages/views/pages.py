"""Public outage pages: the planned-outage schedule, tracking a report, and a subscriber's
on/off switch for planned-outage SMS alerts.

Tracking shows only what ``report_track`` exposes (state, times, result, feeder and city):
never a name, mobile or address. Every lookup counts against a per-IP limit, and a malformed
code answers exactly like an unknown one, so the page cannot be used to enumerate codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from outages.forms import ScheduleFilterForm
from outages.models import OutageAlertOptOut, ScheduledOutage
from outages.selectors import report_track, schedule_for_day
from outages.services.schedule import outage_alert_opt_out_set
from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, RateLimited
from portal.http import client_ip
from portal.jalali import jalali_display
from subscribers.services.ratelimit import rate_limit_hit

TRACK_LIMIT = 30
TRACK_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class ScheduleRow:
    window: ScheduledOutage
    start: str
    end: str


def _clock(value, day) -> str:
    """``۰۸:۳۰`` for a time on the shown day; the full Jalali date-time for another day (a
    window that began yesterday or runs past midnight)."""
    local = timezone.localtime(value)
    if local.date() == day:
        return to_persian_digits(f"{local:%H:%M}")
    return jalali_display(value)


@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    form = ScheduleFilterForm(request.GET or None)
    windows, day, city = [], timezone.localdate(), None
    if not form.is_bound or form.is_valid():
        if form.is_bound:
            day, city = form.day(), form.cleaned_data.get("city")
        windows = [
            ScheduleRow(window=w, start=_clock(w.starts_at, day), end=_clock(w.ends_at, day))
            for w in schedule_for_day(day=day, city_id=city.pk if city else None)
        ]
    status = 400 if form.errors else 200
    context = {"form": form, "windows": windows, "day": day, "city": city}
    return render(request, "outages/schedule.html", context, status=status)


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    code = normalize_digits(request.GET.get("code", "")).strip()[:20]
    context = {"code": code, "view": None, "error": ""}
    status = 200
    if "code" in request.GET:
        if not code:
            context["error"], status = "«کد رهگیری» را وارد کنید.", 400
        else:
            try:
                rate_limit_hit(
                    scope="outage-track",
                    key=client_ip(request) or "-",
                    limit=TRACK_LIMIT,
                    window=TRACK_WINDOW,
                )
                context["view"] = report_track(code=code)
            except RateLimited as exc:
                context["error"], status = exc.message, 429
            except NotFound as exc:
                context["error"], status = exc.message, 404
    response = render(request, "outages/track.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        choice = request.POST.get("alerts")
        if choice not in ("on", "off"):
            messages.error(request, "«هشدار پیامکی» را روشن یا خاموش انتخاب کنید.")
            return redirect("outages:alerts")
        outage_alert_opt_out_set(user=request.user, opted_out=choice == "off")
        if choice == "on":
            messages.success(request, "هشدار پیامکی خاموشی‌های برنامه‌ریزی‌شده برای شما روشن شد.")
        else:
            messages.success(request, "هشدار پیامکی خاموشی‌های برنامه‌ریزی‌شده برای شما خاموش شد.")
        return redirect("outages:alerts")
    opted_out = OutageAlertOptOut.objects.filter(user=request.user).exists()
    return render(request, "outages/alerts.html", {"opted_out": opted_out})


urlpatterns = [
    path("outages/", schedule, name="schedule"),
    # SMS texts link here (reverse("outages:track")): keep the name and the path.
    path("outages/track/", track, name="track"),
    path("outages/alerts/", alerts, name="alerts"),
]
