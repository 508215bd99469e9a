"""Outage reports API: file a report (subscriber or verified mobile), track one, and ask whether
a bill ID's feeder is out now.

- ``POST outages/reports/``: a logged-in subscriber names one of their own active linked
  subscriptions by bill ID (anything else answers 404, like a missing one); anyone else sends
  a bill ID, a mobile and the id of an ``outage_report`` code already verified through
  ``outages/reports/otp/`` and ``outages/reports/otp/verify/``. 201 for a new report, 200 with
  ``created: false`` when the same mobile already reported the same outage.
- ``GET outages/reports/{code}/``: public tracking, rate-limited per IP; no personal data.
- ``GET outages/status/?bill_id=…``: is the feeder in a planned window or an open incident now;
  rate-limited per IP; no personal data.

The app reports on the APP channel. Services do the work and raise ``PortalError``; the
project's exception handler shapes it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outages.forms import ELECTRICITY_DIGIT
from outages.models import ReportChannel
from outages.selectors import feeder_status, report_track
from outages.services.reports import (
    ReportOutcome,
    feeder_for_subscription,
    report_file,
    subscription_for_outage,
)
from portal.api import JalaliField
from portal.digits import normalize_digits
from portal.errors import NotFound, PortalError
from portal.http import client_ip
from portal.serializers import BillIdSerializerField, MobileSerializerField
from subscribers.models import OtpPurpose
from subscribers.selectors.subscriptions import subscriptions_for_user
from subscribers.services.otp import otp_consume, otp_issue, otp_verify
from subscribers.services.ratelimit import rate_limit_hit

LOOKUP_LIMIT = 30
LOOKUP_WINDOW = timedelta(minutes=10)


@extend_schema_field({"type": "string", "nullable": True, "example": "1405/06/31 14:30"})
class JalaliCompanion(JalaliField):
    # Jalali companion of a datetime, typed for the schema (no docstring: it would become the
    # schema's English description).

    pass


def _messages(label: str) -> dict[str, str]:
    return {
        "required": f"{label} الزامی است.",
        "blank": f"{label} نمی‌تواند خالی باشد.",
        "null": f"{label} نمی‌تواند خالی باشد.",
        "invalid": f"{label} معتبر نیست.",
        "max_length": f"{label} بیش از حد طولانی است.",
        "min_length": f"{label} کوتاه است.",
    }


def _bill_id_field(**kwargs) -> BillIdSerializerField:
    return BillIdSerializerField(service_type=ELECTRICITY_DIGIT, **kwargs)


def _lookup_limit(request: Request, scope: str) -> None:
    rate_limit_hit(
        scope=scope, key=client_ip(request) or "-", limit=LOOKUP_LIMIT, window=LOOKUP_WINDOW
    )


def _for_bill(bill_id: str):
    """The electricity subscription and its feeder for an anonymous bill ID. An unknown bill
    ID answers 404; every refusal names the field ``bill_id``."""
    try:
        subscription = subscription_for_outage(bill_id=bill_id)
    except PortalError as exc:
        status_code = 404 if exc.code == "unknown_bill_id" else exc.status_code
        raise PortalError(
            exc.code, exc.message, fields=exc.fields, status_code=status_code
        ) from None
    try:
        feeder = feeder_for_subscription(subscription)
    except PortalError as exc:
        raise PortalError(exc.code, exc.message, fields={"bill_id": [exc.message]}) from None
    return subscription, feeder


# --- serializers ------------------------------------------------------------------------------


class OutageReportCreateSerializer(serializers.Serializer):
    bill_id = _bill_id_field(help_text="شناسه قبض برق")
    mobile = MobileSerializerField(
        required=False, help_text="برای مشترک واردشده اختیاری (پیش‌فرض: شماره حساب)"
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, error_messages=_messages("توضیح")
    )
    challenge_id = serializers.UUIDField(
        required=False,
        help_text="بدون ورود: شناسه کد تأییدشده از outages/reports/otp/verify/",
        error_messages=_messages("شناسه کد تأیید"),
    )


class OutageScheduledWindowSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    starts_at_jalali = JalaliCompanion(source="starts_at")
    ends_at = serializers.DateTimeField()
    ends_at_jalali = JalaliCompanion(source="ends_at")
    reason = serializers.CharField()


class OutageReportOutcomeSerializer(serializers.Serializer):
    code = serializers.CharField(source="report.code", help_text="کد رهگیری هشت‌رقمی")
    message = serializers.CharField(help_text="پاسخ فوری به فارسی")
    created = serializers.BooleanField(help_text="false: همین شماره همین قطعی را پیش‌تر گزارش کرده")
    state = serializers.SerializerMethodField(help_text="scheduled یا وضعیت حادثه")
    state_label = serializers.SerializerMethodField()
    expected_at = serializers.SerializerMethodField()
    expected_at_jalali = serializers.SerializerMethodField()
    scheduled_outage = OutageScheduledWindowSerializer(allow_null=True, read_only=True)

    def get_state(self, outcome: ReportOutcome) -> str:
        return "scheduled" if outcome.scheduled_outage else outcome.incident.state

    def get_state_label(self, outcome: ReportOutcome) -> str:
        if outcome.scheduled_outage:
            return "خاموشی برنامه‌ریزی‌شده"
        return outcome.incident.get_state_display()

    def _expected(self, outcome: ReportOutcome):
        if outcome.scheduled_outage:
            return outcome.scheduled_outage.ends_at
        return outcome.incident.expected_at

    def get_expected_at(self, outcome: ReportOutcome) -> str | None:
        value = self._expected(outcome)
        return serializers.DateTimeField().to_representation(value) if value else None

    def get_expected_at_jalali(self, outcome: ReportOutcome) -> str | None:
        return JalaliField().to_representation(self._expected(outcome))


class OutageTimelineStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    at_jalali = JalaliCompanion(source="at")
    title = serializers.CharField()
    note = serializers.CharField()


class OutageTrackingSerializer(serializers.Serializer):
    code = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_at_jalali = JalaliCompanion(source="created_at")
    state = serializers.CharField()
    state_label = serializers.CharField()
    is_open = serializers.BooleanField()
    expected_at = serializers.DateTimeField(allow_null=True)
    expected_at_jalali = JalaliCompanion(source="expected_at")
    result = serializers.CharField()
    feeder_name = serializers.CharField()
    city_name = serializers.CharField()
    timeline = OutageTimelineStepSerializer(many=True)


class OutageOtpStartSerializer(serializers.Serializer):
    bill_id = _bill_id_field()
    mobile = MobileSerializerField()


class OutageOtpStartedSerializer(serializers.Serializer):
    challenge_id = serializers.UUIDField()
    expires_in = serializers.IntegerField(help_text="ثانیه")


class OutageOtpVerifySerializer(serializers.Serializer):
    challenge_id = serializers.UUIDField(error_messages=_messages("شناسه کد تأیید"))
    code = serializers.CharField(max_length=6, error_messages=_messages("کد تأیید"))


class OutageStatusQuerySerializer(serializers.Serializer):
    bill_id = _bill_id_field()


class OutageStatusSerializer(serializers.Serializer):
    is_out = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=["scheduled", "incident"], allow_null=True)
    state_label = serializers.CharField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True, help_text="پایان خاموشی برنامه‌ریزی‌شده")
    expected_at = serializers.DateTimeField(allow_null=True, help_text="پیش‌بینی وصل حادثه")
    feeder_name = serializers.CharField()


# --- views ------------------------------------------------------------------------------------


class ReportCreateAPI(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["outages"],
        summary="گزارش قطعی برق",
        request=OutageReportCreateSerializer,
        responses={
            201: OutageReportOutcomeSerializer,
            200: OpenApiResponse(
                OutageReportOutcomeSerializer, description="گزارش تکراری: همان کد"
            ),
            400: OpenApiResponse(description="خطای فیلد"),
            404: OpenApiResponse(description="اشتراک از اشتراک‌های شما نیست"),
        },
    )
    def post(self, request: Request) -> Response:
        data = OutageReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        description = values.get("description", "")
        user = request.user
        if user.is_authenticated:
            subscription = (
                subscriptions_for_user(user=user)
                .filter(bill_id=values["bill_id"], link_id__isnull=False)
                .first()
            )
            if subscription is None:
                raise NotFound()
            mobile = values.get("mobile") or user.mobile
            if not mobile:
                message = "تلفن همراه الزامی است."
                raise PortalError("invalid", message, fields={"mobile": [message]})
            outcome = report_file(
                subscription=subscription,
                mobile=mobile,
                channel=ReportChannel.APP,
                reporter=user,
                description=description,
            )
        else:
            missing = {
                name: [f"{label} الزامی است."]
                for name, label in (("mobile", "تلفن همراه"), ("challenge_id", "شناسه کد تأیید"))
                if not values.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
            with transaction.atomic():
                challenge = otp_consume(
                    challenge_id=values["challenge_id"],
                    purpose=OtpPurpose.OUTAGE_REPORT,
                    mobile=values["mobile"],
                )
                if challenge.payload.get("bill_id") != values["bill_id"]:
                    message = "کد تأیید برای شناسه قبض دیگری گرفته شده است."
                    raise PortalError("invalid", message, fields={"bill_id": [message]})
                subscription, _feeder = _for_bill(values["bill_id"])
                outcome = report_file(
                    subscription=subscription,
                    mobile=values["mobile"],
                    channel=ReportChannel.APP,
                    description=description,
                )
        return Response(
            OutageReportOutcomeSerializer(outcome).data,
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


class ReportOtpAPI(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["outages"],
        summary="کد تأیید تلفن همراه برای گزارش بدون ورود",
        description="شناسه قبض پیش از ارسال کد بررسی می‌شود؛ برای شناسه نادرست پیامکی نمی‌رود.",
        request=OutageOtpStartSerializer,
        responses={
            202: OutageOtpStartedSerializer,
            400: OpenApiResponse(description="خطای فیلد"),
            404: OpenApiResponse(description="اشتراک برقی با این شناسه نیست"),
            429: OpenApiResponse(description="بیش از حد مجاز؛ Retry-After"),
        },
    )
    def post(self, request: Request) -> Response:
        data = OutageOtpStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bill_id, mobile = data.validated_data["bill_id"], data.validated_data["mobile"]
        _for_bill(bill_id)
        issued = otp_issue(
            mobile=mobile,
            purpose=OtpPurpose.OUTAGE_REPORT,
            client_ip=client_ip(request),
            payload={"bill_id": bill_id},
        )
        return Response(
            {"challenge_id": str(issued.challenge.id), "expires_in": issued.expires_in},
            status=status.HTTP_202_ACCEPTED,
        )


class ReportOtpVerifyAPI(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["outages"],
        summary="تأیید کد تلفن همراه برای گزارش بدون ورود",
        request=OutageOtpVerifySerializer,
        responses={204: None, 400: OpenApiResponse(description="کد نادرست یا منقضی")},
    )
    def post(self, request: Request) -> Response:
        data = OutageOtpVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp_verify(
            challenge_id=data.validated_data["challenge_id"],
            code=data.validated_data["code"],
            purpose=OtpPurpose.OUTAGE_REPORT,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportTrackAPI(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["outages"],
        summary="پیگیری گزارش خاموشی با کد رهگیری",
        responses={200: OutageTrackingSerializer, 404: OpenApiResponse(description="کد ناموجود")},
    )
    def get(self, request: Request, code: str) -> Response:
        _lookup_limit(request, "outage-track")
        return Response(OutageTrackingSerializer(report_track(code=code)).data)


class FeederStatusAPI(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["outages"],
        summary="آیا برق این شناسه قبض اکنون در خاموشی است؟",
        parameters=[OpenApiParameter("bill_id", str, required=True, description="شناسه قبض برق")],
        responses={
            200: OutageStatusSerializer,
            400: OpenApiResponse(description="خطای فیلد"),
            404: OpenApiResponse(description="اشتراک برقی با این شناسه نیست"),
            429: OpenApiResponse(description="بیش از حد مجاز"),
        },
    )
    def get(self, request: Request) -> Response:
        _lookup_limit(request, "outage-status")
        data = OutageStatusQuerySerializer(
            data={"bill_id": normalize_digits(request.query_params.get("bill_id", ""))}
        )
        data.is_valid(raise_exception=True)
        _subscription, feeder = _for_bill(data.validated_data["bill_id"])
        current = feeder_status(feeder=feeder)
        window, incident = current.scheduled_outage, current.incident
        body = {
            "is_out": current.is_out,
            "kind": "scheduled" if window else ("incident" if incident else None),
            "state_label": (
                "خاموشی برنامه‌ریزی‌شده"
                if window
                else (incident.get_state_display() if incident else None)
            ),
            "ends_at": window.ends_at if window else None,
            "expected_at": incident.expected_at if incident else None,
            "feeder_name": feeder.name,
        }
        return Response(OutageStatusSerializer(body).data)
