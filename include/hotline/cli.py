"""The `hotline` command line: the same functions the Airflow DAGs call.

User mistakes (a missing folder, a bad month, a busy warehouse, a failed check, a missing or bad option) end with
one line on stderr starting with "error:" and the exit status of :data:`EXIT_STATUS`, never a traceback.
"""

from __future__ import annotations

import logging
import math
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column
from typer.core import TyperGroup

from hotline import paths
from hotline.errors import HotlineError

if TYPE_CHECKING:
    from hotline.checks import Decisions, GateReport
    from hotline.generate import GenerateSummary
    from hotline.load import LoadReport
    from hotline.publish import PublishResult

#: the exit statuses of every command (README.md's CLI section has the same table)
EXIT_STATUS = {
    0: "ok",
    1: "checks failed, a build failed, the request was refused (a month the exports cannot answer, a month that "
    "is not built or not published), or load/nightly/run rejected an export (the others are loaded)",
    2: "usage error: a missing or bad option (month, day, cut-off, number), a missing folder or file, an unknown "
    "figure key, a decision without --reason",
    3: "internal error (a bug: please report it; `hotline -v …` also prints the traceback)",
    130: "interrupted",
}
out = Console()
err = Console(stderr=True)


def _error_line(message: str) -> None:
    """One line on stderr: ``error: …`` (a message's line breaks become spaces)."""
    text = " ".join(str(message).splitlines()) or "unknown error"
    err.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True, emoji=False)


