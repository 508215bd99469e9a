"""Call records in admin: imported files (``CdrImport``) with the upload page that hands a CSV
to ``cdr_import``, and a read-only, office-scoped call-record list that never counts.

Uploading needs ``telecom.add_cdrimport`` (telecom office clerks and supervisors, through
their role groups) or a system administrator; office staff import lines of their own
telephone center only (the service checks it). A province's monthly file goes through
``manage.py import_cdrs``; the upload is capped at ``UPLOAD_MAX_MB``.

The call-record table holds tens of millions of rows: the list shows nothing until a line
number is searched, pages without any COUNT (``NoCountPaginator``: "next" exists when one more
row does), and is read through the (line_id, started_at, id) index of each partition.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property

from billing.admin.tariffs import is_system_administrator
from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.forms import CsvUploadField
from portal.jalali import jalali_display
from subscribers.admin.scoping import ImportRegistryAdminMixin
from telecom.models import CallRecord, CdrImport, PhoneLine
from telecom.selectors.lines import normalize_number
from telecom.services.cdr_import import COLUMN_LABELS, COLUMNS, cdr_import

UPLOAD_MAX_MB = 50


class CdrUploadForm(forms.Form):
    file = CsvUploadField(
        label="پرونده CSV ریزمکالمات", command="import_cdrs", max_mb=UPLOAD_MAX_MB
    )


@admin.register(CdrImport)
class CdrImportAdmin(ImportRegistryAdminMixin, admin.ModelAdmin):
    """History of imported call-record files. Office staff see the files imported by their
    office's staff; system administrators see every file (the command line's included)."""

    upload_url_name = "telecom_cdrimport_upload"
    list_display = [
        "created_at_display",
        "file_name",
        "rows_display",
        "first_call_display",
        "last_call_display",
        "seconds_display",
        "imported_by",
    ]
    list_select_related = ["imported_by"]
    search_fields = ["file_name", "=sha256"]
    ordering = ["-pk"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = [
        "file_name",
        "sha256",
        "rows_display",
        "first_call_display",
        "last_call_display",
        "seconds_display",
        "imported_by",
        "created_at_display",
    ]
    readonly_fields = fields

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_upload(request):
            raise PermissionDenied
        form = CdrUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = cdr_import(
                    file=upload.read(), file_name=upload.name or "", actor=request.user
                )
            except PortalError as exc:
                form.add_error("file", f"پرونده CSV ریزمکالمات: {exc.message}")
            else:
                if result.ok:
                    if result.duplicate:
                        self.message_user(request, result.summary(), messages.WARNING)
                    else:
                        self.message_user(
                            request, f"پرونده ریزمکالمات وارد شد. {result.summary()}",
                            messages.SUCCESS,
                        )  # fmt: skip
                    return HttpResponseRedirect(reverse("admin:telecom_cdrimport_changelist"))
                self.message_user(
                    request,
                    "پرونده خطا دارد و هیچ سطری ذخیره نشد؛ خطاها را اصلاح و پرونده را دوباره "
                    "بارگذاری کنید.",
                    messages.ERROR,
                )
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "بارگذاری پرونده ریزمکالمات",
            "form": form,
            "result": result,
            "errors": [
                {
                    "number": to_persian_digits(n),
                    "line": to_persian_digits(issue.line),
                    "column": issue.column,
                    "message": issue.message,
                }
                for n, issue in enumerate(result.errors if result else [], start=1)
            ],
            "error_summary": result.error_summary() if result and not result.ok else "",
            "columns": [(name, COLUMN_LABELS[name]) for name in COLUMNS],
        }
        return TemplateResponse(request, "admin/telecom/cdrimport/upload.html", context)

    @admin.display(description="زمان ورود", ordering="created_at")
    def created_at_display(self, obj: CdrImport) -> str:
        return jalali_display(obj.created_at)

    @admin.display(description="تعداد سطر")
    def rows_display(self, obj: CdrImport) -> str:
        return to_persian_digits(f"{obj.rows:,}").replace(",", "٬")

    @admin.display(description="نخستین تماس")
    def first_call_display(self, obj: CdrImport) -> str:
        return jalali_display(obj.first_call) or "—"

    @admin.display(description="آخرین تماس")
    def last_call_display(self, obj: CdrImport) -> str:
        return jalali_display(obj.last_call) or "—"

    @admin.display(description="مدت ورود (ثانیه)")
    def seconds_display(self, obj: CdrImport) -> str:
        return to_persian_digits(f"{obj.seconds:.1f}")


# --- Call records -----------------------------------------------------------------------------


class NoCountPaginator(Paginator):
    """Pages without counting: a page reads ``per_page + 1`` rows to know whether a next page
    exists. ``count`` is never computed from the table (the admin asks for it; it gets the
    rows seen so far), so no COUNT(*) ever reaches the call-record table."""

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        return max(number, 1)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        self._has_next = len(rows) > self.per_page
        self._seen = bottom + len(rows)
        return Page(rows[: self.per_page], number, self)

    @cached_property
    def count(self) -> int:
        return getattr(self, "_seen", 0)

    @property
    def num_pages(self) -> int:
        seen = getattr(self, "_seen", 0)
        return max((seen + self.per_page - 1) // self.per_page, 1)


class CallRecordChangeList(ChangeList):
    """The admin's change list, minus its two counts (filtered and full)."""

    def get_results(self, request):
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        page = paginator.page(self.page_num)
        self.result_count = paginator.count
        self.show_full_result_count = False
        self.full_result_count = None
        self.result_list = page.object_list
        self.can_show_all = False
        self.multi_page = page.has_next() or page.number > 1
        self.paginator = paginator
        self.show_all = False
        self.show_admin_actions = False


