"""An organisation's bills, aggregated: GET /bills/organisations/<pk>/ (seed 000).

``pk`` is the ``OrganisationAccess`` pk: the approved introduction of one representative by
one organisation. The page opens for that organisation's own account and for that
representative; for anyone else, and once the access is revoked, it is 404.

Filters (company kind, paid/unpaid, city, Jalali period) travel in the query string; the
same query with ``format=csv|xlsx|pdf`` downloads every filtered row. The combined PDF prints
the filtered bills, or, when no filter is set, every unpaid one (at most
``billing.pdf.COMBINED_MAX_BILLS``; past that a Persian message asks for narrower filters).

The page lists 50 rows at a time (``page``, Persian digits accepted; not a number → the first
page, past the end → the last); the totals above it cover every filtered row.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from billing.pdf import COMBINED_MAX_BILLS, bills_pdf
from billing.selectors.organisations import (
    OrganisationBillFilters,
    organisation_access_get_for_user,
    organisation_bills,
    organisation_cities,
    organisation_totals,
)
from billing.services.exports import (
    is_payable,
    organisation_bills_csv,
    organisation_bills_xlsx,
)
from billing.views.pdf import pdf_response
from portal.digits import normalize_digits
from portal.errors import NotFound, PortalError
from subscribers.models import UtilityCompany

FORMATS = {"csv", "xlsx", "pdf"}
PAGE_SIZE = 50


def parse_period(value: str) -> tuple[int, int]:
    """``1403/05``, ``۱۴۰۳-۰۵`` or ``1403-5`` → (1403, 5); ``ValueError`` otherwise."""
    text = normalize_digits(str(value)).strip().replace("-", "/").replace(".", "/")
    year_text, sep, period_text = text.partition("/")
    if not sep or not (year_text.isdigit() and period_text.isdigit()) or len(year_text) != 4:
        raise ValueError("format")
    year, period = int(year_text), int(period_text)
    if not (1300 <= year <= 1500 and 1 <= period <= 99):
        raise ValueError("range")
    return year, period


class OrganisationBillFilterForm(forms.Form):
    company_kind = forms.ChoiceField(
        label="نوع خدمت",
        required=False,
        choices=[("", "همه"), *UtilityCompany.Kind.choices],
        error_messages={"invalid_choice": "نوع خدمت: یکی از گزینه‌های فهرست را انتخاب کنید."},
    )
    status = forms.ChoiceField(
        label="وضعیت پرداخت",
        required=False,
        choices=[("", "همه"), ("unpaid", "پرداخت نشده"), ("paid", "پرداخت شده")],
        error_messages={"invalid_choice": "وضعیت پرداخت: یکی از گزینه‌های فهرست را انتخاب کنید."},
    )
    city = forms.TypedChoiceField(
        label="شهر",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "شهر: یکی از شهرهای فهرست را انتخاب کنید."},
    )
    period = forms.CharField(
        label="دوره",
        required=False,
        max_length=10,
        help_text="سال و دوره، مانند ۱۴۰۳/۰۵",
    )
    format = forms.ChoiceField(
        label="خروجی",
        required=False,
        choices=[("", "صفحه"), ("csv", "CSV"), ("xlsx", "Excel"), ("pdf", "PDF")],
        error_messages={"invalid_choice": "خروجی: فقط CSV، Excel یا PDF ممکن است."},
    )

    def __init__(self, *args, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", "همه"), *((c.pk, c.name) for c in cities)]

    def clean_period(self):
        value = self.cleaned_data.get("period") or ""
        if not value.strip():
            return None
        try:
            return parse_period(value)
        except ValueError:
            raise forms.ValidationError(
                "دوره: سال و شماره دوره را مانند ۱۴۰۳/۰۵ وارد کنید."
            ) from None

    def filters(self) -> OrganisationBillFilters:
        data = self.cleaned_data
        year, period = data.get("period") or (None, None)
        status = data.get("status")
        return OrganisationBillFilters(
            company_kind=data.get("company_kind") or "",
            paid={"paid": True, "unpaid": False}.get(status),
            city_id=data.get("city"),
            year=year,
            period=period,
        )

    @property
    def has_filters(self) -> bool:
        data = self.cleaned_data
        return any(data.get(name) for name in ("company_kind", "status", "city", "period"))


def _organisation_name(access) -> str:
    return access.organisation.display_name


def _filter_query(request: HttpRequest) -> str:
    """The query string without ``page`` and ``format``: the filters, for page and download
    links."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


@login_required
@require_GET
def organisation_bills_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        access = organisation_access_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    cities = list(organisation_cities(access=access))
    # Always bound: every filter is optional, so an empty query string is a valid one.
    form = OrganisationBillFilterForm(request.GET, cities=cities)
    page, bills, totals = None, [], None
    if form.is_valid():
        filters = form.filters()
        output = form.cleaned_data.get("format") or ""
        if output in FORMATS:
            return _download(request, access, form, filters, output)
        totals = organisation_totals(access=access, filters=filters)
        paginator = Paginator(organisation_bills(access=access, filters=filters), PAGE_SIZE)
        # The totals have just counted these rows; spare the paginator a second COUNT.
        paginator.count = totals.count
        # Persian digits accepted; not a number → first page, past the end → last page.
        page = paginator.get_page(normalize_digits(request.GET.get("page", "1")))
        bills = list(page.object_list)
        for bill in bills:
            bill.payable = is_payable(bill)
    return render(
        request,
        "billing/organisations_bills.html",
        {
            "access": access,
            "organisation_name": _organisation_name(access),
            "form": form,
            "page": page,
            "bills": bills,
            "totals": totals,
            "query": _filter_query(request),
        },
    )


def _download(request, access, form, filters, output) -> HttpResponse:
    """Every filtered row, not one page."""
    name = f"organisation-{access.pk}-bills"
    if output == "pdf":
        if not form.has_filters:
            filters = OrganisationBillFilters(paid=False)
        # One row past the cap is enough for bills_pdf to refuse with its Persian message;
        # no need to load thousands of bills to learn that.
        bills = list(organisation_bills(access=access, filters=filters)[: COMBINED_MAX_BILLS + 1])
        try:
            pdf = bills_pdf(bills=bills, title=f"صورتحساب‌های {_organisation_name(access)}")
        except PortalError as exc:
            messages.error(request, exc.message)
            return _redirect_to_page(access, _filter_query(request))
        return pdf_response(pdf, f"{name}.pdf")
    bills = list(organisation_bills(access=access, filters=filters))
    if output == "csv":
        response = HttpResponse(
            organisation_bills_csv(bills=bills), content_type="text/csv; charset=utf-8"
        )
        extension = "csv"
    else:
        response = HttpResponse(
            organisation_bills_xlsx(bills=bills),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        extension = "xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _redirect_to_page(access, query: str) -> HttpResponse:
    url = reverse("billing:organisation-bills", args=[access.pk])
    return redirect(f"{url}?{query}" if query else url)


urlpatterns = [
    path("bills/organisations/<int:pk>/", organisation_bills_page, name="organisation-bills"),
]
