"""Write-audit-publish for one month.

1. audit: the gate (``hotline.gate``) validates the month's marts where no reader looks (the ``marts`` schema);
   its report is kept in ``publish/.audit/<month>/`` whatever the outcome;
2. write: only if every check passed, the whole release is written into a private staging folder;
3. publish: the warehouse's ``published`` schema and the ``publish/<month>`` link are switched in one step
   each; the BI file ``publish/hotline.duckdb`` is swapped by an atomic rename.

A failed month raises ``GateFailed`` before step 2 and leaves every earlier publication untouched. Publishing the
same month from the same inputs with the same cut-off gives byte-identical files (no wall-clock time, sorted
rows, deterministic charts).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hotline import __version__
from hotline.gate import GateFailed, GateReport, run_gate
from hotline.paths import PROJECT_DIR
from hotline.publish import bulletin, reconciliation
from hotline.publish.evidence import collect_evidence, evidence_checks, write_evidence
from hotline.publish.figures import MART_TABLES, figures_from_marts
from hotline.publish.release import PublishError, new_staging_dir, sha256_file, swap_in

log = logging.getLogger(__name__)

__all__ = ["publish_month", "PublishResult", "PublishError", "GateFailed", "BI_FILE"]

BI_FILE = "hotline.duckdb"
AUDIT = ".audit"


@dataclass
class PublishResult:
    month: str
    as_of: str
    path: Path
    release_id: str
    report: GateReport


def code_version() -> str:
    """Package version plus the git commit the code came from, when it runs from a checkout."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                             text=True, timeout=5)
        if rev.returncode == 0 and rev.stdout.strip():
            return f"{__version__}+g{rev.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


def _write_json(path: Path, doc) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _inputs(con) -> list[dict]:
    """The exports in force in the warehouse: what the publication was computed from."""
    rows = con.execute("""
        select cast(export_date as varchar), file_name, file_sha256, rows_loaded
        from raw.exports order by export_date""").fetchall()
    return [{"export_date": d, "file_name": f, "sha256": s, "rows_loaded": n} for d, f, s, n in rows]


def write_audit_report(out_dir: Path, report: GateReport, extra: dict | None = None) -> Path:
    d = out_dir / AUDIT / report.month
    d.mkdir(parents=True, exist_ok=True)
    (d / "reconciliation.json").write_text(reconciliation.to_json_text(report, extra), encoding="utf-8")
    (d / "reconciliation.html").write_text(reconciliation.to_html(report, extra), encoding="utf-8")
    return d


def publish_month(warehouse: Path, month: str, as_of: str, out_dir: Path, narratives_dir: Path | None = None,
                  expectations_dir: Path | None = None) -> PublishResult:
    from hotline.warehouse import connect

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    narratives_dir = Path(narratives_dir) if narratives_dir else PROJECT_DIR / "narratives"
    con = connect(Path(warehouse))
    try:
        _check_built_for(con, month, as_of)
        inputs = _inputs(con)
        collect_evidence(con, month)
        report = run_gate(Path(warehouse), month, as_of, publish_dir=out_dir, expectations_dir=expectations_dir,
                          con=con)
        figures = figures_from_marts(con, month, as_of) if report.success else None
        if figures is not None:  # every figure must also trace back to its tickets
            report.checks += evidence_checks(con, figures)
        write_audit_report(out_dir, report, {"inputs": inputs})
        if not report.success:
            raise GateFailed(report)

        staging = new_staging_dir(out_dir, month)
        in_tx = False
        try:
            release_id = _write_release(con, staging, figures, report, inputs, narratives_dir)
            con.execute("begin transaction")
            in_tx = True
            _publish_schema(con, month, MART_TABLES)
            link = swap_in(staging, out_dir, month, release_id)
            con.execute("commit")
            in_tx = False
        except BaseException:
            if in_tx:
                con.execute("rollback")
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _write_bi_file(con, out_dir, MART_TABLES)
    finally:
        con.close()
    return PublishResult(month=month, as_of=as_of, path=link, release_id=release_id, report=report)


