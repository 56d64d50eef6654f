"""Reading export files and staging their rows in temporary tables.

The next new files are read, hashed, decoded and scanned in a worker thread while DuckDB writes the batch before
them (``Prefetch``). A well-formed UTF-8 CSV is split into fields by DuckDB's parallel CSV reader (the "fast
path"), after numpy found the record boundaries; the result is accepted only if DuckDB returns exactly our row
count and a sample of rows equal field for field to Python's ``csv`` module, else the rows are parsed in Python
(also the path for files with malformed rows, and for xlsx). A file's staged rows are temp ``_rows<t>``
(``_row_number``, the 23 columns), ``t`` being the file's suffix in its batch.
"""

from __future__ import annotations

import hashlib
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from hotline.contract import HEADERS
from hotline.load import readers
from hotline.load.discover import StatKey, stat_key
from hotline.load.errors import RejectedFile
from hotline.sql import lit, q, scalar

SAMPLE_ROWS = 64  # rows compared between DuckDB's CSV reader and Python's csv module on the fast path
# files read ahead by the worker (~a batch): it reads the next batch while DuckDB writes this one (with one file
# ahead, the checks of a batch waited on the worker file after file)
READ_AHEAD = 6

_COLUMNS_SQL = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in HEADERS) + "}"
# buffer_size: DuckDB splits a file into buffers that its threads parse in parallel; the default (16 × the 2 MB
# max_line_size) leaves a megacity day's file (15–40 MB) to one or two threads
READ_CSV_OPTIONS = (
    f"header = true, columns = {_COLUMNS_SQL}, delim = ',', quote = '\"', escape = '\"', "
    "auto_detect = false, strict_mode = true, ignore_errors = true, encoding = 'utf-8', "
    "buffer_size = 4194304"
)
HEADER_COLUMNS = ", ".join(q(h) for h in HEADERS)


# ----------------------------------------------------------------------------------------------------------------
# reading ahead


@dataclass
class ReadFile:
    """A file's bytes read, hashed, decoded and split into records (CSV), or the error doing so."""

    path: Path
    stat: StatKey | None = None
    sha: str | None = None
    read_error: OSError | None = None
    _export: readers.CsvExport | None = None
    _error: RejectedFile | None = None

    def export(self) -> readers.CsvExport:
        """The decoded CSV (only for a CSV file that could be read)."""
        if self._error is not None:
            raise self._error
        assert self._export is not None, f"{self.path.name}: not a CSV file, or not read"
        return self._export


def read_file(path: Path) -> ReadFile:
    """The CPU side of a file's checks, free of any database access (it may run in a worker thread)."""
    r = ReadFile(path)
    try:
        r.stat = stat_key(path)
        data = path.read_bytes()
    except OSError as e:
        r.read_error = e
        return r
    r.sha = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".csv":
        try:
            encoding, body = readers.decode_check(path.name, data)
            del data
            r._export = readers.scan_csv(path.name, encoding, body)
        except RejectedFile as e:
            r._error = e
    return r


