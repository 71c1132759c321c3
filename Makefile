# Two commands on a fresh machine with Python 3.11: `make build` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DBT := $(BIN)/dbt
DBT_FLAGS := --profiles-dir . --project-dir .

.PHONY: build check-contract test lint parse clean docs report answers

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(INSTALLED)

## Build the warehouse into $$WAREHOUSE_DB (default warehouse.duckdb) from $$WAREHOUSE_RAW_DIR
## (default: the embedded dataset, generated into data/raw/default on first use). Checks the
## raw-data contract first (exit 2 when it is broken) and builds the domains whose files are present.
build: $(INSTALLED)
	$(BIN)/python -m engagement_analytics build

## Only the contract check of $$WAREHOUSE_RAW_DIR: the domains found, the ones skipped, every problem.
check-contract: $(INSTALLED)
	$(BIN)/python -m engagement_analytics check-contract

## Static dbt docs site (lineage graph included) of the published warehouse: site/index.html.
docs: $(INSTALLED)
	$(BIN)/python -m engagement_analytics docs --out site

## Static HTML readout with charts, from the analyses run on the published warehouse: reports/index.html.
report: $(INSTALLED)
	$(BIN)/python -m engagement_analytics report --out reports

## The answer book (docs/answer_book/answer_book.md, read by dbt docs): every figure computed from the warehouse built on
## the embedded default data. Commit the result; `make test` fails when it is stale.
answers: build
	$(BIN)/python -m engagement_analytics answers

## Every check: pytest (generates data and builds once), sqlfluff, ruff, dbt parse with warnings as errors.
test: $(INSTALLED)
	$(BIN)/python -m pytest
	$(MAKE) lint parse

## SQL lint (sqlfluff, dbt templater) and Python lint and format check (ruff, configured in pyproject.toml).
lint: $(INSTALLED)
	WAREHOUSE_TARGET=lint $(BIN)/sqlfluff lint models analyses tests/data_tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

parse: $(INSTALLED)
	WAREHOUSE_TARGET=lint DBT_TARGET_PATH=target/parse $(DBT) --warn-error parse $(DBT_FLAGS)

clean:
	rm -rf target logs .build data warehouse.duckdb site reports
