"""What the office circulates: tables.xlsx (every table of the bulletin, from figures.json), a month without the
editors' narrative (refused unless allowed, then a warning on the first page), and the hot spots headed in the
office's wording (dbt_project/seeds/hotspot_labels.csv)."""

from __future__ import annotations

import copy
import json
import re
import shutil
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from conftest import AS_OF, MONTH
from hotline.errors import Refused
from hotline.paths import DBT_PROJECT_DIR, PROJECT_DIR, SEEDS_DIR
from hotline.publish import bulletin, publish_month
from hotline.publish.xlsx import NOTE, render_xlsx

SHEETS = [
    "说明",
    "总体情况",
    "来电渠道构成",
    "专线来电情况",
    "12345热线目的分类一览表",
    "12345热线诉求分类一览表",
    "各单位工单办结率排序表",
    "各单位回访满意度排序表",
    "12345热线超期工单一览表",
    "主要热点",
    "各单位工单办理绩效（附表）",
]
WARNING = "本期通报未附热线办编辑撰写的文字部分（工作动态、问题及建议、关注重点），仅含数据部分。"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def publication(tmp_path_factory, built_warehouse) -> Path:
    out = tmp_path_factory.mktemp("publish")
    publish_month(built_warehouse, MONTH, AS_OF, out)
    return out / MONTH


