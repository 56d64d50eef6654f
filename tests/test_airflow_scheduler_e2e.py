"""Airflow for real: api-server, scheduler, dag-processor and triggerer as separate processes (each in its own
session) on a fresh PostgreSQL database with the LocalExecutor; the monthly DAG is unpaused and triggered
through the public REST API (v2, JWT from POST /auth/token) and must succeed, each task in its own process,
serialized by the hotline_duckdb pool.

Security, checked on the running processes: the API refuses requests without a token (or with a forged one) and
does not expose the configuration; every socket the Airflow processes listen on is on 127.0.0.1 (like
scripts/airflow-local.sh, the scheduler and the triggerer run without their log servers, which would listen on
every interface).

The warehouse is prepared beforehand through the Python functions (generate → load_folder), so the DAG run
does the marts, the gate and the publication. Everything started here is stopped (process groups) and the
database dropped, whatever happens.

Runs whenever PostgreSQL answers on 127.0.0.1:5432 (user postgres, trust auth); skipped only when it does not
AND the CI variable is unset (with CI=true an unreachable PostgreSQL is a failure).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "dags"))
from airflow_support import AIRFLOW, REPO, airflow_env, free_port, run, shared_manifest  # noqa: E402

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
DAG_ID = "hotline_monthly_bulletin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# as in scripts/airflow-local.sh: Airflow's log servers bind every interface, with no setting to change it
COMPONENT_ARGS = {"scheduler": ["--skip-serve-logs"], "triggerer": ["--skip-serve-logs"]}
LOOPBACK = {"127.0.0.1", "::1"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _pg(dbname: str = "postgres"):
    import psycopg2

    con = psycopg2.connect(dbname=dbname, connect_timeout=5, **PG)
    con.autocommit = True
    return con


@pytest.fixture
def database():
    try:
        con = _pg()
    except Exception as e:  # noqa: BLE001
        if _in_ci():
            pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 but CI is set: {e}")
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {e}")
    name = f"airflow_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    with con.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with con.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.close()


class Api:
    def __init__(self, base: str):
        self.base, self.token = base, None

    def call(self, method: str, path: str, body: dict | None = None, auth: bool = True, timeout: float = 30):
        headers = {"Content-Type": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(
            self.base + path,
            method=method,
            headers=headers,
            data=json.dumps(body).encode() if body is not None else None,
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    """SIGTERM each component's process group, then SIGKILL whatever is left."""
    for p in procs.values():
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for p in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
    for p in procs.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # the group may outlive its leader (task subprocesses)
        p.wait(timeout=10)


def _listening(procs: dict[str, subprocess.Popen]) -> dict[tuple[str, int], str]:
    """(address, port) -> owner of every listening TCP socket of the components, their descendants and whatever
    else is in their process groups."""
    import psutil

    groups = {p.pid: c for c, p in procs.items()}
    family: dict[int, str] = {}
    for c, p in procs.items():
        with contextlib.suppress(psutil.NoSuchProcess):
            family.update({q.pid: c for q in [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]})
    for q in psutil.process_iter():
        try:
            if (pgid := os.getpgid(q.pid)) in groups:
                family.setdefault(q.pid, groups[pgid])
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    found = {}
    for pid, c in family.items():
        try:
            for conn in psutil.Process(pid).net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN:
                    found[(conn.laddr.ip, conn.laddr.port)] = f"{c} (pid {pid})"
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


