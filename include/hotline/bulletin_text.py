"""Read a monthly bulletin written in the hotline office's text format back into figures, and check its arithmetic.

The format is the one of docs/reference/golmud-12345-bulletin-2024-11.md: prose sentences carrying the numbers
(with odd spacing, ``2024 年 11 月 12 日`` and ``2024年11月12日`` date styles, line breaks in the middle of
words) and tab-separated tables (``|``-delimited Markdown tables are read too). The project's own bulletin
(``hotline.publish.bulletin``) is read too, with what it prints beyond the reference: the purpose and category
tables (``demand.by_category_pct``), the rates of the tables' total rows, the hot spots' change on the previous
month and the performance annex (``department_performance``). :func:`bulletin_text` turns a ``.docx`` or ``.html``
bulletin into this text format (paragraphs in order, a table row a line of tab-separated cells).

:func:`parse_bulletin` returns the figure keys of docs/ARCHITECTURE.md plus *printed-only* keys (see
:data:`PRINTED_ONLY_KEYS`): the shares as printed (``contacts.by_channel_pct``, ``purpose.by_type_pct``),
the tables' printed total rows, names as printed where they differ from the canonical name, and
``_printed`` (dotted key -> the percentage exactly as printed, which fixes its number of decimals).
Figures the bulletin does not print are None (``contacts.previous_total``, ``hotspots[].mom_change_pct`` in the
reference) or absent (the tables and the annex the reference does not have).

:func:`arithmetic_findings` lists every printed figure that disagrees with the bulletin's own arithmetic.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

from hotline.contract import SPECIAL_LINES
from hotline.errors import HotlineError
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
    "purpose_table",
    "demand_table",
    "department_performance[].name_printed",
)

_NUM = r"(\d+(?:\.\d+)?)"
_CN_DIGITS = "一二三四五六七八九十"


class BulletinParseError(HotlineError, ValueError):
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


def _table_rows(lines: list[str], title: str, section: str, first_header: str = "序号",
                optional: bool = False) -> list[list[str]] | None:
    """Data rows (cells stripped, header row dropped) of the table whose title line matches ``title``.

    ``optional``: None when there is no such title or no table under it (instead of raising)."""
    title_re = re.compile(title)
    start = next((i for i, ln in enumerate(lines) if title_re.search(re.sub(r"\s+", "", ln))), None)
    if start is None:
        if optional:
            return None
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
    if optional and not rows:
        return None
    if not rows or not rows[0] or re.sub(r"\s+", "", rows[0][0]) != first_header:
        raise BulletinParseError(f"{section}: table header ({first_header} …) not found under its title")
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


_NONE = ("", "—", "-", "–", "/", "无")


# ------------------------------------------------------------------------------------------- reading files
def bulletin_text(path: Path | str) -> str:
    """The text of a bulletin file as :func:`parse_bulletin` reads it: a ``.docx`` (Word) as its paragraphs and
    table rows in document order, an ``.html`` page as its text with every table row on a line, the cells
    tab-separated; anything else (``.md``, ``.txt``) as UTF-8 text."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return docx_text(path)
    if suffix in (".html", ".htm", ".xhtml"):
        return html_text(path.read_text(encoding="utf-8-sig"))
    return path.read_text(encoding="utf-8-sig")


class _HtmlText(HTMLParser):
    BLOCKS = {"address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure",
              "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "pre",
              "section", "table", "tbody", "tfoot", "thead", "ul", "caption"}
    SKIP = {"head", "script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.text: list[str] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.skip = 0

    def flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.text)).strip()
        self.text = []
        if text:
            self.lines.append(text)

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif self.skip:
            return
        elif tag == "tr":
            self.flush()
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br":
            (self.cell if self.cell is not None else self.text).append(" " if self.cell is not None else "\n")
            if self.cell is None:
                self.flush()
        elif tag == "hr":
            self.flush()
            self.lines.append("---")
        elif tag in self.BLOCKS and self.cell is None:
            self.flush()

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif self.skip:
            return
        elif tag in ("td", "th") and self.cell is not None:
            if self.row is not None:
                self.row.append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.lines.append("\t".join(self.row))
            self.row = None
        elif tag in self.BLOCKS and self.cell is None:
            self.flush()

    def handle_data(self, data) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.row is None:
            self.text.append(data)


