"""Write-audit-publish for one month.

1. audit: the gate (``hotline.gate``) validates the month where no reader looks (its inputs, its dbt build, the
   ``marts`` schema); its report is kept in ``publish/.audit/<month>/`` whatever the outcome;
2. write: only if no check with severity ``fail`` failed, the whole release is written into a private staging
   folder;
3. publish: the warehouse's ``published`` schema and the ``publish/<month>`` link are switched in one step
   each; the BI file ``publish/hotline.duckdb`` is swapped by an atomic rename.

A failed month raises ``GateFailed`` before step 2 and leaves every earlier publication untouched.

A published month is immutable. Publishing it again from the same inputs with the same cut-off changes nothing
(the release's content is compared: figures, bulletin text, evidence, marts); a month whose cut-off, inputs
(the export days it depends on, ``hotline.coverage.input_window``) or content changed is refused, unless the
operator restates it (``restate="why"``): the new release is written beside the old one with a restatement
record (every figure old → new, the inputs that changed, and why), which the bulletin shows. Every publication
and restatement is appended to ``publish/.audit/publications.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline import __version__
from hotline.checks import Decisions
from hotline.errors import Refused
from hotline.gate import GateFailed, GateReport, run_gate
from hotline.paths import PROJECT_DIR
from hotline.publish import bulletin, reconciliation
from hotline.publish.docx import render_docx
from hotline.publish.evidence import collect_evidence, evidence_checks, write_evidence
from hotline.publish.figures import MART_TABLES, figures_from_marts
from hotline.publish.pdf import docx_to_pdf
from hotline.publish.release import (
    AUDIT,
    BI_FILE,
    PublishError,
    new_staging_dir,
    published_months,
    recover,
    release_of,
    sha256_file,
    switch,
)
from hotline.publish.xlsx import render_xlsx
from hotline.quality import record_decisions
from hotline.sql import lit

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

__all__ = [
    "publish_month",
    "unpublish_month",
    "PublishResult",
    "PublishError",
    "GateFailed",
    "BI_FILE",
    "touched_publications",
    "recover",
]

RESTATEMENT = "restatement.json"


@dataclass
class PublishResult:
    month: str
    as_of: str
    path: Path
    release_id: str
    report: GateReport
    unchanged: bool = False  # the month was published before with the same content: nothing changed
    restatement: dict[str, Any] | None = None  # what a restatement changed


def code_version() -> str:
    """Package version plus the git commit the code came from, when it runs from a checkout."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if rev.returncode == 0 and rev.stdout.strip():
            return f"{__version__}+g{rev.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


