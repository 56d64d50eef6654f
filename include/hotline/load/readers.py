"""Reading one export file into records: encoding detection, CSV record structure, xlsx cells.

CSV records are found on the bytes with numpy (one vectorised pass for ``\\n``, ``\\r``, ``"`` and NUL), RFC 4180
style: a line break ends a record unless it is inside a quoted field. The header is the first record; blank
lines are skipped and not counted. Data rows are numbered 1, 2, … in file order (blank lines excluded); that
number is ``_row_number`` and what the manifest's ``row_count`` is compared with.

A record is *malformed* (reason ``malformed_csv``) when its quoting is broken (a quote inside an unquoted field,
text after a closing quote, a quoted field never closed), or it holds a bare carriage return outside quotes, or
a NUL byte. Well-formed records are split into fields with the ``csv`` module (or DuckDB's reader, see
``loader``), which agree on well-formed input.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import numpy as np

from hotline.contract import DATE_FORMAT, HEADERS, TIMESTAMP_FORMAT
from hotline.load.errors import RejectedFile

NCOLS = len(HEADERS)
BOM = b"\xef\xbb\xbf"


@dataclass
class BadRow:
    row_number: int
    reason_code: str
    reason: str
    raw_text: str


# ----------------------------------------------------------------------------------------------------------------
# encoding


def decode_check(name: str, data: bytes) -> tuple[str, bytes]:
    """Return (encoding, UTF-8 body without BOM). Tries UTF-8 (with or without BOM) strictly, then GB18030."""
    if data.startswith(BOM):
        body = data[len(BOM) :]
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RejectedFile(
                name,
                f"undecodable bytes: starts with a UTF-8 BOM but byte 0x{body[e.start]:02x} "
                f"at offset {e.start + len(BOM)} is not UTF-8",
            ) from None
        return "utf-8-sig", body
    try:
        data.decode("utf-8")
        return "utf-8", data
    except UnicodeDecodeError as e:
        utf8_err = e
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise RejectedFile(
            name,
            f"undecodable bytes: not UTF-8 (byte 0x{data[utf8_err.start]:02x} at offset "
            f"{utf8_err.start}) and not GB18030 (byte 0x{data[e.start]:02x} at offset "
            f"{e.start})",
        ) from None
    if text.startswith("\ufeff"):  # GB18030's own byte-order mark (84 31 95 33)
        text = text[1:]
    return "gb18030", text.encode("utf-8")


# ----------------------------------------------------------------------------------------------------------------
# CSV structure

_LUT = bytes(1 if i in (0, 10, 13, 34) else 0 for i in range(256))
_COMMA, _LF, _CR, _QUOTE = 44, 10, 13, 34


@dataclass
class CsvExport:
    """A decoded CSV export: record boundaries on the UTF-8 body, header, data rows."""

    name: str
    encoding: str
    body: bytes  # UTF-8, no BOM
    starts: np.ndarray  # data records (non-blank), byte offsets into body
    ends: np.ndarray  # exclusive, line terminator excluded
    malformed: dict[int, str]  # data row index (0-based) -> problem
    header: list[str]
    quotes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # offsets of '"'
    format: str = "csv"

    @property
    def rows_read(self) -> int:
        return len(self.starts)

    def raw_text(self, row_number: int) -> str:
        i = row_number - 1
        return self.body[int(self.starts[i]) : int(self.ends[i])].decode("utf-8")

    def field_counts(self) -> np.ndarray:
        """Number of fields of each data row (commas outside quotes + 1); meaningful for well-formed rows."""
        arr = np.frombuffer(self.body, dtype=np.uint8)
        commas = np.flatnonzero(arr == _COMMA)
        outside = (np.searchsorted(self.quotes, commas) & 1) == 0
        rec = np.searchsorted(self.starts, commas[outside], side="right") - 1
        rec = rec[rec >= 0]  # -1: a comma of the header
        return np.bincount(rec, minlength=len(self.starts))[: len(self.starts)] + 1

    @property
    def fast_path_ok(self) -> bool:
        """True when every record is well-formed, so DuckDB's CSV reader sees the same records as we do."""
        return not self.malformed

    def parse_rows(self, row_numbers: Iterable[int]) -> list[list[str] | None]:
        """Fields of the given well-formed rows (None for a malformed one)."""
        out: list[list[str] | None] = []
        for rn in row_numbers:
            if rn - 1 in self.malformed:
                out.append(None)
                continue
            try:
                out.append(next(csv.reader([self.raw_text(rn)])))
            except (csv.Error, StopIteration):
                out.append(None)
        return out

    def python_rows(self) -> tuple[list[int], list[list[str]], list[BadRow]]:
        """Parse every row in Python: (row numbers, 23-field rows, structurally bad rows)."""
        body, starts, ends = self.body, self.starts.tolist(), self.ends.tolist()
        texts = [body[s:e].decode("utf-8") for s, e in zip(starts, ends, strict=True)]
        numbers: list[int] = []
        rows: list[list[str]] = []
        bad: list[BadRow] = []
        parsed: list[list[str] | None]
        parsed_ok: list[list[str] | None]
        ok_idx = [i for i in range(len(texts)) if i not in self.malformed]
        try:
            parsed_ok = list(csv.reader([texts[i] for i in ok_idx]))
            if len(parsed_ok) != len(ok_idx):
                raise csv.Error("record count changed")
        except csv.Error:
            parsed_ok = self.parse_rows([i + 1 for i in ok_idx])
        parsed = [None] * len(texts)
        for i, r in zip(ok_idx, parsed_ok, strict=True):
            parsed[i] = r
        for i, r in enumerate(parsed):
            rn = i + 1
            if r is None:
                bad.append(BadRow(rn, "malformed_csv", self.malformed.get(i, "malformed CSV record"), texts[i]))
            elif len(r) != NCOLS:
                bad.append(BadRow(rn, "wrong_column_count", f"{len(r)} fields, expected {NCOLS}", texts[i]))
            else:
                numbers.append(rn)
                rows.append(r)
        return numbers, rows, bad


