"""DAG integrity: both DAG files import (as the dag-processor imports them) without errors and without doing
work, and carry the properties operations rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from airflow_support import airflow_env, shared_manifest

pytestmark = pytest.mark.airflow  # Airflow in a subprocess: `make test` runs it, `make test-fast` does not

HERE = Path(__file__).resolve().parent
DAG_IDS = {"hotline_nightly", "hotline_monthly_bulletin"}
POOL = "hotline_duckdb"
#: the only tasks that do not open the warehouse
NO_WAREHOUSE = {"hotline_nightly": {"wait_for_export", "mark_raw_layer_current"}, "hotline_monthly_bulletin": {"plan"}}


def _inspect(tmp: Path, **env) -> dict:
    p = subprocess.run(
        [sys.executable, str(HERE / "inspect_dags.py")],
        env=airflow_env(tmp / "home", **env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("INSPECT ")), None)
    assert line, f"inspect_dags.py failed\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}"
    return json.loads(line[len("INSPECT ") :])


@pytest.fixture(scope="module")
def dbt_manifest(tmp_path_factory) -> Path:
    """manifest.json for cosmos, made by the build step the scripts run (dbt parse), once per session."""
    return shared_manifest(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def nowhere(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nowhere") / "does-not-exist"


@pytest.fixture(scope="module")
def inspected(tmp_path_factory, dbt_manifest, nowhere) -> dict:
    """The DAG folder imported with a manifest for cosmos and warehouse/dumps/publish paths that do not exist."""
    return _inspect(
        tmp_path_factory.mktemp("inspect"),
        HOTLINE_DBT_MANIFEST=str(dbt_manifest),
        HOTLINE_WAREHOUSE=str(nowhere / "warehouse.duckdb"),
        HOTLINE_DUMPS=str(nowhere / "dumps"),
        HOTLINE_PUBLISH=str(nowhere / "publish"),
    )


def test_dags_import_without_errors(inspected):
    assert inspected["import_errors"] == {}
    assert set(inspected["dags"]) == DAG_IDS


def test_no_work_at_import_time(inspected, nowhere):
    # cheap: each file parses well under 2 s (cosmos reads manifest.json; dbt is never parsed)
    assert set(inspected["file_s"]) == {"hotline_nightly.py", "hotline_monthly_bulletin.py"}
    for name, seconds in inspected["file_s"].items():
        assert seconds < 2.0, f"{name} took {seconds:.2f} s to import"
    # nothing opened or created: the warehouse path does not exist, so any mkdir/connect would have made it
    assert not nowhere.exists()
    assert not [m for m in inspected["heavy_modules"] if m.split(".")[0] in ("duckdb", "great_expectations")]
    assert "dbt.cli.main" not in inspected["heavy_modules"]


def test_dag_level_properties(inspected):
    for dag_id, d in inspected["dags"].items():
        assert "hotline" in d["tags"] and len(d["tags"]) >= 2, dag_id
        assert d["owner"] == "hotline-data", dag_id
        assert len(d["doc_md"]) > 200, dag_id
        assert d["catchup"] is False and d["max_active_runs"] == 1, dag_id


def test_every_task_retries_with_exponential_backoff_and_alerts(inspected):
    for dag_id, d in inspected["dags"].items():
        for task_id, t in d["tasks"].items():
            where = f"{dag_id}.{task_id}"
            assert t["retries"] > 0, where
            assert t["retry_exponential_backoff"] > 1, where
            assert t["max_retry_delay_s"], where
            assert t["owner"] == "hotline-data", where
            assert any(cb.endswith("notify_failure") for cb in t["on_failure_callback"]), where


def test_schedules_are_in_asia_shanghai(inspected):
    nightly = inspected["dags"]["hotline_nightly"]
    assert nightly["timetable"] == "CronDataIntervalTimetable"
    assert nightly["timetable_serialized"] == {"expression": "30 1 * * *", "timezone": "Asia/Shanghai"}
    monthly = inspected["dags"]["hotline_monthly_bulletin"]
    assert monthly["timetable"] == "AssetOrTimeSchedule"
    ser = json.dumps(monthly["timetable_serialized"])
    assert '"expression": "0 10 12 * *"' in ser and '"timezone": "Asia/Shanghai"' in ser
    assert "hotline_raw_layer" in ser  # … or an event of the nightly's asset


def test_warehouse_tasks_share_the_one_slot_pool(inspected):
    for dag_id, d in inspected["dags"].items():
        for task_id, t in d["tasks"].items():
            if task_id not in NO_WAREHOUSE[dag_id]:
                assert t["pool"] == POOL, f"{dag_id}.{task_id} writes DuckDB outside the pool"


def test_nightly_wiring(inspected):
    tasks = inspected["dags"]["hotline_nightly"]["tasks"]
    sensor = tasks["wait_for_export"]
    assert sensor["operator"] == "ExportSensor" and sensor["deferrable"] is True and sensor["mode"] == "reschedule"
    assert tasks["mark_raw_layer_current"]["outlets"] == ["hotline_raw_layer"]
    assert {"load_exports", "source_freshness", "row_level_checks"} <= set(tasks)
    assert set(inspected["dags"]["hotline_nightly"]["params"]) >= {
        "day",
        "sensor_timeout_minutes",
        "dumps_dir",
        "warehouse",
    }


def test_nightly_builds_staging_and_facts_in_one_task_by_default(inspected):
    tasks = inspected["dags"]["hotline_nightly"]["tasks"]
    assert tasks["dbt_staging_facts"]["pool"] == POOL
    assert not [t for t in tasks if t.startswith("dbt_staging_facts.")]


def test_cosmos_renders_staging_and_the_ticket_history_only(tmp_path, dbt_manifest, nowhere):
    """HOTLINE_NIGHTLY_DBT_TASKS=per_model: one cosmos task per seed/model instead."""
    out = _inspect(
        tmp_path,
        HOTLINE_DBT_MANIFEST=str(dbt_manifest),
        HOTLINE_NIGHTLY_DBT_TASKS="per_model",
        HOTLINE_WAREHOUSE=str(nowhere / "warehouse.duckdb"),
        HOTLINE_DUMPS=str(nowhere / "dumps"),
    )
    assert out["import_errors"] == {}
    tasks = out["dags"]["hotline_nightly"]["tasks"]
    dbt = {k: v for k, v in tasks.items() if k.startswith("dbt_staging_facts.")}
    assert len(dbt) >= 5, sorted(tasks)  # the four staging views and the ticket history
    assert all(v["operator"].startswith("Dbt") and v["operator"].endswith("LocalOperator") for v in dbt.values())
    names = " ".join(dbt)
    assert "stg_hotline__ticket_rows" in names and "int_ticket_versions" in names
    assert "mart_" not in names and "fct_" not in names, "facts and marts as of a cut-off belong to the monthly DAG"
    # TestBehavior.BUILD: one `dbt build` per seed/model, its tests right after it in the same task
    assert all(k.endswith("_build") for k in dbt) and {v["operator"] for v in dbt.values()} == {"DbtBuildLocalOperator"}


def test_monthly_wiring(inspected):
    d = inspected["dags"]["hotline_monthly_bulletin"]
    assert list(d["tasks"]) == ["plan", "check_raw_coverage", "build_marts", "gate", "publish"]
    assert d["tasks"]["plan"]["operator"] == "_ShortCircuitDecoratedOperator"
    assert d["tasks"]["check_raw_coverage"]["inlets"] == ["hotline_raw_layer"]
    assert d["tasks"]["publish"]["outlets"] == ["hotline_monthly_bulletin"]
    assert set(d["params"]) >= {"month", "as_of", "warehouse", "publish_dir"}


def test_without_manifest_and_with_another_cutoff(tmp_path, nowhere):
    """A fresh checkout (no manifest yet) still imports: per-model tasks fall back to one task; the cut-off is
    configurable."""
    out = _inspect(
        tmp_path,
        HOTLINE_DBT_MANIFEST=str(nowhere / "manifest.json"),
        HOTLINE_NIGHTLY_DBT_TASKS="per_model",
        HOTLINE_WAREHOUSE=str(nowhere / "w.duckdb"),
        HOTLINE_CUTOFF_DAY="15",
        HOTLINE_CUTOFF_HOUR="9",
    )
    assert out["import_errors"] == {}
    tasks = out["dags"]["hotline_nightly"]["tasks"]
    assert tasks["dbt_staging_facts"]["pool"] == POOL
    assert not [t for t in tasks if t.startswith("dbt_staging_facts.")]
    assert '"expression": "0 9 15 * *"' in json.dumps(out["dags"]["hotline_monthly_bulletin"]["timetable_serialized"])
    assert not nowhere.exists()
