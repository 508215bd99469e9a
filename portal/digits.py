"""Digit normalisation between Persian, Arabic-Indic and ASCII.

Iranian users type numbers with whatever keyboard layout is active: Persian digits (U+06F0..U+06F9)
on a Persian layout, Arabic-Indic digits (U+0660..U+0669) on some phones, ASCII elsewhere. Every
identifier check, database lookup and comparison works on ASCII, so input is normalised once at the
edge (middleware, DRF parser, form fields) with the helpers below. This module is pure Python on
purpose: identifier checks and imports use it without Django.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["normalize_digits", "normalize_payload", "to_persian_digits"]

_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_ASCII_DIGITS = "0123456789"

_TO_ASCII = str.maketrans(_PERSIAN_DIGITS + _ARABIC_INDIC_DIGITS, _ASCII_DIGITS * 2)
_TO_PERSIAN = str.maketrans(_ASCII_DIGITS, _PERSIAN_DIGITS)

DEFAULT_SKIP_KEYS: tuple[str, ...] = ("password",)


def normalize_digits(value: Any) -> Any:
    """Return ``value`` with Persian and Arabic-Indic digits replaced by ASCII digits.

    Only the twenty non-ASCII digit code points are touched, so letters, punctuation and other
    scripts pass through untouched. Non-string values are returned unchanged so callers can pass
    whatever a form or JSON body holds (``None``, numbers, files) without type checks of their own.
    """
    if not isinstance(value, str):
        return value
    return value.translate(_TO_ASCII)


def to_persian_digits(value: Any) -> str:
    """Return ``str(value)`` with ASCII digits shown as Persian digits.

    Used for display only (template filter, SMS texts): stored data stays ASCII, and the reverse
    conversion is :func:`normalize_digits`. ``None`` becomes an empty string rather than the word
    "None", which is never what a Persian page should show.
    """
    if value is None:
        return ""
    return str(value).translate(_TO_PERSIAN)


def _is_skipped(key: Any, skip_keys: Iterable[str]) -> bool:
    """Tell whether a payload key names a secret whose exact characters must be preserved."""
    if not isinstance(key, str):
        return False
    lowered = key.lower()
    return any(skip.lower() in lowered for skip in skip_keys)


def normalize_payload(data: Any, skip_keys: Iterable[str] = DEFAULT_SKIP_KEYS) -> Any:
    """Recursively normalise digits in every string of a dict/list/tuple payload.

    Keys containing any of ``skip_keys`` (case-insensitive substring, so ``"password"`` also
    covers ``new_password1`` and ``old_password``) keep their value untouched: a password typed
    with Persian digits must stay exactly as typed, otherwise a user could never log in with it
    again once normalisation changed. Keys themselves are not rewritten. A new container is
    returned; the input is not mutated (Django's QueryDicts are immutable anyway).
    """
    skip = tuple(skip_keys)
    if isinstance(data, str):
        return normalize_digits(data)
    if isinstance(data, dict):
        return {
            key: value if _is_skipped(key, skip) else normalize_payload(value, skip)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [normalize_payload(item, skip) for item in data]
    if isinstance(data, tuple):
        return tuple(normalize_payload(item, skip) for item in data)
    return data
