"""The benchmark registry: every named endpoint `make bench` measures against the baseline.

Adding a benchmark is one `Scenario(...)` line in ``SCENARIOS``. A scenario either names a
fixed ``path`` or a ``prepare`` callable that creates its data and returns the paths (and
headers) to request. The runner requests each scenario's paths before the load starts and
skips, with the reason in the results, any scenario that does not answer ``expect_status``.

Targets are ratios against a baseline measured in the same run, because absolute figures on
a shared 2-core machine are noise; see /work/shared/TARGETS.md. The baseline is ``/healthz/``
(a minimal Django JSON view on the same server) unless the scenario names its own
``Baseline``: TARGETS.md anchors some rows on a minimal view doing the same data access (the
call-record search: a bare DRF view over the same 10 M-row table). ``max_p95_ms`` exists for
the few targets that TARGETS.md states in milliseconds.
"""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

BASELINE_PATH = "/healthz/"
BASELINE_NAME = "baseline"
# Paths requested before the load starts (a prepare() may return thousands) and listed in results.
MAX_PATHS_CHECKED = 20
ALLOWED_METHODS = frozenset({"GET", "HEAD", "POST"})
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class Targets:
    """Speed targets of one scenario; a ``None`` bound is not checked.

    ``provisional`` marks a figure picked from the first measurements on this machine
    rather than from an anchor in TARGETS.md; results carry the flag so nobody mistakes
    it for a requirement.
    """

    min_throughput_ratio: float | None = None
    max_p95_ratio: float | None = None
    max_p95_ms: float | None = None
    provisional: bool = True
    note: str = ""


@dataclass(frozen=True)
class Prepared:
    """What a ``prepare`` callable returns: the paths to spread the load over, and headers."""

    paths: tuple[str, ...]
    headers: Mapping[str, str] = field(default_factory=dict)


def _resolve(
    path: str | None,
    prepare: Callable[[], Prepared | Sequence[str]] | None,
    headers: Mapping[str, str],
) -> Prepared:
    if prepare is None:
        assert path is not None
        return Prepared(paths=(path,), headers=dict(headers))
    prepared = prepare()
    if not isinstance(prepared, Prepared):
        prepared = Prepared(paths=tuple(prepared))
    return Prepared(paths=tuple(prepared.paths), headers={**headers, **prepared.headers})


@dataclass(frozen=True)
class Baseline:
    """What a scenario's figures are divided by: a fixed ``path`` or a ``prepare`` callable
    (same contract as ``Scenario.prepare``), always a GET answering 200. ``name`` labels it in
    the results and the table."""

    name: str
    description: str
    path: str | None = None
    prepare: Callable[[], Prepared | Sequence[str]] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def resolve(self) -> Prepared:
        return _resolve(self.path, self.prepare, self.headers)


HEALTHZ = Baseline(
    name="healthz",
    path=BASELINE_PATH,
    description="minimal Django JSON view, no query (GET /healthz/)",
)


@dataclass(frozen=True)
class Scenario:
    """One named endpoint to measure.

    ``prepare`` runs once in the runner process after `migrate`/`seed_demo` and before
    gunicorn starts, with Django set up against the benchmark database. It must be
    idempotent (reuse data an earlier run created) and return ``Prepared`` or a sequence of
    paths. The load is spread at random over the returned paths.
    """

    name: str
    description: str
    path: str | None = None
    prepare: Callable[[], Prepared | Sequence[str]] | None = None
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    expect_status: int = 200
    targets: Targets = field(default_factory=Targets)
    baseline: Baseline = HEALTHZ

    def resolve(self) -> Prepared:
        """The paths and headers to request; calls ``prepare`` when the scenario has one."""
        return _resolve(self.path, self.prepare, self.headers)


# Initial targets are provisional: TARGETS.md names no speed figure for these endpoints,
# so each is a regression guard set about a third below the first measurements on this
# 2-core box with `seed_demo` data (`bench/run.py --duration 10 --users 10`, SQLite and
# PostgreSQL, Nov 2026; other test suites were using the CPU). Replace them when
# TARGETS.md gives an anchored figure. Under closed-loop load the p95 ratio is roughly the
# inverse of the throughput ratio; both are checked so a latency tail shows up too.
def _history_120() -> Prepared:
    from bench.prepare_billing import history_120

    return history_120()


def _history_minimal() -> Prepared:
    from bench.prepare_billing import history_minimal

    return history_minimal()


# TARGETS.md's "minimal-view baseline" for the 120-period history: the same bills read bare.
HISTORY_MINIMAL = Baseline(
    name="history-minimal",
    prepare=_history_minimal,
    description=(
        "bare DRF APIView (bench/minimal_billing.py, bench settings only): the same "
        "subscription's 120 bills as values(); no auth, access check, cache or serializer"
    ),
)


def _cdr_search() -> Prepared:
    from bench.prepare_telecom import cdr_search

    return cdr_search()


def _cdr_minimal() -> Prepared:
    from bench.prepare_telecom import cdr_minimal

    return cdr_minimal()


