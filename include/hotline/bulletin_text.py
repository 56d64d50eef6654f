"""Read a monthly bulletin written in the hotline office's text format back into figures, and check its arithmetic.

The format is the one of docs/reference/golmud-12345-bulletin-2024-11.md: prose sentences carrying the numbers
(with odd spacing, ``2024 年 11 月 12 日`` and ``2024年11月12日`` date styles, line breaks in the middle of
words) and tab-separated tables (``|``-delimited Markdown tables are read too).

:func:`parse_bulletin` returns the figure keys of docs/ARCHITECTURE.md plus *printed-only* keys (see
:data:`PRINTED_ONLY_KEYS`): the shares as printed (``contacts.by_channel_pct``, ``purpose.by_type_pct``),
the tables' printed total rows, names as printed where they differ from the canonical name, and
``_printed`` (dotted key -> the percentage exactly as printed, which fixes its number of decimals).
Figures the bulletin does not print are None (``contacts.previous_total``, ``hotspots[].mom_change_pct``).

:func:`arithmetic_findings` lists every printed figure that disagrees with the bulletin's own arithmetic.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path

from hotline.contract import SPECIAL_LINES
from hotline.departments import (
    as_alias_map,
    canonical_name,
    load_aliases,
    split_departments,
)
from hotline.recompute import (
    CHANNEL_KEYS,
    DEMAND_OTHER,
    OTHER_DEPARTMENTS,
    PURPOSE_KEYS,
    load_rollups,
    rate,
)

#: How the office titles hot spots that are not a whole level-1 category: label -> (一级分类, 二级分类).
#: A label that is a level-1 category of ``hotspot_rollups.csv`` needs no entry (it is (label, None)); a
#: label written ``一级/二级`` or ``一级（二级）`` needs none either.
HOTSPOT_LABELS: dict[str, tuple[str, str | None]] = {
    "政务咨询": ("政务咨询", "联系方式查询"),
    "薪资拖欠": ("社会事业", "薪资拖欠"),
}

#: Keys parse_bulletin returns that are not figure keys (they exist only in the printed document).
PRINTED_ONLY_KEYS = (
    "_printed",
    "contacts.by_channel_pct",
    "purpose.by_type_pct",
    "departments_total",
    "satisfaction_total",
    "departments[].name_printed",
    "satisfaction_by_department[].name_printed",
    "overdue_work_orders[].departments_printed",
    "hotspots[].label_printed",
)

_NUM = r"(\d+(?:\.\d+)?)"
_CN_DIGITS = "一二三四五六七八九十"


class BulletinParseError(ValueError):
    """A required figure could not be found; the message names the section."""


@dataclass(frozen=True)
class Finding:
    key: str
    printed: object
    expected: object
    message: str


# ------------------------------------------------------------------------------------------------ helpers
def _flatten(text: str) -> str:
    """All whitespace removed, ASCII punctuation mapped to the full-width forms the office uses."""
    flat = re.sub(r"\s+", "", text)
    return flat.translate(str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；", "％": "%"}))


def _need(pattern: str, text: str, section: str, what: str) -> re.Match:
    m = re.search(pattern, text)
    if not m:
        raise BulletinParseError(f"{section}: cannot find {what}")
    return m


def _section(flat: str, start: str, end: str, name: str, pos: int = 0) -> tuple[str, int]:
    """The flat text from the first match of ``start`` (at or after ``pos``) to the next match of ``end``."""
    m = re.compile(start).search(flat, pos)
    if not m:
        raise BulletinParseError(f"{name}: section not found (looked for {start!r})")
    e = re.compile(end).search(flat, m.end())
    stop = e.start() if e else len(flat)
    return flat[m.end():stop], stop


def _iso_date(text: str) -> str | None:
    m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", re.sub(r"\s+", "", text))
    if not m:
        m = re.search(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


def _pct(printed: str) -> float:
    return float(Decimal(printed))


def _decimals(printed: str) -> int:
    return len(printed.split(".", 1)[1]) if "." in printed else 0


def _table_rows(lines: list[str], title: str, section: str) -> list[list[str]]:
    """Data rows (cells stripped, header row dropped) of the table whose title line matches ``title``."""
    title_re = re.compile(title)
    start = next((i for i, ln in enumerate(lines) if title_re.search(re.sub(r"\s+", "", ln))), None)
    if start is None:
        raise BulletinParseError(f"{section}: table not found (looked for {title!r})")
    rows: list[list[str]] = []
    for ln in lines[start + 1:]:
        if not ln.strip():
            continue
        if "\t" in ln:
            cells = [c.strip() for c in ln.split("\t")]
        elif ln.lstrip().startswith("|"):
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
        else:
            if rows:
                break
            if re.match(r"^#|^[（(][一二三四五六七八九十]+[）)]|^[一二三四五六七八九十]+、", ln.strip()):
                break  # the next heading: the table has no rows
            continue  # a caption between the title and the table (e.g. 截至时间)
        rows.append(cells)
    if not rows or not rows[0] or re.sub(r"\s+", "", rows[0][0]) != "序号":
        raise BulletinParseError(f"{section}: table header (序号 …) not found under its title")
    return rows[1:]


def _int(cell: str, section: str, what: str) -> int:
    c = re.sub(r"\s+", "", cell).replace(",", "")
    if not re.fullmatch(r"\d+", c):
        raise BulletinParseError(f"{section}: {what} is not a whole number: {cell!r}")
    return int(c)


def _pct_cell(cell: str, section: str, what: str) -> str:
    c = re.sub(r"\s+", "", cell).replace("％", "%")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%?", c)
    if not m:
        raise BulletinParseError(f"{section}: {what} is not a percentage: {cell!r}")
    return m.group(1)


# ------------------------------------------------------------------------------------------------- parser
def parse_bulletin(text: str, aliases: Mapping[str, str] | None = None, *, rollups: set[str] | None = None,
                   hotspot_labels: Mapping[str, tuple[str, str | None]] | None = None) -> dict:
    """Figures of a bulletin in the office's text format (see the module docstring).

    ``aliases``: department alias table (default: the repo's seeds; names are kept as printed, whitespace
    removed, if the seeds are missing). ``rollups``: level-1 categories reported as one hot spot (default:
    ``hotspot_rollups.csv``). ``hotspot_labels``: extra hot-spot titles, see :data:`HOTSPOT_LABELS`.
    """
    if aliases is None:
        try:
            aliases = load_aliases()
        except FileNotFoundError:
            aliases = {}
    amap = as_alias_map(aliases)
    if rollups is None:
        try:
            rollups = load_rollups()
        except FileNotFoundError:
            rollups = set()
    labels = {**HOTSPOT_LABELS, **(hotspot_labels or {})}
    flat = _flatten(text)
    lines = text.splitlines()
    printed: dict[str, str] = {}
    out: dict = {}

    # --- 一、热线运行总体情况
    sec = "一、热线运行总体情况"
    s1, pos = _section(flat, r"热线运行总体情况", r"诉求类别|目的分类", sec)
    m = re.search(r"(\d{4})年(\d{1,2})月份?", s1) or re.search(r"月通报（(\d{4})年(\d{1,2})月）", flat)
    if not m:
        raise BulletinParseError(f"{sec}: cannot find the month (2024 年 11 月份)")
    out["month"] = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    m = _need(r"截至时间：(\d{4})年(\d{1,2})月(\d{1,2})日(\d{1,2})(?:时|点|：)(?:(\d{1,2})分?)?", flat,
              "超期工单一览表", "the cut-off (截至时间：…年…月…日…时)")
    y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups())
    out["as_of"] = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:00"

    contacts: dict = {}
    contacts["total"] = int(_need(r"共计(\d+)件", s1, sec, "the total (共计 N 件)").group(1))
    contacts["previous_total"] = None  # not printed
    m = re.search(r"较上月(上升|增长|增加|下降|减少)" + _NUM + "%", s1)
    if m:
        printed["contacts.mom_change_pct"] = m.group(2)
        contacts["mom_change_pct"] = _pct(m.group(2)) * (-1 if m.group(1) in ("下降", "减少") else 1)
    elif "较上月持平" in s1:
        printed["contacts.mom_change_pct"] = "0"
        contacts["mom_change_pct"] = 0.0
    else:
        raise BulletinParseError(f"{sec}: cannot find the month-over-month change (较上月上升/下降 x%)")
    patterns = {
        "中国政府网转办": r"中国政府网转办",
        "省州系统转办": r"省州系统转办",
        "微信端转办": r"微信端?转办",
        "直接答复": r"直接答复",
        "工单转办": r"工单转办",
        "其他": r"其他(?:（[^）]*）)?",
    }
    by_channel, by_channel_pct = {}, {}
    for key in CHANNEL_KEYS:
        m = _need(patterns[key] + r"(\d+)件，?占比" + _NUM + "%", s1, sec, f"{key} (… 件，占比 …%)")
        by_channel[key], by_channel_pct[key] = int(m.group(1)), _pct(m.group(2))
        printed[f"contacts.by_channel_pct.{key}"] = m.group(2)
        if key == "工单转办":
            wm = _need(r"已办结(\d+)件，?办结率" + _NUM + "%", s1[m.end():], sec,
                       "工单转办's closure (已办结 N 件，办结率 x%)")
    contacts["by_channel"] = by_channel
    contacts["by_channel_pct"] = by_channel_pct
    contacts["work_order_channel_closed"] = int(wm.group(1))
    contacts["work_order_channel_closure_rate_pct"] = _pct(wm.group(2))
    printed["contacts.work_order_channel_closure_rate_pct"] = wm.group(2)
    out["contacts"] = contacts

    sl_total = int(_need(r"专线共接听(?:电话)?(\d+)件", s1, sec, "the special lines (专线共接听电话 N 件)").group(1))
    sl = {c: int(_need(c + r"类?(\d+)件", s1, sec, f"special line {c}").group(1)) for c in SPECIAL_LINES}
    out["special_lines"] = {"total": sl_total, "by_category": sl}

    # --- （一）目的分类
    sec = "（一）目的分类"
    s2, pos = _section(flat, r"目的分类", r"诉求分类", sec, pos)
    p_total = int(_need(r"有效诉求(\d+)件", s2, sec, "有效诉求 N 件").group(1))
    by_type, by_type_pct = {}, {}
    for key in PURPOSE_KEYS:
        m = _need(key + r"类(?:（[^）]*）)?(\d+)件，?占比" + _NUM + "%", s2, sec, f"{key}类 (… 件，占比 …%)")
        by_type[key], by_type_pct[key] = int(m.group(1)), _pct(m.group(2))
        printed[f"purpose.by_type_pct.{key}"] = m.group(2)
    out["purpose"] = {"total": p_total, "by_type": by_type, "by_type_pct": by_type_pct}

    # --- （二）诉求分类
    sec = "（二）诉求分类"
    s3, pos = _section(flat, r"诉求分类", r"工单转办及办理情况", sec, pos)
    d_total = int(_need(r"共[^。]*?(\d+)件", s3, sec, "the total (共接听…N 件)").group(1))
    items = _need(r"主要体现在(.+?)。", s3, sec, "the category list (主要体现在 …。)").group(1)
    demand: dict[str, int] = {}
    for item in re.split(r"[，、；]", items):
        if not item:
            continue
        m = re.fullmatch(r"(.+?)类?(\d+)件", item)
        if not m:
            raise BulletinParseError(f"{sec}: cannot read {item!r} as 'category N 件'")
        demand[m.group(1)] = int(m.group(2))
    if DEMAND_OTHER not in demand:
        raise BulletinParseError(f"{sec}: no 其他类 in the category list")
    demand[DEMAND_OTHER] = demand.pop(DEMAND_OTHER)  # last, like the figures
    out["demand"] = {"total": d_total, "by_category": demand}

    # --- （三）工单转办及办理情况
    sec = "（三）工单转办及办理情况"
    s4, pos = _section(flat, r"工单转办及办理情况", r"办结率排序表", sec, pos)
    wo: dict = {}
    wo["dispatched"] = int(_need(r"工单(\d+)件", s4, sec, "the work orders (转派各类工单 N 件)").group(1))
    wo["closed"] = int(_need(r"已办结(\d+)件", s4, sec, "已办结 N 件").group(1))
    m = _need(r"办结率" + _NUM + "%", s4, sec, "办结率 x%")
    wo["closure_rate_pct"] = _pct(m.group(1))
    printed["work_orders.closure_rate_pct"] = m.group(1)
    wo["overdue"] = int(_need(r"超期工单(\d+)件", s4, sec, "超期工单 N 件").group(1))
    m = re.search(r"(\d+)件工单进行了?回访", s4) or _need(r"回访(?:工单)?(\d+)件", s4, sec,
                                                        "the callbacks (对其中 N 件工单进行了回访)")
    wo["callbacks"] = int(m.group(1))
    wo["satisfied"] = None  # printed only as the satisfaction table's total, filled below
    m = _need(r"满意率" + _NUM + "%", s4, sec, "回访满意率 x%")
    wo["satisfaction_pct"] = _pct(m.group(1))
    printed["work_orders.satisfaction_pct"] = m.group(1)
    out["work_orders"] = wo

    # --- tables
    sec = "各单位工单办结率排序表"
    dept_rows, total_row = [], None
    for cells in _table_rows(lines, r"办结率排序表", sec):
        cells = (cells + [""] * 5)[:5]
        name_cell = re.sub(r"\s+", "", cells[1])
        if not cells[0] and name_cell in ("合计", "总计"):
            total_row = {"work_orders": _int(cells[2], sec, "合计 工单量"),
                         "closed": _int(cells[3], sec, "合计 办结量")}
            continue
        rank = _int(cells[0], sec, "序号")
        dep = canonical_name(cells[1], amap) if name_cell != OTHER_DEPARTMENTS else None
        name = dep.name if dep else OTHER_DEPARTMENTS
        pc = _pct_cell(cells[4], sec, f"{name} 办结率")
        row = {"rank": rank, "name": name, "work_orders": _int(cells[2], sec, f"{name} 工单量"),
               "closed": _int(cells[3], sec, f"{name} 办结量"), "closure_rate_pct": _pct(pc)}
        if clean_name(cells[1]) != name:
            row["name_printed"] = clean_name(cells[1])
        printed[f"departments[{name}].closure_rate_pct"] = pc
        dept_rows.append(row)
    if total_row is None:
        raise BulletinParseError(f"{sec}: no 合计 row")
    out["departments"] = dept_rows
    out["departments_total"] = total_row

    sec = "各单位回访满意度排序表"
    sat_rows, sat_total = [], None
    for cells in _table_rows(lines, r"回访满意度排序表", sec):
        cells = (cells + [""] * 5)[:5]
        name_cell = re.sub(r"\s+", "", cells[1])
        if not cells[0] and name_cell in ("合计", "总计"):
            sat_total = {"callbacks": _int(cells[2], sec, "总计 回访工单数量"),
                         "satisfied": _int(cells[3], sec, "总计 满意工单数量")}
            continue
        rank = _int(cells[0], sec, "序号")
        dep = canonical_name(cells[1], amap) if name_cell != OTHER_DEPARTMENTS else None
        name = dep.name if dep else OTHER_DEPARTMENTS
        pc = _pct_cell(cells[4], sec, f"{name} 满意度")
        row = {"rank": rank, "name": name, "callbacks": _int(cells[2], sec, f"{name} 回访工单数量"),
               "satisfied": _int(cells[3], sec, f"{name} 满意工单数量"), "satisfaction_pct": _pct(pc)}
        if clean_name(cells[1]) != name:
            row["name_printed"] = clean_name(cells[1])
        printed[f"satisfaction_by_department[{name}].satisfaction_pct"] = pc
        sat_rows.append(row)
    if sat_total is None:
        raise BulletinParseError(f"{sec}: no 总计 row")
    out["satisfaction_by_department"] = sat_rows
    out["satisfaction_total"] = sat_total
    wo["satisfied"] = sat_total["satisfied"]

    sec = "超期工单一览表"
    overdue = []
    for cells in _table_rows(lines, r"超期工单一览表", sec):
        cells = (cells + [""] * 6)[:6]
        _int(cells[0], sec, "序号")
        tid = re.sub(r"\s+", "", cells[1])
        if not re.fullmatch(r"HX\d{14}", tid):
            raise BulletinParseError(f"{sec}: {cells[1]!r} is not a ticket id")
        due = _iso_date(cells[3])
        if due is None:
            raise BulletinParseError(f"{sec}: {tid}: 应回复时间 {cells[3]!r} is not a date")
        replied = _iso_date(cells[4])
        if replied is None and re.sub(r"\s+", "", cells[4]) not in ("", "未回复", "-", "—", "/"):
            raise BulletinParseError(f"{sec}: {tid}: 实际回复日期 {cells[4]!r} is not a date")
        overdue.append({
            "ticket_id": tid,
            "departments": [d.name for d in split_departments(cells[2], amap)],
            "departments_printed": clean_name(cells[2], keep_spaces=True),
            "due_date": due,
            "replied_date": replied,
            "remark": cells[5].strip() or None,
        })
    out["overdue_work_orders"] = overdue

    # --- 三、主要热点
    sec = "三、主要热点"
    s5, _ = _section(flat, r"主要热点", r"热线工作动态|[四五六七八九十]、", sec, pos)
    heads = list(re.finditer(r"（[" + _CN_DIGITS + r"]+）", s5))
    if not heads:
        raise BulletinParseError(f"{sec}: no hot spots (（一）…类。…N 件) found")
    hotspots = []
    for i, h in enumerate(heads):
        chunk = s5[h.end(): heads[i + 1].start() if i + 1 < len(heads) else len(s5)]
        label = re.sub(r"(类|问题)+$", "", chunk.split("。", 1)[0])
        counts = re.findall(r"此类诉求[^0-9。]*?(\d+)件", chunk) or re.findall(r"(\d+)件", chunk)
        if not counts:
            raise BulletinParseError(f"{sec}: no count (本月热线共接到此类诉求 N 件) for hot spot {label!r}")
        l1, l2 = _hotspot_category(label, labels, rollups, sec)
        hotspots.append({"category_l1": l1, "category_l2": l2, "count": int(counts[-1]),
                         "mom_change_pct": None, "label_printed": label})
    out["hotspots"] = hotspots
    out["_printed"] = printed
    return out


def clean_name(text: str, keep_spaces: bool = False) -> str:
    return re.sub(r"\s+", " ", text).strip() if keep_spaces else re.sub(r"\s+", "", text)


def _hotspot_category(label: str, labels: Mapping, rollups: set[str], sec: str) -> tuple[str, str | None]:
    m = re.fullmatch(r"(.+?)(?:/|／|-|－|—|（)(.+?)）?", label)
    if m:
        return m.group(1), m.group(2)
    if label in labels:
        return tuple(labels[label])
    if label in rollups:
        return label, None
    raise BulletinParseError(
        f"{sec}: cannot tell which category the hot spot {label!r} is (not in hotspot_rollups.csv nor in "
        "HOTSPOT_LABELS; write it as 一级/二级 or pass hotspot_labels)")


def parse_bulletin_file(path: Path | str, aliases: Mapping[str, str] | None = None, **kw) -> dict:
    return parse_bulletin(Path(path).read_text(encoding="utf-8-sig"), aliases, **kw)


def figures_only(parsed: dict) -> dict:
    """``parsed`` without the printed-only keys (:data:`PRINTED_ONLY_KEYS`)."""
    out = {k: v for k, v in parsed.items() if k not in ("_printed", "departments_total", "satisfaction_total")}
    out["contacts"] = {k: v for k, v in parsed["contacts"].items() if k != "by_channel_pct"}
    out["purpose"] = {k: v for k, v in parsed["purpose"].items() if k != "by_type_pct"}
    for key, extra in (("departments", "name_printed"), ("satisfaction_by_department", "name_printed"),
                       ("overdue_work_orders", "departments_printed"), ("hotspots", "label_printed")):
        out[key] = [{k: v for k, v in row.items() if k != extra} for row in parsed[key]]
    return out


# --------------------------------------------------------------------------------------------- arithmetic
def arithmetic_findings(parsed: dict) -> list[Finding]:
    """Every printed figure that disagrees with the bulletin's own arithmetic.

    Rates are recomputed from their printed numerator and denominator, half-up, at the number of decimals
    they are printed with (``0.6%`` for 26/4151 is right, ``25.21%`` for 1046/4151 is not: 25.20).
    """
    printed = parsed.get("_printed", {})
    findings: list[Finding] = []

    def check_rate(key: str, value, num: int, den: int, what: str) -> None:
        if value is None:
            return
        text = printed.get(key)
        places = _decimals(text) if text is not None else 2
        shown = Decimal(text) if text is not None else Decimal(str(value))
        expected = rate(num, den, places)
        if expected is None:
            if shown != 0:
                findings.append(Finding(key, float(shown), None, f"{what}: {num}/{den} has no rate"))
        elif shown != expected:
            findings.append(Finding(key, float(shown), float(expected),
                                    f"{what}: {num}/{den} = {expected}%, printed {text or value}%"))

    def check_eq(key: str, printed_value, expected, what: str) -> None:
        if printed_value is not None and expected is not None and printed_value != expected:
            findings.append(Finding(key, printed_value, expected, what))

    c = parsed["contacts"]
    ch = c["by_channel"]
    check_eq("contacts.total", c["total"], sum(ch.values()),
             f"the channels add up to {sum(ch.values())}, the total is printed as {c['total']}")
    for k, v in c.get("by_channel_pct", {}).items():
        check_rate(f"contacts.by_channel_pct.{k}", v, ch[k], c["total"], f"share of {k}")
    check_rate("contacts.work_order_channel_closure_rate_pct", c["work_order_channel_closure_rate_pct"],
               c["work_order_channel_closed"], ch["工单转办"], "工单转办 closure rate")
    if c.get("previous_total") is not None and c.get("mom_change_pct") is not None:
        key = "contacts.mom_change_pct"
        text = printed.get(key)
        places = _decimals(text) if text is not None else 2
        prev = c["previous_total"]
        if prev:
            exp = ((Decimal(c["total"]) - prev) * 100 / Decimal(prev)).quantize(Decimal(1).scaleb(-places),
                                                                                 rounding=ROUND_HALF_UP)
            if Decimal(str(c["mom_change_pct"])) != exp:
                findings.append(Finding(key, c["mom_change_pct"], float(exp),
                                        f"change vs previous month {prev}: {exp}%, printed {c['mom_change_pct']}%"))

    s = parsed["special_lines"]
    check_eq("special_lines.total", s["total"], sum(s["by_category"].values()),
             f"the special lines add up to {sum(s['by_category'].values())}")

    p = parsed["purpose"]
    check_eq("purpose.total", p["total"], sum(p["by_type"].values()),
             f"the purposes add up to {sum(p['by_type'].values())}")
    check_eq("purpose.total", p["total"], ch["直接答复"] + ch["工单转办"],
             f"有效诉求 should be the valid phone contacts 直接答复 + 工单转办 = {ch['直接答复'] + ch['工单转办']}")
    for k, v in p.get("by_type_pct", {}).items():
        check_rate(f"purpose.by_type_pct.{k}", v, p["by_type"][k], p["total"], f"share of {k}类")

    d = parsed["demand"]
    dsum = sum(d["by_category"].values())
    check_eq("demand.total", d["total"], dsum, f"the demand categories add up to {dsum}")
    check_eq("demand.total", d["total"], c["total"] - ch["其他"],
             f"all valid contacts should be total − 其他(无效) = {c['total'] - ch['其他']}")

    w = parsed["work_orders"]
    wsum = ch["中国政府网转办"] + ch["省州系统转办"] + ch["微信端转办"] + ch["工单转办"]
    check_eq("work_orders.dispatched", w["dispatched"], wsum,
             f"work orders should be the three transfer channels + phone 工单转办 = {wsum}")
    check_rate("work_orders.closure_rate_pct", w["closure_rate_pct"], w["closed"], w["dispatched"], "closure rate")
    if w.get("satisfied") is not None:
        check_rate("work_orders.satisfaction_pct", w["satisfaction_pct"], w["satisfied"], w["callbacks"],
                   "satisfaction rate")

    def check_table(key, rows, total, n_key, k_key, r_key, total_n, total_k, what):
        n_sum, k_sum = sum(r[n_key] for r in rows), sum(r[k_key] for r in rows)
        if total is not None:
            check_eq(f"{key}_total.{n_key}", total[n_key], n_sum, f"the {what} rows add up to {n_sum}")
            check_eq(f"{key}_total.{k_key}", total[k_key], k_sum, f"the {what} rows add up to {k_sum}")
        check_eq(f"{key}.{n_key}", n_sum, total_n, f"the {what} rows add up to {n_sum}, the text says {total_n}")
        check_eq(f"{key}.{k_key}", k_sum, total_k, f"the {what} rows add up to {k_sum}, the text says {total_k}")
        for i, r in enumerate(rows, start=1):
            check_rate(f"{key}[{r['name']}].{r_key}", r[r_key], r[k_key], r[n_key], f"{r['name']} {what}")
            if r["rank"] != i:
                findings.append(Finding(f"{key}[{r['name']}].rank", r["rank"], i,
                                        f"{what} row {i} is numbered {r['rank']}"))
        named = [r for r in rows if r["name"] != OTHER_DEPARTMENTS]
        for a, b in pairwise(named):
            if b[n_key] > a[n_key]:
                findings.append(Finding(f"{key}[{b['name']}].rank", b["rank"], None,
                                        f"{what}: {b['name']} ({b[n_key]}) ranks below {a['name']} ({a[n_key]})"))

    check_table("departments", parsed["departments"], parsed.get("departments_total"), "work_orders", "closed",
                "closure_rate_pct", w["dispatched"], w["closed"], "closure-rate table")
    check_table("satisfaction_by_department", parsed["satisfaction_by_department"],
                parsed.get("satisfaction_total"), "callbacks", "satisfied", "satisfaction_pct", w["callbacks"],
                w["satisfied"], "satisfaction table")

    od = parsed["overdue_work_orders"]
    check_eq("work_orders.overdue", w["overdue"], len(od), f"the overdue table lists {len(od)} work orders")
    cutoff_date = (parsed.get("as_of") or "")[:10]
    for r in od:
        late = (r["replied_date"] > r["due_date"]) if r["replied_date"] else (cutoff_date > r["due_date"])
        if not late:
            findings.append(Finding(f"overdue_work_orders[{r['ticket_id']}]", r["replied_date"], None,
                                    f"{r['ticket_id']} is listed as overdue but was not late (due {r['due_date']}, "
                                    f"replied {r['replied_date'] or 'not yet'}, cut-off {cutoff_date})"))

    for h in parsed.get("hotspots", []):
        l1_count = d["by_category"].get(h["category_l1"])
        if l1_count is None:
            continue
        key = f"hotspots[{h['category_l1']}/{h['category_l2'] or ''}].count"
        if h["category_l2"] is None and h["count"] != l1_count:
            findings.append(Finding(key, h["count"], l1_count,
                                    f"hot spot {h['category_l1']} is the whole category, printed {l1_count} above"))
        elif h["category_l2"] is not None and h["count"] > l1_count:
            findings.append(Finding(key, h["count"], None,
                                    f"hot spot {h['category_l1']}/{h['category_l2']} exceeds its category's "
                                    f"{l1_count}"))
    return findings
