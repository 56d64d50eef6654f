#!/usr/bin/env bash
# The hotline pipeline through the real Airflow DAGs, end to end, with `airflow dags test` (no services needed):
#
#   1. generate the calibrated exports (2024-10-01 .. 2024-12-12) unless the dumps folder already has them;
#   2. hotline_nightly once, for the last export day: it catches up all 73 exports in one run into a fresh
#      warehouse, builds staging + facts with cosmos, runs source freshness and the raw-layer checks;
#   3. hotline_monthly_bulletin with month=2024-11, as_of="2024-12-12 10:00": marts, gate, publish
#      → publish/2024-11/.
#
# Settings (environment): HOTLINE_DUMPS (data/dumps), HOTLINE_WAREHOUSE (data/warehouse.duckdb),
# HOTLINE_PUBLISH (publish), DEMO_DAY (2024-12-12), MONTH (2024-11), AS_OF ("2024-12-12 10:00"),
# PREVIOUS_MONTH (2024-10, published first; empty to skip),
# AIRFLOW_HOME (data/airflow-demo, a SQLite metadata DB of its own), DEMO_KEEP_WAREHOUSE=1 to keep an existing
# warehouse (the nightly then only loads what is new).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BIN="$REPO/.venv/bin"
[[ -x "$BIN/airflow" ]] || { echo "error: $BIN/airflow not found: run 'make setup' first" >&2; exit 2; }
export PATH="$BIN:$PATH"

DAY="${DEMO_DAY:-2024-12-12}"
MONTH="${MONTH:-2024-11}"
AS_OF="${AS_OF:-2024-12-12 10:00}"
export HOTLINE_DUMPS="${HOTLINE_DUMPS:-data/dumps}"
export HOTLINE_WAREHOUSE="${HOTLINE_WAREHOUSE:-data/warehouse.duckdb}"
export HOTLINE_PUBLISH="${HOTLINE_PUBLISH:-publish}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$REPO/data/airflow-demo}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="${AIRFLOW_WORKER_LOG_PORT:-8798}"
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="${AIRFLOW_TRIGGER_LOG_PORT:-8799}"
export HOTLINE_RETRY_DELAY_S="${HOTLINE_RETRY_DELAY_S:-10}"
mkdir -p "$AIRFLOW_HOME"
chmod 700 "$AIRFLOW_HOME"  # its airflow.cfg holds the generated Fernet key and JWT secret

step() { printf '\n==> %s\n' "$*"; }
t0=$SECONDS

n_exports=0
if [[ -d "$HOTLINE_DUMPS" ]]; then
  n_exports=$(find "$HOTLINE_DUMPS" -maxdepth 1 -name 'hotline_*.manifest.json' | wc -l)
fi
if (( n_exports < 73 )); then
  step "generating the calibrated exports into $HOTLINE_DUMPS"
  hotline generate --dumps "$HOTLINE_DUMPS"
else
  step "using the $n_exports exports in $HOTLINE_DUMPS"
fi

if [[ "${DEMO_KEEP_WAREHOUSE:-0}" != 1 && -e "$HOTLINE_WAREHOUSE" ]]; then
  step "starting from an empty warehouse (moving $HOTLINE_WAREHOUSE aside; DEMO_KEEP_WAREHOUSE=1 keeps it)"
  mv -f "$HOTLINE_WAREHOUSE" "$HOTLINE_WAREHOUSE.before-demo"
  rm -f "$HOTLINE_WAREHOUSE.wal"
fi

step "Airflow metadata DB ($AIRFLOW_HOME), pool hotline_duckdb, dbt manifest for cosmos"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { tail -20 "$AIRFLOW_HOME/db-migrate.log" >&2; exit 1; }
airflow pools set hotline_duckdb 1 "DuckDB allows one writer process: every warehouse task" >/dev/null
python -m hotline.orchestration.dbt manifest

# `airflow dags test DAG --conf JSON`: the full task logs go to a file; the key lines are shown.
dags_test() {
  local dag="$1" conf="$2" log="$AIRFLOW_HOME/$1.log" t=$SECONDS
  if ! airflow dags test "$dag" --conf "$conf" >"$log" 2>&1; then
    tail -60 "$log" >&2
    echo "error: $dag failed (full log: $log)" >&2
    exit 1
  fi
  grep -E "\[DAG TEST\] end task|load summary|raw layer up to date|gate: |published |Marking run" "$log" \
    | sed -E 's/^[0-9T:.-]+Z \[[a-z ]+\] //; s/ +\[[a-zA-Z_.]+\] loc=.*$//; s/ map_index=-1//' || true
  echo "$dag: $((SECONDS - t)) s (full log: $log)"
}

step "hotline_nightly for $DAY (catches up every export not loaded yet)"
dags_test hotline_nightly "{\"day\": \"$DAY\", \"sensor_timeout_minutes\": 1, \"sensor_poke_seconds\": 5}"

# The month before first (at its default cut-off), so that the month's gate checks its month-over-month change
# against a real publication of the previous month.
if [[ -n "${PREVIOUS_MONTH:-2024-10}" ]]; then
  step "hotline_monthly_bulletin for ${PREVIOUS_MONTH:-2024-10} (default cut-off)"
  dags_test hotline_monthly_bulletin "{\"month\": \"${PREVIOUS_MONTH:-2024-10}\"}"
fi

step "hotline_monthly_bulletin for $MONTH as of $AS_OF"
dags_test hotline_monthly_bulletin "{\"month\": \"$MONTH\", \"as_of\": \"$AS_OF\"}"

out="$HOTLINE_PUBLISH/$MONTH"
[[ -e "$out" ]] || { echo "error: $out was not published" >&2; exit 1; }
step "published $out in $((SECONDS - t0)) s:"
ls -1 "$out/"
