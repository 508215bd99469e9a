"""Unit tests of the benchmark runner's pure parts (bench/).

No load is generated here: figures come from synthetic samples, and the "answers at start"
check talks to a tiny HTTP server on 127.0.0.1 started by the test.
"""

import json
import random
import socket
import statistics
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import metrics, report, run, server
from bench.metrics import BenchError, Sample
from bench.scenarios import (
    BASELINE_PATH,
    SCENARIOS,
    Prepared,
    Scenario,
    Targets,
    select,
    validate_prepared,
    validate_scenarios,
)

# --- percentiles, rounds, ratios --------------------------------------------------------


def test_percentile_known_values():
    values = list(range(1, 101))  # 1..100
    assert metrics.percentile(values, 50) == pytest.approx(50.5)
    assert metrics.percentile(values, 95) == pytest.approx(95.05)
    assert metrics.percentile(values, 0) == 1
    assert metrics.percentile(values, 100) == 100
    assert metrics.percentile([7.0], 99) == 7.0


def test_percentile_ignores_input_order_and_matches_statistics_inclusive():
    rng = random.Random(4)
    values = [rng.expovariate(0.1) for _ in range(997)]
    shuffled = values[:]
    rng.shuffle(shuffled)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for pct in (50, 95, 99):
        assert metrics.percentile(shuffled, pct) == pytest.approx(cuts[pct - 1])


