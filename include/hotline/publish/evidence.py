"""Evidence: for every published figure, the ticket ids behind its count, or its numerator and denominator.

The rows are the month's ``marts.rpt_figure_membership``, where dbt defines who counts in which figure (the
headline marts count it); the gate checks that each published figure equals the number of its tickets, so a
figure an auditor cannot trace to tickets is never published. ``hotline explain`` reads the published
``evidence.parquet``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.checks import Check, Subject, subject
from hotline.sql import lit, scalar

if TYPE_CHECKING:
    import duckdb


def _hotspot_key(h: dict[str, Any]) -> str:
    return f"{h['category_l1']} / {h['category_l2']}" if h.get("category_l2") else h["category_l1"]


def expected_counts(figures: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(figure key, role) → the number of tickets the published figure claims."""
    out: dict[tuple[str, str], int] = {}
    c, w = figures["contacts"], figures["work_orders"]
    out[("contacts.total", "count")] = c["total"]
    for k, v in c["by_channel"].items():
        out[(f"contacts.by_channel.{k}", "count")] = v
    out[("contacts.work_order_channel_closed", "count")] = c["work_order_channel_closed"]
    out[("contacts.work_order_channel_closure_rate_pct", "numerator")] = c["work_order_channel_closed"]
    out[("contacts.work_order_channel_closure_rate_pct", "denominator")] = c["by_channel"]["工单转办"]
    out[("special_lines.total", "count")] = figures["special_lines"]["total"]
    for k, v in figures["special_lines"]["by_category"].items():
        out[(f"special_lines.by_category.{k}", "count")] = v
    out[("purpose.total", "count")] = figures["purpose"]["total"]
    for k, v in figures["purpose"]["by_type"].items():
        out[(f"purpose.by_type.{k}", "count")] = v
    out[("demand.total", "count")] = figures["demand"]["total"]
    for k, v in figures["demand"]["by_category"].items():
        out[(f"demand.by_category.{k}", "count")] = v
    for k in ("dispatched", "closed", "overdue", "callbacks", "satisfied"):
        out[(f"work_orders.{k}", "count")] = w[k]
    out[("work_orders.closure_rate_pct", "numerator")] = w["closed"]
    out[("work_orders.closure_rate_pct", "denominator")] = w["dispatched"]
    out[("work_orders.satisfaction_pct", "numerator")] = w["satisfied"]
    out[("work_orders.satisfaction_pct", "denominator")] = w["callbacks"]
    for d in figures["departments"]:
        out[(f"departments.{d['name']}.work_orders", "count")] = d["work_orders"]
        out[(f"departments.{d['name']}.closed", "count")] = d["closed"]
    for d in figures["satisfaction_by_department"]:
        out[(f"satisfaction_by_department.{d['name']}.callbacks", "count")] = d["callbacks"]
        out[(f"satisfaction_by_department.{d['name']}.satisfied", "count")] = d["satisfied"]
    for h in figures["hotspots"]:
        out[(f"hotspots.{_hotspot_key(h)}.count", "count")] = h["count"]
    return {k: v for k, v in out.items() if v}  # a zero figure has no evidence rows to count


def collect_evidence(con: duckdb.DuckDBPyConnection, month: str) -> None:
    """Compute the month's evidence once (the checks count it, the release writes it): temp table
    ``_evidence_figures`` numbers the (figure key, role) pairs in their sort order and ``_evidence`` holds
    (figure number, ticket id). A megacity month has ~18 M evidence rows: counting and sorting them by a small
    number instead of by key strings that share long prefixes ("departments.市…") takes half the time."""
    con.execute(
        "create or replace temp table _evidence_rows as select figure_key, role, ticket_id "
        "from marts.rpt_figure_membership where month = ?",
        [month],
    )
    con.execute(
        "create or replace temp table _evidence_figures as select cast(row_number() over "
        "(order by figure_key, role) as integer) as figure_id, figure_key, role "
        "from (select distinct figure_key, role from temp._evidence_rows)"
    )
    con.execute(
        "create or replace temp table _evidence as select f.figure_id, e.ticket_id "
        "from temp._evidence_rows e join temp._evidence_figures f using (figure_key, role)"
    )
    con.execute("drop table temp._evidence_rows")


def _ensure_evidence(con: duckdb.DuckDBPyConnection, month: str) -> None:
    if not scalar(
        con, "select count(*) from duckdb_tables() where database_name = 'temp' and table_name = '_evidence'"
    ):
        collect_evidence(con, month)


