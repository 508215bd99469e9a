"""Open311 API keys: created in admin (or by seed_demo), stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from outages.models import Open311ApiKey
from portal.errors import PortalError

PREFIX_LENGTH = 8


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def api_key_create(*, name: str, raw_key: str | None = None) -> tuple[Open311ApiKey, str]:
    """Create a key for the civic app ``name`` and return the row with the raw key.

    The raw key is a fresh ``secrets.token_urlsafe(32)`` unless ``raw_key`` is given (seed_demo
    passes its fixed, printed demo key). Only the first eight characters (to recognise the key
    in admin) and the SHA-256 digest are stored, so the raw key must be shown to the caller
    now: it cannot be recovered later. Raises ``PortalError`` on field ``name`` when the name
    is empty, and on field ``raw_key`` when a given key is too short or already registered.
    """
    name = (name or "").strip()
    if not name:
        message = "نام برنامه را وارد کنید."
        raise PortalError("required", message, fields={"name": [message]})
    if len(name) > Open311ApiKey._meta.get_field("name").max_length:
        message = "نام برنامه بیش از حد طولانی است."
        raise PortalError("invalid", message, fields={"name": [message]})
    if raw_key is None:
        raw_key = secrets.token_urlsafe(32)
    elif len(raw_key) < 16:
        message = "کلید باید دست‌کم ۱۶ نویسه باشد."
        raise PortalError("invalid", message, fields={"raw_key": [message]})
    key_hash = _digest(raw_key)
    if Open311ApiKey.objects.filter(key_hash=key_hash).exists():
        message = "این کلید پیش‌تر ثبت شده است."
        raise PortalError("duplicate", message, fields={"raw_key": [message]})
    row = Open311ApiKey.objects.create(name=name, prefix=raw_key[:PREFIX_LENGTH], key_hash=key_hash)
    return row, raw_key


def api_key_authenticate(*, raw_key: str) -> Open311ApiKey | None:
    """The active key whose digest matches ``raw_key``, or None (missing, unknown, revoked).

    The lookup compares digests in the database, so the time it takes says nothing about how
    much of a guessed key was right. Stamps ``last_used_at`` on success (one UPDATE, no
    ``save()`` so a concurrent admin edit of the row is not overwritten).
    """
    if not raw_key or not isinstance(raw_key, str):
        return None
    key = Open311ApiKey.objects.filter(key_hash=_digest(raw_key), is_active=True).first()
    if key is None:
        return None
    key.last_used_at = timezone.now()
    Open311ApiKey.objects.filter(pk=key.pk).update(last_used_at=key.last_used_at)
    return key
