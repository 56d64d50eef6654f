"""Row validation, in SQL over a staged table ``_rows(_row_number, <23 contract columns>)``.

Values are checked after DuckDB's ``trim()`` (ASCII spaces at both ends; staging trims before casting), but
stored untrimmed. Empty (after trimming) means absent; a tab or U+3000 around a checked value makes it invalid. A row gets the first
reason code that applies, in this order (``reason`` lists every problem found):

- ``missing_ticket_id``: 工单编号 empty.
- ``bad_ticket_id``: 工单编号 not ``HX`` + 14 ASCII digits (contract.TICKET_ID_RE).
- ``duplicate_ticket_in_file``: the same (trimmed, well-formed) 工单编号 on several rows of one export: all of
  them are quarantined, since which one is the ticket's state cannot be known.
- ``bad_timestamp``: a timestamp column (contract.TIMESTAMP_COLUMNS) that is not a real ``YYYY-MM-DD HH:MM:SS``
  date-time, or empty when required (受理时间, 更新时间).
- ``bad_date``: 应回复时间 not a real ``YYYY-MM-DD`` date.
- ``unknown_enum``: a value outside contract.ENUMS (empty counts as a value: allowed only where ENUMS lists "").
- ``bad_integer``: 退回次数 not a non-negative integer (1–9 ASCII digits); empty is allowed.

(``malformed_csv`` and ``wrong_column_count`` are found before staging, in ``readers``.)
"""
from __future__ import annotations

from hotline.contract import (DATE_COLUMNS, DATE_FORMAT, DATE_RE, ENUMS, REQUIRED_COLUMNS, TICKET_ID_RE,
                              TIMESTAMP_COLUMNS, TIMESTAMP_FORMAT, TIMESTAMP_RE)

INTEGER_COLUMNS = ("退回次数",)
INTEGER_PATTERN = r"^[0-9]{1,9}$"


def q(name: str) -> str:
    """SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(s: str) -> str:
    """SQL string literal (DuckDB does not interpret backslashes)."""
    return "'" + s.replace("'", "''") + "'"


#: The columns the checks look at; they are trimmed once into ``_vals`` (see ``vals_sql``).
CHECKED_COLUMNS = ("工单编号", *TIMESTAMP_COLUMNS, *DATE_COLUMNS, *ENUMS, *INTEGER_COLUMNS)


def _v(col: str) -> str:
    """The trimmed value (NULL when empty) in ``_vals``."""
    return q(col)


def vals_sql(source: str = "_rows", by: tuple[str, ...] = ()) -> str:
    """SELECT the ``by`` columns (which file of a batch), _row_number and the checked columns, trimmed, empty →
    NULL."""
    cols = ", ".join(f"nullif(trim({q(c)}), '') AS {q(c)}" for c in CHECKED_COLUMNS)
    return f"SELECT {''.join(b + ', ' for b in by)}_row_number, {cols} FROM {source}"


def _shown(col: str) -> str:
    return f"'''' || {q(col)} || ''''"


def _checks() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(reason_code, [(condition, message), …])] in priority order."""
    tid = _v("工单编号")
    out: list[tuple[str, list[tuple[str, str]]]] = [
        ("missing_ticket_id", [(f"{tid} IS NULL", lit("工单编号 is empty"))]),
        ("bad_ticket_id", [(f"NOT coalesce(regexp_full_match({tid}, {lit(TICKET_ID_RE.pattern)}), true)",
                            f"'工单编号 ' || {_shown('工单编号')} || ' is not HX + 14 digits'")]),
        ("duplicate_ticket_in_file", [("_dup_rows IS NOT NULL",
                                       f"'工单编号 ' || {tid} || ' occurs on ' || len(_dup_rows) || "
                                       "' rows of the file (rows ' || array_to_string(_dup_rows, ', ') || ')'")]),
    ]

    def dated(cols, pattern, fmt, human):
        conds = []
        for c in cols:
            v = _v(c)
            valid = f"coalesce(regexp_full_match({v}, {lit(pattern)}) AND try_strptime({v}, {lit(fmt)}) IS NOT NULL, false)"
            if c in REQUIRED_COLUMNS:
                conds.append((f"{v} IS NULL", lit(f"{c} is empty (required)")))
            conds.append((f"{v} IS NOT NULL AND NOT {valid}", f"'{c} ' || {_shown(c)} || ' is not a valid {human}'"))
        return conds

    out.append(("bad_timestamp", dated(TIMESTAMP_COLUMNS, TIMESTAMP_RE.pattern, TIMESTAMP_FORMAT,
                                       "YYYY-MM-DD HH:MM:SS timestamp")))
    out.append(("bad_date", dated(DATE_COLUMNS, DATE_RE.pattern, DATE_FORMAT, "YYYY-MM-DD date")))
    enum_conds = []
    for c, allowed in ENUMS.items():
        listed = "/".join(a for a in allowed if a) + (" or empty" if "" in allowed else "")
        enum_conds.append((f"coalesce({_v(c)}, '') NOT IN ({', '.join(lit(a) for a in allowed)})",
                           f"CASE WHEN {_v(c)} IS NULL THEN {lit(c + ' is empty (required)')} "
                           f"ELSE '{c} ' || {_shown(c)} || {lit(' is not one of ' + listed)} END"))
    out.append(("unknown_enum", enum_conds))
    out.append(("bad_integer", [(f"{_v(c)} IS NOT NULL AND NOT regexp_full_match({_v(c)}, {lit(INTEGER_PATTERN)})",
                                 f"'{c} ' || {_shown(c)} || ' is not a non-negative integer'")
                                for c in INTEGER_COLUMNS]))
    return out


def bad_rows_sql(source: str = "_vals", by: tuple[str, ...] = ()) -> str:
    """SELECT the ``by`` columns, _row_number, reason_code, reason for every row that fails a check; ``source``
    is ``vals_sql()``. ``by`` names the columns that tell the files of a batch apart: a ticket id is a duplicate
    within its own file only."""
    checks = _checks()
    code = "CASE " + " ".join(f"WHEN {' OR '.join('(' + c + ')' for c, _ in conds)} THEN {lit(name)}"
                              for name, conds in checks) + " END"
    reason = "concat_ws('; ', " + ", ".join(f"CASE WHEN {c} THEN {m} END"
                                             for _, conds in checks for c, m in conds) + ")"
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
