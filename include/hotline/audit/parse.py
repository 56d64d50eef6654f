"""Read a monthly bulletin written in the hotline office's text format back into figures.

The format is the one of docs/reference/golmud-12345-bulletin-2024-11.md: prose sentences carrying the numbers
(with odd spacing, ``2024 年 11 月 12 日`` and ``2024年11月12日`` date styles, line breaks in the middle of
words) and tab-separated tables (``|``-delimited Markdown tables are read too). The project's own bulletin
(``hotline.publish.bulletin``) is read too, with what it prints beyond the reference: the purpose and category
tables (``demand.by_category_pct``), the rates of the tables' total rows, the hot spots' change on the previous
month and the performance annex (``department_performance``). :func:`hotline.audit.documents.bulletin_text`
turns a ``.docx`` or ``.html`` bulletin into this text format.

:func:`parse_bulletin` returns the figure keys of docs/ARCHITECTURE.md plus *printed-only* keys (see
:data:`PRINTED_ONLY_KEYS`): the shares as printed (``contacts.by_channel_pct``, ``purpose.by_type_pct``),
the tables' printed total rows, names as printed where they differ from the canonical name, and
``_printed`` (dotted key -> the percentage exactly as printed, which fixes its number of decimals).
Figures the bulletin does not print are None (``contacts.previous_total``, ``hotspots[].mom_change_pct`` in the
reference) or absent (the tables and the annex the reference does not have).

Each section of the bulletin has its reader (``_read_*``), called in the order the sections are printed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.audit.documents import bulletin_text
from hotline.audit.text import (
    NO_VALUE,
    BulletinParseError,
    clean_name,
    flat_text,
    iso_date,
    need,
    pct,
    pct_cell,
    section_text,
    table_rows,
    whole_number,
)
from hotline.contract import CHANNEL_KEYS, DEMAND_OTHER, OTHER_DEPARTMENTS, PURPOSE_KEYS, SPECIAL_LINES
from hotline.departments import as_alias_map, canonical_name, load_aliases, split_departments
from hotline.seeds import load_rollups

__all__ = [
    "BulletinParseError",
    "HOTSPOT_LABELS",
    "PRINTED_ONLY_KEYS",
    "figures_only",
    "office_hotspot_labels",
    "parse_bulletin",
    "parse_bulletin_file",
]

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
    "purpose_table",
    "demand_table",
    "department_performance[].name_printed",
)

_NUM = r"(\d+(?:\.\d+)?)"
_CN_DIGITS = "一二三四五六七八九十"


@dataclass
class _Text:
    """A bulletin's text as the section readers see it."""

    flat: str
    lines: list[str]
    amap: Mapping[str, str]
    printed: dict[str, str]


def parse_bulletin(
    text: str,
    aliases: Mapping[str, str] | None = None,
    *,
    rollups: set[str] | None = None,
    hotspot_labels: Mapping[str, tuple[str, str | None]] | None = None,
) -> dict[str, Any]:
    """Figures of a bulletin in the office's text format (see the module docstring).

    ``aliases``: department alias table (default: the repo's seeds; names are kept as printed, whitespace
    removed, if the seeds are missing). ``rollups``: level-1 categories reported as one hot spot (default:
    ``hotspot_rollups.csv``). ``hotspot_labels``: extra hot-spot titles, see :data:`HOTSPOT_LABELS` (the office's
    headings of ``hotspot_labels.csv`` are known too).
    """
    if aliases is None:
        try:
            aliases = load_aliases()
        except FileNotFoundError:
            aliases = {}
    if rollups is None:
        try:
            rollups = load_rollups()
        except FileNotFoundError:
            rollups = set()
    labels = {**HOTSPOT_LABELS, **office_hotspot_labels(), **(hotspot_labels or {})}
    t = _Text(flat=flat_text(text), lines=text.splitlines(), amap=as_alias_map(aliases), printed={})
    out: dict[str, Any] = {}
    pos = _read_overview(t, out)
    pos = _read_purpose(t, out, pos)
    pos = _read_demand(t, out, pos)
    pos = _read_work_orders(t, out, pos)
    _read_closure_table(t, out)
    _read_satisfaction_table(t, out)
    _read_overdue_table(t, out)
    _read_performance_annex(t, out)
    _read_hotspots(t, out, pos, labels, rollups)
    out["_printed"] = t.printed
    return out