@admin.register(CallRecord)
class CallRecordAdmin(admin.ModelAdmin):
    """Read-only call records of one line at a time. Office staff see lines of their own
    telephone center; system administrators every line. Nothing is listed until a line number
    is searched (any spelling of its digits, Persian ones included)."""

    list_display = [
        "started_at_display",
        "line_number",
        "other_number",
        "call_type",
        "duration_display",
        "cost_display",
    ]
    search_fields = ["line__number"]
    search_help_text = "شماره خط با کد شهر (۱۱ رقم)، مانند ۰۴۱۳۳۳۳۴۴۴۴"
    list_filter = ["call_type"]
    list_select_related = ["line"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    paginator = NoCountPaginator
    ordering = ["-started_at", "-id"]
    fields = [
        "line_number",
        "started_at_display",
        "other_number",
        "call_type",
        "duration_display",
        "cost_display",
        "batch",
    ]
    readonly_fields = fields
    actions = None

    def get_changelist(self, request, **kwargs):
        return CallRecordChangeList

    def _lines(self, request: HttpRequest):
        lines = PhoneLine.objects.all()
        if not is_system_administrator(request):
            office = request.user.office_id
            if office is None:
                return lines.none()
            lines = lines.filter(subscription__office_id=office)
        return lines

    def get_queryset(self, request: HttpRequest):
        # Scoped through the line ids this user may see (the table has no foreign key and
        # is partitioned: a join would plan worse than an IN list on the index).
        return super().get_queryset(request).filter(line_id__in=self._lines(request).values("id"))

    def get_search_results(self, request, queryset, search_term):
        digits = normalize_number(search_term)
        if not digits:
            return queryset.none(), False
        line = self._lines(request).filter(number=digits).values_list("id", flat=True).first()
        if line is None:
            return queryset.none(), False
        return queryset.filter(line_id=line), False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {
            **(extra_context or {}),
            "searched": bool(normalize_number(request.GET.get("q", ""))),
        }
        return super().changelist_view(request, extra_context)

    def get_object(self, request, object_id, from_field=None):
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            return None
        return self.get_queryset(request).filter(pk=pk).first()

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404  # another office's call is the same as no call

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="شماره خط")
    def line_number(self, obj: CallRecord) -> str:
        return to_persian_digits(obj.line.number)

    @admin.display(description="زمان شروع", ordering="started_at")
    def started_at_display(self, obj: CallRecord) -> str:
        return jalali_display(obj.started_at)

    @admin.display(description="مدت (ثانیه)")
    def duration_display(self, obj: CallRecord) -> str:
        return to_persian_digits(obj.duration_s)

    @admin.display(description="هزینه (ریال)")
    def cost_display(self, obj: CallRecord) -> str:
        return to_persian_digits(f"{obj.cost_rial:,}").replace(",", "٬")
