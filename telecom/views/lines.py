"""«خطوط تلفن من»: the subscriber's lines with their activation status, the «درج تلفن» form
(a claim the telephone center activates after the in-person check) and withdrawing a claim.
GET shows; POST calls a service, then redirects with a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_http_methods

from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.http import client_ip
from requests_app.models import RequestType
from requests_app.selectors.requests import request_types_active
from subscribers.models import SubscriptionLink, User
from subscribers.services.identity import CHECKLISTS
from telecom.forms_lines import LineClaimForm
from telecom.models import SpecialService
from telecom.selectors.claims import MyLine, lines_for_user
from telecom.services import line_services as ls
from telecom.services.lines import line_claim_cancel, line_claim_create

# The line services offered as shortcuts on an active line's card (the rest are one click
# further, on the request catalogue); the second zero shows the switch the line can take.
QUICK_SERVICES = (
    ls.DIRECTORY_118,
    ls.SMS_SERVICE,
    ls.SPECIAL_SERVICES,
    ls.SECOND_ZERO_BLOCK,
    ls.SECOND_ZERO_UNBLOCK,
    ls.FAULT_REPORT,
)
SPECIAL_LABELS = dict(SpecialService.choices)


def calls_url(number: str) -> str:
    """The call-record search of a line, or "" while that page is not installed."""
    try:
        return reverse("telecom:calls", kwargs={"number": number})
    except NoReverseMatch:
        return ""


def _documents(user: User, role: str) -> list[str]:
    """What the subscriber brings to the center for a line claimed with ``role``."""
    return [
        item.title
        for item in CHECKLISTS.get(user.kind, ())
        if not item.tenant_only or role == "tenant"
    ]


def _quick_services(row: MyLine, types: dict[str, RequestType]) -> list[tuple[str, str]]:
    """(code, title) of the shortcut services this row's holder may file for this line."""
    skip = ls.SECOND_ZERO_BLOCK if row.line.second_zero_blocked else ls.SECOND_ZERO_UNBLOCK
    return [
        (code, types[code].title)
        for code in QUICK_SERVICES
        if code != skip
        and code in types
        and (row.role == SubscriptionLink.Role.OWNER or types[code].tenant_allowed)
    ]


def _render(request: HttpRequest, form: LineClaimForm, status: int = 200) -> HttpResponse:
    lines = lines_for_user(user=request.user)
    types: dict[str, RequestType] = {}
    if any(row.is_active for row in lines):
        types = {
            t.code: t
            for t in request_types_active(company_kind=RequestType.CompanyKind.TELECOM)
            .filter(code__in=QUICK_SERVICES)
            .prefetch_related(None)
        }
    rows: list[tuple[MyLine, str, list[str], list[tuple[str, str]], list[str]]] = [
        (
            row,
            calls_url(row.line.number) if row.is_active else "",
            [] if row.is_active else _documents(request.user, row.role),
            _quick_services(row, types) if row.is_active else [],
            [SPECIAL_LABELS.get(code, code) for code in row.line.special_services or ()],
        )
        for row in lines
    ]
    return render(
        request,
        "telecom/lines.html",
        {"rows": rows, "form": form, "is_subscriber": request.user.is_subscriber},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def line_list(request: HttpRequest) -> HttpResponse:
    return _render(request, LineClaimForm())


@login_required
@require_http_methods(["GET", "POST"])
def line_add(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return redirect("telecom:lines")
    form = LineClaimForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            claim = line_claim_create(
                user=request.user,
                number=data["number"],
                role=data["role"],
                lease_end=data.get("lease_end"),
                client_ip=client_ip(request),
            )
        except PortalError as exc:
            placed = False
            for name, errors in (exc.fields or {}).items():
                if name in form.fields:
                    for error in errors:
                        form.add_error(name, error)
                    placed = True
            if not placed:
                form.add_error(None, exc.message)
        else:
            office = claim.line.subscription.office
            messages.success(
                request,
                f"تلفن {to_persian_digits(claim.line.number)} درج شد. برای فعال شدن خدمات "
                f"الکترونیک آن با مدارک به «{office.name}» مراجعه کنید.",
            )
            return redirect("telecom:lines")
    return _render(request, form, status=400)


@login_required
@require_http_methods(["POST"])
def claim_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        claim = line_claim_cancel(user=request.user, claim_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, f"درج تلفن {to_persian_digits(claim.line.number)} لغو شد.")
    return redirect("telecom:lines")


urlpatterns = [
    path("telecom/lines/", line_list, name="lines"),
    path("telecom/lines/add/", line_add, name="line_add"),
    path("telecom/lines/claims/<int:pk>/cancel/", claim_cancel, name="claim_cancel"),
]
