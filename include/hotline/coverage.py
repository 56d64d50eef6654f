"""Completeness: which export days a month's figures depend on, and whether they are all in force.

A month M published as of a cut-off T depends on every export day from the first day of M through T's day
(the export of day D holds the changes made on D: the cut-off day's export carries the events up to T), and,
for the month-over-month figures, on every export day of the previous month. These are the *inputs* of the
publication (``manifest.json``), and a re-delivery of one of them after publication touches the published
month.

Before anything is built (``preflight``), a request that cannot give a right answer is refused with a message
that says why: no export in force, a cut-off after the newest export, a month without any export or without
any contact. The gate then checks every required day (``completeness_checks``): a missing day fails (naming
it) unless the operator accepted it (``Decisions``), a day whose control totals do not add up fails, quarantined
rows and rejected re-deliveries of those days are warnings that name their rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from hotline.checks import Check, Decision, Decisions, subject
from hotline.errors import Refused
from hotline.load.controls import control_problems
from hotline.periods import month_bounds, previous_month
from hotline.sql import scalar

if TYPE_CHECKING:
    import duckdb

SUITE = "completeness"


def _as_of_day(as_of: str) -> date:
    return datetime.fromisoformat(as_of.strip()).date()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def required_days(month: str, as_of: str) -> list[date]:
    """The export days month ``month``'s own figures need: its first day through the cut-off's day."""
    return _days(month_bounds(month)[0], _as_of_day(as_of))


def previous_month_days(month: str) -> list[date]:
    """The export days of the previous month (its total and hot spots give the month-over-month changes)."""
    start, end = month_bounds(previous_month(month))
    return _days(start, end - timedelta(days=1))


def input_window(month: str, as_of: str) -> tuple[date, date]:
    """First and last export day the month's publication depends on."""
    return month_bounds(previous_month(month))[0], _as_of_day(as_of)


def export_days_in_force(con: duckdb.DuckDBPyConnection) -> list[date]:
    return [d for (d,) in con.execute("select export_date from raw.exports order by 1").fetchall()]


