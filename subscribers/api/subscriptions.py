"""Subscriptions API (mine): list and link, confirm an OTP link, read one, unlink.

Every queryset starts from ``request.user`` through ``subscriptions_for_user``; another
subscriber's subscription answers 404 exactly like a missing one.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import JalaliField
from portal.http import client_ip
from portal.jalali import parse_jalali_date
from portal.serializers import BillIdSerializerField
from subscribers.models import Subscription, SubscriptionLink, UtilityCompany
from subscribers.selectors.subscriptions import (
    subscription_get_for_user,
    subscriptions_for_user,
)
from subscribers.services.subscriptions import (
    subscription_link_confirm,
    subscription_link_start,
    subscription_unlink,
)


class CompanySerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = UtilityCompany
        fields = ["id", "name", "short_name", "kind", "kind_display"]


@extend_schema_field({"type": "string", "nullable": True, "example": "1405/06/31"})
class JalaliDateCompanion(JalaliField):
    """Jalali companion of an annotated date (the schema cannot see annotations)."""


class SubscriptionSerializer(serializers.ModelSerializer):
    company = CompanySerializer(read_only=True)
    office = serializers.CharField(source="office.name", read_only=True)
    city = serializers.CharField(source="city.name", read_only=True)
    role = serializers.CharField(
        source="link_role",
        read_only=True,
        allow_null=True,
        help_text="owner یا tenant؛ null وقتی از راه دسترسی تجمیعی سازمان دیده می‌شود",
    )
    lease_end = serializers.DateField(source="link_lease_end", read_only=True, allow_null=True)
    lease_end_jalali = JalaliDateCompanion(source="link_lease_end")
    linked_via_organisation = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id",
            "company",
            "subscription_number",
            "bill_id",
            "office",
            "city",
            "address",
            "postal_code",
            "tariff",
            "branches",
            "role",
            "lease_end",
            "lease_end_jalali",
            "linked_via_organisation",
        ]
        read_only_fields = fields

    def get_linked_via_organisation(self, obj: Subscription) -> bool:
        return obj.link_id is None


class LeaseEndField(serializers.DateField):
    """ISO (2026-09-22) or Jalali (1405/06/31, Persian digits welcome)."""

    def to_internal_value(self, value):
        text = str(value or "")
        if "/" in text:
            try:
                return parse_jalali_date(text)
            except ValueError:
                raise serializers.ValidationError(
                    "تاریخ را به شکل ۱۴۰۵/۰۶/۳۱ یا 2026-09-22 بفرستید.", code="invalid"
                ) from None
        return super().to_internal_value(value)


class LinkRequestSerializer(serializers.Serializer):
    bill_id = BillIdSerializerField()
    role = serializers.ChoiceField(
        choices=SubscriptionLink.Role.choices,
        error_messages={"invalid_choice": "نقش باید owner یا tenant باشد."},
    )
    lease_end = LeaseEndField(
        required=False,
        allow_null=True,
        error_messages={"invalid": "تاریخ را به شکل ۱۴۰۵/۰۶/۳۱ یا 2026-09-22 بفرستید."},
    )


class LinkConfirmSerializer(serializers.Serializer):
    challenge_id = serializers.UUIDField(error_messages={"invalid": "شناسه چالش معتبر نیست."})
    code = serializers.RegexField(
        r"^\d{6}$", error_messages={"invalid": "کد تایید باید ۶ رقم باشد."}
    )


ChallengeSerializer = inline_serializer(
    "SubscriptionLinkChallenge",
    fields={
        "challenge_id": serializers.UUIDField(),
        "expires_in": serializers.IntegerField(help_text="ثانیه"),
        "masked_mobile": serializers.CharField(),
    },
)


def _detail(request: Request, subscription_id: int) -> Response:
    subscription = subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    return SubscriptionSerializer(subscription).data


class SubscriptionListCreateView(generics.ListAPIView):
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return subscriptions_for_user(user=self.request.user)

    @extend_schema(summary="اشتراک‌های من", tags=["subscriptions"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="اتصال اشتراک به حساب",
        description=(
            "اگر کد ملی/شناسه ملی دارنده اشتراک با حساب یکی باشد، اشتراک بی‌درنگ متصل می‌شود "
            "(201)؛ وگرنه کد تایید به تلفن ثبت‌شده اشتراک پیامک می‌شود (202) و با "
            "`/subscriptions/confirm/` تأیید می‌شود."
        ),
        request=LinkRequestSerializer,
        responses={
            201: SubscriptionSerializer,
            202: OpenApiResponse(ChallengeSerializer, description="کد تایید پیامک شد"),
        },
        tags=["subscriptions"],
    )
    def post(self, request: Request) -> Response:
        serializer = LinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        started = subscription_link_start(
            user=request.user,
            bill_id=data["bill_id"],
            role=data["role"],
            lease_end=data.get("lease_end"),
            client_ip=client_ip(request),
        )
        if started.link is not None:
            return Response(
                _detail(request, started.link.subscription_id), status=status.HTTP_201_CREATED
            )
        return Response(
            {
                "challenge_id": str(started.challenge_id),
                "expires_in": started.expires_in,
                "masked_mobile": started.masked_mobile,
            },
            status=status.HTTP_202_ACCEPTED,
        )


class SubscriptionLinkConfirmView(APIView):
    @extend_schema(
        summary="تأیید کد و اتصال اشتراک",
        request=LinkConfirmSerializer,
        responses={201: SubscriptionSerializer},
        tags=["subscriptions"],
    )
    def post(self, request: Request) -> Response:
        serializer = LinkConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = subscription_link_confirm(
            user=request.user,
            challenge_id=serializer.validated_data["challenge_id"],
            code=serializer.validated_data["code"],
        )
        return Response(_detail(request, link.subscription_id), status=status.HTTP_201_CREATED)


class SubscriptionDetailView(generics.RetrieveDestroyAPIView):
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return subscriptions_for_user(user=self.request.user)

    def get_object(self) -> Subscription:
        return subscription_get_for_user(user=self.request.user, subscription_id=self.kwargs["pk"])

    @extend_schema(summary="یک اشتراک من", tags=["subscriptions"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="حذف اشتراک از حساب (قطع اتصال)",
        responses={204: None},
        tags=["subscriptions"],
    )
    def delete(self, request: Request, *args, **kwargs) -> Response:
        subscription = self.get_object()
        subscription_unlink(user=request.user, subscription_id=subscription.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("subscriptions/", SubscriptionListCreateView.as_view(), name="api_subscription_list"),
    path(
        "subscriptions/confirm/",
        SubscriptionLinkConfirmView.as_view(),
        name="api_subscription_confirm",
    ),
    path(
        "subscriptions/<int:pk>/",
        SubscriptionDetailView.as_view(),
        name="api_subscription_detail",
    ),
]
