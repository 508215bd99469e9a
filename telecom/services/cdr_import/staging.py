"""PostgreSQL text staging path: any column order and extra columns. ``COPY`` into an UNLOGGED
table of text columns, one aggregate pass validating every row in SQL and grouping by month,
then new months built as partitions and existing months inserted into the parent."""

from __future__ import annotations

import time
import uuid

import psycopg2
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from subscribers.models import User
from telecom.models import CallType, CdrImport
from telecom.services.cdr_import.common import (
    COPY_CHUNK,
    EARLIEST_CALL,
    MAX_COST_DIGITS,
    MAX_DURATION_S,
    MAX_REPORTED_ERRORS,
    CdrImportResult,
    _ambiguous_windows,
    _bounds,
    _Fallback,
    _finish,
    _Issues,
    _register,
    _Source,
)
from telecom.services.partitions import _LOCK_KEY, TABLE, partition_name, partitions_existing


# The fast path's acceptance test: the canonical spellings of ``_Parser``'s rules, checked
# without regular expressions (a regex costs ~1 µs a row, ten times a translate + hash probe).
# A start time's digits are replaced by "d" and the shape looked up in these sets.
def _time_shapes() -> tuple[list[str], list[str]]:
    times = ["dd:dd", "dd:dd:dd"] + ["dd:dd:dd." + "d" * k for k in range(1, 7)]
    offsets = ["Z", "+dd", "-dd", "+dddd", "-dddd", "+dd:dd", "-dd:dd"]
    naive = [f"dddd-dd-dd{sep}{t}" for sep in ("T", " ") for t in times]
    return naive, [shape + off for shape in naive for off in offsets]


_NAIVE_SHAPES, _OFFSET_SHAPES = _time_shapes()
_SHAPE = "translate(st.started_at, '0123456789', 'dddddddddd')"
# Naive times are Tehran wall-clock time; with an offset they are what they say. (The session
# time zone stays UTC: Django reads timestamps back assuming it.) PostgreSQL reads hour 24 as
# the next midnight and second 60 as a leap second; the Python rules do not, so both are
# refused here too.
_SQL_STARTED_AT = (
    f"CASE WHEN substr(st.started_at, 12, 2) = '24' OR strpos(st.started_at, ':60') > 0 "
    "THEN NULL "
    f"WHEN {_SHAPE} = ANY(%s) THEN st.started_at::timestamp AT TIME ZONE 'Asia/Tehran' "
    f"WHEN {_SHAPE} = ANY(%s) THEN st.started_at::timestamptz END"
)


def _copy_path(
    source: _Source,
    index: dict[str, int],
    office_id: int | None,
    actor: User | None,
    file_name: str,
    result: CdrImportResult,
    *,
    canonical: bool,
    line_map: list[int] | None = None,
) -> None:
    """The set-based path (see the module docstring). Raises ``_Fallback`` (nothing written)
    when any row is not in canonical form or not valid."""
    if not canonical and not source.is_ascii():
        raise _Fallback  # Persian digits or labels: normalise in Python first
    width = index["_width"]
    names = {position: name for name, position in index.items() if not name.startswith("_")}
    columns = [names.get(position, f"extra_{position}") for position in range(width)]
    stage = f"cdr_stage_{uuid.uuid4().hex[:12]}"
    phases = result.phases
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            record = _register(source.sha256, file_name, actor)
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            tick = time.perf_counter()
            column_sql = ", ".join(f'"{c}" text' for c in columns)
            cursor.execute(
                f"CREATE UNLOGGED TABLE {stage} "
                f"(n bigint GENERATED ALWAYS AS IDENTITY, {column_sql})"
            )
            column_list = ", ".join(f'"{c}"' for c in columns)
            try:
                with transaction.atomic(), source.open() as handle:
                    cursor.cursor.copy_expert(
                        f"COPY {stage} ({column_list}) FROM STDIN WITH (FORMAT csv, HEADER true)",
                        handle,
                        size=COPY_CHUNK,
                    )
            except (DatabaseError, psycopg2.Error):
                # A row with too few or too many cells, a blank line, bad quoting or bad
                # UTF-8: the Python validator reports it by line.
                raise _Fallback from None
            cursor.execute(f"ANALYZE {stage}")  # a sample: the planner then hashes the lines
            phases["copy_stage"] = time.perf_counter() - tick
            _load(cursor, stage, office_id, record, result)
            _finish(record, result, actor)
    except _StoredConflicts as conflicts:
        issues = _Issues(result)
        for n in conflicts.rows:
            line = line_map[n] if line_map else n + 1
            issues.add(
                line,
                "",
                "این تماس (همین خط، زمان و شماره طرف مقابل) پیش‌تر با نوع، مدت یا هزینه دیگری "
                "ثبت شده است؛ ریزمکالمات ثبت‌شده با بارگذاری تغییر نمی‌کنند.",
            )
        result.error_count = max(result.error_count, conflicts.total)
        return
    result.path = "copy-canonical" if canonical else "copy"


