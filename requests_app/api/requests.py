"""Service requests API (mine) and public tracking, for the mobile app and partners.

- ``request-types/``: the active catalog with stages, fees per channel, fields and documents.
- ``requests/``: the caller's requests (list, file), one request (detail), its documents
  (upload) and cancel. Every request is loaded through ``request_get_for_user``, so another
  subscriber's request — or any request for staff, who have no requests of their own — answers
  404 exactly like a missing one.
- ``requests/track/``: public tracking by number (+ subscription number), rate-limited per IP;
  a wrong pair and an unknown number give the same 404 body.

During a kiosk operator's on-behalf session (``subscribers.middleware``) ``request.user`` is
the citizen; writes then run as the operator on the citizen's behalf on the kiosk channel.
Services do the work and raise ``PortalError``; the project's exception handler shapes it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import JalaliField, PortalCursorPagination
from portal.digits import normalize_digits
from portal.errors import PortalError
from portal.http import client_ip
from portal.serializers import PostalCodeSerializerField
from requests_app.models import (
    Actor,
    Channel,
    Payment,
    RequestDocument,
    RequestEvent,
    RequestType,
    RequiredDocument,
    ServiceRequest,
    Status,
    VisitAppointment,
    transition_allowed,
)
from requests_app.selectors.requests import (
    request_get_for_user,
    request_subscriptions_for,
    request_track,
    request_type_get_active,
    request_types_active,
    requests_for_user,
)
from requests_app.services import workflow
from requests_app.services.fields import fields_display
from requests_app.services.notify import next_step, office_phone
from subscribers.models import City
from subscribers.selectors.subscriptions import subscription_get_for_user
from subscribers.services.ratelimit import rate_limit_hit

TRACK_LIMIT = 30
TRACK_WINDOW = timedelta(minutes=10)

_BY = {
    Actor.APPLICANT: "applicant",
    Actor.CLERK: "office",
    Actor.SUPERVISOR: "office",
    Actor.SYSTEM: "system",
}


@extend_schema_field({"type": "string", "nullable": True, "example": "1405/06/31 14:30"})
class JalaliCompanion(JalaliField):
    # Jalali companion of a date/datetime, typed for the schema (no docstring: it would
    # become the schema's English description).

    pass


def _messages(label: str) -> dict[str, str]:
    return {
        "required": f"{label} الزامی است.",
        "blank": f"{label} نمی‌تواند خالی باشد.",
        "null": f"{label} نمی‌تواند خالی باشد.",
        "invalid": f"{label} معتبر نیست.",
        "max_length": f"{label} بیش از حد طولانی است.",
        "max_value": f"{label} معتبر نیست.",
        "min_value": f"{label} معتبر نیست.",
        "max_string_length": f"{label} معتبر نیست.",
        "not_a_dict": f"{label} باید یک شیء JSON (نام و مقدار) باشد.",
        "no_name": f"{label} نام ندارد.",
        "empty": f"{label} خالی است.",
    }


# --- Catalog --------------------------------------------------------------------------------


class RequiredDocumentSerializer(serializers.ModelSerializer):
    applies_to_label = serializers.CharField(source="get_applies_to_display", read_only=True)

    class Meta:
        model = RequiredDocument
        fields = ["id", "title", "applies_to", "applies_to_label", "mandatory"]
        read_only_fields = fields


class FeesSerializer(serializers.Serializer):
    web = serializers.IntegerField(source="fee_web", help_text="ریال؛ درگاه اینترنتی و برنامه")
    kiosk = serializers.IntegerField(source="fee_kiosk", help_text="ریال؛ تعرفه در دفتر پیشخوان")
    office = serializers.IntegerField(source="fee_office", help_text="ریال؛ در امور مشترکین")
    kiosk_charge = serializers.IntegerField(help_text="ریال؛ کارمزد خود دفتر پیشخوان")


class RequestTypeSerializer(serializers.ModelSerializer):
    # A plain string in the schema: the same choices as UtilityCompany.kind would make
    # drf-spectacular name one enum twice (a W001 that fails `check --deploy`).
    company_kind = serializers.CharField(read_only=True, help_text="electricity، gas یا telecom")
    company_kind_label = serializers.CharField(source="get_company_kind_display", read_only=True)
    stages = serializers.ListField(
        child=serializers.ChoiceField(choices=["documents", "payment", "visit", "approval"]),
        read_only=True,
        help_text="به همین ترتیب: documents → payment → visit → approval",
    )
    fees = FeesSerializer(source="*", read_only=True)
    fields = serializers.JSONField(
        source="fields_schema",
        read_only=True,
        help_text='فیلدهای ویژه: [{"name", "label", "kind": integer|choice|text, "required", …}]',
    )
    documents = RequiredDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = RequestType
        fields = [
            "code",
            "company_kind",
            "company_kind_label",
            "title",
            "description",
            "service_id",
            "stages",
            "fees",
            "sla_hours",
            "needs_subscription",
            "tenant_allowed",
            "fields",
            "documents",
        ]
        read_only_fields = fields


class RequestTypePagination(PortalCursorPagination):
    ordering = ("company_kind", "order", "id")


@extend_schema(
    tags=["requests"],
    summary="انواع درخواست قابل ثبت",
    parameters=[
        OpenApiParameter(
            "company_kind",
            str,
            enum=RequestType.CompanyKind.values,
            description="فقط خدمات یک نوع شرکت",
        )
    ],
)
class RequestTypeListAPI(generics.ListAPIView):
    # Public reference data: no authentication attempted (no CSRF, no stale-session 403).
    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = RequestTypeSerializer
    pagination_class = RequestTypePagination

    def get_queryset(self) -> QuerySet[RequestType]:
        kind = self.request.query_params.get("company_kind") or None
        if kind is not None and kind not in RequestType.CompanyKind.values:
            raise serializers.ValidationError({"company_kind": ["نوع شرکت معتبر نیست."]})
        return request_types_active(company_kind=kind)


class SubscriptionChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="همان مقدار `subscription` در ثبت درخواست")
    subscription_number = serializers.CharField(help_text="برای خط تلفن: شماره ۱۱ رقمی خط")
    company = serializers.CharField(source="company.name")
    address = serializers.CharField()


@extend_schema(
    tags=["requests"],
    summary="اشتراک‌ها یا خطوطی که این خدمت را می‌توان برایشان ثبت کرد",
    description=(
        "اشتراک‌های متصل به حساب خود کاربر از نوع شرکت این خدمت؛ برای خدمات خط تلفن ثابت "
        "فقط خطوطی که خدمات الکترونیک آن‌ها برای کاربر در مرکز تلفن فعال شده است."
    ),
    responses={200: SubscriptionChoiceSerializer(many=True)},
)
class RequestTypeSubscriptionsAPI(generics.ListAPIView):
    serializer_class = SubscriptionChoiceSerializer
    pagination_class = None  # a person's own subscriptions: a handful, one query

    def get_queryset(self) -> QuerySet:
        request_type = request_type_get_active(code=self.kwargs["code"])
        return request_subscriptions_for(user=self.request.user, request_type=request_type)


# --- My requests ----------------------------------------------------------------------------


class TypeBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()


class RequestListSerializer(serializers.ModelSerializer):
    type = TypeBriefSerializer(source="request_type", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    subscription_number = serializers.CharField(
        source="subscription.subscription_number", read_only=True, allow_null=True, default=None
    )
    created_at_jalali = JalaliCompanion(source="created_at")
    submitted_at_jalali = JalaliCompanion(source="submitted_at")
    due_at_jalali = JalaliCompanion(source="due_at")
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "number",
            "type",
            "status",
            "status_label",
            "channel",
            "channel_label",
            "subscription_number",
            "created_at",
            "created_at_jalali",
            "submitted_at",
            "submitted_at_jalali",
            "due_at",
            "due_at_jalali",
            "is_overdue",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj: ServiceRequest) -> bool:
        return obj.is_overdue()


class FieldValueSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField()
    display = serializers.CharField(help_text="مقدار برای نمایش (گزینه با عنوان فارسی)")


class DocumentSerializer(serializers.ModelSerializer):
    requirement_id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(source="requirement.title", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    uploaded_at_jalali = JalaliCompanion(source="uploaded_at")

    class Meta:
        model = RequestDocument
        fields = [
            "id",
            "requirement_id",
            "title",
            "state",
            "state_label",
            "rejection_reason",
            "original_name",
            "uploaded_at",
            "uploaded_at_jalali",
        ]
        read_only_fields = fields


class RequiredDocumentStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    mandatory = serializers.BooleanField()
    state = serializers.CharField(
        allow_null=True, help_text="وضعیت بارگذاری فعلی؛ null یعنی هنوز بارگذاری نشده"
    )


class PaymentSerializer(serializers.ModelSerializer):
    purpose_label = serializers.CharField(source="get_purpose_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    paid_at_jalali = JalaliCompanion(source="paid_at")

    class Meta:
        model = Payment
        fields = [
            "id",
            "purpose",
            "purpose_label",
            "amount",
            "state",
            "state_label",
            "paid_at",
            "paid_at_jalali",
            "reference",
        ]
        read_only_fields = fields


class VisitSerializer(serializers.ModelSerializer):
    # The site visit as the applicant sees it: when, never who (no inspector).

    date_jalali = JalaliCompanion(source="date")
    result_label = serializers.CharField(source="get_result_display", read_only=True)

    class Meta:
        model = VisitAppointment
        fields = ["date", "date_jalali", "window_start", "window_end", "result", "result_label"]
        read_only_fields = fields


class TimelineStepSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    label = serializers.CharField()
    at = serializers.DateTimeField()
    at_jalali = JalaliCompanion(source="at")
    by = serializers.ChoiceField(choices=["applicant", "office", "system"])


class RequestDetailSerializer(RequestListSerializer):
    # Everything the applicant's request page shows. Expects the object from
    # ``request_get_for_user`` (events, documents, payments, visits and phones prefetched).

    office = serializers.CharField(source="office.name", read_only=True)
    city = serializers.CharField(source="city.name", read_only=True)
    # method_name: ``get_fields`` is the serializer's own machinery.
    fields = serializers.SerializerMethodField(method_name="get_field_values")
    next_step = serializers.SerializerMethodField()
    office_phone = serializers.SerializerMethodField()
    documents = DocumentSerializer(source="current_documents", many=True, read_only=True)
    required_documents = serializers.SerializerMethodField()
    payments = PaymentSerializer(many=True, read_only=True)
    visit = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    can_cancel = serializers.SerializerMethodField()

    class Meta(RequestListSerializer.Meta):
        fields = [
            *RequestListSerializer.Meta.fields,
            "office",
            "city",
            "address",
            "postal_code",
            "description",
            "fields",
            "next_step",
            "office_phone",
            "documents",
            "required_documents",
            "payments",
            "visit",
            "timeline",
            "rejection_reason",
            "closed_at",
            "can_cancel",
        ]
        read_only_fields = fields

    @extend_schema_field(FieldValueSerializer(many=True))
    def get_field_values(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        values = obj.fields or {}
        rows = []
        for item in obj.request_type.fields_schema:
            if item["name"] not in values:
                continue
            [(label, shown)] = fields_display(schema=[item], values=values)
            rows.append(
                {
                    "name": item["name"],
                    "label": label,
                    "value": values[item["name"]],
                    "display": shown,
                }
            )
        return rows

    def get_next_step(self, obj: ServiceRequest) -> str:
        return next_step(obj)

    def get_office_phone(self, obj: ServiceRequest) -> str:
        """تلفن امور؛ فقط وقتی امور منتظر اقدام متقاضی است (در غیر این صورت خالی)."""
        return office_phone(obj) if obj.waits_on_citizen else ""

    @extend_schema_field(RequiredDocumentStateSerializer(many=True))
    def get_required_documents(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        current = {doc.requirement_id: doc.state for doc in obj.current_documents}
        return [
            {
                "id": requirement.pk,
                "title": requirement.title,
                "mandatory": requirement.mandatory,
                "state": current.get(requirement.pk),
            }
            for requirement in obj.request_type.documents.all()
            if requirement.applies_to_user(obj.applicant)
        ]

    @extend_schema_field(VisitSerializer(allow_null=True))
    def get_visit(self, obj: ServiceRequest) -> dict[str, Any] | None:
        visits = list(obj.visits.all())  # prefetched, newest first
        return VisitSerializer(visits[0]).data if visits else None

    @extend_schema_field(TimelineStepSerializer(many=True))
    def get_timeline(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        labels = dict(Status.choices)
        steps = [
            {
                "status": event.new_status,
                "label": str(labels[event.new_status]),
                "at": event.created_at,
                "by": _BY.get(event.actor_role, "office"),
            }
            for event in obj.events.all()
            if event.kind == RequestEvent.Kind.TRANSITION
        ]
        return TimelineStepSerializer(steps, many=True).data

    def get_can_cancel(self, obj: ServiceRequest) -> bool:
        return transition_allowed(obj.status, Status.CANCELLED, Actor.APPLICANT)


class RequestCreateSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=60, error_messages=_messages("نوع درخواست"))
    subscription = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, error_messages=_messages("اشتراک")
    )
    city = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, error_messages=_messages("شهر")
    )
    address = serializers.CharField(
        required=False, allow_blank=True, max_length=300, error_messages=_messages("نشانی")
    )
    postal_code = PostalCodeSerializerField(required=False, allow_blank=True)
    fields = serializers.DictField(
        required=False, default=dict, error_messages=_messages("اطلاعات ویژه")
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, error_messages=_messages("توضیح")
    )


class CancelSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, error_messages=_messages("توضیح")
    )


class DocumentUploadSerializer(serializers.Serializer):
    requirement = serializers.IntegerField(min_value=1, error_messages=_messages("مدرک"))
    file = serializers.FileField(
        error_messages={
            **_messages("پرونده مدرک"),
            "required": "پرونده مدرک را انتخاب کنید.",
            "invalid": "پرونده مدرک معتبر نیست.",
        }
    )


def _acting(request: Request) -> dict[str, Any]:
    """Who acts, and on which channel: the caller on the app, or at a kiosk the operator for
    the citizen (the kiosk's fee and charge then apply)."""
    kiosk_session = getattr(request, "kiosk_session", None)
    if kiosk_session is not None:
        return {
            "actor": request.operator,
            "on_behalf_of": request.user,
            "channel": Channel.KIOSK,
            "kiosk": kiosk_session.kiosk,
        }
    return {"actor": request.user, "on_behalf_of": None, "channel": Channel.APP, "kiosk": None}


def _detail(request: Request, number: str) -> dict[str, Any]:
    req = request_get_for_user(user=request.user, number=number)
    req.applicant = request.user  # the selector scoped it to the caller: same row, no query
    return RequestDetailSerializer(req, context={"request": request}).data


class MyRequestsPagination(PortalCursorPagination):
    ordering = ("-created_at", "-id")


class RequestListCreateAPI(generics.ListAPIView):
    serializer_class = RequestListSerializer
    pagination_class = MyRequestsPagination

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        return requests_for_user(user=self.request.user)

    @extend_schema(tags=["requests"], summary="درخواست‌های من (جدیدترین اول)")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["requests"],
        summary="ثبت درخواست",
        description=(
            "خدمات پس از فروش `subscription` (شناسه اشتراک متصل به حساب) می‌خواهند؛ انشعاب جدید "
            "`city` و `address`. `fields` مقادیر فیلدهای ویژه نوع درخواست است."
        ),
        request=RequestCreateSerializer,
        responses={201: RequestDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = RequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        request_type = request_types_active().filter(code=data["type"]).first()
        if request_type is None:
            raise serializers.ValidationError({"type": ["این خدمت یافت نشد یا فعال نیست."]})
        if request_type.behaviour == RequestType.Behaviour.SELF_READING:
            raise PortalError(
                "use_readings_api",
                "کارکرد کنتور را از نشانی /api/v1/billing/readings/ ثبت کنید.",
                fields={"type": ["ثبت کارکرد نشانی ویژه خود را دارد."]},
            )
        subscription = None
        if data.get("subscription"):
            subscription = subscription_get_for_user(
                user=request.user, subscription_id=data["subscription"]
            )
        city = None
        if data.get("city"):
            city = City.objects.filter(pk=data["city"]).first()
            if city is None:
                raise serializers.ValidationError({"city": ["شهر انتخاب‌شده یافت نشد."]})
        filed = workflow.request_file(
            request_type=request_type,
            applicant=request.user,
            subscription=subscription,
            city=city,
            address=data.get("address", ""),
            postal_code=data.get("postal_code", ""),
            fields=data.get("fields") or {},
            description=data.get("description", ""),
            **_acting(request),
        )
        return Response(_detail(request, filed.number), status=status.HTTP_201_CREATED)


class RequestDetailAPI(APIView):
    @extend_schema(tags=["requests"], summary="یک درخواست من", responses=RequestDetailSerializer)
    def get(self, request: Request, number: str) -> Response:
        return Response(_detail(request, number))


class RequestCancelAPI(APIView):
    @extend_schema(
        tags=["requests"],
        summary="انصراف از درخواست",
        description="تا پیش از اعزام کارشناس ممکن است؛ هزینه‌های پرداخت‌نشده لغو می‌شود.",
        request=CancelSerializer,
        responses=RequestDetailSerializer,
    )
    def post(self, request: Request, number: str) -> Response:
        req = request_get_for_user(user=request.user, number=number)
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acting = _acting(request)
        workflow.request_cancel(
            request=req,
            actor=acting["actor"],
            on_behalf_of=acting["on_behalf_of"],
            note=serializer.validated_data.get("note", ""),
        )
        return Response(_detail(request, req.number))


class RequestDocumentUploadAPI(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["requests"],
        summary="بارگذاری مدرک",
        description=(
            "JPEG، PNG یا PDF تا ۲ مگابایت؛ تصویر رنگی و خوانا. بارگذاری دوباره پس از رد، "
            "جایگزین نسخه قبلی می‌شود."
        ),
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
    )
    def post(self, request: Request, number: str) -> Response:
        # Imported here: the upload service is its own work package.
        from requests_app.services.documents import document_upload

        req = request_get_for_user(user=request.user, number=number)
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acting = _acting(request)
        document = document_upload(
            request=req,
            requirement_id=serializer.validated_data["requirement"],
            upload=serializer.validated_data["file"],
            actor=acting["actor"],
            on_behalf_of=acting["on_behalf_of"],
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


# --- Public tracking ------------------------------------------------------------------------


class TrackingStepSerializer(serializers.Serializer):
    label = serializers.CharField()
    at = serializers.DateTimeField()
    at_jalali = JalaliCompanion(source="at")


class TrackingSerializer(serializers.Serializer):
    # The public view: never a name, national code, address, document or staff note.

    number = serializers.CharField()
    type_title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    is_closed = serializers.BooleanField()
    next_step = serializers.CharField()
    office_phone = serializers.CharField(help_text="فقط وقتی امور منتظر اقدام متقاضی است")
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_at_jalali = JalaliCompanion(source="submitted_at")
    due_at = serializers.DateTimeField(allow_null=True)
    due_at_jalali = JalaliCompanion(source="due_at")
    timeline = TrackingStepSerializer(source="steps", many=True)


class RequestTrackAPI(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["requests"],
        summary="پیگیری درخواست بدون ورود",
        description=(
            "شماره درخواست و برای خدمات پس از فروش شماره اشتراک. ترکیب نادرست و شماره ناموجود "
            f"پاسخ ۴۰۴ یکسان دارند. حداکثر {TRACK_LIMIT} پرس‌وجو در ۱۰ دقیقه از هر نشانی."
        ),
        parameters=[
            OpenApiParameter("number", str, required=True, description="شماره درخواست"),
            OpenApiParameter("subscription", str, description="شماره اشتراک"),
        ],
        responses={
            200: TrackingSerializer,
            404: inline_serializer("TrackingNotFound", fields={"error": serializers.DictField()}),
        },
    )
    def get(self, request: Request) -> Response:
        rate_limit_hit(
            scope="track", key=client_ip(request) or "-", limit=TRACK_LIMIT, window=TRACK_WINDOW
        )
        view = request_track(
            number=normalize_digits(request.query_params.get("number", "")),
            subscription_number=normalize_digits(request.query_params.get("subscription", "")),
        )
        return Response(TrackingSerializer(view).data)
