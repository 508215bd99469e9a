"""The subscriber's bill pages: the bills home, history by bill ID and start year (table, chart,
payments), one bill with every line item, and the CSV / Green Button download.

Who sees what is decided by ``billing.selectors.bills``: the owner all periods, a tenant only
periods inside the lease, an organisation's representative all, and a kiosk operator acting for
one of them (``request.user`` is then the citizen). A bill ID that is not the user's gets the
same field error and status as one that does not exist. Every view of a citizen's bills by a
kiosk operator is audited (``billing.history.view``, ``billing.bill.view``,
``billing.export``) on top of the middleware's per-request row.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing.espi import CONTENT_TYPE as ESPI_CONTENT_TYPE
from billing.espi import espi_feed
from billing.forms import ExportForm, HistoryForm
from billing.models import Bill
from billing.selectors.bills import BillAccess, accesses_for_user
from billing.selectors.history import (
    BillHistory,
    bill_detail_for_user,
    bill_history,
    history_access_for_user,
    history_csv,
)
from billing.selectors.organisations import organisation_accesses_for_user
from portal.errors import NotFound, PortalError
from portal.http import client_ip
from subscribers.services.audit import audit_record


def audit_kiosk_view(request: HttpRequest, *, action: str, obj, details: dict) -> None:
    """An operator acting for a citizen looked at the citizen's bills: record it."""
    kiosk_session = getattr(request, "kiosk_session", None)
    if kiosk_session is None:
        return
    audit_record(
        actor=request.operator,
        action=action,
        obj=obj,
        on_behalf_of=request.user,
        kiosk=kiosk_session.kiosk,
        ip=client_ip(request),
        details=details,
    )


def load_history(request: HttpRequest, form: HistoryForm) -> BillHistory | None:
    """The history the valid ``form`` asks for (from the history cache when the bills and
    payments have not changed), or ``None`` with a «شناسه قبض» field error when the bill ID
    is not the user's (or does not exist)."""
    try:
        access = history_access_for_user(user=request.user, bill_id=form.cleaned_data["bill_id"])
    except NotFound:
        form.not_found()
        return None
    return bill_history(access=access, from_year=form.cleaned_data["from_year"])


def export_filename(history: BillHistory, extension: str) -> str:
    # ASCII only: the bill ID is digits, so no header injection or encoding surprises.
    return f"bill-history-{history.subscription.bill_id}-{history.from_year}.{extension}"


def export_response(*, request: HttpRequest, history: BillHistory, fmt: str) -> HttpResponse:
    """The download for ``history`` in ``fmt`` (csv | espi); ``PortalError`` when the format
    does not fit the subscription (ESPI for a telephone line)."""
    if fmt == ExportForm.Format.ESPI:
        body = espi_feed(
            history=history,
            base_url=request.build_absolute_uri("/"),
            self_url=request.build_absolute_uri(),
        )
        content_type, extension = f"{ESPI_CONTENT_TYPE}; charset=utf-8", "xml"
    else:
        body = history_csv(history=history)
        content_type, extension = "text/csv; charset=utf-8", "csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{export_filename(history, extension)}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _status(form: HistoryForm) -> int:
    if not form.errors:
        return 200
    return 404 if form.has_error("bill_id", code="not_found") else 400


# --- pages -----------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    accesses: list[BillAccess] = accesses_for_user(user=request.user)
    context = {
        "accesses": accesses,
        "organisations": list(organisation_accesses_for_user(user=request.user)),
        "form": HistoryForm(),
    }
    return render(request, "billing/home.html", context)


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    bound = "bill_id" in request.GET or "from_year" in request.GET
    form = HistoryForm(request.GET if bound else None)
    result = None
    if bound and form.is_valid():
        result = load_history(request, form)
        if result is not None:
            audit_kiosk_view(
                request,
                action="billing.history.view",
                obj=result.subscription,
                details={"bill_id": result.subscription.bill_id, "from_year": result.from_year},
            )
    context = {"form": form, "history": result}
    if result is not None:
        query = f"bill_id={result.subscription.bill_id}&from_year={result.from_year}"
        context["export_query"] = query
    response = render(request, "billing/history.html", context, status=_status(form))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.GET)
    result = load_history(request, form) if form.is_valid() else None
    if result is not None:
        fmt = form.cleaned_data["format"]
        try:
            response = export_response(request=request, history=result, fmt=fmt)
        except PortalError as exc:
            form.add_service_errors(exc)
        else:
            audit_kiosk_view(
                request,
                action="billing.export",
                obj=result.subscription,
                details={
                    "bill_id": result.subscription.bill_id,
                    "from_year": result.from_year,
                    "format": fmt,
                },
            )
            return response
    context = {"form": form, "history": None}
    return render(request, "billing/history.html", context, status=_status(form))


@login_required
@require_GET
def bill_detail(request: HttpRequest, uid) -> HttpResponse:
    try:
        detail = bill_detail_for_user(user=request.user, uid=uid)
    except NotFound:
        raise Http404 from None
    bill = detail.bill
    audit_kiosk_view(
        request,
        action="billing.bill.view",
        obj=bill,
        details={"bill_id": bill.subscription.bill_id, "year": bill.year, "period": bill.period},
    )
    context = {
        "bill": bill,
        "payments": bill.payments.all(),
        "is_payable": detail.is_payable,
        "superseded": bill.status == Bill.Status.SUPERSEDED,
        "history_url": reverse("billing:history")
        + f"?bill_id={bill.subscription.bill_id}&from_year={bill.year}",
        "today": timezone.localdate(),
    }
    response = render(request, "billing/bill_detail.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("bills/", home, name="home"),
    path("bills/history/", history, name="history"),
    path("bills/export/", export, name="export"),
    path("bills/<uuid:uid>/", bill_detail, name="bill-detail"),
]
