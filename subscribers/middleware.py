"""On-behalf-of sessions for kiosk operators (placeholder: the kiosk work fills this in)."""

from django.http import HttpRequest, HttpResponse


class OnBehalfMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
