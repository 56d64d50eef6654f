"""The independent recomputation (tests/oracle/recompute.py, the test oracle) on tiny hand-made export folders."""

from __future__ import annotations

import csv
import io
import itertools
from decimal import Decimal

import pytest

from hotline.contract import HEADERS
from oracle.recompute import mom_pct, pct, rate, recompute

MONTH, AS_OF = "2024-11", "2024-12-12 10:00"
DEPTS = [
    "市卫生健康委员会",
    "市住房和城乡建设局",
    "市城市管理局",
    "昆仑经济技术开发区管委会",
    "市公安局",
    "华润燃气有限公司",
]
ALIASES = [
    ("卫生健康委员会", "市卫生健康委员会"),
    ("昆仑经济技术开发区 管委会", "昆仑经济技术开发区管委会"),
    ("住建局", "市住房和城乡建设局"),
]
_seq = itertools.count(1)


# ------------------------------------------------------------------------------------------------ builders
def ticket(
    received: str,
    *,
    channel="电话",
    handling="直接答复",
    purpose="咨询",
    l1="政务咨询",
    l2="联系方式查询",
    dept="",
    dispatched="",
    due="",
    replied="",
    closed="",
    status=None,
    callback="",
    result="",
    note="",
    special="",
    updated=None,
    tid=None,
) -> dict:
    """One export row; ``updated`` defaults to the newest timestamp in the row."""
    if tid is None:
        tid = f"HX{received[2:4]}{received[5:7]}{received[8:10]}{next(_seq):08d}"
    stamps = [s for s in (received, dispatched, replied, closed, callback) if s]
    row = dict.fromkeys(HEADERS, "")
    row.update(
        {
            "工单编号": tid,
            "受理时间": received,
            "来源渠道": channel,
            "专线类别": special,
            "诉求目的": purpose,
            "一级分类": l1,
            "二级分类": l2,
            "诉求内容": "内容，含逗号\n和换行",
            "诉求人": "张三",
            "联系电话": "13800000000",
            "办理方式": handling,
            "承办单位": dept,
            "派单时间": dispatched,
            "应回复时间": due,
            "回复时间": replied,
            "办结时间": closed,
            "工单状态": status or ("已办结" if closed else "已受理"),
            "退回次数": "0",
            "回访时间": callback,
            "回访结果": result,
            "超期说明": note,
            "更新时间": updated or max(stamps),
        }
    )
    return row


def work_order(received: str, dept: str, **kw) -> dict:
    kw.setdefault("dispatched", received)
    return ticket(received, handling="工单转办", dept=dept, **kw)


def write_export(dumps, day: str, rows: list[dict], *, bom=True, encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADERS)
    for r in rows:
        w.writerow([r[h] for h in HEADERS])
    data = buf.getvalue().encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    dumps.mkdir(parents=True, exist_ok=True)
    (dumps / f"hotline_{day.replace('-', '')}.csv").write_bytes(data)


def exports(dumps, rows: list[dict], **kw):
    """Each row into the export of the day of its 更新时间."""
    by_day: dict[str, list[dict]] = {}
    for r in rows:
        by_day.setdefault(r["更新时间"][:10], []).append(r)
    for day, rs in by_day.items():
        write_export(dumps, day, rs, **kw)
    return dumps


@pytest.fixture
def seeds(tmp_path):
    d = tmp_path / "seeds"
    d.mkdir()
    (d / "departments.csv").write_text(
        "canonical_name,display_order,kind\n" + "".join(f"{n},{i},government\n" for i, n in enumerate(DEPTS, 1)),
        encoding="utf-8",
    )
    (d / "department_aliases.csv").write_text(
        "alias,canonical_name\n" + "".join(f"{a},{c}\n" for a, c in ALIASES), encoding="utf-8"
    )
    (d / "hotspot_rollups.csv").write_text("category_l1,note\n公共服务,one hot spot\n", encoding="utf-8")
    return d


@pytest.fixture
def dumps(tmp_path):
    return tmp_path / "dumps"