class Prefetch:
    """Reads the next likely-new files in one worker thread while DuckDB writes the batch before them: sha256,
    file reads and numpy release the GIL, and so does DuckDB, so a load from empty keeps both cores busy
    (READ_AHEAD files ahead at most: with the batch's files, ~2 × 6 files' size in memory)."""

    def __init__(self, candidates: list[Path]):
        self._next = dict(zip(candidates, candidates[1:], strict=False))  # each file -> the one after it
        self._first = candidates[0] if candidates else None
        self._futures: dict[Path, Future[ReadFile]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotline-read") if candidates else None

    def _submit(self, path: Path | None) -> None:
        if path is not None and self._pool is not None and path not in self._futures:
            self._futures[path] = self._pool.submit(read_file, path)

    def ahead(self, current: Path | None) -> None:
        """Before ``current`` is processed: make sure it is being read, and the READ_AHEAD after it."""
        if current in self._next or current == self._first:
            self._submit(current)
            nxt = current
            for _ in range(READ_AHEAD):
                nxt = self._next.get(nxt) if nxt is not None else None
                self._submit(nxt)

    def take(self, path: Path) -> ReadFile:
        fut = self._futures.pop(path, None)
        return fut.result() if fut is not None else read_file(path)

    def close(self) -> None:
        if self._pool is not None:
            for f in self._futures.values():
                f.cancel()
            self._pool.shutdown(wait=True)
            self._futures.clear()


# ----------------------------------------------------------------------------------------------------------------
# staging


def stage_file(
    con: duckdb.DuckDBPyConnection, t: str, export: readers.Export, original: Path | None, tmp_root: Path
) -> list[readers.BadRow]:
    """Create temp ``_rows<t>(_row_number, <23 columns>)`` holding every structurally good row; return the
    structurally bad ones (malformed_csv, wrong_column_count). ``original``: the file itself when DuckDB can
    read it as is (UTF-8), else the UTF-8 body is written to a temporary file."""
    if isinstance(export, readers.CsvExport) and export.fast_path_ok:
        bad = _stage_fast(con, t, export, original, tmp_root)
        if bad is not None:
            return bad
    numbers, rows, bad = export.python_rows()
    cols = ", ".join(f"{q(h)} VARCHAR" for h in HEADERS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rows{t} (_row_number INTEGER, {cols})")
    if rows:
        frame = pd.DataFrame(
            {
                "_row_number": np.asarray(numbers, dtype=np.int32),
                **{f"c{i}": pd.Series(col, dtype=object) for i, col in enumerate(zip(*rows, strict=True))},
            }
        )
        con.register("_py_rows", frame)
        try:
            con.execute(f"INSERT INTO _rows{t} SELECT * FROM _py_rows")
        finally:
            con.unregister("_py_rows")
    return bad


def _stage_fast(
    con: duckdb.DuckDBPyConnection, t: str, export: readers.CsvExport, original: Path | None, tmp_root: Path
) -> list[readers.BadRow] | None:
    """Let DuckDB's CSV reader split the fields (every record is known to be well-formed). Returns the
    wrong-width rows, or None when DuckDB's rows are not exactly ours (then the Python path is taken)."""
    if original is not None:
        return _read_csv_fast(con, t, export, original)
    with tempfile.TemporaryDirectory(prefix=".hotline-load-", dir=tmp_root) as d:  # GB18030: DuckDB reads UTF-8 only
        src = Path(d) / "body.csv"
        src.write_bytes(export.body)
        return _read_csv_fast(con, t, export, src)


def sample_agrees(
    con: duckdb.DuckDBPyConnection,
    table: str,
    first: int,
    export: readers.CsvExport,
    n: int,
    numbers: np.ndarray[Any, Any] | None = None,
) -> bool:
    """A sample of the ``n`` rows DuckDB read into ``table`` from rowid ``first`` on equals Python's parse of the
    same rows field for field (``numbers``: the row number of each of them, when not 1…n)."""
    picks = sorted({int(x) for x in np.linspace(0, n - 1, min(n, SAMPLE_ROWS))})
    theirs = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT rowid - {first}, {HEADER_COLUMNS} FROM {table} "
            f"WHERE rowid IN ({', '.join(str(first + p) for p in picks)})"
        ).fetchall()
    }
    rns = [p + 1 if numbers is None else int(numbers[p]) for p in picks]
    for p, mine in zip(picks, export.parse_rows(rns), strict=True):
        got = theirs.get(p)
        if mine is None or got is None or [v if v is not None else "" for v in got] != mine:
            return False
    return True


def _read_csv_fast(
    con: duckdb.DuckDBPyConnection, t: str, export: readers.CsvExport, src: Path
) -> list[readers.BadRow] | None:
    """DuckDB drops rows that do not have 23 fields (ignore_errors); every other row must come back, in file
    order: the count must match and a sample of rows must equal Python's parse field for field."""
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _csv{t} AS SELECT * FROM read_csv({lit(str(src))}, {READ_CSV_OPTIONS})"
        )
        n: int = scalar(con, f"SELECT count(*) FROM _csv{t}")
        bad: list[readers.BadRow] = []
        numbers: np.ndarray[Any, Any] | None
        if n == export.rows_read:
            numbers = None
        else:  # rows of the wrong width: DuckDB skipped them; find them ourselves
            counts = export.field_counts()
            numbers = np.flatnonzero(counts == readers.NCOLS) + 1
            if len(numbers) != n:
                _drop_fast(con, t)
                return None
            for i in np.flatnonzero(counts != readers.NCOLS).tolist():
                bad.append(
                    readers.BadRow(
                        i + 1,
                        "wrong_column_count",
                        f"{int(counts[i])} fields, expected {readers.NCOLS}",
                        export.raw_text(i + 1),
                    )
                )
        if n and not sample_agrees(con, f"_csv{t}", 0, export, n, numbers):
            _drop_fast(con, t)
            return None
        if numbers is None:
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW _rows{t} AS SELECT CAST(rowid + 1 AS INTEGER) AS _row_number, * "
                f"FROM _csv{t}"
            )
        else:
            frame = pd.DataFrame({"_idx": np.arange(n, dtype=np.int64), "_row_number": numbers.astype(np.int32)})
            con.register("_map_in", frame)
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _map{t} AS SELECT * FROM _map_in")
            finally:
                con.unregister("_map_in")
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW _rows{t} AS SELECT m._row_number, c.* "
                f"FROM _csv{t} c JOIN _map{t} m ON m._idx = c.rowid"
            )
        return bad
    except duckdb.Error:
        _drop_fast(con, t)
        return None


def _drop_fast(con: duckdb.DuckDBPyConnection, t: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS temp._csv{t}")
    con.execute(f"DROP TABLE IF EXISTS temp._map{t}")


def drop_temps(con: duckdb.DuckDBPyConnection, t: str) -> None:
    """Drop the temp tables and views of one file (suffix ``t``), views first."""
    names = [n + t for n in ("_rows", "_csv", "_map")]
    for kind, n in con.execute(
        "SELECT 'VIEW', view_name FROM duckdb_views() WHERE database_name = 'temp' "
        "AND list_contains($n, view_name) "
        "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE database_name = 'temp' "
        "AND list_contains($n, table_name) ORDER BY 1 DESC",
        {"n": names},
    ).fetchall():
        con.execute(f"DROP {kind} temp.{n}")
