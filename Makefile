# fundtrack: `make run` serves the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_PASSWORD ?= fundtrack-2018
FLASK := $(BIN)/flask --app fundtrack

.PHONY: run test install install-test run-deps system-deps lint clean bench

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## system packages, only where missing: what the app needs to print PDFs (CJK font, HarfBuzz)
run-deps:
	@bash scripts/system-deps.sh run

## ... and what the tests need beside (pdftotext, Chromium)
system-deps:
	@bash scripts/system-deps.sh test

run: install run-deps
	$(FLASK) db upgrade
	$(FLASK) demo --password '$(DEMO_PASSWORD)'
	@echo
	@echo "fundtrack: http://$(HOST):$(PORT)/  (log in as any demo user above, password: $(DEMO_PASSWORD))"
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install system-deps lint
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; fi; \
	exit $$rc

## on a database filled by `bench/generate.py` (DATABASE_URL, PostgreSQL)
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