_OVERVIEW = "一、热线运行总体情况"

#: How the overview names each channel (contacts.by_channel keys).
_CHANNEL_PATTERNS = {
    "中国政府网转办": r"中国政府网转办",
    "省州系统转办": r"省州系统转办",
    "微信端转办": r"微信端?转办",
    "直接答复": r"直接答复",
    "工单转办": r"工单转办",
    "其他": r"其他(?:（[^）]*）)?",
}


def _read_overview(t: _Text, out: dict[str, Any]) -> int:
    """一、热线运行总体情况: the month, the cut-off, the contacts by channel, the special lines."""
    s1, pos = section_text(t.flat, r"热线运行总体情况", r"诉求类别|目的分类", _OVERVIEW)
    _read_period(t, out, s1)
    out["contacts"] = _read_contacts(t, s1)
    out["special_lines"] = _read_special_lines(s1)
    return pos


def _read_period(t: _Text, out: dict[str, Any], s1: str) -> None:
    """The month (in the overview, or the title) and the cut-off (printed above the overdue table)."""
    m = re.search(r"(\d{4})年(\d{1,2})月份?", s1) or re.search(r"月通报（(\d{4})年(\d{1,2})月）", t.flat)
    if not m:
        raise BulletinParseError(f"{_OVERVIEW}: cannot find the month (2024 年 11 月份)")
    out["month"] = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    m = need(
        r"截至时间：(\d{4})年(\d{1,2})月(\d{1,2})日(\d{1,2})(?:时|点|：)(?:(\d{1,2})分?)?",
        t.flat,
        "超期工单一览表",
        "the cut-off (截至时间：…年…月…日…时)",
    )
    y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups())
    out["as_of"] = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:00"


def _read_contacts(t: _Text, s1: str) -> dict[str, Any]:
    """The contacts: the total, its change on the previous month, every channel with its share, and the phone
    work orders' closure."""
    contacts: dict[str, Any] = {
        "total": int(need(r"共计(\d+)件", s1, _OVERVIEW, "the total (共计 N 件)").group(1)),
        "previous_total": None,
    }  # not printed
    contacts["mom_change_pct"] = _read_contacts_mom(t, s1)
    by_channel, by_channel_pct = {}, {}
    for key in CHANNEL_KEYS:
        m = need(_CHANNEL_PATTERNS[key] + r"(\d+)件，?占比" + _NUM + "%", s1, _OVERVIEW, f"{key} (… 件，占比 …%)")
        by_channel[key], by_channel_pct[key] = int(m.group(1)), pct(m.group(2))
        t.printed[f"contacts.by_channel_pct.{key}"] = m.group(2)
        if key == "工单转办":
            wm = need(
                r"已办结(\d+)件，?办结率" + _NUM + "%",
                s1[m.end() :],
                _OVERVIEW,
                "工单转办's closure (已办结 N 件，办结率 x%)",
            )
    contacts["by_channel"] = by_channel
    contacts["by_channel_pct"] = by_channel_pct
    contacts["work_order_channel_closed"] = int(wm.group(1))
    contacts["work_order_channel_closure_rate_pct"] = pct(wm.group(2))
    t.printed["contacts.work_order_channel_closure_rate_pct"] = wm.group(2)
    return contacts


def _read_contacts_mom(t: _Text, s1: str) -> float:
    """较上月上升/下降 x% (signed) or 较上月持平."""
    m = re.search(r"较上月(上升|增长|增加|下降|减少)" + _NUM + "%", s1)
    if m:
        t.printed["contacts.mom_change_pct"] = m.group(2)
        return pct(m.group(2)) * (-1 if m.group(1) in ("下降", "减少") else 1)
    if "较上月持平" in s1:
        t.printed["contacts.mom_change_pct"] = "0"
        return 0.0
    raise BulletinParseError(f"{_OVERVIEW}: cannot find the month-over-month change (较上月上升/下降 x%)")


def _read_special_lines(s1: str) -> dict[str, Any]:
    total = int(need(r"专线共接听(?:电话)?(\d+)件", s1, _OVERVIEW, "the special lines (专线共接听电话 N 件)").group(1))
    by_category = {c: int(need(c + r"类?(\d+)件", s1, _OVERVIEW, f"special line {c}").group(1)) for c in SPECIAL_LINES}
    return {"total": total, "by_category": by_category}


