"""``tables.xlsx``: every table of the bulletin, and the department performance annex, as a workbook the office
can circulate and re-use (one sheet a table, Chinese sheet names and headers as the bulletin prints them).

Written only from ``figures.json``: counts are integers, rates are fractions shown as percentages (99.52 →
0.9952, number format ``0.00%``; a rate without a denominator is an empty cell), dates are dates. The header row
of every sheet is frozen. The first sheet, 说明, says which month, the cut-off and where the numbers come from.

The file is byte-identical for the same figures: the workbook's properties are fixed (created = modified = the
cut-off, creator "hotline") and the zip is rewritten with fixed entry timestamps.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

PERCENT = "0.00%"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
TZ = ZoneInfo("Asia/Shanghai")
CREATOR = "hotline"
#: what the release says about its figures (the bulletin's note under its title)
NOTE = "本表所有数字由数据仓库自动生成，与同一发布的 figures.json 一致，并经对账校验（见 reconciliation.html）。"

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE3F0")
_TOTAL_FONT = Font(bold=True)
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


class Pct(float):
    """A rate in percent (figures.json's ``*_pct``): written as the fraction with the format ``0.00%``."""


def _pct(v: float | None) -> Pct | None:
    return None if v is None else Pct(v)


def _fraction(v: float) -> float:
    """99.52 → 0.9952 (through Decimal: the fraction a reader expects, not 0.9952000000000001)."""
    return float(Decimal(str(float(v))) / 100)


def _date(iso: str | None) -> date | None:
    return date.fromisoformat(str(iso)[:10]) if iso else None


def _as_of(as_of: str) -> datetime:
    return datetime.fromisoformat(str(as_of)[:19])


#: the sheets after 说明, in order: (sheet name, headers, rows(figures), total row(figures) or None)
def _sheets(f: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]], list[Any] | None]]:
    c, w = f["contacts"], f["work_orders"]
    return [
        (
            "总体情况",
            ["指标", "数值"],
            [
                ["来电总量（件）", c["total"]],
                ["上月来电总量（件）", c.get("previous_total")],
                ["较上月变化", _pct(c.get("mom_change_pct"))],
                ["专线来电（件）", f["special_lines"]["total"]],
                ["有效诉求（目的分类，件）", f["purpose"]["total"]],
                ["有效来电及派单（诉求分类，件）", f["demand"]["total"]],
                ["转派工单（件）", w["dispatched"]],
                ["已办结（件）", w["closed"]],
                ["办结率", _pct(w["closure_rate_pct"])],
                ["超期工单（件）", w["overdue"]],
                ["回访工单（件）", w["callbacks"]],
                ["满意工单（件）", w["satisfied"]],
                ["回访满意率", _pct(w["satisfaction_pct"])],
            ],
            None,
        ),
        (
            "来电渠道构成",
            ["渠道", "数量（件）", "占比", "已办结（件）", "办结率"],
            [
                [k, v, _pct(c["by_channel_pct"].get(k))]
                + (
                    [c["work_order_channel_closed"], _pct(c["work_order_channel_closure_rate_pct"])]
                    if k == "工单转办"
                    else [None, None]
                )
                for k, v in c["by_channel"].items()
            ],
            ["合计", c["total"], None, None, None],
        ),
        (
            "专线来电情况",
            ["专线类别", "数量（件）"],
            [[f"{k}类", v] for k, v in f["special_lines"]["by_category"].items()],
            ["合计", f["special_lines"]["total"]],
        ),
        (
            "12345热线目的分类一览表",
            ["诉求目的", "数量（件）", "占比"],
            [[f"{k}类", v, _pct(f["purpose"]["by_type_pct"].get(k))] for k, v in f["purpose"]["by_type"].items()],
            ["合计", f["purpose"]["total"], Pct(100)],
        ),
        (
            "12345热线诉求分类一览表",
            ["诉求类别", "数量（件）", "占比"],
            [[k, v, _pct(f["demand"]["by_category_pct"].get(k))] for k, v in f["demand"]["by_category"].items()],
            ["合计", f["demand"]["total"], Pct(100)],
        ),
        (
            "各单位工单办结率排序表",
            ["序号", "单位名称", "工单量", "办结量", "办结率"],
            [
                [d["rank"], d["name"], d["work_orders"], d["closed"], _pct(d["closure_rate_pct"])]
                for d in f["departments"]
            ],
            [None, "合计", w["dispatched"], w["closed"], _pct(w["closure_rate_pct"])],
        ),
        (
            "各单位回访满意度排序表",
            ["序号", "单位名称", "回访工单数量", "满意工单数量", "满意度"],
            [
                [d["rank"], d["name"], d["callbacks"], d["satisfied"], _pct(d["satisfaction_pct"])]
                for d in f["satisfaction_by_department"]
            ],
            [None, "总计", w["callbacks"], w["satisfied"], _pct(w["satisfaction_pct"])],
        ),
        (
            "12345热线超期工单一览表",
            ["序号", "工单编号", "承办单位", "应回复时间", "实际回复日期", "备注"],
            [
                [
                    i,
                    o["ticket_id"],
                    " ".join(o["departments"]),
                    _date(o["due_date"]),
                    _date(o["replied_date"]),
                    o.get("remark") or None,
                ]
                for i, o in enumerate(f["overdue_work_orders"], start=1)
            ],
            None,
        ),
        (
            "主要热点",
            ["序号", "一级分类", "二级分类", "数量（件）", "上月数量（件）", "较上月变化"],
            [
                [
                    h["rank"],
                    h["category_l1"],
                    h["category_l2"],
                    h["count"],
                    h["previous_count"],
                    _pct(h["mom_change_pct"]),
                ]
                for h in f["hotspots"]
            ],
            None,
        ),
        (
            "各单位工单办理绩效（附表）",
            [
                "单位名称",
                "工单量",
                "办结量",
                "按时办结率",
                "回退率",
                "回访率",
                "超期",
                "月末积压",
                "回复用时中位数（工作日）",
                "回复用时90分位（工作日）",
            ],
            [
                [
                    d["name"],
                    d["work_orders"],
                    d["closed"],
                    _pct(d["on_time_closure_rate_pct"]),
                    _pct(d["return_rate_pct"]),
                    _pct(d["callback_rate_pct"]),
                    d["overdue"],
                    d["open_backlog_month_end"],
                    d["median_working_days_to_reply"],
                    d["p90_working_days_to_reply"],
                ]
                for d in f["department_performance"]
            ],
            None,
        ),
    ]