def _special_positions(body: bytes) -> np.ndarray:
    """Sorted offsets of every NUL, LF, CR and '"' byte (found 8 bytes at a time: they are rare)."""
    marks = np.frombuffer(body.translate(_LUT), dtype=np.uint8)
    n8 = len(marks) // 8
    words = np.flatnonzero(marks[: n8 * 8].view(np.uint64))
    cand = (words[:, None] * 8 + np.arange(8)).ravel()
    return np.concatenate((cand[marks[cand] != 0], np.flatnonzero(marks[n8 * 8 :]) + n8 * 8)).astype(np.int64)


def scan_csv(name: str, encoding: str, body: bytes) -> CsvExport:
    """Split the UTF-8 body into records, check the header's CSV structure, flag malformed records."""
    n = len(body)
    arr = np.frombuffer(body, dtype=np.uint8)
    pos = _special_positions(body)
    kind = arr[pos]
    is_q = kind == _QUOTE
    q_before = np.cumsum(is_q) - is_q  # quotes strictly before each special byte
    outside = (q_before & 1) == 0
    nl = pos[(kind == _LF) & outside]
    starts = np.concatenate((np.array([0], dtype=np.int64), nl + 1))
    ends = np.concatenate((nl, np.array([n], dtype=np.int64)))
    if starts[-1] >= n:  # file ends with a line break (or is empty)
        starts, ends = starts[:-1], ends[:-1]
    if len(starts) and ends[-1] == n and n and arr[n - 1] == _LF:  # an unterminated quote ran to the end
        ends[-1] -= 1
    if len(starts):
        cr_end = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == _CR)
        ends = ends - cr_end

    # violations (byte position, problem)
    viol_pos: list[np.ndarray] = []
    viol_msg: list[str] = []
    qpos = pos[is_q]
    if len(qpos):
        k = np.arange(len(qpos))
        prev_q_adjacent = np.zeros(len(qpos), dtype=bool)
        prev_q_adjacent[1:] = qpos[:-1] == qpos[1:] - 1
        next_q_adjacent = np.zeros(len(qpos), dtype=bool)
        next_q_adjacent[:-1] = qpos[1:] == qpos[:-1] + 1
        prev_byte = np.where(qpos > 0, arr[np.maximum(qpos - 1, 0)], _LF)
        next_byte = np.where(qpos + 1 < n, arr[np.minimum(qpos + 1, n - 1)], _LF)
        opening = (k & 1) == 0
        bad_open = opening & ~((prev_byte == _COMMA) | (prev_byte == _LF) | prev_q_adjacent)
        bad_close = ~opening & ~((next_byte == _COMMA) | (next_byte == _LF) | (next_byte == _CR) | next_q_adjacent)
        viol_pos += [qpos[bad_open], qpos[bad_close]]
        viol_msg += ["a quote inside an unquoted field", "text after the closing quote of a field"]
        if len(qpos) & 1:
            viol_pos.append(qpos[-1:])
            viol_msg.append("a quoted field is never closed (it runs to the end of the file)")
    crpos = pos[(kind == _CR) & outside]
    if len(crpos):
        lone = crpos[(crpos + 1 < n) & (arr[np.minimum(crpos + 1, n - 1)] != _LF)]
        viol_pos.append(lone)
        viol_msg.append("a bare carriage return outside quotes")
    viol_pos.append(pos[kind == 0])
    viol_msg.append("a NUL byte")

    malformed_rec: dict[int, str] = {}
    for vp, msg in zip(viol_pos, viol_msg, strict=True):
        if len(vp) == 0:
            continue
        recs = np.searchsorted(starts, vp, side="right") - 1
        for r, p in zip(recs.tolist(), vp.tolist(), strict=True):
            if r not in malformed_rec:
                malformed_rec[r] = f"malformed CSV: {msg} (byte {p - int(starts[r]) + 1} of the record)"

    if len(starts) == 0 or ends[0] == starts[0]:
        raise RejectedFile(name, "no header row (the file is empty or starts with a blank line)")
    if 0 in malformed_rec:
        raise RejectedFile(name, f"header row: {malformed_rec[0]}")
    try:
        header = next(csv.reader([body[int(starts[0]) : int(ends[0])].decode("utf-8")]))
    except (csv.Error, StopIteration) as e:
        raise RejectedFile(name, f"header row cannot be parsed as CSV: {e}") from None

    # data records: drop the header and blank lines, renumber malformed flags
    d_starts, d_ends = starts[1:], ends[1:]
    keep = d_ends > d_starts
    idx = np.flatnonzero(keep)
    new_index = {int(old): new for new, old in enumerate(idx.tolist())}
    malformed = {new_index[r - 1]: m for r, m in malformed_rec.items() if r >= 1 and (r - 1) in new_index}
    return CsvExport(
        name=name,
        encoding=encoding,
        body=body,
        starts=d_starts[keep],
        ends=d_ends[keep],
        malformed=malformed,
        header=header,
        quotes=qpos,
    )


