"""Row validation, in SQL over a staged table ``_rows(_row_number, <23 contract columns>)``.

Every value is normalized once, here (:func:`clean_sql`): trimmed of whitespace at both ends (``WS_CLASS``:
Python's ``str.isspace`` characters: ASCII whitespace, U+3000, NBSP, …) and empty → NULL. The checks judge the
normalized value and the loader stores the normalized value in ``raw.ticket_rows``, so every layer (the checks,
dbt's sources and staging, the gate's recounts) sees the same value: `` 电话 `` is 电话 everywhere. A row gets the
first reason code that applies, in this order (``reason`` lists every problem found):

- ``missing_ticket_id``: 工单编号 empty.
- ``bad_ticket_id``: 工单编号 not ``HX`` + 14 ASCII digits (contract.TICKET_ID_RE).
- ``duplicate_ticket_in_file``: the same (well-formed) 工单编号 on several rows of one export: all of them are
  quarantined, since which one is the ticket's state cannot be known.
- ``bad_timestamp``: a timestamp column (contract.TIMESTAMP_COLUMNS) that is not a real ``YYYY-MM-DD HH:MM:SS``
  date-time, or empty when required (受理时间, 更新时间).
- ``bad_date``: 应回复时间 not a real ``YYYY-MM-DD`` date.
- ``unknown_enum``: a value outside contract.ENUMS (empty counts as a value: allowed only where ENUMS lists "").
- ``bad_integer``: 退回次数 not a non-negative integer (1–9 ASCII digits); empty is allowed.
- ``impossible_timeline``: a timestamp after the end of the export day (a row is the ticket's state at the end
  of that day: nothing in it can have happened later), or the events out of order: 受理 ≤ 派单 ≤ 回复 ≤ 办结
  where present, and 受理 ≤ 回访, 受理 ≤ 更新.
- ``inconsistent_values``: a transfer (来源渠道 中国政府网 / 省州系统 / 微信) that is not a work order (办理方式
  工单转办): the contract says transfers always are.

(``malformed_csv`` and ``wrong_column_count`` are found before staging, in ``readers``.) Quarantined rows are
counted in the load audit, and the monthly gate lists those of the month's export days (a warning that names
each row and its ticket).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

from hotline.contract import (
    DATE_COLUMNS,
    DATE_FORMAT,
    DATE_RE,
    ENUMS,
    REQUIRED_COLUMNS,
    TICKET_ID_RE,
    TIMESTAMP_COLUMNS,
    TIMESTAMP_FORMAT,
    TIMESTAMP_RE,
    TRANSFER_CHANNELS,
)
from hotline.sql import lit, q

INTEGER_COLUMNS = ("退回次数",)
INTEGER_PATTERN = r"^[0-9]{1,9}$"


#: Whitespace as Python's str.isspace() sees it (RE2 syntax): ASCII whitespace, \v, the Unicode separators
#: (U+3000 ideographic space, U+00A0 …), U+001C–U+001F, U+0085 (dbt_project/macros/text.sql splits department
#: names on the same class).
WS_CLASS = r"[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]"

#: The events of a ticket in the order they happen (where present).
EVENT_ORDER = ("受理时间", "派单时间", "回复时间", "办结时间")


#: The same characters, listed (the regex class matches exactly these: tests/test_departments.py).
WS_CHARS = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())


def clean_sql(expr: str) -> str:
    """The normalized value of ``expr`` (SQL): trimmed of ``WS_CLASS`` at both ends, empty → NULL. The regex runs
    only for the few values that start or end with whitespace (a lookup of the first and last character is
    cheaper than an anchored regex match on every value)."""
    ws, chars = WS_CLASS, lit(WS_CHARS)
    return (
        f"nullif(CASE WHEN contains({chars}, left({expr}, 1)) OR contains({chars}, right({expr}, 1)) "
        f"THEN regexp_replace({expr}, '^{ws}+|{ws}+$', '', 'g') ELSE {expr} END, '')"
    )


def caller_key_sql(phone: str, key_param: str = "$pii_key") -> str:
    """The phone's keyed pseudonym (SQL): sha256 of the key, '|' and the phone's digits; NULL without digits. The
    key is a bound parameter (``key_param``), never part of the SQL text (hotline.secrets)."""
    digits = f"regexp_replace({phone}, '[^0-9]', '', 'g')"
    return f"CASE WHEN nullif({digits}, '') IS NULL THEN NULL ELSE sha256({key_param} || '|' || {digits}) END"


#: The columns the checks look at; they are normalized once into ``_vals`` (see ``vals_sql``).
CHECKED_COLUMNS = ("工单编号", *TIMESTAMP_COLUMNS, *DATE_COLUMNS, *ENUMS, *INTEGER_COLUMNS)


def _v(col: str) -> str:
    """The normalized value (NULL when empty) in ``_vals``."""
    return q(col)


def _ts(col: str) -> str:
    """The timestamp in ``col``, parsed once in ``_vals`` (NULL when absent or not a timestamp)."""
    return q("_ts " + col)


def vals_sql(source: str = "_rows", by: tuple[str, ...] = (), export_date: str = "_export_date") -> str:
    """SELECT the ``by`` columns (which file of a batch), _row_number, the export day (``export_date``: an SQL
    expression), the checked columns normalized (:func:`clean_sql`) and the timestamp columns parsed."""
    cols = ", ".join(f"{clean_sql(q(c))} AS {q(c)}" for c in CHECKED_COLUMNS)
    parsed = ", ".join(f"try_strptime({q(c)}, {lit(TIMESTAMP_FORMAT)}) AS {_ts(c)}" for c in TIMESTAMP_COLUMNS)
    return (
        f"SELECT *, {parsed} FROM (SELECT {''.join(b + ', ' for b in by)}_row_number, "
        f"CAST({export_date} AS DATE) AS _export_date, {cols} FROM {source})"
    )


def _shown(col: str) -> str:
    return f"'''' || {q(col)} || ''''"


def _checks() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(reason_code, [(condition, message), …])] in priority order."""
    tid = _v("工单编号")
    out: list[tuple[str, list[tuple[str, str]]]] = [
        ("missing_ticket_id", [(f"{tid} IS NULL", lit("工单编号 is empty"))]),
        (
            "bad_ticket_id",
            [
                (
                    f"NOT coalesce(regexp_full_match({tid}, {lit(TICKET_ID_RE.pattern)}), true)",
                    f"'工单编号 ' || {_shown('工单编号')} || ' is not HX + 14 digits'",
                )
            ],
        ),
        (
            "duplicate_ticket_in_file",
            [
                (
                    "_dup_rows IS NOT NULL",
                    f"'工单编号 ' || {tid} || ' occurs on ' || len(_dup_rows) || "
                    "' rows of the file (rows ' || array_to_string(_dup_rows, ', ') || ')'",
                )
            ],
        ),
    ]

    def dated(cols: Iterable[str], pattern: str, fmt: str, human: str) -> list[tuple[str, str]]:
        conds = []
        for c in cols:
            v = _v(c)
            parsed = _ts(c) if c in TIMESTAMP_COLUMNS else f"try_strptime({v}, {lit(fmt)})"
            valid = f"coalesce(regexp_full_match({v}, {lit(pattern)}) AND {parsed} IS NOT NULL, false)"
            if c in REQUIRED_COLUMNS:
                conds.append((f"{v} IS NULL", lit(f"{c} is empty (required)")))
            conds.append((f"{v} IS NOT NULL AND NOT {valid}", f"'{c} ' || {_shown(c)} || ' is not a valid {human}'"))
        return conds

    out.append(
        (
            "bad_timestamp",
            dated(TIMESTAMP_COLUMNS, TIMESTAMP_RE.pattern, TIMESTAMP_FORMAT, "YYYY-MM-DD HH:MM:SS timestamp"),
        )
    )
    out.append(("bad_date", dated(DATE_COLUMNS, DATE_RE.pattern, DATE_FORMAT, "YYYY-MM-DD date")))
    enum_conds = []
    for c, allowed in ENUMS.items():
        listed = "/".join(a for a in allowed if a) + (" or empty" if "" in allowed else "")
        enum_conds.append(
            (
                f"coalesce({_v(c)}, '') NOT IN ({', '.join(lit(a) for a in allowed)})",
                f"CASE WHEN {_v(c)} IS NULL THEN {lit(c + ' is empty (required)')} "
                f"ELSE '{c} ' || {_shown(c)} || {lit(' is not one of ' + listed)} END",
            )
        )
    out.append(("unknown_enum", enum_conds))
    out.append(
        (
            "bad_integer",
            [
                (
                    f"{_v(c)} IS NOT NULL AND NOT regexp_full_match({_v(c)}, {lit(INTEGER_PATTERN)})",
                    f"'{c} ' || {_shown(c)} || ' is not a non-negative integer'",
                )
                for c in INTEGER_COLUMNS
            ],
        )
    )
    end_of_day = "(CAST(_export_date AS TIMESTAMP) + INTERVAL 1 DAY)"
    timeline = [
        (
            f"{_ts(c)} >= {end_of_day}",
            f"'{c} ' || {_v(c)} || ' is after the export day ' || CAST(_export_date AS VARCHAR)",
        )
        for c in TIMESTAMP_COLUMNS
    ]
    pairs = list(combinations(EVENT_ORDER, 2)) + [("受理时间", "回访时间"), ("受理时间", "更新时间")]
    timeline += [(f"{_ts(a)} > {_ts(b)}", f"'{b} ' || {_v(b)} || ' is before {a} ' || {_v(a)}") for a, b in pairs]
    out.append(("impossible_timeline", timeline))
    transfers = ", ".join(lit(c) for c in TRANSFER_CHANNELS)
    out.append(
        (
            "inconsistent_values",
            [
                (
                    f"{_v('来源渠道')} IN ({transfers}) AND {_v('办理方式')} <> '工单转办'",
                    f"'来源渠道 ' || {_v('来源渠道')} "
                    "|| ' is a transfer, which is always a work order (办理方式 工单转办), not ' "
                    f"|| {_v('办理方式')}",
                )
            ],
        )
    )
    return out


