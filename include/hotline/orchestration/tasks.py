"""The bodies of the DAGs' tasks. Each takes the Airflow context (or the plan a previous task returned) and
calls the warehouse's own functions (``hotline.load``, ``hotline.build``, ``hotline.gate``,
``hotline.publish``); the DAG files only wire them.

Failures that a retry cannot fix (a rejected export, a failed gate, a month that is not complete) raise
``AirflowFailException`` so the task fails at once; anything else (e.g. the warehouse file locked by another
process: ``HotlineError.retryable``) is retried with exponential backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.orchestration.config import MonthlyRun, NightlyRun, monthly_run, nightly_run
from hotline.sql import scalar

if TYPE_CHECKING:
    import duckdb
    from airflow.sdk.exceptions import AirflowFailException

    from hotline.checks import Decisions

# the Airflow task context (airflow.sdk.Context), as the task bodies read it
Context = Mapping[str, Any]

log = logging.getLogger(__name__)


def _fail(message: str) -> AirflowFailException:
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(message)


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse, or, when this process already holds it read-write (dbt-duckdb
    keeps its in-process connection open: ``airflow dags test`` runs every task in one process), a connection
    sharing that instance."""
    import duckdb

    from hotline.warehouse import connect

    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise _fail(f"the warehouse {warehouse} does not exist: nothing has been loaded yet")
    try:
        return connect(warehouse, read_only=True)
    except duckdb.ConnectionException as e:
        if "different configuration" not in str(e):
            raise
        return connect(warehouse)


