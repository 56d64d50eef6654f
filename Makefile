# Every target installs what it needs: a fresh machine needs only python3.11 and make.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := python3 -m uv
RUN := $(UV) run --frozen
MONTH ?= 2024-11
AS_OF ?= 2024-12-12 10:00

.PHONY: setup system-packages demo demo-cli test test-all lint format clean

.venv/.synced: pyproject.toml uv.lock
	$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.9"
	# bytecode compiled once at install: with PYTHONDONTWRITEBYTECODE set (as on our machines) every process
	# would otherwise compile dbt, Airflow and GX from source again at every start
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	.venv/bin/python -m compileall -q include dags
	touch $@

setup: .venv/.synced system-packages  ## install the pinned environment (.venv) and the Debian packages it needs

system-packages:  ## Chinese fonts, LibreOffice Writer, poppler, Chromium (only those missing; apt-get)
	scripts/system-packages.sh

# The demos' phone pseudonymization key: DEMO ONLY, public, so a demo warehouse's pseudonyms protect nothing.
# Production provisions HOTLINE_PII_KEY from its secrets (docs/security.md); without one the loader refuses.
DEMO_PII_KEY := demo-only-key-not-secret-do-not-use-in-production
demo demo-cli: export HOTLINE_PII_KEY ?= $(DEMO_PII_KEY)

demo: setup  ## the whole pipeline through the real Airflow DAGs (embedded: SQLite + DuckDB) → publish/2024-11/
	MONTH=$(MONTH) AS_OF="$(AS_OF)" scripts/airflow-demo.sh

demo-cli: setup  ## the same pipeline through the hotline CLI alone (no Airflow)
	$(RUN) hotline generate
	$(RUN) hotline run --month 2024-10
	$(RUN) hotline run --month $(MONTH) --as-of "$(AS_OF)"

test: setup  ## the developers' tier: everything but the end-to-end pipeline, Airflow and office-document runs
	$(RUN) pytest -m "not slow and not airflow"

test-all: setup  ## the whole suite (what CI runs, after make lint)
	$(RUN) pytest

# ruff (lint + format), strict mypy on the package, sqlfluff on the dbt SQL; `make format` applies the fixes
lint: .venv/.synced
	$(RUN) ruff check include tests dags benchmarks scripts
	$(RUN) ruff format --check include tests dags benchmarks scripts
	$(RUN) mypy
	cd dbt_project && ../.venv/bin/sqlfluff lint models tests --processes 2

format: .venv/.synced
	$(RUN) ruff check --fix include tests dags benchmarks scripts
	$(RUN) ruff format include tests dags benchmarks scripts
	cd dbt_project && ../.venv/bin/sqlfluff fix models tests --processes 2 -f

clean:
	rm -rf data publish

.PHONY: airflow airflow-stop
airflow: setup  ## a local Airflow (api-server, scheduler, dag-processor, triggerer) on 127.0.0.1, SQLite under data/airflow/
	scripts/airflow-local.sh start

airflow-stop:  ## stop the local Airflow started by `make airflow`
	scripts/airflow-local.sh stop

# Megacity benchmarks against DuckDB's own floor (not part of `make test`). Full size: `make bench` (a year at
# scale 430, ~15 GB of CSV under BENCH_DATA); quick: `make bench BENCH_DAYS=45`. Results: benchmarks/results/.
BENCH_SCALE ?= 430
BENCH_DAYS ?= 366
BENCH_RUNS ?= 3
BENCH_DATA ?= /tmp/hotline-bench
.PHONY: bench
bench: setup  ## benchmarks: nightly increment, monthly publication, full year, gate — each vs its floor
	BENCH_SCALE=$(BENCH_SCALE) BENCH_DAYS=$(BENCH_DAYS) BENCH_RUNS=$(BENCH_RUNS) BENCH_DATA=$(BENCH_DATA) \
		$(RUN) python benchmarks/bench.py