def _share_table(t: _Text, title: str, header: str, sec: str, strip_suffix: str = "") -> dict[str, Any] | None:
    """A two-column count/share table (目的分类一览表, 诉求分类一览表) if the bulletin prints one: printed counts,
    shares (their text in ``t.printed`` under ``<key>.pct.<name>``) and the 合计 row."""
    rows = table_rows(t.lines, title, sec, first_header=header, optional=True)
    if rows is None:
        return None
    table: dict[str, Any] = {"counts": {}, "pct": {}, "total": None, "total_pct": None}
    for raw in rows:
        cells = (raw + [""] * 3)[:3]
        name = clean_name(cells[0])
        if name in ("合计", "总计"):
            table["total"] = whole_number(cells[1], sec, f"{name} 数量")
            if re.sub(r"\s+", "", cells[2]) not in NO_VALUE:
                table["total_pct"] = pct_cell(cells[2], sec, f"{name} 占比")
            continue
        if strip_suffix and name.endswith(strip_suffix):
            name = name[: -len(strip_suffix)]
        table["counts"][name] = whole_number(cells[1], sec, f"{name} 数量")
        table["pct"][name] = pct_cell(cells[2], sec, f"{name} 占比")
    return table


def _read_purpose(t: _Text, out: dict[str, Any], pos: int) -> int:
    """（一）目的分类: the valid contacts by purpose, and the purpose table when printed."""
    sec = "（一）目的分类"
    s2, pos = section_text(t.flat, r"目的分类", r"诉求分类", sec, pos)
    p_total = int(need(r"有效诉求(\d+)件", s2, sec, "有效诉求 N 件").group(1))
    by_type, by_type_pct = {}, {}
    for key in PURPOSE_KEYS:
        m = need(key + r"类(?:（[^）]*）)?(\d+)件，?占比" + _NUM + "%", s2, sec, f"{key}类 (… 件，占比 …%)")
        by_type[key], by_type_pct[key] = int(m.group(1)), pct(m.group(2))
        t.printed[f"purpose.by_type_pct.{key}"] = m.group(2)
    out["purpose"] = {"total": p_total, "by_type": by_type, "by_type_pct": by_type_pct}
    table = _share_table(t, r"目的分类一览表", "诉求目的", "目的分类一览表", strip_suffix="类")
    if table is not None:
        out["purpose_table"] = _printed_table(t, table, "purpose_table", "by_type")
    return pos


def _printed_table(t: _Text, table: dict[str, Any], key: str, counts_key: str) -> dict[str, Any]:
    for name, text in table["pct"].items():
        t.printed[f"{key}.{counts_key}_pct.{name}"] = text
    if table["total_pct"] is not None:
        t.printed[f"{key}.total_pct"] = table["total_pct"]
    return {
        counts_key: table["counts"],
        f"{counts_key}_pct": {k: pct(v) for k, v in table["pct"].items()},
        "total": table["total"],
        "total_pct": None if table["total_pct"] is None else pct(table["total_pct"]),
    }


def _read_demand(t: _Text, out: dict[str, Any], pos: int) -> int:
    """（二）诉求分类: the valid contacts by category, and their shares when the category table is printed."""
    sec = "（二）诉求分类"
    s3, pos = section_text(t.flat, r"诉求分类", r"工单转办及办理情况", sec, pos)
    d_total = int(need(r"共[^。]*?(\d+)件", s3, sec, "the total (共接听…N 件)").group(1))
    items = need(r"主要体现在(.+?)。", s3, sec, "the category list (主要体现在 …。)").group(1)
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
    table = _share_table(t, r"诉求分类一览表", "诉求类别", "诉求分类一览表")
    if table is not None:
        tbl = _printed_table(t, table, "demand_table", "by_category")
        out["demand"]["by_category_pct"] = tbl["by_category_pct"]
        for name, text in table["pct"].items():
            t.printed[f"demand.by_category_pct.{name}"] = text
        out["demand_table"] = tbl
    return pos