def export_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The export days in force (hotline.coverage, imported here: it pulls in the loader, which a DAG file's
    import must not)."""
    from hotline.coverage import export_days_in_force

    return export_days_in_force(con)


def contiguous_through(days: list[date]) -> date | None:
    """Last day of the unbroken run of export days that starts at the first one."""
    if not days:
        return None
    last = days[0]
    for d in days[1:]:
        if d != last + timedelta(days=1):
            break
        last = d
    return last


# ------------------------------------------------------------------------------------------------ nightly
def load_exports(context: Context) -> dict[str, Any]:
    """Load every export in the dumps folder that is new or re-delivered (a missed night or a late day is
    caught up here; a re-run finds every file ``unchanged`` and changes nothing)."""
    from hotline.load import LoadError, load_folder

    run = nightly_run(context)
    run.warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = load_folder(run.dumps_dir, run.warehouse, pii_key=_pii_key())
    except LoadError as e:
        raise _fail(f"loading {run.dumps_dir} failed: {e}") from e
    counts: dict[str, int] = {}
    for f in report.files:
        counts[f.status] = counts.get(f.status, 0) + 1
        if f.status in ("loaded", "replaced"):
            log.info(
                "%s %s (%s): %s rows, %s quarantined",
                f.status,
                f.file_name,
                f.export_date,
                f.rows_loaded,
                f.rows_quarantined,
            )
        elif f.status == "rejected":
            log.warning("rejected %s (%s): %s", f.file_name, f.export_date, f.message)
    rejected = [
        {"file": f.file_name, "day": str(f.export_date), "message": f.message}
        for f in report.files
        if f.status == "rejected"
    ]
    summary = {
        "day": run.day,
        "files": len(report.files),
        "counts": counts,
        "rows_loaded": sum(int(f.rows_loaded or 0) for f in report.files if f.status in ("loaded", "replaced")),
        "rows_quarantined": sum(
            int(f.rows_quarantined or 0) for f in report.files if f.status in ("loaded", "replaced")
        ),
        "changed_days": sorted(str(f.export_date) for f in report.files if f.status in ("loaded", "replaced")),
        "rejected": rejected,
    }
    log.info("load summary: %s", {k: v for k, v in summary.items() if k != "changed_days"})
    if counts.get("replaced") or counts.get("loaded"):  # a late day (e.g. one accepted as missing) counts too
        summary["touched_publications"] = _alert_touched_publications(context, run)
    if any(r["day"] == run.day for r in rejected) and not _day_in_force(run.warehouse, run.day):
        msg = "; ".join(r["message"] or "" for r in rejected if r["day"] == run.day)
        raise _fail(f"the export of {run.day} was rejected: {msg}")
    return summary


def _pii_key() -> str:
    """The pseudonymization key: the worker's environment, else the Airflow Variable a secrets backend provides
    (hotline.secrets); never logged."""
    from hotline import secrets
    from hotline.errors import HotlineError

    try:
        return secrets.pii_key()
    except secrets.MissingKey as missing:
        try:
            from airflow.sdk import Variable

            key = Variable.get(secrets.AIRFLOW_VARIABLE, default=None)
        except Exception:  # noqa: BLE001 - no Variable API (outside a task): the environment's message stands
            key = None
        if not key:
            raise _fail(str(missing)) from None
        try:
            return secrets.validated(key, f"the Airflow Variable {secrets.AIRFLOW_VARIABLE}")
        except HotlineError as e:
            raise _fail(str(e)) from None


def _alert_touched_publications(context: Context, run: NightlyRun) -> list[dict[str, Any]]:
    """A re-delivery changed an export day a published month depends on: alert (the publication stays as it
    is until someone restates it)."""
    from hotline.orchestration.alerts import send_alert
    from hotline.orchestration.config import settings
    from hotline.publish import touched_publications

    con = connect_read_only(run.warehouse)
    try:
        touched = touched_publications(Path(settings().publish_dir), con)
    finally:
        con.close()
    for t in touched:
        message = (
            f"a re-delivery changed {len(t['days'])} export day(s) that the published {t['month']} (as of "
            f"{t['as_of']}) depends on: {', '.join(t['days'][:10])}. The publication is unchanged; restate "
            f'it (hotline publish --month {t["month"]} --restate --reason "...") if its figures must change.'
        )
        log.error(message)
        send_alert(context, f"[hotline] re-delivery touches the published {t['month']}", message)
    return touched


def _day_in_force(warehouse: Path, day: str) -> bool:
    con = connect_read_only(warehouse)
    try:
        return bool(
            scalar(con, "select count(*) from raw.exports where cast(export_date as date) = cast(? as date)", [day])
        )
    finally:
        con.close()


def build_staging_facts(context: Context) -> dict[str, Any]:
    """One ``dbt build`` of staging and the ticket history through day D (``hotline.build.build_nightly``); a
    failing node fails the task with dbt's message (retried: a locked warehouse clears, a failing test fails
    again and alerts)."""
    from hotline.build import build_nightly

    run = nightly_run(context)
    result = build_nightly(run.warehouse, run.day)
    kinds: dict[str, int] = {}
    for r in result.results:
        kinds[r["name"].split(".", 1)[0]] = kinds.get(r["name"].split(".", 1)[0], 0) + 1
    passed = sum(1 for r in result.results if r["status"] in ("success", "pass"))
    others = [f"{r['name']}: {r['status']}" for r in result.results if r["status"] not in ("success", "pass")]
    for line in others:
        log.warning("dbt %s", line)
    log.info(
        "dbt build of staging + the ticket history through %s: %d of %d nodes passed (%s)",
        run.day,
        passed,
        len(result.results),
        ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items())),
    )
    return {"day": run.day, "nodes": len(result.results), "passed": passed, "by_kind": kinds}


def source_freshness(context: Context) -> dict[str, Any]:
    """``dbt source freshness`` on the raw sources (``loaded_at_field`` / warn / error thresholds are in
    ``dbt_project/models/staging/__sources.yml``), and the data's own freshness: day D is in raw.exports."""
    from hotline.build import run_dbt

    run = nightly_run(context)
    con = connect_read_only(run.warehouse)
    try:
        latest = scalar(con, "select max(cast(export_date as date)) from raw.exports")
    finally:
        con.close()
    if latest is None or latest.isoformat() < run.day:
        raise _fail(f"raw.exports reaches {latest}, not {run.day}: the day's export is not in force")

    res = run_dbt("source freshness", run.warehouse, select="source:raw", raise_on_failure=False)
    results = [{"source": r["name"], "status": r["status"]} for r in res.results]
    for r in results:
        log.info("freshness %s: %s", r["source"], r["status"])
    errors = [r for r in results if r["status"] in ("error", "runtime error")]
    if not res.success or errors:
        detail = ", ".join(f"{r['source']}={r['status']}" for r in errors) or str(res.exception)
        raise _fail(f"dbt source freshness failed: {detail}")
    return {"latest_export": latest.isoformat(), "sources": results}