def html_text(html: str) -> str:
    """The text of an HTML bulletin: one line per block, each table row a line of tab-separated cells."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    parser.flush()
    return "\n".join(parser.lines)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_NOT_TEXT = {_W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr", _MC_FALLBACK}


def _docx_paragraph(p) -> str:
    """A Word paragraph's visible text (deleted and moved-away revisions left out, inserted ones in)."""
    out = []
    for el in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr", _W + "noBreakHyphen"):
        node, hidden = el.getparent(), False
        while node is not None and node is not p:
            if node.tag in _NOT_TEXT:
                hidden = True
                break
            node = node.getparent()
        if hidden:
            continue
        tag = el.tag[len(_W):]
        out.append((el.text or "") if tag == "t" else {"tab": "\t", "noBreakHyphen": "-"}.get(tag, "\n"))
    return "".join(out)


def docx_text(path: Path | str) -> str:
    """The text of a Word bulletin: its paragraphs and tables in document order, each table row a line of
    tab-separated cells (a merged cell followed by empty ones, as many as it spans)."""
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    lines: list[str] = []

    def cell_text(tc) -> str:
        parts = [_docx_paragraph(p) for p in tc.iter(_W + "p")]
        return re.sub(r"\s+", " ", " ".join(t for t in parts if t.strip())).strip()

    def walk(container) -> None:
        for el in container:
            if el.tag == _W + "p":
                lines.extend(_docx_paragraph(el).split("\n"))
            elif el.tag == _W + "tbl":
                for tr in el.iter(_W + "tr"):
                    if tr.getparent() is not el:
                        continue  # a nested table's row: its text is in its cell
                    cells: list[str] = []
                    for tc in tr.findall(_W + "tc"):
                        cells.append(cell_text(tc))
                        span = tc.find(f"{_W}tcPr/{_W}gridSpan")
                        cells.extend([""] * (int(span.get(_W + "val", "1")) - 1 if span is not None else 0))
                    lines.append("\t".join(cells))
            elif el.tag in (_W + "sdt", _W + "customXml", _W + "ins", _W + "moveTo"):
                walk(el.find(_W + "sdtContent") if el.tag == _W + "sdt" else el)

    try:
        walk(docx.Document(str(path)).element.body)
    except (KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as e:  # not a Word document
        raise BulletinParseError(f"{Path(path).name} is not a Word (.docx) document: {e}") from None
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- parser
@dataclass
class _Text:
    """A bulletin's text as the section readers see it."""
    flat: str
    lines: list[str]
    amap: Mapping[str, str]
    printed: dict[str, str]


def parse_bulletin(text: str, aliases: Mapping[str, str] | None = None, *, rollups: set[str] | None = None,
                   hotspot_labels: Mapping[str, tuple[str, str | None]] | None = None) -> dict:
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
    t = _Text(flat=_flatten(text), lines=text.splitlines(), amap=as_alias_map(aliases), printed={})
    out: dict = {}
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


def _read_overview(t: _Text, out: dict) -> int:
    """一、热线运行总体情况: the month, the cut-off, the contacts by channel, the special lines."""
    sec = "一、热线运行总体情况"
    printed, flat = t.printed, t.flat
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
    return pos


def _share_table(t: _Text, title: str, header: str, sec: str, strip_suffix: str = "") -> dict | None:
    """A two-column count/share table (目的分类一览表, 诉求分类一览表) if the bulletin prints one: printed counts,
    shares (their text in ``t.printed`` under ``<key>.pct.<name>``) and the 合计 row."""
    rows = _table_rows(t.lines, title, sec, first_header=header, optional=True)
    if rows is None:
        return None
    table: dict = {"counts": {}, "pct": {}, "total": None, "total_pct": None}
    for cells in rows:
        cells = (cells + [""] * 3)[:3]
        name = clean_name(cells[0])
        if name in ("合计", "总计"):
            table["total"] = _int(cells[1], sec, f"{name} 数量")
            if re.sub(r"\s+", "", cells[2]) not in _NONE:
                table["total_pct"] = _pct_cell(cells[2], sec, f"{name} 占比")
            continue
        if strip_suffix and name.endswith(strip_suffix):
            name = name[: -len(strip_suffix)]
        table["counts"][name] = _int(cells[1], sec, f"{name} 数量")
        table["pct"][name] = _pct_cell(cells[2], sec, f"{name} 占比")
    return table


def _read_purpose(t: _Text, out: dict, pos: int) -> int:
    """（一）目的分类: the valid contacts by purpose, and the purpose table when printed."""
    sec = "（一）目的分类"
    s2, pos = _section(t.flat, r"目的分类", r"诉求分类", sec, pos)
    p_total = int(_need(r"有效诉求(\d+)件", s2, sec, "有效诉求 N 件").group(1))
    by_type, by_type_pct = {}, {}
    for key in PURPOSE_KEYS:
        m = _need(key + r"类(?:（[^）]*）)?(\d+)件，?占比" + _NUM + "%", s2, sec, f"{key}类 (… 件，占比 …%)")
        by_type[key], by_type_pct[key] = int(m.group(1)), _pct(m.group(2))
        t.printed[f"purpose.by_type_pct.{key}"] = m.group(2)
    out["purpose"] = {"total": p_total, "by_type": by_type, "by_type_pct": by_type_pct}
    table = _share_table(t, r"目的分类一览表", "诉求目的", "目的分类一览表", strip_suffix="类")
    if table is not None:
        out["purpose_table"] = _printed_table(t, table, "purpose_table", "by_type")
    return pos


def _printed_table(t: _Text, table: dict, key: str, counts_key: str) -> dict:
    for name, text in table["pct"].items():
        t.printed[f"{key}.{counts_key}_pct.{name}"] = text
    if table["total_pct"] is not None:
        t.printed[f"{key}.total_pct"] = table["total_pct"]
    return {counts_key: table["counts"], f"{counts_key}_pct": {k: _pct(v) for k, v in table["pct"].items()},
            "total": table["total"],
            "total_pct": None if table["total_pct"] is None else _pct(table["total_pct"])}


def _read_demand(t: _Text, out: dict, pos: int) -> int:
    """（二）诉求分类: the valid contacts by category, and their shares when the category table is printed."""
    sec = "（二）诉求分类"
    s3, pos = _section(t.flat, r"诉求分类", r"工单转办及办理情况", sec, pos)
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
    table = _share_table(t, r"诉求分类一览表", "诉求类别", "诉求分类一览表")
    if table is not None:
        tbl = _printed_table(t, table, "demand_table", "by_category")
        out["demand"]["by_category_pct"] = tbl["by_category_pct"]
        for name, text in table["pct"].items():
            t.printed[f"demand.by_category_pct.{name}"] = text
        out["demand_table"] = tbl
    return pos


def _read_work_orders(t: _Text, out: dict, pos: int) -> int:
    """（三）工单转办及办理情况: the work orders' sentence."""
    sec = "（三）工单转办及办理情况"
    s4, pos = _section(t.flat, r"工单转办及办理情况", r"办结率排序表", sec, pos)
    wo: dict = {}
    wo["dispatched"] = int(_need(r"工单(\d+)件", s4, sec, "the work orders (转派各类工单 N 件)").group(1))
    wo["closed"] = int(_need(r"已办结(\d+)件", s4, sec, "已办结 N 件").group(1))
    m = _need(r"办结率" + _NUM + "%", s4, sec, "办结率 x%")
    wo["closure_rate_pct"] = _pct(m.group(1))
    t.printed["work_orders.closure_rate_pct"] = m.group(1)
    wo["overdue"] = int(_need(r"超期工单(\d+)件", s4, sec, "超期工单 N 件").group(1))
    m = re.search(r"(\d+)件工单进行了?回访", s4) or _need(r"回访(?:工单)?(\d+)件", s4, sec,
                                                        "the callbacks (对其中 N 件工单进行了回访)")
    wo["callbacks"] = int(m.group(1))
    wo["satisfied"] = None  # printed only as the satisfaction table's total, filled below
    m = _need(r"满意率" + _NUM + "%", s4, sec, "回访满意率 x%")
    wo["satisfaction_pct"] = _pct(m.group(1))
    t.printed["work_orders.satisfaction_pct"] = m.group(1)
    out["work_orders"] = wo
    return pos


def _ranked_table(t: _Text, title: str, sec: str, key: str, fields: tuple[str, str, str], what: tuple[str, str, str],
                  total_words: tuple[str, str]) -> tuple[list[dict], dict | None]:
    """A ranked department table (序号, 单位名称, n, k, rate) and its total row (the rate when printed)."""
    n_key, k_key, r_key = fields
    rows, total = [], None
    for cells in _table_rows(t.lines, title, sec):
        cells = (cells + [""] * 5)[:5]
        name_cell = re.sub(r"\s+", "", cells[1])
        if not cells[0] and name_cell in ("合计", "总计"):
            total = {n_key: _int(cells[2], sec, f"{total_words[0]} {what[0]}"),
                     k_key: _int(cells[3], sec, f"{total_words[0]} {what[1]}")}
            if re.sub(r"\s+", "", cells[4]) not in _NONE:
                pc = _pct_cell(cells[4], sec, f"{total_words[0]} {what[2]}")
                total[r_key] = _pct(pc)
                t.printed[f"{key}_total.{r_key}"] = pc
            continue
        rank = _int(cells[0], sec, "序号")
        dep = canonical_name(cells[1], t.amap) if name_cell != OTHER_DEPARTMENTS else None
        name = dep.name if dep else OTHER_DEPARTMENTS
        pc = _pct_cell(cells[4], sec, f"{name} {what[2]}")
        row = {"rank": rank, "name": name, n_key: _int(cells[2], sec, f"{name} {what[0]}"),
               k_key: _int(cells[3], sec, f"{name} {what[1]}"), r_key: _pct(pc)}
        if clean_name(cells[1]) != name:
            row["name_printed"] = clean_name(cells[1])
        t.printed[f"{key}[{name}].{r_key}"] = pc
        rows.append(row)
    if total is None:
        raise BulletinParseError(f"{sec}: no {total_words[1]} row")
    return rows, total


def _read_closure_table(t: _Text, out: dict) -> None:
    out["departments"], out["departments_total"] = _ranked_table(
        t, r"办结率排序表", "各单位工单办结率排序表", "departments", ("work_orders", "closed", "closure_rate_pct"),
        ("工单量", "办结量", "办结率"), ("合计", "合计"))


def _read_satisfaction_table(t: _Text, out: dict) -> None:
    out["satisfaction_by_department"], out["satisfaction_total"] = _ranked_table(
        t, r"回访满意度排序表", "各单位回访满意度排序表", "satisfaction_by_department",
        ("callbacks", "satisfied", "satisfaction_pct"), ("回访工单数量", "满意工单数量", "满意度"), ("总计", "总计"))
    out["work_orders"]["satisfied"] = out["satisfaction_total"]["satisfied"]


def _read_overdue_table(t: _Text, out: dict) -> None:
    sec = "超期工单一览表"
    overdue = []
    for cells in _table_rows(t.lines, r"超期工单一览表", sec):
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
            "departments": [d.name for d in split_departments(cells[2], t.amap)],
            "departments_printed": clean_name(cells[2], keep_spaces=True),
            "due_date": due,
            "replied_date": replied,
            "remark": cells[5].strip() or None,
        })
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