def _read_work_orders(t: _Text, out: dict[str, Any], pos: int) -> int:
    """（三）工单转办及办理情况: the work orders' sentence."""
    sec = "（三）工单转办及办理情况"
    s4, pos = section_text(t.flat, r"工单转办及办理情况", r"办结率排序表", sec, pos)
    wo: dict[str, Any] = {}
    wo["dispatched"] = int(need(r"工单(\d+)件", s4, sec, "the work orders (转派各类工单 N 件)").group(1))
    wo["closed"] = int(need(r"已办结(\d+)件", s4, sec, "已办结 N 件").group(1))
    m = need(r"办结率" + _NUM + "%", s4, sec, "办结率 x%")
    wo["closure_rate_pct"] = pct(m.group(1))
    t.printed["work_orders.closure_rate_pct"] = m.group(1)
    wo["overdue"] = int(need(r"超期工单(\d+)件", s4, sec, "超期工单 N 件").group(1))
    m = re.search(r"(\d+)件工单进行了?回访", s4) or need(
        r"回访(?:工单)?(\d+)件", s4, sec, "the callbacks (对其中 N 件工单进行了回访)"
    )
    wo["callbacks"] = int(m.group(1))
    wo["satisfied"] = None  # printed only as the satisfaction table's total, filled below
    m = need(r"满意率" + _NUM + "%", s4, sec, "回访满意率 x%")
    wo["satisfaction_pct"] = pct(m.group(1))
    t.printed["work_orders.satisfaction_pct"] = m.group(1)
    out["work_orders"] = wo
    return pos


