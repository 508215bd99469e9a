"""Querysets compiled once and run many times with other values: prepared statements for the
reads made on every request of a hot endpoint (the call search's page, the bill history's
access check, the API token).

Building and compiling an ORM statement costs several times what PostgreSQL needs to run a
one-line, one-month index range. So the queryset is built once per process, database and
shape with placeholder values no request can have, compiled, and each request runs that SQL
with its own values in the placeholders' positions. ``statement_prepare`` checks that every
placeholder reached the parameters and none the SQL text, so a queryset that inlined a value
fails loudly instead of running with a placeholder.

Values must be passed as the backend adapts them, like the placeholders were
(``connection.ops.adapt_datetimefield_value`` and friends): SQLite passes dates as text.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from django.db import connections


@dataclass(frozen=True)
class PreparedStatement:
    alias: str
    sql: str
    # Per parameter: (name, None) for a placeholder, (None, value) for a constant.
    slots: tuple[tuple[Hashable | None, object], ...]
    compiler: object  # the SQLCompiler whose converters turn rows into Python values
    converters: dict

    def fetch(self, values: Mapping[Hashable, object]) -> list[tuple]:
        """The rows for ``values`` (a value per placeholder name), converted as the ORM would."""
        params = [values[name] if name is not None else value for name, value in self.slots]
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]


def statement_prepare(
    *,
    alias: str,
    sql: str,
    params: Iterable,
    compiler,
    placeholders: Mapping[object, Hashable],
    texts: Iterable[str] = (),
) -> PreparedStatement:
    """``sql``/``params`` compiled with ``placeholders`` (adapted placeholder value → name) as a
    ``PreparedStatement``. ``RuntimeError`` when a placeholder is missing from the parameters
    or one of ``texts`` (the placeholders as text) appears in the SQL."""
    slots = tuple(
        (placeholders[p], None) if _hashable(p) and p in placeholders else (None, p) for p in params
    )
    found = {name for name, _value in slots if name is not None}
    missing = set(placeholders.values()) - found
    leaked = [text for text in texts if text in sql]
    if missing or leaked:
        raise RuntimeError(
            f"statement did not take its placeholders (missing {sorted(map(str, missing))}, "
            f"in the SQL text {leaked}): {sql}"
        )
    converters = compiler.get_converters([column[0] for column in compiler.select])
    return PreparedStatement(
        alias=alias, sql=sql, slots=slots, compiler=compiler, converters=converters
    )


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    # bool is an int: never let True/False stand for an integer placeholder.
    return not isinstance(value, bool)