class HotlineGroup(TyperGroup):
    """The ``hotline`` command group: click's own usage errors (a missing --month, an unknown option, a value
    that is not a number) and unexpected exceptions end with one ``error:`` line and :data:`EXIT_STATUS` too."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = rv if isinstance(rv, int) else 0  # typer.Exit(n) and --help return their status
        except typer.TyperException as e:  # click's ClickException, UsageError, BadParameter, …
            code = e.exit_code if isinstance(getattr(e, "exit_code", None), int) else 2
            if type(e).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
                ctx = getattr(e, "ctx", None)
                hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
                _error_line(e.format_message() + hint)
        except typer.Abort:
            err.print("interrupted")
            code = 130
        except Exception as e:  # noqa: BLE001 - a bug: one line (the traceback with -v), never a bare traceback
            if logging.getLogger().isEnabledFor(logging.INFO):
                traceback.print_exc()
            _error_line(
                f"unexpected {type(e).__name__}: {e} — this is a bug, please report it "
                "(`hotline -v …` prints the traceback)"
            )
            code = 3
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=HotlineGroup,
    help="12345 hotline warehouse: generate → load → build → validate → publish.",
    epilog="Exit status: " + "; ".join(f"{k} {v}" for k, v in EXIT_STATUS.items()) + ".",
)

DumpsOpt = typer.Option(None, "--dumps", help="Folder of daily exports (default data/dumps or $HOTLINE_DUMPS).")
WarehouseOpt = typer.Option(
    None, "--warehouse", help="DuckDB file (default data/warehouse.duckdb or $HOTLINE_WAREHOUSE)."
)
OutOpt = typer.Option(None, "--out", help="Publication folder (default publish/ or $HOTLINE_PUBLISH).")


def _month_value(value: str | None) -> str | None:
    """--month: a month of the calendar (0001-01 … 9999-11: its successor must exist too), ASCII digits."""
    if value is None:
        return value
    from hotline.periods import BadPeriod, month_bounds

    try:
        if not value.isascii():
            raise ValueError
        month_bounds(value)
    except BadPeriod as e:
        raise typer.BadParameter(str(e)) from None
    except ValueError:
        raise typer.BadParameter(f"month must look like 2024-11, got {value!r}") from None
    return value


MonthOpt = typer.Option(
    ...,
    "--month",
    metavar="YYYY-MM",
    help="Month to report, YYYY-MM (required).",
    show_default=False,
    callback=_month_value,
)
AsOfOpt = typer.Option(
    None, "--as-of", help='Cut-off "YYYY-MM-DD HH:MM" Asia/Shanghai (default: the 12th of the next month, 10:00).'
)
AcceptDayOpt = typer.Option(
    None,
    "--accept-missing-day",
    metavar="YYYY-MM-DD",
    help="Publish although this export day is missing (repeatable; needs --reason; recorded "
    "in the manifest, the report and the bulletin).",
)
AcceptDepartmentOpt = typer.Option(
    None,
    "--accept-unknown-department",
    metavar="NAME",
    help="Publish although this lead department is not in the directory (repeatable; needs --reason; recorded).",
)
ReasonOpt = typer.Option(None, "--reason", help="Why: required with --accept-* and --restate; printed in the bulletin.")
AllowMissingNarrativeOpt = typer.Option(
    False,
    "--allow-missing-narrative",
    help="Publish a month without its narrative (narratives/YYYY-MM.md): the "
    "bulletin then carries the figures only, with a warning on its first page (default: refused).",
)


def _decisions(days: list[str] | None, departments: list[str] | None, reason: str | None) -> Decisions:
    from hotline.checks import Decisions
    from hotline.periods import parse_day

    return Decisions(
        missing_days=tuple(sorted({parse_day(d) for d in days or []})),
        unknown_departments=tuple(sorted(set(departments or []))),
        reason=(reason or "").strip(),
    )


class UserError(HotlineError):
    """An error a command finds itself (a bad option value, a missing file, rejected exports): one line, exit
    status ``code`` (default 2)."""


def _exit_status(e: Exception) -> int | None:
    """The exit status of an error the user (or their data) must act on; None for a bug."""
    if isinstance(e, HotlineError):
        return e.code
    import duckdb

    # not ours to derive from HotlineError: a path that is a file instead of a folder or the reverse, no
    # permission, a full disk (OSError); a warehouse path that is a folder or not a DuckDB file (IOException)
    if isinstance(e, (OSError, duckdb.IOException)):
        return 2
    return None


@contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    except Exception as e:  # noqa: BLE001 - anything else (a bug, typer's own exits) propagates as it is
        code = _exit_status(e)
        if code is None:
            raise
        _error_line(str(e))
        raise typer.Exit(code) from None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@contextmanager
def _dbt_progress(description: str) -> Iterator[Callable[[int, int, str, str], None]]:
    """A dbt build's progress, node by node (models, seeds, tests), on stderr: a bar on a terminal and, with -v,
    one plain line per finished node; never dbt's own log lines. Yields the ``progress`` callback of
    ``hotline.build.run_dbt``."""
    verbose = logging.getLogger().isEnabledFor(logging.INFO)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[node]}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
        console=err,
        transient=True,
        disable=not err.is_terminal,
        expand=True,
    )
    with bar:
        task = bar.add_task(description, total=None, node="parsing the project")

        def progress(done: int, total: int, node: str, status: str) -> None:
            bar.update(task, completed=done, total=total, node=f"{status} {node}")
            if verbose:
                err.print(f"{done}/{total} {status} {node}", markup=False, highlight=False, soft_wrap=True, emoji=False)

        yield progress


def _fail_if_rejected(report: LoadReport, then: str) -> None:
    """Exit status 1 (after everything else ran) when the load rejected an export: one line naming them."""
    rejected = [f.file_name for f in report.files if f.status == "rejected"]
    if rejected:
        more = f" (+{len(rejected) - 5} more)" if len(rejected) > 5 else ""
        raise UserError(
            f"{len(rejected)} of {len(report.files)} exports rejected ({', '.join(rejected[:5])}{more}); {then}", code=1
        )


def _dumps(d: Path | None) -> Path:
    return d or paths.default_dumps_dir()


def _warehouse(w: Path | None) -> Path:
    return w or paths.default_warehouse()


def _out(o: Path | None) -> Path:
    """The publication folder; an interrupted publication there is completed or rolled back first (every
    command that reads or changes the folder resolves it here, before doing anything else)."""
    folder = o or paths.default_publish_dir()
    if folder.is_dir():
        from hotline.publish.release import recover

        for line in recover(folder):
            err.print(f"[yellow]recovered[/] {escape(str(folder))}: {escape(line)}", highlight=False)
    return folder


def _version(value: bool) -> None:
    if value:
        from hotline.publish import code_version

        out.print(f"hotline {code_version()}", highlight=False)
        raise typer.Exit


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details (a line per dbt node)."),
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_version, help="Print the version (and git commit) and exit."
    ),
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # also when a host process configured logging before (basicConfig is then a no-op)
    logging.getLogger().setLevel(level)


#: generate --scale's upper bound (a megacity is about 430; the bound keeps a typo from filling the disk for hours)
MAX_SCALE = 10_000


@app.command()
def generate(
    dumps: Path | None = DumpsOpt,
    spec: Path | None = typer.Option(None, "--spec", help="Target specification YAML (default: Golmud, 2024-11)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (default: the spec's)."),
    scale: float | None = typer.Option(
        None, "--scale", help="Volume multiplier (about 430 gives a megacity's 60,000 contacts a day)."
    ),
    fault: list[str] | None = typer.Option(
        None,
        "--fault",
        metavar="NAME[=VALUE]",
        help="Reproduce a reported defect on the written exports (repeatable, applied in order): missing-day=DAY, "
        "padded-enums=N, future-updated=N, future-received=N, inverted-timestamps=N, late-redelivery=DAY, "
        "no-department=N, stray-spaces=P.",
    ),
) -> None:
    """Write calibrated synthetic daily exports (csv + manifest.json) into --dumps."""
    with friendly_errors():
        from hotline.generate import DEFAULT_SPEC
        from hotline.generate import generate as gen
        from hotline.generate.faults import parse_fault

        if scale is not None and not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
            raise UserError(
                f"--scale must be a number above 0 and at most {MAX_SCALE} (about 430 gives a megacity), got {scale}"
            )
        target = _dumps(dumps)
        faults = [parse_fault(f) for f in fault or []]
        with _progress() as bar:
            task = bar.add_task("generating exports", total=None)
            summary = gen(
                spec_path=spec or DEFAULT_SPEC,
                out_dir=target,
                seed=seed,
                scale=scale,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                faults=faults,
            )
        out.print(f"wrote {_summary_text(summary)} to {target}")
        for r in getattr(summary, "faults", ()) or ():
            counts = ", ".join(
                f"{n} {what}{'' if n == 1 else 's'}"
                for n, what in ((len(r.ticket_ids), "ticket"), (len(r.days), "day"), (len(r.rows), "row"))
            )
            out.print(f"fault {r.kind}: {r.detail} ({counts})", markup=False, highlight=False, soft_wrap=True)


def _summary_text(summary: GenerateSummary | dict[str, Any]) -> str:
    get = summary.get if isinstance(summary, dict) else (lambda k, d=None: getattr(summary, k, d))
    text = f"{get('days')} daily exports, {get('rows')} rows, {get('tickets')} tickets"
    faults = get("faults") or ()
    if faults:
        text += f", {len(faults)} fault{'s' if len(faults) != 1 else ''} applied"
    return text


@app.command()
def load(dumps: Path | None = DumpsOpt, warehouse: Path | None = WarehouseOpt, out_dir: Path | None = OutOpt) -> None:
    """Load every new or re-delivered export from --dumps into the warehouse's raw layer (and warn when a
    re-delivery touches a month published in --out). Exit status 1 when an export was rejected (the others are
    loaded)."""
    with friendly_errors():
        report = _load(_dumps(dumps), _warehouse(warehouse), _out(out_dir))
        _fail_if_rejected(report, "the others are loaded: fix and deliver the rejected ones again")


def _warn_touched(warehouse: Path, out_dir: Path) -> None:
    """A re-delivery changed the inputs of a published month: say so (the month stays as published)."""
    from hotline.publish import touched_publications
    from hotline.warehouse import connect

    con = connect(warehouse)
    try:
        touched = touched_publications(out_dir, con)
    finally:
        con.close()
    for t in touched:
        err.print(
            f"[yellow]warning:[/] a re-delivery changed {len(t['days'])} export day(s) that the published "
            f"{t['month']} depends on ({', '.join(t['days'][:5])}); the publication is unchanged: restate it "
            f'with `hotline publish --month {t["month"]} --restate --reason "..."`',
            highlight=False,
        )


def _load(dumps: Path, warehouse: Path, out_dir: Path | None = None) -> LoadReport:
    from hotline.load import load_folder

    with _progress() as bar:
        task = bar.add_task("loading exports", total=None)
        report = load_folder(
            dumps,
            warehouse,
            progress=lambda done, total, name: bar.update(
                task, completed=done, total=total, description=f"loading {name}"
            ),
        )
    counts: dict[str, int] = {}
    for f in report.files:
        counts[f.status] = counts.get(f.status, 0) + 1
        if f.status == "rejected":
            err.print(f"[yellow]rejected[/] {escape(f.file_name)}: {escape(f.message)}", highlight=False)
    rows = sum(f.rows_loaded for f in report.files)
    quarantined = sum(f.rows_quarantined for f in report.files)
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    out.print(f"{len(report.files)} exports ({parts}); {rows} rows loaded, {quarantined} quarantined → {warehouse}")
    # a re-delivery, or a late day (one accepted as missing, say), may touch a published month
    if out_dir is not None and (report.by_status("replaced") or report.by_status("loaded")):
        _warn_touched(warehouse, out_dir)
    return report


@app.command()
def build(
    warehouse: Path | None = WarehouseOpt,
    month: str = MonthOpt,
    as_of: str | None = AsOfOpt,
    full_refresh: bool = typer.Option(
        False,
        "--full-refresh",
        help="Rebuild the incremental models from raw (after an upgrade that "
        "changed a model's columns, a new HOTLINE_PII_KEY or new "
        "department seeds).",
    ),
    unit_tests: bool = typer.Option(
        False,
        "--unit-tests",
        help="Also run dbt's unit tests (the models' SQL on fixed inputs; `make test` runs them).",
    ),
) -> None:
    """Build staging, facts and the month's marts with dbt (models and their data tests)."""
    with friendly_errors():
        _build(_warehouse(warehouse), month, as_of, full_refresh=full_refresh, unit_tests=unit_tests)


