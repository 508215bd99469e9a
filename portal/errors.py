"""The portal's one domain error.

Services raise ``PortalError``; the API exception handler turns it into
``{"error": {"code", "message", "fields"}}`` and HTML views into a Persian flash message.
"""

from __future__ import annotations


class PortalError(Exception):
    """A domain rule refused the operation; ``message`` is Persian and shown to the user."""

    status_code = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class NotFound(PortalError):
    """Missing or not yours: both answer 404 so existence is never revealed."""

    status_code = 404

    def __init__(self, message: str = "مورد درخواستی یافت نشد.") -> None:
        super().__init__("not_found", message)


class RateLimited(PortalError):
    """Over a limit: HTTP 429 with a Persian message saying when to retry."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__("rate_limited", message)
        self.retry_after = retry_after
