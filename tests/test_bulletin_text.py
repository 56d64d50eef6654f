"""Reading the reference bulletin back into figures (hotline.audit.parse) and checking its own arithmetic
(hotline.audit.findings)."""

from __future__ import annotations

import copy
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from hotline.audit.findings import Finding, arithmetic_findings
from hotline.audit.parse import BulletinParseError, parse_bulletin
from hotline.audit.parse import figures_only as parser_figures_only
from hotline.departments import load_aliases
from hotline.paths import PROJECT_DIR, SEEDS_DIR
from reference_figures import REFERENCE, REFERENCE_ALIASES, REFERENCE_ERRATA, figures_only

REFERENCE_PATH = PROJECT_DIR / "docs" / "reference" / "golmud-12345-bulletin-2024-11.md"
ROLLUPS = {"公共服务"}


@pytest.fixture(scope="module")
def text() -> str:
    return REFERENCE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(text) -> dict:
    return parse_bulletin(text, REFERENCE_ALIASES, rollups=ROLLUPS)


def expected_parse() -> dict:
    """REFERENCE as the parser sees it: keys the document does not print are None."""
    exp = copy.deepcopy(REFERENCE)
    exp["contacts"]["previous_total"] = None
    return exp


def without_meta(p: dict) -> dict:
    return {k: v for k, v in p.items() if k != "_printed"}


# ------------------------------------------------------------------------------------------- the reference
def test_reference_parses_to_the_written_down_figures(parsed):
    assert without_meta(parsed) == expected_parse()


@pytest.mark.skipif(not (SEEDS_DIR / "department_aliases.csv").exists(), reason="department seeds not written yet")
def test_reference_parses_the_same_with_the_repo_seeds(text):
    assert without_meta(parse_bulletin(text, load_aliases())) == expected_parse()
    assert without_meta(parse_bulletin(text)) == expected_parse()  # default: the repo's seeds


def test_representative_figures_as_printed(parsed):
    c = parsed["contacts"]
    assert (parsed["month"], parsed["as_of"]) == ("2024-11", "2024-12-12 10:00:00")
    assert c["total"] == 4151 and c["mom_change_pct"] == 2.52
    assert c["by_channel"]["工单转办"] == 1046 and c["by_channel_pct"]["工单转办"] == 25.21  # as printed (wrong)
    assert c["by_channel_pct"]["中国政府网转办"] == 0.6 and c["by_channel_pct"]["微信端转办"] == 0
    assert (c["work_order_channel_closed"], c["work_order_channel_closure_rate_pct"]) == (1041, 99.52)
    assert parsed["special_lines"] == {
        "total": 6,
        "by_category": {"环境保护": 3, "营商环境": 2, "安全生产": 1, "办不成事": 0},
    }
    assert parsed["purpose"]["total"] == 3848 and parsed["purpose"]["by_type_pct"]["求助"] == 19.8
    assert parsed["demand"]["by_category"]["城乡建设"] == 372  # "城乡\n\n建设类" across a line break
    assert parsed["demand"]["by_category"]["市场监管"] == 146  # printed without 类
    assert list(parsed["demand"]["by_category"])[-1] == "其他"
    assert parsed["work_orders"] == {
        "dispatched": 1094,
        "closed": 1088,
        "closure_rate_pct": 99.45,
        "overdue": 41,
        "callbacks": 805,
        "satisfied": 767,
        "satisfaction_pct": 95.28,
    }
    d = parsed["departments"]
    assert len(d) == 31 and d[0] == {
        "rank": 1,
        "name": "市住房和城乡建设局",
        "work_orders": 236,
        "closed": 234,
        "closure_rate_pct": 99.15,
    }
    assert d[-1] == {"rank": 31, "name": "其他单位", "work_orders": 63, "closed": 63, "closure_rate_pct": 100.0}
    s = parsed["satisfaction_by_department"]
    assert len(s) == 30 and s[6]["name"] == "市人力资源和社会保障局" and s[6]["name_printed"] == "人力资源和社会保障"
    assert s[10] == {
        "rank": 11,
        "name": "市综合行政执法局",
        "callbacks": 21,
        "satisfied": 16,
        "satisfaction_pct": 76.19,
    }
    o = {r["ticket_id"]: r for r in parsed["overdue_work_orders"]}
    assert len(o) == 41
    assert o["HX24110160350008"]["due_date"] == "2024-11-12"  # "2024 年 11 月 12 日" style
    assert o["HX24112560200019"]["replied_date"] == "2024-12-05"  # "2024年12月5日" style
    assert o["HX24110660380014"]["departments"] == ["市住房和城乡建设局", "市城市管理局"]
    assert o["HX24110760390041"]["departments"] == ["昆仑经济技术开发区管委会"]
    assert o["HX24110760390041"]["departments_printed"] == "昆仑经济技术开发区 管委会"
    assert o["HX24110960390027"]["departments"] == ["市卫生健康委员会"]
    assert o["HX24111260330054"]["remark"] == "11月22日工单超期后退回导致超期"
    assert o["HX24110160350008"]["remark"] is None
    assert [(h["category_l1"], h["category_l2"], h["count"]) for h in parsed["hotspots"]] == [
        ("政务咨询", "联系方式查询", 1254),
        ("公共服务", None, 630),
        ("社会事业", "薪资拖欠", 304),
    ]


