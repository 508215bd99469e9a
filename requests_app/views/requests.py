"""The applicant's request screens (work package: subscriber web UI): my requests, choosing a
service, filing, the request page (documents, fees, visit, timeline), uploading a document
and cancelling.

Every request is loaded through ``request_get_for_user``, so someone else's request answers
404 exactly like a missing one. During a kiosk on-behalf session ``request.user`` is the
citizen and the operator acts for them: services get ``actor=request.operator``,
``on_behalf_of=request.user`` and, when filing, the kiosk channel (its fee applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from requests_app.forms import RequestFileForm
from requests_app.models import (
    Actor,
    Channel,
    Rating,
    RequestDocument,
    RequestEvent,
    RequestType,
    ServiceRequest,
    Status,
)
from requests_app.selectors.requests import (
    request_get_for_user,
    request_type_get_active,
    request_types_active,
    requests_for_user,
)
from requests_app.services import workflow
from requests_app.services.fields import fields_display
from requests_app.services.notify import next_step, office_phone, rating_url

PAGE_SIZE = 50
# The citizen may upload while the office has not finished with the documents.
UPLOAD_STATUSES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.DOCUMENTS_REVIEW})
UPLOADABLE_STATES = frozenset({RequestDocument.State.PENDING, RequestDocument.State.REJECTED})
# The citizen may withdraw until someone has been sent to the site (TRANSITIONS).
CANCELLABLE_STATUSES = frozenset(
    {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.DOCUMENTS_REVIEW,
        Status.AWAITING_PAYMENT,
        Status.NEEDS_CONTACT,
    }
)
NO_FILE = "پرونده‌ای انتخاب نشده است."
NO_ACCESS = "این اشتراک دیگر به حساب شما متصل نیست."
KIND_TITLES = {
    RequestType.CompanyKind.ELECTRICITY: "خدمات برق",
    RequestType.CompanyKind.GAS: "خدمات گاز",
    RequestType.CompanyKind.TELECOM: "خدمات تلفن ثابت",
}
# Who made a move, as the applicant may see it: never a staff member's name.
ACTOR_LABELS = {
    Actor.APPLICANT: "شما",
    Actor.CLERK: "امور مشترکین",
    Actor.SUPERVISOR: "امور مشترکین",
    Actor.SYSTEM: "سامانه",
}


# --- helpers -----------------------------------------------------------------------------


def _acting(request: HttpRequest) -> dict[str, Any]:
    """``actor``/``on_behalf_of`` for a service call from this browser."""
    if getattr(request, "kiosk_session", None) is not None:
        return {"actor": request.operator, "on_behalf_of": request.user}
    return {"actor": request.user, "on_behalf_of": None}


def _own_request(request: HttpRequest, number: str) -> ServiceRequest:
    try:
        req = request_get_for_user(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    req.applicant = request.user  # the selector matched applicant == user; spare a query
    return req


def _detail_url(number: str) -> str:
    return reverse("requests_app:request-detail", args=[number])


def _portal_error_text(exc: PortalError) -> str:
    details = [message for values in (exc.fields or {}).values() for message in values]
    return " ".join(details) if details else exc.message


# --- my requests -------------------------------------------------------------------------


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(requests_for_user(user=request.user), PAGE_SIZE)
    page = paginator.get_page(normalize_digits(request.GET.get("page", "1")))
    return render(request, "requests_app/requests/list.html", {"page": page})


@require_GET
def request_new(request: HttpRequest) -> HttpResponse:
    """Choose a service: the active types, grouped by company kind (public)."""
    groups: dict[str, list[RequestType]] = {}
    for request_type in request_types_active():
        groups.setdefault(request_type.company_kind, []).append(request_type)
    context = {
        "groups": [(KIND_TITLES.get(kind, kind), types) for kind, types in groups.items() if types],
    }
    return render(request, "requests_app/requests/new.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest, code: str) -> HttpResponse:
    try:
        request_type = request_type_get_active(code=code)
    except NotFound:
        raise Http404 from None
    if request_type.behaviour == RequestType.Behaviour.SELF_READING:
        # A reading has its own form (previous reading, rollover, plausibility, photo).
        return redirect("billing:reading-new")
    data = request.POST if request.method == "POST" else None
    # ?subscription=<pk> preselects one of the user's own subscriptions (links from the line
    # and bill pages); the form's queryset still decides what may be chosen.
    initial = {"subscription": request.GET.get("subscription")} if data is None else None
    form = RequestFileForm(data, initial=initial, request_type=request_type, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kiosk_session = getattr(request, "kiosk_session", None)
        acting = _acting(request)
        try:
            req = workflow.request_file(
                request_type=request_type,
                applicant=request.user,
                actor=acting["actor"],
                on_behalf_of=acting["on_behalf_of"],
                channel=Channel.KIOSK if kiosk_session is not None else Channel.WEB,
                kiosk=kiosk_session.kiosk if kiosk_session is not None else None,
                subscription=data.get("subscription"),
                city=data.get("city"),
                address=data.get("address", ""),
                postal_code=data.get("postal_code", ""),
                fields=form.schema_values,
                description=data.get("description", ""),
            )
        except NotFound:
            # The subscription stopped being the user's between the page and the click.
            form.add_error("subscription" if "subscription" in form.fields else None, NO_ACCESS)
        except PortalError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, f"درخواست شما با شماره {to_persian_digits(req.number)} ثبت شد."
            )
            return redirect(_detail_url(req.number))
    status = 400 if form.errors else 200
    return render(
        request,
        "requests_app/requests/create.html",
        {"form": form, "request_type": request_type},
        status=status,
    )


# --- the request page --------------------------------------------------------------------


@dataclass
class DocumentRow:
    requirement: Any
    document: RequestDocument | None
    can_upload: bool


@dataclass
class TimelineRow:
    title: str
    note: str
    by: str
    at: Any


def _document_rows(req: ServiceRequest) -> list[DocumentRow]:
    current = {doc.requirement_id: doc for doc in req.current_documents}
    rows = []
    for requirement in req.request_type.documents.all():
        if not requirement.applies_to_user(req.applicant):
            continue
        document = current.get(requirement.pk)
        can_upload = req.status in UPLOAD_STATUSES and (
            document is None or document.state in UPLOADABLE_STATES
        )
        rows.append(DocumentRow(requirement, document, can_upload))
    return rows


def _timeline(req: ServiceRequest) -> list[TimelineRow]:
    labels = dict(Status.choices)
    kinds = dict(RequestEvent.Kind.choices)
    rows = []
    for event in req.events.all():
        if event.kind == RequestEvent.Kind.TRANSITION:
            title = str(labels.get(event.new_status, event.new_status))
            # What the office asked for, or why the citizen withdrew, is meant for the
            # citizen (it is in their SMS too); other transition notes stay internal.
            shows_note = event.new_status == Status.DOCUMENTS_REVIEW and event.actor_role in (
                Actor.CLERK,
                Actor.SUPERVISOR,
            )
            shows_note = shows_note or event.new_status == Status.CANCELLED
            # A completion by the system (an at-once line service) notes what it changed.
            shows_note = shows_note or (
                event.new_status == Status.COMPLETED and event.actor_role == Actor.SYSTEM
            )
            note = event.note if shows_note else ""
        elif event.kind in (
            RequestEvent.Kind.DOCUMENT_UPLOADED,
            RequestEvent.Kind.DOCUMENT_ACCEPTED,
            RequestEvent.Kind.DOCUMENT_REJECTED,
        ):
            # The note is the document's title (or, for a rejection, the reason given).
            title, note = str(kinds[event.kind]), event.note
        elif event.kind in (RequestEvent.Kind.PAYMENT, RequestEvent.Kind.DEBTS_CONFIRMED):
            title, note = str(kinds[event.kind]), ""
        else:
            continue  # staff notes are not for the applicant
        by = ACTOR_LABELS.get(event.actor_role, "سامانه")
        rows.append(TimelineRow(title=title, note=note, by=by, at=event.created_at))
    return rows


def _open_visit(req: ServiceRequest):
    if req.status != Status.VISIT_SCHEDULED:
        return None
    pending = [v for v in req.visits.all() if not v.result]
    return max(pending, key=lambda v: (v.created_at, v.pk)) if pending else None


@login_required
@require_GET
def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    req = _own_request(request, number)
    rated = req.status == Status.COMPLETED and Rating.objects.filter(request_id=req.pk).exists()
    context = {
        "req": req,
        "next_step": next_step(req),
        "office_phone": office_phone(req) if req.waits_on_citizen else "",
        "field_rows": fields_display(
            schema=req.request_type.fields_schema, values=req.fields or {}
        ),
        "document_rows": _document_rows(req),
        "payments": list(req.payments.all()),
        "visit": _open_visit(req),
        "timeline": _timeline(req),
        "can_cancel": req.status in CANCELLABLE_STATUSES,
        "rating_link": rating_url(req) if req.status == Status.COMPLETED and not rated else "",
        "on_behalf": getattr(request, "kiosk_session", None) is not None,
    }
    return render(request, "requests_app/requests/detail.html", context)


@login_required
@require_POST
def document_upload_view(request: HttpRequest, number: str, requirement_id: int) -> HttpResponse:
    from requests_app.services.documents import document_upload

    req = _own_request(request, number)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, NO_FILE)
        return redirect(_detail_url(req.number))
    try:
        document_upload(
            request=req, requirement_id=requirement_id, upload=upload, **_acting(request)
        )
    except NotFound:
        raise Http404 from None
    except PortalError as exc:
        messages.error(request, _portal_error_text(exc))
    else:
        messages.success(request, "مدرک بارگذاری شد و پس از بررسی امور نتیجه را می‌بینید.")
    return redirect(_detail_url(req.number))


@login_required
@require_http_methods(["GET", "POST"])
def request_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    req = _own_request(request, number)
    if req.status not in CANCELLABLE_STATUSES:
        messages.error(request, "این درخواست در وضعیت فعلی قابل لغو نیست.")
        return redirect(_detail_url(req.number))
    if request.method == "POST":
        # The status the citizen saw on the confirm page: if the office moved the request
        # meanwhile, the service refuses with a conflict rather than cancel something else.
        seen = request.POST.get("status", req.status)
        if seen != req.status:
            messages.error(
                request,
                workflow.CONFLICT_MESSAGE.format(status=req.get_status_display()),
            )
            return redirect(_detail_url(req.number))
        try:
            workflow.request_cancel(
                request=req, note=request.POST.get("note", "")[:500], **_acting(request)
            )
        except NotFound:
            raise Http404 from None
        except PortalError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"درخواست {to_persian_digits(req.number)} لغو شد.")
        return redirect(_detail_url(req.number))
    return render(request, "requests_app/requests/cancel.html", {"req": req})


urlpatterns = [
    path("requests/", request_list, name="request-list"),
    path("requests/new/", request_new, name="request-new"),
    path("requests/new/<slug:code>/", request_create, name="request-create"),
    path("requests/<str:number>/", request_detail, name="request-detail"),
    path(
        "requests/<str:number>/documents/<int:requirement_id>/",
        document_upload_view,
        name="document-upload",
    ),
    path("requests/<str:number>/cancel/", request_cancel_view, name="request-cancel"),
]
