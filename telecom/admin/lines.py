"""Admin for phone lines and their activation, scoped to the staff user's center.

- Phone lines: read (operators, clerks, supervisors of the center) and the CSV upload
  («بارگذاری خطوط», clerks and supervisors: ``change_phoneline``) through ``lines_import``.
- Line activations: read-only; their «افزودن» opens the operator's activation page, where a
  telecom-center operator finds the citizen by national code / legal national ID, sees the
  citizen's pending claims on lines of their own center, ticks seed 002's checklist and
  activates through ``lines_activate``. Claims of another center are invisible (404).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.forms import CsvUploadField
from portal.http import client_ip
from portal.identifiers import mask_national_code
from subscribers.admin.scoping import OfficeScopedAdminMixin
from subscribers.models import SubscriptionLink
from subscribers.services.identity import CHECKLISTS
from telecom.forms_lines import ActivationForm, CitizenSearchForm
from telecom.models import LineActivation, LineClaim, PhoneLine
from telecom.selectors.claims import citizen_find, pending_claims_for_operator
from telecom.services.activation import (
    ActivationItem,
    lease_minimum_end,
    lines_activate,
    operator_may_activate,
)
from telecom.services.lines import (
    LINE_COLUMN_LABELS,
    LINE_COLUMNS,
    LINE_OPTIONAL_COLUMNS,
    lines_import,
)


class LinesImportForm(forms.Form):
    file = CsvUploadField(label="پرونده CSV خطوط", command="import_lines")


@admin.register(PhoneLine)
class PhoneLineAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "subscription__office"
    list_display = ["number", "center", "status", "directory_listed", "second_zero_blocked", "adsl"]
    list_select_related = ["subscription__office"]
    list_filter = ["status", "adsl", "second_zero_blocked", "subscription__office"]
    search_fields = ["=number", "=subscription__bill_id"]
    readonly_fields = ["subscription", "number", "updated_at"]
    show_full_result_count = False
    change_list_template = "admin/telecom/phoneline/change_list.html"

    @admin.display(description="مرکز تلفن", ordering="subscription__office__name")
    def center(self, obj: PhoneLine) -> str:
        return obj.subscription.office.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # lines come from the import

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="telecom_phoneline_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("telecom.change_phoneline"):
            raise PermissionDenied
        form = LinesImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = lines_import(file=form.cleaned_data["file"].read(), actor=request.user)
            except PortalError as exc:
                form.add_error("file", exc.message)
            else:
                if result.ok:
                    self.message_user(
                        request, f"خطوط ذخیره شد — {result.summary()}", messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:telecom_phoneline_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "بارگذاری پرونده خطوط تلفن",
            "form": form,
            "result": result,
            "error_count": to_persian_digits(len(result.errors)) if result else "",
            "columns": [
                (c, LINE_COLUMN_LABELS[c], "خیر" if c in LINE_OPTIONAL_COLUMNS else "بله")
                for c in LINE_COLUMNS
            ],
        }
        return TemplateResponse(request, "admin/telecom/phoneline/import.html", context)


@admin.register(LineActivation)
class LineActivationAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "link__subscription__office"
    list_display = ["activated_at", "line_number", "role", "lease_end", "activated_by"]
    list_select_related = ["link__subscription__phone_line", "activated_by"]
    search_fields = ["=link__subscription__phone_line__number"]
    readonly_fields = [
        "link", "verification", "lease_start", "lease_end", "activated_by", "activated_at",
    ]  # fmt: skip
    show_full_result_count = False

    @admin.display(description="شماره تلفن")
    def line_number(self, obj: LineActivation) -> str:
        return obj.link.subscription.phone_line.number

    @admin.display(description="وضعیت تملک")
    def role(self, obj: LineActivation) -> str:
        return "صاحب تلفن" if obj.link.role == SubscriptionLink.Role.OWNER else "استفاده‌کننده"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        custom = [
            path(
                "activate/",
                self.admin_site.admin_view(self.activate_view),
                name="telecom_lineactivation_activate",
            )
        ]
        return custom + super().get_urls()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        return HttpResponseRedirect(reverse("admin:telecom_lineactivation_activate"))

    def activate_view(self, request: HttpRequest) -> HttpResponse:
        """The operator's page: GET ?q=<national code> shows the citizen and their claims;
        POST activates the ticked ones. Works without JavaScript."""
        operator = request.user
        if not (
            operator.has_perm("telecom.add_lineactivation") and operator_may_activate(operator)
        ):
            raise PermissionDenied
        url = reverse("admin:telecom_lineactivation_activate")
        search = CitizenSearchForm(request.GET or None)
        citizen = None
        claims: list[LineClaim] = []
        if search.is_bound and search.is_valid():
            try:
                citizen = citizen_find(identifier=search.cleaned_data["q"])
            except PortalError as exc:
                search.add_error("q", exc.message)
            else:
                claims = list(pending_claims_for_operator(operator=operator, citizen=citizen))
        form = None
        if citizen is not None:
            form = ActivationForm(
                request.POST if request.method == "POST" else None,
                citizen=citizen,
                claims=claims,
            )
            if request.method == "POST" and form.is_valid():
                data = form.cleaned_data
                items = [
                    ActivationItem(
                        claim_id=claim.pk,
                        lease_start=data.get(f"lease_start_{claim.pk}"),
                        lease_end=data.get(f"lease_end_{claim.pk}"),
                    )
                    for claim in claims
                    if data.get(f"claim_{claim.pk}")
                ]
                extra = [
                    key
                    for key in request.POST
                    if key.startswith("claim_") and key not in form.fields
                ]
                if extra:
                    # A claim id that is not this operator's to see: like any other object.
                    raise Http404
                try:
                    result = lines_activate(
                        citizen=citizen,
                        operator=operator,
                        items=items,
                        document_type=data["document_type"],
                        document_number=data["document_number"],
                        documents_seen=data["documents_seen"],
                        client_ip=client_ip(request),
                    )
                except NotFound as exc:
                    raise Http404 from exc
                except PortalError as exc:
                    placed = False
                    for name, errors in (exc.fields or {}).items():
                        target = "documents_seen" if name == "claims" else name
                        if target in form.fields:
                            for error in errors:
                                form.add_error(target, error)
                            placed = True
                    if not placed or exc.fields.get("claims"):
                        form.add_error(None, exc.message)
                else:
                    numbers = "، ".join(
                        to_persian_digits(a.link.subscription.phone_line.number)
                        for a in result.activations
                    )
                    self.message_user(
                        request,
                        f"خدمات الکترونیک تلفن {numbers} فعال شد و به مشترک پیامک می‌شود.",
                        messages.SUCCESS,
                    )
                    if result.credentials_issued:
                        self.message_user(
                            request,
                            f"نام کاربری سازمان «{result.username}» است؛ رمز عبور یک‌بار و فقط "
                            f"با پیامک به {to_persian_digits(result.masked_mobile)} فرستاده شد "
                            "(رمز به اپراتور نمایش داده نمی‌شود).",
                            messages.INFO,
                        )
                    query = urlencode({"q": search.cleaned_data["q"]})
                    return HttpResponseRedirect(f"{url}?{query}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "فعال‌سازی خدمات الکترونیک خط (احراز هویت حضوری)",
            "search": search,
            "citizen": citizen,
            "masked_code": mask_national_code(citizen.national_code or citizen.legal_national_id)
            if citizen
            else "",
            "form": form,
            "rows": form.rows() if form is not None else [],
            "checklist": CHECKLISTS.get(citizen.kind, ()) if citizen else (),
            "lease_minimum": lease_minimum_end(),
            "has_tenant": any(c.role == SubscriptionLink.Role.TENANT for c in claims),
            "action_url": f"{url}?{urlencode({'q': search.cleaned_data['q']})}" if citizen else url,
        }
        return TemplateResponse(request, "admin/telecom/lineactivation/activate.html", context)
