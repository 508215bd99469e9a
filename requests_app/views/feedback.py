"""Ratings, complaints and the public service-level summary (work package: subscriber web UI).

The rating page needs no login: the signed token in the completion SMS is the capability,
and the page shows nothing personal. Complaints are the logged-in user's own; a complaint
about a request that is not theirs answers 404 like a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from requests_app.forms import ComplaintForm, RatingForm
from requests_app.models import Rating
from requests_app.selectors.requests import (
    complaints_for_user,
    request_get_for_user,
    request_types_active,
    requests_for_user,
    sla_report,
)
from requests_app.services.feedback import complaint_file, rating_request_from_token, rating_submit

ALREADY_RATED = "برای این درخواست پیش‌تر امتیاز ثبت شده است؛ سپاسگزاریم."


# --- rating ------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        req = rating_request_from_token(token=token)
    except NotFound:
        raise Http404 from None
    if Rating.objects.filter(request_id=req.pk).exists():
        return render(request, "requests_app/feedback/rate_done.html", {"req": req})
    form = RatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rating_submit(
                request=req,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except PortalError as exc:
            if exc.code != "already_rated":
                form.add_service_errors(exc)
            else:
                messages.info(request, exc.message)
                return redirect("requests_app:rate", token=token)
        else:
            messages.success(request, "امتیاز شما ثبت شد؛ از اینکه نظرتان را گفتید سپاسگزاریم.")
            return redirect("requests_app:rate", token=token)
    return render(
        request,
        "requests_app/feedback/rate.html",
        {"req": req, "form": form},
        status=400 if form.errors else 200,
    )


# --- complaints --------------------------------------------------------------------------


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    complaints = complaints_for_user(user=request.user)[:100]
    return render(request, "requests_app/feedback/complaint_list.html", {"complaints": complaints})


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    my_requests = list(requests_for_user(user=request.user)[:100])
    initial = {}
    preselect = normalize_digits(request.GET.get("request", "")).strip()
    if preselect:
        try:
            request_get_for_user(user=request.user, number=preselect)
        except NotFound:
            raise Http404 from None
        initial["request"] = preselect
    form = ComplaintForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        requests=my_requests,
        request_types=request_types_active(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        about = None
        if data.get("request"):
            try:
                about = request_get_for_user(user=request.user, number=data["request"])
            except NotFound:
                raise Http404 from None
        try:
            complaint = complaint_file(
                complainant=request.user,
                text=data["text"],
                request=about,
                request_type=None if about else data.get("request_type"),
            )
        except NotFound:
            raise Http404 from None
        except PortalError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                f"شکایت شما ثبت شد. کد پیگیری: {to_persian_digits(complaint.tracking_code)}",
            )
            return redirect("requests_app:complaint-list")
    return render(
        request,
        "requests_app/feedback/complaint_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- service levels ----------------------------------------------------------------------


@require_GET
def sla_summary(request: HttpRequest) -> HttpResponse:
    rows = sla_report(office_ids=None)
    return render(request, "requests_app/feedback/sla_summary.html", {"rows": rows})


urlpatterns = [
    path("requests/rate/<str:token>/", rate, name="rate"),
    path("complaints/", complaint_list, name="complaint-list"),
    path("complaints/new/", complaint_new, name="complaint-new"),
    path("services/performance/", sla_summary, name="sla-summary"),
]