def _build(
    warehouse: Path, month: str, as_of: str | None, full_refresh: bool = False, unit_tests: bool = False
) -> tuple[str, str]:
    from hotline.build import build_month
    from hotline.periods import resolve

    month, cutoff = resolve(month, as_of)
    if not warehouse.exists():
        raise UserError(f"warehouse {warehouse} does not exist: run `hotline load` first")
    with _dbt_progress(f"building {month}") as progress:
        result = build_month(
            warehouse, month, cutoff, full_refresh=full_refresh, unit_tests=unit_tests, progress=progress
        )
    ok = sum(1 for r in result.results if r["status"] in ("success", "pass"))
    out.print(f"built {month} as of {cutoff}: {ok} models/tests passed, {len(result.results) - ok} other")
    return month, cutoff


@app.command()
def nightly(
    dumps: Path | None = DumpsOpt,
    warehouse: Path | None = WarehouseOpt,
    out_dir: Path | None = OutOpt,
    day: str | None = typer.Option(
        None,
        "--day",
        help="Export day YYYY-MM-DD that must be in force after loading (default: the newest export day in force).",
    ),
) -> None:
    """The nightly increment (what the hotline_nightly DAG does): load every new or re-delivered export, then
    add their ticket versions to the history (staging and int_ticket_versions, with their data tests; the facts
    and marts as of a cut-off are the month's build). Exit status 1 at the end when an export was rejected (the
    others are loaded and built)."""
    with friendly_errors():
        from hotline.build import build_nightly
        from hotline.periods import parse_day

        w = _warehouse(warehouse)
        wanted = parse_day(day) if day is not None else None  # an empty --day is a mistake, not the default
        report = _load(_dumps(dumps), w, _out(out_dir))
        in_force = _export_days_in_force(w)
        if not in_force:
            raise UserError(f"no export is in force in {w}: nothing to build")
        if wanted is not None and wanted not in in_force:
            raise UserError(
                f"the export of {wanted} is not in force in {w} (newest: {in_force[-1]}): deliver it "
                "or pass another --day"
            )
        d = wanted or in_force[-1]
        with _dbt_progress(f"building to {d}") as progress:
            result = build_nightly(w, d, progress=progress)
        ok = sum(1 for r in result.results if r["status"] in ("success", "pass"))
        out.print(f"built the ticket history through {d}: {ok} models/tests passed, {len(result.results) - ok} other")
        _fail_if_rejected(report, "the others are loaded and built")