# ----------------------------------------------------------------------------------------------------------------
# header


def check_header(name: str, header: list[str]) -> None:
    """Reject unless the header is exactly the contract's columns in order (surrounding spaces ignored). The
    message names the contract's columns and positions only: a cell that is not a contract header is never
    quoted (when the header row is missing, the first line is a data row, with a caller's name and phone)."""
    got = [h.strip() for h in header]
    if got == HEADERS:
        return
    missing = [h for h in HEADERS if h not in got]
    extra = [i + 1 for i, h in enumerate(got) if h not in HEADERS]
    dupes = sorted({h for h in got if h in HEADERS and got.count(h) > 1})
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if extra:
        problems.append(
            f"{len(extra)} unexpected column(s) at position {', '.join(map(str, extra[:10]))}"
            + (" …" if len(extra) > 10 else "")
            + " (not the contract's headers; values not shown)"
        )
    if dupes:
        problems.append("duplicated column(s) " + ", ".join(dupes))
    if not problems:
        moved = [h for i, h in enumerate(got) if HEADERS[i] != h]
        first = next(i for i, h in enumerate(got) if HEADERS[i] != h)
        problems.append(
            f"columns out of order: {', '.join(moved)} (column {first + 1} is {got[first]}, expected {HEADERS[first]})"
        )
    if len(missing) == len(HEADERS):
        problems.append("the first line looks like a data row: is the header row missing?")
    raise RejectedFile(name, "header: " + "; ".join(problems))


# ----------------------------------------------------------------------------------------------------------------
# xlsx


def _cell_text(v: object) -> str:
    """Cells are text in the contract; typed cells (Excel turned them into numbers/dates) are written back in
    the contract's formats."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.strftime(TIMESTAMP_FORMAT) if not v.microsecond else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.strftime(DATE_FORMAT)
    if isinstance(v, dt.time):
        return v.strftime("%H:%M:%S")
    return str(v)


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


@dataclass
class XlsxExport:
    name: str
    header: list[str]
    numbers: list[int] = field(default_factory=list)  # row numbers of 23-field rows
    rows: list[list[str]] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    texts: dict[int, list[str]] = field(default_factory=dict)
    rows_read: int = 0
    format: str = "xlsx"
    encoding: str | None = None
    fast_path_ok: bool = False

    def raw_text(self, row_number: int) -> str:
        """The row rendered as one CSV line (an xlsx row has no raw text of its own)."""
        return _csv_line(self.texts[row_number])

    def python_rows(self) -> tuple[list[int], list[list[str]], list[BadRow]]:
        return self.numbers, self.rows, self.bad


Export: TypeAlias = CsvExport | XlsxExport  # a decoded export file, either format


def read_xlsx(name: str, path: Path) -> XlsxExport:
    """First sheet; row 1 is the header; blank rows are skipped and not counted."""
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
        if not wb.sheet_names:
            raise RejectedFile(name, "empty xlsx: the workbook has no sheet")
        values = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except RejectedFile:
        raise
    except Exception as e:  # calamine raises its own error types (zip, xml, password, …)
        raise RejectedFile(name, f"unreadable xlsx: {type(e).__name__}: {e}") from None
    if not values or not any(_cell_text(v).strip() for v in values[0]):
        raise RejectedFile(name, "empty xlsx: no header row in the first sheet (row 1 must be the header)")
    header = [_cell_text(v) for v in values[0]]
    while header and header[-1] == "":
        header.pop()
    out = XlsxExport(name=name, header=header)
    rn = 0
    for raw in values[1:]:
        cells = [_cell_text(v) for v in raw]
        width = len(cells)
        while width and cells[width - 1] == "":
            width -= 1
        if width == 0:
            continue  # blank row
        rn += 1
        if width > NCOLS:
            out.texts[rn] = cells[:width]
            out.bad.append(
                BadRow(rn, "wrong_column_count", f"{width} cells, expected {NCOLS}", _csv_line(cells[:width]))
            )
        else:
            cells = cells[:NCOLS] + [""] * (NCOLS - min(len(cells), NCOLS))
            out.texts[rn] = cells
            out.numbers.append(rn)
            out.rows.append(cells)
    out.rows_read = rn
    return out
