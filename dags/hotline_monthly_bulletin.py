"""
### hotline_monthly_bulletin: build, validate and publish a month

Publishes month M as of a cut-off: by default the 12th of M+1 at 10:00 Asia/Shanghai (`HOTLINE_CUTOFF_DAY`,
`HOTLINE_CUTOFF_HOUR`), or on demand with the params `month` (YYYY-MM) and `as_of` ("YYYY-MM-DD HH:MM").

**How it depends on the nightly loads.** The schedule is `AssetOrTimeSchedule`: the cut-off cron **or** an
event of the asset `hotline_raw_layer` (emitted by `hotline_nightly` once day D is loaded, built and checked;
`extra.through_day` says how far the raw layer reaches).

- The cron run at the cut-off publishes the previous month once every export from the month's first day
  through the cut-off day is in force (the cut-off day's export carries the events up to the cut-off; it
  arrives the next night, so the cron run usually skips and the catch-up below publishes). Its
  `check_raw_coverage` task refuses a month that cannot be answered (`hotline.coverage.preflight`) and a
  missing day (naming it), unless the params accept it (`accept_missing_days` + `reason`, recorded in the
  publication).
- A published month is immutable: it is republished only with the params `restate` and `reason`.
- A month without the editors' narrative (`narratives/<YYYY-MM>.md`) is refused by `publish`, unless the param
  `allow_missing_narrative` is set (the bulletin then carries the figures only, with a warning on its first page).
- A run triggered by a nightly's asset event is the catch-up: if the cut-off has passed, the month is not
  published yet and the event's `through_day` covers the month, it publishes; otherwise `plan` skips the run
  (most nights it does, in a second). So a late export that made the cut-off run fail is published by the
  first nightly that loads it, without anyone re-triggering.
- The warehouse's `raw.exports` is the proof of coverage (it may also have been loaded with `hotline load`);
  the latest asset event is logged next to it.

Tasks: **plan** (short-circuit) → **check_raw_coverage** → **build_marts** (`hotline.build.build_month`:
seeds, models and dbt tests for the month) → **gate** (Great Expectations: marts, reconciliation, rates) →
**publish** (`hotline.publish.publish_month`: gate again on the release, atomic swap into
`publish/<YYYY-MM>/`, emits the asset `hotline_monthly_bulletin`). Every warehouse task runs in the 1-slot pool
`hotline_duckdb`; retries with exponential backoff; failures alert (`HOTLINE_ALERT_WEBHOOK` / `_EMAIL`).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from hotline.orchestration import tasks as t
from hotline.orchestration.assets import BULLETIN, RAW_LAYER
from hotline.orchestration.config import default_args, settings, tz

S = settings()


@dag(
    dag_id="hotline_monthly_bulletin",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable(S.monthly_cron, timezone=tz()), assets=RAW_LAYER),
    start_date=pendulum.datetime(2024, 11, 1, tz=tz()),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(S),
    tags=["hotline", "monthly", "bulletin", "publish"],
    doc_md=__doc__,
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="Month to publish, YYYY-MM (default: the month before the run)",
        ),
        "as_of": Param(
            None,
            type=["null", "string"],
            description='Cut-off "YYYY-MM-DD HH:MM", Asia/Shanghai (default: the configured cut-off)',
        ),
        "warehouse": Param(None, type=["null", "string"], description="DuckDB file (default HOTLINE_WAREHOUSE)"),
        "publish_dir": Param(None, type=["null", "string"], description="Publication folder (default HOTLINE_PUBLISH)"),
        "accept_missing_days": Param(
            [],
            type=["null", "array"],
            items={"type": "string", "format": "date"},
            description="Publish although these export days are missing (needs reason)",
        ),
        "accept_unknown_departments": Param(
            [],
            type=["null", "array"],
            items={"type": "string"},
            description="Publish although these lead departments are not in the directory (needs reason)",
        ),
        "reason": Param(
            None,
            type=["null", "string"],
            description="Why: required with accept_* and restate; recorded and printed in the bulletin",
        ),
        "restate": Param(
            False, type="boolean", description="Replace the published month's release (its inputs or figures changed)"
        ),
        "allow_missing_narrative": Param(
            False,
            type="boolean",
            description="Publish although narratives/<month>.md is missing: figures "
            "only, with a warning on the bulletin's first page",
        ),
    },
)
def hotline_monthly_bulletin():
    @task.short_circuit
    def plan(**context):
        return t.plan_month(context)

    @task(pool=S.pool, inlets=[RAW_LAYER])
    def check_raw_coverage(plan: dict, **context):
        return t.check_raw_coverage(context, plan)

    @task(pool=S.pool)
    def build_marts(plan: dict):
        return t.build_marts(plan)

    @task(pool=S.pool)
    def gate(plan: dict):
        return t.gate(plan)

    @task(pool=S.pool, outlets=[BULLETIN])
    def publish(plan: dict, **context):
        return t.publish(context, plan)

    p = plan()
    check_raw_coverage(p) >> build_marts(p) >> gate(p) >> publish(p)


hotline_monthly_bulletin()
