"""Fault knobs: reproduce, on a generated dumps folder, every defect users reported in real deliveries.

    from hotline.generate.faults import apply_fault
    record = apply_fault(Path("dumps"), "padded-enums", "5", seed=0)

Each fault rewrites files of the folder in place (rows are modified where they are; no row is inserted or
deleted, except ``missing-day`` which deletes a day's files) and rewrites the manifest of every day it touched
(``row_count`` and ``sha256``; ``exported_at`` stays, except for ``late-redelivery``), so that every file is a
valid delivery again. The csv dialect is the writer's (BOM, minimal quoting, CRLF): rows a fault does not touch
stay byte-identical. Rows are chosen deterministically from ``random.Random(f"{seed}:{name}")``.

The faults (``value`` is what follows ``=`` on the command line, ``--fault NAME=VALUE``):

- ``missing-day=YYYY-MM-DD``: the day's csv and manifest are deleted.
- ``padded-enums=N``: N rows get 来源渠道, 诉求目的, 办理方式, 工单状态 (and 回访结果 when set) padded with
  ASCII and/or ideographic (U+3000) spaces.
- ``future-updated=N``: N rows get 更新时间 after the end of their export day (half the next day, half years
  later).
- ``future-received=N``: N tickets' first row (the export of their receipt day) gets 受理时间 after the end of
  that day; 更新时间 is kept.
- ``inverted-timestamps=N``: N rows, cycling through 回复时间 < 派单时间, 办结时间 < 受理时间, 更新时间 < 受理时间.
- ``late-redelivery=YYYY-MM-DD``: the day is delivered again 40 days later with 3–10 rows corrected (satisfied
  callback results → 不满意, closed work orders reopened: 办结时间 cleared, 工单状态 已回复), chosen among rows
  that are their ticket's newest in the folder so that month figures change.
- ``no-department=N``: N work orders lose their 承办单位 in every row (received in the month before the last
  export day's month when the folder covers it, else anywhere).
- ``stray-spaces=P``: a share P (0..1) of the non-empty 承办单位 cells get one space (ASCII or U+3000) inserted
  inside a department name; every row of a ticket gets the same change.

Bad input raises :class:`FaultError` (a :class:`~hotline.generate.spec.SpecError`, hence a ``ValueError``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline import contract
from hotline.generate.spec import SpecError
from hotline.generate.timeline import q
from hotline.generate.writer import BOM
from hotline.generate.writer import exported_at as default_exported_at
from hotline.periods import month_bounds, previous_month

TS = contract.TIMESTAMP_FORMAT
COL = {h: i for i, h in enumerate(contract.HEADERS)}
PADDED_COLUMNS = ("来源渠道", "诉求目的", "办理方式", "工单状态", "回访结果")
#: (left, right) paddings for padded-enums: ASCII and/or U+3000 ideographic spaces, never both empty.
PADDINGS = (
    (" ", " "),
    ("\u3000", " "),
    (" ", "\u3000"),
    ("\u3000", "\u3000"),
    (" ", ""),
    ("", " "),
    ("\u3000", ""),
    ("", "\u3000"),
    ("  ", " "),
)
STRAY_SPACES = (" ", "\u3000")
REDELIVERY_DELAY = timedelta(days=40)
FUTURE_YEARS = 7  # future-updated: "years in the future" (2024 → 2031)
_NAME_RE = re.compile(r"[^\s" + re.escape(contract.DEPARTMENT_SEPARATORS) + r"]{2,}")
_CSV_RE = re.compile(r"^hotline_(\d{4})(\d{2})(\d{2})\.csv$")


class FaultError(SpecError):
    """A fault that cannot be applied as asked; the message names the problem."""


@dataclass(frozen=True)
class FaultRecord:
    kind: str  # the fault's name
    days: tuple[str, ...]  # export days touched (YYYY-MM-DD), sorted
    ticket_ids: tuple[str, ...]  # tickets touched, sorted
    rows: tuple[tuple[str, int], ...]  # (export day, 1-based data row number in that day's csv), sorted
    detail: str  # one line for humans


# ------------------------------------------------------------------------------------------ files
def _fmt_row(fields: list[str]) -> str:
    return ",".join(q(f) for f in fields)


def _split_records(text: str) -> tuple[list[str], bool]:
    """Raw records (without their CRLF) of a csv text, quoted line breaks kept inside; whether it ends in CRLF."""
    pieces = text.split("\r\n")
    trailing = pieces[-1] == ""
    if trailing:
        pieces.pop()
    out: list[str] = []
    buf: list[str] = []
    quotes = 0
    for p in pieces:
        buf.append(p)
        quotes += p.count('"')
        if quotes % 2 == 0:
            out.append("\r\n".join(buf))
            buf, quotes = [], 0
    if buf:
        out.append("\r\n".join(buf))
    return out, trailing


class _Day:
    """One export day's csv: raw records kept as they are, parsed rows, changes to write back."""

    def __init__(self, day: str, path: Path):
        self.day = day
        self.path = path
        self.manifest_path = path.with_name(contract.manifest_name(day))
        data = path.read_bytes()
        self.bom = data.startswith(BOM)
        try:
            text = data[len(BOM) :].decode("utf-8") if self.bom else data.decode("utf-8")
        except UnicodeDecodeError:
            raise FaultError(f"{path.name} is not UTF-8: faults only rewrite the generator's exports") from None
        self.records, self.trailing = _split_records(text)
        parsed = list(csv.reader(io.StringIO(text, newline="")))
        if len(parsed) != len(self.records) or not parsed or parsed[0] != contract.HEADERS:
            raise FaultError(
                f"{path.name} is not an export in the generator's csv dialect (the contract's "
                "header, CRLF line ends, minimal quoting)"
            )
        self.rows = parsed[1:]  # data rows; row number n is self.rows[n - 1]
        self.changed: set[int] = set()

    def set(self, n: int, column: str, value: str) -> None:
        """Set one cell of data row ``n`` (1-based)."""
        row = self.rows[n - 1]
        if n not in self.changed and _fmt_row(row) != self.records[n]:
            raise FaultError(
                f"{self.path.name} row {n} is not written in the generator's csv dialect; "
                "rewriting it would change more than the fault"
            )
        row[COL[column]] = value
        self.changed.add(n)

    def get(self, n: int, column: str) -> str:
        return self.rows[n - 1][COL[column]]

    def write(self, exported_at: str | None = None) -> None:
        """Write the csv back (changed rows re-serialized, all others byte for byte) and its manifest."""
        records = list(self.records)
        for n in self.changed:
            records[n] = _fmt_row(self.rows[n - 1])
        text = "\r\n".join(records) + ("\r\n" if self.trailing else "")
        data = (BOM if self.bom else b"") + text.encode("utf-8")
        _atomic_write(self.path, data)
        manifest: dict[str, Any] = {}
        if self.manifest_path.exists():
            try:
                manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                manifest = {}
        manifest["export_date"] = self.day
        manifest["row_count"] = len(self.rows)
        manifest["sha256"] = hashlib.sha256(data).hexdigest()
        if exported_at is not None:
            manifest["exported_at"] = exported_at
        manifest.setdefault("exported_at", default_exported_at(date.fromisoformat(self.day)))
        manifest = {k: manifest[k] for k in ("export_date", "row_count", "sha256", "exported_at")} | manifest
        body = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        _atomic_write(self.manifest_path, body.encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class _Folder:
    """The export days of a dumps folder, parsed on demand."""

    def __init__(self, dumps: Path):
        self.dir = dumps
        if not dumps.is_dir():
            raise FaultError(f"dumps folder {dumps} does not exist")
        self.paths: dict[str, Path] = {}
        for p in sorted(dumps.iterdir()):
            m = _CSV_RE.match(p.name)
            if m and p.is_file():
                self.paths[f"{m.group(1)}-{m.group(2)}-{m.group(3)}"] = p
        if not self.paths:
            raise FaultError(f"{dumps} holds no daily export (hotline_YYYYMMDD.csv)")
        self.day_list = sorted(self.paths)
        self._days: dict[str, _Day] = {}

    def day(self, d: str) -> _Day:
        got = self._days.get(d)
        if got is None:
            got = self._days[d] = _Day(d, self.paths[d])
        return got

    def all_rows(self) -> Iterator[tuple[str, int, list[str]]]:
        """(day, row number, row) over every data row, in day and row order."""
        for d in self.day_list:
            for n, row in enumerate(self.day(d).rows, start=1):
                yield d, n, row

    def tickets(self) -> dict[str, list[tuple[str, int]]]:
        """ticket id -> [(day, row number)] in day order."""
        out: dict[str, list[tuple[str, int]]] = {}
        for d, n, row in self.all_rows():
            out.setdefault(row[0], []).append((d, n))
        return out

    def check_day(self, name: str, value: str | None) -> str:
        d = _parse_day(name, value)
        if d not in self.paths:
            raise FaultError(
                f"fault {name}: no export of {d} in {self.dir} (it holds {len(self.day_list)} days, "
                f"{self.day_list[0]} … {self.day_list[-1]})"
            )
        return d


# ------------------------------------------------------------------------------------------ values
def _parse_day(name: str, value: str | None) -> str:
    if value is None or not str(value).strip():
        raise FaultError(f"fault {name} needs a day: {name}=YYYY-MM-DD")
    text = str(value).strip()
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise FaultError(f"fault {name}: {value!r} is not a day YYYY-MM-DD") from None


def _count(name: str, value: str | None) -> int:
    if value is None or not str(value).strip():
        raise FaultError(f"fault {name} needs a number: {name}=N")
    try:
        n = int(str(value).strip())
    except ValueError:
        raise FaultError(f"fault {name}: {value!r} is not a whole number") from None
    if n < 1:
        raise FaultError(f"fault {name}: N must be at least 1, got {n}")
    return n


def _share(name: str, value: str | None) -> float:
    if value is None or not str(value).strip():
        raise FaultError(f"fault {name} needs a share between 0 and 1: {name}=P")
    try:
        p = float(str(value).strip())
    except ValueError:
        raise FaultError(f"fault {name}: {value!r} is not a number") from None
    if not 0 <= p <= 1:
        raise FaultError(f"fault {name}: the share P must be in [0, 1], got {p:g}")
    return p


def _too_many(name: str, n: int, available: int, what: str) -> FaultError:
    return FaultError(f"fault {name}={n}: only {available} {what} in the folder")


def _ts(s: str) -> datetime:
    return datetime.strptime(s.strip(), TS)


def _fmt(t: datetime) -> str:
    return t.strftime(TS)


def _receipt_day(tid: str) -> str | None:
    """The receipt day from a ticket id (HX + yymmdd of receipt + …)."""
    if not contract.TICKET_ID_RE.match(tid):
        return None
    try:
        return date(2000 + int(tid[2:4]), int(tid[4:6]), int(tid[6:8])).isoformat()
    except ValueError:
        return None


def _record(kind: str, touched: list[tuple[str, int]], tickets: Iterable[str], detail: str) -> FaultRecord:
    return FaultRecord(
        kind=kind,
        days=tuple(sorted({d for d, _ in touched})),
        ticket_ids=tuple(sorted(set(tickets))),
        rows=tuple(sorted(set(touched))),
        detail=detail,
    )


def _write(folder: _Folder, touched: list[tuple[str, int]], exported_at: str | None = None) -> None:
    for d in sorted({d for d, _ in touched}):
        folder.day(d).write(exported_at)


# ------------------------------------------------------------------------------------------ the faults
def missing_day(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    d = folder.check_day("missing-day", value)
    day = folder.day(d)
    touched = [(d, n) for n in range(1, len(day.rows) + 1)]
    tickets = [r[0] for r in day.rows]
    day.path.unlink()
    if day.manifest_path.exists():
        day.manifest_path.unlink()
    return FaultRecord(
        kind="missing-day",
        days=(d,),
        ticket_ids=tuple(sorted(set(tickets))),
        rows=tuple(touched),
        detail=f"deleted the export of {d} ({len(touched)} rows)",
    )


def padded_enums(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    n = _count("padded-enums", value)
    cands = [(d, k) for d, k, _ in folder.all_rows()]
    if n > len(cands):
        raise _too_many("padded-enums", n, len(cands), "rows")
    touched, tickets = [], []
    for d, k in sorted(rng.sample(cands, n)):
        day = folder.day(d)
        for col in PADDED_COLUMNS:
            v = day.get(k, col)
            if not v:
                continue
            left, right = PADDINGS[rng.randrange(len(PADDINGS))]
            day.set(k, col, left + v + right)
        touched.append((d, k))
        tickets.append(day.get(k, "工单编号"))
    _write(folder, touched)
    return _record(
        "padded-enums",
        touched,
        tickets,
        f"{n} rows with 来源渠道/诉求目的/办理方式/工单状态/回访结果 padded with ASCII or U+3000 spaces",
    )


def future_updated(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    n = _count("future-updated", value)
    cands = [(d, k) for d, k, _ in folder.all_rows()]
    if n > len(cands):
        raise _too_many("future-updated", n, len(cands), "rows")
    touched, tickets = [], []
    years = 0
    for i, (d, k) in enumerate(rng.sample(cands, n)):
        day = folder.day(d)
        nxt = date.fromisoformat(d) + timedelta(days=1)
        if i % 2 == 0:  # the next day
            t = datetime(nxt.year, nxt.month, nxt.day) + timedelta(seconds=rng.randrange(86400))
        else:  # years in the future
            base = date.fromisoformat(d)
            y = base.year + FUTURE_YEARS
            t = datetime(y, base.month, min(base.day, 28) if base.month == 2 else base.day) + timedelta(
                seconds=rng.randrange(86400)
            )
            years += 1
        day.set(k, "更新时间", _fmt(t))
        touched.append((d, k))
        tickets.append(day.get(k, "工单编号"))
    _write(folder, touched)
    return _record(
        "future-updated",
        touched,
        tickets,
        f"{n} rows with 更新时间 after their export day ({n - years} the next day, {years} {FUTURE_YEARS} years later)",
    )


def future_received(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    n = _count("future-received", value)
    cands = []
    for tid, places in folder.tickets().items():
        d, k = places[0]
        if _receipt_day(tid) == d and folder.day(d).get(k, "受理时间")[:10] == d:
            cands.append((tid, d, k))
    if n > len(cands):
        raise _too_many("future-received", n, len(cands), "tickets with their receipt day's export")
    touched, tickets = [], []
    for tid, d, k in rng.sample(cands, n):
        nxt = date.fromisoformat(d) + timedelta(days=1 + rng.randrange(3))
        t = datetime(nxt.year, nxt.month, nxt.day) + timedelta(seconds=rng.randrange(8 * 3600, 20 * 3600))
        folder.day(d).set(k, "受理时间", _fmt(t))
        touched.append((d, k))
        tickets.append(tid)
    _write(folder, touched)
    return _record(
        "future-received",
        touched,
        tickets,
        f"{n} tickets received after the end of their receipt day's export (受理时间 in its first row)",
    )


def inverted_timestamps(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    n = _count("inverted-timestamps", value)
    rows = list(folder.all_rows())
    pools = [
        [(d, k) for d, k, r in rows if r[COL["回复时间"]].strip() and r[COL["派单时间"]].strip()],
        [(d, k) for d, k, r in rows if r[COL["办结时间"]].strip() and r[COL["受理时间"]].strip()],
        [(d, k) for d, k, r in rows if r[COL["更新时间"]].strip() and r[COL["受理时间"]].strip()],
    ]
    need = [len(range(i, n, 3)) for i in range(3)]
    labels = ("回复时间 before 派单时间", "办结时间 before 受理时间", "更新时间 before 受理时间")
    chosen: set[tuple[str, int]] = set()
    picks: list[list[tuple[str, int]]] = []
    for i in range(3):
        pool = [c for c in pools[i] if c not in chosen]
        if need[i] > len(pool):
            raise FaultError(
                f"fault inverted-timestamps={n}: needs {need[i]} rows for {labels[i]} but only "
                f"{len(pool)} rows qualify in the folder"
            )
        got = rng.sample(pool, need[i])
        chosen.update(got)
        picks.append(got)
    touched, tickets = [], []
    for i, (col, ref) in enumerate((("回复时间", "派单时间"), ("办结时间", "受理时间"), ("更新时间", "受理时间"))):
        for d, k in picks[i]:
            day = folder.day(d)
            earlier = _ts(day.get(k, ref)) - timedelta(seconds=600 + rng.randrange(2 * 86400))
            day.set(k, col, _fmt(earlier))
            touched.append((d, k))
            tickets.append(day.get(k, "工单编号"))
    _write(folder, touched)
    return _record(
        "inverted-timestamps",
        touched,
        tickets,
        f"{n} rows with inverted timestamps ({need[0]} {labels[0]}, {need[1]} {labels[1]}, {need[2]} {labels[2]})",
    )


def late_redelivery(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    d = folder.check_day("late-redelivery", value)
    tickets = folder.tickets()
    day = folder.day(d)
    callbacks, reopen = [], []
    for k, r in enumerate(day.rows, start=1):
        if tickets[r[0]][-1][0] != d:  # a later export supersedes this row: correcting it changes no figure
            continue
        status, handling = r[COL["工单状态"]].strip(), r[COL["办理方式"]].strip()
        if r[COL["回访时间"]].strip() and r[COL["回访结果"]].strip() in contract.SATISFIED_CALLBACK_RESULTS:
            callbacks.append(k)
        elif (
            handling == "工单转办"
            and status == "已办结"
            and r[COL["办结时间"]].strip()
            and r[COL["回复时间"]].strip()
            and not r[COL["回访时间"]].strip()
        ):
            reopen.append(k)
    if len(callbacks) + len(reopen) < 3:
        raise FaultError(
            f"fault late-redelivery={d}: only {len(callbacks) + len(reopen)} rows of {d} can be "
            "corrected so that a figure changes (a satisfied callback or a closed work order, in its "
            "ticket's newest row); at least 3 are needed"
        )
    want = min(rng.randint(3, 10), len(callbacks) + len(reopen))
    n_cb = min(len(callbacks), (want + 1) // 2)
    n_re = min(len(reopen), want - n_cb)
    n_cb = want - n_re
    touched: list[tuple[str, int]] = []
    for k in rng.sample(callbacks, n_cb):  # satisfied → not: the satisfaction figure of that month drops
        day.set(k, "回访结果", "不满意")
        touched.append((d, k))
    for k in rng.sample(reopen, n_re):
        day.set(k, "办结时间", "")
        day.set(k, "工单状态", "已回复")
        touched.append((d, k))
    ids = [day.get(k, "工单编号") for _, k in touched]
    old_manifest = {}
    if day.manifest_path.exists():
        try:
            old_manifest = json.loads(day.manifest_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            old_manifest = {}
    try:
        before = datetime.fromisoformat(str(old_manifest.get("exported_at")))
    except ValueError:
        before = datetime.fromisoformat(default_exported_at(date.fromisoformat(d)))
    when = (before + REDELIVERY_DELAY).isoformat()
    day.write(exported_at=when)
    return _record(
        "late-redelivery",
        touched,
        ids,
        f"{d} re-delivered with exported_at {when}: {len(touched)} rows corrected ({n_cb} callback "
        f"results 满意/基本满意 → 不满意, {n_re} closed work orders reopened)",
    )


def no_department(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    n = _count("no-department", value)
    tickets = folder.tickets()
    first, last = date.fromisoformat(folder.day_list[0]), date.fromisoformat(folder.day_list[-1])
    whole_month = previous_month(last.isoformat()[:7])
    m_start, m_next = month_bounds(whole_month)
    month: str | None = whole_month
    if not (first <= m_start and m_next - timedelta(days=1) <= last):
        month = None  # the folder does not cover a whole month before its last one: anywhere
    cands = []
    for tid, places in sorted(tickets.items()):
        recv = _receipt_day(tid)
        if recv is None or recv not in {d for d, _ in places} or (month and recv[:7] != month):
            continue
        rows = [(d, k) for d, k in places]
        if not any(folder.day(d).get(k, "办理方式").strip() == "工单转办" for d, k in rows):
            continue
        cells = [(d, k) for d, k in rows if folder.day(d).get(k, "承办单位")]
        if cells:
            cands.append((tid, cells))
    where = f"received in {month}" if month else "received on a day of the folder"
    if n > len(cands):
        raise _too_many("no-department", n, len(cands), f"work orders with a department {where}")
    touched, ids = [], []
    for tid, cells in rng.sample(cands, n):
        for d, k in cells:
            folder.day(d).set(k, "承办单位", "")
            touched.append((d, k))
        ids.append(tid)
    _write(folder, touched)
    return _record("no-department", touched, ids, f"{n} work orders {where} without any 承办单位 in every row")


def stray_spaces(folder: _Folder, value: str | None, rng: random.Random) -> FaultRecord:
    p = _share("stray-spaces", value)
    cells: dict[str, list[tuple[str, int]]] = {}
    n_cells = 0
    for d, k, r in folder.all_rows():
        cell = r[COL["承办单位"]]
        if cell:
            n_cells += 1
            if _NAME_RE.search(cell):
                cells.setdefault(r[0], []).append((d, k))
    target = round(p * n_cells)
    available = sum(len(v) for v in cells.values())
    if target > available:
        raise FaultError(
            f"fault stray-spaces={value}: {target} of {n_cells} 承办单位 cells asked for, only "
            f"{available} hold a department name of two characters or more"
        )
    order = sorted(cells)
    rng.shuffle(order)
    touched, ids = [], []
    taken = 0
    for tid in order:
        if taken >= target:
            break
        places = cells[tid]
        if taken + len(places) > target:
            continue
        base = folder.day(places[0][0]).get(places[0][1], "承办单位")
        names = list(_NAME_RE.finditer(base))
        m = names[rng.randrange(len(names))]
        token = m.group(0)
        nth = sum(1 for x in names[: names.index(m)] if x.group(0) == token)
        cut = 1 + rng.randrange(len(token) - 1)
        space = STRAY_SPACES[rng.randrange(len(STRAY_SPACES))]
        changed = False
        for d, k in places:
            cell = folder.day(d).get(k, "承办单位")
            same = [x for x in _NAME_RE.finditer(cell) if x.group(0) == token]
            if len(same) <= nth:
                continue
            at = same[nth].start() + cut
            folder.day(d).set(k, "承办单位", cell[:at] + space + cell[at:])
            touched.append((d, k))
            changed = True
        taken += len(places)
        if changed:
            ids.append(tid)
    _write(folder, touched)
    return _record(
        "stray-spaces",
        touched,
        ids,
        f"{len(touched)} of {n_cells} 承办单位 cells ({p:g}) with a space inside a department name, {len(ids)} tickets",
    )


FAULTS: dict[str, Callable[[_Folder, str | None, random.Random], FaultRecord]] = {
    "missing-day": missing_day,
    "padded-enums": padded_enums,
    "future-updated": future_updated,
    "future-received": future_received,
    "inverted-timestamps": inverted_timestamps,
    "late-redelivery": late_redelivery,
    "no-department": no_department,
    "stray-spaces": stray_spaces,
}


_VALUE_KIND = {"missing-day": "day", "late-redelivery": "day", "stray-spaces": "share"}


def check_fault(name: str, value: str | None) -> None:
    """The checks that need no folder: a known name and a value of the right kind (raises FaultError)."""
    if name not in FAULTS:
        raise FaultError(f"unknown fault {name!r} (valid: {', '.join(FAULTS)})")
    kind = _VALUE_KIND.get(name, "count")
    if kind == "count":
        _count(name, value)
    elif kind == "share":
        _share(name, value)
    else:
        _parse_day(name, value)


def parse_fault(text: str) -> tuple[str, str | None]:
    """``NAME[=VALUE]`` as typed on the command line."""
    name, eq, value = str(text).partition("=")
    return name.strip(), (value.strip() if eq else None)


def apply_fault(dumps: Path | str, name: str, value: str | None = None, seed: int = 0) -> FaultRecord:
    """Apply fault ``name`` (with ``value``) to the generated exports in ``dumps``, in place."""
    impl = FAULTS.get(name)
    if impl is None:
        raise FaultError(f"unknown fault {name!r} (valid: {', '.join(FAULTS)})")
    folder = _Folder(Path(dumps))
    return impl(folder, value, random.Random(f"{seed}:{name}"))
