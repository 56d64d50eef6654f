"""``hotline audit-bulletin``: check a bulletin against its own arithmetic and the warehouse.

A bulletin — typed by hand in the reference's text format, or the project's own ``bulletin.md``,
``bulletin.html`` or ``bulletin.docx`` (also after an editor changed it in Word) — is parsed figure by figure;
every figure that disagrees with its own numerator/denominator or table sums, or with the figures the warehouse
published for the month, is reported. Printed percentages are compared at the precision they are printed with.

The package: :mod:`~hotline.audit.documents` turns a ``.md``/``.html``/``.docx`` file into text,
:mod:`~hotline.audit.parse` reads that text section by section into figures (with the primitives of
:mod:`~hotline.audit.text`), :mod:`~hotline.audit.findings` checks the figures' own arithmetic (the
identities of ``expectations/identities.yml``, which the publication gate checks too); this module compares them
with the warehouse's publication.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hotline.audit.findings import arithmetic_findings
from hotline.audit.parse import office_hotspot_labels, parse_bulletin_file
from hotline.departments import load_aliases
from hotline.rates import round_half_up


@dataclass(frozen=True)
class AuditFinding:
    kind: str  # arithmetic | warehouse | missing
    key: str
    printed: object
    expected: object
    message: str


def _rows(figures: dict[str, Any], table: str, key_field: Callable[[dict[str, Any]], str]) -> dict[str, dict[str, Any]]:
    return {key_field(r): r for r in figures.get(table) or []}


def flatten(figures: dict[str, Any]) -> dict[str, object]:
    """Figures as ``key → value`` with list rows addressed by name (ranks are left out: tied ranks are an
    editorial choice)."""
    flat: dict[str, object] = {}

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        for k, v in node.items():
            if k.startswith("_"):
                continue
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(key + ".", v)
            elif not isinstance(v, list):
                flat[key] = v

    walk(
        "", {k: v for k, v in figures.items() if k in ("contacts", "special_lines", "purpose", "demand", "work_orders")}
    )
    for table, fields in (
        ("departments", ("work_orders", "closed", "closure_rate_pct")),
        ("satisfaction_by_department", ("callbacks", "satisfied", "satisfaction_pct")),
    ):
        for name, row in _rows(figures, table, lambda r: r["name"]).items():
            for f in fields:
                flat[f"{table}[{name}].{f}"] = row.get(f)
    for tid, row in _rows(figures, "overdue_work_orders", lambda r: r["ticket_id"]).items():
        for f in ("due_date", "replied_date"):
            flat[f"overdue_work_orders[{tid}].{f}"] = row.get(f)
        flat[f"overdue_work_orders[{tid}].departments"] = "、".join(row.get("departments") or [])
    for row in figures.get("hotspots") or []:
        label = f"{row['category_l1']}/{row['category_l2']}" if row.get("category_l2") else row["category_l1"]
        flat[f"hotspots[{label}].count"] = row["count"]
        flat[f"hotspots[{label}].mom_change_pct"] = row.get("mom_change_pct")
    for name, row in _rows(figures, "department_performance", lambda r: r["name"]).items():
        for f, v in row.items():
            if f not in ("name", "name_printed"):
                flat[f"department_performance[{name}].{f}"] = v
    return flat


def hotspot_labels(figures: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """The headings the project's bulletin gives the month's hot spots (the office's label from
    ``hotspot_labels.csv``, or the category itself), as ``label -> (一级分类, 二级分类)``."""
    office = {key: label for label, key in office_hotspot_labels().items()}
    labels: dict[str, tuple[str, str | None]] = {}
    for h in figures.get("hotspots") or []:
        key = (h["category_l1"], h.get("category_l2") or None)
        for label in (office.get(key), key[1] or key[0]):
            if label:
                labels.setdefault(label, key)
    return labels


def _same(printed: object, actual: object, places: int | None) -> bool:
    if isinstance(printed, (int, float)) and isinstance(actual, (int, float)) and not isinstance(printed, bool):
        if places is None:
            return Decimal(str(printed)) == Decimal(str(actual))
        return round_half_up(printed, places) == round_half_up(actual, places)
    return printed == actual


def _places(printed_text: str | None) -> int | None:
    if printed_text is None:
        return None
    return len(printed_text.split(".")[1]) if "." in printed_text else 0


def audit_bulletin_file(path: Path, publication_dir: Path | None) -> list[AuditFinding]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no bulletin at {path}")
    figures_file = Path(publication_dir) / "figures.json" if publication_dir else None
    published = (
        json.loads(figures_file.read_text(encoding="utf-8"))
        if figures_file is not None and figures_file.exists()
        else None
    )
    parsed = parse_bulletin_file(path, load_aliases(), hotspot_labels=hotspot_labels(published) if published else None)
    findings = [
        AuditFinding("arithmetic", f.key, f.printed, f.expected, f.message) for f in arithmetic_findings(parsed)
    ]
    if published is None:
        findings.append(
            AuditFinding(
                "missing",
                "figures.json",
                None,
                None,
                f"no publication at {publication_dir}: compared with its own arithmetic only",
            )
        )
        return findings
    printed_text = parsed.get("_printed", {})
    mine, theirs = flatten(published), flatten(parsed)
    # The printed shares are the only percentages the bulletin prints without a figure key of their own.
    for group, src in (
        ("contacts.by_channel_pct", published["contacts"].get("by_channel_pct", {})),
        ("purpose.by_type_pct", published["purpose"].get("by_type_pct", {})),
    ):
        for k, v in src.items():
            mine[f"{group}.{k}"] = v
    for key, printed in sorted(theirs.items()):
        if printed is None or key not in mine:
            continue
        actual = mine[key]
        if not _same(printed, actual, _places(printed_text.get(key))):
            findings.append(
                AuditFinding("warehouse", key, printed, actual, f"the warehouse's published figure is {actual}")
            )
    for key in sorted(set(theirs) - set(mine)):
        if theirs[key] is not None and "[" in key:
            findings.append(AuditFinding("warehouse", key, theirs[key], None, "not in the warehouse's figures"))
    return findings
