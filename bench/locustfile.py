"""Locust user for bench/run.py: sends one request spec, given through the environment, flat out.

Locust runs this file in its own gevent-patched process, so it imports nothing from the
project. bench/run.py passes:

- ``BENCH_REQUEST``: JSON ``{"label", "method", "paths", "headers", "body", "expect_status"}``
- ``BENCH_SAMPLES_FILE``: where to write one ``start,latency_ms,ok`` line per request, so the
  runner computes exact percentiles (locust's own are rounded) and can drop the warm-up
- ``BENCH_META_FILE``: where to write the generator's own CPU use during the test, to tell
  when the generator rather than the server was the bottleneck
"""

import json
import os
import random
import time

from locust import FastHttpUser, constant, events, task

SPEC = json.loads(os.environ.get("BENCH_REQUEST") or '{"paths": ["/healthz/"]}')
LABEL = SPEC.get("label", "bench")
METHOD = SPEC.get("method", "GET")
PATHS = list(SPEC["paths"])
HEADERS = dict(SPEC.get("headers") or {})
BODY = SPEC.get("body")
EXPECT_STATUS = int(SPEC.get("expect_status", 200))

_samples: list[tuple[float, float, int]] = []
_clock: dict[str, float] = {}


@events.request.add_listener
def _record(response_time, exception=None, start_time=None, **kwargs):
    if start_time is None:
        start_time = time.time() - response_time / 1000
    _samples.append((start_time, float(response_time), 0 if exception else 1))


@events.test_start.add_listener
def _started(**kwargs):
    _clock["wall"] = time.monotonic()
    _clock["cpu"] = time.process_time()


@events.test_stop.add_listener
def _stopped(**kwargs):
    _clock["wall_end"] = time.monotonic()
    _clock["cpu_end"] = time.process_time()


@events.quitting.add_listener
def _write(**kwargs):
    if samples_file := os.environ.get("BENCH_SAMPLES_FILE"):
        with open(samples_file, "w") as fh:
            fh.writelines(f"{s:.6f},{ms:.3f},{ok}\n" for s, ms, ok in _samples)
    if (meta_file := os.environ.get("BENCH_META_FILE")) and "wall_end" in _clock:
        wall = _clock["wall_end"] - _clock["wall"]
        cpu = _clock["cpu_end"] - _clock["cpu"]
        with open(meta_file, "w") as fh:
            json.dump({"wall_s": wall, "cpu_s": cpu}, fh)


class BenchUser(FastHttpUser):
    # Closed loop: each user sends its next request as soon as the previous one answers, so
    # throughput is what the server (and the shared CPU) can give.
    wait_time = constant(0)
    connection_timeout = 3.0
    network_timeout = 10.0

    @task
    def hit(self):
        path = random.choice(PATHS)
        with self.client.request(
            METHOD,
            path,
            name=LABEL,
            headers=HEADERS,
            data=BODY,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == EXPECT_STATUS:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}, expected {EXPECT_STATUS}")
