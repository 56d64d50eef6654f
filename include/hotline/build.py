"""Runs the dbt project in-process (no extra Python start-up per call) against a given warehouse file."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.errors import HotlineError
from hotline.paths import DBT_PROJECT_DIR
from hotline.quality import record_test_results

log = logging.getLogger(__name__)

#: secrets of this process that dbt must never see (hotline.secrets)
HIDDEN_FROM_DBT = ("HOTLINE_PII_KEY", "HOTLINE_PII_KEY_OLD", "HOTLINE_PII_KEY_FILE")
#: the dbt vars that reach dbt as environment variables (read at execution time, no re-parse when they change)
PERIOD_ENV = {"month": "HOTLINE_MONTH", "as_of": "HOTLINE_AS_OF"}


class BuildError(HotlineError, RuntimeError):
    """dbt reported failing models or tests (the message names the failing rows of each failed test)."""

    code = 1


@dataclass
class BuildResult:
    command: str
    success: bool
    results: list[dict[str, Any]] = field(default_factory=list)
    exception: BaseException | None = None  # what dbt raised when it could not run the command at all

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] in ("error", "fail", "runtime error")]


def release_dbt_connection() -> None:
    """dbt-duckdb keeps its DuckDB instance open in a class attribute after an in-process run. Close it: the
    process would otherwise hold the warehouse's write lock (blocking other writers) and could not open the file
    read-only afterwards."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with manager._LOCK:
        env: Any = manager._ENV  # dbt-duckdb declares `_ENV = None`: mypy would take it for always None
        if env is not None:
            try:
                env.close()
            finally:
                manager._ENV = None


def dbt_work_dir(warehouse: Path) -> Path:
    """dbt's target and logs for ``warehouse``: one folder per warehouse file, beside it. dbt re-parses the whole
    project when the profile (the warehouse path) differs from the last parse in its target, and two warehouses
    sharing a target would overwrite each other's run results and compiled SQL."""
    warehouse = Path(warehouse).resolve()
    return warehouse.parent / "dbt" / warehouse.name


def dbt_log_file(warehouse: Path) -> Path:
    """The debug log of dbt's runs on ``warehouse`` (what a failure message points to)."""
    return dbt_work_dir(warehouse) / "logs" / "dbt.log"


def dbt_args(
    command: str,
    warehouse: Path,
    dbt_vars: dict[str, Any] | None = None,
    select: str | None = None,
    extra: list[str] | None = None,
    quiet: bool = False,
) -> list[str]:
    """dbt's arguments for ``command`` (a sub-command too: ``"source freshness"``) against ``warehouse``."""
    work = dbt_work_dir(warehouse)
    # dbt's console log goes to the file only unless the user asked for detail (hotline -v) and no one shows
    # progress (``quiet``: the CLI renders dbt's events itself); failures are reported by run_dbt itself, in
    # one line that names the log file.
    console = "info" if logging.getLogger().isEnabledFor(logging.INFO) and not quiet else "none"
    # --log-level alone would also silence the file log that a failure message points to
    args = [
        "--log-level",
        console,
        "--log-level-file",
        "debug",
        *command.split(),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(dbt_log_file(warehouse).parent),
    ]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, ensure_ascii=False)]
    if select:
        args += ["--select", select]
    return args + (extra or [])


#: ``progress(done, total, node_name, status)``: called once per finished dbt node (model, seed, data or unit test)
Progress = Callable[[int, int, str, str], None]


def progress_callback(progress: Progress) -> Callable[[Any], None]:
    """A dbt event callback (``dbtRunner(callbacks=[...])``) that calls ``progress`` once per finished node
    (``NodeFinished``: models, seeds, data and unit tests; skipped ones too) with the number done so far and the
    run's node count. The count is the one dbt announces (``ConcurrencyLine``), raised when more nodes start:
    ``dbt build`` announces it without the unit tests it runs (and dbt 1.11's per-node totals count those
    twice). dbt fires events from its worker threads; a failing ``progress`` never stops the build."""
    lock = threading.Lock()
    state: dict[str, Any] = {"announced": 0, "started": set(), "finished": set()}

    def on_event(msg: Any) -> None:  # a dbt EventMsg
        name = msg.info.name
        try:
            if name == "ConcurrencyLine":
                with lock:
                    state["announced"] = int(msg.data.node_count or 0)
            elif name in ("NodeStart", "NodeFinished"):
                node = msg.data.node_info
                if node.materialized == "ephemeral":  # compiled into other models: not run, not counted
                    return
                with lock:
                    seen = state["started" if name == "NodeStart" else "finished"]
                    if node.unique_id in seen:
                        return
                    seen.add(node.unique_id)
                    state["started"].add(node.unique_id)
                    if name == "NodeFinished":  # under the lock: the calls come in order of ``done``
                        progress(
                            len(state["finished"]),
                            max(state["announced"], len(state["started"])),
                            node.node_name,
                            msg.data.run_result.status or node.node_status,
                        )
        except Exception:  # noqa: BLE001 - showing progress must never break a build
            log.debug("progress callback failed on %s", name, exc_info=True)

    return on_event