@pytest.fixture(scope="module")
def figures(publication) -> dict:
    return json.loads((publication / "figures.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory, figures) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "tables.xlsx"
    render_xlsx(figures, path)
    return path


@pytest.fixture(scope="module")
def wb(xlsx):
    return openpyxl.load_workbook(xlsx)


def rows(ws) -> list[list]:
    """The data rows (below the header) as values."""
    return [[c.value for c in r] for r in ws.iter_rows(min_row=2)]


def fraction(pct) -> float:
    return float(Decimal(str(pct)) / 100)


def assert_rate(cell, pct) -> None:
    """A rate of figures.json (percent) is the fraction, shown as a percentage; a null rate is an empty cell."""
    if pct is None:
        assert cell.value is None, cell.coordinate
    else:
        assert cell.value == pytest.approx(fraction(pct), abs=1e-12) and cell.number_format == "0.00%", (
            cell.coordinate,
            cell.value,
            pct,
        )


def assert_int(value, expected) -> None:
    assert type(value) is int and value == expected, (value, expected)


# ------------------------------------------------------------------------------------------------ tables.xlsx
def test_every_table_is_a_sheet_with_chinese_headers_and_a_frozen_header_row(wb):
    assert wb.sheetnames == SHEETS
    for ws in wb:
        headers = [c.value for c in ws[1]]
        assert headers and all(isinstance(h, str) and CJK.search(h) for h in headers), (ws.title, headers)
        assert ws.freeze_panes in ("A2", "B2"), ws.title  # the header row stays in view
        assert all(ws.column_dimensions[c.column_letter].width >= 6 for c in ws[1]), ws.title
    closure = wb["各单位工单办结率排序表"]
    assert [c.value for c in closure[1]] == ["序号", "单位名称", "工单量", "办结量", "办结率"]
    # a column is as wide as its longest department name (a CJK character is two columns wide)
    longest = max(len(r[1]) for r in rows(closure) if r[1])
    assert closure.column_dimensions["B"].width >= 2 * longest


def test_the_first_sheet_says_month_cut_off_and_source(wb, figures):
    about = {r[0]: r[1] for r in rows(wb["说明"])}
    assert "2024 年 11 月" in about["月份"] and MONTH in about["月份"]
    assert about["数据截至"] == datetime.fromisoformat(AS_OF) and wb["说明"]["B3"].is_date
    assert about["数据来源"] == "figures.json" and about["说明"] == NOTE and "数据仓库" in NOTE


def test_closure_and_satisfaction_tables_equal_figures_json(wb, figures):
    closure = wb["各单位工单办结率排序表"]
    data = rows(closure)
    assert len(data) == len(figures["departments"]) + 1  # + 合计
    for i, d in enumerate(figures["departments"], start=2):
        rank, name, wo, closed, _ = (c.value for c in closure[i])
        assert_int(rank, d["rank"])
        assert name == d["name"]
        assert_int(wo, d["work_orders"])
        assert_int(closed, d["closed"])
        assert_rate(closure.cell(i, 5), d["closure_rate_pct"])
    w = figures["work_orders"]
    total = closure.max_row
    assert [c.value for c in closure[total]][:4] == [None, "合计", w["dispatched"], w["closed"]]
    assert_rate(closure.cell(total, 5), w["closure_rate_pct"])
    sat = wb["各单位回访满意度排序表"]
    for i, d in enumerate(figures["satisfaction_by_department"], start=2):
        assert [c.value for c in sat[i]][:4] == [d["rank"], d["name"], d["callbacks"], d["satisfied"]]
        assert_rate(sat.cell(i, 5), d["satisfaction_pct"])
    assert [c.value for c in sat[sat.max_row]][:4] == [None, "总计", w["callbacks"], w["satisfied"]]
    # 99.52 shows as 99.52%
    ch = wb["来电渠道构成"]
    row = next(r for r in range(2, ch.max_row + 1) if ch.cell(r, 1).value == "工单转办")
    assert ch.cell(row, 5).value == 0.9952 and ch.cell(row, 5).number_format == "0.00%"


def test_channels_special_lines_purpose_demand_equal_figures_json(wb, figures):
    c = figures["contacts"]
    ch = wb["来电渠道构成"]
    assert [r[0] for r in rows(ch)] == [*c["by_channel"], "合计"]
    for i, (k, v) in enumerate(c["by_channel"].items(), start=2):
        assert_int(ch.cell(i, 2).value, v)
        assert_rate(ch.cell(i, 3), c["by_channel_pct"][k])
        if k == "工单转办":
            assert_int(ch.cell(i, 4).value, c["work_order_channel_closed"])
            assert_rate(ch.cell(i, 5), c["work_order_channel_closure_rate_pct"])
        else:
            assert ch.cell(i, 4).value is None and ch.cell(i, 5).value is None
    assert_int(ch.cell(ch.max_row, 2).value, c["total"])
    special = rows(wb["专线来电情况"])
    assert special == [[f"{k}类", v] for k, v in figures["special_lines"]["by_category"].items()] + [
        ["合计", figures["special_lines"]["total"]]
    ]
    for sheet, section, by, by_pct, suffix in (
        ("12345热线目的分类一览表", "purpose", "by_type", "by_type_pct", "类"),
        ("12345热线诉求分类一览表", "demand", "by_category", "by_category_pct", ""),
    ):
        ws, fig = wb[sheet], figures[section]
        for i, (k, v) in enumerate(fig[by].items(), start=2):
            assert ws.cell(i, 1).value == f"{k}{suffix}"
            assert_int(ws.cell(i, 2).value, v)
            assert_rate(ws.cell(i, 3), fig[by_pct][k])
        assert ws.cell(ws.max_row, 1).value == "合计" and ws.cell(ws.max_row, 2).value == fig["total"]
        assert_rate(ws.cell(ws.max_row, 3), 100)


def test_overdue_work_orders_have_dates_as_dates(wb, figures):
    ws = wb["12345热线超期工单一览表"]
    assert ws.max_row == len(figures["overdue_work_orders"]) + 1 == figures["work_orders"]["overdue"] + 1
    for i, o in enumerate(figures["overdue_work_orders"], start=2):
        seq, ticket, depts, due, replied, remark = (c.value for c in ws[i])
        assert_int(seq, i - 1)
        assert ticket == o["ticket_id"] and depts == " ".join(o["departments"]) and remark == o["remark"]
        assert ws.cell(i, 4).is_date and due.date() == date.fromisoformat(o["due_date"])
        if o["replied_date"]:
            assert ws.cell(i, 5).is_date and replied.date() == date.fromisoformat(o["replied_date"])
        else:
            assert replied is None


def test_hotspots_and_the_performance_annex_equal_figures_json(wb, figures):
    hs = wb["主要热点"]
    assert len(rows(hs)) == len(figures["hotspots"])
    for i, h in enumerate(figures["hotspots"], start=2):
        # figures keep categories: the office's label is the bulletin's heading only
        assert [c.value for c in hs[i]][:5] == [
            h["rank"],
            h["category_l1"],
            h["category_l2"],
            h["count"],
            h["previous_count"],
        ]
        assert_rate(hs.cell(i, 6), h["mom_change_pct"])
    perf = wb["各单位工单办理绩效（附表）"]
    assert perf.freeze_panes == "B2"  # the department's name stays in view
    assert len(rows(perf)) == len(figures["department_performance"])
    for i, d in enumerate(figures["department_performance"], start=2):
        v = [c.value for c in perf[i]]
        assert v[0] == d["name"]
        for col, key in ((2, "work_orders"), (3, "closed"), (7, "overdue"), (8, "open_backlog_month_end")):
            assert_int(v[col - 1], d[key])
        for col, key in ((4, "on_time_closure_rate_pct"), (5, "return_rate_pct"), (6, "callback_rate_pct")):
            assert_rate(perf.cell(i, col), d[key])
        assert v[8] == d["median_working_days_to_reply"] and v[9] == d["p90_working_days_to_reply"]


def test_headline_figures_sheet(wb, figures):
    about = {r[0]: r[1] for r in rows(wb["总体情况"])}
    w, c = figures["work_orders"], figures["contacts"]
    assert_int(about["来电总量（件）"], c["total"])
    assert_int(about["转派工单（件）"], w["dispatched"])
    assert_int(about["超期工单（件）"], w["overdue"])
    assert about["办结率"] == pytest.approx(fraction(w["closure_rate_pct"]))
    assert about["较上月变化"] == pytest.approx(fraction(c["mom_change_pct"]))


def test_null_rates_are_empty_cells(tmp_path, figures):
    f = copy.deepcopy(figures)
    f["departments"][0]["closure_rate_pct"] = None
    f["contacts"]["mom_change_pct"] = None
    f["hotspots"][0]["mom_change_pct"] = None
    render_xlsx(f, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb["各单位工单办结率排序表"]["E2"].value is None
    assert wb["主要热点"]["F2"].value is None
    assert {r[0]: r[1] for r in rows(wb["总体情况"])}["较上月变化"] is None


def test_the_same_figures_give_the_same_bytes(tmp_path, xlsx, figures):
    again = tmp_path / "again.xlsx"
    render_xlsx(json.loads(json.dumps(figures)), again)
    assert again.read_bytes() == xlsx.read_bytes()
    wb = openpyxl.load_workbook(again)
    cutoff_utc = datetime(2024, 12, 12, 2, 0)  # 10:00 Beijing time; the file's properties are UTC
    assert wb.properties.created == wb.properties.modified == cutoff_utc and wb.properties.creator == "hotline"
    with zipfile.ZipFile(again) as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 12, 12, 10, 0, 0)}
    # other figures, other bytes
    other = json.loads(json.dumps(figures))
    other["work_orders"]["overdue"] += 1
    render_xlsx(other, tmp_path / "other.xlsx")
    assert (tmp_path / "other.xlsx").read_bytes() != xlsx.read_bytes()


# ------------------------------------------------------------------------------------------------ narrative
def test_a_month_without_narrative_is_refused_before_anything_is_written(tmp_path, built_warehouse):
    empty, out = tmp_path / "narratives", tmp_path / "publish"
    empty.mkdir()
    with pytest.raises(Refused) as refused:
        publish_month(built_warehouse, MONTH, AS_OF, out, narratives_dir=empty)
    assert str(empty / f"{MONTH}.md") in str(refused.value) and "--allow-missing-narrative" in str(refused.value)
    assert not out.exists()  # not even .staging or .audit


def test_cli_has_the_flag_and_run_refuses_before_loading(tmp_path):
    from hotline.cli import app

    runner = CliRunner()
    for command in ("publish", "run"):
        res = runner.invoke(app, [command, "--help"], terminal_width=200)
        assert "--allow-missing-narrative" in res.output, res.output
    wh, out = tmp_path / "w.duckdb", tmp_path / "publish"
    res = runner.invoke(
        app, ["run", "--month", "2023-09", "--dumps", str(tmp_path), "--warehouse", str(wh), "--out", str(out)]
    )
    assert res.exit_code == 1 and "narratives/2023-09.md" in res.output, res.output
    assert not wh.exists() and not out.exists()


def test_the_demo_months_have_narratives():
    for month in ("2024-10", "2024-11"):
        n = bulletin.load_narrative(PROJECT_DIR / "narratives", month)
        assert n.source is not None and n.meta["city"] == "格尔木市", month
        for section in bulletin.PLACEHOLDER_SECTIONS:
            assert section in n.body, (month, section)
    assert "演示" in (PROJECT_DIR / "narratives" / "2024-10.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def without_narrative(tmp_path_factory, built_warehouse) -> Path:
    work = tmp_path_factory.mktemp("no_narrative")
    warehouse = work / "warehouse.duckdb"
    shutil.copy(built_warehouse, warehouse)
    wal = built_warehouse.with_name(built_warehouse.name + ".wal")
    if wal.exists():
        shutil.copy(wal, warehouse.with_name(warehouse.name + ".wal"))
    (work / "narratives").mkdir()
    publish_month(
        warehouse, MONTH, AS_OF, work / "publish", narratives_dir=work / "narratives", allow_missing_narrative=True
    )
    return work / "publish" / MONTH


def test_allowed_without_narrative_the_first_page_says_so(without_narrative):
    md = (without_narrative / "bulletin.md").read_text(encoding="utf-8")
    lines = [line for line in md.splitlines() if line.strip()]
    assert lines[0] == "# 本市 12345 政务服务便民热线 工作通报"
    assert lines[1] == f"> **{WARNING}**"  # right under the title
    assert md.count("待编辑") == len(bulletin.PLACEHOLDER_SECTIONS)
    assert "格尔木市" not in md  # the city comes from the narrative only
    html = (without_narrative / "bulletin.html").read_text(encoding="utf-8")
    assert re.search(r"<blockquote>\s*<p><strong>" + re.escape(WARNING), html)
    manifest = json.loads((without_narrative / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["narrative"] is None


def test_with_its_narrative_no_warning_and_the_city(publication):
    md = (publication / "bulletin.md").read_text(encoding="utf-8")
    assert md.startswith("# 格尔木市 12345 政务服务便民热线 工作通报\n\n2024 年第 68 期")
    assert WARNING not in md and "本市" not in md
    manifest = json.loads((publication / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["narrative"] == "narratives/2024-11.md"


# ------------------------------------------------------------------------------------------------ hot-spot labels
def test_golmud_hot_spots_are_headed_in_the_office_wording(publication, figures, without_narrative):
    top = figures["hotspots"][0]
    assert (top["category_l1"], top["category_l2"]) == ("政务咨询", "联系方式查询")
    for pub in (publication, without_narrative):
        md = (pub / "bulletin.md").read_text(encoding="utf-8")
        hot = md.split("### 三、主要热点")[1]
        assert re.findall(r"（[一二三]）(\S+?类)。", hot)[:3] == ["政务咨询类", "公共服务类", "薪资拖欠类"]
        assert "联系方式查询类" not in md


def test_the_label_seed_is_honoured_and_defaults_to_the_category(tmp_path, figures):
    narrative = bulletin.load_narrative(PROJECT_DIR / "narratives", MONTH)
    assert bulletin.load_hotspot_labels()[("政务咨询", "联系方式查询")] == "政务咨询"
    # another wording: a label for a whole level-1 hot spot (category_l2 empty); a trailing 类 is the heading's
    seed = tmp_path / "hotspot_labels.csv"
    seed.write_text("category_l1,category_l2,label\n公共服务,,物业供暖类\n", encoding="utf-8")
    labels = bulletin.load_hotspot_labels(seed)
    assert labels == {("公共服务", None): "物业供暖"}
    md = bulletin.render_markdown(figures, narrative, hotspot_labels=labels)
    hot = md.split("### 三、主要热点")[1]
    # without a label: the category (category_l2, else category_l1)
    assert re.findall(r"（[一二三]）(\S+?类)。", hot)[:3] == ["联系方式查询类", "物业供暖类", "薪资拖欠类"]
    ctx = bulletin.context(figures, narrative, hotspot_labels=labels)
    assert [h["label"] for h in ctx["hotspots"]] == ["联系方式查询", "物业供暖", "薪资拖欠"]
    assert ctx["hotspots"][1]["category_l1"] == "公共服务" and ctx["hotspots"][1]["category_l2"] is None
    # an ambiguous seed is an error, not a silent choice
    seed.write_text("category_l1,category_l2,label\n公共服务,,甲\n公共服务,,乙\n", encoding="utf-8")
    with pytest.raises(ValueError, match="labelled twice"):
        bulletin.load_hotspot_labels(seed)


def test_the_label_seed_is_a_dbt_seed(built_warehouse):
    seeds = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text(encoding="utf-8"))
    assert "hotspot_labels" in {s["name"] for s in seeds["seeds"]}
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert set(project["seeds"]["hotline"]["hotspot_labels"]["+column_types"]) == {
        "category_l1",
        "category_l2",
        "label",
    }
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        loaded = con.execute("select category_l1, category_l2, label from reference.hotspot_labels").fetchall()
    finally:
        con.close()
    assert {(l1, l2): label for l1, l2, label in loaded} == bulletin.load_hotspot_labels()