def run(dumps, seeds, month=MONTH, as_of=AS_OF, **kw):
    return recompute(dumps, month, as_of, seeds, **kw)


def dept_row(fig, name, table="departments"):
    return next(r for r in fig[table] if r["name"] == name)


# ------------------------------------------------------------------------------------------------ rounding
def test_half_up_rounding():
    assert rate(1046, 4151) == Decimal("25.20")  # the reference prints 25.21
    assert pct(1046, 4151) == 25.2
    assert pct(1, 160) == 0.63  # 0.625: half-up, not half-even (round(0.625, 2) == 0.62)
    assert pct(29, 32) == 90.63  # 90.625
    assert pct(26, 4151, 1) == 0.6 and pct(0, 4151) == 0.0
    assert pct(1, 0) is None
    assert mom_pct(801, 800) == 0.13  # +0.125
    assert mom_pct(799, 800) == -0.13  # −0.125: halves away from zero
    assert mom_pct(4151, 4049) == 2.52
    assert mom_pct(5, 0) is None


# ------------------------------------------------------------------------------------------------ contacts
def test_contacts_channels_purposes_special_lines_demand(dumps, seeds):
    rows = [
        ticket("2024-11-01 08:00:00", purpose="咨询", special="环境保护"),
        ticket("2024-11-02 08:00:00", purpose="表扬", l1="公共服务", l2="供暖"),
        ticket("2024-11-03 08:00:00", purpose="其他", l1="其他", l2="其他"),
        ticket("2024-11-03 09:00:00", handling="无效", purpose="其他", l1="其他", l2="骚扰", special="营商环境"),
        work_order(
            "2024-11-04 08:00:00", "市公安局", purpose="投诉", l1="政法", l2="治安", closed="2024-11-05 08:00:00"
        ),
        work_order("2024-11-05 08:00:00", "市公安局", channel="中国政府网", purpose="求助", l1="政法", l2="治安"),
        work_order("2024-11-06 08:00:00", "市公安局", channel="省州系统", purpose="建议", l1="城乡建设", l2="物业"),
        work_order("2024-11-07 08:00:00", "市公安局", channel="微信", l1="交通运输", l2="公交"),
        ticket("2024-10-31 23:59:59"),  # October
        ticket("2024-12-01 00:00:00"),  # December
    ]
    fig = run(exports(dumps, rows), seeds)
    c = fig["contacts"]
    assert (fig["month"], fig["as_of"]) == ("2024-11", "2024-12-12 10:00:00")
    assert c["total"] == 8 and c["previous_total"] == 1 and c["mom_change_pct"] == 700.0
    assert c["by_channel"] == {
        "中国政府网转办": 1,
        "省州系统转办": 1,
        "微信端转办": 1,
        "直接答复": 3,
        "工单转办": 1,
        "其他": 1,
    }
    assert (c["work_order_channel_closed"], c["work_order_channel_closure_rate_pct"]) == (1, 100.0)
    assert fig["special_lines"] == {
        "total": 2,
        "by_category": {"环境保护": 1, "营商环境": 1, "安全生产": 0, "办不成事": 0},
    }
    # phone, not 无效: 3 direct + 1 phone work order; 表扬 + 其他 = 其他
    assert fig["purpose"] == {"total": 4, "by_type": {"咨询": 1, "求助": 0, "投诉": 1, "建议": 0, "其他": 2}}
    # all non-无效 contacts; the level-1 category literally called 其他 always goes to 其他
    assert fig["demand"]["total"] == 7
    assert fig["demand"]["by_category"] == {
        "政务咨询": 1,
        "政法": 2,
        "交通运输": 1,
        "公共服务": 1,
        "城乡建设": 1,
        "其他": 1,
    }
    assert fig["work_orders"]["dispatched"] == 4 and fig["work_orders"]["closed"] == 1


