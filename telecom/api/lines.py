"""Lines API: ``GET /api/v1/telecom/lines/`` (my lines and their activation status) and
``POST`` the same URL to add a line («درج تلفن», a claim the telephone center activates).

Everything starts from ``request.user`` through ``lines_for_user``; a subscriber has a
handful of lines, so the list is not paginated (``results`` holds all of them).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.http import client_ip
from portal.jalali import jalali_iso
from subscribers.api.subscriptions import LeaseEndField
from telecom.forms_lines import OWNERSHIP_CHOICES
from telecom.selectors.claims import MyLine, lines_for_user
from telecom.services.lines import line_claim_create
from telecom.views.lines import calls_url

STATUS_DISPLAY = {
    "active": "فعال",
    "pending": "در انتظار احراز هویت حضوری در مرکز تلفن",
    "linked": "متصل؛ برای فعال‌سازی، تلفن را درج کنید و به مرکز تلفن مراجعه کنید",
}


class FlagsSerializer(serializers.Serializer):
    special_services = serializers.ListField(child=serializers.CharField())
    directory_listed = serializers.BooleanField()
    second_zero_blocked = serializers.BooleanField()
    adsl = serializers.BooleanField()
    sms_service = serializers.BooleanField()
    smart_service = serializers.BooleanField()


class LineSerializer(serializers.Serializer):
    number = serializers.CharField()
    company = serializers.CharField()
    center = serializers.CharField()
    center_address = serializers.CharField()
    role = serializers.ChoiceField(choices=OWNERSHIP_CHOICES)
    role_display = serializers.CharField()
    status = serializers.ChoiceField(choices=list(STATUS_DISPLAY.items()))
    status_display = serializers.CharField()
    line_status = serializers.CharField(help_text="active | disconnected | faulty")
    lease_start = serializers.DateField(allow_null=True)
    lease_end = serializers.DateField(allow_null=True)
    lease_end_jalali = serializers.CharField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)
    claim_id = serializers.IntegerField(allow_null=True)
    flags = FlagsSerializer(allow_null=True, help_text="فقط برای خط فعال")
    calls_url = serializers.CharField(allow_blank=True)


def line_data(row: MyLine) -> dict:
    """The API shape of one row (built by hand: no per-row queries)."""
    line = row.line
    office = line.subscription.office
    company = line.subscription.company
    return {
        "number": line.number,
        "company": company.short_name or company.name,
        "center": office.name,
        "center_address": office.address,
        "role": row.role,
        "role_display": row.role_display,
        "status": row.status,
        "status_display": STATUS_DISPLAY[row.status],
        "line_status": line.status,
        "lease_start": row.lease_start.isoformat() if row.lease_start else None,
        "lease_end": row.lease_end.isoformat() if row.lease_end else None,
        "lease_end_jalali": jalali_iso(row.lease_end),
        "activated_at": row.activated_at.isoformat() if row.activated_at else None,
        "claim_id": row.claim.pk if row.claim else None,
        "flags": {
            "special_services": list(line.special_services or []),
            "directory_listed": line.directory_listed,
            "second_zero_blocked": line.second_zero_blocked,
            "adsl": line.adsl,
            "sms_service": line.sms_service,
            "smart_service": line.smart_service,
        }
        if row.is_active
        else None,
        "calls_url": calls_url(line.number) if row.is_active else "",
    }


class LineClaimSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=30, help_text="۱۱ رقم با کد شهر")
    role = serializers.ChoiceField(
        choices=OWNERSHIP_CHOICES,
        error_messages={"invalid_choice": "وضعیت تملک باید owner یا tenant باشد."},
    )
    lease_end = LeaseEndField(
        required=False,
        allow_null=True,
        error_messages={"invalid": "تاریخ را به شکل ۱۴۰۵/۰۶/۳۱ یا 2026-09-22 بفرستید."},
    )


ListSerializer = inline_serializer("TelecomLineList", fields={"results": LineSerializer(many=True)})


class LineListView(APIView):
    @extend_schema(summary="خطوط تلفن من", responses={200: ListSerializer}, tags=["telecom"])
    def get(self, request: Request) -> Response:
        return Response({"results": [line_data(row) for row in lines_for_user(user=request.user)]})

    @extend_schema(
        summary="درج تلفن (درخواست فعال‌سازی خدمات خط)",
        description=(
            "خط با وضعیت تملک (owner = صاحب تلفن، tenant = استفاده‌کننده با پایان اجاره) درج "
            "می‌شود و تا احراز هویت حضوری در مرکز تلفن در انتظار می‌ماند."
        ),
        request=LineClaimSerializer,
        responses={201: LineSerializer},
        tags=["telecom"],
    )
    def post(self, request: Request) -> Response:
        serializer = LineClaimSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = line_claim_create(
            user=request.user,
            number=data["number"],
            role=data["role"],
            lease_end=data.get("lease_end"),
            client_ip=client_ip(request),
        )
        row = next(r for r in lines_for_user(user=request.user) if r.line.pk == claim.line_id)
        return Response(line_data(row), status=status.HTTP_201_CREATED)


urlpatterns = [
    path("telecom/lines/", LineListView.as_view(), name="lines"),
]
