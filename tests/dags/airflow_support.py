"""Helpers shared by the Airflow tests (tests/dags/ and tests/test_airflow_scheduler_e2e.py).

Airflow always runs in subprocesses with its own AIRFLOW_HOME under the session's tmp dir: importing Airflow
reconfigures logging process-wide, which must not leak into the rest of the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from webhook import webhook_receiver  # noqa: F401 - shared with tests/test_trust.py

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
BIN = Path(sys.executable).parent
AIRFLOW = str(BIN / "airflow")
FIRST_DAY, LAST_DAY, N_EXPORTS = "2024-10-01", "2024-12-12", 73


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for an Airflow subprocess: its own home, no examples, our DAGs, telemetry off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "HOTLINE_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "HOTLINE_RETRY_DELAY_S": "2",
            # the session's pseudonymization key (tests/conftest.py): the workers load exports with it
            "HOTLINE_PII_KEY": os.environ["HOTLINE_PII_KEY"],
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    if check and p.returncode != 0:
        raise AssertionError(
            f"{' '.join(args[:4])} … exited {p.returncode}\n--- stdout\n{p.stdout[-6000:]}"
            f"\n--- stderr\n{p.stderr[-6000:]}"
        )
    return p


def init_airflow_home(home: Path, env: dict) -> None:
    home.mkdir(parents=True, exist_ok=True)
    run([AIRFLOW, "db", "migrate"], env, timeout=300)
    run([AIRFLOW, "pools", "set", "hotline_duckdb", "1", "DuckDB writers"], env, timeout=120)


def generate_manifest(target: Path, env: dict) -> Path:
    run([sys.executable, "-m", "hotline.orchestration.dbt", "manifest", str(target)], env, timeout=300)
    return target / "manifest.json"


def shared_manifest(base: Path) -> Path:
    """dbt's manifest.json for cosmos, parsed once per test session into ``base`` (the session's basetemp)."""
    target = base / "hotline-airflow-dbt-manifest"
    if not (target / "manifest.json").exists():
        generate_manifest(target, airflow_env(base / "hotline-airflow-parse-home"))
    return target / "manifest.json"


def copy_dumps(src: Path, dst: Path, exclude_days: tuple[str, ...] = ()) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    skip = {d.replace("-", "") for d in exclude_days}
    for p in src.iterdir():
        if p.name.startswith("hotline_") and not any(f"_{s}." in p.name for s in skip):
            shutil.copy2(p, dst / p.name)
    return dst


def asset_events(home: Path, asset_name: str) -> list[dict]:
    with sqlite3.connect(home / "airflow.db") as con:
        rows = con.execute(
            """select e.extra from asset_event e join asset a on a.id = e.asset_id
                              where a.name = ? order by e.id""",
            [asset_name],
        ).fetchall()
    return [json.loads(r[0]) if isinstance(r[0], str) else (r[0] or {}) for r in rows]
