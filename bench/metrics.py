"""Pure computations of the benchmark: samples → latency percentiles, throughput, ratios, verdicts.

Nothing here starts a process or opens a socket, so all of it is unit-tested.
"""

import json
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.scenarios import Targets

# A scenario whose baseline or endpoint fails more than 1% of its requests is an error: its
# figures would describe error pages, not the endpoint.
MAX_ERROR_RATE = 0.01
# Rounds of one endpoint whose throughput differs by more than this are flagged as noisy.
NOISY_SPREAD = 0.2


class BenchError(Exception):
    """A benchmark step failed; the message says which and why."""


@dataclass(frozen=True)
class Sample:
    """One request as the load generator saw it."""

    start: float  # seconds since the epoch
    latency_ms: float
    ok: bool


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile with linear interpolation between closest ranks.

    Same definition as numpy's default and ``statistics.quantiles(method="inclusive")``:
    rank = pct/100 × (n − 1) on the sorted values.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} outside 0..100")
    ordered = sorted(values)
    rank = pct / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def read_samples(path: Path) -> list[Sample]:
    """Samples written by bench/locustfile.py: one ``start,latency_ms,ok`` line per request."""
    samples = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        start, latency, ok = line.split(",")
        samples.append(Sample(start=float(start), latency_ms=float(latency), ok=ok.strip() == "1"))
    return samples


def summarise_round(samples: Sequence[Sample], *, warmup_s: float) -> dict:
    """Figures of one load-generator run, without its first ``warmup_s`` seconds.

    The warm-up is cut because users are still being spawned and workers are still opening
    database connections; what is left is the steady state. Throughput is the number of
    requests started in the window divided by the window (first kept start → last finish).
    """
    if not samples:
        raise BenchError("the load generator recorded no requests")
    window_start = min(s.start for s in samples) + warmup_s
    kept = [s for s in samples if s.start >= window_start]
    if not kept:
        raise BenchError(f"no requests after the {warmup_s:g}s warm-up")
    window_end = max(s.start + s.latency_ms / 1000 for s in kept)
    seconds = max(window_end - window_start, 1e-9)
    ok_latencies = [s.latency_ms for s in kept if s.ok]
    errors = len(kept) - len(ok_latencies)
    return {
        "requests": len(kept),
        "errors": errors,
        "seconds": round(seconds, 3),
        "rps": round(len(kept) / seconds, 2),
        "p95_ms": round(percentile(ok_latencies, 95), 2) if ok_latencies else None,
        "warmup_requests_dropped": len(samples) - len(kept),
        "_latencies": ok_latencies,
    }


def pool_rounds(rounds: Sequence[dict]) -> dict:
    """One endpoint's figures over all its rounds (the output of ``summarise_round``).

    Latency percentiles are over the successful requests of all rounds together; errors are
    counted apart so that fast error pages cannot flatter p95.
    """
    if not rounds:
        raise BenchError("no rounds to pool")
    latencies = [ms for r in rounds for ms in r["_latencies"]]
    requests = sum(r["requests"] for r in rounds)
    errors = sum(r["errors"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)

    def pct(p: float) -> float | None:
        return round(percentile(latencies, p), 2) if latencies else None

    return {
        "requests": requests,
        "errors": errors,
        "error_rate": round(errors / requests, 5) if requests else None,
        "rps": round(requests / seconds, 2) if seconds else None,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": round(sum(latencies) / len(latencies), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "measured_seconds": round(seconds, 3),
        "rounds": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rounds],
    }


def round_spread(rounds: Sequence[Mapping]) -> float | None:
    """(max − min) / mean of the rounds' throughput; how much the machine drifted meanwhile.

    Two rounds of the same endpoint on the same server should agree; a large spread means
    something else on the shared machine took CPU during one of them.
    """
    rates = [r["rps"] for r in rounds if r.get("rps")]
    if len(rates) < 2:
        return None
    return round((max(rates) - min(rates)) / (sum(rates) / len(rates)), 3)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` rounded to 3 places, or None when either is missing or 0."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def evaluate_targets(
    targets: Targets,
    *,
    ratio_throughput: float | None,
    ratio_p95: float | None,
    p95_ms: float | None,
) -> tuple[dict, bool | None]:
    """Each declared target with its actual figure and verdict, and the overall verdict.

    The overall verdict is None when the scenario declares no target; a declared target
    whose figure is missing counts as missed.
    """
    checks: dict[str, dict] = {}
    bounds = (
        ("throughput_ratio", targets.min_throughput_ratio, ratio_throughput, ">=", operator.ge),
        ("p95_ratio", targets.max_p95_ratio, ratio_p95, "<=", operator.le),
        ("p95_ms", targets.max_p95_ms, p95_ms, "<=", operator.le),
    )
    for name, bound, actual, op, compare in bounds:
        if bound is None:
            continue
        ok = actual is not None and compare(actual, bound)
        checks[name] = {"target": f"{op} {bound:g}", "actual": actual, "ok": ok}
    if not checks:
        return checks, None
    return checks, all(c["ok"] for c in checks.values())


def error_problems(label: str, figures: Mapping) -> list[str]:
    """Why ``figures`` (a pooled result) make the scenario an error, if they do."""
    rate = figures.get("error_rate")
    if rate is None:
        return [f"{label}: no requests completed"]
    if rate > MAX_ERROR_RATE:
        return [
            f"{label}: {figures['errors']} of {figures['requests']} requests failed "
            f"({rate:.1%} > {MAX_ERROR_RATE:.0%})"
        ]
    return []


def parse_locust_stats_json(text: str) -> dict:
    """Request and failure counts from locust's ``--json-file`` output, to cross-check our samples.

    Only the counts are used: locust rounds its response times (whole ms below 100 ms, two
    significant digits above), so the percentiles come from the raw samples instead.
    """
    entries = json.loads(text)
    return {
        "requests": sum(int(e["num_requests"]) for e in entries),
        "failures": sum(int(e["num_failures"]) for e in entries),
    }


def exit_code(results: Iterable[Mapping], *, strict: bool) -> int:
    """1 if any scenario errored, or (with ``strict``) missed a speed target; else 0.

    Skipped scenarios never fail the run: they are reported, and an endpoint that does not
    exist yet is the normal state while its issue is open.
    """
    results = list(results)
    if any(r["status"] == "error" for r in results):
        return 1
    if strict and any(r.get("meets_target") is False for r in results):
        return 1
    return 0
