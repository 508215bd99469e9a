# Two commands matter: `make run` and `make test` (see README.md). Everything else is a step
# they share. Targets are safe to repeat: each step skips what is already in place.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make

# Debian packages: WeasyPrint (pango, harfbuzz-subset), python-magic (libmagic1);
# tests add Debian's Chromium for Playwright and poppler-utils (pdftotext) for PDF checks.
APT_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libmagic1
APT_TEST := chromium poppler-utils zbar-tools

.PHONY: help run test bench setup setup-test system-run system-test venv assets lint format migrate demo clean

help:
	@echo "make run    set up this machine and serve the portal on http://127.0.0.1:$(PORT)"
	@echo "make test   set up this machine and run the whole suite with the quality gates"
	@echo "make bench  run the benchmarks in bench/ (results in bench/results/)"

# --- setup ---------------------------------------------------------------------------------
system-run:
	@scripts/apt_ensure.sh $(APT_RUN)
	@command -v npm >/dev/null || scripts/apt_ensure.sh nodejs npm
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || scripts/apt_ensure.sh python3-venv

system-test: system-run
	@scripts/apt_ensure.sh $(APT_TEST)

$(STAMPS)/venv: requirements.txt requirements-dev.txt
	@mkdir -p $(STAMPS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(STAMPS)/venv

$(STAMPS)/assets: package.json package-lock.json scripts/vendor_assets.sh
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	scripts/vendor_assets.sh
	@touch $@

assets: $(STAMPS)/assets

setup: system-run venv assets

setup-test: system-test venv assets

# --- the two commands ----------------------------------------------------------------------
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --once
	@echo "Serving on http://127.0.0.1:$(PORT)  (SQLite, in-process tasks, console SMS unless .env says otherwise)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=portal.settings.test \
		$(PY) manage.py makemigrations --check --dry-run
	@backends=$$($(PY) scripts/test_backends.py) || exit 1; eval "$$backends"; \
		$(PY) -m pytest --create-db --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# --- the rest ------------------------------------------------------------------------------
# Benchmarks use their own database (portal_bench) so demo data never lands in yours.
bench: setup
	@backends=$$(CI= $(PY) scripts/test_backends.py) || exit 1; eval "$$backends"; \
		if [ -n "$${DATABASE_URL:-}" ]; then \
			export DATABASE_URL="$${DATABASE_URL%/*}/portal_bench"; \
			$(PY) scripts/ensure_database.py "$$DATABASE_URL" || exit 1; \
		fi; \
		$(PY) bench/run.py $(BENCH_ARGS) && $(PY) bench/offline.py $(OFFLINE_ARGS)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate:
	$(PY) manage.py migrate --noinput

demo:
	$(PY) manage.py seed_demo

clean:
	rm -rf $(STAMPS) staticfiles static/vendor .pytest_cache .ruff_cache .coverage htmlcov
