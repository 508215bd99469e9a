"""Benchmark runner behind `make bench`: named endpoints against a minimal-view baseline.

    python bench/run.py [--only NAME] [--duration 15] [--users 20] [--port 8199] [--strict]

Steps: `migrate` (and `seed_demo` when the project has it) against the caller's database,
`collectstatic` into bench/var, gunicorn on 127.0.0.1 with DEBUG off, then for every
scenario in bench/scenarios.py that answers at start: locust runs against its baseline
(/healthz/, or the scenario's own minimal view) and the endpoint for the same duration and
users, and bench/results/<name>.json gets p50/p95/p99, requests/s, errors and the ratios to
the baseline. Every load run is bounded by locust's own time limit and, as a backstop, a
subprocess timeout; gunicorn is always stopped (its whole process group) on the way out.

Exit status: 0 = fine; 1 = a scenario errored (HTTP errors > 1%) or, with --strict, missed
a speed target; 2 = the bench itself could not run (setup, server start, baseline).
"""

import argparse
import contextlib
import dataclasses
import importlib.metadata
import json
import math
import os
import platform
import signal
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/, not the project, on the path
    sys.path.insert(0, str(ROOT))

from bench import metrics  # noqa: E402
from bench.metrics import BenchError  # noqa: E402
from bench.report import (  # noqa: E402
    GENERATOR_SATURATED_CORES,
    RESULTS_DIR,
    build_result,
    format_table,
    now,
    write_result,
)
from bench.scenarios import (  # noqa: E402
    BASELINE_NAME,
    BASELINE_PATH,
    HEALTHZ,
    SCENARIOS,
    Baseline,
    Prepared,
    Scenario,
    select,
    validate_prepared,
    validate_scenarios,
)
from bench.server import (  # noqa: E402
    HOST,
    Server,
    check_request,
    kill_group,
    server_environment,
    unavailable_reason,
)