def _read_performance_annex(t: _Text, out: dict) -> None:
    """附表：各单位工单办理绩效, when printed: every department's row, by the columns' headers."""
    sec = "附表：各单位工单办理绩效"
    title_re = re.compile(r"各单位工单办理绩效")
    start = next((i for i, ln in enumerate(t.lines) if title_re.search(re.sub(r"\s+", "", ln))), None)
    if start is None:
        return
    header = next((ln for ln in t.lines[start + 1:] if "\t" in ln or ln.lstrip().startswith("|")), None)
    if header is None:
        return
    heads = [re.sub(r"\s+", "", c) for c in (header.split("\t") if "\t" in header
                                             else header.strip().strip("|").split("|"))]
    columns = [next(((k, kind) for h, k, kind in PERFORMANCE_COLUMNS if head.startswith(h)), (None, None))
               for head in heads]
    if not heads or columns[0][0] != "name":
        raise BulletinParseError(f"{sec}: table header (单位名称 …) not found under its title")
    rows = []
    for cells in _table_rows(t.lines, title_re.pattern, sec, first_header=heads[0]) or []:
        name_cell = clean_name(cells[0])
        dep = canonical_name(cells[0], t.amap) if name_cell != OTHER_DEPARTMENTS else None
        name = dep.name if dep else OTHER_DEPARTMENTS
        row: dict = {"name": name}
        for (key, kind), cell in zip(columns[1:], cells[1:]):
            if key is None:
                continue
            c = re.sub(r"\s+", "", cell)
            if kind == "int":
                row[key] = _int(cell, sec, f"{name} {key}")
            elif c in _NONE:
                row[key] = None
            elif kind == "pct":
                pc = _pct_cell(cell, sec, f"{name} {key}")
                row[key] = _pct(pc)
                t.printed[f"department_performance[{name}].{key}"] = pc
            else:
                if not re.fullmatch(r"\d+(?:\.\d+)?", c):
                    raise BulletinParseError(f"{sec}: {name} {key} is not a number: {cell!r}")
                row[key] = float(c)
        if name_cell != name:
            row["name_printed"] = name_cell
        rows.append(row)
    out["department_performance"] = rows


