"""The findings of a bulletin against its own arithmetic: every printed figure that disagrees with the figures
it is computed from.

The arithmetic is the bulletin's identities (``expectations/identities.yml``, :mod:`hotline.identities`), the
same the publication gate checks on the published figures; here every identity with an ``audit`` block is
judged on the figures as printed, a rate at the number of decimals it is printed with. Two checks of the printed
document are not arithmetic between figures and stay here: an overdue row must have been late, and a hot spot
must fit in its printed category.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hotline.audit.text import decimals
from hotline.identities import (
    MISSING,
    Group,
    Identity,
    Instance,
    absent,
    instances,
    load_identities,
    out_of_order,
    row_label,
)


@dataclass(frozen=True)
class Finding:
    key: str
    printed: object
    expected: object
    message: str


def arithmetic_findings(parsed: dict[str, Any], identities: list[Identity | Group] | None = None) -> list[Finding]:
    """Every printed figure that disagrees with the bulletin's own arithmetic.

    Rates are recomputed from their printed numerator and denominator, half-up, at the number of decimals
    they are printed with (``0.6%`` for 26/4151 is right, ``25.21%`` for 1046/4151 is not: 25.20).
    ``identities``: default ``expectations/identities.yml``.
    """
    printed = parsed.get("_printed", {})
    findings: list[Finding] = []
    skipped = None  # a row whose table entry is not in the text: its other checks say nothing more
    for inst in instances(parsed, load_identities() if identities is None else identities):
        if inst.identity.audit is None or inst.binding is skipped:
            continue
        found = _JUDGE[inst.identity.relation](inst, printed)
        if found and inst.identity.relation == "same" and inst.get(inst.identity.equals) is MISSING:
            skipped = inst.binding
        findings += found
    return findings + _overdue_rows_not_late(parsed) + _hotspots_beyond_category(parsed)


def _sum(inst: Instance, printed: Mapping[str, str]) -> list[Finding]:
    """sum, count: the figure and the total of its terms (or rows), as printed on the side ``audit`` says."""
    audit = _audit(inst)
    figure, total = inst.value, inst.terms_total()
    shown, expected = (total, figure) if audit.get("printed") == "terms" else (figure, total)
    if absent(shown) or absent(expected) or shown == expected:
        return []
    text = audit["message"].format(**{**inst.fields(), "figure": figure, "terms": total, "count": total})
    return [Finding(inst.key(audit.get("key")), shown, expected, text)]


def _same(inst: Instance, printed: Mapping[str, str]) -> list[Finding]:
    audit, figure, other = _audit(inst), inst.value, inst.get(inst.identity.equals)
    if absent(figure):
        return []
    if other is MISSING and audit.get("missing"):
        return [Finding(inst.key(audit.get("key")), figure, None, audit["missing"].format(**inst.fields()))]
    if absent(other) or figure == other:
        return []
    text = audit["message"].format(**{**inst.fields(), "figure": figure, "equals": other})
    return [Finding(inst.key(audit.get("key")), figure, other, text)]


def _rate(inst: Instance, printed: Mapping[str, str]) -> list[Finding]:
    """A printed rate against its printed numerator and denominator, at the decimals it is printed with."""
    value, (num, den) = inst.value, inst.operands()
    if absent(value) or absent(num):
        return []
    den = 0 if absent(den) else den  # a table without its 合计 row: the share has nothing to be a share of
    key = inst.key(_audit(inst).get("key"))
    text = printed.get(key)
    places = decimals(text) if text is not None else 2
    shown = Decimal(text) if text is not None else Decimal(str(value))
    expected = inst.expected_rate(places)
    what = _what(inst)
    if expected is None:
        return [] if shown == 0 else [Finding(key, float(shown), None, f"{what}: {num}/{den} has no rate")]
    if shown != expected:
        return [
            Finding(key, float(shown), float(expected), f"{what}: {num}/{den} = {expected}%, printed {text or value}%")
        ]
    return []


def _change(inst: Instance, printed: Mapping[str, str]) -> list[Finding]:
    """A month-over-month change, when the bulletin prints the previous month's figure."""
    value, (current, previous) = inst.value, inst.operands()
    if absent(value) or absent(current) or absent(previous) or not previous:
        return []
    key = inst.key(_audit(inst).get("key"))
    text = printed.get(key)
    expected = inst.expected_rate(decimals(text) if text is not None else 2)
    if expected is None or Decimal(str(value)) == expected:
        return []
    return [Finding(key, value, float(expected), f"{_what(inst)}: {expected}%, printed {value}%")]


def _position(inst: Instance, printed: Mapping[str, str]) -> list[Finding]:
    value, position = inst.value, inst.binding.position
    if value is MISSING or value == position:
        return []
    return [
        Finding(inst.key(_audit(inst).get("key")), value, position, f"{_what(inst)} row {position} is numbered {value}")
    ]


def _descending(inst: Instance, printed: Mapping[str, str]) -> list[Finding]:
    key = _audit(inst).get("key")
    return [
        Finding(
            below.key(key),
            below.get(key or inst.identity.figure),
            None,
            f"{_what(inst)}: {row_label(below.binding.row)} ({below.value}) ranks below "
            f"{row_label(above.binding.row)} ({above.value})",
        )
        for above, below in out_of_order(inst)
    ]


def _audit(inst: Instance) -> Mapping[str, Any]:
    """How audit-bulletin words the identity's findings (only identities with an ``audit`` block get here)."""
    return inst.identity.audit or {}


def _what(inst: Instance) -> str:
    return str(_audit(inst)["what"]).format(**inst.fields())


_JUDGE = {
    "sum": _sum,
    "count": _sum,
    "same": _same,
    "rate": _rate,
    "change": _change,
    "position": _position,
    "descending": _descending,
}


def _overdue_rows_not_late(parsed: dict[str, Any]) -> list[Finding]:
    """A row of the overdue table must have been late: replied after its due date, or not replied by the cut-off
    with the due date before the cut-off's day."""
    cutoff_date = (parsed.get("as_of") or "")[:10]
    out = []
    for r in parsed["overdue_work_orders"]:
        late = (r["replied_date"] > r["due_date"]) if r["replied_date"] else (cutoff_date > r["due_date"])
        if not late:
            out.append(
                Finding(
                    f"overdue_work_orders[{r['ticket_id']}]",
                    r["replied_date"],
                    None,
                    f"{r['ticket_id']} is listed as overdue but was not late (due {r['due_date']}, "
                    f"replied {r['replied_date'] or 'not yet'}, cut-off {cutoff_date})",
                )
            )
    return out


def _hotspots_beyond_category(parsed: dict[str, Any]) -> list[Finding]:
    """A hot spot that is a whole level-1 category has its count; one of its level-2 categories cannot exceed it."""
    by_category = parsed["demand"]["by_category"]
    out = []
    for h in parsed.get("hotspots", []):
        l1_count = by_category.get(h["category_l1"])
        if l1_count is None:
            continue
        key = f"hotspots[{h['category_l1']}/{h['category_l2'] or ''}].count"
        if h["category_l2"] is None and h["count"] != l1_count:
            out.append(
                Finding(
                    key,
                    h["count"],
                    l1_count,
                    f"hot spot {h['category_l1']} is the whole category, printed {l1_count} above",
                )
            )
        elif h["category_l2"] is not None and h["count"] > l1_count:
            out.append(
                Finding(
                    key,
                    h["count"],
                    None,
                    f"hot spot {h['category_l1']}/{h['category_l2']} exceeds its category's {l1_count}",
                )
            )
    return out
