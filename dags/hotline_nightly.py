"""
### hotline_nightly: load the day's export, build staging and facts

Runs every night at 01:30 Asia/Shanghai (`HOTLINE_NIGHTLY_CRON`) for the export day D = the day of the run's
data interval (manual runs: the `day` param, else yesterday).

1. **wait_for_export**: waits (deferred in the triggerer; `HOTLINE_SENSOR_DEFERRABLE=false` → reschedule
   mode) until `hotline_YYYYMMDD.csv` and its manifest are in the dumps folder and the manifest's sha256 and
   date match. Times out after `HOTLINE_SENSOR_TIMEOUT_MIN` (param `sensor_timeout_minutes`) and fails
   with the reason (missing file, missing manifest, checksum mismatch).
2. **load_exports**: loads every export that is new or re-delivered (`hotline.load.load_folder`): a missed
   night or a late day is caught up by the next run, a re-run is a no-op.
3. **dbt_staging_facts**: one `dbt build` of staging and the ticket history (`int_ticket_versions`: the
   versions of the days just loaded) with their data tests (`hotline.build.build_nightly`, the same as
   `hotline nightly`); the facts and marts as of a cut-off are filters on that history, built monthly.
   `HOTLINE_NIGHTLY_DBT_TASKS=per_model` renders it instead as an astronomer-cosmos task group from
   `manifest.json` (`python -m hotline.orchestration.dbt manifest` makes it; no dbt parsing at import): one
   task per seed and model, its tests right after it, at one dbt start-up per task.
4. **source_freshness** (`dbt source freshness` + day D in force) and **row_level_checks** (raw-layer dbt
   tests, control totals against the manifests, no gaps up to D, nothing left from replaced deliveries).
5. **mark_raw_layer_current**: emits the asset `hotline_raw_layer` with `extra.through_day`, which
   schedules `hotline_monthly_bulletin`.

Every task that touches the DuckDB warehouse runs in the 1-slot pool `hotline_duckdb` (DuckDB allows one
writer process per file). Retries with exponential backoff; failures alert through `HOTLINE_ALERT_WEBHOOK` /
`HOTLINE_ALERT_EMAIL`. Paths come from `HOTLINE_DUMPS` / `HOTLINE_WAREHOUSE` or the run's params.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from hotline.orchestration import tasks as t
from hotline.orchestration.assets import RAW_LAYER
from hotline.orchestration.config import default_args, settings, tz
from hotline.orchestration.dbt import nightly_dbt_group
from hotline.orchestration.sensors import ExportSensor

S = settings()


@dag(
    dag_id="hotline_nightly",
    schedule=CronDataIntervalTimetable(S.nightly_cron, timezone=tz()),
    start_date=pendulum.datetime(2024, 10, 1, tz=tz()),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(S),
    tags=["hotline", "nightly", "load", "dbt"],
    doc_md=__doc__,
    params={
        "day": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Export day YYYY-MM-DD to wait for (default: the data interval's day)",
        ),
        "dumps_dir": Param(
            None, type=["null", "string"], description="Folder of daily exports (default HOTLINE_DUMPS)"
        ),
        "warehouse": Param(None, type=["null", "string"], description="DuckDB file (default HOTLINE_WAREHOUSE)"),
        "sensor_timeout_minutes": Param(
            None,
            type=["null", "number"],
            minimum=0,
            description="How long to wait for the export (default HOTLINE_SENSOR_TIMEOUT_MIN)",
        ),
        "sensor_poke_seconds": Param(
            None, type=["null", "number"], minimum=0.1, description="How often to look (default HOTLINE_SENSOR_POKE_S)"
        ),
    },
)
def hotline_nightly():
    wait = ExportSensor(task_id="wait_for_export")

    @task(pool=S.pool)
    def load_exports(**context):
        return t.load_exports(context)

    @task(pool=S.pool)
    def source_freshness(**context):
        return t.source_freshness(context)

    @task(pool=S.pool)
    def row_level_checks(**context):
        return t.row_level_checks(context)

    @task(outlets=[RAW_LAYER])
    def mark_raw_layer_current(checks: dict, **context):
        return t.mark_raw_layer_current(context, checks)

    loaded = load_exports()
    dbt = nightly_dbt_group("dbt_staging_facts", pool=S.pool)
    fresh = source_freshness()
    checks = row_level_checks()
    wait >> loaded >> dbt >> fresh >> checks
    mark_raw_layer_current(checks)


hotline_nightly()
