"""docker-compose.yml describes the production stack: check its services, commands and env."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "postgres", "redis"):
        assert "healthcheck" in services[name], name
        assert services[name]["healthcheck"]["test"], name


def test_commands_run_gunicorn_and_celery():
    services = _compose()["services"]
    assert services["web"]["command"].startswith("gunicorn portal.wsgi")
    assert services["worker"]["command"].startswith("celery -A portal worker")
    assert services["beat"]["command"].startswith("celery -A portal beat")


def test_app_services_share_env_and_wait_for_healthy_backends():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
            assert key in env, (name, key)
        assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"


def test_data_lives_in_named_volumes():
    compose = _compose()
    assert {"postgres", "redis", "media"} <= set(compose["volumes"])
    assert any("/var/lib/postgresql/data" in v for v in compose["services"]["postgres"]["volumes"])
    assert any(v.startswith("redis:") for v in compose["services"]["redis"]["volumes"])


def test_env_names_are_documented_in_env_example():
    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    }
    for name in ("web", "worker", "beat"):
        for key in _compose()["services"][name]["environment"]:
            assert key in documented, key
