"""Benchmarks that are not HTTP load: imports, PDF renders, queuing notices.

    python bench/offline.py [--only NAME] [--scale 1.0] [--list] [--strict]

Each benchmark in ``OFFLINE`` is a function ``run(scale: float) -> dict`` in a bench module.
It measures the work *and* its baseline in the same run (a raw PostgreSQL COPY of the same
file, a bare WeasyPrint render …) and returns at least::

    {"measured": {...}, "baseline": {...}, "ratio": float, "target": str, "target_met": bool}

The runner migrates the caller's database (``DATABASE_URL``; `make bench` points it at
``portal_bench``), runs each benchmark, writes ``bench/results/<name>.json`` and prints one
line per benchmark. ``scale`` shrinks the row counts for a quick look (``--scale 0.01``);
the targets are stated for ``1.0``. Exit 0 fine, 1 a benchmark raised (or, with --strict,
missed its target), 2 the runner could not set up.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS_DIR = BENCH_DIR / "results"


@dataclass(frozen=True)
class OfflineBench:
    name: str
    target: str
    function: str  # "module:function"

    def load(self):
        module, _, function = self.function.partition(":")
        return getattr(importlib.import_module(module), function)


OFFLINE: list[OfflineBench] = [
    OfflineBench(
        "bill-import",
        "1 M bill rows ≥50,000 rows/s, reported beside a raw COPY of the same file",
        "bench.billing_imports:run_bills",
    ),
    OfflineBench(
        "cdr-import",
        "10 M call records ≥100,000 rows/s and ≥50% of a raw COPY of the same file",
        "bench.telecom_imports:run",
    ),
    OfflineBench(
        "cdr-deep-page",
        "call-record search page 10,000 no slower than 2× page 1 (keyset cursor)",
        "bench.telecom_pages:run",
    ),
    OfflineBench(
        "bill-notices",
        "queuing 1 M bill SMS ≤2 minutes with the provider stubbed, batches of ≤200",
        "bench.billing_notices:run",
    ),
    OfflineBench(
        "bill-pdf",
        "full bill PDF p95 ≤500 ms per render, beside a bare WeasyPrint page",
        "bench.billing_pdf:run",
    ),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="only these (a,b)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the stated sizes")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--no-setup", action="store_true", help="skip migrate")
    return parser.parse_args(argv)


def _chosen(only: list[str]) -> list[OfflineBench]:
    names = {n.strip() for item in only for n in item.split(",") if n.strip()}
    unknown = names - {b.name for b in OFFLINE}
    if unknown:
        raise ValueError(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return [b for b in OFFLINE if not names or b.name in names]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        for bench in OFFLINE:
            print(f"{bench.name:<16}{bench.target}")
        return 0
    try:
        chosen = _chosen(args.only)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    # The benchmark server's settings (production-like, DEBUG off); tasks are not run.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if not args.no_setup:
        call_command("migrate", verbosity=0, interactive=False)
    RESULTS_DIR.mkdir(exist_ok=True)
    failed = missed = 0
    for bench in chosen:
        print(f"{bench.name}: {bench.target}", flush=True)
        started = time.perf_counter()
        try:
            result = bench.load()(scale=args.scale)
        except Exception:  # noqa: BLE001 - report and go on with the next benchmark
            traceback.print_exc()
            failed += 1
            continue
        result = {
            "name": bench.name,
            "target": bench.target,
            "scale": args.scale,
            "database": connection.vendor,
            "seconds": round(time.perf_counter() - started, 2),
            **result,
        }
        (RESULTS_DIR / f"{bench.name}.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n"
        )
        met = result.get("target_met")
        missed += met is False
        print(
            f"  ratio {result.get('ratio')}  target {'met' if met else 'MISSED'}  "
            f"→ bench/results/{bench.name}.json",
            flush=True,
        )
    if failed or (args.strict and missed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