def bad_rows_sql(source: str = "_vals", by: tuple[str, ...] = ()) -> str:
    """SELECT the ``by`` columns, _row_number, reason_code, reason for every row that fails a check; ``source``
    is ``vals_sql()``. ``by`` names the columns that tell the files of a batch apart: a ticket id is a duplicate
    within its own file only."""
    checks = _checks()
    code = (
        "CASE "
        + " ".join(f"WHEN {' OR '.join('(' + c + ')' for c, _ in conds)} THEN {lit(name)}" for name, conds in checks)
        + " END"
    )
    reason = (
        "concat_ws('; ', " + ", ".join(f"CASE WHEN {c} THEN {m} END" for _, conds in checks for c, m in conds) + ")"
    )
    tid = _v("工单编号")
    keys = "".join(b + ", " for b in by)
    same = "".join(f" AND d.{b} = r.{b}" for b in by)
    return f"""
WITH ids AS (
    SELECT {keys}_row_number, {tid} AS _tid FROM {source}
    WHERE regexp_full_match({tid}, {lit(TICKET_ID_RE.pattern)})
), dups AS (
    SELECT {keys}_tid, list(_row_number ORDER BY _row_number) AS _dup_rows FROM ids GROUP BY {keys}_tid
    HAVING count(*) > 1
), marked AS (
    SELECT r.*, d._dup_rows FROM {source} r LEFT JOIN dups d ON d._tid = r."工单编号"{same}
), coded AS (
    SELECT *, {code} AS reason_code FROM marked
)
-- the reason text only for the rows that have one: spelling out every check for every row doubled the cost
SELECT {keys}_row_number, reason_code, {reason} AS reason FROM coded WHERE reason_code IS NOT NULL
ORDER BY {keys}_row_number
"""