def row_level_checks(context: Context) -> dict[str, Any]:
    """The raw layer's control checks through D (``hotline.load.controls.raw_layer_checks``: no gap, the
    loader's control totals for every export in force), then its data tests (``dbt test --select
    source:raw``)."""
    from hotline.build import run_dbt
    from hotline.load.controls import raw_layer_checks

    run = nightly_run(context)
    con = connect_read_only(run.warehouse)
    try:
        raw = raw_layer_checks(con, date.fromisoformat(run.day))
    finally:
        con.close()
    if raw.problems:
        raise _fail("raw layer checks failed:\n  " + "\n  ".join(raw.problems[:20]))

    result = run_dbt("test", run.warehouse, select="source:raw", raise_on_failure=False)
    failed = result.failures
    for r in failed:
        log.error("dbt test %s: %s %s", r["name"], r["status"], r["message"])
    if failed or not result.success:
        raise _fail(f"{len(failed)} raw-layer data test(s) failed: " + ", ".join(r["name"] for r in failed[:5]))
    through = contiguous_through(sorted(set(raw.days) | {date.fromisoformat(d) for d in raw.accepted}))
    assert through is not None  # raw.exports is not empty: raw_layer_checks says so otherwise
    return {
        "day": run.day,
        "through_day": through.isoformat(),
        "exports": raw.exports,
        "rows": raw.rows,
        "quarantined": raw.quarantined,
        "dbt_tests": len(result.results),
    }


def mark_raw_layer_current(context: Context, checks: dict[str, Any]) -> dict[str, Any]:
    """Record the ``hotline_raw_layer`` asset event: the raw layer is up to date through day D."""
    from hotline.orchestration.assets import RAW_LAYER

    run = nightly_run(context)
    extra = {
        "day": run.day,
        "through_day": checks["through_day"],
        "exports": checks["exports"],
        "rows": checks["rows"],
        "warehouse": str(run.warehouse),
    }
    context["outlet_events"][RAW_LAYER].extra = extra
    log.info("raw layer up to date through %s", checks["through_day"])
    return extra


# ------------------------------------------------------------------------------------------------ monthly
def _published(publish_dir: str, month: str) -> bool:
    p = Path(publish_dir) / month
    return p.exists() and any(p.iterdir())


def _through_from_events(events: Iterable[Any] | None) -> str | None:
    best = None
    for ev in events or []:
        extra = getattr(ev, "extra", None) or {}
        through = extra.get("through_day") if isinstance(extra, dict) else None
        if through and (best is None or through > best):
            best = through
    return best


