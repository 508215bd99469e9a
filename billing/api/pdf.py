"""Billing API: the full bill PDF and an organisation's aggregated bills.

- ``GET /api/v1/bills/{uid}/pdf/`` — the bill as ``application/pdf`` (404 when not yours).
- ``GET /api/v1/organizations/{pk}/bills/`` — ``pk`` is the approved ``OrganisationAccess``;
  the organisation's current bills with totals, filtered by ``company_kind``, ``status``
  (paid|unpaid), ``city`` (id) and ``period`` (Jalali ``1403/05``). One organisation's
  subscriptions are a bounded list, so the rows are returned whole, with the totals.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
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
from portal.api import JalaliField
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


class OrganisationBillsView(APIView):
    @extend_schema(
        summary="صورتحساب‌های تجمیعی سازمان",
        parameters=[OrganisationBillFilterSerializer],
        responses={
            200: OpenApiResponse(description="totals و results"),
            404: OpenApiResponse(description="دسترسی تجمیعی تأییدشده‌ای برای شما نیست"),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        access = organisation_access_get_for_user(user=request.user, pk=pk)
        params = OrganisationBillFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        bills = list(organisation_bills(access=access, filters=params.filters()))
        totals = organisation_totals(bills=bills)
        return Response(
            {
                "organisation": access.organisation.display_name,
                "totals": OrganisationTotalsSerializer(totals).data,
                "results": OrganisationBillSerializer(bills, many=True).data,
            }
        )


urlpatterns = [
    path("bills/<uuid:uid>/pdf/", BillPdfView.as_view(), name="bill-pdf"),
    path(
        "organizations/<int:pk>/bills/", OrganisationBillsView.as_view(), name="organization-bills"
    ),
]