class _StoredConflicts(Exception):
    def __init__(self, rows: list[int], total: int) -> None:
        self.rows = rows
        self.total = total


def _typed_select(stage: str, office_id: int | None) -> tuple[str, list]:
    """Rows of the staging table as CallRecord columns (line resolved), the row number and an
    ``ok`` flag for the text checks. ``OFFSET 0`` keeps the subquery from being flattened, so
    each row's conversions run once however often the caller refers to them."""
    params: list = [_NAIVE_SHAPES, _OFFSET_SHAPES]
    office_join = ""
    if office_id is not None:
        office_join = (
            " JOIN subscribers_subscription sub ON sub.id = pl.subscription_id "
            "AND sub.office_id = %s"
        )
        params.append(office_id)
    digits = "translate({}, '0123456789', '') = ''"
    other = (
        "length(st.other_number) BETWEEN 2 AND 20 AND ("
        + digits.format("st.other_number")
        + " OR (left(st.other_number, 1) = '+' AND length(st.other_number) >= 3 AND "
        + digits.format("substr(st.other_number, 2)")
        + "))"
    )
    types = ", ".join(f"'{v}'" for v in CallType.values)
    sql = (
        f"SELECT st.n, l.id AS line_id, {_SQL_STARTED_AT} AS started_at, "  # noqa: S608
        "st.other_number, st.call_type, "
        f"CASE WHEN length(st.duration_s) BETWEEN 1 AND 5 AND {digits.format('st.duration_s')} "
        "THEN st.duration_s::integer END AS duration_s, "
        f"CASE WHEN length(st.cost_rial) BETWEEN 1 AND {MAX_COST_DIGITS} AND "
        f"{digits.format('st.cost_rial')} THEN st.cost_rial::bigint END AS cost_rial, "
        f"({other} AND st.call_type IN ({types})) AS ok "
        f"FROM {stage} st LEFT JOIN (SELECT pl.id, pl.number FROM telecom_phoneline pl"
        f"{office_join}) l ON l.number = st.line OFFSET 0"
    )
    return sql, params


