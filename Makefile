# Cairn: `make run` serves the demo at http://127.0.0.1:8000, `make test` runs every test leg.
# Needs only Python >= 3.11 and make; everything else goes into .venv from the lock files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make bench`: the size of the generated organization (S, M or L, benchmarks/sizes.py).
SIZE ?= L
# Tests keep their secret key and files apart from the data of `make run`.
TEST_DATA_DIR := var/test

.DEFAULT_GOAL := help
.PHONY: help run test test-sqlite test-postgres lint bench clean

help:
	@echo "make run    install into .venv, migrate, load the demo if empty, serve at http://$(HOST):$(PORT) with the task worker"
	@echo "make test   install dev tools, run the tests on SQLite (with the browser leg), then on PostgreSQL"
	@echo "make lint   ruff check, ruff format --check, mypy"
	@echo "make bench  the scale benchmark on SQLite and PostgreSQL (SIZE=L, M or S; see benchmarks/)"
	@echo "make clean  remove .venv and caches (keeps the data in var/)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Cairn needs Python >= 3.11 (PYTHON=$(PYTHON) is $$($(PYTHON) -V 2>&1))"; exit 1; }
	$(PYTHON) -m venv $(VENV) || \
		{ rm -rf $(VENV); echo "Could not create a virtualenv: on Debian/Ubuntu install python3-venv"; exit 1; }

# Stamps keyed on the lock files: a second run installs nothing unless a lock file changed.
$(VENV)/.installed-run: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@ $(VENV)/.installed-run

# The benchmark's tools (locust, psutil, pyinstrument) on top of the dev tools.
$(VENV)/.installed-bench: requirements-bench.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

run: $(VENV)/.installed-run
	$(BIN)/cairn manage migrate --noinput
	$(BIN)/cairn demo --if-empty
	@echo ""
	@echo "Cairn is at http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@echo ""
	@# The task worker (e-mails, and the reminder job every 15 minutes) runs beside the
	@# server and stops with it, so reminders work without cron.
	@export CAIRN_BASE_URL="$${CAIRN_BASE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/cairn worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/cairn serve --host $(HOST) --port $(PORT)

test: test-sqlite test-postgres

test-sqlite: $(VENV)/.installed-dev
	@echo "== SQLite leg (with the browser leg) =="
	@mkdir -p $(TEST_DATA_DIR)/static
	CAIRN_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m pytest

test-postgres: $(VENV)/.installed-dev
	@echo "== PostgreSQL leg =="
	@mkdir -p $(TEST_DATA_DIR)/static
	CAIRN_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python tools/pgtest.py -- \
		$(BIN)/python -m pytest -m "not browser" -p no:cacheprovider

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cairn benchmarks

bench: $(VENV)/.installed-bench
	$(BIN)/cairn bench run --size $(SIZE)

clean:
	rm -rf $(VENV) $(TEST_DATA_DIR) test-artifacts .pytest_cache .mypy_cache .ruff_cache \
		build dist *.egg-info
	find cairn tools -name __pycache__ -type d -prune -exec rm -rf {} +