@pytest.mark.parametrize(("values", "pct"), [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_rejects_bad_input(values, pct):
    with pytest.raises(ValueError):
        metrics.percentile(values, pct)


def test_read_samples_parses_the_locustfile_format(tmp_path):
    path = tmp_path / "round.samples"
    path.write_text("1000.000000,12.500,1\n\n1000.010000,3.250,0\n")
    assert metrics.read_samples(path) == [
        Sample(start=1000.0, latency_ms=12.5, ok=True),
        Sample(start=1000.01, latency_ms=3.25, ok=False),
    ]


def _steady(n: int, *, per_s: int = 10, latency_ms: float = 10.0, t0: float = 1000.0):
    return [Sample(start=t0 + i / per_s, latency_ms=latency_ms, ok=True) for i in range(n)]


def test_summarise_round_drops_the_warm_up_and_measures_the_window():
    samples = _steady(50)  # 10 requests/s from t0 to t0+4.9 s, 10 ms each
    samples[30] = Sample(start=samples[30].start, latency_ms=1.0, ok=False)

    figures = metrics.summarise_round(samples, warmup_s=1.0)

    assert figures["warmup_requests_dropped"] == 10
    assert figures["requests"] == 40
    assert figures["errors"] == 1
    # window: t0+1.0 → last start t0+4.9 plus 10 ms
    assert figures["seconds"] == pytest.approx(3.91)
    assert figures["rps"] == pytest.approx(40 / 3.91, abs=0.01)
    assert figures["p95_ms"] == 10.0  # the failed request's 1 ms is not a latency figure


def test_summarise_round_without_requests_is_an_error():
    with pytest.raises(BenchError, match="no requests"):
        metrics.summarise_round([], warmup_s=1.0)
    with pytest.raises(BenchError, match="warm-up"):
        metrics.summarise_round(_steady(5), warmup_s=10.0)


def test_pool_rounds_combines_latencies_and_counts():
    fast = metrics.summarise_round(_steady(40, latency_ms=5.0), warmup_s=0)
    slow = metrics.summarise_round(
        [*_steady(39, latency_ms=20.0, t0=2000.0), Sample(2004.0, 1.0, ok=False)], warmup_s=0
    )

    pooled = metrics.pool_rounds([fast, slow])

    assert pooled["requests"] == 80
    assert pooled["errors"] == 1
    assert pooled["error_rate"] == pytest.approx(1 / 80, abs=1e-5)
    assert pooled["rps"] == pytest.approx(80 / (fast["seconds"] + slow["seconds"]), abs=0.01)
    assert pooled["p50_ms"] == 5.0  # 40 × 5 ms and 39 × 20 ms: the median is a 5 ms one
    assert pooled["p95_ms"] == 20.0
    assert pooled["max_ms"] == 20.0
    assert len(pooled["rounds"]) == 2
    assert all("_latencies" not in r for r in pooled["rounds"])
    json.dumps(pooled)


def test_ratio():
    assert metrics.ratio(250.0, 1000.0) == 0.25
    assert metrics.ratio(1.0, 3.0) == 0.333
    assert metrics.ratio(None, 10.0) is None
    assert metrics.ratio(10.0, 0) is None
    assert metrics.ratio(10.0, None) is None


def test_evaluate_targets_verdicts():
    targets = Targets(min_throughput_ratio=0.3, max_p95_ratio=4.0)

    checks, meets = metrics.evaluate_targets(targets, ratio_throughput=0.5, ratio_p95=2, p95_ms=9)
    assert meets is True
    assert checks["throughput_ratio"] == {"target": ">= 0.3", "actual": 0.5, "ok": True}
    assert set(checks) == {"throughput_ratio", "p95_ratio"}

    checks, meets = metrics.evaluate_targets(targets, ratio_throughput=0.2, ratio_p95=2, p95_ms=9)
    assert meets is False
    assert checks["throughput_ratio"]["ok"] is False
    assert checks["p95_ratio"]["ok"] is True

    _, meets = metrics.evaluate_targets(
        Targets(max_p95_ms=150), ratio_throughput=1, ratio_p95=1, p95_ms=151
    )
    assert meets is False


def test_evaluate_targets_without_targets_or_figures():
    assert metrics.evaluate_targets(Targets(), ratio_throughput=1, ratio_p95=1, p95_ms=1) == (
        {},
        None,
    )
    _, meets = metrics.evaluate_targets(
        Targets(min_throughput_ratio=0.5), ratio_throughput=None, ratio_p95=None, p95_ms=None
    )
    assert meets is False


def test_error_problems_threshold_is_one_percent():
    assert (
        metrics.error_problems("home", {"requests": 1000, "errors": 10, "error_rate": 0.01}) == []
    )
    problems = metrics.error_problems("home", {"requests": 1000, "errors": 11, "error_rate": 0.011})
    assert problems == ["home: 11 of 1000 requests failed (1.1% > 1%)"]
    assert metrics.error_problems("home", {"error_rate": None}) == ["home: no requests completed"]


def test_parse_locust_stats_json():
    text = json.dumps(
        [
            {"name": "home", "method": "GET", "num_requests": 364, "num_failures": 2},
            {"name": "home", "method": "HEAD", "num_requests": 6, "num_failures": 0},
        ]
    )
    assert metrics.parse_locust_stats_json(text) == {"requests": 370, "failures": 2}


def test_exit_code():
    measured_ok = {"status": "measured", "meets_target": True}
    missed = {"status": "measured", "meets_target": False}
    skipped = {"status": "skipped", "meets_target": None}
    errored = {"status": "error", "meets_target": None}

    assert metrics.exit_code([measured_ok, skipped], strict=True) == 0
    assert metrics.exit_code([missed], strict=False) == 0
    assert metrics.exit_code([missed], strict=True) == 1
    assert metrics.exit_code([measured_ok, errored], strict=False) == 1


# --- the registry ---------------------------------------------------------------------------


def test_the_registry_is_valid():
    assert validate_scenarios(SCENARIOS) == []
    assert "home" in {s.name for s in SCENARIOS}
    assert all(s.path != BASELINE_PATH for s in SCENARIOS)


def test_validate_scenarios_reports_every_problem():
    def prepare():
        return ["/x/"]

    bad = [
        Scenario(name="home", path="/", description="ok"),
        Scenario(name="home", path="/again/", description="duplicate"),
        Scenario(name="Bad Name", path="/", description="x"),
        Scenario(name="baseline", path="/", description="reserved"),
        Scenario(name="both", path="/", prepare=prepare, description="x"),
        Scenario(name="neither", description="x"),
        Scenario(name="relative", path="help/", description="x"),
        Scenario(name="other-host", path="//evil.example/", description="x"),
        Scenario(name="put", path="/", method="PUT", description="x"),
        Scenario(name="status", path="/", expect_status=42, description="x"),
        Scenario(name="blank", path="/", description=" "),
        Scenario(name="zero", path="/", description="x", targets=Targets(max_p95_ratio=0)),
    ]

    problems = "\n".join(validate_scenarios(bad))

    for fragment in (
        "'home': duplicate name",
        "'Bad Name': name must match",
        "'baseline': the name 'baseline' is reserved",
        "'both': give exactly one of path and prepare",
        "'neither': give exactly one of path and prepare",
        "'relative': path must start with '/'",
        "'other-host': path must start with '/'",
        "'put': method 'PUT'",
        "'status': expect_status 42",
        "'blank': description is empty",
        "'zero': targets.max_p95_ratio must be positive",
    ):
        assert fragment in problems
    assert len(validate_scenarios(bad)) == 11


def test_select_keeps_registry_order_and_rejects_unknown_names():
    registry = [
        Scenario(name="a", path="/a/", description="a"),
        Scenario(name="b", path="/b/", description="b"),
    ]
    assert select(None, registry) == registry
    assert [s.name for s in select(["b", "a"], registry)] == ["a", "b"]
    with pytest.raises(ValueError, match="unknown scenario"):
        select(["c"], registry)


def test_resolve_calls_prepare_and_merges_headers():
    fixed = Scenario(name="a", path="/a/", headers={"Accept": "text/html"}, description="a")
    assert fixed.resolve() == Prepared(paths=("/a/",), headers={"Accept": "text/html"})

    from_list = Scenario(name="b", prepare=lambda: ["/b/1/", "/b/2/"], description="b")
    assert from_list.resolve().paths == ("/b/1/", "/b/2/")

    with_auth = Scenario(
        name="c",
        prepare=lambda: Prepared(paths=("/c/",), headers={"Authorization": "Token t"}),
        headers={"Accept": "application/json"},
        description="c",
    )
    assert with_auth.resolve().headers == {
        "Accept": "application/json",
        "Authorization": "Token t",
    }


def test_validate_prepared():
    assert validate_prepared(Prepared(paths=("/ok/",))) == []
    assert validate_prepared(Prepared(paths=())) == ["prepare returned no paths"]
    assert validate_prepared(Prepared(paths=("http://x/",))) == [
        "prepared path 'http://x/' must start with '/'"
    ]


# --- "answers at start" against a real socket on 127.0.0.1 -----------------------------------


class _FakePortal(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/ok/":
            self._answer(200)
        elif self.path == "/redirect/":
            self._answer(302, {"Location": "/login/"})
        elif self.path == "/boom/":
            self._answer(500)
        elif self.path == "/needs-token/":
            self._answer(200 if self.headers.get("Authorization") == "Token t" else 401)
        else:
            self._answer(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self._answer(201 if body == b'{"q": 1}' else 400)

    def _answer(self, status, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakePortal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_check_request_accepts_only_the_expected_status(fake_port):
    assert server.check_request(fake_port, "GET", "/ok/") is None
    assert server.check_request(fake_port, "GET", "/missing/") == (
        "GET /missing/ answered 404, expected 200"
    )
    assert (
        server.check_request(fake_port, "GET", "/boom/") == "GET /boom/ answered 500, expected 200"
    )
    # A redirect (e.g. to a login page) is not the page: it is reported, not followed.
    assert server.check_request(fake_port, "GET", "/redirect/") == (
        "GET /redirect/ answered 302 (Location: /login/), expected 200"
    )
    assert (
        server.check_request(fake_port, "POST", "/q/", body='{"q": 1}', expect_status=201) is None
    )


def test_check_request_reports_a_closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    reason = server.check_request(closed_port, "GET", "/ok/", timeout=2)
    assert reason.startswith("GET /ok/: ConnectionRefusedError")


def test_unavailable_reason_includes_answering_scenarios_and_explains_the_others(fake_port):
    answering = Scenario(name="ok", path="/ok/", description="x")
    missing = Scenario(name="cards", path="/api/v1/cards/", description="x")
    many = Scenario(name="many", prepare=lambda: ["/ok/", "/missing/"], description="x")
    token = Scenario(
        name="token",
        prepare=lambda: Prepared(paths=("/needs-token/",), headers={"Authorization": "Token t"}),
        description="x",
    )
    no_token = Scenario(name="no-token", path="/needs-token/", description="x")

    assert server.unavailable_reason(fake_port, answering, answering.resolve()) is None
    assert server.unavailable_reason(fake_port, token, token.resolve()) is None
    assert server.unavailable_reason(fake_port, missing, missing.resolve()) == (
        "GET /api/v1/cards/ answered 404, expected 200"
    )
    assert server.unavailable_reason(fake_port, many, many.resolve()) == (
        "GET /missing/ answered 404, expected 200"
    )
    assert "answered 401" in server.unavailable_reason(fake_port, no_token, no_token.resolve())


def test_port_is_free(fake_port):
    assert server.port_is_free(fake_port) is False


# --- the result file and the table -----------------------------------------------------------

_CONTEXT = {
    "run_id": "abc123",
    "started_at": "2026-01-01T00:00:00+00:00",
    "command": "bench/run.py --duration 10",
    "setup": {"migrate": "ran", "seed_demo": "absent", "collectstatic": "ran"},
    "database": {"vendor": "postgresql", "name": "portal_bench"},
    "machine": {"nproc": 2, "python": "3.11.7", "git_commit": None},
    "server": {"workers": 2, "threads": 1},
}


def _pooled(rps: float, p95: float) -> dict:
    return {
        "requests": 1000,
        "errors": 0,
        "error_rate": 0.0,
        "rps": rps,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95 * 1.2,
        "mean_ms": p95 / 2,
        "max_ms": p95 * 2,
        "measured_seconds": 8.0,
        "rounds": [],
    }


def test_build_result_shape_for_a_measured_scenario():
    scenario = Scenario(
        name="search",
        prepare=lambda: [],
        description="Call-record search.",
        targets=Targets(min_throughput_ratio=0.5, max_p95_ms=150, provisional=False),
    )
    prepared = Prepared(paths=("/calls/?line=1",), headers={"Authorization": "Token secret"})

    result = report.build_result(
        context=_CONTEXT,
        scenario=scenario,
        status="measured",
        reason=None,
        prepared=prepared,
        baseline=_pooled(800.0, 20.0),
        endpoint=_pooled(400.0, 50.0),
        load={"users": 10},
    )

    assert result["ratio_throughput"] == 0.5
    assert result["ratio_p95"] == 2.5
    assert result["meets_target"] is True
    assert result["checks"]["p95_ms"] == {"target": "<= 150", "actual": 50.0, "ok": True}
    assert result["baseline"]["path"] == BASELINE_PATH
    assert result["endpoint"]["p95_ms"] == 50.0
    assert result["request"] == {
        "method": "GET",
        "paths": ["/calls/?line=1"],
        "path_count": 1,
        "header_names": ["Authorization"],
        "expect_status": 200,
    }
    assert result["targets"]["provisional"] is False
    assert "loadavg_end" in result["machine"]
    for key in (
        "schema_version",
        "name",
        "status",
        "reason",
        "baseline",
        "endpoint",
        "ratio_throughput",
        "ratio_p95",
        "targets",
        "checks",
        "meets_target",
        "load",
        "server",
        "database",
        "setup",
        "machine",
    ):
        assert key in result
    text = json.dumps(result, ensure_ascii=False)
    assert "secret" not in text  # header values never reach the artefact


def test_build_result_for_a_skipped_scenario(tmp_path):
    scenario = Scenario(name="cards", path="/api/v1/cards/", description="Cards.")
    result = report.build_result(
        context=_CONTEXT,
        scenario=scenario,
        status="skipped",
        reason="GET /api/v1/cards/ answered 404, expected 200",
        prepared=scenario.resolve(),
    )
    assert result["status"] == "skipped"
    assert result["endpoint"] is None
    assert result["ratio_throughput"] is None
    assert result["meets_target"] is None

    path = report.write_result(result, tmp_path)
    assert path == tmp_path / "cards.json"
    assert json.loads(path.read_text())["reason"].endswith("answered 404, expected 200")


def test_format_table_flags_misses_and_reasons():
    missed = report.build_result(
        context=_CONTEXT,
        scenario=Scenario(
            name="home", path="/", description="Home.", targets=Targets(min_throughput_ratio=0.6)
        ),
        status="measured",
        reason=None,
        prepared=None,
        baseline=_pooled(800.0, 20.0),
        endpoint=_pooled(400.0, 50.0),
    )
    skipped = report.build_result(
        context=_CONTEXT,
        scenario=Scenario(name="faq", path="/help/faq/", description="FAQ."),
        status="skipped",
        reason="GET /help/faq/ answered 404, expected 200",
        prepared=None,
    )

    table = report.format_table([missed, skipped])

    assert "MISSES (provisional)" in table
    assert "home: throughput_ratio 0.5 (target >= 0.6)" in table
    assert "faq: GET /help/faq/ answered 404, expected 200" in table
    assert "800.0" in table
    assert "0.50" in table


# --- the commands the runner starts ----------------------------------------------------------


def test_locust_is_bounded_and_aimed_at_localhost(tmp_path):
    cmd = run.locust_command(port=8199, users=10, seconds=8, json_prefix=tmp_path / "x")
    assert cmd[cmd.index("--host") + 1] == "http://127.0.0.1:8199"
    assert cmd[cmd.index("-t") + 1] == "8s"
    assert "--headless" in cmd


def test_server_binds_localhost_only_with_debug_off(tmp_path):
    gunicorn = server.Server(port=8199, workers=2, env={}, log_path=tmp_path / "g.log")
    assert gunicorn.cmd[gunicorn.cmd.index("-b") + 1] == "127.0.0.1:8199"
    assert gunicorn.cmd[gunicorn.cmd.index("-w") + 1] == "2"
    env = server.server_environment({"DATABASE_URL": "postgres://x/y", "DEBUG": "true"})
    assert env["DEBUG"] == "false"
    assert env["DATABASE_URL"] == "postgres://x/y"
    assert env["DJANGO_SETTINGS_MODULE"] == "bench.settings"


def test_bench_settings_force_debug_off():
    import bench.settings

    assert bench.settings.DEBUG is False
    assert bench.settings.STATIC_ROOT.parts[-3:] == ("bench", "var", "staticfiles")


def test_round_spread_flags_drift_between_rounds():
    assert metrics.round_spread([{"rps": 600.0}, {"rps": 900.0}]) == 0.4
    assert metrics.round_spread([{"rps": 100.0}, {"rps": 100.0}]) == 0.0
    assert metrics.round_spread([{"rps": 100.0}]) is None
    assert metrics.round_spread([{"rps": 600.0}, {"rps": 900.0}]) > metrics.NOISY_SPREAD


def test_format_table_warns_about_noisy_rounds():
    result = report.build_result(
        context=_CONTEXT,
        scenario=Scenario(name="faq", path="/help/faq/", description="FAQ."),
        status="measured",
        reason=None,
        prepared=None,
        baseline=_pooled(760.0, 21.0),
        endpoint=_pooled(65.0, 314.0),
        load={"noisy": True, "round_spread": {"baseline": 0.376, "faq": 0.128}},
    )
    assert "faq: throughput differed between rounds (baseline 38%, faq 13%)" in report.format_table(
        [result]
    )


# --- per-scenario baselines -------------------------------------------------------------------


def test_scenarios_default_to_healthz_and_anchored_ones_to_their_minimal_view():
    from bench.scenarios import CDR_MINIMAL, HEALTHZ, HISTORY_MINIMAL

    assert Scenario(name="x", path="/x/", description="x").baseline is HEALTHZ
    assert HEALTHZ.resolve() == Prepared(paths=(BASELINE_PATH,), headers={})
    by_name = {s.name: s for s in SCENARIOS}
    assert by_name["cdr-search"].baseline is CDR_MINIMAL
    assert by_name["bill-history"].baseline is HISTORY_MINIMAL
    anchored = {"cdr-search", "bill-history"}
    assert all(s.baseline is HEALTHZ for s in SCENARIOS if s.name not in anchored)


def test_validate_scenarios_checks_the_baseline():
    from bench.scenarios import Baseline

    bad = [
        Scenario(
            name="a",
            path="/a/",
            description="a",
            baseline=Baseline(name="Bad Name", path="//x/", description="b"),
        ),
        Scenario(
            name="b", path="/b/", description="b", baseline=Baseline(name="n", description="")
        ),
    ]
    problems = "\n".join(validate_scenarios(bad))
    assert "'a': baseline name must match" in problems
    assert "'a': baseline path must start with '/'" in problems
    assert "'b': baseline: give exactly one of path and prepare" in problems


def test_request_spec_of_a_scenario_baseline():
    prepared = Prepared(paths=("/bench/minimal/1/",), headers={"Accept": "application/json"})
    assert run.request_spec("baseline", None, prepared) == {
        "label": "baseline",
        "method": "GET",
        "paths": ["/bench/minimal/1/"],
        "headers": {"Accept": "application/json"},
        "body": None,
        "expect_status": 200,
    }
    assert run.request_spec("baseline", None, None)["paths"] == [BASELINE_PATH]


def test_results_and_table_name_the_baseline():
    from bench.scenarios import Baseline

    minimal = Baseline(name="cdr-minimal", path="/bench/minimal/1/", description="bare view")
    scenario = Scenario(name="search", path="/s/", description="s", baseline=minimal)
    baseline = {
        **_pooled(800.0, 20.0),
        **run.baseline_facts(minimal, minimal.resolve()),
    }
    result = report.build_result(
        context=_CONTEXT,
        scenario=scenario,
        status="measured",
        reason=None,
        prepared=scenario.resolve(),
        baseline=baseline,
        endpoint=_pooled(400.0, 50.0),
    )
    assert result["baseline"]["name"] == "cdr-minimal"
    assert result["baseline"]["path"] == "/bench/minimal/1/"  # not /healthz/
    assert result["baseline"]["description"] == "bare view"
    assert run.format_baselines([result]) == "search: baseline cdr-minimal (GET /bench/minimal/1/)"


def test_a_scenario_baseline_that_does_not_answer_is_reported(fake_port):
    from bench.scenarios import Baseline

    ok = Baseline(name="ok", path="/ok/", description="x")
    gone = Baseline(name="gone", path="/missing/", description="x")
    assert run.baseline_unavailable_reason(fake_port, ok, ok.resolve()) is None
    assert run.baseline_unavailable_reason(fake_port, gone, gone.resolve()) == (
        "baseline gone does not answer: GET /missing/ answered 404, expected 200"
    )


@pytest.mark.django_db
def test_the_minimal_calls_view_returns_the_same_first_page(client, settings):
    """bench/urls.py's cdr-minimal view: bench settings only, no auth, the newest 50 listed
    calls of the line in [start, end) — the rows the real search's first page holds."""
    import datetime as dt
    from urllib.parse import urlencode

    from django.urls import clear_url_caches

    from telecom.models import CallType
    from telecom.selectors.calls import CallFilter, calls_page
    from telecom.selectors.lines import TEHRAN, line_access_for
    from tests.telecom.test_calls_search import calls, owner_line

    user, line = owner_line()
    first = dt.datetime(2024, 11, 21, tzinfo=TEHRAN)
    calls(line, *[first + dt.timedelta(minutes=7 * i) for i in range(60)])
    calls(line, first + dt.timedelta(hours=1), call_type=CallType.LOCAL)
    calls(line, first - dt.timedelta(seconds=1))  # before the window
    settings.ROOT_URLCONF = "bench.urls"
    clear_url_caches()
    try:
        bounds = {"start": first.isoformat(), "end": (first + dt.timedelta(days=30)).isoformat()}
        response = client.get(f"/bench/minimal/calls/{line.pk}/?{urlencode(bounds)}")
    finally:
        clear_url_caches()
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    flt = CallFilter(date_from=dt.date(2024, 11, 21), date_to=dt.date(2024, 12, 20))
    page = calls_page(access=line_access_for(user=user, number=line.number), flt=flt)
    assert ids == [row.id for row in page.rows] and len(ids) == 50


def test_healthz_baseline_option():
    assert run.parse_args(["--healthz-baseline"]).healthz_baseline is True
    assert run.parse_args([]).healthz_baseline is False
