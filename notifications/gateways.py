"""SMS gateways behind one interface: console (development default) and Kavenegar.

A gateway sends and reports; it knows nothing about the outbox. Errors come out as
``TransientSmsError`` (worth retrying: timeouts, connection errors, 5xx, provider busy 409,
unreadable responses) or ``PermanentSmsError`` (every other provider refusal), each carrying a
Persian ``reason`` that the outbox row keeps.

kavenegar 1.1.2's ``KavenegarAPI`` sends without a timeout (a stalled call blocks a worker
forever) and prints its API key in ``repr()``; the key is also part of every URL.
``KavenegarClient`` below mirrors its URL scheme and response handling with connect/read
timeouts, and keeps the key out of reprs, exception messages and logs.
"""

from __future__ import annotations

import json
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from kavenegar import APIException, HTTPException

from notifications.texts import template_preview
from portal.identifiers import mask_mobile

logger = logging.getLogger(__name__)

# Kavenegar's sms_sendarray accepts at most 200 messages per call.
BATCH_LIMIT = 200
# verify_lookup parameters; token10/token20 may contain spaces, the others may not (error 431).
TEMPLATE_TOKEN_KEYS = ("token", "token2", "token3", "token10", "token20")
SPACELESS_TOKEN_KEYS = ("token", "token2", "token3")


