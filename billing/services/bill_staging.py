"""The PostgreSQL path of the bill import: a million rows without a per-row Python parser.

``billing.services.imports`` decides every rule; this module only makes the common row cheap.

1. One Python pass over the CSV records. The cells a file repeats (bill IDs, periods, kinds,
   dates) are decided once per distinct text with the import's own parsers and looked up per
   row; so is the subscription of each bill ID and the (subscription, year, period, kind) key
   repeated in the file. The rest of the row (readings, amounts, payment ID) is passed on as
   text and COPY'd with the line number into a temporary table.
2. One SQL statement checks those cells on the staged text: plain ASCII integers, readings
   against consumption (register rollover included), dates in order, amount a multiple of
   1000 and the payment ID's two mod-11 check digits (DOMAIN.md §1) computed from the bill's
   digits, the amount, the year digit and the period.
3. Every row that any fast check does not accept — an unknown text, Persian digits in an
   amount, a wrong check digit — goes through ``_bill_parser``, the same parser the SQLite
   path uses, so each error keeps its line, column and Persian wording. A row the parser
   accepts after all is staged again in its normalised form and marked as checked.

The fast checks only ever *accept*: what they refuse, the parser decides. ``test_import_bills``
runs every rule on both paths, and a property test compares the SQL payment-ID check with
``portal.identifiers`` on random bills.
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Callable

from django.db import connection

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


def _sum_sql(expr: str) -> str:
    """SQL: the weighted digit sum of the non-negative bigint ``expr`` (< 10**18)."""
    parts = []
    for group in range(6):
        table = "lo" if group % 2 == 0 else "hi"
        parts.append(f"{table}[(({expr}) / {10 ** (3 * group)}) % 1000 + 1]")
    return " + ".join(parts)


def _check_sql(expr: str) -> str:
    """SQL: the bank mod-11 check digit of a weighted sum (r < 2 → 0, else 11 - r), naming
    ``expr`` once."""
    return f"(((11 - ({expr}) % 11) % 11) % 10)"


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
    SELECT v.*, CASE WHEN v.amount > 0 AND v.amount % 1000 = 0
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
        statement for the file instead of a check per bill."""
        self.cursor.execute(
            """
            SELECT 1 FROM subscribers_subscription
            WHERE id IN (SELECT DISTINCT subscription_id FROM _bill_raw)
            ORDER BY id FOR KEY SHARE
            """
        )

    def close(self) -> None:
        self.cursor.close()
