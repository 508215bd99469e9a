"""Public schedule of planned outages by city and day (``GET outages/schedule/``)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from outages.models import ScheduledOutage
from outages.selectors import schedule_for_day
from portal.api import JalaliField, PortalCursorPagination
from portal.digits import normalize_digits
from portal.jalali import parse_jalali_date
from subscribers.models import City


class OutageScheduleQuerySerializer(serializers.Serializer):
    city = serializers.IntegerField(
        required=False,
        error_messages={"invalid": "شهر معتبر نیست.", "max_string_length": "شهر معتبر نیست."},
    )
    date = serializers.CharField(
        required=False,
        error_messages={"blank": "تاریخ نمی‌تواند خالی باشد."},
    )

    def validate_city(self, value: int) -> int:
        if not City.objects.filter(pk=value).exists():
            raise serializers.ValidationError("شهر معتبر نیست.")
        return value

    def validate_date(self, value: str):
        try:
            return parse_jalali_date(value)
        except ValueError:
            raise serializers.ValidationError(
                "تاریخ معتبر نیست؛ به شکل ۱۴۰۵/۰۶/۳۱ (شمسی) یا 2026-09-22 بفرستید."
            ) from None


class ScheduledOutageSerializer(serializers.ModelSerializer):
    feeder_code = serializers.CharField(source="feeder.code", read_only=True)
    feeder_name = serializers.CharField(source="feeder.name", read_only=True)
    area = serializers.CharField(source="feeder.area", read_only=True)
    city = serializers.IntegerField(source="feeder.city_id", read_only=True)
    city_name = serializers.CharField(source="feeder.city.name", read_only=True)
    office_name = serializers.CharField(source="feeder.office.name", read_only=True)
    starts_at_jalali = JalaliField(source="starts_at")
    ends_at_jalali = JalaliField(source="ends_at")

    class Meta:
        model = ScheduledOutage
        fields = [
            "id",
            "feeder_code",
            "feeder_name",
            "area",
            "city",
            "city_name",
            "office_name",
            "starts_at",
            "starts_at_jalali",
            "ends_at",
            "ends_at_jalali",
            "reason",
        ]
        read_only_fields = fields


class SchedulePagination(PortalCursorPagination):
    ordering = ("starts_at", "id")


@extend_schema(
    tags=["outages"],
    summary="برنامه خاموشی‌های برنامه‌ریزی‌شده یک روز",
    parameters=[
        OpenApiParameter("city", int, description="شناسه شهر"),
        OpenApiParameter("date", str, description="۱۴۰۵/۰۶/۳۱ یا 2026-09-22؛ پیش‌فرض امروز"),
    ],
    responses={
        200: ScheduledOutageSerializer(many=True),
        400: OpenApiResponse(description="خطای فیلد"),
    },
)
class ScheduleListAPI(generics.ListAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = ScheduledOutageSerializer
    pagination_class = SchedulePagination

    def get_queryset(self) -> QuerySet[ScheduledOutage]:
        params = {
            key: normalize_digits(self.request.query_params[key]).strip()
            for key in ("city", "date")
            if key in self.request.query_params
        }
        query = OutageScheduleQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or timezone.localdate()
        return schedule_for_day(day=day, city_id=query.validated_data.get("city"))
