"""``figures.json``: every figure of the bulletin, machine-readable, read from the month's marts."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

#: The marts published for BI tools (Parquet, the ``published`` schema and ``hotline.duckdb``).
MART_TABLES = [
    "mart_monthly_kpis",
    "mart_channels",
    "mart_special_lines",
    "mart_purpose",
    "mart_demand",
    "mart_department_closure",
    "mart_department_satisfaction",
    "mart_overdue_work_orders",
    "mart_hotspots",
    "mart_department_performance",
]


def _num(v: object) -> object:
    """DECIMAL → float with its 2 decimals (JSON numbers), ints stay ints."""
    if isinstance(v, Decimal):
        return float(v)
    return v


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, (_num(v) for v in row), strict=True)) for row in cur.fetchall()]


def figures_from_marts(con: duckdb.DuckDBPyConnection, month: str, as_of: str) -> dict[str, Any]:
    kpi = _records(con, "select * from marts.mart_monthly_kpis where month = ?", [month])
    if not kpi:
        raise ValueError(f"mart_monthly_kpis has no row for {month}")
    k = kpi[0]
    channels = _records(con, "select * from marts.mart_channels where month = ? order by display_order", [month])
    special = _records(con, "select * from marts.mart_special_lines where month = ? order by display_order", [month])
    purpose = _records(con, "select * from marts.mart_purpose where month = ? order by display_order", [month])
    demand = _records(con, "select * from marts.mart_demand where month = ? order by display_order", [month])
    closure = _records(con, "select * from marts.mart_department_closure where month = ? order by rank", [month])
    satisfaction = _records(
        con, "select * from marts.mart_department_satisfaction where month = ? order by rank", [month]
    )
    overdue = _records(con, "select * from marts.mart_overdue_work_orders where month = ? order by seq", [month])
    hotspots = _records(con, "select * from marts.mart_hotspots where month = ? order by rank", [month])
    performance = _records(
        con,
        "select * from marts.mart_department_performance where month = ? order by work_orders desc, department_name",
        [month],
    )
    wo_channel = next(c for c in channels if c["channel"] == "工单转办")

    return {
        "month": month,
        "as_of": as_of,
        "contacts": {
            "total": k["contacts_total"],
            "previous_total": k["contacts_previous_total"],
            "mom_change_pct": k["contacts_mom_change_pct"],
            "by_channel": {c["channel"]: c["contacts"] for c in channels},
            "by_channel_pct": {c["channel"]: c["share_pct"] for c in channels},
            "work_order_channel_closed": wo_channel["closed"],
            "work_order_channel_closure_rate_pct": wo_channel["closure_rate_pct"],
        },
        "special_lines": {
            "total": k["special_lines_total"],
            "by_category": {s["special_line"]: s["contacts"] for s in special},
        },
        "purpose": {
            "total": k["purpose_total"],
            "by_type": {p["purpose"]: p["contacts"] for p in purpose},
            "by_type_pct": {p["purpose"]: p["share_pct"] for p in purpose},
        },
        "demand": {
            "total": k["demand_total"],
            "by_category": {d["category_l1"]: d["contacts"] for d in demand},
            "by_category_pct": {d["category_l1"]: d["share_pct"] for d in demand},
        },
        "work_orders": {
            "dispatched": k["work_orders_dispatched"],
            "closed": k["work_orders_closed"],
            "closure_rate_pct": k["work_orders_closure_rate_pct"],
            "overdue": k["work_orders_overdue"],
            "callbacks": k["work_orders_callbacks"],
            "satisfied": k["work_orders_satisfied"],
            "satisfaction_pct": k["work_orders_satisfaction_pct"],
        },
        "departments": [
            {
                "rank": d["rank"],
                "name": d["department_name"],
                "work_orders": d["work_orders"],
                "closed": d["closed"],
                "closure_rate_pct": d["closure_rate_pct"],
            }
            for d in closure
        ],
        "satisfaction_by_department": [
            {
                "rank": d["rank"],
                "name": d["department_name"],
                "callbacks": d["callbacks"],
                "satisfied": d["satisfied"],
                "satisfaction_pct": d["satisfaction_pct"],
            }
            for d in satisfaction
        ],
        "overdue_work_orders": [
            {
                "ticket_id": o["ticket_id"],
                "departments": list(o["departments"]),
                "departments_printed": o["departments_raw"],
                "due_date": o["due_date"].isoformat() if o["due_date"] else None,
                "replied_date": o["replied_date"].isoformat() if o["replied_date"] else None,
                "remark": o["remark"] or None,
            }
            for o in overdue
        ],
        "hotspots": [
            {
                "rank": h["rank"],
                "category_l1": h["category_l1"],
                "category_l2": h["category_l2"],
                "count": h["contacts"],
                "previous_count": h["previous_month_contacts"],
                "mom_change_pct": h["mom_change_pct"],
            }
            for h in hotspots
        ],
        # Beyond the reference bulletin: how each lead department handles its work orders.
        "department_performance": [
            {
                "name": d["department_name"],
                "work_orders": d["work_orders"],
                "closed": d["closed"],
                "on_time_closure_rate_pct": d["on_time_closure_rate_pct"],
                "return_rate_pct": d["return_rate_pct"],
                "callback_rate_pct": d["callback_rate_pct"],
                "overdue": d["overdue"],
                "open_backlog_month_end": d["open_backlog_month_end"],
                "median_working_days_to_reply": d["median_working_days_to_reply"],
                "p90_working_days_to_reply": d["p90_working_days_to_reply"],
            }
            for d in performance
        ],
    }