def _export_days_in_force(warehouse: Path) -> list[str]:
    from hotline.coverage import export_days_in_force
    from hotline.warehouse import connect

    con = connect(warehouse)
    try:
        return [d.isoformat() for d in export_days_in_force(con)]
    finally:
        con.close()


@app.command()
def validate(
    warehouse: Path | None = WarehouseOpt,
    month: str = MonthOpt,
    as_of: str | None = AsOfOpt,
    out_dir: Path | None = OutOpt,
    accept_missing_day: list[str] | None = AcceptDayOpt,
    accept_unknown_department: list[str] | None = AcceptDepartmentOpt,
    reason: str | None = ReasonOpt,
) -> None:
    """Run the publication gate on the built month (no publication): every check with its severity, status and
    subject. A month whose marts are not built (for this cut-off) is refused in one line."""
    with friendly_errors():
        from hotline.gate import run_gate
        from hotline.periods import resolve
        from hotline.publish import _check_built_for
        from hotline.warehouse import connect

        month, cutoff = resolve(month, as_of)
        decisions = _decisions(accept_missing_day, accept_unknown_department, reason)
        con = connect(_warehouse(warehouse), read_only=True)
        try:
            _check_built_for(con, month, cutoff)  # the same refusal as `hotline publish`
            report = run_gate(
                _warehouse(warehouse), month, cutoff, publish_dir=_out(out_dir), decisions=decisions, con=con
            )
        finally:
            con.close()
        _print_gate(report)
        if not report.success:
            raise UserError(f"{report.failed_count} of {len(report.checks)} checks failed for {month}", code=1)