def run_dbt(
    command: str,
    warehouse: Path,
    dbt_vars: dict[str, Any] | None = None,
    select: str | None = None,
    extra: list[str] | None = None,
    raise_on_failure: bool = True,
    progress: Progress | None = None,
) -> BuildResult:
    """``dbt <command>`` against ``warehouse``; the warehouse path reaches profiles.yml through the
    environment. ``progress(done, total, node_name, status)`` is called once per finished node (dbt's own
    console log then stays off)."""
    from dbt.cli.main import dbtRunner  # imported late: dbt is slow to import and most commands never run it

    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    os.environ["HOTLINE_WAREHOUSE"] = str(warehouse)
    # month/as_of go through the environment, other vars through --vars: dbt re-parses the whole project when
    # --vars change (dbt_project/macros/periods.sql)
    dbt_vars = dict(dbt_vars or {})
    period = {PERIOD_ENV[k]: str(dbt_vars.pop(k)) for k in list(dbt_vars) if k in PERIOD_ENV}
    # dbt needs no secret: the ones this process holds are hidden from it (its logs, manifest and run results
    # record what it sees)
    saved = {k: os.environ.get(k) for k in (*PERIOD_ENV.values(), *HIDDEN_FROM_DBT)}
    for k in HIDDEN_FROM_DBT:
        os.environ.pop(k, None)
    os.environ.update(period)
    try:
        callbacks = [progress_callback(progress)] if progress is not None else []
        res = dbtRunner(callbacks=callbacks).invoke(
            dbt_args(command, warehouse, dbt_vars, select, extra, quiet=progress is not None)
        )
    finally:
        release_dbt_connection()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    raw_results = getattr(res.result, "results", None) or []
    results = []
    for r in raw_results:
        results.append(
            {"name": getattr(r.node, "unique_id", str(r.node)), "status": str(r.status), "message": r.message or ""}
        )
    out = BuildResult(command=command, success=bool(res.success), results=results, exception=res.exception)
    # the data tests' outcomes, with the rows they found, are kept in the warehouse for the gate
    bad = (
        record_test_results(warehouse, period.get(PERIOD_ENV["month"]), period.get(PERIOD_ENV["as_of"]), raw_results)
        if command in ("build", "test")
        else []
    )
    for b in bad:
        if b["status"] == "warn":
            log.warning(
                "dbt test %s warns: %s%s", b["name"], b["message"], f" — {b['subject'].text()}" if b["subject"] else ""
            )
    if raise_on_failure and not out.success:
        failed = [b for b in bad if b["status"] != "warn"]
        if failed:
            detail = "; ".join(
                f"{b['name']}: {b['message']}" + (f" — {b['subject'].text()}" if b["subject"] else "")
                for b in failed[:5]
            )
            more = f" (+{len(failed) - 5} more)" if len(failed) > 5 else ""
        else:
            errors = out.failures
            detail = "; ".join(f"{f['name']}: {f['message']}" for f in errors[:5]) or str(res.exception or "")
            more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        hint = ""
        if "out of sync" in detail:  # on_schema_change='fail': a model's columns changed since the last build
            hint = (
                " (a model's columns changed since this warehouse was built, e.g. after an upgrade: "
                "rebuild it once with `hotline build --month YYYY-MM --full-refresh`)"
            )
        raise BuildError(
            f"dbt {command} failed: {' '.join(detail.split())}{more}{hint}; details in {dbt_log_file(warehouse)}"
        )
    return out


#: the nightly's selection: staging and the ticket history (the versions of the days just loaded); the facts
#: and marts as of a cut-off are filters on that history, built with the month
NIGHTLY_SELECT = "path:models/staging +int_ticket_versions"
#: unit tests check the models' SQL on fixed inputs, not the data: production builds leave them to CI (dbt's
#: own advice; `make test` runs them with every data test), `hotline build --unit-tests` runs them too
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
#: tests that also read models outside the nightly selection (relationships to the marts) wait for the monthly
#: build
NIGHTLY_FLAGS = ["--indirect-selection", "buildable", *NO_UNIT_TESTS]


def nightly_vars(day: str) -> dict[str, str]:
    """The period of a nightly build: export day D's month, as of the end of D."""
    return {"month": day[:7], "as_of": f"{day} 23:59:59"}


def build_nightly(
    warehouse: Path, day: str, full_refresh: bool = False, progress: Progress | None = None
) -> BuildResult:
    """Staging and the ticket history (with their data tests) through export day ``day`` (YYYY-MM-DD): what
    the nightly does after loading; the facts and marts as of a cut-off are built by :func:`build_month`.
    ``progress``: see :func:`run_dbt`."""
    return run_dbt(
        "build",
        warehouse,
        nightly_vars(day),
        select=NIGHTLY_SELECT,
        extra=NIGHTLY_FLAGS + (["--full-refresh"] if full_refresh else []),
        progress=progress,
    )


def build_month(
    warehouse: Path,
    month: str,
    as_of: str,
    select: str | None = None,
    full_refresh: bool = False,
    unit_tests: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Seeds, models and data tests for one month as of a cut-off (``unit_tests``: dbt's unit tests too).
    ``full_refresh`` rebuilds the ticket history from raw (after a model's columns changed or a new
    HOTLINE_PII_KEY). ``progress``: see :func:`run_dbt`."""
    from hotline.coverage import preflight
    from hotline.warehouse import connect

    if not Path(warehouse).exists():
        raise BuildError(f"warehouse {warehouse} does not exist: run `hotline load` first")
    con = connect(warehouse)
    try:
        preflight(con, month, as_of)  # a month the exports cannot answer is refused before dbt runs
    finally:
        con.close()
    extra = ([] if unit_tests else NO_UNIT_TESTS) + (["--full-refresh"] if full_refresh else [])
    return run_dbt("build", warehouse, {"month": month, "as_of": as_of}, select=select, extra=extra, progress=progress)
