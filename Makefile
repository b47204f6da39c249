# coursebridge: `make run` serves the demo, `make test` runs every check. `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PORT ?= 8000
PG_URL ?= postgres://postgres@localhost:5432/coursebridge
REDIS_URL ?= redis://localhost:6379/15
PYTEST_WORKERS ?= 2

.PHONY: help env run test lint typecheck migrations-check test-sqlite test-postgres test-redis bench browser-deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

env: $(BIN)/coursebridge ## create .venv from the lock file (installs uv with pip if missing)

$(BIN)/coursebridge: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || test -x $(UV) || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@$$(command -v uv || echo $(UV)) sync --frozen --python python3.11
	@touch $@

run: env ## migrate, load the demo when empty, serve on http://127.0.0.1:$(PORT) with a worker and the scheduler
	PORT=$(PORT) $(BIN)/coursebridge run

lint: env ## ruff
	$(BIN)/ruff check .

typecheck: env ## mypy
	$(BIN)/mypy

migrations-check: env ## fail when a model change has no migration
	CB_VAR_DIR=var/test $(BIN)/coursebridge makemigrations --check --dry-run

browser-deps: ## install Debian's chromium for the browser tests when possible
	@bash scripts/ensure-chromium

test-sqlite: env ## the whole suite on SQLite, then the worker test with the embedded broker on a SQLite file
	CB_TESTING=1 CB_VAR_DIR=var/test $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m "not worker"
	CB_TESTING=1 CB_VAR_DIR=var/test CB_TEST_SQLITE_NAME=var/test/worker.sqlite3 $(BIN)/pytest -p no:cacheprovider -m worker

test-postgres: env ## the whole suite on PostgreSQL (skipped when none is reachable at localhost:5432)
	@if $(BIN)/python scripts/reachable.py localhost 5432; then \
	  CB_TESTING=1 CB_VAR_DIR=var/test DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider; \
	else echo "PostgreSQL is not reachable at localhost:5432: the PostgreSQL pass is skipped."; fi

test-redis: env ## the worker integration test through Redis (skipped when Redis is not reachable)
	@if $(BIN)/python scripts/reachable.py localhost 6379; then \
	  CB_TESTING=1 CB_VAR_DIR=var/test CB_BROKER_URL=$(REDIS_URL) CB_TEST_SQLITE_NAME=var/test/worker.sqlite3 \
	    $(BIN)/pytest -m worker -p no:cacheprovider tests/core/test_worker.py; \
	else echo "Redis is not reachable at localhost:6379: the Redis worker test is skipped."; fi

test: env browser-deps lint typecheck migrations-check test-sqlite test-postgres test-redis ## ruff, mypy, then the suite on SQLite, PostgreSQL and Redis

bench: env ## run the benchmarks; each figure prints as `bench: NAME VALUE UNIT`
	CB_VAR_DIR=var/bench $(BIN)/python -m bench

clean: ## remove the virtualenv and generated files (keeps var/ data)
	rm -rf $(VENV) .mypy_cache .ruff_cache var/test var/bench
