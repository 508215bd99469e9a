"""Office staff's request queue in admin.

The queue is scoped to the staff member's office; a request of another office answers a real
404, never a redirect. Nothing here writes a request directly: every field is read-only and
each workflow button posts to a small view that calls the matching service in
``requests_app.services.workflow``. Each action form carries the status the page showed
(``seen_status``); the service refuses with "conflict" when the request moved meanwhile, so
a stale page can never act on a newer state.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.jalali import jalali_display
from requests_app.admin import forms as admin_forms
from requests_app.admin.actions import ACTIONS, available_actions
from requests_app.admin.inlines import (
    OverdueFilter,
    PaymentInline,
    RequestDocumentInline,
    RequestEventInline,
    VisitInline,
)
from requests_app.models import (
    OPEN_STATUSES,
    Channel,
    RequestDocument,
    RequestType,
    ServiceRequest,
)
from requests_app.selectors.requests import sla_report
from requests_app.services import workflow as wf
from requests_app.services.fields import fields_display
from subscribers.admin.scoping import OfficeScopedAdminMixin
from subscribers.models import City, Subscription, User
from subscribers.permissions import sees_all_offices

OVERDUE_BADGE = (
    '<span class="overdue-badge" style="background:#ba2121;color:#fff;border-radius:4px;'
    'padding:0 6px;margin-inline-start:4px;font-size:0.85em">{}</span>'
)
OVERDUE_LABEL = _("دیرکرد")


def _jalali(value) -> str:
    return jalali_display(value) if value else "—"


def _due_html(obj: ServiceRequest, now=None) -> str:
    if obj.due_at is None:
        return "—"
    if obj.is_overdue(now):
        return format_html("{} " + OVERDUE_BADGE, jalali_display(obj.due_at), OVERDUE_LABEL)
    return jalali_display(obj.due_at)


# --- The request admin ---------------------------------------------------------------------


@admin.register(ServiceRequest)
class ServiceRequestAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "office"
    list_display = [
        "number",
        "request_type",
        "applicant_name",
        "subscription_number",
        "status",
        "due",
        "channel",
        "created",
    ]
    list_select_related = [
        "request_type",
        "applicant",
        "applicant__legal_profile",
        "subscription",
        "office",
    ]
    list_filter = ["request_type", "status", "office", OverdueFilter, "channel"]
    search_fields = [
        "=number",
        "=subscription__subscription_number",
        "=applicant__national_code",
        "=applicant__mobile",
    ]
    search_help_text = _("شماره درخواست، شماره اشتراک، یا کد ملی یا تلفن همراه متقاضی")
    ordering = [F("due_at").asc(nulls_last=True), "-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are one COUNT per filter choice
    list_per_page = 50
    inlines = [RequestDocumentInline, PaymentInline, VisitInline, RequestEventInline]
    fieldsets = [
        (
            _("درخواست"),
            {
                "fields": [
                    "number",
                    "request_type",
                    "status",
                    "channel",
                    "kiosk",
                    "type_fields",
                    "description",
                    "parent",
                ]
            },
        ),
        (
            _("متقاضی و محل"),
            {
                "fields": [
                    "applicant_name",
                    "applicant_contact",
                    "subscription",
                    "office",
                    "city",
                    "address",
                    "postal_code",
                ]
            },
        ),
        (
            _("زمان‌ها"),
            {"fields": ["created", "submitted", "due", "closed"]},
        ),
        (
            _("نتیجه"),
            {"fields": ["outcome", "rejection_reason", "debts"]},
        ),
    ]
    # Every field is read-only: status (and everything else) moves only through the services.
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    # -- list columns --

    @admin.display(description=_("متقاضی"), ordering="applicant__last_name")
    def applicant_name(self, obj: ServiceRequest) -> str:
        return obj.applicant.display_name

    @admin.display(description=_("شماره اشتراک"), ordering="subscription__subscription_number")
    def subscription_number(self, obj: ServiceRequest) -> str:
        return obj.subscription.subscription_number if obj.subscription_id else "—"

    @admin.display(description=_("مهلت انجام"), ordering="due_at")
    def due(self, obj: ServiceRequest) -> str:
        return _due_html(obj)

    @admin.display(description=_("زمان ایجاد"), ordering="created_at")
    def created(self, obj: ServiceRequest) -> str:
        return _jalali(obj.created_at)

    @admin.display(description=_("زمان ثبت"))
    def submitted(self, obj: ServiceRequest) -> str:
        return _jalali(obj.submitted_at)

    @admin.display(description=_("زمان پایان"))
    def closed(self, obj: ServiceRequest) -> str:
        return _jalali(obj.closed_at)

    @admin.display(description=_("تماس متقاضی"))
    def applicant_contact(self, obj: ServiceRequest) -> str:
        applicant = obj.applicant
        code = applicant.national_code or applicant.legal_national_id or ""
        return to_persian_digits(f"{code} — {applicant.mobile or '—'}")

    @admin.display(description=_("اطلاعات ویژه"))
    def type_fields(self, obj: ServiceRequest) -> str:
        rows = fields_display(schema=obj.request_type.fields_schema, values=obj.fields or {})
        if not rows:
            return "—"
        return format_html_join(format_html("<br>"), "{}: {}", rows)

    @admin.display(description=_("تأیید تسویه بدهی"))
    def debts(self, obj: ServiceRequest) -> str:
        if obj.debts_confirmed_at is None:
            return "—"
        by = obj.debts_confirmed_by.display_name if obj.debts_confirmed_by else ""
        return f"{jalali_display(obj.debts_confirmed_at)} — {by}"

    # -- scoping and permissions --

    def get_list_filter(self, request: HttpRequest):
        if sees_all_offices(request.user):
            return self.list_filter
        return [f for f in self.list_filter if f != "office"]

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another office's request (or a missing one) is a real 404, not Django's redirect to
        # the changelist with "may have been deleted": the number tells nothing.
        raise Http404

    def get_request_or_404(self, request: HttpRequest, object_id) -> ServiceRequest:
        obj = self.get_object(request, str(object_id))
        if obj is None:
            raise Http404
        return obj

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # Nothing on the change form is editable and the add page is the counter form below:
        # a crafted POST to the change form must not touch the row.
        return None

    def save_related(self, request, form, formsets, change):
        return None

    # -- pages --

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path("sla/", view(self.sla_view), name="requests_app_servicerequest_sla"),
            path(
                "<int:object_id>/workflow/<slug:action>/",
                view(self.action_view),
                name="requests_app_servicerequest_action",
            ),
            path(
                "<int:object_id>/documents/<int:document_id>/accept/",
                view(self.document_accept_view),
                name="requests_app_servicerequest_document_accept",
            ),
            path(
                "<int:object_id>/documents/<int:document_id>/reject/",
                view(self.document_reject_view),
                name="requests_app_servicerequest_document_reject",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_request_or_404(request, object_id)
        role = wf.staff_role(user=request.user, office_id=obj.office_id)
        can_act = role is not None and self.has_change_permission(request, obj)
        actions = available_actions(obj, role) if can_act else []
        documents = []
        if can_act and obj.status in OPEN_STATUSES:
            documents = list(
                obj.documents.filter(is_current=True, state=RequestDocument.State.PENDING)
            )
        context = {
            **(extra_context or {}),
            "workflow_actions": [
                (
                    action,
                    reverse("admin:requests_app_servicerequest_action", args=[obj.pk, action.name]),
                )
                for action in actions
            ],
            "reviewable_documents": documents,
            "seen_status": obj.status,
            "due_html": _due_html(obj),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _change_url(self, obj: ServiceRequest) -> str:
        return reverse("admin:requests_app_servicerequest_change", args=[obj.pk])

    def _check_can_act(self, request: HttpRequest, obj: ServiceRequest) -> None:
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        if wf.staff_role(user=request.user, office_id=obj.office_id) is None:
            raise PermissionDenied

    def _page(self, request, obj, *, title: str, form, submit_label: str, danger=False):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": title,
            "form": form,
            "submit_label": submit_label,
            "danger": danger,
        }
        return TemplateResponse(request, "admin/requests_app/servicerequest/action.html", context)

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> HttpResponse:
        """GET: the action's small form (or back to the change page when it has none);
        POST: the service, then a message and back to the change page."""
        obj = self.get_request_or_404(request, object_id)
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404
        self._check_can_act(request, obj)
        change_url = self._change_url(obj)
        kwargs = {"request": obj} if spec.needs_request else {}
        if request.method != "POST":
            if not spec.page:
                return HttpResponseRedirect(change_url)
            form = spec.form(initial={"seen_status": obj.status}, **kwargs)
            return self._page(
                request,
                obj,
                title=f"{spec.label} — درخواست {obj.number}",
                form=form,
                submit_label=spec.label,
                danger=spec.danger,
            )
        form = spec.form(request.POST, **kwargs)
        if not form.is_valid():
            if not spec.page:
                self.message_user(request, "صفحه را دوباره باز کنید و اقدام کنید.", messages.ERROR)
                return HttpResponseRedirect(change_url)
            return self._page(
                request,
                obj,
                title=f"{spec.label} — درخواست {obj.number}",
                form=form,
                submit_label=spec.label,
                danger=spec.danger,
            )
        # Act on the state the staff member saw: if it moved meanwhile, the service says so.
        obj.status = form.cleaned_data["seen_status"]
        try:
            message = spec.run(obj, request.user, form.cleaned_data)
        except PortalError as exc:
            if spec.page and exc.fields and _attach_errors(form, exc.fields):
                self.message_user(request, exc.message, messages.ERROR)
                return self._page(
                    request,
                    obj,
                    title=f"{spec.label} — درخواست {obj.number}",
                    form=form,
                    submit_label=spec.label,
                    danger=spec.danger,
                )
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def _document_or_404(self, obj: ServiceRequest, document_id: int) -> RequestDocument:
        document = (
            RequestDocument.objects.select_related("request", "requirement")
            .filter(pk=document_id, request=obj)
            .first()
        )
        if document is None:
            raise Http404
        return document

    def document_accept_view(
        self, request: HttpRequest, object_id: int, document_id: int
    ) -> HttpResponse:
        obj = self.get_request_or_404(request, object_id)
        document = self._document_or_404(obj, document_id)
        self._check_can_act(request, obj)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj))
        from requests_app.services.documents import document_accept  # built in parallel

        try:
            document_accept(document=document, actor=request.user)
        except PortalError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"مدرک «{document.requirement}» پذیرفته شد.")
        return HttpResponseRedirect(self._change_url(obj))

    def document_reject_view(
        self, request: HttpRequest, object_id: int, document_id: int
    ) -> HttpResponse:
        obj = self.get_request_or_404(request, object_id)
        document = self._document_or_404(obj, document_id)
        self._check_can_act(request, obj)
        form = admin_forms.DocumentRejectForm(request.POST or None)
        title = f"رد مدرک «{document.requirement}» — درخواست {obj.number}"
        if request.method == "POST" and form.is_valid():
            from requests_app.services.documents import document_reject  # built in parallel

            try:
                document_reject(
                    document=document, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except PortalError as exc:
                if not (exc.fields and _attach_errors(form, exc.fields)):
                    self.message_user(request, exc.message, messages.ERROR)
                    return HttpResponseRedirect(self._change_url(obj))
            else:
                self.message_user(
                    request, f"مدرک «{document.requirement}» رد شد و به متقاضی اطلاع داده شد."
                )
                return HttpResponseRedirect(self._change_url(obj))
        return self._page(request, obj, title=title, form=form, submit_label="رد مدرک", danger=True)

    # -- filing at the counter --

    def _filing_types(self, request: HttpRequest) -> QuerySet[RequestType]:
        types = RequestType.objects.filter(is_active=True).order_by("company_kind", "order", "id")
        office = request.user.office
        if not sees_all_offices(request.user) and office is not None:
            types = types.filter(company_kind=office.company.kind)
        return types

    def _filing_cities(self, request: HttpRequest, request_type: RequestType) -> QuerySet[City]:
        if sees_all_offices(request.user) or request.user.office_id is None:
            cities = City.objects.filter(offices__company__kind=request_type.company_kind)
        else:
            cities = City.objects.filter(offices=request.user.office_id)
        return cities.distinct().order_by("province", "name")

    def add_view(self, request, form_url="", extra_context=None):
        """A clerk files a request for a citizen at the counter: pick the type, then the
        applicant, the subscription (or for a new connection the site) and the type's fields.
        ``request_file`` does the rest; any refusal is shown on the form and nothing is saved."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        types = self._filing_types(request)
        type_id = str(request.POST.get("request_type") or request.GET.get("request_type") or "")
        request_type = types.filter(pk=int(type_id)).first() if type_id.isdigit() else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "ثبت درخواست در امور (مراجعه حضوری)",
            "types": types,
            "request_type": request_type,
        }
        if request_type is None:
            return TemplateResponse(
                request, "admin/requests_app/servicerequest/file_pick_type.html", context
            )
        form = admin_forms.CounterFilingForm(
            request.POST if request.method == "POST" else None,
            request_type=request_type,
            types=types,
            cities=self._filing_cities(request, request_type),
        )
        if request.method == "POST" and form.is_valid():
            created = self._file(request, form)
            if created is not None:
                self.message_user(
                    request,
                    f"درخواست «{request_type.title}» با شماره "
                    f"{to_persian_digits(created.number)} ثبت شد.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(created))
        context["form"] = form
        return TemplateResponse(request, "admin/requests_app/servicerequest/file.html", context)

    def _file(self, request: HttpRequest, form) -> ServiceRequest | None:
        data = form.cleaned_data
        request_type = form.request_type
        code = data["national_code"].strip()
        applicant = (
            User.objects.filter(kind__in=[User.Kind.NATURAL, User.Kind.LEGAL])
            .filter(national_code=code)
            .first()
            or User.objects.filter(kind=User.Kind.LEGAL, legal_national_id=code).first()
        )
        if applicant is None:
            form.add_error(
                "national_code", "مشترکی با این کد ملی یا شناسه ملی در سامانه ثبت‌نام نکرده است."
            )
            return None
        subscription = None
        if request_type.needs_subscription:
            subscriptions = Subscription.objects.select_related("company", "office", "city")
            subscriptions = subscriptions.filter(
                subscription_number=data["subscription_number"].strip(),
                company__kind=request_type.company_kind,
            )
            if not sees_all_offices(request.user):
                subscriptions = subscriptions.filter(office_id=request.user.office_id)
            subscription = subscriptions.first()
            if subscription is None:
                form.add_error("subscription_number", "اشتراکی با این شماره در امور شما یافت نشد.")
                return None
        try:
            return wf.request_file(
                request_type=request_type,
                applicant=applicant,
                actor=request.user,
                channel=Channel.OFFICE,
                subscription=subscription,
                city=data.get("city"),
                address=data.get("address", ""),
                postal_code=data.get("postal_code", ""),
                fields=form.type_fields(),
                description=data.get("description", ""),
            )
        except NotFound:
            form.add_error(
                "subscription_number" if subscription else None,
                "این اشتراک به حساب این متقاضی متصل نیست؛ ابتدا اشتراک را به حساب او متصل کنید.",
            )
        except PortalError as exc:
            form.add_service_errors(exc.fields)
            form.add_error(None, exc.message)
        return None

    # -- the SLA report --

    def sla_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = request.user
        office_ids = None  # every office
        if not sees_all_offices(user):
            office_ids = [user.office_id] if user.office_id else []
        rows = [row for row in sla_report(office_ids=office_ids) if row.filed or row.overdue_now]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "گزارش مهلت انجام (SLA) به تفکیک خدمت",
            "rows": rows,
            "office": None if office_ids is None else user.office,
        }
        return TemplateResponse(
            request, "admin/requests_app/servicerequest/sla_report.html", context
        )


def _attach_errors(form, fields: dict[str, list[str]]) -> bool:
    matched = False
    for name, errors in fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            matched = True
    return matched
