"""`make test` chooses its backends through scripts/test_backends.py: PostgreSQL and Redis
when reachable, a loud failure in CI when they are not."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "test_backends.py"
# 127.0.0.2 is loopback but not "local" to the script, so it never tries to start a server
# there; nothing listens on it, so the connection is refused at once.
UNREACHABLE_DB = "postgres://postgres@127.0.0.2:5439/portal"
UNREACHABLE_REDIS = "redis://127.0.0.2:6399/0"


def _run(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ci_fails_loudly_without_postgresql():
    result = _run(CI="true", DATABASE_URL=UNREACHABLE_DB)
    assert result.returncode == 1
    assert "CI=true requires PostgreSQL and Redis" in result.stderr
    assert "PostgreSQL" in result.stderr.split("could not be started:")[1]
    assert "export DATABASE_URL" not in result.stdout


def test_ci_fails_loudly_without_redis():
    result = _run(CI="true", REDIS_URL=UNREACHABLE_REDIS)
    assert result.returncode == 1
    assert "Redis" in result.stderr.split("could not be started:")[1]


def test_outside_ci_falls_back_to_sqlite_and_says_so():
    result = _run(CI="", DATABASE_URL=UNREACHABLE_DB, REDIS_URL=UNREACHABLE_REDIS)
    assert result.returncode == 0
    assert "unset DATABASE_URL" in result.stdout
    assert "database: SQLite" in result.stderr