def _check_built_for(con, month: str, as_of: str) -> None:
    import duckdb

    try:
        row = con.execute("select month, cast(as_of as varchar) from marts.mart_monthly_kpis").fetchone()
    except duckdb.CatalogException:
        raise PublishError("the marts are not built in this warehouse: run `hotline build` first") from None
    if row is None or row[0] != month or row[1][:16] != as_of[:16]:
        built = f"{row[0]} as of {row[1]}" if row else "nothing"
        raise PublishError(f"the marts hold {built}, not {month} as of {as_of}: run `hotline build "
                           f"--month {month} --as-of \"{as_of[:16]}\"` first")


def _write_release(con, staging: Path, figures: dict, report: GateReport, inputs: list[dict],
                   narratives_dir: Path) -> str:
    month, as_of = figures["month"], figures["as_of"]
    _write_json(staging / "figures.json", figures)

    narrative = bulletin.load_narrative(narratives_dir, month)
    md = bulletin.render_markdown(figures, narrative)
    (staging / "bulletin.md").write_text(md, encoding="utf-8")
    (staging / "bulletin.html").write_text(bulletin.render_html(md, month), encoding="utf-8")
    (staging / "charts").mkdir()
    for name, svg in bulletin.render_charts(figures).items():
        (staging / "charts" / name).write_text(svg + "\n", encoding="utf-8")

    (staging / "marts").mkdir()
    for table in MART_TABLES:
        target = staging / "marts" / f"{table}.parquet"
        con.execute(f"copy (select * from marts.{table} order by all) to '{target}' (format parquet)")
    write_evidence(con, staging / "evidence.parquet", month, as_of)

    extra = {"inputs": inputs}
    (staging / "reconciliation.json").write_text(reconciliation.to_json_text(report, extra), encoding="utf-8")
    (staging / "reconciliation.html").write_text(reconciliation.to_html(report, extra), encoding="utf-8")

    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = {
        "month": month,
        "as_of": as_of,
        "timezone": "Asia/Shanghai",
        "code_version": code_version(),
        "narrative": str(narrative.source.relative_to(PROJECT_DIR)) if narrative.source and
        narrative.source.is_relative_to(PROJECT_DIR) else (str(narrative.source) if narrative.source else None),
        "gate": {"checks": len(report.checks), "failed": report.failed_count},
        "inputs": inputs,
        "files": {str(p.relative_to(staging)): sha256_file(p) for p in files},
    }
    _write_json(staging / "manifest.json", manifest)
    return hashlib.sha256((staging / "manifest.json").read_bytes()).hexdigest()[:16]


def _publish_schema(con, month: str, mart_tables: list[str]) -> None:
    """Replace the month in the warehouse's ``published`` schema (inside the caller's transaction)."""
    con.execute("create schema if not exists published")
    for table in mart_tables:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = 'published' "
                             "and table_name = ?", [table]).fetchone()[0]
        if exists:
            con.execute(f"""create or replace table published.{table} as
                select * from published.{table} where month <> ? union all by name select * from marts.{table}""",
                        [month])
        else:
            con.execute(f"create table published.{table} as select * from marts.{table}")


def _write_bi_file(con, out_dir: Path, mart_tables: list[str]) -> None:
    """All published months in one small DuckDB file for BI tools, swapped in by rename so that readers keep
    their snapshot and never block the warehouse. Written in the 1.4 storage format older drivers can open."""
    tmp = out_dir / f".{BI_FILE}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con.execute(f"attach '{tmp}' as bi (storage_version 'v1.4.0')")
    try:
        for table in mart_tables:
            con.execute(f"create table bi.{table} as select * from published.{table} order by all")
    finally:
        con.execute("detach bi")
    os.replace(tmp, out_dir / BI_FILE)
