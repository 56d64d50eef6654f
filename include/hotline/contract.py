"""The platform's daily export format, as documented in docs/daily-dump-contract.md.

This module is the single place where the contract's headers, enums and formats live; the generator writes
them, the loader checks them and the independent recomputation (tests/oracle/recompute.py) reads them. The
bulletin's fixed rows and their order (channels, purposes, the 其他 rows) are here too: the bulletin parser and the
recomputation share them. The enumerations the SQL models also need (special lines, callback results, the bulletin's
channel and purpose groups) are read from the dbt seeds, so Python and SQL share one copy of each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hotline.paths import SEEDS_DIR
from hotline.seeds import read_seed

#: (Chinese header, English snake_case name) in the export's column order.
COLUMNS: list[tuple[str, str]] = [
    ("工单编号", "ticket_id"),
    ("受理时间", "received_at"),
    ("来源渠道", "source_channel"),
    ("专线类别", "special_line"),
    ("诉求目的", "purpose"),
    ("一级分类", "category_l1"),
    ("二级分类", "category_l2"),
    ("诉求内容", "content"),
    ("诉求人", "caller_name"),
    ("联系电话", "caller_phone"),
    ("诉求地址", "caller_address"),
    ("办理方式", "handling"),
    ("承办单位", "departments_raw"),
    ("派单时间", "dispatched_at"),
    ("应回复时间", "reply_due_date"),
    ("回复时间", "replied_at"),
    ("办结时间", "closed_at"),
    ("工单状态", "status"),
    ("退回次数", "return_count"),
    ("回访时间", "callback_at"),
    ("回访结果", "callback_result"),
    ("超期说明", "overdue_note"),
    ("更新时间", "updated_at"),
]
HEADERS: list[str] = [c for c, _ in COLUMNS]
ENGLISH: dict[str, str] = dict(COLUMNS)

#: Columns that carry personal data; they must not leave staging.
PERSONAL_COLUMNS = ("诉求人", "联系电话", "诉求地址")


def _seed_rows(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of the seed ``dbt_project/seeds/<name>``, values stripped, in display order when it has one
    (a stable sort: rows of equal order keep the file's order)."""
    rows = [
        {k: (v or "").strip() for k, v in row.items() if k is not None}
        for _, row in read_seed(SEEDS_DIR / name, columns)
    ]
    if "display_order" in columns:
        rows.sort(key=lambda row: int(row["display_order"]))
    return rows


def _flag(row: dict[str, str], column: str) -> bool:
    value = row[column].lower()
    if value not in ("true", "false"):
        raise ValueError(f"seed column {column}: expected true or false, got {row[column]!r}")
    return value == "true"


_CALLBACK_SEED = _seed_rows("callback_results.csv", ("callback_result", "is_counted", "is_satisfied"))

CHANNELS = ("电话", "中国政府网", "省州系统", "微信")
TRANSFER_CHANNELS = ("中国政府网", "省州系统", "微信")
SPECIAL_LINES: tuple[str, ...] = tuple(
    r["special_line"] for r in _seed_rows("special_lines.csv", ("special_line", "display_order"))
)
PURPOSES = ("咨询", "求助", "投诉", "建议", "表扬", "其他")
HANDLINGS = ("直接答复", "工单转办", "无效")
STATUSES = ("已受理", "已派单", "办理中", "已回复", "退回重办", "已办结", "已关闭")
CALLBACK_RESULTS: tuple[str, ...] = tuple(r["callback_result"] for r in _CALLBACK_SEED)
#: Callback results that count as a callback in the bulletin (is_counted); those that count as satisfied
#: (is_satisfied).
COUNTED_CALLBACK_RESULTS: tuple[str, ...] = tuple(
    r["callback_result"] for r in _CALLBACK_SEED if _flag(r, "is_counted")
)
SATISFIED_CALLBACK_RESULTS: tuple[str, ...] = tuple(
    r["callback_result"] for r in _CALLBACK_SEED if _flag(r, "is_satisfied")
)

#: Allowed values per enum column (empty string = null is allowed where listed with "").
ENUMS: dict[str, tuple[str, ...]] = {
    "来源渠道": CHANNELS,
    "专线类别": ("",) + SPECIAL_LINES,
    "诉求目的": PURPOSES,
    "办理方式": HANDLINGS,
    "工单状态": STATUSES,
    "回访结果": ("",) + CALLBACK_RESULTS,
}
TIMESTAMP_COLUMNS = ("受理时间", "派单时间", "回复时间", "办结时间", "回访时间", "更新时间")
DATE_COLUMNS = ("应回复时间",)
REQUIRED_COLUMNS = ("工单编号", "受理时间", "来源渠道", "诉求目的", "办理方式", "工单状态", "更新时间")

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TICKET_ID_RE = re.compile(r"^HX\d{14}$")

#: The bulletin's department-table row of work orders that have no department (yet): 未指定承办单位.
NO_DEPARTMENT = "未指定承办单位"
#: The department tables' last row, the departments beyond the named ones summed.
OTHER_DEPARTMENTS = "其他单位"
#: The demand table's row of every level-1 category beyond the named ones.
DEMAND_OTHER = "其他"
#: contacts.by_channel keys, in the bulletin's order (bulletin_channels.csv).
CHANNEL_KEYS: tuple[str, ...] = tuple(
    r["channel_group"] for r in _seed_rows("bulletin_channels.csv", ("channel_group", "display_order"))
)
#: purpose.by_type keys, in the bulletin's order (bulletin_purposes.csv): its 其他类 is 表扬 + 其他.
PURPOSE_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(
        r["purpose_group"] for r in _seed_rows("bulletin_purposes.csv", ("purpose", "purpose_group", "display_order"))
    )
)

#: Separators an operator may type between several handling departments (whitespace also separates).
DEPARTMENT_SEPARATORS = "、;；,，"

TIMEZONE = "Asia/Shanghai"
CSV_ENCODING = "utf-8-sig"  # the platform writes a BOM


def csv_name(day: str) -> str:
    """File name of day ``YYYY-MM-DD``'s export."""
    return f"hotline_{day.replace('-', '')}.csv"


def manifest_name(day: str) -> str:
    return f"hotline_{day.replace('-', '')}.manifest.json"


EXPORT_NAME_RE = re.compile(r"^hotline_(\d{4})(\d{2})(\d{2})\.(csv|xlsx)$")


@dataclass(frozen=True)
class Manifest:
    export_date: str
    row_count: int
    sha256: str
    exported_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "export_date": self.export_date,
            "row_count": self.row_count,
            "sha256": self.sha256,
            "exported_at": self.exported_at,
        }
