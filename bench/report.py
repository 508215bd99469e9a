"""The benchmark's output: bench/results/<name>.json and the table printed at the end."""

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench import metrics
from bench.scenarios import BASELINE_PATH, MAX_PATHS_CHECKED, Prepared, Scenario

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SCHEMA_VERSION = 1
# A generator process using this much of one core is probably what limits throughput.
GENERATOR_SATURATED_CORES = 0.9


def build_result(
    *,
    context: Mapping,
    scenario: Scenario,
    status: str,
    reason: str | None,
    prepared: Prepared | None,
    baseline: Mapping | None = None,
    endpoint: Mapping | None = None,
    load: Mapping | None = None,
) -> dict:
    """The JSON written to bench/results/<name>.json (field meanings: bench/README.md)."""
    ratio_throughput = metrics.ratio(
        endpoint and endpoint.get("rps"), baseline and baseline.get("rps")
    )
    ratio_p95 = metrics.ratio(
        endpoint and endpoint.get("p95_ms"), baseline and baseline.get("p95_ms")
    )
    checks, meets = ({}, None)
    if status == "measured":
        checks, meets = metrics.evaluate_targets(
            scenario.targets,
            ratio_throughput=ratio_throughput,
            ratio_p95=ratio_p95,
            p95_ms=endpoint.get("p95_ms") if endpoint else None,
        )
    paths = list(prepared.paths) if prepared else ([scenario.path] if scenario.path else [])
    headers = prepared.headers if prepared else scenario.headers
    t = scenario.targets
    return {
        "schema_version": SCHEMA_VERSION,
        "name": scenario.name,
        "description": scenario.description,
        "status": status,
        "reason": reason,
        "run_id": context["run_id"],
        "started_at": context["started_at"],
        "finished_at": now(),
        "request": {
            "method": scenario.method,
            "paths": paths[:MAX_PATHS_CHECKED],
            "path_count": len(paths),
            # Names only: a header value may be a token, which must not land in an artefact.
            "header_names": sorted(headers),
            "expect_status": scenario.expect_status,
        },
        "baseline": {"path": BASELINE_PATH, **baseline} if baseline else None,
        "endpoint": dict(endpoint) if endpoint else None,
        "ratio_throughput": ratio_throughput,
        "ratio_p95": ratio_p95,
        "targets": {
            "min_throughput_ratio": t.min_throughput_ratio,
            "max_p95_ratio": t.max_p95_ratio,
            "max_p95_ms": t.max_p95_ms,
            "provisional": t.provisional,
            "note": t.note,
        },
        "checks": checks,
        "meets_target": meets,
        "load": dict(load) if load else None,
        "server": context["server"],
        "database": context["database"],
        "setup": context["setup"],
        "machine": {**context["machine"], "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "command": context["command"],
    }


def write_result(result: Mapping, directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result['name']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    tmp.replace(path)
    return path


def format_table(results: Sequence[Mapping]) -> str:
    """A compact text table of the results, then one line per reason or missed target."""

    def num(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    header = (
        f"{'scenario':<16}{'status':<10}{'base rps':>9}{'base p95':>9}"
        f"{'rps':>9}{'p95':>9}{'rps×':>7}{'p95×':>7}  target"
    )
    lines = [header, "-" * len(header)]
    notes = []
    for r in results:
        base = r.get("baseline") or {}
        end = r.get("endpoint") or {}
        verdict = {True: "meets", False: "MISSES", None: "-"}[r.get("meets_target")]
        if r.get("meets_target") is not None and r["targets"]["provisional"]:
            verdict += " (provisional)"
        lines.append(
            f"{r['name']:<16}{r['status']:<10}{num(base.get('rps')):>9}"
            f"{num(base.get('p95_ms')):>9}{num(end.get('rps')):>9}{num(end.get('p95_ms')):>9}"
            f"{num(r.get('ratio_throughput'), 2):>7}{num(r.get('ratio_p95'), 2):>7}  {verdict}"
        )
        if r.get("reason"):
            notes.append(f"{r['name']}: {r['reason']}")
        for check, c in (r.get("checks") or {}).items():
            if not c["ok"]:
                notes.append(f"{r['name']}: {check} {c['actual']} (target {c['target']})")
        if (r.get("load") or {}).get("noisy"):
            spreads = ", ".join(
                f"{k} {v:.0%}" for k, v in r["load"]["round_spread"].items() if v is not None
            )
            notes.append(
                f"{r['name']}: throughput differed between rounds ({spreads}); something else "
                "used the CPU meanwhile, re-run before trusting the ratio"
            )
        if (r.get("load") or {}).get("generator_saturated"):
            notes.append(
                f"{r['name']}: the load generator used ≥{GENERATOR_SATURATED_CORES} of a core; "
                "absolute figures are generator-bound, ratios less affected"
            )
    lines.append(
        "(latencies in ms; rps× = endpoint/baseline throughput, p95× = endpoint/baseline p95)"
    )
    return "\n".join(lines + notes)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