def _read_hotspots(t: _Text, out: dict, pos: int, labels: Mapping, rollups: set[str]) -> None:
    """三、主要热点: each hot spot's heading (its category), count and change on the previous month."""
    sec = "三、主要热点"
    s5, _ = _section(t.flat, r"主要热点", r"热线工作动态|[四五六七八九十]、", sec, pos)
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
        mom = None
        m = re.search(r"此类诉求[^。]*?\d+件，?较上月(上升|增长|增加|下降|减少)" + _NUM + "%", chunk)
        if m:
            mom = _pct(m.group(2)) * (-1 if m.group(1) in ("下降", "减少") else 1)
            t.printed[f"hotspots[{l1}/{l2}].mom_change_pct" if l2 else f"hotspots[{l1}].mom_change_pct"] = m.group(2)
        hotspots.append({"category_l1": l1, "category_l2": l2, "count": int(counts[-1]),
                         "mom_change_pct": mom, "label_printed": label})
    out["hotspots"] = hotspots


def clean_name(text: str, keep_spaces: bool = False) -> str:
    return re.sub(r"\s+", " ", text).strip() if keep_spaces else re.sub(r"\s+", "", text)


def office_hotspot_labels() -> dict[str, tuple[str, str | None]]:
    """The office's hot-spot headings (``hotspot_labels.csv``) as ``label -> (一级分类, 二级分类)``; empty when
    the seed is missing."""
    try:
        from hotline.publish.bulletin import load_hotspot_labels
        return {label: key for key, label in load_hotspot_labels().items()}
    except (ImportError, OSError, ValueError):
        return {}


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
    """:func:`parse_bulletin` of a bulletin file: ``.md``/``.txt``, ``.html`` or ``.docx`` (:func:`bulletin_text`)."""
    return parse_bulletin(bulletin_text(path), aliases, **kw)


