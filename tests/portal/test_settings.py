"""Settings: Persian/Tehran defaults, session limits, and a production mode that refuses to
start half-configured and passes Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x7Gq2Lm9Vb4Rt8Nw1Zc6Yp3Hs5Jk0Fd2Qa9We4Rt7Yu1Io3Pl6Km8Nj5Bh2Vg4Cf7Xd"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    skip = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in skip}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_persian_tehran_defaults():
    assert settings.LANGUAGE_CODE == "fa"
    assert settings.TIME_ZONE == "Asia/Tehran"
    assert settings.USE_TZ is True


def test_session_limits():
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "eservices.example.ir",
    "DATABASE_URL": "sqlite:////tmp/portal-deploy-check.sqlite3",
    "PAYMENT_SANDBOX_ALLOWED": "true",
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing):
    env = {**PRODUCTION_ENV, missing: ""}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_refuses_the_dev_secret():
    env = {**PRODUCTION_ENV, "SECRET_KEY": "dev-only-insecure-key-change-me-5f1c9d2e7b"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_production_refuses_the_sandbox_bank_unless_allowed():
    env = {**PRODUCTION_ENV, "PAYMENT_SANDBOX_ALLOWED": ""}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "PAYMENT_GATEWAY is the sandbox bank" in result.stderr


def test_production_passes_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_collectstatic_works_with_the_manifest_storage(tmp_path, settings):
    """The manifest storage of production resolves every url() and sourceMappingURL we ship
    (compression is whitenoise's extra step on top and is left out to keep this fast)."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/bootstrap/css/bootstrap.rtl.min.css" in manifest
    assert "vendor/vazirmatn/fonts/webfonts/Vazirmatn-Regular.woff2" in manifest
