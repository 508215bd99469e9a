"""Imported bill and payment files in admin: the read-only history, and the upload page that
hands a CSV to ``bills_import`` / ``payments_import`` and shows what they did — the counts, or
every numbered error in a table with nothing saved (the services are all-or-nothing).

Uploading needs ``billing.add_billimport`` (office clerks and supervisors, through their role
groups) or a system administrator. Large files (a whole company's month) go through
``manage.py import_bills`` instead; the upload is capped at ``UPLOAD_MAX_MB``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from billing.admin.bills import BoundedCountPaginator, rials
from billing.models import BillImport
from billing.services.imports import (
    BILL_COLUMNS,
    BILL_OPTIONAL_COLUMNS,
    COLUMN_LABELS,
    PAYMENT_COLUMNS,
    bills_import,
    payments_import,
)
from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.forms import CsvUploadField
from portal.jalali import jalali_display
from subscribers.admin.scoping import ImportRegistryAdminMixin

UPLOAD_MAX_MB = 20


def _columns(required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple]:
    """(name, Persian label, required) for the upload page's column guide."""
    return [(name, COLUMN_LABELS[name], True) for name in required] + [
        (name, COLUMN_LABELS[name], False) for name in optional
    ]


class BillUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="نوع پرونده",
        choices=BillImport.Kind.choices,
        widget=forms.RadioSelect,
        initial=BillImport.Kind.BILLS,
        error_messages={
            "required": "نوع پرونده: صورتحساب‌ها یا پرداخت‌ها را انتخاب کنید.",
            "invalid_choice": "نوع پرونده: صورتحساب‌ها یا پرداخت‌ها را انتخاب کنید.",
        },
    )
    file = CsvUploadField(label="پرونده CSV", command="import_bills", max_mb=UPLOAD_MAX_MB)


def _importer(kind: str):
    return bills_import if kind == BillImport.Kind.BILLS else payments_import


@admin.register(BillImport)
class BillImportAdmin(ImportRegistryAdminMixin, admin.ModelAdmin):
    """History of imported files. Office staff see the files imported by their office's
    staff; system administrators see every file (including the command line's)."""

    upload_url_name = "billing_billimport_upload"
    list_display = [
        "created_at_display",
        "kind",
        "file_name",
        "rows_display",
        "created_display",
        "updated_display",
        "unchanged_display",
        "imported_by",
    ]
    list_select_related = ["imported_by"]
    list_filter = ["kind"]
    search_fields = ["file_name", "=sha256"]
    ordering = ["-pk"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    fields = [
        "kind",
        "file_name",
        "sha256",
        "rows_display",
        "created_display",
        "updated_display",
        "unchanged_display",
        "imported_by",
        "created_at_display",
    ]
    readonly_fields = fields

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_upload(request):
            raise PermissionDenied
        form = BillUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            kind = form.cleaned_data["kind"]
            upload = form.cleaned_data["file"]
            try:
                result = _importer(kind)(
                    file=upload.read(), actor=request.user, file_name=upload.name or ""
                )
            except PortalError as exc:
                form.add_error("file", f"پرونده CSV: {exc.message}")
            else:
                if result.ok:
                    label = BillImport.Kind(kind).label
                    if result.already_imported:
                        self.message_user(request, result.summary(), messages.WARNING)
                    else:
                        self.message_user(
                            request,
                            f"پرونده {label} وارد شد. {result.summary()}",
                            messages.SUCCESS,
                        )
                    return HttpResponseRedirect(reverse("admin:billing_billimport_changelist"))
                self.message_user(
                    request,
                    "پرونده خطا دارد و هیچ سطری ذخیره نشد؛ خطاها را اصلاح و پرونده را دوباره "
                    "بارگذاری کنید.",
                    messages.ERROR,
                )
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "بارگذاری پرونده صورتحساب یا پرداخت",
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
            "error_count": to_persian_digits(len(result.errors)) if result else "",
            "error_summary": result.error_summary() if result and not result.ok else "",
            "bill_columns": _columns(BILL_COLUMNS, BILL_OPTIONAL_COLUMNS),
            "payment_columns": _columns(PAYMENT_COLUMNS),
        }
        return TemplateResponse(request, "admin/billing/billimport/upload.html", context)

    @admin.display(description="زمان ورود", ordering="created_at")
    def created_at_display(self, obj: BillImport) -> str:
        return jalali_display(obj.created_at)

    @admin.display(description="تعداد سطر")
    def rows_display(self, obj: BillImport) -> str:
        return rials(obj.rows)

    @admin.display(description="ثبت‌شده")
    def created_display(self, obj: BillImport) -> str:
        return rials(obj.created)

    @admin.display(description="اصلاح‌شده")
    def updated_display(self, obj: BillImport) -> str:
        return rials(obj.updated)

    @admin.display(description="بدون تغییر")
    def unchanged_display(self, obj: BillImport) -> str:
        return rials(obj.unchanged)
