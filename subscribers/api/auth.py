"""Account API under /api/v1/: codes, registration, token login/logout and ``me``.

Anonymous endpoints use no authentication classes at all: without ``SessionAuthentication``
DRF enforces no CSRF check, so JSON clients (mobile apps) need no cookie dance, and a stray
session cookie cannot make a cross-site request act as the logged-in user there.
Authenticated endpoints accept a token (``Authorization: Token …``) or the web session
(which does enforce CSRF).

Decisions:
- ``POST auth/otp/`` with ``purpose=register`` is the "send again" of a registration: it
  sends a code only when a registration waits for activation on that mobile; the first code
  comes with ``POST auth/register/``. For any other mobile it still answers 202 with a
  challenge id that will never verify, so the answer reveals nothing. ``login`` and
  ``reset`` behave the same way for unknown accounts. Other purposes (consent, link,
  mobile change, staff login) have their own flows and are refused here.
- ``POST auth/otp/verify/``: ``register`` activates and answers ``{"verified": true}``;
  ``login`` answers ``{"token"}``; ``reset`` takes ``new_password`` in the same call (no
  reset ticket that could leak) and answers ``{"password_reset": true}``.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.authentication import PreparedTokenAuthentication
from portal.errors import PortalError
from portal.http import client_ip
from portal.jalali import parse_jalali_date
from portal.serializers import (
    LegalNationalIdSerializerField,
    MobileSerializerField,
    NationalCodeSerializerField,
    PostalCodeSerializerField,
)
from subscribers.models import NaturalProfile, OtpChallenge, OtpPurpose, User
from subscribers.services import accounts as svc

ANONYMOUS_PURPOSES = (OtpPurpose.REGISTER, OtpPurpose.LOGIN, OtpPurpose.RESET)


def _required(label: str) -> dict[str, str]:
    return {
        "required": f"{label} الزامی است.",
        "blank": f"{label} نمی‌تواند خالی باشد.",
        "null": f"{label} نمی‌تواند خالی باشد.",
        "max_length": f"{label} بیش از حد طولانی است.",
        "invalid_choice": f"{label}: گزینه معتبر نیست.",
    }


def _char(label: str, max_length: int = 80, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        label=label, max_length=max_length, error_messages=_required(label), **kwargs
    )


class JalaliDateSerializerField(serializers.CharField):
    """A Jalali date as ``1370/01/01`` (Persian or ASCII digits) → ``date``."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return parse_jalali_date(text)
        except ValueError:
            raise serializers.ValidationError(
                "تاریخ شمسی معتبر نیست؛ به شکل ۱۳۷۰/۰۱/۰۱ بفرستید."
            ) from None


class OtpRequestSerializer(serializers.Serializer):
    mobile = MobileSerializerField()
    purpose = serializers.ChoiceField(
        choices=OtpPurpose.choices, label="منظور", error_messages=_required("منظور")
    )


class OtpStartedSerializer(serializers.Serializer):
    challenge_id = serializers.UUIDField()
    expires_in = serializers.IntegerField(help_text="ثانیه")


class OtpVerifySerializer(serializers.Serializer):
    challenge_id = serializers.UUIDField(
        label="شناسه چالش", error_messages={**_required("شناسه چالش"), "invalid": "نامعتبر"}
    )
    code = _char("کد تایید", max_length=6)
    new_password = serializers.CharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        help_text="فقط برای منظور reset: رمز عبور تازه.",
    )


