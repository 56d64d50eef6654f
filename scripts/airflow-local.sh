#!/usr/bin/env bash
# A local, single-box Airflow for the hotline DAGs: api-server, scheduler, dag-processor and triggerer as
# separate processes (each in its own session), LocalExecutor, SQLite under data/airflow/, bound to 127.0.0.1.
#
#   scripts/airflow-local.sh start     # or: make airflow
#   scripts/airflow-local.sh stop      # or: make airflow-stop   (kills each component's process group)
#   scripts/airflow-local.sh status
#
# Settings (environment): AIRFLOW_HOME (default data/airflow), AIRFLOW_PORT (8080), AIRFLOW_WORKER_LOG_PORT
# (8798; not 8793), AIRFLOW_TRIGGER_LOG_PORT (8799), AIRFLOW_PARALLELISM (4), plus the HOTLINE_* variables of
# include/hotline/orchestration/config.py (dumps folder, warehouse, publish folder, cut-off, alerts).
#
# Security: the only listening port is the API on 127.0.0.1 (the scheduler's and triggerer's log servers would
# listen on every interface, Airflow has no host setting for them: they are skipped, the API reads the task logs
# from $AIRFLOW_HOME/logs). The API needs a login (simple auth manager, "all admins" off). The JWT and API secrets
# and the Fernet key are generated per install into $AIRFLOW_HOME/secrets.env; that file, the generated
# password file and the component logs (the api-server logs the password) are 0600 in a 0700 AIRFLOW_HOME. The
# only secret this script prints is the UI password. Never add `set -x` here.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$REPO/data/airflow}"
PORT="${AIRFLOW_PORT:-8080}"
RUN_DIR="$AIRFLOW_HOME/run"
LOG_DIR="$AIRFLOW_HOME/logs/components"
BIN="$REPO/.venv/bin"
COMPONENTS=(api-server scheduler dag-processor triggerer)

if [[ ! -x "$BIN/airflow" ]]; then
  echo "error: $BIN/airflow not found: run 'make setup' first" >&2
  exit 2
fi

# An empty (or existing) file that only its owner can read and write.
private_file() { (umask 077 && : >>"$1") && chmod 600 "$1"; }

setup_env() {
  mkdir -p "$AIRFLOW_HOME" "$RUN_DIR" "$LOG_DIR"
  chmod 700 "$AIRFLOW_HOME"
  # Per-install secrets, generated once, never in the repo (written whole, then renamed: never half a file).
  local secrets="$AIRFLOW_HOME/secrets.env"
  if [[ ! -s "$secrets" ]]; then
    if ! (umask 077 && "$BIN/python" - >"$secrets.tmp" <<'PY'
import base64, secrets
print(f"export AIRFLOW__API_AUTH__JWT_SECRET={secrets.token_hex(32)}")
print(f"export AIRFLOW__API__SECRET_KEY={secrets.token_hex(32)}")
print(f"export AIRFLOW__CORE__FERNET_KEY={base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}")
PY
    ); then
      rm -f "$secrets.tmp"
      echo "error: could not generate $secrets" >&2
      exit 1
    fi
    mv -f "$secrets.tmp" "$secrets"
  fi
  chmod 600 "$secrets"
  # shellcheck disable=SC1090
  source "$secrets"
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
  export AIRFLOW__CORE__EXECUTOR=LocalExecutor
  export AIRFLOW__CORE__PARALLELISM="${AIRFLOW_PARALLELISM:-4}"
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
  export AIRFLOW__API__HOST=127.0.0.1
  export AIRFLOW__API__PORT="$PORT"
  export AIRFLOW__API__BASE_URL="http://127.0.0.1:$PORT"
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
  export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="${AIRFLOW_WORKER_LOG_PORT:-8798}"
  export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="${AIRFLOW_TRIGGER_LOG_PORT:-8799}"
  # user:role (no password: the api-server generates one into PWFILE, created 0600 here first)
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
  PWFILE="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$PWFILE"
  private_file "$PWFILE"
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=False
  export AIRFLOW__API__EXPOSE_CONFIG=False
  export AIRFLOW__API__EXPOSE_STACKTRACE=False
  export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
  export AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=False
  export AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST=127.0.0.1
  export PATH="$BIN:$PATH"
}

