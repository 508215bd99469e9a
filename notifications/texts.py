"""SMS texts are Django templates: ``templates/sms/<name>.txt`` rendered without HTML escaping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template

_NAME_RE = re.compile(r"[a-z0-9_]{1,64}")


def sms_template_path(name: str) -> str:
    """Return ``sms/<name>.txt``; the name is a plain slug so it can never leave ``sms/``."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"invalid SMS template name: {name!r}")
    return f"sms/{name}.txt"


def render_sms(name: str, context: Mapping[str, Any]) -> str:
    """Render ``templates/sms/<name>.txt`` with autoescape off and outer whitespace stripped.

    HTML escaping is wrong for a text message ("&" would arrive as "&amp;"), so the compiled
    template is rendered with a plain ``Context(autoescape=False)``; the engine's builtins
    (Persian digits, Jalali dates) are still available. Raises ``TemplateDoesNotExist``.
    """
    template = get_template(sms_template_path(name))
    return template.template.render(Context(dict(context), autoescape=False)).strip()


def template_preview(template: str, tokens: Mapping[str, str]) -> str:
    """The full text a provider-side template (Kavenegar verify_lookup) will produce.

    Uses the local copy ``templates/sms/<template>.txt`` with the tokens as context; without a
    local copy the template name and token values are joined so the text is never empty.
    """
    try:
        return render_sms(template, tokens)
    except (TemplateDoesNotExist, ValueError):
        return " ".join([f"[{template}]", *(str(v) for v in tokens.values())])
