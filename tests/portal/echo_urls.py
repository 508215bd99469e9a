"""A URLconf with echo views, for testing project-wide middleware and API conventions."""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from portal.errors import PortalError, RateLimited


def echo(request):
    return JsonResponse({"get": request.GET.dict(), "post": request.POST.dict()})


class _Form(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField()


@api_view(["POST"])
@permission_classes([AllowAny])
def api_echo(request):
    serializer = _Form(data=request.data)
    serializer.is_valid(raise_exception=True)
    return Response({"data": serializer.validated_data, "raw": request.data})


@api_view(["GET"])
@permission_classes([AllowAny])
def api_domain_error(request):
    raise PortalError("bill_unpaid", "ابتدا بدهی قبلی را پرداخت کنید.")


@api_view(["GET"])
@permission_classes([AllowAny])
def api_rate_limited(request):
    raise RateLimited("تعداد درخواست‌ها زیاد است؛ ۶۰ ثانیه دیگر تلاش کنید.", retry_after=60)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def api_private(request):
    return Response({"ok": True})


def boom(request):
    raise RuntimeError("unexpected")


urlpatterns = [
    path("echo/", echo),
    path("api/echo/", api_echo),
    path("api/domain-error/", api_domain_error),
    path("api/rate-limited/", api_rate_limited),
    path("api/private/", api_private),
    path("boom/", boom),
    path("", include("portal.urls")),
]
