"""Demo step (stub until its part of the telecom issue lands)."""

from portal.demo import SeedContext


def seed_call_records(ctx: SeedContext) -> None:
    """Stub."""