def _write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _inputs(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> list[dict[str, Any]]:
    """The exports in force that the month's figures depend on (``coverage.input_window``)."""
    from hotline.coverage import input_window

    first, last = input_window(month, as_of)
    rows = con.execute(
        """
        select cast(export_date as varchar), file_name, file_sha256, rows_loaded
        from raw.exports where export_date between ? and ? order by export_date""",
        [first, last],
    ).fetchall()
    return [{"export_date": d, "file_name": f, "sha256": s, "rows_loaded": n} for d, f, s, n in rows]


def published_manifest(out_dir: Path, month: str) -> dict[str, Any] | None:
    """The manifest of the month's current publication in ``out_dir``, or None."""
    path = Path(out_dir) / month / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _changed_inputs(
    old: list[dict[str, Any]], new: list[dict[str, Any]], month: str, as_of: str
) -> list[dict[str, Any]]:
    """The export days of the month's input window whose delivery differs (a manifest written before the window
    existed lists every export in force: only the window's days count)."""
    from hotline.coverage import input_window

    first, last = (d.isoformat() for d in input_window(month, as_of))
    before = {i["export_date"]: i["sha256"] for i in old if first <= i["export_date"] <= last}
    after = {i["export_date"]: i["sha256"] for i in new}
    return [
        {"export_date": d, "old_sha256": before.get(d), "new_sha256": after.get(d)}
        for d in sorted(set(before) | set(after))
        if before.get(d) != after.get(d)
    ]


def _changes_text(as_of_old: str, as_of: str, changed: list[dict[str, Any]]) -> str:
    parts = [] if as_of_old == as_of else [f"cut-off {as_of_old} → {as_of}"]
    for c in changed[:5]:
        what = (
            "re-delivered"
            if c["old_sha256"] and c["new_sha256"]
            else "no longer in force"
            if c["old_sha256"]
            else "newly in force"
        )
        parts.append(f"{c['export_date']} {what}")
    if len(changed) > 5:
        parts.append(f"+{len(changed) - 5} more days")
    return ", ".join(parts)


def _restate_hint(month: str) -> str:
    return (
        f"a published month is never changed silently: to publish the new figures, restate it with "
        f'`hotline publish --month {month} --restate --reason "..."` (the old release is kept)'
    )


def write_audit_report(out_dir: Path, report: GateReport, extra: dict[str, Any] | None = None) -> Path:
    d = out_dir / AUDIT / report.month
    d.mkdir(parents=True, exist_ok=True)
    (d / "reconciliation.json").write_text(reconciliation.to_json_text(report, extra), encoding="utf-8")
    (d / "reconciliation.html").write_text(reconciliation.to_html(report, extra), encoding="utf-8")
    return d


def publish_month(
    warehouse: Path,
    month: str,
    as_of: str,
    out_dir: Path,
    narratives_dir: Path | None = None,
    expectations_dir: Path | None = None,
    decisions: Decisions | None = None,
    restate: str | None = None,
    allow_missing_narrative: bool = False,
) -> PublishResult:
    """Validate the built month and publish it (see the module's docstring). ``decisions``: what the operator
    accepted despite a failing check; ``restate``: the reason for replacing a published month's release.
    A month without the editors' narrative (``narratives/<YYYY-MM>.md``) is refused before anything is written,
    unless ``allow_missing_narrative``: then the bulletin says on its first page that its narrative is missing."""
    from hotline.coverage import preflight
    from hotline.warehouse import connect

    out_dir = Path(out_dir)
    narratives_dir = Path(narratives_dir) if narratives_dir else PROJECT_DIR / "narratives"
    if not allow_missing_narrative:
        bulletin.require_narrative(narratives_dir, month)
    out_dir.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    decisions = decisions or Decisions()
    if restate is not None and not restate.strip():
        raise Refused('a restatement needs a reason (--reason "..."): it is printed in the bulletin')
    published = published_manifest(out_dir, month)
    if restate is not None and published is None:
        raise Refused(f"{month} is not published in {out_dir}: nothing to restate (publish it without --restate)")
    con = connect(Path(warehouse))
    try:
        preflight(con, month, as_of)
        inputs = _inputs(con, month, as_of)
        changed = _changed_inputs(published["inputs"], inputs, month, as_of) if published else []
        if published and restate is None and (published["as_of"] != as_of or changed):
            raise Refused(
                f"{month} is published (as of {published['as_of']}, release {_release_of(out_dir, month)}) "
                f"and what it depends on changed since: {_changes_text(published['as_of'], as_of, changed)}; "
                + _restate_hint(month)
            )
        _check_built_for(con, month, as_of)
        collect_evidence(con, month)
        report = run_gate(
            Path(warehouse),
            month,
            as_of,
            publish_dir=out_dir,
            expectations_dir=expectations_dir,
            con=con,
            decisions=decisions,
        )
        figures = figures_from_marts(con, month, as_of) if report.success else None
        if figures is not None:  # every figure must also trace back to its tickets
            report.checks += evidence_checks(con, figures)
        write_audit_report(out_dir, report, {"inputs": inputs})
        if not report.success:
            raise GateFailed(report)
        assert figures is not None  # read whenever the gate passed
        record_decisions(con, month, decisions)

        # a republication keeps the publication's own restatement record: only a change of content counts
        restatement = _published_restatement(out_dir, month) if published else None
        staging = new_staging_dir(out_dir, month)
        try:
            _write_content(con, staging, figures, report, inputs)
            narrative = _write_bulletin(staging, figures, report, narratives_dir, restatement)
            if published is not None:
                differs = _content_changes(staging, out_dir / month)
                if not differs and restate is not None and not changed and published["as_of"] == as_of:
                    raise Refused(
                        f"nothing to restate: {month}'s cut-off, inputs, figures, bulletin and evidence "
                        "are the same as its publication"
                    )
                if not differs and restate is None:
                    shutil.rmtree(staging)
                    return PublishResult(
                        month=month,
                        as_of=as_of,
                        path=out_dir / month,
                        release_id=_release_of(out_dir, month),
                        report=report,
                        unchanged=True,
                    )
                if restate is None:
                    raise Refused(
                        f"{month} is published (release {_release_of(out_dir, month)}) and publishing it "
                        f"again would change {', '.join(differs)} although its inputs did not (a new "
                        f"version of the code or of the narrative?); " + _restate_hint(month)
                    )
            if restate is not None:
                assert published is not None  # refused above otherwise
                restatement = _restatement(out_dir, month, published, figures, as_of, changed, restate)
                narrative = _write_bulletin(staging, figures, report, narratives_dir, restatement)
            release_id = _write_manifest(staging, figures, report, inputs, narrative, restatement)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        con.close()
    link = switch(
        out_dir,
        month,
        staging,
        release_id,
        {
            "action": "restate" if restate is not None else "publish",
            "as_of": as_of,
            "reason": restate,
            "decisions": decisions.to_json(),
        },
    )
    return PublishResult(
        month=month,
        as_of=as_of,
        path=link,
        release_id=release_id,
        report=report,
        restatement=restatement if restate is not None else None,
    )


def unpublish_month(out_dir: Path, month: str, reason: str) -> str:
    """Withdraw a mistaken publication: the month's link goes (its releases stay for the auditors), the BI file
    no longer holds it, and the withdrawal and its reason are logged. Returns the withdrawn release's id."""
    out_dir = Path(out_dir)
    if not reason or not reason.strip():
        raise Refused('withdrawing a publication needs a reason (--reason "..."): it is recorded')
    _recover(out_dir)
    release = release_of(out_dir, month)
    if release is None:
        raise Refused(f"{month} is not published in {out_dir}: nothing to withdraw")
    switch(out_dir, month, None, None, {"action": "unpublish", "withdrawn": release, "reason": reason.strip()})
    return release


def _recover(out_dir: Path) -> None:
    for line in recover(out_dir):
        log.warning("%s: %s", out_dir, line)


def _release_of(out_dir: Path, month: str) -> str:
    return release_of(out_dir, month) or "?"


#: the files that are a publication's content: if none of them changed, publishing again changes nothing
def _is_content(relative: str) -> bool:
    return relative in ("figures.json", "bulletin.md") or relative.endswith(".parquet")


def _content_changes(staging: Path, current: Path) -> list[str]:
    """The content files whose bytes differ between a new release and the current one."""
    new = {str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()}
    old = {str(p.relative_to(current)) for p in current.rglob("*") if p.is_file()}
    names = sorted(n for n in new | old if _is_content(n))
    return [n for n in names if n not in new or n not in old or sha256_file(staging / n) != sha256_file(current / n)]


def _flatten(figures: dict[str, Any]) -> dict[str, object]:
    """Every figure under its dotted key; table rows under their name (departments) or key (hot spots, tickets)."""
    out: dict[str, object] = {}

    def walk(prefix: str, node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(node, list) and node and isinstance(node[0], dict):
            for row in node:
                key = (
                    row.get("name")
                    or row.get("ticket_id")
                    or "/".join(str(row.get(k)) for k in ("category_l1", "category_l2") if row.get(k))
                )
                for k, v in row.items():
                    if k not in ("name", "ticket_id"):
                        walk(f"{prefix}.{key}.{k}", v)
        else:
            out[prefix] = node

    walk("", {k: v for k, v in figures.items() if k not in ("month", "as_of")})
    return out


def _restatement(
    out_dir: Path,
    month: str,
    published: dict[str, Any],
    figures: dict[str, Any],
    as_of: str,
    changed: list[dict[str, Any]],
    reason: str,
) -> dict[str, Any]:
    old_figures = json.loads((out_dir / month / "figures.json").read_text(encoding="utf-8"))
    before, after = _flatten(old_figures), _flatten(figures)
    diffs = [
        {"key": k, "old": before.get(k), "new": after.get(k)}
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]
    return {
        "month": month,
        "reason": reason.strip(),
        "restates": {"release": _release_of(out_dir, month), "as_of": published["as_of"]},
        "as_of": as_of,
        "inputs_changed": changed,
        "figures_changed": diffs,
    }


def _published_restatement(out_dir: Path, month: str) -> dict[str, Any] | None:
    path = out_dir / month / RESTATEMENT
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def touched_publications(out_dir: Path, con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The published months in ``out_dir`` whose inputs (export days) changed in the warehouse since they were
    published: ``[{"month", "as_of", "days": [...]}]`` (a re-delivery after publication)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    _recover(out_dir)
    touched = []
    for month in published_months(out_dir):
        manifest = published_manifest(out_dir, month)
        if not manifest:
            continue
        changed = _changed_inputs(
            manifest["inputs"], _inputs(con, manifest["month"], manifest["as_of"]), manifest["month"], manifest["as_of"]
        )
        if changed:
            touched.append(
                {"month": manifest["month"], "as_of": manifest["as_of"], "days": [c["export_date"] for c in changed]}
            )
    return touched


def _check_built_for(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> None:
    import duckdb

    try:
        row = con.execute("select month, cast(as_of as varchar) from marts.mart_monthly_kpis").fetchone()
    except duckdb.CatalogException:
        raise PublishError(
            "the marts are not built in this warehouse: run `hotline build --month YYYY-MM` first"
        ) from None
    if row is None or row[0] != month or row[1][:16] != as_of[:16]:
        built = f"{row[0]} as of {row[1]}" if row else "nothing"
        raise PublishError(
            f"the marts hold {built}, not {month} as of {as_of}: run `hotline build "
            f'--month {month} --as-of "{as_of[:16]}"` first'
        )


def _write_content(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    figures: dict[str, Any],
    report: GateReport,
    inputs: list[dict[str, Any]],
) -> None:
    """Figures, marts, evidence and the reconciliation report of a release."""
    month, as_of = figures["month"], figures["as_of"]
    _write_json(staging / "figures.json", figures)
    (staging / "marts").mkdir()
    for table in MART_TABLES:
        target = staging / "marts" / f"{table}.parquet"
        con.execute(f"copy (select * from marts.{table} order by all) to {lit(str(target))} (format parquet)")
    write_evidence(con, staging / "evidence.parquet", month, as_of)
    render_xlsx(figures, staging / "tables.xlsx")
    extra = {"inputs": inputs}
    (staging / "reconciliation.json").write_text(reconciliation.to_json_text(report, extra), encoding="utf-8")
    (staging / "reconciliation.html").write_text(reconciliation.to_html(report, extra), encoding="utf-8")


def _write_bulletin(
    staging: Path, figures: dict[str, Any], report: GateReport, narratives_dir: Path, restatement: dict[str, Any] | None
) -> bulletin.Narrative:
    """The bulletin (Markdown, HTML with charts, the Word document in official-document layout and its A4 PDF)
    and, for a restated month, its restatement record: all from one rendering context."""
    month = figures["month"]
    (staging / RESTATEMENT).unlink(missing_ok=True)
    if restatement is not None:
        _write_json(staging / RESTATEMENT, restatement)
    narrative = bulletin.load_narrative(narratives_dir, month)
    ctx = bulletin.context(figures, narrative, quality=bulletin.quality_annex(report, restatement))
    md = bulletin.markdown_from_context(ctx)
    (staging / "bulletin.md").write_text(md, encoding="utf-8")
    (staging / "bulletin.html").write_text(bulletin.render_html(md, month), encoding="utf-8")
    render_docx(ctx, staging / "bulletin.docx")
    docx_to_pdf(staging / "bulletin.docx", staging / "bulletin.pdf", figures["as_of"])
    (staging / "charts").mkdir(exist_ok=True)
    for name, svg in bulletin.render_charts(figures).items():
        (staging / "charts" / name).write_text(svg + "\n", encoding="utf-8")
    return narrative


def _write_manifest(
    staging: Path,
    figures: dict[str, Any],
    report: GateReport,
    inputs: list[dict[str, Any]],
    narrative: bulletin.Narrative,
    restatement: dict[str, Any] | None,
) -> str:
    """The release's manifest (cut-off, inputs, decisions, restatement, every file's sha256); returns the
    release id (the manifest's hash)."""
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = {
        "month": figures["month"],
        "as_of": figures["as_of"],
        "timezone": "Asia/Shanghai",
        "code_version": code_version(),
        "narrative": str(narrative.source.relative_to(PROJECT_DIR))
        if narrative.source and narrative.source.is_relative_to(PROJECT_DIR)
        else (str(narrative.source) if narrative.source else None),
        "gate": {"checks": len(report.checks), "failed": report.failed_count, "warned": len(report.warnings)},
        "decisions": [d.to_json() for d in report.decisions],
        "restatement": None
        if restatement is None
        else {
            "reason": restatement["reason"],
            "restates": restatement["restates"],
            "figures_changed": len(restatement["figures_changed"]),
            "inputs_changed": [c["export_date"] for c in restatement["inputs_changed"]],
        },
        "inputs": inputs,
        "files": {str(p.relative_to(staging)): sha256_file(p) for p in files},
    }
    _write_json(staging / "manifest.json", manifest)
    return hashlib.sha256((staging / "manifest.json").read_bytes()).hexdigest()[:16]