def _print_gate(report: GateReport) -> None:
    out.print(
        f"gate: {len(report.checks) - report.failed_count - len(report.warnings)} of {len(report.checks)} "
        f"checks passed, {len(report.warnings)} warnings, {report.failed_count} failed"
    )
    for c in report.warnings:
        err.print(f"[yellow]WARN[/] {escape(c.line())}", highlight=False, soft_wrap=True)
    for c in report.failed:
        err.print(f"[red]FAIL[/] {escape(c.line())}", highlight=False, soft_wrap=True)


@app.command()
def publish(
    warehouse: Path | None = WarehouseOpt,
    month: str = MonthOpt,
    as_of: str | None = AsOfOpt,
    out_dir: Path | None = OutOpt,
    dumps: Path | None = DumpsOpt,
    accept_missing_day: list[str] | None = AcceptDayOpt,
    accept_unknown_department: list[str] | None = AcceptDepartmentOpt,
    restate: bool = typer.Option(
        False,
        "--restate",
        help="Replace a published month's release (its inputs "
        "or figures changed) with a new one; the old one is kept and every figure "
        "old → new is published with --reason.",
    ),
    reason: str | None = ReasonOpt,
    allow_missing_narrative: bool = AllowMissingNarrativeOpt,
) -> None:
    """Validate the built month in an audit area and, only if no check fails, publish it atomically. A published
    month is immutable: publishing it again changes nothing, unless it is restated (--restate --reason)."""
    with friendly_errors():
        decisions = _decisions(accept_missing_day, accept_unknown_department, reason)
        _publish(
            _warehouse(warehouse),
            month,
            as_of,
            _out(out_dir),
            decisions,
            (reason or "") if restate else None,
            allow_missing_narrative=allow_missing_narrative,
        )


