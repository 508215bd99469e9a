"""Open311 GeoReport v2 wire formats: the same data as JSON or as the spec's XML.

The spec names every XML element: a list under key ``endpoints`` holds ``<endpoint>`` items,
``formats`` holds ``<format>``, and so on; ``LIST_ITEMS`` is that table. The top-level list's
root and item names are given by each endpoint (``<services><service>``,
``<service_requests><request>``, ``<errors><error>``).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}

LIST_ITEMS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

# Characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, lone surrogates,
# U+FFFE/U+FFFF). Staff-typed text (an incident result, an outage reason) reaches the XML,
# and one stray control character would make the whole document unparseable for the client.
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _fill(element: ET.Element, value: Any, name: str) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child, key)
    elif isinstance(value, list | tuple):
        item_name = LIST_ITEMS.get(name, "item")
        for item in value:
            _fill(ET.SubElement(element, item_name), item, item_name)
    else:
        element.text = _text(value)


def to_xml(data: Any, *, root: str, item: str | None = None) -> bytes:
    """``data`` (a dict, or a list whose items become ``<item>``) under ``<root>``, UTF-8 with
    the XML declaration."""
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _fill(ET.SubElement(element, item or "item"), entry, item or "item")
    else:
        _fill(element, data, root)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(
    data: Any, *, fmt: str, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        body = to_xml(data, root=root, item=item)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(descriptions: list[str], *, status: int, fmt: str = "json") -> HttpResponse:
    """The spec's error list: ``[{code, description}]`` / ``<errors><error>``; ``code`` is the
    HTTP status, which the response carries as well."""
    fmt = fmt if fmt in FORMATS else "json"
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(errors, fmt=fmt, root="errors", item="error", status=status)
