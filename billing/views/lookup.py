"""The no-login history lookup (seed 001): bill ID (+ start year) → per period only the
consumption, the amount and whether it was paid. No name, address, mobile, bill or payment ID
and no link to a bill. Every submitted lookup counts against a per-IP hourly limit
(``settings.BILL_LOOKUP_PER_IP_HOUR``), malformed ones included, so the page cannot be used to
walk through bill IDs; an unknown bill ID answers like any other miss.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from billing.forms import NOT_FOUND_PUBLIC, HistoryForm
from billing.selectors.history import bill_history_public
from portal.errors import NotFound, RateLimited
from portal.http import client_ip
from subscribers.services.ratelimit import rate_limit_hit

LOOKUP_SCOPE = "bill-lookup"
LOOKUP_WINDOW = timedelta(hours=1)
RATE_LIMITED = (
    "تعداد جست‌وجوهای سوابق قبض از این نشانی بیش از حد مجاز است؛ یک ساعت دیگر دوباره تلاش کنید "
    "یا وارد سامانه شوید."
)


def lookup_limit(request: HttpRequest) -> None:
    """Count one lookup from this client; ``RateLimited`` past the hourly limit."""
    rate_limit_hit(
        scope=LOOKUP_SCOPE,
        key=client_ip(request) or "-",
        limit=settings.BILL_LOOKUP_PER_IP_HOUR,
        window=LOOKUP_WINDOW,
        message=RATE_LIMITED,
    )


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    bound = "bill_id" in request.GET
    form = HistoryForm(request.GET if bound else None)
    context = {"form": form, "result": None, "limited": ""}
    status, retry_after = 200, None
    if bound:
        try:
            lookup_limit(request)
        except RateLimited as exc:
            context["limited"], status, retry_after = exc.message, 429, exc.retry_after
        else:
            if not form.is_valid():
                status = 400
            else:
                try:
                    context["result"] = bill_history_public(
                        bill_id=form.cleaned_data["bill_id"],
                        from_year=form.cleaned_data["from_year"],
                    )
                    context["from_year"] = form.cleaned_data["from_year"]
                except NotFound:
                    form.not_found(NOT_FOUND_PUBLIC)
                    status = 404
    response = render(request, "billing/lookup.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


urlpatterns = [
    path("bills/lookup/", lookup, name="lookup"),
]
