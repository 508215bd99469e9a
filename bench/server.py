"""The server under test and plain requests to it: gunicorn on 127.0.0.1, in its own process group.

Everything here talks to ``HOST`` only; the load itself is bench/run.py's business.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from bench.metrics import BenchError
from bench.scenarios import BASELINE_PATH, MAX_PATHS_CHECKED, Prepared, Scenario

HOST = "127.0.0.1"  # the only address the bench ever sends traffic to
ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "bench.settings"


def server_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment (so the same DATABASE_URL/REDIS_URL) with DEBUG off."""
    env = dict(base)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DEBUG="false",
        ALLOWED_HOSTS=f"{HOST},localhost",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), base.get("PYTHONPATH", "")) if p),
    )
    return env


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port (else we might measure someone else's server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) != 0


class Server:
    """gunicorn in its own process group, so stopping it also stops every worker."""

    def __init__(self, *, port: int, workers: int, env: Mapping[str, str], log_path: Path):
        self.port = port
        self.workers = workers
        self.env = dict(env)
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.cmd = [
            sys.executable,
            *f"-m gunicorn portal.wsgi -w {workers} --threads 1 -b {HOST}:{port}".split(),
            *["--graceful-timeout", "5", "--log-level", "warning"],
        ]

    def facts(self) -> dict:
        return {
            "command": " ".join(["gunicorn", *self.cmd[3:]]),
            "workers": self.workers,
            "threads": 1,
            "worker_class": "sync",
            "workers_reason": (
                "one sync worker per core: these views are CPU-bound and the load generator "
                "shares the same cores, so more workers only add context switches"
            ),
            "settings": SETTINGS_MODULE,
            "debug": False,
            "note": "sync workers close the connection after every response (no keep-alive)",
        }

    def start(self, *, ready_timeout: float = 30) -> None:
        if not port_is_free(self.port):
            raise BenchError(f"something already listens on {HOST}:{self.port}; pick --port")
        log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            if check_request(self.port, "GET", BASELINE_PATH, timeout=1) is None:
                return
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer {BASELINE_PATH} within {ready_timeout:.0f}s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        kill_group(self.proc, grace=10)

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the master and its workers (Linux /proc), or None."""
        if self.proc is None:
            return None
        return _group_cpu_seconds(self.proc.pid)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        return ""


def kill_group(proc: subprocess.Popen, *, grace: float) -> None:
    """SIGTERM the process group led by ``proc``, SIGKILL it after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _group_cpu_seconds(pgid: int) -> float | None:
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # Fields after the parenthesised command name: state ppid pgrp ... utime stime
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, ValueError):
        return None


def check_request(
    port: int,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
    expect_status: int = 200,
    timeout: float = 10,
) -> str | None:
    """None when ``method path`` on 127.0.0.1:port answers ``expect_status``; else why not.

    Redirects are not followed: a login redirect must not pass for the page itself.
    """
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return f"{method} {path}: {type(exc).__name__}: {exc}"
    finally:
        conn.close()
    if response.status != expect_status:
        where = response.getheader("Location")
        extra = f" (Location: {where})" if where else ""
        return f"{method} {path} answered {response.status}{extra}, expected {expect_status}"
    return None


def unavailable_reason(port: int, scenario: Scenario, prepared: Prepared) -> str | None:
    """Why the scenario must be skipped (its first failing path), or None to measure it."""
    for path in prepared.paths[:MAX_PATHS_CHECKED]:
        reason = check_request(
            port,
            scenario.method,
            path,
            headers=prepared.headers,
            body=scenario.body,
            expect_status=scenario.expect_status,
        )
        if reason:
            return reason
    return None