def _cell_value(v: object) -> tuple[object, str | None]:
    """The value to store and its number format (None: the default)."""
    if isinstance(v, Pct):
        return _fraction(v), PERCENT
    if isinstance(v, datetime):
        return v, DATETIME
    if isinstance(v, date):
        return v, DATE
    return v, None


def _display_width(v: object, fmt: str | None) -> int:
    if v is None:
        return 0
    if fmt == PERCENT:
        return 8
    if fmt in (DATE, DATETIME):
        return len(fmt)
    text = str(v)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)  # CJK characters are two columns wide


def _write_table(
    ws: Worksheet, headers: list[str], rows: list[list[Any]], total: list[Any] | None, freeze: str = "A2"
) -> None:
    widths = [0] * len(headers)
    ws.append(headers)
    for i, cell in enumerate(ws[1]):
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths[i] = _display_width(headers[i], None)
    for r, row in enumerate(rows + ([total] if total is not None else []), start=2):
        for col, v in enumerate(row, start=1):
            value, fmt = _cell_value(v)
            cell = ws.cell(row=r, column=col, value=value)
            cell.border = _BORDER
            if fmt:
                cell.number_format = fmt
            if total is not None and r == len(rows) + 2:
                cell.font = _TOTAL_FONT
            widths[col - 1] = max(widths[col - 1], _display_width(value, fmt))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 6), 60)
    ws.freeze_panes = freeze


def workbook(figures: dict[str, Any]) -> Workbook:
    """The workbook of ``figures`` (a ``figures.json`` document), not yet saved."""
    month, as_of = figures["month"], figures["as_of"]
    cutoff = _as_of(as_of)
    wb = Workbook()
    about = wb.active
    about.title = "说明"
    sheets = _sheets(figures)
    y, m = (int(x) for x in month.split("-"))
    _write_table(
        about,
        ["项目", "内容"],
        [
            ["月份", f"{y} 年 {m} 月（{month}）"],
            ["数据截至", cutoff],
            ["时区", "北京时间（Asia/Shanghai）"],
            ["数据来源", "figures.json"],
            ["说明", NOTE],
            ["占比、比率", "以百分数显示；无分母的比率为空"],
            ["实际回复日期", "空白表示截至数据截止时间未回复"],
            ["工作表", "、".join(name for name, *_ in sheets)],
        ],
        None,
    )
    about.column_dimensions["B"].width = 60
    for row in about.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    for name, headers, rows, total in sheets:
        ws = wb.create_sheet(name)
        _write_table(ws, headers, rows, total, freeze="B2" if headers[0] == "单位名称" else "A2")
    # fixed properties: the same figures give the same bytes (core.xml dates are UTC)
    stamp = cutoff.replace(tzinfo=TZ).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    props = wb.properties
    props.creator = props.lastModifiedBy = CREATOR
    props.created = props.modified = stamp
    props.title = f"12345 热线月通报数据表 {month}"
    return wb


def _zip_stamp(as_of: str) -> tuple[int, int, int, int, int, int]:
    t = _as_of(as_of)
    return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second - t.second % 2)


def render_xlsx(figures: dict[str, Any], path: Path) -> None:
    """Write ``tables.xlsx`` for ``figures`` (a ``figures.json`` document) to ``path``: byte-identical output for
    the same figures."""
    wb = workbook(figures)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: it stamps "modified" with the clock
    stamp = _zip_stamp(figures["as_of"])
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            dst.writestr(info, src.read(item.filename), compresslevel=6)
    Path(path).write_bytes(out.getvalue())