def test_printed_precision_is_kept(parsed):
    p = parsed["_printed"]
    assert p["contacts.by_channel_pct.中国政府网转办"] == "0.6"
    assert p["contacts.by_channel_pct.微信端转办"] == "0"
    assert p["purpose.by_type_pct.求助"] == "19.8"
    assert p["departments[市公安局].closure_rate_pct"] == "100.00"


def test_figures_only_helpers_agree(parsed):
    assert parser_figures_only(parsed) == figures_only(without_meta(parsed))
    assert "by_channel_pct" not in figures_only(REFERENCE)["contacts"]


def test_previous_total_4049_is_the_only_one_giving_2_52():
    def mom(prev):
        return ((Decimal(4151) - prev) * 100 / prev).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    assert [n for n in range(3000, 4151) if mom(n) == Decimal("2.52")] == [REFERENCE["contacts"]["previous_total"]]


# ----------------------------------------------------------------------------------------- arithmetic
def test_reference_arithmetic_findings(parsed):
    findings = arithmetic_findings(parsed)
    assert findings == [
        Finding(
            "contacts.by_channel_pct.工单转办", 25.21, 25.2, "share of 工单转办: 1046/4151 = 25.20%, printed 25.21%"
        )
    ]
    assert {f.key: (f.printed, f.expected) for f in findings} == REFERENCE_ERRATA
    # 0.6% for 26/4151 (0.626…) is right at the one decimal it is printed with, and so is 19.8% for 762/3848
    assert not [f for f in findings if "中国政府网" in f.key or "求助" in f.key]


def test_findings_on_a_doctored_bulletin(text):
    doctored = (
        text.replace("3\t市公安局\t77\t77\t100.00%", "3\t市公安局\t78\t77\t100.00%")
        .replace("办结率 99.45%", "办结率 99.46%")
        .replace("共计 4151 件", "共计 4152 件")
    )
    keys = {f.key for f in arithmetic_findings(parse_bulletin(doctored, REFERENCE_ALIASES, rollups=ROLLUPS))}
    assert "departments[市公安局].closure_rate_pct" in keys  # 77/78 is not 100.00%
    assert "departments_total.work_orders" in keys  # the rows now add up to 1095
    assert "departments.work_orders" in keys  # … and the text says 1094
    assert "work_orders.closure_rate_pct" in keys
    assert "contacts.total" in keys  # the channels add up to 4151
    assert "demand.total" in keys  # 3896 ≠ 4152 − 255
    assert "contacts.by_channel_pct.工单转办" in keys


