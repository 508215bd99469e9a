"""The PostgreSQL paths of the bill import: a million rows without a per-row Python parser.

``billing.services.imports`` decides every rule; this module only makes the common row cheap.
Two stagers fill the temporary relation ``_bill_stage`` (typed bills, one per accepted line)
that ``imports._PgBillSink`` merges:

**The copy path** (``PgCopyStager``), for files PostgreSQL's CSV reader splits exactly as the
``csv`` module does (no quotes, so one record per physical line; no ``+``, tab, VT or FF, which
``bigint`` input would accept where ``_number`` refuses):

1. ``COPY`` of the raw file after its header into ``_bill_in`` — one column per header cell,
   ``bigint`` for the numeric ones, text for the rest, and an identity column that *is* the
   line number (checked: as many records as lines). A cell ``bigint`` refuses (a typo, Persian
   digits, a thousands separator) aborts the ``COPY``; the file then takes the text path below.
2. ``SELECT DISTINCT`` of the (period, dates, kind) cells: each distinct combination is decided
   once with the import's own parsers, date order included, and joined back from
   ``_bill_when``. Bill IDs are joined in SQL to ``subscribers_subscription`` (scoped to the
   actor's office) through ``_bill_sub``, which also carries the bill ID's part of the payment
   ID's second check digit.
3. One ``CREATE TABLE … AS SELECT`` keeps the rows whose numbers, readings (register rollover
   included), amount and both payment-ID check digits (DOMAIN.md §1) are right.

**The text path** (``PgBillStager``), for any other UTF-8 file: one Python pass over the CSV
records decides the repeated cells (bill IDs, periods, kinds, dates) once per distinct text and
``COPY``s the rest as text; one SQL statement checks the numbers.

On both paths every row the fast checks do not accept goes through ``_bill_parser``, the same
parser the SQLite path uses, so each error keeps its line, column and Persian wording, and a
row the parser accepts after all is staged in its normalised form. The fast checks only ever
*accept*: what they refuse, the parser decides. ``test_import_bills`` runs every rule on each
path, and a property test compares the SQL payment-ID check with ``portal.identifiers``.
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Callable

from django.db import DataError, IntegrityError, connection

from billing.models import Bill

# Rows per COPY round trip.
STAGE_ROWS = 50_000

_STAGE_COLUMNS = (
    "line",
    "subscription_id",
    "year",
    "period",
    "kind",
    "period_start",
    "period_end",
    "due_date",
    "previous_reading",
    "current_reading",
    "consumption",
    "energy",
    "subscription_fee",
    "tax",
    "duties",
    "debt",
    "adjustment",
    "amount",
    "payment_raw",
    "bill_digits",
    "checked",
)
# Cells passed on as text, in staging order, with whether the column may be negative/blank.
_TEXT_CELLS = (
    ("previous_reading", False, True),
    ("current_reading", False, True),
    ("consumption", False, True),
    ("energy", False, False),
    ("subscription_fee", False, False),
    ("tax", False, False),
    ("duties", False, False),
    ("debt", True, False),
    ("adjustment", True, False),
    ("amount", False, True),
)

_W = (2, 3, 4, 5, 6, 7)


def _weighted(digits: str, shift: int) -> int:
    """Σ digit × weight, weights 2..7 cycling from the rightmost digit, starting ``shift``
    places into the cycle (the digits sit ``shift`` places left of the end of the number)."""
    return sum(int(d) * _W[(i + shift) % 6] for i, d in enumerate(reversed(digits)))


def bill_digits_packed(bill_id: str) -> int:
    """The bill ID's part of the payment ID's second check digit, for each of the six
    positions it can sit at (the payment body's length mod 6), 4 bits each."""
    packed = 0
    for shift in range(6):
        packed |= (_weighted(bill_id, shift) % 11) << (4 * shift)
    return packed


# Weighted sums of a 3-digit group: the low group of a 6-digit block has weights 2,3,4, the
# high one 5,6,7 (PostgreSQL arrays are 1-based: element n + 1 is group n).
_LOW = [_weighted(f"{n:03d}", 0) for n in range(1000)]
_HIGH = [_weighted(f"{n:03d}", 3) for n in range(1000)]


# The same tables as SQL array constants (folded once per statement, not per row).
_LO_SQL = "('{" + ",".join(map(str, _LOW)) + "}'::int[])"
_HI_SQL = "('{" + ",".join(map(str, _HIGH)) + "}'::int[])"


def _sum_sql(expr: str, tables: tuple[str, str] = ("lo", "hi")) -> str:
    """SQL: the weighted digit sum of the non-negative bigint ``expr`` (< 10**18); ``tables``
    name the low and high group arrays."""
    parts = []
    for group in range(6):
        table = tables[group % 2]
        parts.append(f"{table}[(({expr}) / {10 ** (3 * group)}) % 1000 + 1]")
    return " + ".join(parts)


def _check_sql(expr: str) -> str:
    """SQL: the bank mod-11 check digit of a weighted sum (r < 2 → 0, else 11 - r), naming
    ``expr`` once."""
    return f"(((11 - ({expr}) % 11) % 11) % 10)"


# generate_payment_id() carries at most eight digits of thousands (a 13-digit payment ID).
_PAYABLE_BELOW = 10**11
_INT = "'^[0-9]{1,15}$'"
_SIGNED = "'^-?[0-9]{1,15}$'"


def _number_ok(column: str, signed: bool, required: bool) -> str:
    pattern = _SIGNED if signed else _INT
    if required:
        return f"s.{column} ~ {pattern}"
    return f"(s.{column} = '' OR s.{column} ~ {pattern})"


def _int(column: str, required: bool) -> str:
    return f"s.{column}::bigint" if required else f"COALESCE(NULLIF(s.{column}, '')::bigint, 0)"


# Rows the fast checks accept: every number a plain integer, then the cross-field rules.
# Each level is a derived table kept apart with OFFSET 0, so a value is computed once per row
# rather than re-expanded into every expression that uses it.
_NUMBERS_OK = " AND ".join(_number_ok(c, s, r) for c, s, r in _TEXT_CELLS)
_BILL_PART = "((z.bill_digits >> (4 * (length(z.body1::text) % 6))) & 15)"
_REJECTED_SQL = f"""
SELECT z.line FROM (
  SELECT y.*, y.body * 10 + {_check_sql(_sum_sql("y.body"))} AS body1 FROM (
    SELECT v.*, CASE WHEN v.amount > 0 AND v.amount % 1000 = 0 AND v.amount < {_PAYABLE_BELOW}
                     THEN (v.amount / 1000) * 1000 + (v.year % 10) * 100 + v.period END AS body
    FROM (
      SELECT n.line, n.year, n.period, n.period_start, n.period_end, n.due_date,
             n.payment_raw, n.bill_digits, n.numbers_ok, n.lo, n.hi,
             CASE WHEN n.numbers_ok THEN n.previous_reading::bigint END AS prev,
             CASE WHEN n.numbers_ok THEN n.current_reading::bigint END AS cur,
             CASE WHEN n.numbers_ok THEN n.consumption::bigint END AS cons,
             CASE WHEN n.numbers_ok THEN n.amount::bigint END AS amount
      FROM (SELECT s.*, {_NUMBERS_OK} AS numbers_ok, %s::int[] AS lo, %s::int[] AS hi
            FROM _bill_raw s
            WHERE NOT s.checked OFFSET 0) n
      OFFSET 0) v
    OFFSET 0) y
  OFFSET 0) z
WHERE NOT (
    z.numbers_ok
    AND z.period_end >= z.period_start AND z.due_date >= z.period_end
    AND z.cons = CASE WHEN z.cur >= z.prev THEN z.cur - z.prev
                      ELSE (10::bigint ^ length(z.prev::text))::bigint - z.prev + z.cur END
    AND CASE WHEN z.amount = 0 THEN z.payment_raw ~ '^0*$'
             ELSE z.body IS NOT NULL AND z.payment_raw ~ '^[0-9]{{1,20}}$'
                  AND ltrim(z.payment_raw, '0')
                      = (z.body1 * 10 + {_check_sql(f"{_sum_sql('z.body1')} + {_BILL_PART}")})::text
             END
)
ORDER BY z.line
""".replace("%", "%%").replace("%%s::int[]", "%s::int[]")  # noqa: S608 - constants only

# The staged rows as typed bills (the merge reads this view).
STAGE_VIEW_SQL = f"""
CREATE TEMP VIEW _bill_stage AS
SELECT s.line, s.subscription_id, s.year, s.period, s.kind, s.period_start, s.period_end,
       {", ".join(f"{_int(c, r)} AS {c}" for c, _s, r in _TEXT_CELLS)},
       s.due_date, ltrim(s.payment_raw, '0')::varchar(13) AS payment_id
FROM _bill_raw s
"""  # noqa: S608 - built from this module's constants only


class _Cache(dict):
    """text → decided value (``False`` when the parser refuses it), computed on first use."""

    def __init__(self, decide: Callable[[str], object]) -> None:
        super().__init__()
        self.decide = decide

    def __missing__(self, text: str) -> object:
        value = self[text] = self.decide(text)
        return value


def _decided(parse_cell: Callable, *args) -> Callable[[str], object]:
    from billing.services.imports import _CellError

    def decide(text: str) -> object:
        try:
            return parse_cell(text, *args)
        except _CellError:
            return False

    return decide


class PgBillStager:
    """Stages a file's bill rows into ``_bill_raw``; problems go to the caller's ``issues``.

    ``stage(records)`` per chunk of (line, row) pairs; then ``refused_lines()`` runs the SQL
    checks, ``recheck()`` parses what they refused, and ``duplicates(bad)`` lists the keys
    repeated in the file among the rows that stayed valid.
    """

    def __init__(self, *, index: dict[str, int], parse, subscriptions, issues) -> None:
        from billing.services.imports import _KIND_CODES, _KINDS, _BillIds, _choice, _Dates, _period

        self.index = index
        self.parse = parse
        self.subscriptions = subscriptions
        self.issues = issues
        self.kind_codes = _KIND_CODES
        dates = _Dates()
        self.dates = {
            c: _Cache(lambda t, c=c: d.isoformat() if (d := _decided(dates, c)(t)) else False)
            for c in ("period_start", "period_end", "due_date")
        }
        self.periods = _Cache(_decided(_period))
        self.bill_ids = _Cache(_decided(_BillIds()))
        self.kinds = (
            _Cache(_decided(_choice, "kind", _KINDS, Bill.Kind.PERIODIC))
            if "kind" in index
            else None
        )
        # clean bill ID → (subscription id, packed bill digits); None: unknown to this actor
        self.subs: dict[str, tuple[int, int] | None] = {}
        self.seen: dict[int, int] = {}
        self.repeated: list[tuple[int, int]] = []  # (line, first line) of keys seen before
        self.keyed: list[tuple[int, int]] = []  # (line, key) of every row that got a key
        self.parsed: list[tuple[int, tuple[int, int], tuple]] = []
        self.cursor = connection.cursor()
        self.cursor.execute(
            """
            CREATE TEMP TABLE _bill_raw (
                line integer NOT NULL, subscription_id bigint NOT NULL,
                year smallint NOT NULL, period smallint NOT NULL, kind varchar(12) NOT NULL,
                period_start date NOT NULL, period_end date NOT NULL, due_date date NOT NULL,
                previous_reading text NOT NULL, current_reading text NOT NULL,
                consumption text NOT NULL, energy text NOT NULL, subscription_fee text NOT NULL,
                tax text NOT NULL, duties text NOT NULL, debt text NOT NULL,
                adjustment text NOT NULL, amount text NOT NULL, payment_raw text NOT NULL,
                bill_digits integer NOT NULL, checked boolean NOT NULL
            ) ON COMMIT DROP
            """
        )

    # -- pass 1 ------------------------------------------------------------------------------

    def _load_subscriptions(self, cleaned) -> None:
        wanted = [b for b in cleaned if b not in self.subs]
        self.subscriptions.load(wanted)
        for bill_id in wanted:
            pk = self.subscriptions.get(bill_id)
            self.subs[bill_id] = None if pk is None else (pk, bill_digits_packed(bill_id))

    def _key(self, line: int, sub: tuple[int, int], year: int, period: int, kind: str) -> None:
        """Register the row's key, noting it when an earlier row had it."""
        key = ((sub[0] * 10_000 + year) * 100 + period) * 8 + self.kind_codes[kind]
        self.keyed.append((line, key))
        first = self.seen.setdefault(key, line)
        if first != line:
            self.repeated.append((line, first))

    def stage(self, records: list[tuple[int, list[str]]]) -> None:
        """Decide the repeated cells, COPY the rows, parse the rest in Python."""
        index = self.index
        i_bill, i_period, i_payment = index["bill_id"], index["period"], index["payment_id"]
        i_start, i_end, i_due = index["period_start"], index["period_end"], index["due_date"]
        i_kind = index.get("kind")
        positions = [index.get(c) for c, _signed, _required in _TEXT_CELLS]
        present = [i for i in positions if i is not None]
        complete = len(present) == len(positions)
        cells = operator.itemgetter(*present)
        bill_ids, periods, kinds = self.bill_ids, self.periods, self.kinds
        d_start, d_end, d_due = (self.dates[c] for c in ("period_start", "period_end", "due_date"))
        cleaned = {bill_ids[row[i_bill]] for _line, row in records}
        cleaned.discard(False)
        self._load_subscriptions(cleaned)
        subs, seen, keyed, repeated = self.subs, self.seen, self.keyed, self.repeated
        kind_codes, periodic = self.kind_codes, Bill.Kind.PERIODIC.value
        out = io.StringIO()
        write = csv.writer(out, lineterminator="\n").writerow
        slow: list[tuple[int, list[str]]] = []
        for line, row in records:
            bill = bill_ids[row[i_bill]]
            sub = subs.get(bill) if bill else None
            year_period = periods[row[i_period]]
            kind = periodic if kinds is None else kinds[row[i_kind]]
            start, end, due = d_start[row[i_start]], d_end[row[i_end]], d_due[row[i_due]]
            if not (sub and year_period and kind and start and end and due):
                slow.append((line, row))
                continue
            year, period = year_period
            key = ((sub[0] * 10_000 + year) * 100 + period) * 8 + kind_codes[kind]
            keyed.append((line, key))
            first = seen.setdefault(key, line)
            if first != line:
                # Staged all the same: whether it repeats a *valid* row is known after the
                # checks (an error file is reported whole, and then nothing is merged).
                repeated.append((line, first))
            texts = cells(row) if complete else [row[i] if i is not None else "" for i in positions]
            write(
                (line, sub[0], year, period, kind, start, end, due, *texts,
                 row[i_payment].strip(), sub[1], "f")
            )  # fmt: skip
        for line, row in slow:
            values = self._parse(line, row)
            if values is None:
                continue
            sub = self.subs.get(values[0], ())
            if sub == ():
                self._load_subscriptions([values[0]])
                sub = self.subs[values[0]]
            if sub is None:
                self.issues.add(line, "bill_id", self.subscriptions.unknown_message())
            else:
                self._key(line, sub, *values[1:4])
                self.parsed.append((line, sub, values))
        self._copy(out)

    def _parse(self, line: int, row: list[str]) -> tuple | None:
        """The import's own parser: its errors, with line and column, or the values."""
        errors: list = []
        values = self.parse(row, errors)
        for error in errors:
            self.issues.add(line, error.column, error.message)
        return values

    def _copy(self, out: io.StringIO) -> None:
        """COPY the queued text rows plus the parser-accepted rows (marked as checked)."""
        parsed, self.parsed = self.parsed, []
        write = csv.writer(out, lineterminator="\n").writerow
        for line, sub, values in parsed:
            (_b, year, period, kind, start, end, prev, cur, cons, energy, fee, tax, duties,
             debt, adjustment, amount, due, payment_id) = values  # fmt: skip
            write(
                (line, sub[0], year, period, kind, start.isoformat(), end.isoformat(),
                 due.isoformat(), prev, cur, cons, energy, fee, tax, duties, debt, adjustment,
                 amount, payment_id, sub[1], "t")
            )  # fmt: skip
        if not out.tell():
            return
        out.seek(0)
        self.cursor.cursor.copy_expert(
            f"COPY _bill_raw ({', '.join(_STAGE_COLUMNS)}) FROM STDIN WITH (FORMAT csv, "
            f"FORCE_NOT_NULL ({', '.join(_STAGE_COLUMNS)}))",
            out,
        )

    # -- pass 2 ------------------------------------------------------------------------------

    def refused_lines(self) -> list[int]:
        """Lines of staged rows the SQL checks do not accept, ascending."""
        self.cursor.execute("ANALYZE _bill_raw")
        # Array literals (text), so each is one constant, not an ARRAY[...] built per row.
        arrays = ["{" + ",".join(map(str, table)) + "}" for table in (_LOW, _HIGH)]
        self.cursor.execute(_REJECTED_SQL, arrays)
        return [line for (line,) in self.cursor.fetchall()]

    def recheck(self, rows: dict[int, list[str]]) -> set[int]:
        """Parse the refused rows (line → CSV row); the ones the parser accepts are staged
        again in normalised form. Returns the lines that stay refused."""
        self.cursor.execute("DELETE FROM _bill_raw WHERE line = ANY(%s)", [list(rows)])
        bad = set()
        for line, row in sorted(rows.items()):
            values = self._parse(line, row)
            if values is None:
                bad.add(line)
            else:
                self.parsed.append((line, self.subs[values[0]], values))
        self._copy(io.StringIO())
        return bad

    def duplicates(self, bad: set[int]) -> list[tuple[int, int]]:
        """(line, first line) of each row whose key an earlier *valid* row already had."""
        if not bad:
            return self.repeated
        firsts: dict[int, int] = {}
        found = []
        for line, key in sorted(self.keyed):
            if line in bad:
                continue
            first = firsts.setdefault(key, line)
            if first != line:
                found.append((line, first))
        return found

    def lock_subscriptions(self) -> None:
        """Hold the bills' subscriptions until commit, as a foreign-key check would: one
        statement for the file instead of a check per bill. One deleted since it was looked
        up raises ``IntegrityError`` (reported as a concurrent change)."""
        self.cursor.execute(
            """
            WITH wanted AS (SELECT DISTINCT subscription_id AS id FROM _bill_raw),
            locked AS (
                SELECT s.id FROM subscribers_subscription s
                WHERE s.id IN (SELECT id FROM wanted) ORDER BY s.id FOR KEY SHARE)
            SELECT (SELECT count(*) FROM locked), (SELECT count(*) FROM wanted)
            """
        )
        locked, wanted = self.cursor.fetchone()
        if locked != wanted:
            raise IntegrityError("a subscription of the file was deleted during the import")

    def close(self) -> None:
        self.cursor.close()


# -- the copy path ---------------------------------------------------------------------------


class CopyRefused(Exception):
    """The file is not one ``COPY`` reads exactly as the ``csv`` module and the parser do."""


# Bytes that would make PostgreSQL read a file differently from the import's parser: a quote
# (a cell may then span lines and line numbers drift; PostgreSQL also honours a quote inside
# an unquoted cell, ``csv`` does not), '+' (a sign ``bigint`` input accepts and ``_number``
# refuses) and the whitespace ``bigint`` input skips but ``_number`` does not (tab, VT, FF).
_COPY_REFUSED = (b'"', b"+", b"\t", b"\v", b"\f")
# Numeric cells: (column, signed, required); the payment ID is read as a number too.
_NUMBER_CELLS = (
    ("previous_reading", False, True),
    ("current_reading", False, True),
    ("consumption", False, True),
    ("energy", False, False),
    ("subscription_fee", False, False),
    ("tax", False, False),
    ("duties", False, False),
    ("debt", True, False),
    ("adjustment", True, False),
    ("amount", False, True),
)
_LARGEST = 10**15 - 1  # imports.MAX_NUMBER - 1
# The (period, dates, kind) cells decided together, and their staged columns.
_WHEN_CELLS = ("period", "period_start", "period_end", "due_date", "kind")
_READ_SIZE = 1 << 20


class _Bytes:
    """``read(size)`` over a slice of the file, for ``copy_expert`` (no copy of the whole)."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.view = memoryview(data)[start:end]
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.view) if size is None or size < 0 else self.position + size
        chunk = self.view[self.position : end]
        self.position += len(chunk)
        return bytes(chunk)


def _packed_sql(expr: str) -> str:
    """SQL of ``bill_digits_packed`` for the bill ID ``expr`` (a bigint < 10**13): shifting
    the digits left by ``shift`` places is multiplying by ``10**shift``."""
    tables = (_LO_SQL, _HI_SQL)
    return " | ".join(
        f"((({_sum_sql(f'({expr}) * {10**shift}', tables)}) % 11) << {4 * shift})"
        for shift in range(6)
    )


class PgCopyStager:
    """Stages a file's bill rows by ``COPY`` (see the module docstring, "the copy path").

    ``load()`` raises ``CopyRefused`` when the file must take the text path (run it in a
    savepoint: a failed ``COPY`` aborts it). Then ``refused_lines()`` runs every check and
    fills ``_bill_stage``; ``recheck()`` parses what the checks refused; ``duplicates()``
    lists keys a file repeats; ``lock_subscriptions()`` holds the bills' subscriptions.
    """

    def __init__(self, *, data: bytes, index: dict[str, int], parse, subscriptions, issues):
        self.data = data
        self.index = index
        self.parse = parse
        self.subscriptions = subscriptions
        self.issues = issues
        self.rows = 0
        self.cursor = connection.cursor()

    @staticmethod
    def accepts(data: bytes) -> bool:
        """Whether the bytes can take the copy path at all (the rest is checked on load)."""
        return not any(byte in data for byte in _COPY_REFUSED)

    def _col(self, name: str) -> str | None:
        position = self.index.get(name)
        return None if position is None else f"i.c{position}"

    # -- load --------------------------------------------------------------------------------

    def load(self) -> int:
        """``COPY`` the records after the header; returns how many there are."""
        data = self.data
        start = data.find(b"\n") + 1
        end = len(data.rstrip(b"\r\n"))
        if not start or end <= start:
            raise CopyRefused("no records")
        # One record per line, so the identity column is the line number (the header is 1).
        lines = data.count(b"\n", start, end) + 1
        width = data.count(b",", 0, start) + 1  # header cells (no quotes: commas separate)
        numeric = {self.index[c] for c, _s, _r in _NUMBER_CELLS if c in self.index}
        numeric.add(self.index["payment_id"])
        columns = [f"c{i}" for i in range(width)]
        texts = [f"c{i}" for i in range(width) if i not in numeric]
        definition = ", ".join(f"c{i} {'bigint' if i in numeric else 'text'}" for i in range(width))
        self.cursor.execute(
            "CREATE TEMP TABLE _bill_in (line integer GENERATED ALWAYS AS IDENTITY "
            f"(START WITH 2), {definition}) ON COMMIT DROP"
        )
        # Text cells never NULL (an empty cell is ''); an empty number is NULL.
        force = f", FORCE_NOT_NULL ({', '.join(texts)})" if texts else ""
        try:
            with connection.wrap_database_errors:
                self.cursor.cursor.copy_expert(
                    f"COPY _bill_in ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})",
                    _Bytes(data, start, end),
                    _READ_SIZE,
                )
        except DataError as exc:  # a cell bigint refuses, a ragged row, a NUL byte …
            raise CopyRefused(str(exc)) from exc
        copied = self.cursor.cursor.rowcount
        if copied != lines:  # e.g. a line "\." (COPY's end of data)
            raise CopyRefused(f"{copied} records in {lines} lines")
        self.rows = copied
        self.last_line = copied + 1
        return copied

    # -- decide and check --------------------------------------------------------------------

    def _decide_when(self) -> str:
        """``_bill_when``: every distinct (period, dates, kind) the parsers accept, date order
        included, under one key (the cells joined by commas: an unquoted cell has none).
        Returns the row's key as SQL."""
        from billing.services.imports import _KINDS, _CellError, _choice, _Dates, _period

        cells = [(c, self._col(c)) for c in _WHEN_CELLS if self._col(c) is not None]
        key = " || ',' || ".join(col for _c, col in cells)
        self.cursor.execute(f"SELECT DISTINCT {key} FROM _bill_in i")  # noqa: S608
        dates = _Dates()
        out = io.StringIO()
        write = csv.writer(out, lineterminator="\n").writerow
        for (text,) in self.cursor.fetchall():
            value = dict(zip((c for c, _col in cells), text.split(","), strict=True))
            try:
                year, period = _period(value["period"])
                kind = _choice(value.get("kind", ""), "kind", _KINDS, Bill.Kind.PERIODIC)
                start = dates(value["period_start"], "period_start")
                end = dates(value["period_end"], "period_end")
                due = dates(value["due_date"], "due_date")
            except _CellError:
                continue
            if start <= end <= due:
                write((text, year, period, kind, start, end, due))
        self.cursor.execute(
            "CREATE TEMP TABLE _bill_when (key text, year smallint, period smallint, "
            "kind varchar(12), period_start date, period_end date, due_date date) ON COMMIT DROP"
        )
        if out.tell():
            out.seek(0)
            self.cursor.cursor.copy_expert(
                "COPY _bill_when FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (key))", out
            )
        return key

    def _decide_subscriptions(self) -> None:
        """``_bill_sub``: the subscriptions whose bill ID a row names exactly (stored bill IDs
        are clean and valid), scoped to the actor's office, with their check-digit part."""
        office = self.subscriptions.office_id
        self.cursor.execute(
            f"""
            CREATE TEMP TABLE _bill_sub ON COMMIT DROP AS
            SELECT s.bill_id, s.id, {_packed_sql("s.bill_id::bigint")} AS digits
            FROM subscribers_subscription s
            WHERE s.bill_id IN (SELECT i.c{self.index["bill_id"]} FROM _bill_in i)
            {"" if office is None else f"AND s.office_id = {int(office)}"}
            """  # noqa: S608 - built from this module's constants and an integer
        )

    def refused_lines(self, clock) -> list[int]:
        """Stage every row the checks accept; the lines of the rest, ascending."""
        key = self._decide_when()
        self._decide_subscriptions()
        # Statistics of the two small tables make the joins hash joins over one scan of
        # the file (without them PostgreSQL guesses sort-merge joins that sort it twice).
        self.cursor.execute("ANALYZE _bill_when, _bill_sub")
        clock.lap("decide")
        col = self._col
        numbers = []
        ranges = []
        for name, signed, required in _NUMBER_CELLS:
            cell = col(name)
            if cell is None:
                numbers.append(f"0::bigint AS {name}")
                continue
            low = -_LARGEST if signed else 0
            if required:
                numbers.append(f"{cell} AS {name}")
                ranges.append(f"{cell} BETWEEN {low} AND {_LARGEST}")
            else:
                numbers.append(f"COALESCE({cell}, 0) AS {name}")
                ranges.append(f"({cell} IS NULL OR {cell} BETWEEN {low} AND {_LARGEST})")
        prev, cur, cons, amount = (col(c) for c in ("previous_reading", "current_reading",
                                                    "consumption", "amount"))  # fmt: skip
        # CASE, not AND: the readings' arithmetic only once they are known to be in range.
        numbers_ok = (
            f"CASE WHEN {' AND '.join(ranges)} THEN {cons} = CASE WHEN {cur} >= {prev} "
            f"THEN {cur} - {prev} ELSE (10::bigint ^ length({prev}::text))::bigint - {prev} "
            f"+ {cur} END ELSE false END"
        )
        tables = (_LO_SQL, _HI_SQL)
        bill_part = "((z.digits >> (4 * (length(z.body1::text) % 6))) & 15)"
        second_check = _check_sql(f"{_sum_sql('z.body1', tables)} + {bill_part}")
        from billing.services.imports import _STAGE_COLUMNS

        # Every check is in the outer WHERE, after the joins: the planner has no statistics
        # on the temporary tables, and a filter it cannot estimate under the joins turns them
        # into nested loops over the whole file.
        self.cursor.execute(
            f"""
            CREATE TEMP TABLE _bill_stage ON COMMIT DROP AS
            SELECT {", ".join(_STAGE_COLUMNS[:-1])},
                   (CASE WHEN amount = 0 THEN '' ELSE expected::text END)::varchar(13)
                       AS payment_id
            FROM (
              SELECT z.*, z.body1 * 10 + {second_check} AS expected
              FROM (
                SELECT y.*, y.body * 10 + {_check_sql(_sum_sql("y.body", tables))} AS body1
                FROM (
                  SELECT i.line, s.id AS subscription_id, s.digits, w.year, w.period, w.kind,
                         w.period_start, w.period_end, w.due_date, {", ".join(numbers)},
                         {col("payment_id")} AS payment_raw, {numbers_ok} AS numbers_ok,
                         CASE WHEN {amount} > 0 AND {amount} % 1000 = 0
                                   AND {amount} < {_PAYABLE_BELOW}
                              THEN ({amount} / 1000) * 1000 + (w.year % 10) * 100 + w.period
                         END AS body
                  FROM _bill_in i
                  JOIN _bill_sub s ON s.bill_id = {col("bill_id")}
                  JOIN _bill_when w ON w.key = {key}
                  OFFSET 0) y
                OFFSET 0) z
              OFFSET 0) x
            WHERE numbers_ok AND CASE WHEN amount = 0 THEN COALESCE(payment_raw, 0) = 0
                                      ELSE payment_raw = expected END
            """  # noqa: S608 - built from this module's constants only
        )
        clock.lap("check")
        if self.cursor.rowcount == self.rows:
            return []
        self.cursor.execute(
            "SELECT line FROM _bill_in i WHERE NOT EXISTS "
            "(SELECT 1 FROM _bill_stage s WHERE s.line = i.line) ORDER BY line"
        )
        return [line for (line,) in self.cursor.fetchall()]

    def recheck(self, rows: dict[int, list[str]], refused: list[int]) -> set[int]:
        """Parse the refused rows (line → CSV row; a refused line missing from ``rows`` is
        blank and is not a row at all); stage the ones the parser accepts. Returns the lines
        that stay refused."""
        blank = len(refused) - len(rows)
        self.rows -= blank
        bad = set()
        accepted = []
        for line, row in sorted(rows.items()):
            errors: list = []
            values = self.parse(row, errors)
            for error in errors:
                self.issues.add(line, error.column, error.message)
            if values is None:
                bad.add(line)
            else:
                accepted.append((line, values))
        self.subscriptions.load(values[0] for _line, values in accepted)
        out = io.StringIO()
        write = csv.writer(out, lineterminator="\n").writerow
        found = set()
        for line, values in accepted:
            subscription_id = self.subscriptions.get(values[0])
            if subscription_id is None:
                self.issues.add(line, "bill_id", self.subscriptions.unknown_message())
                bad.add(line)
                continue
            found.add(subscription_id)
            write((line, subscription_id, *values[1:]))
        if out.tell():
            from billing.services.imports import _STAGE_COLUMNS

            out.seek(0)
            self.cursor.cursor.copy_expert(
                f"COPY _bill_stage ({', '.join(_STAGE_COLUMNS)}) FROM STDIN "
                "WITH (FORMAT csv, FORCE_NOT_NULL (payment_id))",
                out,
            )
            self.cursor.execute(
                "INSERT INTO _bill_sub (id, digits) SELECT unnest(%s::bigint[]), 0",
                [sorted(found)],
            )
        return bad

    def duplicates(self) -> list[tuple[int, int]]:
        """(line, first line) of each staged row whose key an earlier staged row had."""
        self.cursor.execute(
            """
            SELECT line, first FROM (
                SELECT line, min(line) OVER (PARTITION BY subscription_id, year, period, kind)
                       AS first
                FROM _bill_stage) d
            WHERE line <> first ORDER BY line
            """
        )
        return self.cursor.fetchall()

    def lock_subscriptions(self) -> None:
        """Hold the bills' subscriptions until commit (``FOR KEY SHARE``: what a foreign-key
        check takes) with one statement, and make sure every one still exists: one deleted
        since it was looked up raises ``IntegrityError`` (reported as a concurrent change)."""
        self.cursor.execute(
            """
            WITH locked AS (
                SELECT s.id FROM subscribers_subscription s
                WHERE s.id IN (SELECT id FROM _bill_sub) ORDER BY s.id FOR KEY SHARE)
            SELECT (SELECT count(*) FROM locked), (SELECT count(DISTINCT id) FROM _bill_sub)
            """
        )
        locked, wanted = self.cursor.fetchone()
        if locked != wanted:
            raise IntegrityError("a subscription of the file was deleted during the import")

    def drop(self) -> None:
        self.cursor.execute("DROP TABLE _bill_in, _bill_when, _bill_sub, _bill_stage")

    def close(self) -> None:
        self.cursor.close()
