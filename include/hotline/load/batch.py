"""Writing checked files to the raw layer, several per transaction.

The batch's well-formed UTF-8 CSVs are read by DuckDB in one read_csv (``_stage_batch``; other files were
staged on their own when checked), the rows of all its files are classified in SQL (``rows.py``, one query per
batch) and the bad ones taken out of the staged rows; then, for each file, the date's rows and quarantine rows
are deleted, the new ones inserted, control totals checked, raw.exports upserted and an audit row written, all
in ONE transaction (``Batch.write``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from hotline.contract import HEADERS, Manifest
from hotline.load import readers
from hotline.load.audit import FileResult, insert_audit, reject, utcnow
from hotline.load.controls import row_totals
from hotline.load.discover import ExportDay, StatKey, stat_key, stat_text
from hotline.load.errors import RejectedFile
from hotline.load.rows import bad_rows_sql, caller_key_sql, clean_sql, vals_sql
from hotline.load.stage import HEADER_COLUMNS, READ_CSV_OPTIONS, drop_temps, sample_agrees, stage_file
from hotline.sql import lit, q, scalar

BATCH_ROWS = 500_000  # staged rows (several DuckDB row groups) written per transaction
CHANGED_WHILE_LOADED = "the file changed while it was being loaded; load again"

QuarantineRow = tuple[int, str, str, str]  # (row number, reason code, reason, raw text)
InForce = tuple[Any, ...]  # the raw.exports row in force: (file_sha256, exported_at, file_name)


@dataclass
class CheckedFile:
    """A file that passed the file-level checks, its rows staged in temp ``_rows<t>``. Its rows are classified
    with the other files of its batch when the batch is written (``_classify``), which fills ``quarantine``."""

    t: str
    day: ExportDay
    path: Path
    man: Manifest
    sha: str
    in_force: InForce | None
    rows_read: int
    staged: int
    structural: list[QuarantineRow]  # rows that could not be staged
    export: readers.Export | None  # the decoded file, for the raw text of the rows found bad (released once classified)
    res: FileResult
    quarantine: list[QuarantineRow] = field(default_factory=list)
    stat: StatKey | None = None
    deferred: bool = False  # a well-formed UTF-8 CSV, not staged yet: _stage_batch reads it
    start: int | None = None  # its first row's rowid in temp _batch_csv, once read there

    @classmethod
    def staged_alone(
        cls,
        con: duckdb.DuckDBPyConnection,
        t: str,
        day: ExportDay,
        path: Path,
        export: readers.Export,
        man: Manifest,
        sha: str,
        structural_bad: list[readers.BadRow],
        in_force: InForce | None,
        res: FileResult,
        stat: StatKey | None,
    ) -> CheckedFile:
        """A file whose rows were staged on their own (``stage_file``)."""
        staged = scalar(con, f"SELECT count(*) FROM _rows{t}")
        structural = [(b.row_number, b.reason_code, b.reason, b.raw_text) for b in structural_bad]
        return cls(t, day, path, man, sha, in_force, export.rows_read, staged, structural, export, res, stat=stat)


def _stage_batch(
    con: duckdb.DuckDBPyConnection, files: list[CheckedFile], tmp_root: Path, load_id: str
) -> list[CheckedFile]:
    """Read the batch's deferred files (well-formed UTF-8 CSVs) with ONE read_csv into temp ``_batch_csv``, file
    after file in rowid order: DuckDB parses them in parallel, and the batch's INSERT then scans whole row
    groups, in order, so each row is written to the warehouse once. (Per-file tables are one row group each: an
    ordered INSERT from them runs on one core; an unordered one leaves small row groups that a checkpoint
    rewrites.) A file DuckDB does not return exactly (row count, a contiguous rowid range, the sample) is staged
    on its own (``stage_file``); a file modified since it was checked is rejected. Returns the files to write."""
    deferred = [f for f in files if f.deferred]
    got: dict[str, tuple[int, Any, Any]] = {}
    if deferred:
        paths = "[" + ", ".join(lit(str(f.path)) for f in deferred) + "]"
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _batch_csv AS SELECT * FROM read_csv({paths}, "
                f"{READ_CSV_OPTIONS}, filename = true)"
            )
            got = {
                name: (n, lo, hi)
                for name, n, lo, hi in con.execute(
                    "SELECT filename, count(*), min(rowid), max(rowid) FROM _batch_csv GROUP BY filename"
                ).fetchall()
            }
        except duckdb.Error:
            con.execute("DROP TABLE IF EXISTS temp._batch_csv")
    kept: list[CheckedFile] = []
    for f in files:
        if f.deferred:
            f.deferred = False
            n, lo, hi = got.get(str(f.path), (0, None, None))
            if stat_key(f.path) != f.stat:
                reject(con, f.res, RejectedFile(f.path.name, CHANGED_WHILE_LOADED), load_id)
                if n:
                    con.execute("DELETE FROM _batch_csv WHERE filename = ?", [str(f.path)])
                continue
            if (
                n
                and n == f.rows_read
                and hi - lo + 1 == n
                and isinstance(f.export, readers.CsvExport)
                and sample_agrees(con, "_batch_csv", lo, f.export, n)
            ):
                f.start = lo
            else:
                if n:
                    con.execute("DELETE FROM _batch_csv WHERE filename = ?", [str(f.path)])
                assert f.export is not None  # released only once classified
                bad = stage_file(con, f.t, f.export, f.path, tmp_root)
                f.structural = [(b.row_number, b.reason_code, b.reason, b.raw_text) for b in bad]
                f.staged = scalar(con, f"SELECT count(*) FROM _rows{f.t}")
        kept.append(f)
    return kept


def _case(
    files: list[CheckedFile], value: Callable[[CheckedFile], str], only: Callable[[CheckedFile], bool] | None = None
) -> str:
    """A CASE on ``_file`` (the file's position in the batch) giving each file's ``value`` (SQL)."""
    whens = " ".join(f"WHEN {i} THEN {value(f)}" for i, f in enumerate(files) if only is None or only(f))
    return f"CASE _file {whens} END"


def _batch_start(files: list[CheckedFile]) -> str:
    """Each file's first rowid in temp _batch_csv, by ``_file`` (SQL)."""
    return _case(files, lambda f: str(f.start), only=lambda f: f.start is not None)


def _batch_rows(files: list[CheckedFile]) -> str:
    """The staged rows of the whole batch: (``_file``, _row_number, <23 columns>)."""
    parts = []
    if any(f.start is not None for f in files):
        index = (
            "CASE filename "
            + " ".join(f"WHEN {lit(str(f.path))} THEN {i}" for i, f in enumerate(files) if f.start is not None)
            + " END"
        )
        start = _batch_start(files)
        parts.append(
            f"SELECT _file, CAST(rowid - {start} + 1 AS INTEGER) AS _row_number, {HEADER_COLUMNS} "
            f"FROM (SELECT {index} AS _file, rowid, * FROM _batch_csv)"
        )
    parts += [f"SELECT {i} AS _file, * FROM _rows{f.t}" for i, f in enumerate(files) if f.start is None]
    return "(" + " UNION ALL ".join(parts) + ")"


def _classify(con: duckdb.DuckDBPyConnection, files: list[CheckedFile]) -> None:
    """Classify the staged rows of every file of the batch in one query (rows.py) into temp ``_bad_batch``
    (``_file`` = the file's position in the batch), then take the bad rows out of the staged rows."""
    day = _case(files, lambda f: f"DATE {lit(f.day.date)}")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _vals_batch AS {vals_sql(_batch_rows(files), by=('_file',), export_date=day)}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _bad_batch AS {bad_rows_sql('_vals_batch', by=('_file',))}")
    con.execute("DROP VIEW _vals_batch")
    bad: dict[int, list[QuarantineRow]] = {}
    for i, rn, code, reason in con.execute("SELECT _file, _row_number, reason_code, reason FROM _bad_batch").fetchall():
        export = files[i].export
        assert export is not None  # released below, once classified
        bad.setdefault(i, []).append((rn, code, reason, export.raw_text(rn)))
    for i, f in enumerate(files):
        f.quarantine = sorted(f.structural + bad.get(i, []))
        f.export = None
        if i in bad and f.start is None:
            _unstage(con, f.t, f"SELECT _row_number FROM _bad_batch WHERE _file = {i}")
    if any(i in bad for i, f in enumerate(files) if f.start is not None):
        con.execute(
            f"DELETE FROM _batch_csv WHERE rowid IN (SELECT {_batch_start(files)} + _row_number - 1 FROM _bad_batch)"
        )


def _unstage(con: duckdb.DuckDBPyConnection, t: str, numbers: str) -> None:
    """Delete the rows ``numbers`` (a query of row numbers) from a file's own staged rows (stage_file): the
    batch's INSERT is then a plain scan, without an anti-join (with one, DuckDB no longer writes the rows in
    order)."""
    tables = {
        n
        for (n,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'temp' AND table_name IN ($m, $c)",
            {"m": f"_map{t}", "c": f"_csv{t}"},
        ).fetchall()
    }
    if f"_map{t}" in tables:
        con.execute(f"DELETE FROM _map{t} WHERE _row_number IN ({numbers})")
    elif f"_csv{t}" in tables:  # its rows are numbered by rowid, which a delete leaves as it is
        con.execute(f"DELETE FROM _csv{t} WHERE rowid + 1 IN ({numbers})")
    else:
        con.execute(f"DELETE FROM _rows{t} WHERE _row_number IN ({numbers})")


class Batch:
    """Checked files waiting to be written (their rows staged in temp tables, or about to be read:
    ``_stage_batch``), written in one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, load_id: str, tmp_root: Path, key: str) -> None:
        self.con, self.load_id, self.tmp_root, self.key = con, load_id, tmp_root, key
        self.files: list[CheckedFile] = []
        self.failed = False
        self._n = 0

    def next_suffix(self) -> str:
        self._n += 1
        return f"_{self._n}"

    @property
    def dates(self) -> set[str]:
        return {f.day.date for f in self.files}

    @property
    def rows(self) -> int:
        return sum(f.staged for f in self.files)

    def add(self, checked: CheckedFile) -> None:
        self.files.append(checked)

    def write(self) -> None:
        if not self.files:
            return
        con = self.con
        self.failed = True  # until committed: a failed write is not attempted again
        try:
            files = _stage_batch(con, self.files, self.tmp_root, self.load_id)
            if files:
                con.execute("BEGIN TRANSACTION")
                try:
                    _classify(con, files)
                    _write(con, files, utcnow(), self.load_id, self.key)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
        finally:
            for f in self.files:
                drop_temps(con, f.t)
            con.execute("DROP TABLE IF EXISTS temp._bad_batch")
            con.execute("DROP TABLE IF EXISTS temp._batch_csv")
        self.files, self.failed = [], False


def _insert_quarantine(con: duckdb.DuckDBPyConnection, meta: list[str], rows: list[QuarantineRow]) -> None:
    if not rows:
        return
    frame = pd.DataFrame(
        {
            "_row_number": np.asarray([r[0] for r in rows], dtype=np.int32),
            "reason_code": pd.Series([r[1] for r in rows], dtype=object),
            "reason": pd.Series([r[2] for r in rows], dtype=object),
            "raw_text": pd.Series([r[3] for r in rows], dtype=object),
        }
    )
    con.register("_quarantine_in", frame)
    try:
        con.execute(
            "INSERT INTO raw.quarantine SELECT ?::DATE, ?, ?, _row_number, reason_code, reason, raw_text "
            "FROM _quarantine_in",
            meta,
        )
    finally:
        con.unregister("_quarantine_in")


def _write(con: duckdb.DuckDBPyConnection, files: list[CheckedFile], now: dt.datetime, load_id: str, key: str) -> None:
    """The batch's transaction: each date's old rows out, every file's accepted rows in (one INSERT, in staged
    order: see _stage_batch), quarantined rows in, control totals checked, exports and audit rows."""
    dates = [f.day.date for f in files]
    # the dates as literals, not a parameter list: DuckDB then skips the row groups of other days by their
    # min/max instead of probing every row of the year's raw layer
    in_dates = "(" + ", ".join(f"DATE {lit(d)}" for d in dates) + ")"
    con.execute(f"DELETE FROM raw.ticket_rows WHERE _export_date IN {in_dates}")
    con.execute(f"DELETE FROM raw.quarantine WHERE _export_date IN {in_dates}")
    cols = ", ".join(clean_sql(f"r.{q(h)}") for h in HEADERS)  # stored normalized: every layer sees this value
    con.execute(
        f"""INSERT INTO raw.ticket_rows
        SELECT {_case(files, lambda f: f"DATE {lit(f.day.date)}")}, {_case(files, lambda f: lit(f.path.name))},
               {_case(files, lambda f: lit(f.sha))}, r._row_number, $now, {caller_key_sql('r."联系电话"')}, {cols}
        FROM {_batch_rows(files)} r""",
        {"now": now, "pii_key": key},
    )
    for f in files:
        _insert_quarantine(con, [f.day.date, f.path.name, f.sha], f.quarantine)
    totals = row_totals(con, dates)
    for f in files:
        day, res, in_force = f.day, f.res, f.in_force
        loaded, numbers = totals.get(("ticket_rows", day.date), (0, 0))
        quarantined = totals.get(("quarantine", day.date), (0, 0))[0]
        if loaded + quarantined != f.rows_read or quarantined != len(f.quarantine):
            raise RuntimeError(
                f"{f.path.name}: control totals do not add up: read {f.rows_read}, loaded "
                f"{loaded}, quarantined {quarantined} (expected {len(f.quarantine)}); rolled back"
            )
        if numbers != loaded:
            raise RuntimeError(
                f"{f.path.name}: {loaded - numbers} row numbers occur twice in raw.ticket_rows; rolled back"
            )
        res.status = "replaced" if in_force else "loaded"
        res.rows_read, res.rows_loaded, res.rows_quarantined = f.rows_read, loaded, quarantined
        res.message = f"replaced the delivery {in_force[2]} ({in_force[0][:12]}…)" if in_force else ""
        con.execute(
            "INSERT OR REPLACE INTO raw.exports VALUES (?::DATE, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                day.date,
                f.path.name,
                f.sha,
                res.format,
                res.encoding,
                f.man.row_count,
                f.man.sha256,
                f.man.exported_at,
                loaded,
                quarantined,
                now,
                load_id,
                stat_text(f.stat),
            ],
        )
        insert_audit(con, res, load_id, now, replaced_sha=in_force[0] if in_force else None)
