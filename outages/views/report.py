"""Reporting an outage on the web (seed 003, step 1).

Two ways in. A logged-in subscriber with electricity subscriptions picks one of their own
active links and files at once. Anyone else (or a subscriber whose electricity subscription is
not linked) gives a bill ID and a mobile: the bill ID is checked first (unknown, malformed,
gas, no registered feeder → an error on the field and no SMS), then a code goes to the mobile;
entering it files the report. The verified challenge is spent (``otp_consume``) in the same
transaction as ``report_file``, so a refused report leaves the code usable.

The answer (``ReportOutcome.message``) is shown on a result page reached by redirect; which
report to show is remembered in the session only, so the result page leaks nothing by URL.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from outages.forms import BillReportForm, OtpCodeForm, ReportForm, electricity_subscriptions
from outages.models import ReportChannel
from outages.selectors import report_get_by_code
from outages.services.reports import (
    answer_text,
    feeder_for_subscription,
    report_file,
    subscription_for_outage,
)
from portal.errors import NotFound, PortalError, RateLimited
from portal.http import client_ip
from portal.identifiers import mask_mobile
from subscribers.models import OtpPurpose
from subscribers.services.otp import otp_consume, otp_issue, otp_verify

PENDING = "outage_report_pending"  # {"challenge_id", "mobile", "masked"}
DONE = "outage_report_done"  # {"code", "created"}


def _done(request: HttpRequest, outcome) -> HttpResponse:
    request.session[DONE] = {"code": outcome.report.code, "created": outcome.created}
    return redirect("outages:report-done")


def _bill_subscription(bill_id: str):
    """The subscription a bill-ID report is for; errors from the feeder check (field
    "subscription") are put on "bill_id", the only field the citizen typed."""
    subscription = subscription_for_outage(bill_id=bill_id)
    try:
        feeder_for_subscription(subscription)
    except PortalError as exc:
        raise PortalError(exc.code, exc.message, fields={"bill_id": [exc.message]}) from None
    return subscription


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    user = request.user
    own = user.is_authenticated and electricity_subscriptions(user).exists()
    status = 200
    if own and request.GET.get("by") != "bill" and request.POST.get("by") != "bill":
        form = ReportForm(request.POST if request.method == "POST" else None, user=user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                outcome = report_file(
                    subscription=data["subscription"],
                    mobile=data["mobile"],
                    channel=ReportChannel.WEB,
                    reporter=user,
                    description=data.get("description", ""),
                )
            except PortalError as exc:
                form.add_service_errors(exc)
            else:
                return _done(request, outcome)
        status = 400 if form.errors else 200
        return render(request, "outages/report.html", {"form": form, "mode": "own"}, status=status)

    form = BillReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _bill_subscription(data["bill_id"])
            issued = otp_issue(
                mobile=data["mobile"],
                purpose=OtpPurpose.OUTAGE_REPORT,
                client_ip=client_ip(request),
                user=user if user.is_authenticated else None,
                payload={"bill_id": data["bill_id"], "description": data["description"]},
            )
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        except PortalError as exc:
            form.add_service_errors(exc)
        else:
            request.session[PENDING] = {
                "challenge_id": str(issued.challenge.id),
                "mobile": data["mobile"],
                "masked": mask_mobile(data["mobile"]),
            }
            return redirect("outages:report-verify")
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "outages/report.html",
        {"form": form, "mode": "bill", "has_own": own},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def report_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("outages:report")
    form = OtpCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            # Wrong codes are counted in otp_verify's own committed block: never inside ours.
            challenge = otp_verify(
                challenge_id=pending["challenge_id"],
                code=form.cleaned_data["code"],
                purpose=OtpPurpose.OUTAGE_REPORT,
            )
            with transaction.atomic():
                otp_consume(
                    challenge_id=challenge.id,
                    purpose=OtpPurpose.OUTAGE_REPORT,
                    mobile=pending["mobile"],
                )
                outcome = report_file(
                    subscription=_bill_subscription(challenge.payload.get("bill_id", "")),
                    mobile=challenge.mobile,
                    channel=ReportChannel.WEB,
                    reporter=request.user if request.user.is_authenticated else None,
                    description=challenge.payload.get("description", ""),
                )
        except RateLimited as exc:
            form.add_error("code", exc.message)
            status = 429
        except PortalError as exc:
            if exc.fields.get("code"):
                form.add_service_errors(exc)
            else:
                form.add_error(None, exc.message)
        else:
            request.session.pop(PENDING, None)
            return _done(request, outcome)
    if form.errors and status == 200:
        status = 400
    context = {"form": form, "masked_mobile": pending["masked"]}
    return render(request, "outages/report_verify.html", context, status=status)


@require_GET
def report_done(request: HttpRequest) -> HttpResponse:
    done = request.session.get(DONE)
    if not done:
        return redirect("outages:report")
    try:
        report = report_get_by_code(done["code"])
    except NotFound:
        request.session.pop(DONE, None)
        return redirect("outages:report")
    context = {
        "report": report,
        "created": done["created"],
        "message": answer_text(report),
        "track_url": reverse("outages:track") + f"?code={report.code}",
    }
    response = render(request, "outages/report_done.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("outages/report/", report, name="report"),
    path("outages/report/verify/", report_verify, name="report-verify"),
    path("outages/report/done/", report_done, name="report-done"),
]