def test_demand_names_six_largest_and_sums_the_rest(dumps, seeds):
    counts = {"A": 7, "B": 6, "C": 5, "D": 4, "E": 3, "F": 2, "G": 2, "H": 1}  # F and G tie: F by name
    rows = [ticket("2024-11-10 08:00:00", l1=k, l2="x") for k, n in counts.items() for _ in range(n)]
    fig = run(exports(dumps, rows), seeds)
    assert fig["demand"] == {"total": 30, "by_category": {"A": 7, "B": 6, "C": 5, "D": 4, "E": 3, "F": 2, "其他": 3}}
    assert list(fig["demand"]["by_category"]) == ["A", "B", "C", "D", "E", "F", "其他"]


# -------------------------------------------------------------------------------------------------- as of
def test_as_of_close_after_cutoff_not_counted_and_rows_after_cutoff_ignored(dumps, seeds):
    a = work_order("2024-11-05 08:00:00", "市公安局", tid="HX24110500000001")
    a_closed = dict(a, 办结时间="2024-12-12 10:00:01", 工单状态="已办结", 更新时间="2024-12-12 10:00:01")
    b = work_order("2024-11-05 09:00:00", "市公安局", tid="HX24110500000002")
    b_closed = dict(b, 办结时间="2024-12-12 10:00:00", 工单状态="已办结", 更新时间="2024-12-12 10:00:00")
    # a row updated after the cut-off re-labels c as 无效 and moves it to another department: ignored
    c = work_order("2024-11-06 08:00:00", "市城市管理局", tid="HX24110600000003")
    c_late = dict(c, 办理方式="无效", 承办单位="市公安局", 更新时间="2024-12-13 08:00:00")
    # a row whose 更新时间 is ≤ T but whose close is after T (messy; in the export of the close's day, as a row
    # cannot hold a time after its export day): the event still does not count
    d = work_order("2024-11-06 09:00:00", "市城市管理局", tid="HX24110600000004")
    d_messy = dict(d, 办结时间="2024-12-20 08:00:00", 工单状态="已办结", 更新时间="2024-12-01 08:00:00")
    write_export(dumps, "2024-11-05", [a, b])
    write_export(dumps, "2024-11-06", [c, d])
    write_export(dumps, "2024-12-12", [a_closed, b_closed], bom=False)
    write_export(dumps, "2024-12-13", [c_late])
    write_export(dumps, "2024-12-20", [d_messy])
    fig = run(dumps, seeds)
    assert fig["work_orders"]["dispatched"] == 4
    assert fig["work_orders"]["closed"] == 1  # only b, closed exactly at T
    assert dept_row(fig, "市公安局")["closed"] == 1 and dept_row(fig, "市公安局")["work_orders"] == 2
    assert dept_row(fig, "市城市管理局")["work_orders"] == 2
    assert fig["contacts"]["by_channel"]["其他"] == 0
    # with a later cut-off the same folder sees the later rows
    late = run(dumps, seeds, as_of="2024-12-31 00:00")
    assert late["work_orders"]["closed"] == 3 and late["contacts"]["by_channel"]["其他"] == 1


def test_newest_row_wins_whatever_the_file_order(dumps, seeds):
    t = work_order("2024-11-05 08:00:00", "市公安局", tid="HX24110500000009")
    newer = dict(t, 承办单位="市城市管理局", 更新时间="2024-11-07 08:00:00")
    older_again = dict(t, 更新时间="2024-11-06 08:00:00")
    write_export(dumps, "2024-11-08", [newer])
    write_export(dumps, "2024-11-09", [older_again])  # a later export can carry an older state
    fig = run(dumps, seeds)
    assert dept_row(fig, "市城市管理局")["work_orders"] == 1
    assert not [r for r in fig["departments"] if r["name"] == "市公安局"]