# Extra arguments of a component: no log server (it would listen on every interface; see the header).
component_args() { case "$1" in scheduler|triggerer) echo --skip-serve-logs ;; esac; }

pid_alive() { [[ -f "$RUN_DIR/$1.pid" ]] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

start() {
  setup_env
  for c in "${COMPONENTS[@]}"; do
    if pid_alive "$c"; then echo "error: $c is already running (pid $(cat "$RUN_DIR/$c.pid")); stop first" >&2; exit 2; fi
  done
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "error: port $PORT is in use: set AIRFLOW_PORT" >&2; exit 2
  fi
  echo "airflow home: $AIRFLOW_HOME"
  private_file "$LOG_DIR/db-migrate.log"
  airflow db migrate >"$LOG_DIR/db-migrate.log" 2>&1 || { tail -20 "$LOG_DIR/db-migrate.log" >&2; exit 1; }
  airflow pools set hotline_duckdb 1 "DuckDB allows one writer process: every warehouse task" >/dev/null
  "$BIN/python" -m hotline.orchestration.dbt manifest >/dev/null \
    || echo "warning: dbt parse failed: the nightly will run dbt as a single task" >&2
  for c in "${COMPONENTS[@]}"; do
    # setsid: each component leads its own session/process group, so stop can kill it with its children.
    private_file "$LOG_DIR/$c.log"  # the api-server logs the generated password
    # shellcheck disable=SC2046
    setsid airflow "$c" $(component_args "$c") >"$LOG_DIR/$c.log" 2>&1 < /dev/null &
    echo $! >"$RUN_DIR/$c.pid"
  done
  local url="http://127.0.0.1:$PORT"
  for _ in $(seq 1 120); do
    if "$BIN/python" -c "import urllib.request,sys; urllib.request.urlopen('$url/api/v2/monitor/health', timeout=2)" 2>/dev/null; then
      break
    fi
    for c in "${COMPONENTS[@]}"; do
      pid_alive "$c" || { echo "error: $c exited; see $LOG_DIR/$c.log" >&2; tail -20 "$LOG_DIR/$c.log" >&2; stop; exit 1; }
    done
    sleep 1
  done
  local pwfile="$PWFILE"
  local user="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS%%:*}"
  local password
  password="$("$BIN/python" -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], '?'))" "$pwfile" "$user" 2>/dev/null || echo '?')"
  cat <<EOF

Airflow is up: $url   (components: ${COMPONENTS[*]}; logs in $LOG_DIR)
  log in as:  $user / $password      (passwords: $pwfile)
  DAGs:       hotline_nightly, hotline_monthly_bulletin (paused: unpause them in the UI)
  API token:  curl -s -X POST $url/auth/token -H 'Content-Type: application/json' \\
                -d '{"username": "$user", "password": "$password"}'
  stop:       scripts/airflow-local.sh stop   (or: make airflow-stop)
EOF
}

stop() {
  mkdir -p "$RUN_DIR"
  local any=0
  for c in "${COMPONENTS[@]}"; do
    local f="$RUN_DIR/$c.pid"
    [[ -f "$f" ]] || continue
    local pid; pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      any=1
    fi
  done
  for _ in $(seq 1 30); do
    local alive=0
    for c in "${COMPONENTS[@]}"; do
      local f="$RUN_DIR/$c.pid"
      [[ -f "$f" ]] && kill -0 -- "-$(cat "$f")" 2>/dev/null && alive=1
    done
    [[ $alive == 0 ]] && break
    sleep 1
  done
  for c in "${COMPONENTS[@]}"; do
    local f="$RUN_DIR/$c.pid"
    [[ -f "$f" ]] || continue
    kill -KILL -- "-$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  [[ $any == 1 ]] && echo "stopped Airflow ($AIRFLOW_HOME)" || echo "Airflow was not running ($AIRFLOW_HOME)"
}

status() {
  for c in "${COMPONENTS[@]}"; do
    if pid_alive "$c"; then echo "$c: running (pgid $(cat "$RUN_DIR/$c.pid"))"; else echo "$c: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
