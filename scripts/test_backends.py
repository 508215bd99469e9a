#!/usr/bin/env python3
"""Chooses the database and broker for `make test` and prints them as shell assignments.

PostgreSQL and Redis are used when reachable (127.0.0.1:5432 / :6379, or DATABASE_URL /
REDIS_URL from the environment). A local server that is installed but stopped is started
first. With CI=true both are required: a missing one ends the run with a clear message
instead of a silent SQLite run. Outside CI a missing PostgreSQL falls back to SQLite.

stdout: `export NAME=value` lines for eval; stderr: what was chosen and why.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
IN_CI = os.environ.get("CI") == "true"


def say(message: str) -> None:
    print(f"[make test] {message}", file=sys.stderr)


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(host: str, port: int, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if reachable(host, port):
            return True
        time.sleep(0.5)
    return False


def run(cmd: list[str]) -> None:
    say("starting: " + " ".join(cmd))
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def start_postgres() -> None:
    if shutil.which("pg_ctlcluster"):
        for conf in sorted(glob.glob("/etc/postgresql/*/main")):
            version = conf.split("/")[3]
            run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
    elif shutil.which("pg_ctl") and os.environ.get("PGDATA"):
        run(["pg_ctl", "start", "-w", "-D", os.environ["PGDATA"]])


def start_redis(port: int) -> None:
    if shutil.which("redis-server"):
        run(
            [
                "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1",
                "--port", str(port), "--save", "", "--appendonly", "no",
            ]
        )  # fmt: skip


def local(host: str | None) -> bool:
    return host in ("127.0.0.1", "localhost", "::1", None, "")


def choose(name: str, url: str, default_port: int, starter) -> str | None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    if reachable(host, port):
        return url
    if local(host):
        starter(port) if starter is start_redis else starter()
        if wait_for(host, port):
            return url
    return None


def main() -> int:
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    db = (
        choose("PostgreSQL", db_url, 5432, start_postgres)
        if db_url.startswith("postgres")
        else None
    )
    redis = choose("Redis", redis_url, 6379, start_redis)

    missing = [n for n, v in (("PostgreSQL", db), ("Redis", redis)) if v is None]
    if IN_CI and missing:
        say("ERROR: CI=true requires PostgreSQL and Redis, but these are not reachable "
            f"and could not be started: {', '.join(missing)} "
            f"(DATABASE_URL={db_url!r}, REDIS_URL={redis_url!r}).")  # fmt: skip
        return 1

    if db:
        print(f"export DATABASE_URL={db}")
        say(f"database: PostgreSQL ({urlparse(db).hostname}:{urlparse(db).port or 5432})")
    else:
        print("unset DATABASE_URL")
        say("database: SQLite (PostgreSQL not reachable; allowed outside CI only)")
    if redis:
        print(f"export REDIS_URL={redis}")
        say(
            f"broker/cache tests: Redis ({urlparse(redis).hostname}:{urlparse(redis).port or 6379})"
        )
    else:
        print("unset REDIS_URL")
        say("Redis: not reachable; tests marked 'redis' are skipped (outside CI only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