# ----------------------------------------------------------------------------------------------- callbacks
def test_callbacks_of_earlier_month_tickets_under_lead_department(dumps, seeds):
    rows = [
        # received in October, called back in November: counts for November
        work_order(
            "2024-10-25 08:00:00",
            "卫生健康委员会、市公安局",
            closed="2024-10-28 08:00:00",
            callback="2024-11-02 08:00:00",
            result="满意",
        ),
        work_order(
            "2024-11-03 08:00:00",
            "市公安局",
            closed="2024-11-04 08:00:00",
            callback="2024-11-05 08:00:00",
            result="基本满意",
        ),
        work_order(
            "2024-11-03 09:00:00",
            "市公安局",
            closed="2024-11-04 08:00:00",
            callback="2024-11-05 09:00:00",
            result="不满意",
        ),
        work_order(
            "2024-11-03 10:00:00",
            "市公安局",
            closed="2024-11-04 08:00:00",
            callback="2024-11-05 10:00:00",
            result="未接通",
        ),  # not a counted result
        # received in November, called back in December (before T): not a November callback
        work_order(
            "2024-11-20 08:00:00",
            "市公安局",
            closed="2024-11-30 08:00:00",
            callback="2024-12-02 08:00:00",
            result="满意",
        ),
        # received in October, called back in October: not November's
        work_order(
            "2024-10-10 08:00:00",
            "市公安局",
            closed="2024-10-12 08:00:00",
            callback="2024-10-15 08:00:00",
            result="满意",
        ),
        # a direct answer with a callback is not a work order
        ticket("2024-11-06 08:00:00", callback="2024-11-07 08:00:00", result="满意"),
    ]
    # called back in November, then again in December before T: the state as of T holds only the newer one
    t = work_order(
        "2024-11-08 08:00:00",
        "市公安局",
        closed="2024-11-09 08:00:00",
        callback="2024-11-10 08:00:00",
        result="不满意",
        tid="HX24110800000077",
    )
    rows += [t, dict(t, 回访时间="2024-12-03 08:00:00", 回访结果="满意", 更新时间="2024-12-03 08:00:00")]
    fig = run(exports(dumps, rows), seeds)
    w = fig["work_orders"]
    assert (w["callbacks"], w["satisfied"], w["satisfaction_pct"]) == (3, 2, 66.67)
    assert fig["satisfaction_by_department"] == [
        {"rank": 1, "name": "市公安局", "callbacks": 2, "satisfied": 1, "satisfaction_pct": 50.0},
        {"rank": 2, "name": "市卫生健康委员会", "callbacks": 1, "satisfied": 1, "satisfaction_pct": 100.0},
    ]
    # callbacks after the cut-off do not count
    early = run(dumps, seeds, as_of="2024-12-01 00:00")
    assert early["work_orders"]["callbacks"] == 4  # now t's November callback is the state


# ------------------------------------------------------------------------------------- departments & ranks
def test_aliases_and_double_departments_count_under_the_canonical_lead(dumps, seeds):
    rows = [
        work_order("2024-11-05 08:00:00", "卫生健康委员会"),
        work_order("2024-11-05 09:00:00", " 市卫生健康委员会 "),
        work_order("2024-11-05 10:00:00", "昆仑经济技术开发区 管委会"),
        work_order("2024-11-05 11:00:00", "市住房和城乡建设局 市城市管理局"),
        work_order("2024-11-05 12:00:00", "住建局；市城市管理局"),
        work_order("2024-11-05 13:00:00", "某某物业公司、市公安局"),  # unknown lead: kept under its own name
        work_order("2024-11-05 14:00:00", ""),  # no department (yet)
    ]
    fig = run(exports(dumps, rows), seeds)
    got = {r["name"]: r["work_orders"] for r in fig["departments"]}
    assert got == {
        "市住房和城乡建设局": 2,
        "市卫生健康委员会": 2,
        "昆仑经济技术开发区管委会": 1,
        "未指定承办单位": 1,
        "某某物业公司": 1,
        "其他单位": 0,
    }
    assert fig["departments"][-1] == {
        "rank": 6,
        "name": "其他单位",
        "work_orders": 0,
        "closed": 0,
        "closure_rate_pct": None,
    }


