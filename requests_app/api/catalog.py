"""Public, read-only API of the service catalog and the FAQ (for the mobile app and partners)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from portal.api import JalaliField, PortalCursorPagination
from requests_app import selectors
from requests_app.models import FaqEntry, ServiceCard


class FactLineSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="عنوان (ممکن است خالی باشد)")
    value = serializers.CharField()


class ServiceCardSerializer(serializers.ModelSerializer):
    section_display = serializers.CharField(source="get_section_display", read_only=True)
    company_kind_display = serializers.CharField(source="get_company_kind_display", read_only=True)
    service_type_display = serializers.CharField(source="get_service_type_display", read_only=True)
    required_documents = serializers.ListField(
        source="required_documents_list", child=serializers.CharField(), read_only=True
    )
    steps = serializers.ListField(
        source="steps_list", child=serializers.CharField(), read_only=True
    )
    average_time = serializers.CharField(source="average_time_display", read_only=True)
    payment_methods = FactLineSerializer(source="payment_method_lines", many=True, read_only=True)
    access_channels = FactLineSerializer(source="access_channel_lines", many=True, read_only=True)
    complaint_channels = FactLineSerializer(
        source="complaint_channel_lines", many=True, read_only=True
    )
    page_url = serializers.SerializerMethodField()
    updated_at_jalali = JalaliField(source="updated_at")

    class Meta:
        model = ServiceCard
        fields = [
            "service_id",
            "slug",
            "title",
            "section",
            "section_display",
            "company_kind",
            "company_kind_display",
            "service_type",
            "service_type_display",
            "description",
            "required_documents",
            "steps",
            "average_time_hours",
            "average_time",
            "service_hours",
            "in_person_visits",
            "fee_description",
            "kiosk_fee_rials",
            "payment_methods",
            "access_channels",
            "complaint_channels",
            "page_url",
            "updated_at",
            "updated_at_jalali",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, card: ServiceCard) -> str:
        path = reverse("requests_app:service-card", kwargs={"slug": card.slug})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class FaqEntrySerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    updated_at_jalali = JalaliField(source="updated_at")

    class Meta:
        model = FaqEntry
        fields = [
            "id",
            "category",
            "category_display",
            "question",
            "answer",
            "updated_at",
            "updated_at_jalali",
        ]
        read_only_fields = fields


class CatalogPagination(PortalCursorPagination):
    ordering = ("order", "id")


class FaqPagination(PortalCursorPagination):
    ordering = ("category", "order", "id")


def _choice_filter(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in choices.values:
        raise serializers.ValidationError({name: ["مقدار نامعتبر است."]})
    return value


class PublicReadMixin:
    # Public reference data: no authentication is attempted, so a stale session or token
    # neither costs queries nor turns a public read into a 401/403.
    authentication_classes: list = []
    permission_classes = [AllowAny]


@extend_schema(
    tags=["catalog"],
    summary="فهرست شناسنامه خدمات",
    parameters=[
        OpenApiParameter(
            "section", str, enum=ServiceCard.Section.values, description="فقط خدمات یک بخش منو"
        )
    ],
)
class ServiceCardListAPI(PublicReadMixin, generics.ListAPIView):
    serializer_class = ServiceCardSerializer
    pagination_class = CatalogPagination

    def get_queryset(self):
        section = _choice_filter(self.request, "section", ServiceCard.Section)
        return selectors.service_cards_published(section=section)


@extend_schema(tags=["catalog"], summary="شناسنامه یک خدمت با شناسه خدمت")
class ServiceCardDetailAPI(PublicReadMixin, generics.RetrieveAPIView):
    serializer_class = ServiceCardSerializer

    def get_object(self) -> ServiceCard:
        return selectors.service_card_get_published_by_service_id(
            service_id=self.kwargs["service_id"]
        )


@extend_schema(
    tags=["help"],
    summary="سوالات متداول",
    parameters=[
        OpenApiParameter("category", str, enum=FaqEntry.Category.values, description="فقط یک دسته")
    ],
)
class FaqListAPI(PublicReadMixin, generics.ListAPIView):
    serializer_class = FaqEntrySerializer
    pagination_class = FaqPagination

    def get_queryset(self):
        entries = selectors.faq_published()
        category = _choice_filter(self.request, "category", FaqEntry.Category)
        if category is not None:
            entries = entries.filter(category=category)
        return entries