def test_mom_is_checked_when_the_previous_total_is_known(parsed):
    p = copy.deepcopy(parsed)
    p["contacts"]["previous_total"] = 4049
    assert not [f for f in arithmetic_findings(p) if f.key == "contacts.mom_change_pct"]
    p["contacts"]["previous_total"] = 4050
    f = next(f for f in arithmetic_findings(p) if f.key == "contacts.mom_change_pct")
    assert (f.printed, f.expected) == (2.52, 2.49)


def test_a_row_listed_as_overdue_that_was_not_late_is_a_finding(text):
    doctored = text.replace("2024年12月2日\t2024年12月3日", "2024年12月3日\t2024年12月3日", 1)
    keys = [f.key for f in arithmetic_findings(parse_bulletin(doctored, REFERENCE_ALIASES, rollups=ROLLUPS))]
    assert keys[-1] == "overdue_work_orders[HX24112160380023]"


# ------------------------------------------------------------------------------------- robust but strict
def test_format_variants(text):
    variant = (
        text.replace("较上月上升 2.52%", "较上月下降2.52％")
        .replace("（已办结 1041 件，办结率 99.52%）", "(已办结1041件, 办结率99.52%)")
        .replace("2024 年 11 月 12 日", "2024年11月12日")
    )
    # the closure-rate table as a Markdown pipe table
    lines = []
    for raw in variant.splitlines():
        ln = raw
        if "\t" in ln and re.match(r"^(序号|\d+\t|\t合计)", ln) and ("工单量" in ln or ln.count("\t") == 4):
            ln = "| " + " | ".join(ln.split("\t")) + " |"
            if ln.startswith("| 序号"):
                ln += "\n|---|---|---|---|---|"
        lines.append(ln)
    p = parse_bulletin("\n".join(lines), REFERENCE_ALIASES, rollups=ROLLUPS)
    assert p["contacts"]["mom_change_pct"] == -2.52
    assert p["contacts"]["work_order_channel_closure_rate_pct"] == 99.52
    exp = expected_parse()
    assert p["departments"] == exp["departments"] and p["departments_total"] == exp["departments_total"]
    assert p["overdue_work_orders"] == exp["overdue_work_orders"]


def test_hotspot_written_as_l1_slash_l2(text):
    p = parse_bulletin(
        text.replace("（三）薪资拖欠类。", "（三）社会事业/薪资拖欠类。"), REFERENCE_ALIASES, rollups=ROLLUPS
    )
    assert p["hotspots"][2]["category_l1"] == "社会事业" and p["hotspots"][2]["category_l2"] == "薪资拖欠"


@pytest.mark.parametrize(
    "old, new, section",
    [
        ("直接答复 2802 件，占比 67.5%；", "", "一、热线运行总体情况"),
        ("较上月上升 2.52%", "", "一、热线运行总体情况"),
        ("建议类 19 件，占比 0.49%；", "", "（一）目的分类"),
        ("其他类 284 件", "其他 284 万元", "（二）诉求分类"),
        ("超期工单 41 件", "超期工单若干", "（三）工单转办及办理情况"),
        ("\t合计\t1094\t1088\t", "", "各单位工单办结率排序表"),
        ("\t总计\t805\t767", "", "各单位回访满意度排序表"),
        ("截至时间：2024 年 12 月 12 日 10 时", "", "超期工单一览表"),
        ("2024 年 11 月 14 日\t2024 年 11 月 28 日", "2024 年 11 月 14 日\t下周", "超期工单一览表"),
        ("（二）公共服务类。", "（二）环境卫生类。", "三、主要热点"),
    ],
)
def test_missing_figures_raise_naming_the_section(text, old, new, section):
    assert old in text
    with pytest.raises(BulletinParseError, match=re.escape(section)):
        parse_bulletin(text.replace(old, new, 1), REFERENCE_ALIASES, rollups=ROLLUPS)