def _ranked_table(
    t: _Text,
    title: str,
    sec: str,
    key: str,
    fields: tuple[str, str, str],
    what: tuple[str, str, str],
    total_words: tuple[str, str],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A ranked department table (序号, 单位名称, n, k, rate) and its total row (the rate when printed)."""
    n_key, k_key, r_key = fields
    rows: list[dict[str, Any]] = []
    total: dict[str, Any] | None = None
    for raw in table_rows(t.lines, title, sec):
        cells = (raw + [""] * 5)[:5]
        name_cell = re.sub(r"\s+", "", cells[1])
        if not cells[0] and name_cell in ("合计", "总计"):
            total = {
                n_key: whole_number(cells[2], sec, f"{total_words[0]} {what[0]}"),
                k_key: whole_number(cells[3], sec, f"{total_words[0]} {what[1]}"),
            }
            if re.sub(r"\s+", "", cells[4]) not in NO_VALUE:
                pc = pct_cell(cells[4], sec, f"{total_words[0]} {what[2]}")
                total[r_key] = pct(pc)
                t.printed[f"{key}_total.{r_key}"] = pc
            continue
        rank = whole_number(cells[0], sec, "序号")
        dep = canonical_name(cells[1], t.amap) if name_cell != OTHER_DEPARTMENTS else None
        name = dep.name if dep else OTHER_DEPARTMENTS
        pc = pct_cell(cells[4], sec, f"{name} {what[2]}")
        row = {
            "rank": rank,
            "name": name,
            n_key: whole_number(cells[2], sec, f"{name} {what[0]}"),
            k_key: whole_number(cells[3], sec, f"{name} {what[1]}"),
            r_key: pct(pc),
        }
        if clean_name(cells[1]) != name:
            row["name_printed"] = clean_name(cells[1])
        t.printed[f"{key}[{name}].{r_key}"] = pc
        rows.append(row)
    if total is None:
        raise BulletinParseError(f"{sec}: no {total_words[1]} row")
    return rows, total


def _read_closure_table(t: _Text, out: dict[str, Any]) -> None:
    out["departments"], out["departments_total"] = _ranked_table(
        t,
        r"办结率排序表",
        "各单位工单办结率排序表",
        "departments",
        ("work_orders", "closed", "closure_rate_pct"),
        ("工单量", "办结量", "办结率"),
        ("合计", "合计"),
    )


def _read_satisfaction_table(t: _Text, out: dict[str, Any]) -> None:
    out["satisfaction_by_department"], out["satisfaction_total"] = _ranked_table(
        t,
        r"回访满意度排序表",
        "各单位回访满意度排序表",
        "satisfaction_by_department",
        ("callbacks", "satisfied", "satisfaction_pct"),
        ("回访工单数量", "满意工单数量", "满意度"),
        ("总计", "总计"),
    )
    out["work_orders"]["satisfied"] = out["satisfaction_total"]["satisfied"]


def _read_overdue_table(t: _Text, out: dict[str, Any]) -> None:
    sec = "超期工单一览表"
    overdue = []
    for raw in table_rows(t.lines, r"超期工单一览表", sec):
        cells = (raw + [""] * 6)[:6]
        whole_number(cells[0], sec, "序号")
        tid = re.sub(r"\s+", "", cells[1])
        if not re.fullmatch(r"HX\d{14}", tid):
            raise BulletinParseError(f"{sec}: {cells[1]!r} is not a ticket id")
        due = iso_date(cells[3])
        if due is None:
            raise BulletinParseError(f"{sec}: {tid}: 应回复时间 {cells[3]!r} is not a date")
        replied = iso_date(cells[4])
        if replied is None and re.sub(r"\s+", "", cells[4]) not in ("", "未回复", "-", "—", "/"):
            raise BulletinParseError(f"{sec}: {tid}: 实际回复日期 {cells[4]!r} is not a date")
        overdue.append(
            {
                "ticket_id": tid,
                "departments": [d.name for d in split_departments(cells[2], t.amap)],
                "departments_printed": clean_name(cells[2], keep_spaces=True),
                "due_date": due,
                "replied_date": replied,
                "remark": cells[5].strip() or None,
            }
        )
    out["overdue_work_orders"] = overdue


#: The performance annex's columns (header as printed, up to its first differing character) -> (key, kind).
PERFORMANCE_COLUMNS = (
    ("单位名称", "name", "name"),
    ("工单量", "work_orders", "int"),
    ("办结量", "closed", "int"),
    ("按时办结率", "on_time_closure_rate_pct", "pct"),
    ("回退率", "return_rate_pct", "pct"),
    ("回访率", "callback_rate_pct", "pct"),
    ("超期", "overdue", "int"),
    ("月末积压", "open_backlog_month_end", "int"),
    ("回复用时中位数", "median_working_days_to_reply", "num"),
    ("回复用时90分位", "p90_working_days_to_reply", "num"),
)


_ANNEX = "附表：各单位工单办理绩效"


def _read_performance_annex(t: _Text, out: dict[str, Any]) -> None:
    """附表：各单位工单办理绩效, when printed: every department's row, by the columns' headers."""
    title_re = re.compile(r"各单位工单办理绩效")
    start = next((i for i, ln in enumerate(t.lines) if title_re.search(re.sub(r"\s+", "", ln))), None)
    if start is None:
        return
    header = next((ln for ln in t.lines[start + 1 :] if "\t" in ln or ln.lstrip().startswith("|")), None)
    if header is None:
        return
    heads, columns = _performance_columns(header)
    rows = table_rows(t.lines, title_re.pattern, _ANNEX, first_header=heads[0]) or []
    out["department_performance"] = [_performance_row(t, cells, columns) for cells in rows]


def _performance_columns(header: str) -> tuple[list[str], list[tuple[str | None, str | None]]]:
    """The annex's headers as printed and, for each, its (key, kind) in :data:`PERFORMANCE_COLUMNS`."""
    heads = [
        re.sub(r"\s+", "", c) for c in (header.split("\t") if "\t" in header else header.strip().strip("|").split("|"))
    ]
    columns: list[tuple[str | None, str | None]] = [
        next(((k, kind) for h, k, kind in PERFORMANCE_COLUMNS if head.startswith(h)), (None, None)) for head in heads
    ]
    if not heads or columns[0][0] != "name":
        raise BulletinParseError(f"{_ANNEX}: table header (单位名称 …) not found under its title")
    return heads, columns


def _performance_row(t: _Text, cells: list[str], columns: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    name_cell = clean_name(cells[0])
    dep = canonical_name(cells[0], t.amap) if name_cell != OTHER_DEPARTMENTS else None
    name = dep.name if dep else OTHER_DEPARTMENTS
    row: dict[str, Any] = {"name": name}
    # a short row leaves the last columns out (no value printed)
    for (key, kind), cell in zip(columns[1:], cells[1:], strict=False):
        if key is None:
            continue
        c = re.sub(r"\s+", "", cell)
        if kind == "int":
            row[key] = whole_number(cell, _ANNEX, f"{name} {key}")
        elif c in NO_VALUE:
            row[key] = None
        elif kind == "pct":
            pc = pct_cell(cell, _ANNEX, f"{name} {key}")
            row[key] = pct(pc)
            t.printed[f"department_performance[{name}].{key}"] = pc
        else:
            if not re.fullmatch(r"\d+(?:\.\d+)?", c):
                raise BulletinParseError(f"{_ANNEX}: {name} {key} is not a number: {cell!r}")
            row[key] = float(c)
    if name_cell != name:
        row["name_printed"] = name_cell
    return row


def _read_hotspots(
    t: _Text, out: dict[str, Any], pos: int, labels: Mapping[str, tuple[str, str | None]], rollups: set[str]
) -> None:
    """三、主要热点: each hot spot's heading (its category), count and change on the previous month."""
    sec = "三、主要热点"
    s5, _ = section_text(t.flat, r"主要热点", r"热线工作动态|[四五六七八九十]、", sec, pos)
    heads = list(re.finditer(r"（[" + _CN_DIGITS + r"]+）", s5))
    if not heads:
        raise BulletinParseError(f"{sec}: no hot spots (（一）…类。…N 件) found")
    hotspots = []
    for i, h in enumerate(heads):
        chunk = s5[h.end() : heads[i + 1].start() if i + 1 < len(heads) else len(s5)]
        label = re.sub(r"(类|问题)+$", "", chunk.split("。", 1)[0])
        counts = re.findall(r"此类诉求[^0-9。]*?(\d+)件", chunk) or re.findall(r"(\d+)件", chunk)
        if not counts:
            raise BulletinParseError(f"{sec}: no count (本月热线共接到此类诉求 N 件) for hot spot {label!r}")
        l1, l2 = _hotspot_category(label, labels, rollups, sec)
        mom = None
        m = re.search(r"此类诉求[^。]*?\d+件，?较上月(上升|增长|增加|下降|减少)" + _NUM + "%", chunk)
        if m:
            mom = pct(m.group(2)) * (-1 if m.group(1) in ("下降", "减少") else 1)
            t.printed[f"hotspots[{l1}/{l2}].mom_change_pct" if l2 else f"hotspots[{l1}].mom_change_pct"] = m.group(2)
        hotspots.append(
            {
                "category_l1": l1,
                "category_l2": l2,
                "count": int(counts[-1]),
                "mom_change_pct": mom,
                "label_printed": label,
            }
        )
    out["hotspots"] = hotspots


def office_hotspot_labels() -> dict[str, tuple[str, str | None]]:
    """The office's hot-spot headings (``hotspot_labels.csv``) as ``label -> (一级分类, 二级分类)``; empty when
    the seed is missing."""
    try:
        from hotline.publish.bulletin import load_hotspot_labels

        return {label: key for key, label in load_hotspot_labels().items()}
    except (ImportError, OSError, ValueError):
        return {}


def _hotspot_category(
    label: str, labels: Mapping[str, tuple[str, str | None]], rollups: set[str], sec: str
) -> tuple[str, str | None]:
    m = re.fullmatch(r"(.+?)(?:/|／|-|－|—|（)(.+?)）?", label)
    if m:
        return m.group(1), m.group(2)
    if label in labels:
        l1, l2 = labels[label]
        return l1, l2
    if label in rollups:
        return label, None
    raise BulletinParseError(
        f"{sec}: cannot tell which category the hot spot {label!r} is (not in hotspot_rollups.csv nor in "
        "HOTSPOT_LABELS; write it as 一级/二级 or pass hotspot_labels)"
    )


def parse_bulletin_file(path: Path | str, aliases: Mapping[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    """:func:`parse_bulletin` of a bulletin file: ``.md``/``.txt``, ``.html`` or ``.docx`` (:func:`bulletin_text`)."""
    return parse_bulletin(bulletin_text(path), aliases, **kw)


def figures_only(parsed: dict[str, Any]) -> dict[str, Any]:
    """``parsed`` without the printed-only keys (:data:`PRINTED_ONLY_KEYS`)."""
    out = {
        k: v
        for k, v in parsed.items()
        if k not in ("_printed", "departments_total", "satisfaction_total", "purpose_table", "demand_table")
    }
    out["contacts"] = {k: v for k, v in parsed["contacts"].items() if k != "by_channel_pct"}
    out["purpose"] = {k: v for k, v in parsed["purpose"].items() if k != "by_type_pct"}
    for key, extra in (
        ("departments", "name_printed"),
        ("satisfaction_by_department", "name_printed"),
        ("overdue_work_orders", "departments_printed"),
        ("hotspots", "label_printed"),
        ("department_performance", "name_printed"),
    ):
        if key in parsed:
            out[key] = [{k: v for k, v in row.items() if k != extra} for row in parsed[key]]
    return out
