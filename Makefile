# aerolake: two commands — `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench install web services airflow clean

# Python environment and the web front-end (npm packages at set-up time, never a CDN).
$(STAMP): pyproject.toml web/frontend/package.json web/frontend/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	bash scripts/build-web.sh
	touch $(STAMP)

install: $(STAMP)

## demo: set up, then run the main job on embedded defaults (Ctrl-C stops the live part)
demo: $(STAMP)
	$(BIN)/aerolake demo

## web: rebuild the front-end into src/aerolake/web/static
web:
	bash scripts/build-web.sh

## services: Chromium and PostgreSQL for the integration tests (installed when root)
services:
	bash scripts/test-services.sh

## airflow: Apache Airflow in its own virtualenv (.airflow-venv) for the DAG tests
airflow: $(STAMP)
	bash scripts/airflow-venv.sh

## lint: ruff + mypy (strict) on the package
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks dags
	$(BIN)/ruff format --check src tests benchmarks dags
	$(BIN)/mypy src/aerolake

## test: set up, lint, then the whole test suite (integration tests against real services)
test: lint services airflow
	$(BIN)/pytest

## bench: benchmarks, printed as ratios against baselines measured in the same run
bench: $(STAMP) services
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .airflow-venv build dist .pytest_cache .mypy_cache .ruff_cache web/frontend/node_modules src/aerolake/web/static
