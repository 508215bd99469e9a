"""The ``history-minimal`` baseline of the bill-history scenario (TARGETS.md: "bill/consumption
history with 120 periods: ≥60% of the minimal-view baseline throughput").

``GET /bench/minimal/billing/history/<subscription_id>/?from_year=`` is a bare DRF ``APIView``
that returns the same subscription's issued bills from the same start year as the real history
API, newest first, through the same index, as ``values()`` rows: no authentication, access
check, cache, payments, payable bill, chart, Jalali text or labels. The bench URLconf mounts
``urlpatterns`` (benchmark server only; only 127.0.0.1 can reach it) and ``bench.prepare_billing
.history_minimal`` names the path.
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import Bill

MINIMAL_FIELDS = (
    "uid",
    "year",
    "period",
    "kind",
    "period_start",
    "period_end",
    "previous_reading",
    "current_reading",
    "consumption",
    "amount",
    "due_date",
    "paid_amount",
)


class MinimalHistoryView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request, subscription_id: int) -> Response:
        from_year = int(request.query_params.get("from_year", 1300))
        rows = (
            Bill.objects.filter(
                subscription_id=subscription_id, status=Bill.Status.ISSUED, year__gte=from_year
            )
            .order_by("-year", "-period", "-version", "-pk")
            .values(*MINIMAL_FIELDS)
        )
        return Response({"periods": list(rows)})


urlpatterns = [
    path(
        "bench/minimal/billing/history/<int:subscription_id>/",
        MinimalHistoryView.as_view(),
        name="bench-minimal-history",
    ),
]