class SmsGatewayError(Exception):
    """The provider did not take the message; ``reason`` is stored on the outbox row."""

    transient = False

    def __init__(self, reason: str, *, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientSmsError(SmsGatewayError):
    """Try again later: the provider was unreachable, slow, busy, or answered garbage."""

    transient = True


class PermanentSmsError(SmsGatewayError):
    """Retrying cannot help (invalid number, no credit, unknown template…)."""


class SmsGateway(ABC):
    """One way of sending SMS. Every method returns the provider's message id(s)."""

    name: str

    @abstractmethod
    def send_text(self, *, recipient: str, text: str) -> str:
        """Send one plain-text message."""

    @abstractmethod
    def send_template(self, *, recipient: str, template: str, tokens: Mapping[str, str]) -> str:
        """Send a provider-side template (Kavenegar verify_lookup), e.g. the OTP."""

    @abstractmethod
    def send_text_batch(self, *, messages: Sequence[tuple[str, str]]) -> list[str]:
        """Send up to ``BATCH_LIMIT`` (recipient, text) pairs in one call, ids in the same order."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class ConsoleGateway(SmsGateway):
    """Development gateway: no network; the text goes to the log and stays on the outbox row.

    The log passes through the redaction filter, which masks national codes and mobile numbers,
    and template tokens (OTP codes) are starred before logging, so the readable copy is the
    outbox row itself: ``python manage.py sms_outbox`` prints it in full.
    """

    name = "console"

    def send_text(self, *, recipient: str, text: str) -> str:
        message_id = f"console-{uuid.uuid4().hex[:16]}"
        logger.info("SMS (console) %s to %s: %s", message_id, mask_mobile(recipient), text)
        return message_id

    def send_template(self, *, recipient: str, template: str, tokens: Mapping[str, str]) -> str:
        # Template tokens are secrets (the OTP code): the log gets the text with the tokens
        # starred; the full text is on the outbox row (``sms_outbox`` prints it).
        masked = template_preview(template, dict.fromkeys(tokens, "***"))
        return self.send_text(recipient=recipient, text=masked)

    def send_text_batch(self, *, messages: Sequence[tuple[str, str]]) -> list[str]:
        _check_batch_size(messages)
        return [self.send_text(recipient=r, text=t) for r, t in messages]


# --------------------------------------------------------------------------------------------
# Kavenegar
# --------------------------------------------------------------------------------------------


class KavenegarAPIError(APIException):
    """Kavenegar answered with ``return.status`` other than 200."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"APIException[{status}] {message}")
        self.status = status
        self.message = message


class KavenegarHTTPError(HTTPException):
    """Transport failure or a response that is not Kavenegar's JSON envelope."""


class _Secret:
    """Holds the API key; every textual form of it is ``***`` (debuggers, Sentry locals)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


class KavenegarClient:
    """``kavenegar.KavenegarAPI`` with timeouts and a key that never leaves the URL.

    Same URL scheme (``https://api.kavenegar.com/v1/{apikey}/{action}/{method}.json``), same
    form-encoded POST and the same envelope handling: ``return.status == 200`` gives
    ``entries``; any other status raises ``KavenegarAPIError`` (a subclass of the SDK's
    ``APIException``, with ``status`` and a decoded ``message``); transport errors and non-JSON
    bodies raise ``KavenegarHTTPError`` (a subclass of ``HTTPException``). Exceptions are raised
    ``from None`` and scrubbed, because requests' own messages contain the URL, hence the key.
    """

    host = "api.kavenegar.com"
    version = "v1"
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "charset": "utf-8",
    }

    def __init__(self, apikey: str, *, connect_timeout: float, read_timeout: float) -> None:
        if not apikey:
            raise ImproperlyConfigured("KAVENEGAR_API_KEY is not set.")
        self._apikey = _Secret(apikey)
        self.timeout = (connect_timeout, read_timeout)

    def __repr__(self) -> str:
        return f"<KavenegarClient apikey=*** timeout={self.timeout}>"

    __str__ = __repr__

    def _scrub(self, text: str) -> str:
        return text.replace(self._apikey.reveal(), "***")

    def request(self, action: str, method: str, params: Mapping[str, str]) -> Any:
        try:
            response = requests.post(
                f"https://{self.host}/{self.version}/{self._apikey.reveal()}/{action}/{method}.json",
                headers=self.headers,
                data=params,
                timeout=self.timeout,
            )
        except requests.exceptions.RequestException as exc:
            raise KavenegarHTTPError(self._scrub(f"{type(exc).__name__}: {exc}")) from None
        try:
            payload = json.loads(response.content.decode("utf-8"))
            status = int(payload["return"]["status"])
            message = str(payload["return"]["message"])
        except (ValueError, KeyError, TypeError):  # UnicodeDecodeError is a ValueError
            raise KavenegarHTTPError(
                f"invalid response from Kavenegar (HTTP {response.status_code})"
            ) from None
        if status != 200:
            raise KavenegarAPIError(status, self._scrub(message))
        return payload.get("entries")

    def sms_send(self, params: Mapping[str, str]) -> Any:
        return self.request("sms", "send", params)

    def sms_sendarray(self, params: Mapping[str, str]) -> Any:
        return self.request("sms", "sendarray", params)

    def verify_lookup(self, params: Mapping[str, str]) -> Any:
        return self.request("verify", "lookup", params)


# Persian reasons for the codes we expect; any other code keeps Kavenegar's own message.
KAVENEGAR_REASONS: dict[int, str] = {
    400: "پارامترهای درخواست ناقص است",
    401: "حساب کاربری کاوه‌نگار غیرفعال است",
    403: "کلید API کاوه‌نگار معتبر نیست",
    409: "سرور کاوه‌نگار موقتاً مشغول است",
    411: "شماره گیرنده معتبر نیست",
    412: "شماره فرستنده معتبر نیست",
    413: "متن پیامک خالی یا بیش از حد طولانی است",
    414: "تعداد گیرندگان بیش از حد مجاز است",
    418: "اعتبار حساب پیامک کافی نیست",
    419: "طول آرایه‌های ارسال گروهی برابر نیست",
    422: "متن پیامک نویسه نامعتبر دارد",
    424: "الگوی پیامک یافت نشد یا هنوز تایید نشده است",
    431: "پارامتر الگو فاصله یا جداکننده دارد",
    432: "پارامتر token در متن الگو تعریف نشده است",
}


def _is_transient_status(status: int) -> bool:
    # 409 is Kavenegar's "server busy, try later"; 5xx are server-side. Every other refusal
    # (4xx) is about this request and would fail the same way again.
    return status == 409 or status >= 500


class KavenegarGateway(SmsGateway):
    """Sends through Kavenegar: sms_send, sms_sendarray (≤200) and verify_lookup (templates)."""

    name = "kavenegar"

    def __init__(
        self,
        *,
        apikey: str,
        sender: str,
        otp_template: str,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self._client = KavenegarClient(
            apikey, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        self.sender = sender
        self.otp_template = otp_template

    def __repr__(self) -> str:
        return f"<KavenegarGateway sender={self.sender!r} client={self._client!r}>"

    def provider_template(self, template: str) -> str:
        """Our template names are local slugs; the OTP one is named by the settings."""
        return {"otp": self.otp_template}.get(template, template)

    def send_text(self, *, recipient: str, text: str) -> str:
        params = {"receptor": recipient, "message": text}
        if self.sender:
            params["sender"] = self.sender
        return _message_ids(self._call(self._client.sms_send, params), 1)[0]

    def send_template(self, *, recipient: str, template: str, tokens: Mapping[str, str]) -> str:
        params = {"receptor": recipient, "template": self.provider_template(template)}
        params.update({k: str(v) for k, v in tokens.items()})
        return _message_ids(self._call(self._client.verify_lookup, params), 1)[0]

    def send_text_batch(self, *, messages: Sequence[tuple[str, str]]) -> list[str]:
        _check_batch_size(messages)
        if not self.sender:
            raise PermanentSmsError(
                "شماره فرستنده (KAVENEGAR_SENDER) برای ارسال گروهی تنظیم نشده است"
            )
        params = {
            "receptor": json.dumps([r for r, _ in messages]),
            "sender": json.dumps([self.sender] * len(messages)),
            "message": json.dumps([t for _, t in messages], ensure_ascii=False),
        }
        return _message_ids(self._call(self._client.sms_sendarray, params), len(messages))

    def _call(self, method: Callable[[Mapping[str, str]], Any], params: Mapping[str, str]) -> Any:
        try:
            return method(params)
        except KavenegarAPIError as exc:
            reason = f"{exc.status}: {KAVENEGAR_REASONS.get(exc.status, exc.message)}"
            if _is_transient_status(exc.status):
                raise TransientSmsError(reason, code=exc.status) from None
            raise PermanentSmsError(reason, code=exc.status) from None
        except KavenegarHTTPError as exc:
            raise TransientSmsError(f"خطای ارتباط با کاوه‌نگار: {exc}") from None


def _message_ids(entries: Any, expected: int) -> list[str]:
    """Message ids from ``entries`` (a list of dicts, or one dict), padded with "" if short.

    A 200 answer means the provider accepted the messages, so a short or odd ``entries`` must
    not turn into an error that would make us send again; the caller logs the gap.
    """
    if isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        entries = []
    ids = [str(e.get("messageid", "")) if isinstance(e, Mapping) else "" for e in entries]
    if len(ids) < expected:
        logger.warning("Kavenegar returned %d entries for %d messages", len(ids), expected)
    return (ids + [""] * expected)[:expected]


def _check_batch_size(messages: Sequence[tuple[str, str]]) -> None:
    if not 1 <= len(messages) <= BATCH_LIMIT:
        raise ValueError(f"a batch holds 1..{BATCH_LIMIT} messages, got {len(messages)}")


def get_gateway() -> SmsGateway:
    """The gateway named by ``settings.SMS_BACKEND`` (read on every call, so tests can switch)."""
    backend = settings.SMS_BACKEND
    if backend == "console":
        return ConsoleGateway()
    if backend == "kavenegar":
        return KavenegarGateway(
            apikey=settings.KAVENEGAR_API_KEY,
            sender=settings.KAVENEGAR_SENDER,
            otp_template=settings.KAVENEGAR_OTP_TEMPLATE,
            connect_timeout=settings.SMS_CONNECT_TIMEOUT,
            read_timeout=settings.SMS_READ_TIMEOUT,
        )
    raise ImproperlyConfigured(f"Unknown SMS_BACKEND {backend!r}: use 'console' or 'kavenegar'.")
