"""Demo step (stub until its part of the telecom issue lands)."""

from portal.demo import SeedContext


def seed_line_services(ctx: SeedContext) -> None:
    """Stub."""
