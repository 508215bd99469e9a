"""Shared pytest fixtures.

The database is whatever `make test` chose (PostgreSQL in CI, SQLite only outside CI);
tasks run eagerly unless a test starts a real Celery worker on purpose.
"""

import os
import shutil

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Uploads of each test go to a private temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (the test settings' local-memory cache lives for
    the whole process; a cached history or PDF must not leak from one test into another)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def redis_url() -> str:
    """The real Redis that `make test` found (tests using it are marked ``redis``)."""
    return settings.TEST_REDIS_URL


def pytest_collection_modifyitems(config, items):
    """Tests needing a browser, Redis or PostgreSQL run wherever those exist and are required
    in CI.

    Outside CI (a laptop without Chromium, Redis or PostgreSQL: `make test` then falls back to
    SQLite) they are reported as skipped with the reason; in CI nothing is skipped, so a
    missing service fails loudly instead. ``postgres`` marks what only PostgreSQL can show:
    two connections racing for row locks, query plans.
    """
    if IN_CI:
        return
    missing = {}
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing["postgres"] = (
            "needs PostgreSQL: a second connection (thread or process) on the test database, "
            "or a query plan"
        )
    if not shutil.which("chromium"):
        missing["browser"] = "Debian's chromium is not installed (`make test` installs it)"
    if not settings.TEST_REDIS_URL:
        missing["redis"] = "no Redis for this run (`make test` starts it when installed)"
    for item in items:
        for marker, reason in missing.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, logged in the way the staff login does it: password and
    SMS code, so the session carries the second factor the admin requires."""
    from tests.factories import login_with_second_factor

    login_with_second_factor(client, admin_user)
    return client
