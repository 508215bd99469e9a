"""Request facts shared by services' callers."""

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind the production proxy the first X-Forwarded-For hop is
    the client (SECURE_PROXY_SSL_HEADER already trusts that proxy); elsewhere REMOTE_ADDR."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