# TARGETS.md's anchor for the call-record search: "a bare DRF view over 10 M rows".
CDR_MINIMAL = Baseline(
    name="cdr-minimal",
    prepare=_cdr_minimal,
    description=(
        "bare DRF APIView (bench/urls.py, bench settings only): the same one-month first page "
        "of 50 calls of the same line through the same index, values(); no auth, access "
        "check, rate limit or audit"
    ),
)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="home",
        path="/",
        description="Home page: one company query and the base template.",
        targets=Targets(
            min_throughput_ratio=0.15,
            max_p95_ratio=6.0,
            note="provisional: measured 0.20-0.23x baseline throughput, p95 4.0-4.3x",
        ),
    ),
    Scenario(
        name="faq",
        path="/help/faq/",
        description="Help/FAQ page (public HTML, read-only queries).",
        targets=Targets(
            min_throughput_ratio=0.1,
            max_p95_ratio=9.0,
            note="provisional: measured 0.15-0.20x baseline throughput, p95 5.2-6.1x",
        ),
    ),
    Scenario(
        name="service-cards",
        path="/api/v1/service-cards/",
        headers={"Accept": "application/json"},
        description="Public service-card list API (JSON).",
        targets=Targets(
            min_throughput_ratio=0.07,
            max_p95_ratio=15.0,
            note="provisional: measured 0.10-0.12x baseline throughput, p95 8.4-10.3x",
        ),
    ),
    Scenario(
        name="bill-history",
        prepare=_history_120,
        description="Bill history API with 120 monthly periods and their payments (token auth).",
        targets=Targets(
            min_throughput_ratio=0.6,
            provisional=False,
            note=(
                "TARGETS.md: history with 120 periods ≥60% of the minimal-view baseline "
                "(baseline history-minimal)"
            ),
        ),
        baseline=HISTORY_MINIMAL,
    ),
    Scenario(
        name="cdr-search",
        prepare=_cdr_search,
        description=(
            "Call-record search API: a one-month first page of 50 calls of a busy line, "
            "10 M rows in the partitioned table (token auth; rate limit and audit row included)."
        ),
        targets=Targets(
            min_throughput_ratio=0.5,
            max_p95_ms=150,
            provisional=False,
            note=(
                "TARGETS.md: one month, 50 rows, 10 M rows, 20 clients: p95 ≤150 ms, ≥50% of "
                "a bare DRF view over the same table (baseline cdr-minimal)"
            ),
        ),
        baseline=CDR_MINIMAL,
    ),
)


def validate_scenarios(scenarios: Iterable[Scenario]) -> list[str]:
    """Every problem in a registry, as readable sentences; an empty list means valid."""
    problems: list[str] = []
    seen: set[str] = set()
    for s in scenarios:
        label = f"scenario {s.name!r}"
        if not _NAME_RE.match(s.name):
            problems.append(f"{label}: name must match {_NAME_RE.pattern} (it names a file)")
        if s.name == BASELINE_NAME:
            problems.append(f"{label}: the name {BASELINE_NAME!r} is reserved")
        if s.name in seen:
            problems.append(f"{label}: duplicate name")
        seen.add(s.name)
        if (s.path is None) == (s.prepare is None):
            problems.append(f"{label}: give exactly one of path and prepare")
        if s.path is not None and not _is_local_path(s.path):
            problems.append(f"{label}: path must start with '/' (the host is always 127.0.0.1)")
        if s.method not in ALLOWED_METHODS:
            problems.append(f"{label}: method {s.method!r} not in {sorted(ALLOWED_METHODS)}")
        if not 100 <= s.expect_status <= 599:
            problems.append(f"{label}: expect_status {s.expect_status} is not an HTTP status")
        if not s.description.strip():
            problems.append(f"{label}: description is empty")
        b = s.baseline
        if not _NAME_RE.match(b.name):
            problems.append(f"{label}: baseline name must match {_NAME_RE.pattern}")
        if (b.path is None) == (b.prepare is None):
            problems.append(f"{label}: baseline: give exactly one of path and prepare")
        if b.path is not None and not _is_local_path(b.path):
            problems.append(f"{label}: baseline path must start with '/'")
        t = s.targets
        for attr in ("min_throughput_ratio", "max_p95_ratio", "max_p95_ms"):
            value = getattr(t, attr)
            if value is not None and not value > 0:
                problems.append(f"{label}: targets.{attr} must be positive")
    return problems


def validate_prepared(prepared: Prepared) -> list[str]:
    """Problems with what a ``prepare`` callable returned."""
    if not prepared.paths:
        return ["prepare returned no paths"]
    return [
        f"prepared path {p!r} must start with '/'" for p in prepared.paths if not _is_local_path(p)
    ]


def select(
    names: Sequence[str] | None, scenarios: Sequence[Scenario] = SCENARIOS
) -> list[Scenario]:
    """The scenarios to run, in registry order; ``None`` or empty means all of them."""
    if not names:
        return list(scenarios)
    known = {s.name for s in scenarios}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(
            f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return [s for s in scenarios if s.name in names]


def _is_local_path(path: str) -> bool:
    # "//host/x" would be read as a network-path reference by some clients.
    return path.startswith("/") and not path.startswith("//")
