"""Billing API for the mobile app: history by bill ID, one bill, and the CSV / Green Button
export — the same selectors and access rules as the pages (``billing.views.history``).

- ``GET billing/history/?bill_id=&from_year=``: every issued period from the start year with
  consumption, amounts, paid status and payments; ``payable`` holds the bill ID and payment ID
  of the latest unpaid bill only (seed 000). A bill ID that is not the caller's answers 404 with
  the same body as one that does not exist.
- ``GET bills/{uid}/``: one bill with every line item; bill ID, payment ID and barcode are
  ``null`` unless it is the payable bill.
- ``GET billing/export/?bill_id=&from_year=&format=csv|espi``: the download.

Dates come as Gregorian ISO (``period_start``) with a Jalali companion (``period_start_jalali``,
``1403/01/31``); amounts are integers in rials. Errors have the house shape.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.forms import NOT_FOUND, parse_from_year
from billing.models import CONSUMPTION_UNITS, Bill, BillPayment
from billing.selectors.bills import BillAccess
from billing.selectors.history import (
    BillHistory,
    PaymentRow,
    PeriodRow,
    access_stamp,
    bill_detail_for_user,
    bill_history,
    default_from_year,
    history_access_for_user,
    history_view,
)
from billing.services.history_cache import history_cached
from billing.views.history import audit_kiosk_view, export_response
from portal.api import JalaliField
from portal.errors import NotFound, PortalError
from portal.jalali import jalali_iso
from portal.serializers import BillIdSerializerField
from subscribers.models import Subscription


@extend_schema_field({"type": "string", "nullable": True, "example": "1403/01/31"})
class JalaliCompanion(JalaliField):
    pass


# --- query serializers -----------------------------------------------------------------------


class FromYearField(serializers.CharField):
    def to_internal_value(self, data: Any) -> int:
        try:
            year = parse_from_year(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None
        return year or default_from_year()


class HistoryQuerySerializer(serializers.Serializer):
    bill_id = BillIdSerializerField(help_text="شناسه قبض (ارقام فارسی هم پذیرفته می‌شود)")
    from_year = FromYearField(
        required=False,
        allow_blank=True,
        help_text="سال شمسی شروع سوابق؛ خالی: پنج سال اخیر",
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("from_year"):
            attrs["from_year"] = default_from_year()
        return attrs


class ExportQuerySerializer(HistoryQuerySerializer):
    format = serializers.ChoiceField(
        choices=["csv", "espi"],
        error_messages={
            "required": "«قالب خروجی» الزامی است.",
            "invalid_choice": "«قالب خروجی» باید csv یا espi باشد.",
        },
    )


# --- output serializers ----------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _jalali_date(value: dt.date) -> str | None:
    # Bill dates repeat on every request for the same history; the conversion does not.
    return jalali_iso(value)


class BillPaymentSerializer(serializers.ModelSerializer):
    paid_at_jalali = JalaliCompanion(source="paid_at")
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)

    class Meta:
        model = BillPayment
        fields = ["paid_at", "paid_at_jalali", "channel", "channel_label", "amount", "reference"]
        read_only_fields = fields

    def to_representation(self, payment: BillPayment) -> dict[str, Any]:
        # Built directly by payment_payload (same keys and values as the declared fields,
        # which stay for the schema): DRF's per-field machinery was most of a 120-period
        # history request.
        return payment_payload(payment)


class PeriodSerializer(serializers.ModelSerializer):
    """One period of the history: what an older bill shows (its items, not its IDs)."""

    period_start_jalali = JalaliCompanion(source="period_start")
    period_end_jalali = JalaliCompanion(source="period_end")
    due_date_jalali = JalaliCompanion(source="due_date")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    unit = serializers.SerializerMethodField()
    is_paid = serializers.BooleanField(read_only=True)
    balance = serializers.IntegerField(read_only=True)
    payments = BillPaymentSerializer(many=True, read_only=True)

    class Meta:
        model = Bill
        fields = [
            "uid",
            "year",
            "period",
            "kind",
            "kind_label",
            "version",
            "period_start",
            "period_start_jalali",
            "period_end",
            "period_end_jalali",
            "previous_reading",
            "current_reading",
            "consumption",
            "unit",
            "amount",
            "due_date",
            "due_date_jalali",
            "paid_amount",
            "balance",
            "is_paid",
            "payments",
        ]
        read_only_fields = fields

    def get_unit(self, obj: Bill) -> str:
        return self.context["unit"]

    def to_representation(self, bill: Bill) -> dict[str, Any]:
        if type(self) is not PeriodSerializer:  # subclasses add fields: the generic path
            return super().to_representation(bill)
        return period_payload(bill, self.context["unit"])


class PayableSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    bill_id = serializers.CharField(source="subscription.bill_id")
    payment_id = serializers.CharField()
    amount = serializers.IntegerField(source="balance")
    due_date = serializers.DateField()
    due_date_jalali = JalaliCompanion(source="due_date")


class ChartPointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    period = serializers.IntegerField()
    consumption = serializers.IntegerField()
    previous_year = serializers.IntegerField(allow_null=True)


class HistorySerializer(serializers.Serializer):
    bill_id = serializers.CharField(source="subscription.bill_id")
    company = serializers.CharField(source="subscription.company.name")
    company_kind = serializers.CharField(source="subscription.company.kind")
    from_year = serializers.IntegerField()
    unit = serializers.CharField()
    periods = serializers.SerializerMethodField()
    payable = serializers.SerializerMethodField()
    chart = ChartPointSerializer(many=True)

    @extend_schema_field(PeriodSerializer(many=True))
    def get_periods(self, obj: BillHistory) -> list[dict]:
        return PeriodSerializer(obj.bills, many=True, context={"unit": obj.unit}).data

    @extend_schema_field(PayableSerializer(allow_null=True))
    def get_payable(self, obj: BillHistory) -> dict | None:
        return history_body(obj)["payable"]

    def to_representation(self, history: BillHistory) -> dict[str, Any]:
        # The declared fields document the payload; history_payload builds it.
        return {**_header(history.subscription, history.from_year), **history_body(history)}


# --- the history payload ----------------------------------------------------------------------
#
# What HistorySerializer declares (and the schema shows), built by plain functions from the
# history's rows: DRF's per-field machinery was most of a 120-period request. The periods,
# the payable bill and the chart are cached per subscription, view and stamp
# (billing.services.history_cache); the header is built from the caller's access each time.
# tests/billing/test_history_cache.py compares the result with DRF's generic rendering.

_DATETIME = serializers.DateTimeField()


def payment_payload(payment: PaymentRow) -> dict[str, Any]:
    return {
        "paid_at": _DATETIME.to_representation(payment.paid_at),
        "paid_at_jalali": jalali_iso(payment.paid_at),
        "channel": payment.channel,
        "channel_label": payment.get_channel_display(),
        "amount": payment.amount,
        "reference": payment.reference,
    }


def period_payload(bill: PeriodRow | Bill, unit: str) -> dict[str, Any]:
    """One period as PeriodSerializer declares it (its fields, in its order)."""
    return {
        "uid": str(bill.uid),
        "year": bill.year,
        "period": bill.period,
        "kind": bill.kind,
        "kind_label": bill.get_kind_display(),
        "version": bill.version,
        "period_start": bill.period_start.isoformat(),
        "period_start_jalali": _jalali_date(bill.period_start),
        "period_end": bill.period_end.isoformat(),
        "period_end_jalali": _jalali_date(bill.period_end),
        "previous_reading": bill.previous_reading,
        "current_reading": bill.current_reading,
        "consumption": bill.consumption,
        "unit": unit,
        "amount": bill.amount,
        "due_date": bill.due_date.isoformat(),
        "due_date_jalali": _jalali_date(bill.due_date),
        "paid_amount": bill.paid_amount,
        "balance": bill.balance,
        "is_paid": bill.is_paid,
        "payments": [payment_payload(p) for p in bill.payments.all()],
    }


def history_body(history: BillHistory) -> dict[str, Any]:
    """The cached part of the payload: ``periods``, ``payable`` and ``chart``."""
    unit = history.unit
    payable = history.payable
    return {
        "periods": [period_payload(b, unit) for b in history.bills],
        "payable": None
        if payable is None
        else {
            "uid": str(payable.uid),
            "bill_id": history.subscription.bill_id,
            "payment_id": payable.payment_id,
            "amount": payable.balance,
            "due_date": payable.due_date.isoformat(),
            "due_date_jalali": _jalali_date(payable.due_date),
        },
        "chart": [
            {
                "year": p.year,
                "period": p.period,
                "consumption": p.consumption,
                "previous_year": p.previous_year,
            }
            for p in history.chart
        ],
    }


def _cached_body(*, access: BillAccess, from_year: int, shape: str, render):
    return history_cached(
        shape=shape,
        subscription_id=access.subscription.pk,
        parts=history_view(access=access, from_year=from_year),
        build=lambda: render(
            history_body(bill_history(access=access, from_year=from_year, use_cache=False))
        ),
        stamp=access_stamp(access),
    )


def history_payload(*, access: BillAccess, from_year: int) -> dict[str, Any]:
    """The history API's response for ``access`` (already authorised) from ``from_year``:
    no query when the subscription's bills and payments are unchanged since the body was
    built (``history_access_for_user`` read the stamp), two otherwise (three for an access
    from elsewhere); the same body when the cache is down."""
    body = _cached_body(access=access, from_year=from_year, shape="api", render=lambda b: b)
    return {**_header(access.subscription, from_year), **body}


def history_json(*, access: BillAccess, from_year: int) -> bytes:
    """``history_payload`` as DRF's JSONRenderer writes it, with the body cached already
    rendered: a 120-period body is ~80 kB of JSON, and encoding it was most of a cache hit."""
    renderer = JSONRenderer()
    body = _cached_body(
        access=access, from_year=from_year, shape="api-json", render=renderer.render
    )
    header = renderer.render(_header(access.subscription, from_year))
    # Two JSON objects joined into one: the header's members, then the body's.
    return header[:-1] + b"," + body[1:]


def _header(subscription: Subscription, from_year: int) -> dict[str, Any]:
    return {
        "bill_id": subscription.bill_id,
        "company": subscription.company.name,
        "company_kind": subscription.company.kind,
        "from_year": from_year,
        "unit": str(CONSUMPTION_UNITS.get(subscription.company.kind, "")),
    }


class EnergyTierSerializer(serializers.Serializer):
    up_to = serializers.IntegerField(allow_null=True)
    units = serializers.IntegerField()
    rate = serializers.IntegerField()
    amount = serializers.IntegerField()


class BillDetailSerializer(PeriodSerializer):
    """Every line item; ``bill_id``/``payment_id``/``barcode`` only on the payable bill."""

    status = serializers.CharField(read_only=True)
    energy_tiers = EnergyTierSerializer(many=True, read_only=True)
    company = serializers.CharField(source="subscription.company.name", read_only=True)
    bill_id = serializers.SerializerMethodField()
    payment_id = serializers.SerializerMethodField()
    barcode = serializers.SerializerMethodField()
    is_payable = serializers.SerializerMethodField()

    class Meta(PeriodSerializer.Meta):
        fields = [
            *PeriodSerializer.Meta.fields,
            "status",
            "company",
            "energy",
            "energy_tiers",
            "subscription_fee",
            "tax",
            "duties",
            "debt",
            "adjustment",
            "is_payable",
            "bill_id",
            "payment_id",
            "barcode",
        ]
        read_only_fields = fields

    def _payable(self) -> bool:
        return self.context["payable"]

    def get_is_payable(self, obj: Bill) -> bool:
        return self._payable()

    def get_bill_id(self, obj: Bill) -> str | None:
        return obj.subscription.bill_id if self._payable() else None

    def get_payment_id(self, obj: Bill) -> str | None:
        return obj.payment_id if self._payable() else None

    def get_barcode(self, obj: Bill) -> str | None:
        return obj.barcode if self._payable() else None


# --- views -----------------------------------------------------------------------------------


def _access(request: Request, serializer_class: type[HistoryQuerySerializer]):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    try:
        access = history_access_for_user(user=request.user, bill_id=data["bill_id"])
    except NotFound:
        raise PortalError(
            "not_found", NOT_FOUND, fields={"bill_id": [NOT_FOUND]}, status_code=404
        ) from None
    return access, data


def _history(request: Request, serializer_class: type[HistoryQuerySerializer]):
    access, data = _access(request, serializer_class)
    return bill_history(access=access, from_year=data["from_year"]), data


_HISTORY_PARAMS = [
    OpenApiParameter("bill_id", str, required=True, description="شناسه قبض"),
    OpenApiParameter("from_year", int, description="سال شمسی شروع (پیش‌فرض: پنج سال اخیر)"),
]


class HistoryAPI(APIView):
    @extend_schema(
        tags=["billing"],
        summary="سوابق مصرف، صورتحساب و پرداخت با شناسه قبض",
        parameters=_HISTORY_PARAMS,
        responses=HistorySerializer,
    )
    def get(self, request: Request) -> Response:
        access, data = _access(request, HistoryQuerySerializer)
        body = history_json(access=access, from_year=data["from_year"])
        audit_kiosk_view(
            request,
            action="billing.history.view",
            obj=access.subscription,
            details={"bill_id": access.subscription.bill_id, "from_year": data["from_year"]},
        )
        return HttpResponse(body, content_type="application/json")


class BillDetailAPI(APIView):
    @extend_schema(
        tags=["billing"], summary="یک صورتحساب با همه اقلام", responses=BillDetailSerializer
    )
    def get(self, request: Request, uid) -> Response:
        detail = bill_detail_for_user(user=request.user, uid=uid)
        bill = detail.bill
        audit_kiosk_view(
            request,
            action="billing.bill.view",
            obj=bill,
            details={
                "bill_id": bill.subscription.bill_id,
                "year": bill.year,
                "period": bill.period,
            },
        )
        context = {
            "unit": bill.unit,
            "payable": detail.is_payable,
        }
        return Response(BillDetailSerializer(bill, context=context).data)


class IgnoreFormatNegotiation(BaseContentNegotiation):
    """``format`` is this endpoint's own parameter (csv | espi), not DRF's renderer override;
    errors are always JSON (DRF's "ignore client content negotiation" example)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return (renderers[0], renderers[0].media_type)


class ExportAPI(APIView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        tags=["billing"],
        summary="خروجی سوابق: CSV یا گرین باتن (ESPI)",
        parameters=[
            *_HISTORY_PARAMS,
            OpenApiParameter("format", str, required=True, enum=["csv", "espi"]),
        ],
        responses={(200, "text/csv"): bytes, (200, "application/atom+xml"): bytes},
    )
    def get(self, request: Request) -> HttpResponse:
        history, data = _history(request, ExportQuerySerializer)
        response = export_response(request=request, history=history, fmt=data["format"])
        audit_kiosk_view(
            request,
            action="billing.export",
            obj=history.subscription,
            details={
                "bill_id": history.subscription.bill_id,
                "from_year": history.from_year,
                "format": data["format"],
            },
        )
        return response


urlpatterns = [
    path("billing/history/", HistoryAPI.as_view(), name="history"),
    path("billing/export/", ExportAPI.as_view(), name="export"),
    path("bills/<uuid:uid>/", BillDetailAPI.as_view(), name="bill-detail"),
]
