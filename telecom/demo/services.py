"""Demo step: the 16 fixed-line request types (the 15 services of seed 002).

They are not demo data: migration ``requests_app.0006_line_service_catalog`` creates them on
every install from its frozen spec, because ``telecom.services.line_services`` keys its rules
on their codes. This step only puts back the ones a flushed database lost (tests,
``manage.py flush``), from that same spec and through the same function, so there is one
catalog and one way to create it. It never changes an existing type; the demo adds nothing
of its own to them.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps

from portal.demo import SeedContext
from requests_app.models import RequestType

# A migration module's name starts with a digit, hence the import by name.
CATALOG = import_module("requests_app.migrations.0006_line_service_catalog")


def seed_line_services(ctx: SeedContext) -> None:
    """Create the missing line-service types (a second run changes nothing)."""
    created = CATALOG.create_line_services(apps)
    for outcome, count in (
        ("created", created),
        ("unchanged", len(CATALOG.LINE_SERVICES) - created),
    ):
        for _ in range(count):
            ctx._touch(RequestType, outcome)