VAR_DIR = BENCH_DIR / "var"
LOCUSTFILE = BENCH_DIR / "locustfile.py"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this scenario (repeat or comma-separate for several)",
    )
    parser.add_argument(
        "--duration",
        type=int,
        default=15,
        help="seconds of load per endpoint (split over two rounds; default 15)",
    )
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--port", type=int, default=8199, help="gunicorn port on 127.0.0.1")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn sync workers (default: number of cores)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a scenario misses a speed target"
    )
    parser.add_argument(
        "--no-setup",
        action="store_true",
        help="skip migrate/seed_demo/collectstatic (quick re-runs on a prepared database)",
    )
    parser.add_argument(
        "--healthz-baseline",
        action="store_true",
        help="measure every scenario against /healthz/, ignoring its own baseline (comparisons)",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    if args.only:
        args.only = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    if args.duration < 4:
        parser.error("--duration must be at least 4 seconds (two rounds of 2 s)")
    if not 1 <= args.users <= 500:
        parser.error("--users must be between 1 and 500")
    if not 1 <= args.workers <= 32:
        parser.error("--workers must be between 1 and 32")
    if not 1024 <= args.port <= 65535:
        parser.error("--port must be between 1024 and 65535")
    return args


# --- Environment, setup and facts -------------------------------------------------------


def manage(*args: str, timeout: float) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    try:
        done = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`manage.py {' '.join(args)}` took longer than {timeout:.0f}s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise BenchError(f"`manage.py {' '.join(args)}` failed:\n" + "\n".join(tail))
    return done


def prepare_database(*, skip: bool) -> dict:
    """Migrate, seed when the project has `seed_demo`, collect static files; what was done."""
    if skip:
        return {
            "migrate": "skipped (--no-setup)",
            "seed_demo": "skipped",
            "collectstatic": "skipped",
        }
    manage("migrate", "--noinput", "-v", "0", timeout=900)
    commands = manage("help", "--commands", timeout=120).stdout.split()
    seeded = "absent (no such command yet)"
    if "seed_demo" in commands:
        manage("seed_demo", timeout=900)
        seeded = "ran"
    # The project's collectstatic skips django-jalali's broken minified css by itself.
    manage("collectstatic", "--noinput", "-v", "0", timeout=600)
    return {
        "migrate": "ran",
        "seed_demo": seeded,
        "collectstatic": "ran into bench/var/staticfiles",
    }


def database_facts(*, url_set: bool) -> dict:
    """Which database the server uses, read through Django with the server's settings."""
    from django.db import connection

    settings_dict = connection.settings_dict
    facts = {
        "vendor": connection.vendor,
        "name": Path(str(settings_dict["NAME"])).name
        if connection.vendor == "sqlite"
        else str(settings_dict["NAME"]),
        "host": settings_dict.get("HOST") or None,
        "conn_max_age": settings_dict.get("CONN_MAX_AGE"),
        "database_url_set": url_set,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        facts["server_version"] = cursor.fetchone()[0]
    if connection.vendor == "sqlite":
        facts["note"] = (
            "DATABASE_URL is unset: the bench ran on the SQLite default (db.sqlite3); "
            "figures are not representative of PostgreSQL"
        )
    return facts


def machine_facts() -> dict:
    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    facts = {
        "nproc": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "git_commit": _git_commit(),
        "packages": {p: version(p) for p in ("django", "gunicorn", "locust", "psycopg2-binary")},
    }
    return facts


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _git_commit() -> str | None:
    # Read-only; a repository without commits (or without git) records null.
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


# --- The load -----------------------------------------------------------------------------


def warm_up(port: int, spec: Mapping, *, requests: int) -> None:
    """Sequential requests so every worker has loaded templates and opened its DB connection."""
    for i in range(requests):
        path = spec["paths"][i % len(spec["paths"])]
        check_request(
            port,
            spec["method"],
            path,
            headers=spec["headers"],
            body=spec["body"],
            expect_status=spec["expect_status"],
        )


def locust_command(*, port: int, users: int, seconds: int, json_prefix: Path) -> list[str]:
    # --json-file, not --csv: locust rewrites its CSV only every second from a greenlet, so
    # on short rounds the last rewrite can miss a third of the requests; the JSON file is
    # written once at shutdown, after the users stop.
    return [
        sys.executable,
        *["-m", "locust", "-f"],
        str(LOCUSTFILE),
        *f"--headless -u {users} -r {users} -t {seconds}s --stop-timeout 0".split(),
        *f"--host http://{HOST}:{port}".split(),
        "--json-file",
        str(json_prefix),
        *["--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"],
    ]


def run_round(
    *, server: Server, spec: Mapping, users: int, seconds: int, warmup_s: float, tag: str
) -> dict:
    """One locust run of ``seconds`` against ``spec``; its figures (see metrics.summarise_round)."""
    prefix = VAR_DIR / f"locust-{tag}"
    samples_file = VAR_DIR / f"locust-{tag}.samples"
    meta_file = VAR_DIR / f"locust-{tag}.meta.json"
    log_file = VAR_DIR / f"locust-{tag}.log"
    for leftover in (samples_file, meta_file, Path(f"{prefix}.json")):
        leftover.unlink(missing_ok=True)
    # LOCUST_* variables of the caller would silently change the run; drop them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    env.update(
        BENCH_REQUEST=json.dumps(spec),
        BENCH_SAMPLES_FILE=str(samples_file),
        BENCH_META_FILE=str(meta_file),
    )
    cmd = locust_command(port=server.port, users=users, seconds=seconds, json_prefix=prefix)
    cpu_before = server.cpu_seconds()
    with log_file.open("w") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        # Locust stops itself after -t; this is the backstop if it hangs.
        proc.wait(timeout=seconds + 60)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"locust ({tag}) did not stop within {seconds + 60}s") from exc
    finally:
        if proc.poll() is None:
            kill_group(proc, grace=5)
    cpu_after = server.cpu_seconds()
    if proc.returncode != 0 or not samples_file.exists():
        tail = "\n".join(log_file.read_text().splitlines()[-15:])
        raise BenchError(f"locust ({tag}) exited with {proc.returncode}:\n{tail}")

    samples = metrics.read_samples(samples_file)
    figures = metrics.summarise_round(samples, warmup_s=warmup_s)
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(meta_file.read_text())
        wall = meta["wall_s"] or 1e-9
        figures["generator_cpu_cores"] = round(meta["cpu_s"] / wall, 2)
        if cpu_before is not None and cpu_after is not None:
            figures["server_cpu_cores"] = round((cpu_after - cpu_before) / wall, 2)
    with contextlib.suppress(OSError, ValueError, KeyError):
        reported = metrics.parse_locust_stats_json(Path(f"{prefix}.json").read_text())
        figures["locust_reported"] = reported
        figures["samples_match_locust"] = reported["requests"] == len(samples)
    return figures


def request_spec(label: str, scenario: Scenario | None, prepared: Prepared | None) -> dict:
    """What locust sends: the scenario's request, or (``scenario`` None) a baseline's GET."""
    if scenario is None:
        return {
            "label": label,
            "method": "GET",
            "paths": list(prepared.paths) if prepared else [BASELINE_PATH],
            "headers": dict(prepared.headers) if prepared else {},
            "body": None,
            "expect_status": 200,
        }
    assert prepared is not None
    return {
        "label": label,
        "method": scenario.method,
        "paths": list(prepared.paths),
        "headers": dict(prepared.headers),
        "body": scenario.body,
        "expect_status": scenario.expect_status,
    }


