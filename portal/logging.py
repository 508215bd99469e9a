"""Log redaction: no API key, OTP code, token or full national code in any log line.

The filter rewrites the formatted message of every record passing through a handler. It is a
second line of defence: code should already log masked values (identifiers.mask_*).
"""

from __future__ import annotations

import logging
import re

from portal.digits import normalize_digits

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Kavenegar puts the API key in the URL path: /v1/<key>/sms/send.json
    (re.compile(r"(api\.kavenegar\.com/v1/)[^/\s]+"), r"\1***"),
    (re.compile(r"(?i)\b(Token|Bearer)\s+[A-Za-z0-9._\-]{8,}"), r"\1 ***"),
    # key=value / key: value pairs for secrets
    (
        re.compile(
            r"(?i)\b(api[_-]?key|apikey|token|otp|code|password|secret)"
            r"(\s*[=:]\s*[\"']?)([^\s\"',&]+)"
        ),
        r"\1\2***",
    ),
    # "code 123456", "OTP 123456", "کد تایید ۱۲۳۴۵۶" written without a separator
    (re.compile(r"(?i)(\b(?:otp|code)|کد(?: تایید)?)(\s+)(\d{4,8})\b"), r"\1\2***"),
    # a bare 10-digit run that could be a national code
    (re.compile(r"(?<!\d)(\d{3})\d{4}(\d{3})(?!\d)"), r"\1****\2"),
    # an 11-digit mobile keeps its prefix and suffix only
    (re.compile(r"(?<!\d)(09\d{2})\d{4}(\d{3})(?!\d)"), r"\1****\2"),
]


def redact(text: str) -> str:
    text = normalize_digits(text)  # a national code typed in Persian digits is still one
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacts it, and freezes it (args cleared)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
