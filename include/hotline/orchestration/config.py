"""Settings for the DAGs, read from the environment (cheap: no file is touched), and the per-run values
resolved from a task's context (DAG params, the run's data interval, its run type).

Environment variables (all optional; relative paths are taken relative to the repository root, so the
scheduler, the workers and the CLI agree whatever their working directory):

==============================  =================================================================
``HOTLINE_DUMPS``               folder of daily exports (default ``data/dumps``)
``HOTLINE_WAREHOUSE``           DuckDB file (default ``data/warehouse.duckdb``)
``HOTLINE_PUBLISH``             publication folder (default ``publish``)
``HOTLINE_CUTOFF_DAY``          day of the following month the bulletin is cut off (default 12)
``HOTLINE_CUTOFF_HOUR``         hour of that day, Asia/Shanghai (default 10)
``HOTLINE_NIGHTLY_CRON``        when the nightly DAG runs, Asia/Shanghai (default ``30 1 * * *``)
``HOTLINE_SENSOR_TIMEOUT_MIN``  how long the nightly waits for the day's export (default 360)
``HOTLINE_SENSOR_POKE_S``       how often it looks (default 300)
``HOTLINE_SENSOR_DEFERRABLE``   wait in the triggerer (default true) or by rescheduling (false)
``HOTLINE_NIGHTLY_DBT_TASKS``   the nightly's dbt step: ``single`` task (default) or ``per_model`` (cosmos)
``HOTLINE_DBT_MANIFEST``        manifest.json cosmos renders from (default dbt_project/target/manifest.json)
``HOTLINE_RETRIES``             retries per task (default 2; exponential backoff)
``HOTLINE_RETRY_DELAY_S``       first retry delay (default 60)
``HOTLINE_OWNER``               DAG owner (default ``hotline-data``)
``HOTLINE_POOL``                the 1-slot pool of DuckDB writers (default ``hotline_duckdb``)
==============================  =================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from hotline import paths
from hotline.contract import TIMEZONE
from hotline.periods import (
    DEFAULT_CUTOFF_DAY,
    DEFAULT_CUTOFF_HOUR,
    BadPeriod,
    format_as_of,
    month_bounds,
    parse_as_of,
    parse_day,
    parse_month,
    previous_month,
)

if TYPE_CHECKING:
    from pendulum import FixedTimezone, Timezone

    from hotline.checks import Decisions


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return default if not raw else raw in ("1", "true", "yes", "on")


def project_path(p: str | Path) -> Path:
    """``p`` as an absolute path; relative paths are relative to the repository root."""
    p = Path(p).expanduser()
    return p if p.is_absolute() else paths.PROJECT_DIR / p


@dataclass(frozen=True)
class Settings:
    dumps_dir: Path
    warehouse: Path
    publish_dir: Path
    cutoff_day: int
    cutoff_hour: int
    nightly_cron: str
    sensor_timeout_s: float
    sensor_poke_s: float
    sensor_deferrable: bool
    dbt_manifest: Path
    retries: int
    retry_delay_s: float
    owner: str
    pool: str
    timezone: str = TIMEZONE

    @property
    def monthly_cron(self) -> str:
        return f"0 {self.cutoff_hour} {self.cutoff_day} * *"


def settings() -> Settings:
    s = Settings(
        dumps_dir=project_path(paths.default_dumps_dir()),
        warehouse=project_path(paths.default_warehouse()),
        publish_dir=project_path(paths.default_publish_dir()),
        cutoff_day=_int("HOTLINE_CUTOFF_DAY", DEFAULT_CUTOFF_DAY),
        cutoff_hour=_int("HOTLINE_CUTOFF_HOUR", DEFAULT_CUTOFF_HOUR),
        nightly_cron=os.environ.get("HOTLINE_NIGHTLY_CRON", "").strip() or "30 1 * * *",
        sensor_timeout_s=_float("HOTLINE_SENSOR_TIMEOUT_MIN", 360) * 60,
        sensor_poke_s=_float("HOTLINE_SENSOR_POKE_S", 300),
        sensor_deferrable=_bool("HOTLINE_SENSOR_DEFERRABLE", True),
        dbt_manifest=project_path(
            os.environ.get("HOTLINE_DBT_MANIFEST", "").strip() or paths.DBT_PROJECT_DIR / "target" / "manifest.json"
        ),
        retries=_int("HOTLINE_RETRIES", 2),
        retry_delay_s=_float("HOTLINE_RETRY_DELAY_S", 60),
        owner=os.environ.get("HOTLINE_OWNER", "").strip() or "hotline-data",
        pool=os.environ.get("HOTLINE_POOL", "").strip() or "hotline_duckdb",
    )
    if not 1 <= s.cutoff_day <= 28 or not 0 <= s.cutoff_hour <= 23:
        raise ValueError(
            f"HOTLINE_CUTOFF_DAY must be 1..28 and HOTLINE_CUTOFF_HOUR 0..23, got {s.cutoff_day} and {s.cutoff_hour}"
        )
    return s


def tz() -> Timezone | FixedTimezone:
    import pendulum

    return pendulum.timezone(TIMEZONE)


def default_args(s: Settings | None = None) -> dict[str, Any]:
    """Retries with exponential backoff, the owner and the failure alert, for every task."""
    from hotline.orchestration.alerts import notify_failure

    s = s or settings()
    return {
        "owner": s.owner,
        "retries": s.retries,
        "retry_delay": timedelta(seconds=s.retry_delay_s),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(hours=3),
        "on_failure_callback": notify_failure,
    }


# --------------------------------------------------------------------------------------------- per run
def _param(context: Mapping[str, Any], name: str) -> Any:
    params = context.get("params") or {}
    value = params.get(name) if hasattr(params, "get") else None
    if isinstance(value, str):
        value = value.strip()
    return value if value not in ("", None) else None


@overload
def _local(ts: None) -> None: ...
@overload
def _local(ts: datetime) -> datetime: ...
@overload
def _local(ts: datetime | None) -> datetime | None: ...
def _local(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    import pendulum

    return pendulum.instance(ts).in_timezone(TIMEZONE)


@dataclass(frozen=True)
class NightlyRun:
    """What one nightly run works on: the export day D it waits for and where things are."""

    day: str
    dumps_dir: Path
    warehouse: Path
    sensor_timeout_s: float
    sensor_poke_s: float

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


def nightly_day(context: Mapping[str, Any]) -> str:
    """The day to wait for: the ``day`` param, else the data interval's day (Asia/Shanghai), else (manual
    runs without a logical date) the day before the run."""
    if (day := _param(context, "day")) is not None:
        return parse_day(day)
    start: datetime | None = _local(context.get("data_interval_start"))
    if start is not None:
        return start.date().isoformat()
    dag_run = context.get("dag_run")
    run_after = _local(getattr(dag_run, "run_after", None)) if dag_run is not None else None
    ref = run_after or _local(datetime.now().astimezone())
    return (ref.date() - timedelta(days=1)).isoformat()


def nightly_run(context: Mapping[str, Any], s: Settings | None = None) -> NightlyRun:
    s = s or settings()
    timeout_min = _param(context, "sensor_timeout_minutes")
    poke = _param(context, "sensor_poke_seconds")
    return NightlyRun(
        day=nightly_day(context),
        dumps_dir=project_path(_param(context, "dumps_dir") or s.dumps_dir),
        warehouse=project_path(_param(context, "warehouse") or s.warehouse),
        sensor_timeout_s=float(timeout_min) * 60 if timeout_min is not None else s.sensor_timeout_s,
        sensor_poke_s=float(poke) if poke is not None else s.sensor_poke_s,
    )


def cutoff_for(month: str, s: Settings | None = None) -> datetime:
    """The configured cut-off of ``month``: day ``cutoff_day`` of the next month at ``cutoff_hour``."""
    s = s or settings()
    _, nxt = month_bounds(month)
    return datetime(nxt.year, nxt.month, s.cutoff_day, s.cutoff_hour)


@dataclass(frozen=True)
class MonthlyRun:
    """What one monthly run publishes. ``explicit`` = the month came from the run's params."""

    month: str
    as_of: str
    warehouse: str
    publish_dir: str
    explicit: bool
    run_type: str
    reference_time: str  # the run's time, Asia/Shanghai wall clock
    required_through: str  # the raw layer must hold every export up to this day (the cut-off's day)
    # the operator's decisions (params), recorded in the publication
    accept_missing_days: tuple[str, ...] = ()
    accept_unknown_departments: tuple[str, ...] = ()
    reason: str = ""
    restate: bool = False
    allow_missing_narrative: bool = False  # publish without narratives/<month>.md (the bulletin says so)

    def decisions(self) -> Decisions:
        from hotline.checks import Decisions

        return Decisions(
            missing_days=tuple(self.accept_missing_days),
            unknown_departments=tuple(self.accept_unknown_departments),
            reason=self.reason,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def monthly_run(context: Mapping[str, Any], s: Settings | None = None) -> MonthlyRun:
    """Month and cut-off from the ``month``/``as_of`` params, else the month before the run's time with the
    configured cut-off. Raises :class:`BadPeriod` for a month that is not complete at ``as_of``."""
    s = s or settings()
    dag_run = context.get("dag_run")
    run_type = str(getattr(getattr(dag_run, "run_type", None), "value", getattr(dag_run, "run_type", "")) or "")
    ref = (
        (_local(getattr(dag_run, "run_after", None)) if dag_run is not None else None)
        or _local(context.get("logical_date"))
        or _local(datetime.now().astimezone())
    )
    ref_naive = ref.replace(tzinfo=None)
    month_param, as_of_param = _param(context, "month"), _param(context, "as_of")
    if month_param is not None:
        month = parse_month(month_param)
        explicit = True
    else:
        month = previous_month(f"{ref_naive:%Y-%m}")
        explicit = False
    cutoff = parse_as_of(as_of_param) if as_of_param is not None else cutoff_for(month, s)
    _, nxt = month_bounds(month)
    if cutoff.date() < nxt:
        raise BadPeriod(f"as-of {format_as_of(cutoff)} is before the end of {month}: the month is not complete yet")
    # the cut-off day's export carries the events up to the cut-off (hotline.coverage.required_days)
    required = cutoff.date()
    return MonthlyRun(
        month=month,
        as_of=format_as_of(cutoff),
        warehouse=str(project_path(_param(context, "warehouse") or s.warehouse)),
        publish_dir=str(project_path(_param(context, "publish_dir") or s.publish_dir)),
        explicit=explicit,
        run_type=run_type,
        reference_time=format_as_of(ref_naive),
        required_through=required.isoformat(),
        accept_missing_days=tuple(sorted({parse_day(d) for d in _param(context, "accept_missing_days") or []})),
        accept_unknown_departments=tuple(sorted(set(_param(context, "accept_unknown_departments") or []))),
        reason=str(_param(context, "reason") or "").strip(),
        restate=bool(_param(context, "restate") or False),
        allow_missing_narrative=bool(_param(context, "allow_missing_narrative") or False),
    )
