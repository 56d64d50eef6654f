"""The dbt project on a small hand-made raw layer: `dbt build` passes (unit tests, contracts, data tests) and
the marts hold the figures worked out by hand below; broken invariants and a missing PII key fail loudly.

The raw tables are created with the loader's own DDL (hotline.load.schema) and filled with hand-made rows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
MONTH, AS_OF = "2024-11", "2024-12-12 10:00:00"
PII_KEY = "test-key-for-the-hand-made-raw-layer"

HEADERS = [
    "工单编号",
    "受理时间",
    "来源渠道",
    "专线类别",
    "诉求目的",
    "一级分类",
    "二级分类",
    "诉求内容",
    "诉求人",
    "联系电话",
    "诉求地址",
    "办理方式",
    "承办单位",
    "派单时间",
    "应回复时间",
    "回复时间",
    "办结时间",
    "工单状态",
    "退回次数",
    "回访时间",
    "回访结果",
    "超期说明",
    "更新时间",
]
SHORT = dict(
    zip(
        [
            "id",
            "received",
            "channel",
            "line",
            "purpose",
            "l1",
            "l2",
            "content",
            "name",
            "phone",
            "address",
            "handling",
            "depts",
            "dispatched",
            "due",
            "replied",
            "closed",
            "status",
            "returns",
            "callback",
            "result",
            "note",
            "updated",
        ],
        HEADERS,
        strict=True,
    )
)


def _ticket(tid, received, channel="电话", handling="直接答复", purpose="咨询", l1=None, l2=None, **kw):
    base = {
        "id": tid,
        "received": received,
        "channel": channel,
        "handling": handling,
        "purpose": purpose,
        "l1": l1,
        "l2": l2,
        "content": "市民来电，反映“问题”，\n请处理",
        "name": "张三",
        "phone": "13800001234",
        "address": "格尔木市某路1号",
        "returns": "0",
        "status": "已受理",
    }
    base.update(kw)
    return base


def _versions(ticket, *changes):
    """The first row at receipt (or with the first change), then one row per later change, each the full state."""
    state, rows = dict(ticket), []
    if not changes:
        changes = ({"updated": ticket["received"]},)
    for change in changes:
        state = {**state, **change}
        rows.append(dict(state))
    return rows


def ticket_rows() -> list[dict]:
    t = []
    # T01 direct answer on the 环境保护 line
    t += _versions(
        _ticket(
            "HX24110100000001",
            "2024-11-01 08:10:00",
            line="环境保护",
            l1="政务咨询",
            l2="联系方式查询",
            status="已办结",
            closed="2024-11-01 08:20:00",
            updated="2024-11-01 08:20:00",
        )
    )
    # T02 work order under an alias, replied a day late (overdue), closed, called back 满意
    t02 = _ticket(
        "HX24110100000002",
        "2024-11-01 08:30:00",
        handling="工单转办",
        purpose="投诉",
        l1="公共服务",
        l2="供暖",
        depts="卫生健康委员会",
    )
    t += _versions(
        t02,
        {
            "status": "已派单",
            "dispatched": "2024-11-01 09:00:00",
            "due": "2024-11-12",
            "updated": "2024-11-01 09:00:00",
        },
        {"status": "已回复", "replied": "2024-11-13 10:00:00", "updated": "2024-11-13 10:00:00"},
        {"status": "已办结", "closed": "2024-11-14 09:00:00", "updated": "2024-11-14 09:00:00"},
        {"callback": "2024-11-15 10:00:00", "result": "满意", "updated": "2024-11-15 10:00:00"},
    )
    # T03 two departments in one cell (space-separated), called back 基本满意
    t += _versions(
        _ticket(
            "HX24110400000003",
            "2024-11-04 08:00:00",
            handling="工单转办",
            purpose="求助",
            l1="社会事业",
            l2="薪资拖欠",
            depts="市住房和城乡建设局 市城市管理局",
        ),
        {
            "status": "已派单",
            "dispatched": "2024-11-04 09:00:00",
            "due": "2024-11-13",
            "updated": "2024-11-04 09:00:00",
        },
        {
            "status": "已办结",
            "replied": "2024-11-08 09:00:00",
            "closed": "2024-11-09 09:00:00",
            "callback": "2024-11-10 09:00:00",
            "result": "基本满意",
            "updated": "2024-11-10 09:00:00",
        },
    )
    # T04 stray space inside a name; never replied: overdue at the cut-off
    t += _versions(
        _ticket(
            "HX24110500000004",
            "2024-11-05 08:00:00",
            handling="工单转办",
            purpose="咨询",
            l1="城乡建设",
            l2="物业服务",
            depts=" 昆仑经济技术开发区 管委会 ",
            status="已派单",
            dispatched="2024-11-05 10:00:00",
            due="2024-11-14",
            updated="2024-11-05 10:00:00",
        )
    )
    # T05 two departments (；), replied in time, closed only after the cut-off (that row is ignored)
    t += _versions(
        _ticket(
            "HX24110600000005",
            "2024-11-06 08:00:00",
            handling="工单转办",
            purpose="投诉",
            l1="公共服务",
            l2="物业服务",
            depts="人力资源和社会保障；市公安局",
            status="已派单",
            dispatched="2024-11-06 09:00:00",
            due="2024-11-15",
            updated="2024-11-06 09:00:00",
        ),
        {"status": "退回重办", "returns": "1", "updated": "2024-11-08 09:00:00"},
        {"status": "已回复", "replied": "2024-11-12 09:00:00", "updated": "2024-11-12 09:00:00"},
        {"status": "已办结", "closed": "2024-12-12 11:00:00", "updated": "2024-12-12 11:00:00"},
    )
    # T06 transfer from 中国政府网, called back 不满意
    t += _versions(
        _ticket(
            "HX24110700000006",
            "2024-11-07 08:00:00",
            channel="中国政府网",
            handling="工单转办",
            purpose="投诉",
            l1="市场监管",
            l2="消费纠纷",
            depts="市市场监督管理局",
            status="已派单",
            dispatched="2024-11-07 09:00:00",
            due="2024-11-18",
            updated="2024-11-07 09:00:00",
        ),
        {
            "status": "已办结",
            "replied": "2024-11-15 09:00:00",
            "closed": "2024-11-16 09:00:00",
            "updated": "2024-11-16 09:00:00",
        },
        {"callback": "2024-11-20 09:00:00", "result": "不满意", "updated": "2024-11-20 09:00:00"},
    )
    # T07 invalid call
    t += _versions(
        _ticket(
            "HX24110800000007",
            "2024-11-08 08:00:00",
            handling="无效",
            purpose="其他",
            phone="",
            status="已关闭",
            closed="2024-11-08 08:01:00",
            updated="2024-11-08 08:01:00",
        )
    )
    # T08 praise on the 营商环境 line
    t += _versions(
        _ticket(
            "HX24110900000008",
            "2024-11-09 08:00:00",
            line="营商环境",
            purpose="表扬",
            l1="政务咨询",
            l2="联系方式查询",
            status="已办结",
            closed="2024-11-09 08:10:00",
            updated="2024-11-09 08:10:00",
        )
    )
    # T09 transfer from 省州系统, unknown department, due date extended (11-20 → 11-25), replied in the extension
    t += _versions(
        _ticket(
            "HX24111100000009",
            "2024-11-11 08:00:00",
            channel="省州系统",
            handling="工单转办",
            purpose="建议",
            l1="交通运输",
            l2="道路",
            depts="格尔木某新单位",
            status="已派单",
            dispatched="2024-11-11 09:00:00",
            due="2024-11-20",
            updated="2024-11-11 09:00:00",
        ),
        {"due": "2024-11-25", "updated": "2024-11-19 09:00:00"},
        {
            "status": "已办结",
            "replied": "2024-11-22 09:00:00",
            "closed": "2024-11-23 09:00:00",
            "updated": "2024-11-23 09:00:00",
        },
    )
    # T10 October work order called back in November
    t += _versions(
        _ticket(
            "HX24103100000010",
            "2024-10-31 08:00:00",
            handling="工单转办",
            purpose="投诉",
            l1="公共服务",
            l2="供暖",
            depts="市卫生健康委员会",
            status="已派单",
            dispatched="2024-10-31 09:00:00",
            due="2024-11-11",
            updated="2024-10-31 09:00:00",
        ),
        {
            "status": "已办结",
            "replied": "2024-11-05 09:00:00",
            "closed": "2024-11-06 09:00:00",
            "updated": "2024-11-06 09:00:00",
        },
        {"callback": "2024-11-07 09:00:00", "result": "满意", "updated": "2024-11-07 09:00:00"},
    )
    # T11, T12 October contacts (previous month's total = 3 with T10)
    t += _versions(
        _ticket(
            "HX24103000000011",
            "2024-10-30 08:00:00",
            l1="政务咨询",
            l2="联系方式查询",
            status="已办结",
            closed="2024-10-30 08:05:00",
            updated="2024-10-30 08:05:00",
        )
    )
    t += _versions(
        _ticket(
            "HX24103000000012",
            "2024-10-30 09:00:00",
            handling="无效",
            purpose="其他",
            status="已关闭",
            updated="2024-10-30 09:00:00",
        )
    )
    # T13 replied after the due date (overdue), closed; called back in December (not a November callback)
    t += _versions(
        _ticket(
            "HX24112800000013",
            "2024-11-28 08:00:00",
            handling="工单转办",
            purpose="求助",
            l1="公共服务",
            l2="供水",
            depts="市城市管理局",
            status="已派单",
            dispatched="2024-11-28 09:00:00",
            due="2024-12-09",
            updated="2024-11-28 09:00:00",
        ),
        {
            "status": "已办结",
            "replied": "2024-12-10 09:00:00",
            "closed": "2024-12-11 09:00:00",
            "updated": "2024-12-11 09:00:00",
        },
        {"callback": "2024-12-11 15:00:00", "result": "满意", "updated": "2024-12-11 15:00:00"},
    )
    # T14 dispatched on a Saturday (due = 7 working days from Monday = 12-11), department named twice, unreplied
    t += _versions(
        _ticket(
            "HX24113000000014",
            "2024-11-30 08:00:00",
            handling="工单转办",
            purpose="咨询",
            l1="政务咨询",
            l2="政策咨询",
            depts="市公安局、市公安局",
            status="已派单",
            dispatched="2024-11-30 09:00:00",
            due="2024-12-11",
            updated="2024-11-30 09:00:00",
        )
    )
    # T15 December contact: not in November
    t += _versions(
        _ticket(
            "HX24120100000015",
            "2024-12-01 08:00:00",
            l1="政务咨询",
            l2="联系方式查询",
            status="已办结",
            updated="2024-12-01 08:10:00",
        )
    )
    # T16 an eligible row (updated before the cut-off) whose close is stamped after it: not closed; 未接通 callback
    t += _versions(
        _ticket(
            "HX24112000000016",
            "2024-11-20 08:00:00",
            handling="工单转办",
            purpose="投诉",
            l1="政法",
            l2="治安",
            depts="市公安局",
            status="已派单",
            dispatched="2024-11-20 09:00:00",
            due="2024-11-29",
            updated="2024-11-20 09:00:00",
        ),
        {
            "status": "已回复",
            "replied": "2024-11-25 09:00:00",
            "callback": "2024-11-26 09:00:00",
            "result": "未接通",
            "updated": "2024-11-26 09:00:00",
        },
        {"status": "已办结", "closed": "2024-12-12 10:30:00", "updated": "2024-12-12 09:00:00"},
    )
    return t


def build_raw(path: Path, extra_rows: list[dict] | None = None) -> None:
    """The raw layer as the loader writes it (its own DDL, values normalized by its own SQL), filled with the
    hand-made rows."""
    from hotline.load.rows import caller_key_sql, clean_sql
    from hotline.load.schema import ddl

    con = duckdb.connect(str(path))
    for stmt in ddl():
        con.execute(stmt)
    con.execute("CREATE TEMP TABLE _rows AS SELECT * EXCLUDE (_caller_key) FROM raw.ticket_rows LIMIT 0")
    per_day: dict[str, int] = {}
    for row in ticket_rows() + (extra_rows or []):
        day = row["updated"][:10]
        per_day[day] = per_day.get(day, 0) + 1
        values = [
            day,
            f"hotline_{day.replace('-', '')}.csv",
            f"sha-{day}",
            per_day[day],
            datetime.fromisoformat(day + " 16:30:00"),
        ]
        values += [row.get(k) or None for k in SHORT]
        cols = ["_export_date", "_file_name", "_file_sha256", "_row_number", "_loaded_at"] + HEADERS
        con.execute(
            f"INSERT INTO _rows ({', '.join(chr(34) + c + chr(34) for c in cols)}) "
            f"VALUES ({', '.join('?' * len(values))})",
            values,
        )
    meta = '"_export_date", "_file_name", "_file_sha256", "_row_number", "_loaded_at"'
    con.execute(
        f"INSERT INTO raw.ticket_rows SELECT {meta}, {caller_key_sql(chr(34) + '联系电话' + chr(34))}, "
        + ", ".join(clean_sql(chr(34) + h + chr(34)) for h in HEADERS)
        + " FROM _rows",
        {"pii_key": PII_KEY},
    )
    for day, n in sorted(per_day.items()):
        name = f"hotline_{day.replace('-', '')}.csv"
        con.execute(
            "INSERT INTO raw.exports (export_date, file_name, file_sha256, format, encoding, "
            "manifest_row_count, manifest_sha256, exported_at, rows_loaded, rows_quarantined, loaded_at, "
            "load_id) VALUES (?, ?, ?, 'csv', 'utf-8-sig', ?, ?, ?, ?, 0, ?, 'load-1')",
            [day, name, f"sha-{day}", n, f"sha-{day}", day + "T00:30:00+08:00", n, day + " 16:30:00"],
        )
        con.execute(
            "INSERT INTO raw.load_audit (load_id, attempted_at, export_date, file_name, format, encoding, "
            "status, message, rows_read, rows_loaded, rows_quarantined, manifest_row_count, "
            "manifest_sha256, file_sha256) VALUES ('load-1', ?, ?, ?, 'csv', 'utf-8-sig', 'loaded', NULL, "
            "?, ?, 0, ?, ?, ?)",
            [day + " 16:30:00", day, name, n, n, n, f"sha-{day}", f"sha-{day}"],
        )
    con.close()


def dbt(command: str, warehouse: Path, work: Path, *args: str):
    """dbt as a user runs it; without the pseudonymization key, which dbt never needs (the loader used it)."""
    env = {**os.environ, "HOTLINE_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("HOTLINE_PII_KEY", None)
    exe = Path(sys.executable).with_name("dbt")
    cmd = [
        str(exe),
        command,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-use-colors",
        *args,
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt")
    warehouse = work / "warehouse.duckdb"
    build_raw(warehouse)
    res = dbt("build", warehouse, work, "--vars", json.dumps({"month": MONTH, "as_of": AS_OF}))
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    return warehouse, work, res.stdout


def q(warehouse: Path, sql: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_build_passes_with_unit_tests_and_data_tests(built):
    _, _, out = built
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0 SKIP=0", out), out[-3000:]
    m = re.search(r"(\d+) data tests?, (\d+) unit tests?", out)
    assert m and int(m.group(1)) >= 100 and int(m.group(2)) >= 10, out[-3000:]
    # unknown departments are the gate's business (hotline.quality), not a dbt warning
    assert re.search(r"Done\. PASS=\d+ WARN=0 ERROR=0", out), out[-3000:]


def test_headline_figures(built):
    warehouse, _, _ = built
    (k,) = q(warehouse, "select * from marts.mart_monthly_kpis")
    cols = [
        r[0]
        for r in q(
            warehouse,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'mart_monthly_kpis' "
            "order by ordinal_position",
        )
    ]
    k = dict(zip(cols, k, strict=True))
    assert k["month"] == MONTH and k["as_of"] == datetime(2024, 12, 12, 10)
    expected = {
        "contacts_total": 12,
        "contacts_previous_total": 3,
        "contacts_mom_change_pct": Decimal("300.00"),
        "contacts_gov_portal": 1,
        "contacts_province_system": 1,
        "contacts_wechat": 0,
        "contacts_direct_answer": 2,
        "contacts_work_order": 7,
        "contacts_other": 1,
        "work_order_channel_closed": 3,
        "work_order_channel_closure_rate_pct": Decimal("42.86"),
        "special_lines_total": 2,
        "special_line_environment": 1,
        "special_line_business": 1,
        "special_line_safety": 0,
        "special_line_unresolved": 0,
        "purpose_total": 9,
        "purpose_consult": 3,
        "purpose_help": 2,
        "purpose_complaint": 3,
        "purpose_suggestion": 0,
        "purpose_other": 1,
        "demand_total": 11,
        "work_orders_dispatched": 9,
        "work_orders_closed": 5,
        "work_orders_closure_rate_pct": Decimal("55.56"),
        "work_orders_overdue": 4,
        "work_orders_callbacks": 4,
        "work_orders_satisfied": 3,
        "work_orders_satisfaction_pct": Decimal("75.00"),
        "work_orders_unknown_department": 1,
    }
    assert {c: k[c] for c in expected} == expected


def test_department_tables(built):
    warehouse, _, _ = built
    closure = q(
        warehouse,
        "select rank, department_name, work_orders, closed, closure_rate_pct "
        "from marts.mart_department_closure order by rank",
    )
    assert closure == [
        (1, "市公安局", 2, 0, Decimal("0.00")),
        (2, "市人力资源和社会保障局", 1, 0, Decimal("0.00")),
        (3, "市住房和城乡建设局", 1, 1, Decimal("100.00")),
        (4, "市卫生健康委员会", 1, 1, Decimal("100.00")),
        (5, "市城市管理局", 1, 1, Decimal("100.00")),
        (6, "市市场监督管理局", 1, 1, Decimal("100.00")),
        (7, "昆仑经济技术开发区管委会", 1, 0, Decimal("0.00")),
        (8, "格尔木某新单位", 1, 1, Decimal("100.00")),
        (9, "其他单位", 0, 0, None),  # always present, even empty
    ]
    satisfaction = q(
        warehouse,
        "select rank, department_name, callbacks, satisfied, satisfaction_pct "
        "from marts.mart_department_satisfaction order by rank",
    )
    assert satisfaction == [
        (1, "市卫生健康委员会", 2, 2, Decimal("100.00")),
        (2, "市住房和城乡建设局", 1, 1, Decimal("100.00")),
        (3, "市市场监督管理局", 1, 0, Decimal("0.00")),
    ]
    # the double department and the unknown one
    assert q(
        warehouse,
        "select department_position, department_name, is_lead from marts.fct_work_order_departments "
        "where ticket_id = 'HX24110400000003' order by 1",
    ) == [(1, "市住房和城乡建设局", True), (2, "市城市管理局", False)]
    assert q(warehouse, "select is_known from marts.dim_department where department_name = '格尔木某新单位'") == [
        (False,)
    ]


def test_overdue_list(built):
    warehouse, _, _ = built
    rows = q(
        warehouse,
        "select seq, ticket_id, departments, departments_raw, due_date::varchar, "
        "replied_date::varchar from marts.mart_overdue_work_orders order by seq",
    )
    assert rows == [
        (1, "HX24110100000002", ["市卫生健康委员会"], "卫生健康委员会", "2024-11-12", "2024-11-13"),
        (2, "HX24110500000004", ["昆仑经济技术开发区管委会"], "昆仑经济技术开发区 管委会", "2024-11-14", None),
        (3, "HX24112800000013", ["市城市管理局"], "市城市管理局", "2024-12-09", "2024-12-10"),
        (4, "HX24113000000014", ["市公安局"], "市公安局、市公安局", "2024-12-11", None),
    ]
    # the extension is flagged, the Saturday dispatch follows the rule
    assert q(
        warehouse,
        "select ticket_id, rule_due_date::varchar, due_date::varchar, is_extended "
        "from marts.fct_work_orders where ticket_id in ('HX24111100000009', 'HX24113000000014') "
        "order by 1",
    ) == [
        ("HX24111100000009", "2024-11-20", "2024-11-25", True),
        ("HX24113000000014", "2024-12-11", "2024-12-11", False),
    ]


def test_channels_purpose_demand_hotspots(built):
    warehouse, _, _ = built
    assert q(
        warehouse, "select channel, contacts, share_pct, mom_change_pct from marts.mart_channels order by display_order"
    ) == [
        ("中国政府网转办", 1, Decimal("8.33"), Decimal("300.00")),
        ("省州系统转办", 1, Decimal("8.33"), Decimal("300.00")),
        ("微信端转办", 0, Decimal("0.00"), Decimal("300.00")),
        ("直接答复", 2, Decimal("16.67"), Decimal("300.00")),
        ("工单转办", 7, Decimal("58.33"), Decimal("300.00")),
        ("其他", 1, Decimal("8.33"), Decimal("300.00")),
    ]
    assert q(warehouse, "select purpose, contacts, share_pct from marts.mart_purpose order by display_order") == [
        ("咨询", 3, Decimal("33.33")),
        ("求助", 2, Decimal("22.22")),
        ("投诉", 3, Decimal("33.33")),
        ("建议", 0, Decimal("0.00")),
        ("其他", 1, Decimal("11.11")),
    ]
    assert q(warehouse, "select category_l1, contacts from marts.mart_demand order by display_order") == [
        ("公共服务", 3),
        ("政务咨询", 3),
        ("交通运输", 1),
        ("城乡建设", 1),
        ("市场监管", 1),
        ("政法", 1),
        ("其他", 1),
    ]
    assert q(
        warehouse,
        "select category_l1, category_l2, contacts, previous_month_contacts, mom_change_pct "
        "from marts.mart_hotspots where rank <= 2 order by rank",
    ) == [("公共服务", None, 3, 1, Decimal("200.00")), ("政务咨询", "联系方式查询", 2, 1, Decimal("100.00"))]
    assert q(warehouse, "select special_line, contacts from marts.mart_special_lines order by display_order") == [
        ("环境保护", 1),
        ("营商环境", 1),
        ("安全生产", 0),
        ("办不成事", 0),
    ]


def test_department_performance_and_no_personal_data(built):
    warehouse, _, _ = built
    assert q(
        warehouse,
        "select work_orders, closed, open_backlog_month_end, return_rate_pct "
        "from marts.mart_department_performance where department_name = '市公安局'",
    ) == [(2, 0, 2, Decimal("0.00"))]
    assert q(
        warehouse,
        "select work_orders, returned, return_rate_pct, closed, on_time_closure_rate_pct "
        "from marts.mart_department_performance "
        "where department_name = '市人力资源和社会保障局'",
    ) == [(1, 1, Decimal("100.00"), 0, Decimal("0.00"))]
    # the phone never leaves staging, only its keyed hash; names and addresses are gone
    text = json.dumps(q(warehouse, "select * from marts.fct_contacts"), default=str, ensure_ascii=False)
    assert "13800001234" not in text and "张三" not in text and "某路1号" not in text
    keys = q(warehouse, "select distinct caller_key from staging.stg_hotline__ticket_rows where caller_key is not null")
    assert len(keys) == 1 and len(keys[0][0]) == 64
    # the key is nowhere in the warehouse's catalog (dbt never had it)
    assert q(warehouse, f"select count(*) from duckdb_views() where sql like '%{PII_KEY}%'") == [(0,)]


def test_broken_invariant_fails(built):
    warehouse, work, _ = built
    con = duckdb.connect(str(warehouse))
    con.execute("update marts.mart_department_closure set work_orders = work_orders + 1 where rank = 1")
    con.close()
    try:
        res = dbt(
            "test",
            warehouse,
            work,
            "--select",
            "assert_department_tables_sum_to_totals",
            "--vars",
            json.dumps({"month": MONTH, "as_of": AS_OF}),
        )
        assert res.returncode != 0
        assert "assert_department_tables_sum_to_totals" in res.stdout and "FAIL" in res.stdout
    finally:
        con = duckdb.connect(str(warehouse))
        con.execute("update marts.mart_department_closure set work_orders = work_orders - 1 where rank = 1")
        con.close()