def baseline_facts(baseline: Baseline, prepared: Prepared) -> dict:
    """How a result names its baseline (merged into its ``baseline`` figures)."""
    return {
        "name": baseline.name,
        "description": baseline.description,
        "path": prepared.paths[0],
        "path_count": len(prepared.paths),
    }


def format_baselines(results: Sequence[Mapping]) -> str:
    """One line per measured scenario: which baseline its ratios are against."""
    lines = []
    for r in results:
        base = r.get("baseline") or {}
        if base.get("name"):
            lines.append(f"{r['name']}: baseline {base['name']} (GET {base['path']})")
    return "\n".join(lines)


def measure(
    *,
    server: Server,
    scenario: Scenario,
    prepared: Prepared,
    users: int,
    duration: int,
    baseline: Prepared | None = None,
) -> tuple[dict, dict, dict]:
    """Baseline and endpoint figures for one scenario, and how the load was applied.

    Rounds run in ABBA order (baseline, endpoint, endpoint, baseline): on a shared machine
    the background load drifts, and any drift that is roughly linear over the ~4 rounds
    then weighs on both sides equally, where "all baseline, then all endpoint" would
    charge it to one side. Baseline and endpoint never run at the same time: they would
    share the sync workers and each one's latency would include the other's.
    """
    round_seconds = math.ceil(duration / 2)
    # Users are spawned over the first second; cut that, and a little more on short rounds.
    warmup_s = min(1.5, round_seconds * 0.2)
    base_spec = request_spec(BASELINE_NAME, None, baseline)
    target_spec = request_spec(scenario.name, scenario, prepared)
    warm_up(server.port, base_spec, requests=10 * server.workers)
    warm_up(server.port, target_spec, requests=10 * server.workers)

    rounds: dict[str, list[dict]] = {BASELINE_NAME: [], scenario.name: []}
    order = (BASELINE_NAME, scenario.name, scenario.name, BASELINE_NAME)
    for i, which in enumerate(order):
        spec = base_spec if which == BASELINE_NAME else target_spec
        print(f"  round {i + 1}/4: {which} for {round_seconds}s", flush=True)
        rounds[which].append(
            run_round(
                server=server,
                spec=spec,
                users=users,
                seconds=round_seconds,
                warmup_s=warmup_s,
                tag=f"{scenario.name}-{i + 1}-{which}",
            )
        )
    generator_cores = [
        r["generator_cpu_cores"] for rs in rounds.values() for r in rs if "generator_cpu_cores" in r
    ]
    spread = {which: metrics.round_spread(rs) for which, rs in rounds.items()}
    load = {
        "generator": "locust FastHttpUser (closed loop, no wait)",
        "users": users,
        "spawn_rate_per_s": users,
        "order": "ABBA: baseline, endpoint, endpoint, baseline",
        "baseline": scenario.baseline.name,
        "round_seconds": round_seconds,
        "warmup_cut_s": warmup_s,
        "generator_saturated": bool(generator_cores)
        and max(generator_cores) >= GENERATOR_SATURATED_CORES,
        "round_spread": spread,
        "noisy": any(x is not None and x > metrics.NOISY_SPREAD for x in spread.values()),
    }
    return (
        metrics.pool_rounds(rounds[BASELINE_NAME]),
        metrics.pool_rounds(rounds[scenario.name]),
        load,
    )


# --- Main -----------------------------------------------------------------------------------