def decide_month(
    run: MonthlyRun, published: bool, event_through: str | None, newest_export: str | None = None
) -> tuple[str, str]:
    """``("publish" | "skip" | "fail", reason)`` for a monthly run (pure: no Airflow, no I/O).

    - params ``month`` (and ``as_of``) given, or the cut-off cron: publish (``check_raw_coverage`` then fails
      loudly if the raw layer does not cover the month);
    - a manual run without params before the month's cut-off: fail (say which month to publish);
    - the cut-off cron before the cut-off day's export is in (``newest_export``; it arrives the next night):
      skip quietly, the nightly that loads it triggers the publication;
    - a run triggered by a nightly's ``hotline_raw_layer`` event: publish the previous month only when its
      cut-off has passed, it is not published yet and the event says the raw layer reaches far enough;
      otherwise skip quietly (this is how a cut-off run that failed for lack of data is caught up)."""
    if run.explicit:
        return "publish", f"{run.month} as of {run.as_of} requested by the run's params"
    if run.run_type != "asset_triggered":
        if run.reference_time < run.as_of:
            return "fail", (
                f"the cut-off of {run.month} ({run.as_of}) has not passed: pass the month and as_of "
                "params to publish earlier"
            )
        if published:
            return "skip", f"{run.month} is already published in {run.publish_dir}"
        if newest_export is not None and newest_export < run.required_through:
            return "skip", (
                f"the export of {run.required_through} (the cut-off day) is not in yet (newest: "
                f"{newest_export}): the nightly that loads it triggers the publication of {run.month}"
            )
        return "publish", f"{run.month} as of the cut-off {run.as_of} ({run.run_type or 'run'})"
    if run.reference_time < run.as_of:
        return "skip", f"the cut-off of {run.month} is {run.as_of}"
    if published:
        return "skip", f"{run.month} is already published in {run.publish_dir}"
    if event_through is None or event_through < run.required_through:
        return "skip", f"the raw layer reaches {event_through}, {run.month} needs {run.required_through}"
    return "publish", f"{run.month}: the raw layer now reaches {event_through} (catch-up after the cut-off)"


def plan_month(context: Context) -> dict[str, Any] | None:
    """Which month to publish and whether to publish it now (see :func:`decide_month`). Returns the plan, or
    ``None`` to skip the rest of the run."""
    from hotline.periods import BadPeriod

    try:
        run = monthly_run(context)
    except BadPeriod as e:
        raise _fail(str(e)) from e
    published = _published(run.publish_dir, run.month)
    through = _through_from_events(_triggering_events(context)) if run.run_type == "asset_triggered" else None
    newest = None
    if not run.explicit and run.run_type != "asset_triggered" and Path(run.warehouse).is_file():
        con = connect_read_only(Path(run.warehouse))
        try:
            days = export_days(con)
        finally:
            con.close()
        newest = days[-1].isoformat() if days else None
    action, reason = decide_month(run, published, through, newest)
    log.info("%s: %s; plan %s", action, reason, run.to_json())
    if action == "fail":
        raise _fail(reason)
    return run.to_json() if action == "publish" else None


def _triggering_events(context: Context) -> list[Any]:
    from hotline.orchestration.assets import RAW_LAYER

    events = context.get("triggering_asset_events") or {}
    try:
        return list(events[RAW_LAYER])
    except (KeyError, TypeError):
        return []


def _plan_decisions(plan: dict[str, Any]) -> Decisions:
    from hotline.checks import Decisions
    from hotline.errors import HotlineError

    try:
        return Decisions(
            missing_days=tuple(plan.get("accept_missing_days") or ()),
            unknown_departments=tuple(plan.get("accept_unknown_departments") or ()),
            reason=plan.get("reason") or "",
        )
    except HotlineError as e:  # a retry cannot add the missing reason
        raise _fail(str(e)) from e


def check_raw_coverage(context: Context, plan: dict[str, Any]) -> dict[str, Any]:
    """Before anything is built: the month can be answered from the exports in force
    (``hotline.coverage.preflight``) and every export day from its first day through the cut-off's day is in
    force, unless the run's params accept a missing day with a reason. The latest ``hotline_raw_layer`` event
    is reported alongside; the warehouse itself is the proof (it may also have been loaded with
    ``hotline load``)."""
    from hotline.coverage import missing_days, preflight
    from hotline.errors import HotlineError
    from hotline.orchestration.assets import RAW_LAYER

    latest_event = None
    try:
        events = context["inlet_events"][RAW_LAYER].ascending(False).limit(1)
        latest_event = _through_from_events(list(events))
    except Exception as e:  # noqa: BLE001 - informational only
        log.info("no asset events readable (%s)", e)
    decisions = _plan_decisions(plan)
    con = connect_read_only(Path(plan["warehouse"]))
    try:
        try:
            preflight(con, plan["month"], plan["as_of"])
        except HotlineError as e:
            raise _fail(str(e)) from e
        missing = [d for d in missing_days(con, plan["month"], plan["as_of"]) if d not in decisions.missing_days]
        n_days = len(export_days(con))
    finally:
        con.close()
    log.info("latest hotline_raw_layer event reaches %s; the warehouse has %d export days", latest_event, n_days)
    if missing:
        shown = ", ".join(missing[:10]) + (f" (+{len(missing) - 10} more)" if len(missing) > 10 else "")
        raise _fail(
            f"the raw layer does not cover {plan['month']} as of {plan['as_of']}: {len(missing)} export "
            f"day(s) missing: {shown}. Run hotline_nightly (or `hotline load`) once they are delivered, or "
            "accept them with the params accept_missing_days and reason."
        )
    return {"required_through": plan["required_through"], "latest_event_through": latest_event, "export_days": n_days}


