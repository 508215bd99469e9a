"""Self meter reading API: ``POST /api/v1/billing/readings/`` (JSON or multipart with a photo).

The bill ID names one of the caller's own electricity or gas subscriptions — anyone else's, or
one that does not exist, answers 404 in the house error shape. The reading and date are parsed
and checked by ``billing.services.readings.reading_submit`` (Persian digits, Jalali or ISO
date), whose ``PortalError`` the project's handler turns into
``{"error": {"code", "message", "fields"}}``. During a kiosk operator's on-behalf session the
operator files for the citizen on the kiosk channel.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors.bills import bill_access_for_user
from billing.services.readings import reading_submit
from requests_app.models import Channel
from requests_app.services.notify import next_step, tracking_url


def _messages(label: str) -> dict[str, str]:
    return {
        "required": f"{label} الزامی است.",
        "blank": f"{label} نمی‌تواند خالی باشد.",
        "null": f"{label} نمی‌تواند خالی باشد.",
        "invalid": f"{label} معتبر نیست.",
        "max_length": f"{label} بیش از حد طولانی است.",
        "empty": f"{label} خالی است.",
    }


class ReadingCreateSerializer(serializers.Serializer):
    bill_id = serializers.CharField(max_length=20, error_messages=_messages("شناسه قبض"))
    # Text, not an integer field: the service parses Persian digits and separators and names
    # the field in one message for every channel.
    reading = serializers.CharField(max_length=20, error_messages=_messages("شماره کنتور"))
    read_on = serializers.CharField(
        max_length=20,
        help_text="Jalali 1405/09/12 or ISO 2026-12-03",
        error_messages=_messages("تاریخ قرائت"),
    )
    rollover_confirmed = serializers.BooleanField(
        required=False, default=False, error_messages=_messages("تأیید دور زدن کنتور")
    )
    photo = serializers.FileField(
        required=False, allow_null=True, error_messages=_messages("تصویر کنتور")
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # JSON clients may send the reading as a number.
        if hasattr(data, "get") and isinstance(data.get("reading"), int):
            data = {**data, "reading": str(data["reading"])}
        return super().to_internal_value(data)


def _acting(request: Request) -> dict[str, Any]:
    kiosk_session = getattr(request, "kiosk_session", None)
    if kiosk_session is not None:
        return {
            "actor": request.operator,
            "on_behalf_of": request.user,
            "channel": Channel.KIOSK,
            "kiosk": kiosk_session.kiosk,
        }
    return {"actor": request.user, "on_behalf_of": None, "channel": Channel.APP, "kiosk": None}


class ReadingCreateAPI(APIView):
    @extend_schema(
        request=ReadingCreateSerializer,
        responses={
            201: inline_serializer(
                "ReadingFiled",
                {
                    "number": serializers.CharField(),
                    "status": serializers.CharField(),
                    "status_label": serializers.CharField(),
                    "next_step": serializers.CharField(),
                    "reading": serializers.IntegerField(),
                    "read_on": serializers.CharField(),
                    "tracking_url": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ReadingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        access = bill_access_for_user(user=request.user, bill_id=data["bill_id"])
        filed = reading_submit(
            subscription=access.subscription,
            reading=data["reading"],
            read_on=data["read_on"],
            rollover_confirmed=data["rollover_confirmed"],
            photo=data.get("photo"),
            **_acting(request),
        )
        return Response(
            {
                "number": filed.number,
                "status": filed.status,
                "status_label": filed.get_status_display(),
                "next_step": next_step(filed),
                "reading": filed.fields["reading"],
                "read_on": filed.fields["read_on"],
                "tracking_url": tracking_url(),
            },
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [
    # Included under /api/v1/ by billing.api_urls (namespace "billing_api").
    path("billing/readings/", ReadingCreateAPI.as_view(), name="readings"),
]
