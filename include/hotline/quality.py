"""The gate's checks on what the data is about, beyond its arithmetic: the departments the work orders went to,
and the outcome of the month's dbt build (its data tests, each with its severity and failing rows).

Departments: a department name that is neither a canonical name nor an alias (``dbt_project/seeds/``) is
*unknown*: its work orders are counted under the name as typed (whitespace removed), which may be a typo of a
known department. Work orders under an unknown LEAD department fail the month when there are more than the
deployment allows (``HOTLINE_UNKNOWN_LEAD_WORK_ORDERS_MAX``, default 0: any) until the name is added to the
directory or the operator accepts it (``--accept-unknown-department NAME --reason ...``); below the threshold
they are a warning. Unknown co-handling (non-lead) departments and work orders without any department yet are
warnings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.checks import Check, Decision, Decisions, Subject, subject
from hotline.contract import NO_DEPARTMENT
from hotline.departments import squeeze
from hotline.errors import HotlineError
from hotline.sql import scalar

if TYPE_CHECKING:
    import duckdb

UNKNOWN_LEAD_MAX_ENV = "HOTLINE_UNKNOWN_LEAD_WORK_ORDERS_MAX"
DEPARTMENTS_LIMIT = 500


def unknown_lead_threshold() -> int:
    """Work orders under unknown lead departments a month may have before it fails (the deployment's setting)."""
    raw = os.environ.get(UNKNOWN_LEAD_MAX_ENV, "0").strip()
    if not raw.isdigit():
        raise HotlineError(f"{UNKNOWN_LEAD_MAX_ENV} must be a whole number ≥ 0, got {raw!r}")
    return int(raw)


def department_checks(con: duckdb.DuckDBPyConnection, month: str, decisions: Decisions | None = None) -> list[Check]:
    decisions = decisions or Decisions()
    unknown = con.execute(
        """
        select department_name, bool_or(is_lead) as as_lead, count(*) filter (where is_lead) as lead_work_orders,
               count(*) as work_orders
        from marts.fct_work_order_departments
        where received_month = ? and not is_known_department
        group by 1 order by lead_work_orders desc, work_orders desc, 1""",
        [month],
    ).fetchall()
    lead = [(n, w) for n, is_lead, w, _ in unknown if is_lead]
    wanted = {squeeze(n) for n in decisions.unknown_departments}  # unknown names are whitespace-free
    accepted = [(n, w) for n, w in lead if n in wanted]
    refused = [(n, w) for n, w in lead if n not in wanted]
    limit = unknown_lead_threshold()
    over = sum(w for _, w in refused)
    # within the deployment's allowance the unknown leads are published and shown; above it, the month fails
    checks = [
        Check.judged(
            "departments",
            "lead departments are in the directory",
            f"主办单位均已登记（未登记主办单位的工单 ≤ {limit} 件，{UNKNOWN_LEAD_MAX_ENV}）",
            f"≤ {limit} work orders",
            over,
            not refused,
            severity="fail" if over > limit else "warn",
            subject=_departments(refused),
        )
    ]
    if accepted:
        checks.append(
            Check(
                "departments",
                "lead departments accepted although not in the directory",
                "经办人决定按原名计数的未登记主办单位",
                0,
                sum(w for _, w in accepted),
                "fail",
                subject=_departments(accepted),
            ).accept([Decision("accept_unknown_department", n, decisions.reason) for n, _ in accepted])
        )
    needless = sorted(n for n in decisions.unknown_departments if squeeze(n) not in {m for m, _ in lead})
    if needless:
        raise HotlineError(
            f"--accept-unknown-department {', '.join(needless)}: no work order of {month} has "
            "that unknown lead department (nothing to accept)"
        )
    co = [(n, w) for n, is_lead, _, w in unknown if not is_lead]
    checks.append(
        Check.judged(
            "departments",
            "co-handling departments are in the directory",
            "协办单位均已登记",
            0,
            len(co),
            not co,
            severity="warn",
            subject=_departments(co),
        )
    )
    none = [
        t
        for (t,) in con.execute(
            """
        select ticket_id from marts.fct_work_orders where received_month = ? and lead_department is null
        order by 1""",
            [month],
        ).fetchall()
    ]
    checks.append(
        Check.judged(
            "departments",
            "work orders have a department",
            f"截至时点尚无承办单位的工单（计入“{NO_DEPARTMENT}”）",
            0,
            len(none),
            not none,
            severity="warn",
            subject=subject("tickets", none),
        )
    )
    return checks


def _departments(rows: list[tuple[str, int]]) -> Subject:
    # every name an operator may have to add or accept is listed (a city has at most a few hundred)
    return subject("departments", [{"name": n, "work_orders": w} for n, w in rows], limit=DEPARTMENTS_LIMIT)


def calendar_checks(con: duckdb.DuckDBPyConnection, month: str) -> list[Check]:
    """Due dates that fall in (or start from) a year only the local overrides cover: the 7-working-day rule is
    right only if that year's statutory holidays and make-up days are all listed there. A warning naming them."""
    from hotline.workdays import calendar

    years = list(calendar().override_only_years)
    rows = (
        []
        if not years
        else con.execute(
            """
        select ticket_id from marts.fct_work_orders
        where received_month = ? and (year(rule_due_date) in (select unnest(?)) or year(dispatch_date) in
                                      (select unnest(?)))
        order by 1""",
            [month, years, years],
        ).fetchall()
    )
    return [
        Check.judged(
            "calendar",
            "due dates within the package's calendar",
            f"应回复日期所在年份仅由本地覆盖文件定义（{', '.join(map(str, years)) or '无'}）："
            "请确认其法定节假日与调休均已列出",
            0,
            len(rows),
            not rows,
            severity="warn",
            subject=subject("tickets", [t for (t,) in rows]),
        )
    ]


# ---------------------------------------------------------------------------------------------- decisions
DECISIONS_TABLE = "audit.decisions"


def record_decisions(con: duckdb.DuckDBPyConnection, month: str, decisions: Decisions) -> None:
    """Keep the decisions a publication was made with in the warehouse too: the nightly's gap check then knows
    that an accepted missing day is not news every night."""
    if not decisions.all():
        return
    con.execute("create schema if not exists audit")
    con.execute(f"""create table if not exists {DECISIONS_TABLE} (recorded_at timestamp not null,
                    month varchar not null, kind varchar not null, value varchar not null, reason varchar not null)""")
    con.executemany(
        f"insert into {DECISIONS_TABLE} values (now()::timestamp, ?, ?, ?, ?)",
        [(month, d.kind, d.value, d.reason) for d in decisions.all()],
    )


def accepted_missing_days(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every export day an operator accepted as missing in a publication."""
    exists = scalar(
        con, "select count(*) from duckdb_tables() where schema_name = 'audit' and table_name = 'decisions'"
    )
    return (
        {
            v
            for (v,) in con.execute(
                f"select distinct value from {DECISIONS_TABLE} where kind = 'accept_missing_day'"
            ).fetchall()
        }
        if exists
        else set()
    )


# ---------------------------------------------------------------------------------------------- dbt tests
RESULTS_TABLE = "audit.dbt_test_results"


def ensure_results_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists audit")
    con.execute(f"""create table if not exists {RESULTS_TABLE} (
        invocation_id varchar not null, recorded_at timestamp not null, month varchar, as_of timestamp,
        unique_id varchar not null, test_name varchar not null, severity varchar not null,
        status varchar not null, failures bigint, message varchar, subject varchar)""")


def dbt_test_checks(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> list[Check]:
    """One check per data test of the newest dbt build of ``month`` as of ``as_of`` recorded in the warehouse
    (``hotline.build`` records every build's test results with their failing rows)."""
    exists = scalar(
        con, "select count(*) from duckdb_tables() where schema_name = 'audit' and table_name = 'dbt_test_results'"
    )
    rows = (
        []
        if not exists
        else con.execute(
            f"""
        select test_name, severity, status, failures, message, subject from {RESULTS_TABLE}
        where invocation_id = (select invocation_id from {RESULTS_TABLE}
                               where month = ? and as_of = cast(? as timestamp)
                               order by recorded_at desc limit 1)
        order by unique_id""",
            [month, as_of],
        ).fetchall()
    )
    if not rows:
        return [
            Check.judged(
                "dbt",
                "the month's dbt build is recorded",
                "本月 dbt 构建及其数据测试已记录",
                "a build of the month",
                "none",
                False,
                subject=subject("builds", [f'hotline build --month {month} --as-of "{as_of[:16]}"']),
            )
        ]
    checks = []
    for name, severity, status, failures, message, subj in rows:
        doc = json.loads(subj) if subj else None
        # a warn-severity test that found rows is "warn"; one that could not run at all is "fail" whatever its
        # severity: a test that did not run is no warning
        checks.append(
            Check.judged(
                "dbt",
                name,
                message or "dbt data test",
                0,
                failures if failures is not None else status,
                status == "pass",
                severity="fail" if status == "fail" else severity,
                subject=Subject(doc["kind"], doc["items"], doc["count"]) if doc else None,
            )
        )
    return checks


#: columns never shown in a failing test's subject (personal data, or text that can carry it)
HIDDEN_COLUMNS = {
    "诉求人",
    "联系电话",
    "诉求地址",
    "诉求内容",
    "caller_name",
    "caller_phone",
    "caller_address",
    "caller_key",
    "content",
    "raw_text",
}
#: columns that identify what a failing row is about, shown first
KEY_COLUMNS = (
    "ticket_id",
    "工单编号",
    "department_name",
    "export_date",
    "_export_date",
    "row_number",
    "_row_number",
    "calendar_date",
    "dispatch_date",
    "calendar_gap_date",
    "problem",
    "expected",
    "actual",
)


def failing_rows_subject(con: duckdb.DuckDBPyConnection, sql: str, failures: int | None, limit: int = 20) -> Subject:
    """The first rows a failing test returned (identifying columns only, never personal data)."""
    cur = con.execute(f"select * from ({sql}) as failing limit {int(limit)}")
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    shown = [c for c in KEY_COLUMNS if c in cols] + [c for c in cols if c not in KEY_COLUMNS]
    shown = [c for c in shown if c not in HIDDEN_COLUMNS][:6]
    kind = (
        "tickets" if {"ticket_id", "工单编号"} & set(shown) else "departments" if "department_name" in shown else "rows"
    )
    items = [{c: row[cols.index(c)] for c in shown} for row in rows]
    return subject(kind, items, failures if failures is not None else len(rows))


def record_test_results(
    warehouse: Path | str, month: str | None, as_of: str | None, results: Iterable[Any]
) -> list[dict[str, Any]]:
    """Store the data tests of one dbt invocation (status, severity, failing rows) in the warehouse, where the
    gate finds them; returns the failing and warning ones as dicts (name, severity, status, subject)."""
    import datetime as dt
    import uuid

    from hotline.checks import plain
    from hotline.warehouse import connect

    tests = [r for r in results if getattr(r.node, "resource_type", None) == "test"]
    if not tests:
        return []
    invocation = str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    bad: list[dict[str, Any]] = []
    con = connect(warehouse)
    try:
        ensure_results_table(con)
        rows = []
        for r in tests:
            status = str(r.status)
            severity = "warn" if str(getattr(r.node.config, "severity", "error")).lower() == "warn" else "fail"
            subj = None
            if status in ("fail", "warn", "error"):
                sql = getattr(r.node, "compiled_code", None)
                try:
                    subj = failing_rows_subject(con, sql, r.failures) if sql and status != "error" else None
                except Exception:  # noqa: BLE001 - the subject is best effort; the status stands
                    subj = None
                bad.append(
                    {
                        "name": r.node.name,
                        "severity": severity,
                        "status": status,
                        "message": (r.message or "").strip(),
                        "subject": subj,
                    }
                )
            rows.append(
                (
                    invocation,
                    now,
                    month,
                    as_of,
                    r.node.unique_id,
                    r.node.name,
                    severity,
                    "pass" if status == "pass" else ("warn" if status == "warn" else "fail"),
                    r.failures,
                    " ".join((r.message or "").split()) or None,
                    json.dumps(subj.to_json(), ensure_ascii=False, default=plain) if subj else None,
                )
            )
        con.executemany(
            f"insert into {RESULTS_TABLE} values (?, ?, ?, cast(? as timestamp), ?, ?, ?, ?, ?, ?, ?)", rows
        )
    finally:
        con.close()
    return bad