def evidence_counts(con: duckdb.DuckDBPyConnection, month: str) -> dict[tuple[str, str], int]:
    """(figure key, role) → the number of distinct tickets in its evidence."""
    _ensure_evidence(con, month)
    rows = con.execute("""select f.figure_key, f.role, n from (
            select figure_id, count(*) as n from (select distinct figure_id, ticket_id from temp._evidence)
            group by figure_id) join temp._evidence_figures f using (figure_id)""").fetchall()
    return {(k, r): n for k, r, n in rows}


def evidence_checks(con: duckdb.DuckDBPyConnection, figures: dict[str, Any]) -> list[Check]:
    """One check per figure: the published number = the number of distinct tickets behind it."""
    have = evidence_counts(con, figures["month"])
    want = expected_counts(figures)
    checks = []
    for key in sorted(set(want) | set(have)):
        exp, act = want.get(key, 0), have.get(key, 0)
        checks.append(
            Check.judged(
                "evidence",
                f"{key[0]} ({key[1]})",
                "figure = distinct tickets in its evidence",
                exp,
                act,
                exp == act,
                subject=None if exp == act else _evidence_tickets(con, *key),
            )
        )
    return checks


def _evidence_tickets(con: duckdb.DuckDBPyConnection, figure_key: str, role: str) -> Subject:
    """The tickets behind a figure whose evidence disagrees with it (the first ones, and how many)."""
    rows = con.execute(
        """select distinct e.ticket_id from temp._evidence e join temp._evidence_figures f
                          using (figure_id) where f.figure_key = ? and f.role = ? order by 1""",
        [figure_key, role],
    ).fetchall()
    return subject("tickets", [t for (t,) in rows])


def write_evidence(con: duckdb.DuckDBPyConnection, target: Path, month: str, as_of: str) -> None:
    _ensure_evidence(con, month)
    # figure ids follow the (figure key, role) order: the file is sorted by all its columns, as before
    con.execute(
        f"copy (select {lit(month)} as month, f.figure_key, f.role, e.ticket_id from temp._evidence e "
        f"join temp._evidence_figures f using (figure_id) order by e.figure_id, e.ticket_id) "
        f"to {lit(str(target))} (format parquet)"
    )


@dataclass
class Explanation:
    figure_key: str
    value: object
    roles: dict[str, list[str]] = field(default_factory=dict)


def _figure_value(figures: dict[str, Any], key: str) -> object:
    node: object = figures
    for part in key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def explain(publication: Path, figure_key: str) -> Explanation:
    """The ticket ids behind ``figure_key`` in a published month. A month that is not published is
    :class:`~hotline.errors.Refused`; an unknown key is a :class:`~hotline.errors.HotlineError` (a usage error)
    naming the keys close to it."""
    import difflib

    import duckdb

    from hotline.errors import HotlineError, Refused

    publication = Path(publication)
    evidence = publication / "evidence.parquet"
    if not evidence.is_file():
        raise Refused(
            f"{publication.name} is not published in {publication.parent} (no {evidence.name}): publish "
            f"it first with `hotline publish --month {publication.name}`"
        )
    con = duckdb.connect()
    rows = con.execute(
        "select role, ticket_id from read_parquet(?) where figure_key = ? order by role, ticket_id",
        [str(evidence), figure_key],
    ).fetchall()
    if not rows:
        known = [
            k
            for (k,) in con.execute(
                "select distinct figure_key from read_parquet(?) order by 1", [str(evidence)]
            ).fetchall()
        ]
        head = figure_key.split(".", maxsplit=1)[0]
        near = difflib.get_close_matches(figure_key, known, n=8, cutoff=0.6)
        near += [k for k in known if head and k.startswith(head + ".") and k not in near][: 8 - len(near)]
        raise HotlineError(
            f"no figure {figure_key!r} in the evidence of {publication.name}; "
            + (f"close keys: {', '.join(near)}" if near else f"keys look like: {', '.join(known[:8])}")
            + f" ({len(known)} keys in all)"
        )
    figures = json.loads((publication / "figures.json").read_text(encoding="utf-8"))
    value = _figure_value(figures, figure_key)
    if value is None:  # table rows are addressed by department name
        parts = figure_key.split(".")
        if len(parts) >= 3 and parts[0] in ("departments", "satisfaction_by_department"):
            name, fld = ".".join(parts[1:-1]), parts[-1]
            value = next((r.get(fld) for r in figures[parts[0]] if r["name"] == name), None)
    out = Explanation(figure_key, value)
    for role, tid in rows:
        out.roles.setdefault(role, []).append(tid)
    return out
