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
from subscribers.models import User
from subscribers.services.identity import CHECKLISTS
from telecom.forms_lines import LineClaimForm
from telecom.selectors.claims import MyLine, lines_for_user
from telecom.services.lines import line_claim_cancel, line_claim_create


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


def _render(request: HttpRequest, form: LineClaimForm, status: int = 200) -> HttpResponse:
    rows: list[tuple[MyLine, str, list[str]]] = [
        (
            row,
            calls_url(row.line.number) if row.is_active else "",
            [] if row.is_active else _documents(request.user, row.role),
        )
        for row in lines_for_user(user=request.user)
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