def _raise_on_signal(signum, frame):
    # Turn SIGTERM/SIGHUP into an exception so the finally blocks stop gunicorn and locust.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    problems = validate_scenarios(SCENARIOS)
    if problems:
        print("invalid scenario registry:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:<16}{s.method} {s.path or '(prepared)'}  {s.description}")
        return 0
    try:
        chosen = select(args.only)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.healthz_baseline:
        chosen = [dataclasses.replace(s, baseline=HEALTHZ) for s in chosen]

    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    for stale in VAR_DIR.glob("locust-*"):
        stale.unlink()
    url_set = "DATABASE_URL" in os.environ
    # The runner itself (setup commands, prepare callables, database facts) sees exactly
    # the settings the server will see.
    os.environ.update(server_environment(os.environ))
    server = Server(
        port=args.port, workers=args.workers, env=os.environ, log_path=VAR_DIR / "gunicorn.log"
    )
    results: list[dict] = []
    try:
        print("setting up the database and static files…", flush=True)
        setup = prepare_database(skip=args.no_setup)
        import django

        django.setup()
        context = {
            "run_id": uuid.uuid4().hex[:12],
            "started_at": now(),
            "command": " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
            "setup": setup,
            "database": database_facts(url_set=url_set),
            "machine": machine_facts(),
            "server": server.facts(),
        }
        if "note" in context["database"]:
            print(f"note: {context['database']['note']}", flush=True)
        prepared: dict[str, Prepared | str] = {}
        baselines: dict[str, Prepared | str] = {}
        for scenario in chosen:
            prepared[scenario.name] = _resolve_or_reason(scenario.resolve, "prepare")
            baselines[scenario.name] = _resolve_or_reason(
                scenario.baseline.resolve, f"baseline {scenario.baseline.name}: prepare"
            )
        from django.db import connections

        connections.close_all()

        print(f"starting gunicorn on {HOST}:{args.port} with {args.workers} workers…", flush=True)
        server.start()
        baseline_problem = check_request(args.port, "GET", BASELINE_PATH)
        if baseline_problem:
            raise BenchError(f"the baseline does not answer: {baseline_problem}")

        for scenario in chosen:
            p, b = prepared[scenario.name], baselines[scenario.name]
            if isinstance(p, str) or isinstance(b, str):
                reason = p if isinstance(p, str) else b
                result = build_result(
                    context=context, scenario=scenario, status="error", reason=reason, prepared=None
                )
            elif reason := unavailable_reason(args.port, scenario, p):
                print(f"{scenario.name}: skipped ({reason})", flush=True)
                result = build_result(
                    context=context, scenario=scenario, status="skipped", reason=reason, prepared=p
                )
            elif reason := baseline_unavailable_reason(args.port, scenario.baseline, b):
                result = build_result(
                    context=context, scenario=scenario, status="error", reason=reason, prepared=p
                )
            else:
                print(
                    f"{scenario.name}: measuring against {scenario.baseline.name} "
                    f"(GET {b.paths[0]})",
                    flush=True,
                )
                result = measure_one(context, server, scenario, p, args, baseline=b)
            results.append(result)
            write_result(result)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        if server.proc is not None:
            print(f"gunicorn log ({server.log_path}):\n{server.log_tail()}", file=sys.stderr)
        return 2
    finally:
        server.stop()

    print()
    print(format_table(results))
    if names := format_baselines(results):
        print(names)
    print(f"\nresults in {RESULTS_DIR.relative_to(ROOT)}/<name>.json")
    return metrics.exit_code(results, strict=args.strict)


def _resolve_or_reason(resolve, what: str) -> Prepared | str:
    """``resolve()`` checked, or why it failed (a broken prepare skips only its scenario)."""
    try:
        p = resolve()
    except Exception as exc:  # noqa: BLE001
        return f"{what} failed: {type(exc).__name__}: {exc}"
    bad = validate_prepared(p)
    return f"{what}: " + "; ".join(bad) if bad else p


def baseline_unavailable_reason(port: int, baseline: Baseline, prepared: Prepared) -> str | None:
    """Why the scenario's own baseline cannot be measured (then the scenario is an error)."""
    probe = Scenario(name="baseline-check", description=baseline.description, path="/")
    reason = unavailable_reason(port, probe, prepared)
    return f"baseline {baseline.name} does not answer: {reason}" if reason else None


def measure_one(
    context: Mapping,
    server: Server,
    scenario: Scenario,
    prepared: Prepared,
    args,
    *,
    baseline: Prepared | None = None,
) -> dict:
    """Measure one scenario; a load-generator failure becomes an error result, not a crash."""
    base_prepared = baseline or scenario.baseline.resolve()
    try:
        base_figures, endpoint, load = measure(
            server=server,
            scenario=scenario,
            prepared=prepared,
            users=args.users,
            duration=args.duration,
            baseline=base_prepared,
        )
    except BenchError as exc:
        return build_result(
            context=context, scenario=scenario, status="error", reason=str(exc), prepared=prepared
        )
    baseline = {**base_figures, **baseline_facts(scenario.baseline, base_prepared)}
    problems = metrics.error_problems(
        f"{BASELINE_NAME} {scenario.baseline.name}", baseline
    ) + metrics.error_problems(scenario.name, endpoint)
    return build_result(
        context=context,
        scenario=scenario,
        status="error" if problems else "measured",
        reason="; ".join(problems) or None,
        prepared=prepared,
        baseline=baseline,
        endpoint=endpoint,
        load=load,
    )


if __name__ == "__main__":
    sys.exit(main())