def preflight(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> None:
    """Refuse up front, with the cause, a month that cannot be built right from the exports in force."""
    from hotline.load.schema import SCHEMA_VERSION

    tables = {t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
    days = export_days_in_force(con) if "exports" in tables else []
    if not days:
        raise Refused(f"no export is in force in the warehouse: nothing to build for {month} (run `hotline load`)")
    version = (
        con.execute("select value from raw.layer_info where key = 'schema_version'").fetchone()
        if "layer_info" in tables
        else None
    )
    if version is None or version[0] != str(SCHEMA_VERSION):
        raise Refused(
            "the raw layer was written by an older loader (values not normalized, no timeline rules, "
            "pseudonyms made by dbt): move the warehouse away and load the exports again"
        )
    cut_day, newest = _as_of_day(as_of), days[-1]
    start, nxt = month_bounds(month)
    of_month = [d for d in days if start <= d < nxt]
    if not of_month:
        raise Refused(
            f"no export of {month} is in force (exports in force: {days[0]} … {newest}): nothing to report for {month}"
        )
    if cut_day > newest:
        raise Refused(
            f"the cut-off {as_of} is after the newest export in force ({newest}): the exports up to "
            f"{cut_day} are not in yet; load them, or pass an --as-of on or before {newest}"
        )
    received = scalar(
        con,
        f"""
        select count(distinct "工单编号") from raw.ticket_rows
        where _export_date between DATE '{start}' and DATE '{cut_day}' and "受理时间" like '{month}-%'""",
    )
    if not received:
        raise Refused(
            f"{month} has no contacts: the {len(of_month)} export day(s) of {month} in force hold no "
            f"ticket received in {month}"
        )


def completeness_checks(
    con: duckdb.DuckDBPyConnection, month: str, as_of: str, decisions: Decisions | None = None
) -> list[Check]:
    """The gate's checks that every export day the month depends on is in force and sound."""
    decisions = decisions or Decisions()
    in_force = set(export_days_in_force(con))
    required, previous = required_days(month, as_of), previous_month_days(month)
    accepted = set(decisions.missing_days)
    checks: list[Check] = []

    missing, prev_missing, no_previous_month = _missing(con, month, as_of)
    checks += _missing_checks(
        f"export days {required[0]} … {required[-1]} in force",
        f"本月首日至截止日（{required[0]} 至 {required[-1]}）每日导出均已装载",
        len(required),
        missing,
        decisions,
    )

    if no_previous_month:
        # the warehouse starts with this month: the bulletin says so (上月无可比数据) instead of a change
        checks.append(
            Check.judged(
                SUITE,
                "previous month has exports",
                f"上月（{previous_month(month)}）无任何导出：环比显示为“上月无可比数据”",
                f"{len(previous)} export days",
                "none",
                False,
                severity="warn",
                subject=subject("days", [d.isoformat() for d in previous]),
            )
        )
    else:  # some of it is there (or some of its contacts are): a change from a partial month would be wrong
        checks += _missing_checks(
            f"export days of {previous_month(month)} in force (month-over-month)",
            "上月每日导出均已装载（环比所需）",
            len(previous),
            prev_missing,
            decisions,
        )
    needless = sorted(accepted - {d.isoformat() for d in missing + prev_missing})
    if needless:
        from hotline.errors import HotlineError

        raise HotlineError(
            f"--accept-missing-day {', '.join(needless)}: not a missing export day of {month} "
            f"or of {previous_month(month)} (nothing to accept)"
        )

    window = [d for d in previous + required if d in in_force]
    problems = control_problems(con, window)
    bad = sorted(d for d in problems if d)
    checks.append(
        Check.judged(
            SUITE,
            "control totals of the month's export days",
            "各导出日：读取 = 装载 + 隔离 = 清单行数，且仅含现行交付",
            0,
            len(bad),
            not bad,
            subject=subject("days", [{"day": d, "problem": "; ".join(problems[d])} for d in bad]),
        )
    )

    lo, hi = (window[0], window[-1]) if window else (required[0], required[-1])
    quarantined = con.execute(f"""
        select cast(_export_date as varchar), _row_number, reason_code,
               nullif(regexp_extract(raw_text, '^[^A-Za-z0-9]*(HX[0-9]{{14}})', 1), '')
        from raw.quarantine where _export_date between DATE '{lo}' and DATE '{hi}'
        order by 1, 2""").fetchall()
    checks.append(
        Check.judged(
            SUITE,
            "no quarantined rows in the month's export days",
            "隔离行（未计入任何数字）：导出日、行号、原因、工单编号",
            0,
            len(quarantined),
            not quarantined,
            severity="warn",
            subject=subject("rows", [{"day": d, "row": r, "reason": c, "ticket_id": t} for d, r, c, t in quarantined]),
        )
    )

    rejected = con.execute(f"""
        select cast(a.export_date as varchar), a.file_name, a.message
        from raw.load_audit a join raw.exports e on e.export_date = a.export_date
        where a.status = 'rejected' and a.attempted_at > e.loaded_at
          and a.export_date between DATE '{lo}' and DATE '{hi}'
          and a.file_sha256 is distinct from e.file_sha256
        qualify row_number() over (partition by a.export_date order by a.attempted_at desc) = 1
        order by 1""").fetchall()
    checks.append(
        Check.judged(
            SUITE,
            "no rejected re-delivery of the month's export days",
            "导出日的重新交付被拒收（沿用此前交付）",
            0,
            len(rejected),
            not rejected,
            severity="warn",
            subject=subject("days", [{"day": d, "file": f, "reason": m} for d, f, m in rejected]),
        )
    )
    return checks


def _previous_month_contacts(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> int:
    """Contacts received in the previous month found in this month's exports (with no export of that month,
    they would make a month-over-month change out of a few stray tickets)."""
    start = month_bounds(month)[0]
    return int(
        scalar(
            con,
            f"""
        select count(distinct "工单编号") from raw.ticket_rows
        where _export_date between DATE '{start}' and DATE '{_as_of_day(as_of)}'
          and "受理时间" like '{previous_month(month)}-%'""",
        )
    )


def _missing_checks(name: str, description: str, n_days: int, missing: list[date], decisions: Decisions) -> list[Check]:
    refused = [d.isoformat() for d in missing if d.isoformat() not in decisions.missing_days]
    waived = [d.isoformat() for d in missing if d.isoformat() in decisions.missing_days]
    checks = [
        Check.judged(
            SUITE,
            name,
            description,
            f"{n_days} of {n_days}",
            f"{n_days - len(missing)} of {n_days}",
            not refused,
            subject=subject("days", refused),
        )
    ]
    if waived:
        checks.append(
            Check(
                SUITE,
                name + " (accepted as missing)",
                description + "：经办人决定缺日发布",
                f"{n_days} of {n_days}",
                f"{n_days - len(missing)} of {n_days}",
                "fail",
                subject=subject("days", waived),
            ).accept([Decision("accept_missing_day", d, decisions.reason) for d in waived])
        )
    return checks


def _missing(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> tuple[list[date], list[date], bool]:
    """The required days and the previous month's days that are not in force, and whether the previous month
    is simply absent (no export of it, no contact of it: the warehouse starts with this month)."""
    in_force = set(export_days_in_force(con))
    previous = previous_month_days(month)
    missing = [d for d in required_days(month, as_of) if d not in in_force]
    prev_missing = [d for d in previous if d not in in_force]
    absent = len(prev_missing) == len(previous) and not _previous_month_contacts(con, month, as_of)
    return missing, prev_missing, absent


def missing_days(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> list[str]:
    """Every export day the month depends on that is not in force (what completeness_checks fails on)."""
    missing, prev_missing, absent = _missing(con, month, as_of)
    return [d.isoformat() for d in missing + ([] if absent else prev_missing)]