def figures_only(parsed: dict) -> dict:
    """``parsed`` without the printed-only keys (:data:`PRINTED_ONLY_KEYS`)."""
    out = {k: v for k, v in parsed.items()
           if k not in ("_printed", "departments_total", "satisfaction_total", "purpose_table", "demand_table")}
    out["contacts"] = {k: v for k, v in parsed["contacts"].items() if k != "by_channel_pct"}
    out["purpose"] = {k: v for k, v in parsed["purpose"].items() if k != "by_type_pct"}
    for key, extra in (("departments", "name_printed"), ("satisfaction_by_department", "name_printed"),
                       ("overdue_work_orders", "departments_printed"), ("hotspots", "label_printed"),
                       ("department_performance", "name_printed")):
        if key in parsed:
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
    for k, v in (d.get("by_category_pct") or {}).items():
        if k in d["by_category"]:
            check_rate(f"demand.by_category_pct.{k}", v, d["by_category"][k], d["total"], f"share of {k}")

    # the tables the project's bulletin prints beside the sentences say what the sentences say
    for key, counts_key, text_counts, text_total in (("purpose_table", "by_type", p["by_type"], p["total"]),
                                                     ("demand_table", "by_category", d["by_category"], d["total"])):
        table = parsed.get(key)
        if not table:
            continue
        for k, v in table[counts_key].items():
            if k not in text_counts:
                findings.append(Finding(f"{key}.{counts_key}.{k}", v, None, f"{k} is in the table, not in the text"))
                continue
            check_eq(f"{key}.{counts_key}.{k}", v, text_counts[k], f"the table says {v}, the text {text_counts[k]}")
            if key == "purpose_table":
                check_rate(f"{key}.{counts_key}_pct.{k}", table[f"{counts_key}_pct"].get(k), v, table["total"] or 0,
                           f"share of {k} in the table")
        check_eq(f"{key}.total", table["total"], text_total, f"the table's 合计 is {table['total']}, the text "
                 f"says {text_total}")
        if table["total"] is not None:
            check_rate(f"{key}.total_pct", table.get("total_pct"), table["total"], table["total"], "the 合计 share")

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
            check_rate(f"{key}_total.{r_key}", total.get(r_key), total[k_key], total[n_key], f"{what} total row")
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

    closure = {r["name"]: r for r in parsed["departments"] if r["name"] != OTHER_DEPARTMENTS}
    for r in parsed.get("department_performance") or []:
        other = closure.get(r["name"])
        for f in ("work_orders", "closed"):
            if other is not None and r.get(f) is not None:
                check_eq(f"department_performance[{r['name']}].{f}", r[f], other[f],
                         f"the performance annex says {r[f]}, the closure-rate table {other[f]}")

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