def _publish(
    warehouse: Path,
    month: str,
    as_of: str | None,
    out_dir: Path,
    decisions: Decisions | None = None,
    restate: str | None = None,
    allow_missing_narrative: bool = False,
) -> PublishResult:
    from hotline.gate import GateFailed
    from hotline.periods import resolve
    from hotline.publish import publish_month

    month, cutoff = resolve(month, as_of)
    try:
        with err.status(f"validating and publishing {month}"):
            result = publish_month(
                warehouse,
                month,
                cutoff,
                out_dir,
                decisions=decisions,
                restate=restate,
                allow_missing_narrative=allow_missing_narrative,
            )
    except GateFailed as e:
        _print_gate(e.report)
        raise
    for c in result.report.warnings:
        err.print(f"[yellow]WARN[/] {escape(c.line())}", highlight=False, soft_wrap=True)
    if result.unchanged:
        out.print(
            f"{month} as of {cutoff} is already published with the same content (release "
            f"{result.release_id}): nothing changed → {result.path}"
        )
    elif result.restatement is not None:
        n = len(result.restatement["figures_changed"])
        out.print(
            f"restated {month} as of {cutoff}: {n} figures changed (release {result.release_id} replaces "
            f"{result.restatement['restates']['release']}) → {result.path}"
        )
    else:
        out.print(f"published {month} as of {cutoff} → {result.path}")
    return result


@app.command()
def run(
    dumps: Path | None = DumpsOpt,
    warehouse: Path | None = WarehouseOpt,
    month: str = MonthOpt,
    as_of: str | None = AsOfOpt,
    out_dir: Path | None = OutOpt,
    accept_missing_day: list[str] | None = AcceptDayOpt,
    accept_unknown_department: list[str] | None = AcceptDepartmentOpt,
    reason: str | None = ReasonOpt,
    allow_missing_narrative: bool = AllowMissingNarrativeOpt,
) -> None:
    """load → build → validate → publish in one go. Exit status 1 at the end when an export was rejected (the
    others are loaded, and the month is built and published without it)."""
    with friendly_errors():
        from hotline.periods import resolve

        resolved, _ = resolve(month, as_of)  # a bad --month or --as-of is refused before anything is loaded
        if not allow_missing_narrative:  # and so is a month without its narrative
            from hotline.publish.bulletin import require_narrative

            require_narrative(None, resolved)
        decisions = _decisions(accept_missing_day, accept_unknown_department, reason)
        w, o = _warehouse(warehouse), _out(out_dir)
        report = _load(_dumps(dumps), w, o)
        m, cutoff = _build(w, month, as_of)
        _publish(w, m, cutoff, o, decisions, allow_missing_narrative=allow_missing_narrative)
        _fail_if_rejected(report, "the others are loaded, and the month is built and published without them")


@app.command()
def explain(
    figure_key: str = typer.Argument(
        ..., help="Figure key, e.g. work_orders.closure_rate_pct or departments.市公安局.closed"
    ),
    month: str = MonthOpt,
    out_dir: Path | None = OutOpt,
    limit: int = typer.Option(20, "--limit", min=0, help="Ticket ids to print per role (0 = all)."),
) -> None:
    """Print the ticket ids behind a published figure's numerator and denominator. An unknown figure key is a
    usage error (exit 2, with the keys close to it); a month that is not published is refused (exit 1)."""
    with friendly_errors():
        from hotline.periods import parse_month
        from hotline.publish.evidence import explain as explain_figure

        result = explain_figure(_out(out_dir) / parse_month(month), figure_key)
        out.print(f"{figure_key} = {result.value}", highlight=False)
        for role, ids in result.roles.items():
            shown = ids if limit == 0 else ids[:limit]
            more = f" … (+{len(ids) - len(shown)} more)" if len(ids) > len(shown) else ""
            out.print(f"  {role}: {len(ids)} tickets", highlight=False)
            out.print("    " + " ".join(shown) + more, highlight=False, soft_wrap=True)


