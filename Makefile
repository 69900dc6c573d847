# pptracker: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app pptracker
CONSTRAINTS := requirements/constraints.txt
PYTEST_WORKERS ?= 2

.PHONY: run test install install-dev lint lock migrate clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade

run: migrate
	$(FLASK) demo load --if-empty
	@echo "pptracker is at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The scale benchmark (issue 10): one table for SQLite and PostgreSQL, also in
# benchmarks/last-run.md and .json. Needs wrk and PostgreSQL; BENCH_ARGS=--quick
# for a short run. Its PostgreSQL database (pptracker_bench) is dropped and rebuilt.
bench: install-dev
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .

# Re-resolve the pinned versions (commit the result).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > $(CONSTRAINTS)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
