"""Project-level pages: home, health check (also the benchmark baseline) and error pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from subscribers.selectors import reference as subscriber_selectors


def home(request: HttpRequest) -> HttpResponse:
    companies = subscriber_selectors.company_list()
    return render(request, "portal/home.html", {"companies": companies})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness probe with no database query; `make bench` uses it as the minimal-view baseline."""
    return JsonResponse({"status": "ok"})


_ERRORS = {
    400: ("درخواست نامعتبر", "اطلاعات ارسال‌شده قابل پردازش نبود. لطفاً دوباره تلاش کنید."),
    403: (
        "دسترسی مجاز نیست",
        "اجازه مشاهده این صفحه را ندارید. اگر فکر می‌کنید اشتباهی رخ داده، دوباره وارد شوید.",
    ),
    404: (
        "صفحه پیدا نشد",
        "صفحه یا موردی که به دنبال آن هستید وجود ندارد یا در دسترس شما نیست.",
    ),
}


def _error(request: HttpRequest, status: int) -> HttpResponse:
    title, explanation = _ERRORS[status]
    context = {"status": status, "title": title, "explanation": explanation}
    return render(request, "portal/error.html", context, status=status)


def bad_request(request, exception=None):
    return _error(request, 400)


def permission_denied(request, exception=None):
    return _error(request, 403)


def page_not_found(request, exception=None):
    return _error(request, 404)


def server_error(request):
    # Rendered without context processors or database access: whatever broke may be them.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
