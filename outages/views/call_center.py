"""The 121 call-center operator's console form (seed 003 by telephone).

The operator types the caller's bill ID, mobile and description and reads out the answer and
tracking code the page shows. The same page answers "is this bill ID's feeder out now?" (a
GET with the bill ID) before anything is filed.

Who may use it: staff with the 121 operator, office clerk or supervisor role, or a system
administrator, after the staff second factor. Not logged in, or logged in without the second
factor → the staff login; a subscriber or staff without one of these roles → 404. An operator
works for one company: a bill ID of another company is refused on the field (system
administrators serve every company).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from outages.forms import CallCenterForm, StatusLookupForm
from outages.models import ReportChannel
from outages.selectors import feeder_status, report_get_by_code
from outages.services.reports import (
    answer_text,
    feeder_for_subscription,
    report_file,
    subscription_for_outage,
)
from portal.errors import NotFound, PortalError
from subscribers import roles
from subscribers.models import Subscription, User
from subscribers.permissions import sees_all_offices, staff_second_factor_done

CONSOLE_ROLES = (roles.CALL_CENTER_OPERATOR, roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR)
LAST = "outage_call_center_last"  # the code of the report just filed, shown once
OTHER_COMPANY = "این اشتراک متعلق به شرکت دیگری است؛ تماس را به ۱۲۱ همان شرکت ارجاع دهید."


def console_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("subscribers:staff-login"))
        if not user.is_staff:
            raise Http404
        if not staff_second_factor_done(request):
            return redirect_to_login(request.get_full_path(), reverse("subscribers:staff-login"))
        if not sees_all_offices(user) and not (
            user.office_id and user.groups.filter(name__in=CONSOLE_ROLES).exists()
        ):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _subscription_for(operator: User, bill_id: str) -> Subscription:
    """The electricity subscription behind ``bill_id`` that this operator may file for; every
    refusal is a ``PortalError`` on field "bill_id"."""
    subscription = subscription_for_outage(bill_id=bill_id)
    if not sees_all_offices(operator) and subscription.company_id != operator.office.company_id:
        raise PortalError("other_company", OTHER_COMPANY, fields={"bill_id": [OTHER_COMPANY]})
    try:
        feeder_for_subscription(subscription)
    except PortalError as exc:
        raise PortalError(exc.code, exc.message, fields={"bill_id": [exc.message]}) from None
    return subscription


@console_required
@require_http_methods(["GET", "POST"])
def call_center(request: HttpRequest) -> HttpResponse:
    operator = request.user
    form = CallCenterForm(request.POST if request.method == "POST" else None)
    # Its own ids: both forms have a bill_id field on the one page.
    lookup_form = StatusLookupForm(
        request.GET if "bill_id" in request.GET else None, auto_id="lookup_%s"
    )
    status_view, lookup_subscription = None, None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = report_file(
                    subscription=_subscription_for(operator, data["bill_id"]),
                    mobile=data["mobile"],
                    channel=ReportChannel.CALL_CENTER,
                    taken_by=operator,
                    description=data.get("description", ""),
                )
            except PortalError as exc:
                form.add_service_errors(exc)
            else:
                request.session[LAST] = {"code": outcome.report.code, "created": outcome.created}
                return redirect("outages:call-center")
        status = 400
    elif lookup_form.is_bound:
        if lookup_form.is_valid():
            try:
                lookup_subscription = _subscription_for(
                    operator, lookup_form.cleaned_data["bill_id"]
                )
                status_view = feeder_status(feeder=feeder_for_subscription(lookup_subscription))
            except PortalError as exc:
                lookup_form.add_service_errors(exc)
        if lookup_form.errors:
            status = 400
        else:
            form = CallCenterForm(initial={"bill_id": lookup_form.cleaned_data["bill_id"]})
    last, last_report = request.session.pop(LAST, None), None
    if last:
        try:
            last_report = report_get_by_code(last["code"])
        except NotFound:
            last = None
    context = {
        "form": form,
        "lookup_form": lookup_form,
        "status_view": status_view,
        "lookup_subscription": lookup_subscription,
        "last": last,
        "last_report": last_report,
        "last_message": answer_text(last_report) if last_report else "",
    }
    response = render(request, "outages/call_center.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [path("outages/call-center/", call_center, name="call-center")]
