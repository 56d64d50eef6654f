"""Run in a subprocess by test_dag_integrity.py: import the DAG folder the way the dag-processor does and print
what the tests check, as one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    t0 = time.monotonic()
    import airflow.sdk  # noqa: F401 - Airflow itself is not what we time
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.encoders import coerce_to_core_timetable

    t_airflow = time.monotonic() - t0
    before = set(sys.modules)
    t1 = time.monotonic()
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    t_bag = time.monotonic() - t1
    imported = sorted(
        m for m in set(sys.modules) - before if m.split(".")[0] in ("duckdb", "dbt", "great_expectations", "pandas")
    )
    dags = {}
    for dag_id, dag in bag.dags.items():
        tt = coerce_to_core_timetable(dag.timetable)
        ser = tt.serialize()
        tasks = {}
        for t in dag.tasks:
            tasks[t.task_id] = {
                "operator": type(t).__name__,
                "pool": t.pool,
                "retries": t.retries,
                "retry_exponential_backoff": t.retry_exponential_backoff,
                "retry_delay_s": t.retry_delay.total_seconds(),
                "max_retry_delay_s": t.max_retry_delay.total_seconds() if t.max_retry_delay else None,
                "owner": t.owner,
                "on_failure_callback": [getattr(f, "__qualname__", str(f)) for f in (t.on_failure_callback or [])],
                "outlets": [getattr(a, "name", str(a)) for a in t.outlets],
                "inlets": [getattr(a, "name", str(a)) for a in t.inlets],
                "deferrable": getattr(t, "deferrable", None),
                "mode": getattr(t, "mode", None),
            }
        dags[dag_id] = {
            "fileloc": dag.fileloc,
            "tags": sorted(dag.tags),
            "owner": dag.owner,
            "doc_md": dag.doc_md or "",
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "timetable": type(tt).__name__,
            "timetable_summary": tt.summary,
            "timetable_serialized": json.loads(json.dumps(ser, default=str)),
            "params": sorted(dag.params.keys()),
            "tasks": tasks,
        }
    stats = {os.path.basename(s.file): s.duration.total_seconds() for s in bag.dagbag_stats}
    print(
        "INSPECT "
        + json.dumps(
            {
                "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
                "airflow_import_s": t_airflow,
                "dagbag_s": t_bag,
                "file_s": stats,
                "heavy_modules": imported,
                "dags": dags,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
