"""URLconf of the benchmark server (``bench.settings``): the portal's own URLs plus the minimal
views some scenarios are measured against. Never part of the portal itself.

``GET /bench/minimal/calls/<line_id>/?start=&end=`` is the ``cdr-minimal`` baseline
(TARGETS.md: "a bare DRF view over 10 M rows"): a bare DRF ``APIView`` that returns the
newest 50 listed calls of one line in ``[start, end)`` through the same partitioned table and
the same ``callrecord_line_started`` index as the real search, as ``values()`` — no
authentication, access check, filter parsing, rate limit, audit row, cursors or Jalali text.
``bench/minimal_billing.py`` adds the ``history-minimal`` baseline of ``bill-history``. Only
127.0.0.1 can reach the benchmark server.
"""

import datetime as dt

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.minimal_billing import urlpatterns as billing_minimal_urlpatterns
from portal.urls import handler400, handler403, handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns
from telecom.models import LISTED_CALL_TYPES, CallRecord

MINIMAL_FIELDS = ("id", "started_at", "other_number", "call_type", "duration_s", "cost_rial")


class MinimalCallsView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request, line_id: int) -> Response:
        start = dt.datetime.fromisoformat(request.query_params["start"])
        end = dt.datetime.fromisoformat(request.query_params["end"])
        rows = (
            CallRecord.objects.filter(
                line_id=line_id,
                started_at__gte=start,
                started_at__lt=end,
                call_type__in=[str(t.value) for t in LISTED_CALL_TYPES],
            )
            .order_by("-started_at", "-id")
            .values(*MINIMAL_FIELDS)[:50]
        )
        return Response({"results": list(rows)})


urlpatterns = [
    path("bench/minimal/calls/<int:line_id>/", MinimalCallsView.as_view(), name="bench-minimal"),
    *billing_minimal_urlpatterns,  # bill-history's baseline (bench/minimal_billing.py)
    *portal_urlpatterns,
]
