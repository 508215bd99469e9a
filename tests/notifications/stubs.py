"""Kavenegar at the HTTP layer (for `responses`) and Celery config overrides, shared by tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from urllib.parse import parse_qs

from portal.celery import app as celery_app

# Distinctive, so "not in logs / messages / repr" cannot pass by accident.
API_KEY = "7A3F9C2E5B1D4A6F8E0C2B4D6F8A0C2E4B6D8F0A"
SENDER = "10008663"
BASE = f"https://api.kavenegar.com/v1/{API_KEY}"
SEND_URL = f"{BASE}/sms/send.json"
SENDARRAY_URL = f"{BASE}/sms/sendarray.json"
LOOKUP_URL = f"{BASE}/verify/lookup.json"
MOBILE = "09121234567"
CLOSED_BROKER = "redis://127.0.0.1:6390/0"

_message_ids = count(8_792_343)


def ok_body(*receptors: str) -> dict:
    """Kavenegar's success envelope with one entry (and a fresh messageid) per receptor."""
    return {
        "return": {"status": 200, "message": "تایید شد"},
        "entries": [
            {
                "messageid": next(_message_ids),
                "message": "...",
                "status": 1,
                "statustext": "در صف ارسال",
                "sender": SENDER,
                "receptor": receptor,
                "date": 1732240000,
                "cost": 120,
            }
            for receptor in (receptors or (MOBILE,))
        ],
    }


def error_body(status: int, message: str = "خطا") -> dict:
    return {"return": {"status": status, "message": message}, "entries": None}


def form(call) -> dict[str, str]:
    """The form fields of one request recorded by `responses`."""
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def sendarray_callback(request):
    """Answer sms_sendarray with one entry per receptor, like the real API."""
    receptors = json.loads(parse_qs(request.body)["receptor"][0])
    return 200, {}, json.dumps(ok_body(*receptors))


@contextmanager
def celery_config(**overrides) -> Iterator[None]:
    """Temporarily override the project Celery app's config; connection pools are rebuilt."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in overrides}

    def reset_pools() -> None:
        # Drop the app's references only: kombu keeps pools in a global registry keyed by the
        # broker URL, so closing one here would break the next test that uses that URL.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    reset_pools()
    conf.update(overrides)
    try:
        yield
    finally:
        conf.update(saved)
        reset_pools()