@app.command("audit-bulletin")
def audit_bulletin(
    file: Path = typer.Argument(
        ...,
        help="A bulletin: .md/.txt in the reference's text format or "
        "the project's bulletin.md, bulletin.html or bulletin.docx.",
    ),
    month: str = MonthOpt,
    out_dir: Path | None = OutOpt,
) -> None:
    """List every figure of a bulletin (hand-made, or the project's own in Markdown, HTML or Word, also after an
    editor changed it) that disagrees with its own arithmetic or with the warehouse's published figures for the
    month."""
    with friendly_errors():
        from hotline.audit import audit_bulletin_file
        from hotline.periods import parse_month

        publication = _out(out_dir) / parse_month(month)
        if file.is_dir():
            raise UserError(f"{file} is a folder, not a bulletin file")
        try:
            findings = audit_bulletin_file(file, publication)
        except UnicodeDecodeError as e:
            raise UserError(f"{file} is not UTF-8 text ({e.reason} at byte {e.start})") from None
        for f in findings:
            out.print(
                f"[{f.kind}] {f.key}: printed {f.printed}, expected {f.expected} — {f.message}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        out.print(f"{len(findings)} findings in {file}", markup=False, highlight=False, soft_wrap=True)
        if findings:
            raise typer.Exit(1)


@app.command()
def calendar(
    write_seed: bool = typer.Option(
        False,
        "--write-seed",
        help="Regenerate the calendar seed from the installed chinesecalendar (after upgrading it).",
    ),
) -> None:
    """The working-day calendar (statutory holidays and make-up days from chinesecalendar, plus the local
    overrides in dbt_project/seeds/calendar_overrides.csv): what it covers; exit 1 when its seed is out of date
    with the installed chinesecalendar."""
    with friendly_errors():
        from hotline import workdays
        from hotline.paths import SEEDS_DIR

        target = SEEDS_DIR / workdays.BASE_SEED
        years = workdays.package_years()
        if write_seed:
            workdays.write_seed(target)
            out.print(f"wrote {target} (chinesecalendar {years.start}–{years.stop - 1})")
            return
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != workdays.seed_text():
            err.print(
                f"{target} is out of date with the installed chinesecalendar ({years.start}–{years.stop - 1}): "
                "run `hotline calendar --write-seed`",
                highlight=False,
            )
            raise typer.Exit(1)
        cal = workdays.calendar()
        ranges = ", ".join(f"{a} … {b}" for a, b in cal.covered_ranges())
        out.print(f"the working-day calendar covers {ranges}; {target.name} is up to date", highlight=False)


@app.command()
def unpublish(
    month: str = typer.Option(
        ...,
        "--month",
        metavar="YYYY-MM",
        callback=_month_value,
        show_default=False,
        help="The published month to withdraw, YYYY-MM.",
    ),
    out_dir: Path | None = OutOpt,
    reason: str | None = typer.Option(None, "--reason", help="Why (required; recorded)."),
) -> None:
    """Withdraw a mistaken publication: the month's link goes (its releases stay for the auditors), the BI file
    no longer holds it, and the withdrawal is logged with its reason."""
    with friendly_errors():
        from hotline.periods import parse_month
        from hotline.publish import unpublish_month

        m, o = parse_month(month), _out(out_dir)
        release = unpublish_month(o, m, reason or "")
        out.print(f"withdrew {m} (release {release}) from {o}; its release stays in {o / '.releases' / m}")


@app.command()
def rekey(warehouse: Path | None = WarehouseOpt) -> None:
    """Rotate the phone pseudonymization key: every pseudonym of the raw layer is recomputed with the new key
    (HOTLINE_PII_KEY), given the current one (HOTLINE_PII_KEY_OLD). Then run
    `hotline build --month YYYY-MM --full-refresh`."""
    with friendly_errors():
        from hotline import secrets
        from hotline.load.pseudonyms import rekey as rekey_raw

        w = _warehouse(warehouse)
        n = rekey_raw(w, secrets.pii_key(secrets.OLD_KEY_ENV), secrets.pii_key())
        out.print(
            f"re-pseudonymized {n} rows of {w} with the new key; now run `hotline build --month YYYY-MM "
            "--full-refresh` (and keep only the new key)"
        )


def entrypoint() -> None:  # pragma: no cover - console script
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
