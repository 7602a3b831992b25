# ChannelHub: `make run` to try it, `make test` to check it. Needs only Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs in parallel (pytest-xdist), one process per core of CI's two;
# PYTEST_WORKERS=0 runs it in this process (easier to debug).
PYTEST_WORKERS ?= 2
export PORT HOST

.PHONY: run test suite install lock lint typecheck imports bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "ChannelHub needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# Re-resolve pyproject.toml's ranges to the newest releases in a scratch venv and
# write them to constraints.txt; then `make test` and commit both together.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock

install: $(STAMP)

# Migrate, load the demo business the first time, then run web + Celery worker
# + Celery beat together (Ctrl-C stops all three). Embedded mode (SQLite and a
# filesystem broker) unless DATABASE_URL / REDIS_URL are set.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  ChannelHub is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	@# honcho gives each process its own PORT (web's + 100, + 200 ...): the
	@# worker's and beat's links in emails and packs need web's address.
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" PATH="$(BIN):$$PATH" $(BIN)/honcho --no-prefix start --procfile Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# Imports go one way (layers) and close no circle: pyproject.toml [tool.importlinter].
imports: install
	$(BIN)/lint-imports --no-cache

test: lint typecheck imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	@$(MAKE) --no-print-directory suite

# The tests alone (`make test` runs the checks above first). The slowest tests
# start first (conftest.py SLOWEST) and the idle process takes over the other's
# queue (worksteal); the 15 slowest are listed at the end, to see them grow.
# pytest exits 5 when it collects nothing: that means a broken test layout or a
# selection that matches nothing, never a pass, so it fails and says so plainly.
suite:
	@$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=15 $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then \
	    echo "FAILED: pytest collected no tests (exit 5): the suite is missing or nothing was selected" >&2; \
	  fi; \
	  exit $$rc

bench: install
	$(BIN)/python bench/kpi_engine.py
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts
