"""Billing API: the full bill PDF and an organisation's aggregated bills.

- ``GET /api/v1/bills/{uid}/pdf/`` — the bill as ``application/pdf`` (404 when not yours).
- ``GET /api/v1/organizations/{pk}/bills/`` — ``pk`` is the approved ``OrganisationAccess``;
  the organisation's current bills with totals, filtered by ``company_kind``, ``status``
  (paid|unpaid), ``city`` (id) and ``period`` (Jalali ``1403/05``). An organisation can hold
  thousands of subscriptions: the rows come 50 a page (``page_size`` up to 200) with the
  API's cursor pagination (``next``/``previous`` links keep the filters), ordered by bill ID;
  ``totals`` cover every filtered row, not just the page.
"""

from __future__ import annotations

from django.db.models import F
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.pdf import bill_filename, bill_print
from billing.selectors.organisations import (
    OrganisationBillFilters,
    organisation_access_get_for_user,
    organisation_bills,
    organisation_totals,
)
from billing.services.exports import is_payable
from billing.views.organisations import parse_period
from billing.views.pdf import pdf_response
from portal.api import JalaliField, PortalCursorPagination
from portal.http import client_ip
from subscribers.models import UtilityCompany


class PDFRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``Accept: application/pdf``; errors still render as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class BillPdfView(APIView):
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(
        summary="چاپ کامل صورتحساب (PDF)",
        responses={
            (200, "application/pdf"): OpenApiResponse(response=OpenApiTypes.BINARY),
            404: OpenApiResponse(description="صورتحساب یافت نشد یا متعلق به شما نیست"),
        },
    )
    def get(self, request: Request, uid) -> Response:
        bill, pdf = bill_print(
            user=request.user,
            uid=uid,
            operator=getattr(request, "operator", None),
            kiosk_session=getattr(request, "kiosk_session", None),
            ip=client_ip(request),
        )
        return pdf_response(pdf, bill_filename(bill))


class OrganisationBillFilterSerializer(serializers.Serializer):
    company_kind = serializers.ChoiceField(
        choices=UtilityCompany.Kind.choices, required=False, allow_blank=True
    )
    status = serializers.ChoiceField(
        choices=[("paid", "پرداخت شده"), ("unpaid", "پرداخت نشده")],
        required=False,
        allow_blank=True,
    )
    city = serializers.IntegerField(required=False, min_value=1)
    period = serializers.CharField(required=False, allow_blank=True, max_length=10)

    def validate_period(self, value: str):
        if not value.strip():
            return None
        try:
            return parse_period(value)
        except ValueError:
            raise serializers.ValidationError(
                "دوره: سال و شماره دوره را مانند ۱۴۰۳/۰۵ وارد کنید."
            ) from None

    def filters(self) -> OrganisationBillFilters:
        data = self.validated_data
        year, period = data.get("period") or (None, None)
        return OrganisationBillFilters(
            company_kind=data.get("company_kind") or "",
            paid={"paid": True, "unpaid": False}.get(data.get("status") or ""),
            city_id=data.get("city"),
            year=year,
            period=period,
        )


class OrganisationBillSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    subscription_number = serializers.CharField(source="subscription.subscription_number")
    bill_id = serializers.CharField(source="subscription.bill_id")
    company = serializers.CharField(source="subscription.company.name")
    company_kind = serializers.CharField(source="subscription.company.kind")
    city = serializers.CharField(source="subscription.city.name")
    year = serializers.IntegerField()
    period = serializers.IntegerField()
    consumption = serializers.IntegerField()
    unit = serializers.CharField()
    amount = serializers.IntegerField()
    paid_amount = serializers.IntegerField()
    balance = serializers.IntegerField()
    due_date = serializers.DateField()
    due_date_jalali = JalaliField(source="due_date")
    is_paid = serializers.BooleanField()
    payment_id = serializers.SerializerMethodField(
        help_text="فقط برای آخرین صورتحساب پرداخت‌نشده اشتراک؛ در غیر این صورت null"
    )

    def get_payment_id(self, bill) -> str | None:
        return bill.payment_id if is_payable(bill) else None


class OrganisationTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    total_amount = serializers.IntegerField()
    unpaid_count = serializers.IntegerField()
    unpaid_amount = serializers.IntegerField()


class OrganisationBillPagination(PortalCursorPagination):
    # DRF's cursor holds only the first ordering key plus an offset among equal keys, capped
    # at 1,000 rows: the page's order (company kind first) would stall past 1,000 bills of
    # one kind. The subscription's bill ID is unique per row, so the cursor never needs one.
    ordering = ("subscription_bill_id",)


class OrganisationBillsView(APIView):
    @extend_schema(
        summary="صورتحساب‌های تجمیعی سازمان",
        parameters=[
            OrganisationBillFilterSerializer,
            OpenApiParameter("cursor", str, description="از پیوند next یا previous"),
            OpenApiParameter(
                "page_size", int, description="ردیف‌های هر صفحه: پیش‌فرض ۵۰، حداکثر ۲۰۰"
            ),
        ],
        responses={
            200: OpenApiResponse(
                description="organisation، totals (همه ردیف‌های فیلترشده)، next، previous و results"
            ),
            404: OpenApiResponse(description="دسترسی تجمیعی تأییدشده‌ای برای شما نیست"),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        access = organisation_access_get_for_user(user=request.user, pk=pk)
        params = OrganisationBillFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.filters()
        totals = organisation_totals(access=access, filters=filters)
        bills = organisation_bills(access=access, filters=filters).annotate(
            subscription_bill_id=F("subscription__bill_id")
        )
        paginator = OrganisationBillPagination()
        page = paginator.paginate_queryset(bills, request, view=self)
        return Response(
            {
                "organisation": access.organisation.display_name,
                "totals": OrganisationTotalsSerializer(totals).data,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": OrganisationBillSerializer(page, many=True).data,
            }
        )


urlpatterns = [
    path("bills/<uuid:uid>/pdf/", BillPdfView.as_view(), name="bill-pdf"),
    path(
        "organizations/<int:pk>/bills/", OrganisationBillsView.as_view(), name="organization-bills"
    ),
]
