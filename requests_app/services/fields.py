"""Validation of a request type's own fields (``RequestType.fields_schema``)."""

from __future__ import annotations

from typing import Any

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import PortalError


def fields_clean(*, schema: list[dict[str, Any]], data: Any) -> dict[str, Any]:
    """Return the cleaned values of ``data`` for ``schema`` or raise ``PortalError`` with one
    Persian message per bad field (keyed by the field's name). Unknown keys are dropped;
    Persian digits are accepted in numbers."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PortalError(
            "invalid_fields", "اطلاعات ویژه درخواست باید به صورت فهرست نام و مقدار باشد."
        )
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for item in schema:
        name, label, kind = item["name"], item["label"], item["kind"]
        raw = data.get(name)
        if isinstance(raw, str):
            raw = normalize_digits(raw).strip()
        if raw in (None, ""):
            if item.get("required"):
                errors[name] = [f"«{label}» را وارد کنید."]
            continue
        if kind == "integer":
            try:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError
                value = int(raw)
            except (TypeError, ValueError):
                errors[name] = [f"«{label}» باید عدد صحیح باشد."]
                continue
            low, high = item.get("min"), item.get("max")
            if low is not None and value < low:
                errors[name] = [f"«{label}» نباید کمتر از {to_persian_digits(low)} باشد."]
                continue
            if high is not None and value > high:
                errors[name] = [f"«{label}» نباید بیشتر از {to_persian_digits(high)} باشد."]
                continue
            cleaned[name] = value
        elif kind == "choice":
            allowed = {str(choice[0]): choice[0] for choice in item["choices"]}
            if str(raw) not in allowed:
                errors[name] = [f"گزینه انتخاب‌شده برای «{label}» معتبر نیست."]
                continue
            cleaned[name] = allowed[str(raw)]
        else:
            text = str(raw)
            limit = item.get("max_length", 500)
            if len(text) > limit:
                errors[name] = [f"«{label}» حداکثر {to_persian_digits(limit)} نویسه است."]
                continue
            cleaned[name] = text
    if errors:
        raise PortalError(
            "invalid_fields", "برخی اطلاعات درخواست نادرست یا ناقص است.", fields=errors
        )
    return cleaned


def fields_display(
    *, schema: list[dict[str, Any]], values: dict[str, Any]
) -> list[tuple[str, str]]:
    """(label, shown value) pairs in schema order, choice values shown by their labels."""
    rows = []
    for item in schema:
        if item["name"] not in values:
            continue
        value = values[item["name"]]
        if item["kind"] == "choice":
            value = next((c[1] for c in item["choices"] if str(c[0]) == str(value)), value)
        rows.append((item["label"], str(value)))
    return rows