@pytest.mark.timeout(900)
def test_monthly_dag_runs_under_the_real_scheduler(database, default_dumps, tmp_path, tmp_path_factory):
    t0 = time.monotonic()
    # --- a warehouse loaded through the Python functions (the DAG run does marts + gate + publish)
    from hotline.load import load_folder

    dumps = default_dumps  # tests/conftest.py: generated once per session
    warehouse, publish = tmp_path / "warehouse" / "warehouse.duckdb", tmp_path / "publish"
    report = load_folder(dumps, warehouse)
    assert {f.status for f in report.files} == {"loaded"}

    # --- Airflow on PostgreSQL, LocalExecutor, everything on 127.0.0.1
    home = tmp_path / "airflow"
    home.mkdir()
    port = free_port()
    user, password = "e2e", secrets.token_urlsafe(12)
    pwfile = home / "passwords.json"
    pwfile.touch(mode=0o600)
    pwfile.write_text(json.dumps({user: password}))
    manifest = shared_manifest(tmp_path_factory.getbasetemp())
    env = airflow_env(
        home,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
        AIRFLOW__API__SECRET_KEY=secrets.token_hex(32),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{user}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(pwfile),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        HOTLINE_WAREHOUSE=str(warehouse),
        HOTLINE_PUBLISH=str(publish),
        HOTLINE_DUMPS=str(dumps),
        HOTLINE_DBT_MANIFEST=str(manifest),
        HOTLINE_RETRY_DELAY_S="5",
    )
    run([AIRFLOW, "db", "migrate"], env, timeout=300)
    run([AIRFLOW, "pools", "set", "hotline_duckdb", "1", "DuckDB writers"], env, timeout=120)
    t_ready = time.monotonic()

    logs = home / "component-logs"
    logs.mkdir()
    procs: dict[str, subprocess.Popen] = {}
    api = Api(f"http://127.0.0.1:{port}")
    try:
        for c in COMPONENTS:
            out = open(logs / f"{c}.log", "w")  # noqa: SIM115 - closed with the process
            procs[c] = subprocess.Popen(
                [AIRFLOW, c, *COMPONENT_ARGS.get(c, [])],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        diag = lambda: "\n".join(f"--- {c}\n{_tail(logs / f'{c}.log')}" for c in COMPONENTS)  # noqa: E731

        def wait_for(what, probe, timeout):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for c, p in procs.items():
                    assert p.poll() is None, f"{c} exited with {p.returncode} while waiting for {what}\n{diag()}"
                try:
                    if result := probe():
                        return result
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                time.sleep(1)
            pytest.fail(f"timed out waiting for {what}\n{diag()}")

        wait_for("the API", lambda: api.call("GET", "/api/v2/monitor/health", auth=False)[0] == 200, 120)
        status, body = api.call("POST", "/auth/token", {"username": user, "password": password}, auth=False)
        assert status in (200, 201), (status, body)
        api.token = body["access_token"]
        # --- the API needs a login: no token, a forged token or a wrong password are refused
        status, body = api.call("GET", "/api/v2/dags", auth=False)
        assert status in (401, 403), f"GET /api/v2/dags without a token: {status} {body}"
        forged = Api(api.base)
        forged.token = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJlMmUifQ.forged"
        assert forged.call("GET", "/api/v2/dags")[0] in (401, 403)
        assert api.call("POST", "/auth/token", {"username": user, "password": password + "x"}, auth=False)[0] in (
            401,
            403,
        )
        status, body = api.call("GET", "/api/v2/dags")
        assert status == 200, (status, body)
        assert api.call("GET", "/api/v2/config")[0] == 403, "the configuration must not be exposed"
        wait_for(f"{DAG_ID} to be parsed", lambda: api.call("GET", f"/api/v2/dags/{DAG_ID}")[0] == 200, 180)

        status, body = api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        assert status == 200 and body["is_paused"] is False, (status, body)
        status, body = api.call(
            "POST",
            f"/api/v2/dags/{DAG_ID}/dagRuns",
            {"logical_date": None, "conf": {"month": "2024-11", "as_of": "2024-12-12 10:00"}},
        )
        assert status == 200, (status, body)
        run_id = body["dag_run_id"]
        t_triggered = time.monotonic()

        def finished():
            s, b = api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
            return b["state"] if s == 200 and b["state"] in ("success", "failed") else None

        state = wait_for(f"run {run_id}", finished, 480)
        _, tis = api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
        states = {ti["task_id"]: ti["state"] for ti in tis["task_instances"]}
        assert state == "success", f"{states}\n{diag()}"
        assert states == dict.fromkeys(["plan", "check_raw_coverage", "build_marts", "gate", "publish"], "success")
        assert (publish / "2024-11").exists() and any((publish / "2024-11").iterdir())
        # --- every listening socket of every Airflow process (up for minutes by now) is on loopback
        listening = _listening(procs)
        assert ("127.0.0.1", port) in listening, listening
        assert {a: o for a, o in listening.items() if a[0] not in LOOPBACK} == {}, listening
        print(
            f"e2e: setup {t_ready - t0:.0f} s, start + trigger {t_triggered - t_ready:.0f} s, "
            f"run {time.monotonic() - t_triggered:.0f} s"
        )
    finally:
        _stop(procs)
    leftovers = [c for c, p in procs.items() if p.poll() is None]
    assert not leftovers, f"still running: {leftovers}"
