"""Run in a subprocess by test_dag_runs.py: several ``dag.test()`` runs of the real DAGs, one after the other, in
ONE process (Airflow's import and the in-process execution API start once, not per run: ~12 s saved per run).

    python run_scenario.py SCENARIO.json

The scenario is ``{"steps": [{"name", "dag_id", "conf", "copy": [[src, dst], ...], "mark_success": regex|null,
"fingerprint": warehouse|null}, ...]}``. Each step's output is framed by ``@@STEP-BEGIN name`` / ``@@STEP-END
name {json}`` lines; the JSON has the run id, its state, the task states and (if asked) the raw layer's
fingerprint taken right after the run.
"""

from __future__ import annotations

import json
import shutil
import sys
import traceback
from pathlib import Path


def fingerprint(warehouse: str) -> dict:
    from hotline.orchestration.tasks import connect_read_only

    con = connect_read_only(Path(warehouse))  # this process may hold it read-write (dbt-duckdb)
    try:
        return {
            t: list(map(str, con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from raw.{t} t").fetchone()))
            for t in ("ticket_rows", "quarantine", "exports", "load_audit")
        }
    finally:
        con.close()


def main() -> None:
    import os

    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    scenario = json.loads(Path(sys.argv[1]).read_text())
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert not bag.import_errors, bag.import_errors
    for step in scenario["steps"]:
        print(f"@@STEP-BEGIN {step['name']}", flush=True)
        result: dict = {"name": step["name"]}
        try:
            for src, dst in step.get("copy", []):
                shutil.copy2(src, dst)
            dr = bag.dags[step["dag_id"]].test(run_conf=step["conf"], mark_success_pattern=step.get("mark_success"))
            with create_session() as session:
                tis = (
                    session.query(TaskInstance)
                    .filter(TaskInstance.dag_id == dr.dag_id, TaskInstance.run_id == dr.run_id)
                    .all()
                )
                result["tasks"] = {
                    ti.task_id: str(ti.state.value if hasattr(ti.state, "value") else ti.state) for ti in tis
                }
            result.update(run_id=dr.run_id, state=str(getattr(dr.state, "value", dr.state)))
            if step.get("fingerprint"):
                result["fingerprint"] = fingerprint(step["fingerprint"])
        except Exception:  # noqa: BLE001 - reported to the test
            result.update(state="error", error=traceback.format_exc())
        print(f"@@STEP-END {step['name']} {json.dumps(result)}", flush=True)


if __name__ == "__main__":
    main()