def test_ranks_ties_by_canonical_name_and_others_beyond_30(dumps, seeds):
    rows = []
    # 32 departments: D00..D31 with counts 40, 39, … ; D05/D06 and the last three tie
    counts = {f"D{i:02d}": 40 - i for i in range(32)}
    counts["D06"] = counts["D05"]
    counts["D29"] = counts["D30"] = counts["D31"] = 3
    day = "2024-11-11 08:00:00"
    for name, n in reversed(counts.items()):  # file order must not matter
        for j in range(n):
            rows.append(work_order(day, name, closed="2024-11-12 08:00:00" if j else ""))
    fig = run(exports(dumps, rows), seeds)
    d = fig["departments"]
    assert [r["rank"] for r in d] == list(range(1, 32))
    assert [(r["name"], r["work_orders"]) for r in d[5:8]] == [("D05", 35), ("D06", 35), ("D07", 33)]
    assert d[29]["name"] == "D29"  # ties at the boundary: D29 < D30 < D31 by name
    assert d[30] == {"rank": 31, "name": "其他单位", "work_orders": 6, "closed": 4, "closure_rate_pct": 66.67}
    assert d[0]["closure_rate_pct"] == pct(39, 40)


def test_closure_rate_half_up_in_a_table(dumps, seeds):
    rows = [
        work_order("2024-11-11 08:00:00", "市公安局", closed="2024-11-12 08:00:00" if i < 29 else "") for i in range(32)
    ]
    fig = run(exports(dumps, rows), seeds)
    assert dept_row(fig, "市公安局")["closure_rate_pct"] == 90.63  # 29/32 = 90.625


# ------------------------------------------------------------------------------------------------- overdue
def test_overdue_both_ways_and_the_due_date_boundary(dumps, seeds):
    def wo(n, dept="市公安局", **kw):
        return work_order(f"2024-11-{n:02d} 08:00:00", dept, tid=f"HX2411{n:02d}0000000{n % 10}", **kw)

    rows = [
        wo(1, due="2024-11-12", replied="2024-11-13 09:00:00", note="部门相互推诿导致超期"),  # replied late
        wo(2, due="2024-11-12", replied="2024-11-12 23:59:59"),  # replied on the due date: on time
        wo(3, due="2024-12-11"),  # unreplied at T, due date passed (11 < 12)
        wo(4, due="2024-12-12"),  # unreplied at T, due today: not passed yet
        wo(5, due="2024-12-03"),
        wo(5, due="2024-12-03", replied="2024-12-12 10:00:01", updated="2024-12-12 10:00:01"),  # reply after T
        wo(6, due="2024-11-20", replied="2024-12-05 08:00:00", dept="卫生健康委员会 市住房和城乡建设局"),
        # no 应回复时间 but dispatched on Fri 2024-11-08: the platform's rule gives 2024-11-19
        wo(8, dispatched="2024-11-08 08:00:00", replied="2024-11-20 08:00:00"),
        wo(9, dispatched="", status="已受理"),  # not dispatched: never overdue
        ticket("2024-11-10 08:00:00", tid="HX24111000000000", due="2024-11-11"),  # not a work order
    ]
    fig = run(exports(dumps, rows), seeds)
    got = {r["ticket_id"]: r for r in fig["overdue_work_orders"]}
    assert list(got) == [
        "HX24110100000001",
        "HX24110300000003",
        "HX24110500000005",
        "HX24110600000006",
        "HX24110800000008",
    ]  # in receipt order
    assert got["HX24110100000001"] == {
        "ticket_id": "HX24110100000001",
        "departments": ["市公安局"],
        "due_date": "2024-11-12",
        "replied_date": "2024-11-13",
        "remark": "部门相互推诿导致超期",
    }
    assert got["HX24110300000003"]["replied_date"] is None
    assert got["HX24110500000005"]["replied_date"] is None  # the reply is after the cut-off
    assert got["HX24110600000006"]["departments"] == ["市卫生健康委员会", "市住房和城乡建设局"]
    assert got["HX24110800000008"]["due_date"] == "2024-11-19"
    assert fig["work_orders"]["overdue"] == 5


