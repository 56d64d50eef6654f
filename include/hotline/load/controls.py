"""The raw layer's control checks, one implementation for the loader (``row_totals``, before a batch commits),
the nightly (``raw_layer_checks``) and the monthly gate (``control_problems``, through ``hotline.coverage``).

For every export in force (``raw.exports``):

- rows loaded + quarantined = the manifest's row count;
- ``raw.ticket_rows`` and ``raw.quarantine`` hold exactly the rows the audit says, all from the delivery in
  force (nothing of an older delivery survives beside it);
- no row of ``raw.ticket_rows`` belongs to a day that has no export in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from hotline.quality import accepted_missing_days
from hotline.sql import lit


def _day_filter(column: str, days: Sequence[date | str] | None) -> str:
    """``and <column> in (DATE '…', …)``: literals, so DuckDB skips the row groups of other days by their min/max
    instead of probing every row of the raw layer."""
    if days is None:
        return ""
    if not days:
        return " and false"
    return f" and {column} in (" + ", ".join(f"DATE {lit(str(d))}" for d in days) + ")"


def row_totals(con: duckdb.DuckDBPyConnection, days: Sequence[date | str]) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(table, day): (rows, distinct row numbers)}`` of raw.ticket_rows and raw.quarantine on ``days``
    (YYYY-MM-DD): the loader checks a batch against what it read before committing it. raw.ticket_rows has no
    primary key (schema.py), so its row numbers are counted too."""
    return {
        (table, d): (n, nd)
        for table in ("ticket_rows", "quarantine")
        for d, n, nd in con.execute(
            f"SELECT CAST(_export_date AS VARCHAR), count(*), count(DISTINCT _row_number) FROM raw.{table} "
            f"WHERE true {_day_filter('_export_date', days)} GROUP BY 1"
        ).fetchall()
    }


def control_problems(con: duckdb.DuckDBPyConnection, days: list[date] | None = None) -> dict[str, list[str]]:
    """``{export day: [problem, …]}`` for the exports in force on ``days`` (all days when None); the key ``""``
    holds problems that belong to no export in force."""
    problems: dict[str, list[str]] = {}
    for d, m, lo, q in con.execute(f"""
            select cast(export_date as varchar), manifest_row_count, rows_loaded, rows_quarantined
            from raw.exports
            where manifest_row_count is not null and rows_loaded + rows_quarantined <> manifest_row_count
            {_day_filter("export_date", days)}
            order by 1""").fetchall():
        problems.setdefault(d, []).append(f"the manifest says {m} rows, loaded {lo} + quarantined {q}")
    rows = con.execute(f"""
        with t as (select _export_date as d, count(*) as n, count(distinct _file_sha256) as shas,
                          min(_file_sha256) as sha
                   from raw.ticket_rows where true {_day_filter("_export_date", days)} group by 1),
             q as (select _export_date as d, count(*) as n from raw.quarantine
                   where true {_day_filter("_export_date", days)} group by 1)
        select cast(e.export_date as varchar), e.rows_loaded, coalesce(t.n, 0), e.rows_quarantined,
               coalesce(q.n, 0), coalesce(t.shas, 0), t.sha = e.file_sha256
        from raw.exports e
        left join t on t.d = e.export_date
        left join q on q.d = e.export_date
        where (coalesce(t.n, 0) <> e.rows_loaded or coalesce(q.n, 0) <> e.rows_quarantined
               or coalesce(t.shas, 0) > 1 or (t.n > 0 and t.sha <> e.file_sha256))
          {_day_filter("e.export_date", days)}
        order by 1""").fetchall()
    for d, lo, tn, q, qn, shas, same in rows:
        problems.setdefault(d, []).append(
            f"raw.ticket_rows has {tn} rows from {shas} deliveries (audit {lo}), raw.quarantine {qn} (audit {q})"
            + ("" if same in (None, True) else ", not the delivery in force")
        )
    orphans = con.execute(f"""
        select cast(_export_date as varchar), count(*) from raw.ticket_rows t
        where not exists (select 1 from raw.exports e where e.export_date = t._export_date)
        {_day_filter("t._export_date", days)}
        group by 1 order by 1""").fetchall()
    for d, n in orphans:
        problems.setdefault(d, []).append(f"{n} raw.ticket_rows rows belong to no export in force")
    return problems


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass
class RawLayerState:
    """The raw layer through an export day, as the nightly checks it."""

    days: list[date]  # export days in force
    accepted: set[str]  # days an operator accepted as missing in a publication
    problems: list[str]  # empty when every check passed
    exports: int
    rows: int
    quarantined: int


def raw_layer_checks(con: duckdb.DuckDBPyConnection, through: date) -> RawLayerState:
    """No gap (every day from the first export through ``through`` is in force, or was accepted as missing in a
    publication: an operator's decision, not news every night) and the control totals of every export in force
    (``control_problems``)."""
    days = [
        d for (d,) in con.execute("select distinct cast(export_date as date) from raw.exports order by 1").fetchall()
    ]
    accepted = accepted_missing_days(con)
    problems: list[str] = []
    if days:
        in_force = set(days)
        missing = [
            d.isoformat() for d in _days(days[0], through) if d not in in_force and d.isoformat() not in accepted
        ]
        if missing:
            shown = ", ".join(missing[:10]) + (f" (+{len(missing) - 10} more)" if len(missing) > 10 else "")
            problems.append(f"{len(missing)} export day(s) missing up to {through.isoformat()}: {shown}")
    else:
        problems.append("raw.exports is empty")
    for d, found in sorted(control_problems(con).items()):
        problems += [f"{d or 'no export in force'}: {p}" for p in found]
    totals = con.execute(
        "select count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) from raw.exports"
    ).fetchone()
    assert totals is not None  # an aggregate: always one row
    exports, rows, quarantined = totals
    return RawLayerState(days, accepted, problems, exports, int(rows), int(quarantined))
