"""The full bill print: GET /bills/<uid>/pdf/ downloads the bill as PDF (seed 000).

The bill is fetched through ``bill_get_for_user``, so another subscriber's bill, a tenant's
bill outside the lease and every bill for staff answer 404 like a missing one. During a kiosk
session ``request.user`` is the citizen and the print is audited with the operator as actor.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from billing.pdf import bill_filename, bill_print
from portal.errors import NotFound
from portal.http import client_ip


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF download that no shared cache keeps (it holds an address and amounts)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def bill_pdf(request: HttpRequest, uid) -> HttpResponse:
    try:
        bill, pdf = bill_print(
            user=request.user,
            uid=uid,
            operator=getattr(request, "operator", None),
            kiosk_session=getattr(request, "kiosk_session", None),
            ip=client_ip(request),
        )
    except NotFound:
        raise Http404 from None
    return pdf_response(pdf, bill_filename(bill))


urlpatterns = [
    path("bills/<uuid:uid>/pdf/", bill_pdf, name="bill-pdf"),
]