class RegisterSerializer(serializers.Serializer):
    """Natural (``kind=natural``) or legal (``kind=legal``) registration; the fields of the
    other kind are ignored."""

    kind = serializers.ChoiceField(choices=["natural", "legal"], error_messages=_required("نوع"))
    # Optional at field level so a body missing everything gets every missing field at once.
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, required=False, error_messages=_required("رمز عبور")
    )
    # natural person
    first_name = _char("نام", required=False)
    last_name = _char("نام خانوادگی", required=False)
    gender = serializers.ChoiceField(
        choices=NaturalProfile.Gender.choices, required=False, error_messages=_required("جنسیت")
    )
    father_name = _char("نام پدر", required=False)
    nationality = _char("تابعیت", max_length=40, required=False)
    birth_date = JalaliDateSerializerField(required=False, help_text="شمسی: 1370/01/01")
    id_number = _char("شماره شناسنامه", max_length=20, required=False)
    place_of_issue = _char("محل صدور", required=False)
    national_code = NationalCodeSerializerField(required=False)
    postal_code = PostalCodeSerializerField(required=False)
    mobile = MobileSerializerField(required=False)
    # legal person
    company_name = _char("نام شرکت", max_length=200, required=False)
    registration_date = JalaliDateSerializerField(required=False, help_text="شمسی: 1385/05/01")
    registration_number = _char("شماره ثبت", max_length=20, required=False)
    subscriber_type = _char("نوع مشترک", required=False)
    legal_national_id = LegalNationalIdSerializerField(required=False)
    representative_first_name = _char("نام نماینده", required=False)
    representative_last_name = _char("نام خانوادگی نماینده", required=False)
    representative_national_code = NationalCodeSerializerField(required=False)
    representative_mobile = MobileSerializerField(required=False)
    username = serializers.CharField(max_length=30, required=False, allow_blank=True)

    NATURAL = (
        "first_name", "last_name", "gender", "father_name", "birth_date", "id_number",
        "place_of_issue", "national_code", "postal_code", "mobile",
    )  # fmt: skip
    LEGAL = (
        "company_name", "registration_date", "registration_number", "place_of_issue",
        "subscriber_type", "legal_national_id", "representative_first_name",
        "representative_last_name", "representative_national_code", "representative_mobile",
    )  # fmt: skip

    def validate(self, attrs):
        needed = (*(self.NATURAL if attrs["kind"] == "natural" else self.LEGAL), "password")
        missing = {
            name: [self.fields[name].error_messages["required"]]
            for name in needed
            if attrs.get(name) in (None, "")
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class RegisteredSerializer(OtpStartedSerializer):
    username = serializers.CharField()


class LoginSerializer(serializers.Serializer):
    username = _char("نام کاربری", max_length=150)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, error_messages=_required("رمز عبور")
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    display_name = serializers.CharField()
    national_code = serializers.CharField(help_text="پوشانده: 049****899")
    mobile = serializers.CharField()
    mobile_verified = serializers.BooleanField()


class AnonymousAPIView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class OtpRequestView(AnonymousAPIView):
    @extend_schema(
        request=OtpRequestSerializer,
        responses={202: OtpStartedSerializer, 400: OpenApiResponse(description="خطای فیلد"),
                   429: OpenApiResponse(description="بیش از حد مجاز؛ Retry-After")},
        summary="درخواست کد یک‌بارمصرف (register | login | reset)",
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = OtpRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mobile, purpose = data.validated_data["mobile"], data.validated_data["purpose"]
        ip = client_ip(request)
        if purpose not in ANONYMOUS_PURPOSES:
            raise PortalError(
                "purpose_not_allowed",
                "این نوع کد از مسیر خودش درخواست می‌شود.",
                fields={"purpose": ["برای این منظور از فرم مربوط استفاده کنید."]},
                status_code=403 if request.user.is_authenticated else 401,
            )
        if purpose == OtpPurpose.REGISTER:
            started = svc.account_register_resend(mobile=mobile, client_ip=ip)
        elif purpose == OtpPurpose.LOGIN:
            started = svc.account_login_otp_start(username_or_mobile=mobile, client_ip=ip)
        else:
            started = svc.account_password_reset_start(username=mobile, client_ip=ip)
        return Response(
            {"challenge_id": str(started.challenge_id), "expires_in": started.expires_in},
            status=status.HTTP_202_ACCEPTED,
        )


class OtpVerifyView(AnonymousAPIView):
    @extend_schema(
        request=OtpVerifySerializer,
        responses={
            200: inline_serializer(
                "OtpVerified",
                {
                    "verified": serializers.BooleanField(required=False),
                    "token": serializers.CharField(required=False),
                    "password_reset": serializers.BooleanField(required=False),
                },
            )
        },
        summary="تأیید کد: فعال‌سازی حساب، ورود (توکن) یا تعیین رمز تازه",
    )
    def post(self, request: Request) -> Response:
        data = OtpVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        challenge_id = data.validated_data["challenge_id"]
        code = data.validated_data["code"]
        purpose = (
            OtpChallenge.objects.filter(pk=challenge_id).values_list("purpose", flat=True).first()
        )
        if purpose == OtpPurpose.REGISTER:
            svc.account_activate(challenge_id=challenge_id, code=code)
            return Response({"verified": True})
        if purpose == OtpPurpose.RESET:
            new_password = data.validated_data.get("new_password")
            if not new_password:
                raise PortalError(
                    "invalid",
                    "رمز عبور تازه را همراه کد بفرستید.",
                    fields={"new_password": ["رمز عبور تازه الزامی است."]},
                )
            svc.account_password_reset_finish(
                challenge_id=challenge_id,
                code=code,
                new_password=new_password,
                ip=client_ip(request),
            )
            return Response({"password_reset": True})
        # login, and anything unknown (which otp_verify refuses like a wrong code)
        user = svc.account_otp_login_user(challenge_id=challenge_id, code=code)
        return Response({"token": svc.account_token_issue(user=user)})


class RegisterView(AnonymousAPIView):
    @extend_schema(
        request=RegisterSerializer,
        responses={201: RegisteredSerializer},
        summary="ثبت‌نام شخص حقیقی یا حقوقی؛ کد فعال‌سازی پیامک می‌شود",
    )
    def post(self, request: Request) -> Response:
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        kind = values.pop("kind")
        ip = client_ip(request)
        if kind == "natural":
            user, issued = svc.account_register_natural(
                **{name: values[name] for name in RegisterSerializer.NATURAL},
                nationality=values.get("nationality") or "ایرانی",
                password=values["password"],
                client_ip=ip,
            )
        else:
            user, issued = svc.account_register_legal(
                **{name: values[name] for name in RegisterSerializer.LEGAL},
                username=values.get("username") or None,
                password=values["password"],
                client_ip=ip,
            )
        return Response(
            {
                "challenge_id": str(issued.challenge.id),
                "expires_in": issued.expires_in,
                "username": user.username,
            },
            status=status.HTTP_201_CREATED,
        )


class LoginView(AnonymousAPIView):
    @extend_schema(
        request=LoginSerializer, responses={200: TokenSerializer}, summary="ورود با رمز؛ توکن"
    )
    def post(self, request: Request) -> Response:
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = svc.account_check_password(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            client_ip=client_ip(request),
        )
        return Response({"token": svc.account_token_issue(user=user)})


class LogoutView(APIView):
    authentication_classes = [PreparedTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="خروج: حذف توکن / پایان نشست")
    def post(self, request: Request) -> Response:
        svc.account_logout(request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    authentication_classes = [PreparedTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer}, summary="حساب من")
    def get(self, request: Request) -> Response:
        user: User = request.user
        return Response(
            MeSerializer(
                {
                    "kind": user.kind,
                    "username": user.username,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "display_name": user.display_name,
                    "national_code": svc.masked_national_code(user),
                    "mobile": user.mobile,
                    "mobile_verified": user.mobile_verified_at is not None,
                }
            ).data
        )


urlpatterns = [
    path("auth/otp/", OtpRequestView.as_view(), name="auth-otp"),
    path("auth/otp/verify/", OtpVerifyView.as_view(), name="auth-otp-verify"),
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("me/", MeView.as_view(), name="me"),
]
