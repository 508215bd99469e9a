"""Read paths of the SMS outbox."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import OutboxMessage


def outbox_recent(
    *, recipient: str | None = None, kind: str | None = None, limit: int = 20
) -> QuerySet[OutboxMessage]:
    """The newest ``limit`` messages, optionally for one (normalised) recipient and kind."""
    queryset = OutboxMessage.objects.all()
    if recipient:
        queryset = queryset.filter(recipient=recipient)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-id")[:limit]


def outbox_latest_text(*, recipient: str, kind: str | None = None) -> str | None:
    """Full text of the newest message to ``recipient`` (e.g. to read an OTP in a browser test)."""
    message = outbox_recent(recipient=recipient, kind=kind, limit=1).first()
    return message.text if message else None