# ------------------------------------------------------------------------------------------------ hot spots
def test_hotspots_rollup_top10_and_mom(dumps, seeds):
    rows = []
    nov, octo = "2024-11-15 08:00:00", "2024-10-15 08:00:00"
    for l2, n in (("供暖", 3), ("物业服务", 2), ("路灯", 1)):  # 公共服务 rolls up: one hot spot of 6
        rows += [ticket(nov, l1="公共服务", l2=l2) for _ in range(n)]
    rows += [ticket(nov, l1="政务咨询", l2="联系方式查询") for _ in range(8)]
    rows += [ticket(nov, l1="社会事业", l2="薪资拖欠") for _ in range(4)]
    rows += [ticket(nov, l1="社会事业", l2="薪资拖欠", handling="无效") for _ in range(5)]  # 无效: not counted
    rows += [ticket(nov, l1=f"类{i:02d}", l2="x") for i in range(10)]  # ten hot spots of 1
    rows += [ticket(octo, l1="政务咨询", l2="联系方式查询") for _ in range(10)]
    rows += [ticket(octo, l1="公共服务", l2="供暖") for _ in range(4)]
    fig = run(exports(dumps, rows), seeds)
    h = fig["hotspots"]
    assert len(h) == 10
    assert h[:3] == [
        {"category_l1": "政务咨询", "category_l2": "联系方式查询", "count": 8, "mom_change_pct": -20.0},
        {"category_l1": "公共服务", "category_l2": None, "count": 6, "mom_change_pct": 50.0},
        {"category_l1": "社会事业", "category_l2": "薪资拖欠", "count": 4, "mom_change_pct": None},
    ]
    assert [x["category_l1"] for x in h[3:]] == [f"类{i:02d}" for i in range(7)]  # ties by name


# ------------------------------------------------------------------------------------------------- files
def test_files_bom_gb18030_empty_days_and_bad_rows(dumps, seeds):
    write_export(dumps, "2024-11-01", [ticket("2024-11-01 08:00:00")], bom=True)
    write_export(dumps, "2024-11-02", [ticket("2024-11-02 08:00:00")], bom=False)
    write_export(dumps, "2024-11-03", [ticket("2024-11-03 08:00:00")], encoding="gb18030")
    write_export(dumps, "2024-11-04", [])  # header only
    bad = [ticket("2024-11-05 08:00:00", updated="2024/11/05 08:00"), ticket("2024-11-05 09:00:00", channel="传真")]
    write_export(dumps, "2024-11-05", bad + [ticket("2024-11-05 10:00:00")])
    (dumps / "hotline_20241105.manifest.json").write_text("{}")  # manifests and other files are ignored
    (dumps / "notes.txt").write_text("x")
    problems: list[str] = []
    fig = run(dumps, seeds, problems=problems)
    assert fig["contacts"]["total"] == 4
    assert len(problems) == 2 and "更新时间" in problems[0] and "来源渠道" in problems[1]


def test_xlsx_export(dumps, seeds):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    r = work_order("2024-11-05 08:00:00", "市公安局", closed="2024-11-06 08:00:00")
    ws.append([r[h] for h in HEADERS])
    dumps.mkdir()
    wb.save(dumps / "hotline_20241106.xlsx")
    fig = run(dumps, seeds)
    assert fig["work_orders"]["closed"] == 1 and dept_row(fig, "市公安局")["work_orders"] == 1


def test_two_files_for_one_day_is_the_loaders_problem(dumps, seeds):
    write_export(dumps, "2024-11-01", [ticket("2024-11-01 08:00:00")])
    (dumps / "hotline_20241101.xlsx").write_bytes(b"")
    with pytest.raises(ValueError, match="two exports for 2024-11-01"):
        run(dumps, seeds)


def test_recompute_does_not_depend_on_generator_or_loader():
    import ast
    from pathlib import Path

    import oracle.recompute as mod

    tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not [m for m in imported if m and m.startswith(("hotline.generate", "hotline.load"))]


def test_the_product_does_not_import_the_oracle():
    """The oracle is a test asset: nothing shipped (include/, dags/) may import it, or it stops being independent."""
    import ast

    from hotline.paths import PROJECT_DIR

    offenders = []
    for path in [*(PROJECT_DIR / "include").rglob("*.py"), *(PROJECT_DIR / "dags").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        if [m for m in imported if m and (m.split(".")[0] == "oracle" or m.endswith("recompute"))]:
            offenders.append(str(path.relative_to(PROJECT_DIR)))
    assert offenders == []
