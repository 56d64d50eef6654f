"""The raw layer's control totals, per export day: used by the nightly's checks and by the monthly gate.

For every export in force (``raw.exports``):

- rows loaded + quarantined = the manifest's row count;
- ``raw.ticket_rows`` and ``raw.quarantine`` hold exactly the rows the audit says, all from the delivery in
  force (nothing of an older delivery survives beside it);
- no row of ``raw.ticket_rows`` belongs to a day that has no export in force.
"""
from __future__ import annotations

from datetime import date


def _day_filter(column: str, days: list[date] | None) -> str:
    """``and <column> in (DATE '…', …)``: literals, so DuckDB skips the row groups of other days."""
    if days is None:
        return ""
    if not days:
        return " and false"
    return f" and {column} in (" + ", ".join(f"DATE '{d.isoformat()}'" for d in days) + ")"


def control_problems(con, days: list[date] | None = None) -> dict[str, list[str]]:
    """``{export day: [problem, …]}`` for the exports in force on ``days`` (all days when None); the key ``""``
    holds problems that belong to no export in force."""
    problems: dict[str, list[str]] = {}
    for d, m, lo, q in con.execute(f"""
            select cast(export_date as varchar), manifest_row_count, rows_loaded, rows_quarantined
            from raw.exports
            where manifest_row_count is not null and rows_loaded + rows_quarantined <> manifest_row_count
            {_day_filter('export_date', days)}
            order by 1""").fetchall():
        problems.setdefault(d, []).append(f"the manifest says {m} rows, loaded {lo} + quarantined {q}")
    rows = con.execute(f"""
        with t as (select _export_date as d, count(*) as n, count(distinct _file_sha256) as shas,
                          min(_file_sha256) as sha
                   from raw.ticket_rows where true {_day_filter('_export_date', days)} group by 1),
             q as (select _export_date as d, count(*) as n from raw.quarantine
                   where true {_day_filter('_export_date', days)} group by 1)
        select cast(e.export_date as varchar), e.rows_loaded, coalesce(t.n, 0), e.rows_quarantined,
               coalesce(q.n, 0), coalesce(t.shas, 0), t.sha = e.file_sha256
        from raw.exports e
        left join t on t.d = e.export_date
        left join q on q.d = e.export_date
        where (coalesce(t.n, 0) <> e.rows_loaded or coalesce(q.n, 0) <> e.rows_quarantined
               or coalesce(t.shas, 0) > 1 or (t.n > 0 and t.sha <> e.file_sha256))
          {_day_filter('e.export_date', days)}
        order by 1""").fetchall()
    for d, lo, tn, q, qn, shas, same in rows:
        problems.setdefault(d, []).append(
            f"raw.ticket_rows has {tn} rows from {shas} deliveries (audit {lo}), raw.quarantine {qn} (audit {q})"
            + ("" if same in (None, True) else ", not the delivery in force"))
    orphans = con.execute(f"""
        select cast(_export_date as varchar), count(*) from raw.ticket_rows t
        where not exists (select 1 from raw.exports e where e.export_date = t._export_date)
        {_day_filter('t._export_date', days)}
        group by 1 order by 1""").fetchall()
    for d, n in orphans:
        problems.setdefault(d, []).append(f"{n} raw.ticket_rows rows belong to no export in force")
    return problems