def _load(cursor, stage: str, office_id: int | None, record: CdrImport, result) -> None:
    phases = result.phases
    tick = time.perf_counter()
    typed, params = _typed_select(stage, office_id)
    # A naive time in an hour that happened twice: PostgreSQL and the Python rules disagree
    # on which instant it is, so the exact validator decides (see ``_ambiguous_windows``).
    windows = _ambiguous_windows(timezone.now().year + 1)
    in_ambiguous = " OR ".join(["(t.started_at >= %s AND t.started_at < %s)"] * len(windows))
    window_bounds = [moment for window in windows for moment in window]
    latest_window = windows[-1][1] if windows else EARLIEST_CALL
    in_ambiguous = in_ambiguous or "false"
    # Valid rows have a start time inside the range and a duration within the limit; group
    # by partition month in the same pass (a hash aggregate over a dozen groups).
    try:
        with transaction.atomic():
            cursor.execute(
                f"""
                SELECT date_trunc('month', t.started_at AT TIME ZONE 'UTC') AS month,
                       count(*), min(t.started_at), max(t.started_at),
                       count(*) FILTER (WHERE NOT coalesce(
                           t.ok AND t.line_id IS NOT NULL AND t.started_at >= %s
                           AND t.started_at <= now() + interval '1 day'
                           AND t.duration_s <= %s AND t.cost_rial IS NOT NULL
                           AND (t.started_at >= %s OR NOT ({in_ambiguous})), false))
                FROM ({typed}) t
                GROUP BY 1
                """,  # noqa: S608
                [EARLIEST_CALL, MAX_DURATION_S, latest_window, *window_bounds, *params],
            )
            groups = cursor.fetchall()
    except DatabaseError:
        raise _Fallback from None  # e.g. 2026-02-30: well-formed but not a date
    phases["validate_sql"] = time.perf_counter() - tick
    rows = sum(group[1] for group in groups)
    if rows == 0 or any(group[4] for group in groups):
        raise _Fallback
    result.rows = rows
    months = sorted({(group[0].year, group[0].month) for group in groups})
    record.first_call = min(group[2] for group in groups)
    record.last_call = max(group[3] for group in groups)

    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    existing = partitions_existing()
    new = [m for m in months if partition_name(*m) not in existing]
    old = [m for m in months if partition_name(*m) in existing]
    select_cols = (
        "t.line_id, t.started_at, t.other_number, t.call_type, t.duration_s, t.cost_rial, %s"
    )
    target_cols = "line_id, started_at, other_number, call_type, duration_s, cost_rial, batch_id"

    created = 0
    if old:
        tick = time.perf_counter()
        in_old = " OR ".join(["(t.started_at >= %s AND t.started_at < %s)"] * len(old))
        bounds = [b for m in old for b in _bounds(*m)]
        # A stored call (same line, start and other number) with different values: error.
        cursor.execute(
            f"""
            SELECT t.n FROM ({typed}) t JOIN {TABLE} c
              ON c.line_id = t.line_id AND c.started_at = t.started_at
             AND c.other_number = t.other_number
            WHERE ({in_old})
              AND (c.call_type, c.duration_s, c.cost_rial)
                  IS DISTINCT FROM (t.call_type, t.duration_s, t.cost_rial::bigint)
            ORDER BY t.n
            """,  # noqa: S608
            [*params, *bounds],
        )
        conflicts = [n for (n,) in cursor.fetchall()]
        if conflicts:
            raise _StoredConflicts(conflicts[:MAX_REPORTED_ERRORS], len(conflicts))
        cursor.execute(
            f"""
            INSERT INTO {TABLE} ({target_cols})
            SELECT {select_cols} FROM ({typed}) t
            WHERE ({in_old}) AND NOT EXISTS (
                SELECT 1 FROM {TABLE} c WHERE c.line_id = t.line_id
                  AND c.started_at = t.started_at AND c.other_number = t.other_number)
            """,  # noqa: S608
            [record.pk, *params, *bounds],
        )
        created += cursor.rowcount
        phases["insert_existing_months"] = time.perf_counter() - tick
    if new:
        created += _load_new_months(cursor, typed, params, new, record, select_cols,
                                    target_cols, result)  # fmt: skip
    result.created = created
    result.already_stored = rows - created
    cursor.execute(f"DROP TABLE {stage}")


def _load_new_months(cursor, typed, params, months, record, select_cols, target_cols, result):
    """Load months without a partition into new tables, index them, attach them."""
    phases = result.phases
    tick = time.perf_counter()
    scratch = f"cdr_load_{uuid.uuid4().hex[:12]}"
    cursor.execute(
        f"CREATE TABLE {scratch} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY RANGE (started_at)"
    )
    for year, month in months:
        low, high = _bounds(year, month)
        cursor.execute(
            f'CREATE TABLE "{partition_name(year, month)}" PARTITION OF {scratch} '
            "FOR VALUES FROM (%s) TO (%s)",
            [low, high],
        )
    in_new = " OR ".join(["(t.started_at >= %s AND t.started_at < %s)"] * len(months))
    bounds = [b for m in months for b in _bounds(*m)]
    cursor.execute(
        f"INSERT INTO {scratch} ({target_cols}) "  # noqa: S608
        f"SELECT {select_cols} FROM ({typed}) t WHERE {in_new}",
        [record.pk, *params, *bounds],
    )
    inserted = cursor.rowcount
    phases["insert_new_months"] = time.perf_counter() - tick
    tick = time.perf_counter()
    for year, month in months:
        name = partition_name(year, month)
        low, high = _bounds(year, month)
        cursor.execute(f'ALTER TABLE {scratch} DETACH PARTITION "{name}"')
        # The names PostgreSQL gives a partition's copies of the parent's indexes.
        cursor.execute(
            f'CREATE INDEX "{name}_line_id_started_at_id_idx" ON "{name}" (line_id, started_at, id)'
        )
        cursor.execute(f'CREATE INDEX "{name}_started_at_idx" ON "{name}" USING brin (started_at)')
        cursor.execute(
            f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_bounds" '
            "CHECK (started_at IS NOT NULL AND started_at >= %s AND started_at < %s)",
            [low, high],
        )
        cursor.execute(
            f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            [low, high],
        )
        cursor.execute(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_bounds"')
        result.partitions_created.append(name)
    cursor.execute(f"DROP TABLE {scratch}")
    phases["index_attach"] = time.perf_counter() - tick
    return inserted
