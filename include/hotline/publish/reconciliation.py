"""The reconciliation report an auditor signs off: every check of the gate with its severity, expected, actual,
status and subject (what a failing or warning check is about), and the operator's decisions."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from hotline.checks import GateReport

STATUS_STYLE = {"pass": "#2e7d32", "fail": "#c62828", "warn": "#e65100", "skipped": "#8d6e00"}


def to_json_text(report: GateReport, extra: dict[str, Any] | None = None) -> str:
    doc = report.to_json()
    if extra:
        doc.update(extra)
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _cell(v: object) -> str:
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    return escape("" if v is None else str(v))


def to_html(report: GateReport, extra: dict[str, Any] | None = None) -> str:
    passed = sum(c.status == "pass" for c in report.checks)
    skipped = sum(c.status == "skipped" for c in report.checks)
    warned = len(report.warnings)
    verdict = "通过 PASSED" if report.success else "未通过 FAILED"
    rows = []
    for i, c in enumerate(report.checks, 1):
        about = c.subject.text(limit=10) if c.subject else ""
        if c.decisions:
            about += f" — accepted: {c.decisions[0].reason}"
        rows.append(
            f"<tr><td>{i}</td><td>{_cell(c.suite)}</td><td>{_cell(c.name)}</td><td>{_cell(c.description)}</td>"
            f"<td>{_cell(c.severity)}</td><td>{_cell(c.expected)}</td><td>{_cell(c.actual)}</td>"
            f'<td style="color:{STATUS_STYLE.get(c.status, "#000")};font-weight:bold">{c.status}</td>'
            f"<td>{_cell(about)}</td></tr>"
        )
    decisions = ""
    if report.decisions:
        decisions = (
            "<h2>经办人决定 Operator decisions</h2><ul>"
            + "".join(f"<li>{_cell(d.kind)} {_cell(d.value)}: {_cell(d.reason)}</li>" for d in report.decisions)
            + "</ul>"
        )
    inputs = ""
    if extra and extra.get("inputs"):
        inputs = (
            "<h2>输入数据 Inputs</h2><table><tr><th>export</th><th>rows</th><th>sha256</th></tr>"
            + "".join(
                f"<tr><td>{_cell(i.get('file_name'))}</td><td>{_cell(i.get('rows_loaded'))}</td>"
                f"<td><code>{_cell(i.get('sha256'))}</code></td></tr>"
                for i in extra["inputs"]
            )
            + "</table>"
        )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>对账报告 {escape(report.month)}</title>
<style>body{{font-family:sans-serif;margin:2em;}} table{{border-collapse:collapse;font-size:13px;}}
th,td{{border:1px solid #bbb;padding:3px 6px;vertical-align:top;}} th{{background:#eee;}}</style></head><body>
<h1>12345 热线月通报对账报告 Reconciliation report — {escape(report.month)}</h1>
<p>截至 as of <b>{escape(report.as_of)}</b> (Asia/Shanghai). 结论 Verdict: <b>{verdict}</b> —
{passed} passed, {report.failed_count} failed, {warned} warnings, {skipped} skipped of {len(report.checks)} checks.</p>
{decisions}
<table><tr><th>#</th><th>suite</th><th>check</th><th>description</th><th>severity</th><th>expected</th><th>actual</th><th>status</th><th>subject</th></tr>
{"".join(rows)}
</table>
{inputs}
</body></html>
"""