def build_marts(plan: dict[str, Any]) -> dict[str, Any]:
    from hotline.build import build_month

    result = build_month(Path(plan["warehouse"]), plan["month"], plan["as_of"])
    ok = sum(1 for r in result.results if r["status"] in ("success", "pass"))
    log.info("dbt build %s as of %s: %d of %d nodes passed", plan["month"], plan["as_of"], ok, len(result.results))
    return {"nodes": len(result.results), "passed": ok}


def gate(plan: dict[str, Any]) -> dict[str, Any]:
    from hotline.errors import HotlineError
    from hotline.gate import run_gate

    decisions = _plan_decisions(plan)
    con = connect_read_only(Path(plan["warehouse"]))
    try:
        report = run_gate(
            Path(plan["warehouse"]),
            plan["month"],
            plan["as_of"],
            publish_dir=Path(plan["publish_dir"]),
            con=con,
            decisions=decisions,
        )
    except HotlineError as e:  # a decision that matches nothing: the params must change, not be retried
        if e.retryable:
            raise
        raise _fail(str(e)) from e
    finally:
        con.close()
    for c in report.warnings:
        log.warning("WARN %s", c.line())
    for c in report.failed:
        log.error("FAIL %s", c.line())
    log.info(
        "gate: %d of %d checks passed, %d warnings",
        len(report.checks) - report.failed_count - len(report.warnings),
        len(report.checks),
        len(report.warnings),
    )
    if not report.success:
        names = "; ".join(c.line() for c in report.failed[:5]) + (
            f" (+{report.failed_count - 5} more)" if report.failed_count > 5 else ""
        )
        raise _fail(
            f"the gate failed for {plan['month']}: {report.failed_count} of {len(report.checks)} checks: "
            f"{names or 'no checks ran'}"
        )
    return {"checks": len(report.checks), "failed": 0, "warnings": len(report.warnings)}


def publish(context: Context, plan: dict[str, Any]) -> dict[str, Any]:
    """Gate again on the release and swap it in atomically (``hotline.publish.publish_month``); a published
    month is republished only as a restatement (params ``restate`` and ``reason``); a month without its narrative
    is refused unless the param ``allow_missing_narrative`` is set."""
    from hotline.errors import HotlineError
    from hotline.orchestration.assets import BULLETIN
    from hotline.publish import publish_month

    try:
        result = publish_month(
            Path(plan["warehouse"]),
            plan["month"],
            plan["as_of"],
            Path(plan["publish_dir"]),
            decisions=_plan_decisions(plan),
            restate=(plan.get("reason") or "") if plan.get("restate") else None,
            allow_missing_narrative=bool(plan.get("allow_missing_narrative")),
        )
    except HotlineError as e:  # a retry cannot fix a failed check or a refusal
        if e.retryable:
            raise
        raise _fail(str(e)) from e
    extra = {
        "month": plan["month"],
        "as_of": plan["as_of"],
        "path": str(result.path),
        "release": result.release_id,
        "unchanged": result.unchanged,
    }
    context["outlet_events"][BULLETIN].extra = extra
    log.info(
        "%s %s as of %s → %s",
        "unchanged:" if result.unchanged else "published",
        plan["month"],
        plan["as_of"],
        result.path,
    )
    return extra
