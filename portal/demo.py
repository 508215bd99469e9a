"""Demo-data plumbing shared by every app's ``demo.py`` and ``manage.py seed_demo``.

A step is an idempotent function of a ``SeedContext``: it upserts rows on natural keys (so a
second run changes nothing) and draws random values only from ``ctx.rng`` (so one ``--seed``
always gives the same data).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


@dataclass
class SeedContext:
    rng: random.Random
    # Rows later steps build on, by the keys used in this module ("tabriz-electricity",
    # "tabriz-electricity/01").
    companies: dict[str, Any] = field(default_factory=dict)
    offices: dict[str, Any] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    touched_models: list[type[models.Model]] = field(default_factory=list)
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    # "demo" (default: a laptop-sized dataset) or "bench" (the benchmarks' volumes, e.g. 10 M
    # call records); steps that generate bulk rows read it.
    scale: str = "demo"

    def add_credentials(self, role: str, username: str, password: str) -> None:
        """Register a demo login so the summary prints it (the accounts step uses this)."""
        self.credentials.append((role, username, password))

    def _touch(self, model: type[models.Model], outcome: str) -> None:
        self.stats[outcome] += 1
        if model not in self.touched_models:
            self.touched_models.append(model)


def upsert(ctx: SeedContext, model: type[M], lookup: dict[str, Any], defaults: dict[str, Any]) -> M:
    """``update_or_create`` on a natural key that writes only when a value differs.

    Unlike ``update_or_create`` it leaves an unchanged row alone (no UPDATE, no new
    ``auto_now`` stamp), so a second run really changes nothing and the summary can say so.
    """
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **defaults)
        ctx._touch(model, "created")
        return obj
    changed = [name for name, value in defaults.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, defaults[name])
        auto_now = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        obj.save(update_fields=changed + auto_now)
        ctx._touch(model, "updated")
    else:
        ctx._touch(model, "unchanged")
    return obj


def set_m2m(manager, objs: Iterable[models.Model]) -> None:
    """Make a many-to-many relation hold exactly ``objs``, writing only the difference."""
    manager.set(list(objs))


class Step(NamedTuple):
    title: str
    run: Callable[[SeedContext], None]
