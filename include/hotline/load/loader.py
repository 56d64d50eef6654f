"""Loading a folder of daily exports into the raw layer.

Per export file, in export-date order:

1. file-level checks (any failure → status ``rejected``, nothing of the file loaded, the delivery in force stays):
   manifest present and valid, its ``export_date`` = the file name's date, its ``sha256`` = the file's sha256,
   not older (``exported_at``) than the delivery in force, bytes decodable (UTF-8, UTF-8 with BOM, GB18030),
   header = the contract's 23 columns in order, data rows = the manifest's ``row_count``;
2. same sha256 as the delivery in force for that date (raw.exports) → ``unchanged``: skipped, no audit row, so
   loading a folder again changes no raw table at all;
3. otherwise the file joins the current batch. When the batch is written, DuckDB reads its well-formed UTF-8
   CSVs in one read_csv into one temporary table (``_stage_batch``; other files were staged on their own when
   checked), the rows of all its files are classified in SQL (``rows.py``, one query per batch) and the bad
   ones taken out of the staged rows; then, for each file, the date's rows and
   quarantine rows are deleted, the new ones inserted, control totals checked, raw.exports upserted and an
   audit row written (status ``loaded``, or ``replaced`` when a delivery was in force), all in ONE transaction
   per batch of files. A batch is written once it holds BATCH_ROWS staged rows, before a
   second file of a date already in it, and at the end: a nightly load is one file in one transaction; a load
   from empty writes ~5 megacity days per transaction, which lets DuckDB write whole compressed row groups to the
   file instead of every day through its write-ahead log.

A csv and an xlsx for the same day share the day's one manifest: the file whose sha256 matches it is the
delivery, the other is rejected. A rejected file gets an audit row, except when the latest audit row of that
file name is already the same rejection (same bytes, same manifest, same message): re-running the load on an
unchanged folder writes nothing.

Any other error (a bug, a full disk) propagates. Raised while a batch is written, it rolls the whole batch back;
raised while a file is checked, the files checked before it are written first. Earlier batches stay loaded.

Speed: the next new files are read, hashed, decoded and scanned in a worker thread while DuckDB writes the
batch before them (``_Prefetch``). A well-formed UTF-8 CSV is split into fields by DuckDB's parallel CSV reader
(the "fast path"), after numpy found the record boundaries; the result is accepted only if DuckDB returns exactly
our row count and a sample of rows equal field for field to Python's ``csv`` module, else the file is staged on
its own, where wrong-width rows are found by counting fields, or parsed in Python (also the path for files with
malformed rows, and for xlsx).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import duckdb
import numpy as np
import pandas as pd

from hotline import secrets
from hotline.contract import EXPORT_NAME_RE, HEADERS, Manifest, manifest_name
from hotline.load import readers
from hotline.load.errors import LoadError, RejectedFile
from hotline.load.rows import bad_rows_sql, caller_key_sql, clean_sql, vals_sql
from hotline.sql import lit, q
from hotline.load.schema import ensure_schema, layer_info, set_layer_info
from hotline.warehouse import connect

MANIFEST_RE = re.compile(r"^hotline_(\d{4})(\d{2})(\d{2})\.manifest\.json$")
SHA_RE = re.compile(r"^[0-9a-fA-F]{64}$")
SAMPLE_ROWS = 64  # rows compared between DuckDB's CSV reader and Python's csv module on the fast path
BATCH_ROWS = 500_000  # staged rows (several DuckDB row groups) written per transaction
# files read ahead by the worker (~a batch): it reads the next batch while DuckDB writes this one (60 megacity
# days: 57 s → 52 s; with one file ahead the checks of a batch waited on the worker, file after file)
READ_AHEAD = 6
CHANGED_WHILE_LOADED = "the file changed while it was being loaded; load again"

Progress = Optional[Callable[[int, int, str], None]]


@dataclass
class FileResult:
    file_name: str
    export_date: Optional[str]
    status: str                      # loaded | replaced | unchanged | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    format: Optional[str] = None
    encoding: Optional[str] = None
    file_sha256: Optional[str] = None
    manifest_row_count: Optional[int] = None
    manifest_sha256: Optional[str] = None


@dataclass
class LoadReport:
    dumps_dir: Path
    warehouse: Path
    load_id: str
    files: list[FileResult] = field(default_factory=list)

    def by_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def rejected(self) -> list[FileResult]:
        return self.by_status("rejected")

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


# ----------------------------------------------------------------------------------------------------------------
# discovery


@dataclass
class _Day:
    date: str
    data: list[Path] = field(default_factory=list)
    manifest: Optional[Path] = None


def _real_date(y: str, m: str, d: str) -> Optional[str]:
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def discover(dumps_dir: Path) -> list[_Day]:
    if not dumps_dir.exists():
        raise LoadError(f"dumps folder {dumps_dir} does not exist")
    if not dumps_dir.is_dir():
        raise LoadError(f"dumps folder {dumps_dir} is not a folder")
    days: dict[str, _Day] = {}
    for p in sorted(dumps_dir.iterdir()):
        if not (p.is_file() or p.is_symlink()):  # a symbolic link is listed, and rejected unread
            continue
        m = EXPORT_NAME_RE.match(p.name) or MANIFEST_RE.match(p.name)
        if not m:
            continue
        key = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        day = days.setdefault(key, _Day(key))
        if p.name.endswith(".manifest.json"):
            day.manifest = p
        else:
            day.data.append(p)
    if not days:
        raise LoadError(f"no exports in {dumps_dir}: expected hotline_YYYYMMDD.csv (or .xlsx) files, each with "
                        "hotline_YYYYMMDD.manifest.json")
    return [days[k] for k in sorted(days)]


# ----------------------------------------------------------------------------------------------------------------
# manifest


NOT_FOLLOWED = "is a symbolic link: not followed (deliver the file itself into the dumps folder)"


def read_manifest(name: str, path: Optional[Path], day: str) -> Manifest:
    if path is None:
        raise RejectedFile(name, f"manifest {manifest_name(day)} is missing")
    if path.is_symlink():
        raise RejectedFile(name, f"manifest {path.name} {NOT_FOLLOWED}")
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RejectedFile(name, f"manifest {path.name} is not valid JSON: {e}") from None
    except OSError as e:
        raise RejectedFile(name, f"manifest {path.name} cannot be read: {e}") from None
    if not isinstance(doc, dict):
        raise RejectedFile(name, f"manifest {path.name} is not a JSON object")
    missing = [k for k in ("export_date", "row_count", "sha256", "exported_at") if k not in doc]
    if missing:
        raise RejectedFile(name, f"manifest {path.name} lacks {', '.join(missing)}")
    ed, rc, sha, at = doc["export_date"], doc["row_count"], doc["sha256"], doc["exported_at"]
    if not isinstance(ed, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", ed) or _real_date(*ed.split("-")) is None:
        raise RejectedFile(name, f"manifest {path.name}: export_date {ed!r} is not a YYYY-MM-DD date")
    if not isinstance(rc, int) or isinstance(rc, bool) or rc < 0:
        raise RejectedFile(name, f"manifest {path.name}: row_count {rc!r} is not a non-negative integer")
    if not isinstance(sha, str) or not SHA_RE.match(sha):
        raise RejectedFile(name, f"manifest {path.name}: sha256 {sha!r} is not 64 hex digits")
    if not isinstance(at, str) or _exported_at(at) is None:
        raise RejectedFile(name, f"manifest {path.name}: exported_at {at!r} is not an ISO date-time")
    return Manifest(export_date=ed, row_count=rc, sha256=sha.lower(), exported_at=at)


_SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _exported_at(s: str) -> Optional[dt.datetime]:
    try:
        t = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=_SHANGHAI)


# ----------------------------------------------------------------------------------------------------------------
# the load


def _check_key(con, key: str) -> None:
    """Every pseudonym of the raw layer is made with one key: a load with another key is refused (rotating the
    key is ``hotline rekey``)."""
    check = secrets.key_check(key)
    stored = layer_info(con, "pii_key_check")
    if stored is None:
        set_layer_info(con, "pii_key_check", check)
    elif stored != check:
        raise LoadError(f"{secrets.KEY_ENV} is not the key this warehouse's pseudonyms were made with: loading "
                        "with it would give the same phone two pseudonyms. Use the warehouse's key, or rotate it "
                        f"for every row with `hotline rekey` ({secrets.OLD_KEY_ENV} = the current key)")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def load_folder(dumps_dir: Path, warehouse: Path, progress: Progress = None,
                pii_key: Optional[str] = None) -> LoadReport:
    """Load every new or re-delivered export of ``dumps_dir`` into ``warehouse``'s raw layer. ``pii_key``: the
    phone pseudonymization key (default: ``hotline.secrets.pii_key()``, from the environment)."""
    dumps_dir, warehouse = Path(dumps_dir), Path(warehouse)
    key = pii_key or secrets.pii_key()
    days = discover(dumps_dir)
    report = LoadReport(dumps_dir=dumps_dir, warehouse=warehouse, load_id=str(uuid.uuid4()))
    items: list[tuple[_Day, Optional[Path]]] = []
    for day in days:
        items += [(day, p) for p in sorted(day.data, key=lambda p: p.suffix)] or [(day, None)]
    con = connect(warehouse)
    prefetch = _Prefetch([])
    try:
        ensure_schema(con)
        _check_key(con, key)
        prefetch = _Prefetch(_likely_new(con, items))
        batch = _Batch(con, report.load_id, warehouse.parent, key)
        try:
            for i, (day, path) in enumerate(items):
                name = path.name if path else day.manifest.name
                if progress:
                    progress(i, len(items), name)
                if day.date in batch.dates:  # the first file's outcome decides what the second is checked against
                    batch.write()
                prefetch.ahead(path)
                report.files.append(_load_one(con, batch, day, path, warehouse.parent, prefetch))
                if batch.rows >= BATCH_ROWS:
                    batch.write()
        except Exception:
            if not batch.failed:  # raised while a file was checked: the files checked before it are complete
                batch.write()
            raise
        batch.write()
        if progress:
            progress(len(items), len(items), name)
    finally:
        prefetch.close()
        con.close()
    return report


# ----------------------------------------------------------------------------------------------------------------
# reading ahead


@dataclass
class _Read:
    """A file's bytes read, hashed, decoded and split into records (CSV), or the error doing so."""
    path: Path
    stat: Optional[tuple] = None
    sha: Optional[str] = None
    read_error: Optional[OSError] = None
    _export: object = None
    _error: Optional[RejectedFile] = None

    def export(self):
        if self._error is not None:
            raise self._error
        return self._export


def _read(path: Path) -> _Read:
    """The CPU side of a file's checks, free of any database access (it may run in a worker thread)."""
    r = _Read(path)
    try:
        r.stat = _stat_key(path)
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


def _likely_new(con, items: list) -> list[Path]:
    """The CSV files worth reading ahead: not the delivery in force under the same name (those are usually
    skipped unread, _unchanged_since_load). Only a hint: each file is still judged when its turn comes."""
    in_force = {str(d): n for d, n in con.execute("SELECT export_date, file_name FROM raw.exports").fetchall()}
    return [p for day, p in items if p is not None and p.suffix.lower() == ".csv" and not p.is_symlink()
            and in_force.get(day.date) != p.name]


class _Prefetch:
    """Reads the next likely-new files in one worker thread while DuckDB writes the batch before them: sha256,
    file reads and numpy release the GIL, and so does DuckDB, so a load from empty keeps both cores busy
    (READ_AHEAD files ahead at most: with the batch's files, ~2 × 6 files' size in memory)."""

    def __init__(self, candidates: list[Path]):
        self._next = {a: b for a, b in zip(candidates, candidates[1:])}
        self._first = candidates[0] if candidates else None
        self._futures: dict[Path, Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotline-read") if candidates else None

    def _submit(self, path: Optional[Path]) -> None:
        if path is not None and self._pool is not None and path not in self._futures:
            self._futures[path] = self._pool.submit(_read, path)

    def ahead(self, current: Optional[Path]) -> None:
        """Before ``current`` is processed: make sure it is being read, and the READ_AHEAD after it."""
        if current in self._next or current == self._first:
            self._submit(current)
            nxt = current
            for _ in range(READ_AHEAD):
                nxt = self._next.get(nxt)
                self._submit(nxt)

    def take(self, path: Path) -> _Read:
        fut = self._futures.pop(path, None)
        return fut.result() if fut is not None else _read(path)

    def close(self) -> None:
        if self._pool is not None:
            for f in self._futures.values():
                f.cancel()
            self._pool.shutdown(wait=True)
            self._futures.clear()


def _load_one(con, batch: "_Batch", day: _Day, path: Optional[Path], tmp_root: Path,
              prefetch: "_Prefetch") -> FileResult:
    load_id = batch.load_id
    real_date = _real_date(*day.date.split("-"))
    if path is None:
        res = FileResult(day.manifest.name, real_date, "rejected",
                         message=f"{day.manifest.name}: manifest without a data file "
                                 f"(hotline_{day.date.replace('-', '')}.csv or .xlsx)")
        _audit_rejected(con, res, load_id)
        return res
    res = FileResult(path.name, real_date, "rejected", format=path.suffix.lstrip(".").lower())
    try:
        _check_and_load(con, batch, day, path, tmp_root, res, prefetch)
    except RejectedFile as e:
        _reject(con, res, e, load_id)
    return res


def _reject(con, res: FileResult, e: RejectedFile, load_id: str) -> None:
    res.status, res.message = "rejected", str(e)
    res.rows_read = res.rows_loaded = res.rows_quarantined = 0
    _audit_rejected(con, res, load_id)


def _unchanged_since_load(con, day: _Day, path: Path, res: FileResult) -> bool:
    """Skip re-hashing a delivery that is already in force: same file name, a manifest naming the same sha256,
    and the file's identity unchanged since it was loaded (inode, size, modification and status-change times:
    rewriting the bytes changes the status-change time even when the modification time is set back). A nightly
    run over a year of history then reads 366 small manifests instead of hashing ~15 GB of CSV. Anything else
    goes through the full checks."""
    row = con.execute("SELECT file_sha256, file_name, file_stat, encoding FROM raw.exports WHERE export_date = ?",
                      [day.date]).fetchone()
    if not row or row[1] != path.name or row[2] is None or day.manifest is None or day.manifest.is_symlink():
        return False
    try:
        man = json.loads(day.manifest.read_text(encoding="utf-8"))
        stat = _stat_text(_stat_key(path))
    except (OSError, ValueError):
        return False
    if not isinstance(man, dict) or man.get("sha256") != row[0] or man.get("export_date") != day.date:
        return False
    if stat != row[2]:
        return False
    res.status, res.message = "unchanged", f"same delivery as the one in force ({row[1]})"
    res.file_sha256, res.manifest_sha256, res.encoding = row[0], row[0], row[3]
    res.manifest_row_count = man.get("row_count")
    return True


def _check_and_load(con, batch: "_Batch", day: _Day, path: Path, tmp_root: Path, res: FileResult,
                    prefetch: "_Prefetch") -> None:
    name = path.name
    if path.is_symlink():  # it could point anywhere (/etc/passwd): never read
        raise RejectedFile(name, NOT_FOLLOWED)
    if _real_date(*day.date.split("-")) is None:
        raise RejectedFile(name, f"the file name's date {day.date} is not a real date")
    if _unchanged_since_load(con, day, path, res):
        return
    pre = prefetch.take(path)
    if isinstance(pre.read_error, OSError):
        raise RejectedFile(name, f"cannot be read: {pre.read_error}") from None
    stat, sha = pre.stat, pre.sha
    res.file_sha256 = sha
    man = read_manifest(name, day.manifest, day.date)
    res.manifest_row_count, res.manifest_sha256 = man.row_count, man.sha256
    if man.export_date != day.date:
        raise RejectedFile(name, f"manifest export_date {man.export_date} differs from the file name's date "
                                 f"{day.date}")
    if man.sha256 != sha:
        hint = ""
        for other in (p for p in day.data if p != path):
            if hashlib.sha256(other.read_bytes()).hexdigest() == man.sha256:
                hint = f" (the manifest is for {other.name}, delivered for the same day)"
        raise RejectedFile(name, f"sha256 of the file ({sha[:12]}…) differs from the manifest's "
                                 f"({man.sha256[:12]}…){hint}: the file is altered or incomplete")
    in_force = con.execute("SELECT file_sha256, exported_at, file_name FROM raw.exports WHERE export_date = ?",
                           [day.date]).fetchone()
    if in_force and in_force[0] == sha:
        res.status, res.message = "unchanged", f"same bytes as the delivery in force ({in_force[2]})"
        res.encoding = con.execute("SELECT encoding FROM raw.exports WHERE export_date = ?",
                                   [day.date]).fetchone()[0]
        return
    if in_force and _exported_at(man.exported_at) < _exported_at(in_force[1]):
        raise RejectedFile(name, f"older delivery (exported_at {man.exported_at}) than the one in force for "
                                 f"{day.date} ({in_force[2]}, exported_at {in_force[1]})")

    if res.format == "xlsx":
        export = readers.read_xlsx(name, path)
    else:
        export = pre.export()  # raises the decoding/structure rejection found while prefetching, if any
    res.encoding = export.encoding
    readers.check_header(name, export.header)
    if export.rows_read != man.row_count:
        raise RejectedFile(name, f"the file has {export.rows_read} data rows but the manifest says "
                                 f"{man.row_count} (truncated or incomplete?)")

    t = batch.next_suffix()
    if export.fast_path_ok and export.encoding in ("utf-8", "utf-8-sig"):
        # read by DuckDB with the other files of its batch, when the batch is written (_stage_batch)
        batch.add(_Checked(t, day, path, man, sha, in_force, export.rows_read, export.rows_read, [], export, res,
                           stat=stat, deferred=True))
        return
    try:
        structural_bad = _stage(con, t, export, path if export.encoding in ("utf-8", "utf-8-sig") else None,
                                tmp_root)
        if _stat_key(path) != stat:
            raise RejectedFile(name, CHANGED_WHILE_LOADED)
        checked = _checked(con, t, day, path, export, man, sha, structural_bad, in_force, res)
        checked.stat = stat
        batch.add(checked)
    except BaseException:
        _drop_temps(con, t)
        raise


def _drop_temps(con, t: str) -> None:
    """Drop the temp tables and views of one file (suffix ``t``), views first."""
    names = [n + t for n in ("_rows", "_csv", "_map")]
    for kind, n in con.execute(
            "SELECT 'VIEW', view_name FROM duckdb_views() WHERE database_name = 'temp' AND list_contains($n, view_name) "
            "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE database_name = 'temp' "
            "AND list_contains($n, table_name) ORDER BY 1 DESC", {"n": names}).fetchall():
        con.execute(f"DROP {kind} temp.{n}")


# ----------------------------------------------------------------------------------------------------------------
# staging


_COLUMNS_SQL = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in HEADERS) + "}"


def _stat_key(path: Path) -> tuple:
    """The file's identity as the file system keeps it (never following a symbolic link)."""
    st = path.lstat()
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _stat_text(key: Optional[tuple]) -> Optional[str]:
    return None if key is None else ":".join(map(str, key))


def _stage(con, t: str, export, original: Optional[Path], tmp_root: Path) -> list[readers.BadRow]:
    """Create temp ``_rows<t>(_row_number, <23 columns>)`` holding every structurally good row; return the
    structurally bad ones (malformed_csv, wrong_column_count). ``original``: the file itself when DuckDB can
    read it as is (UTF-8), else the UTF-8 body is written to a temporary file."""
    if export.fast_path_ok:
        bad = _stage_fast(con, t, export, original, tmp_root)
        if bad is not None:
            return bad
    numbers, rows, bad = export.python_rows()
    cols = ", ".join(f"{q(h)} VARCHAR" for h in HEADERS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rows{t} (_row_number INTEGER, {cols})")
    if rows:
        frame = pd.DataFrame({"_row_number": np.asarray(numbers, dtype=np.int32),
                              **{f"c{i}": pd.Series(col, dtype=object)
                                 for i, col in enumerate(zip(*rows))}})
        con.register("_py_rows", frame)
        try:
            con.execute(f"INSERT INTO _rows{t} SELECT * FROM _py_rows")
        finally:
            con.unregister("_py_rows")
    return bad


def _stage_fast(con, t: str, export: readers.CsvExport, original: Optional[Path],
                tmp_root: Path) -> Optional[list[readers.BadRow]]:
    """Let DuckDB's CSV reader split the fields (every record is known to be well-formed). Returns the
    wrong-width rows, or None when DuckDB's rows are not exactly ours (then the Python path is taken)."""
    if original is not None:
        return _read_csv_fast(con, t, export, original)
    with tempfile.TemporaryDirectory(prefix=".hotline-load-", dir=tmp_root) as d:  # GB18030: DuckDB reads UTF-8 only
        src = Path(d) / "body.csv"
        src.write_bytes(export.body)
        return _read_csv_fast(con, t, export, src)


# buffer_size: DuckDB splits a file into buffers that its threads parse in parallel; the default (16 × the 2 MB
# max_line_size) leaves a megacity day's file (15–40 MB) to one or two threads (10 days: 1.8 s → 1.1 s)
_READ_CSV_OPTIONS = (f"header = true, columns = {_COLUMNS_SQL}, delim = ',', quote = '\"', escape = '\"', "
                     "auto_detect = false, strict_mode = true, ignore_errors = true, encoding = 'utf-8', "
                     "buffer_size = 4194304")
_HEADER_COLUMNS = ", ".join(q(h) for h in HEADERS)


def _sample_agrees(con, table: str, first: int, export: readers.CsvExport, n: int,
                   numbers: Optional[np.ndarray] = None) -> bool:
    """A sample of the ``n`` rows DuckDB read into ``table`` from rowid ``first`` on equals Python's parse of the
    same rows field for field (``numbers``: the row number of each of them, when not 1…n)."""
    picks = sorted({int(x) for x in np.linspace(0, n - 1, min(n, SAMPLE_ROWS))})
    theirs = dict((r[0], r[1:]) for r in con.execute(
        f"SELECT rowid - {first}, {_HEADER_COLUMNS} FROM {table} "
        f"WHERE rowid IN ({', '.join(str(first + p) for p in picks)})").fetchall())
    rns = [p + 1 if numbers is None else int(numbers[p]) for p in picks]
    for p, mine in zip(picks, export.parse_rows(rns)):
        got = theirs.get(p)
        if mine is None or got is None or [v if v is not None else "" for v in got] != mine:
            return False
    return True


def _read_csv_fast(con, t: str, export: readers.CsvExport, src: Path) -> Optional[list[readers.BadRow]]:
    """DuckDB drops rows that do not have 23 fields (ignore_errors); every other row must come back, in file
    order: the count must match and a sample of rows must equal Python's parse field for field."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _csv{t} AS SELECT * FROM read_csv({lit(str(src))}, "
                    f"{_READ_CSV_OPTIONS})")
        n = con.execute(f"SELECT count(*) FROM _csv{t}").fetchone()[0]
        bad: list[readers.BadRow] = []
        if n == export.rows_read:
            numbers = None
        else:  # rows of the wrong width: DuckDB skipped them; find them ourselves
            counts = export.field_counts()
            numbers = np.flatnonzero(counts == readers.NCOLS) + 1
            if len(numbers) != n:
                return _drop_fast(con, t)
            for i in np.flatnonzero(counts != readers.NCOLS).tolist():
                bad.append(readers.BadRow(i + 1, "wrong_column_count",
                                          f"{int(counts[i])} fields, expected {readers.NCOLS}", export.raw_text(i + 1)))
        if n and not _sample_agrees(con, f"_csv{t}", 0, export, n, numbers):
            return _drop_fast(con, t)
        if numbers is None:
            con.execute(f"CREATE OR REPLACE TEMP VIEW _rows{t} AS SELECT CAST(rowid + 1 AS INTEGER) AS _row_number, * "
                        f"FROM _csv{t}")
        else:
            frame = pd.DataFrame({"_idx": np.arange(n, dtype=np.int64), "_row_number": numbers.astype(np.int32)})
            con.register("_map_in", frame)
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _map{t} AS SELECT * FROM _map_in")
            finally:
                con.unregister("_map_in")
            con.execute(f"CREATE OR REPLACE TEMP VIEW _rows{t} AS SELECT m._row_number, c.* "
                        f"FROM _csv{t} c JOIN _map{t} m ON m._idx = c.rowid")
        return bad
    except duckdb.Error:
        return _drop_fast(con, t)


def _drop_fast(con, t: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS temp._csv{t}")
    con.execute(f"DROP TABLE IF EXISTS temp._map{t}")
    return None


# ----------------------------------------------------------------------------------------------------------------
# the write transaction


def _insert_quarantine(con, meta: list, rows: list[tuple]) -> None:
    if not rows:
        return
    frame = pd.DataFrame({
        "_row_number": np.asarray([r[0] for r in rows], dtype=np.int32),
        "reason_code": pd.Series([r[1] for r in rows], dtype=object),
        "reason": pd.Series([r[2] for r in rows], dtype=object),
        "raw_text": pd.Series([r[3] for r in rows], dtype=object),
    })
    con.register("_quarantine_in", frame)
    try:
        con.execute("INSERT INTO raw.quarantine SELECT ?::DATE, ?, ?, _row_number, reason_code, reason, raw_text "
                    "FROM _quarantine_in", meta)
    finally:
        con.unregister("_quarantine_in")


@dataclass
class _Checked:
    """A file that passed the file-level checks, its rows staged in temp ``_rows<t>``. Its rows are classified
    with the other files of its batch when the batch is written (``_classify``), which fills ``quarantine``."""
    t: str
    day: _Day
    path: Path
    man: Manifest
    sha: str
    in_force: Optional[tuple]
    rows_read: int
    staged: int
    structural: list[tuple]  # rows that could not be staged: (row number, reason code, reason, raw text)
    export: object           # the decoded file, for the raw text of the rows found bad (released once classified)
    res: FileResult
    quarantine: list[tuple] = field(default_factory=list)  # (row number, reason code, reason, raw text)
    stat: Optional[tuple] = None
    deferred: bool = False   # a well-formed UTF-8 CSV, not staged yet: _stage_batch reads it
    start: Optional[int] = None  # its first row's rowid in temp _batch_csv, once read there


def _checked(con, t: str, day: _Day, path: Path, export, man: Manifest, sha: str,
             structural_bad: list[readers.BadRow], in_force, res: FileResult) -> _Checked:
    staged = con.execute(f"SELECT count(*) FROM _rows{t}").fetchone()[0]
    structural = [(b.row_number, b.reason_code, b.reason, b.raw_text) for b in structural_bad]
    return _Checked(t, day, path, man, sha, in_force, export.rows_read, staged, structural, export, res)


def _stage_batch(con, files: list[_Checked], tmp_root: Path, load_id: str) -> list[_Checked]:
    """Read the batch's deferred files (well-formed UTF-8 CSVs) with ONE read_csv into temp ``_batch_csv``, file
    after file in rowid order: DuckDB parses them in parallel, and the batch's INSERT then scans whole row
    groups, in order, so each row is written to the warehouse once. (Per-file tables are one row group each: an
    ordered INSERT from them runs on one core; an unordered one leaves small row groups that a checkpoint
    rewrites. Loading 60 megacity days: the same wall time, 95 s → 81 s of CPU, free for the worker thread.)
    A file DuckDB does not return exactly (row count,
    a contiguous rowid range, the sample) is staged on its own (``_stage``); a file modified since it was
    checked is rejected. Returns the files to write."""
    deferred = [f for f in files if f.deferred]
    got: dict[str, tuple] = {}
    if deferred:
        paths = "[" + ", ".join(lit(str(f.path)) for f in deferred) + "]"
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _batch_csv AS SELECT * FROM read_csv({paths}, "
                        f"{_READ_CSV_OPTIONS}, filename = true)")
            got = {name: (n, lo, hi) for name, n, lo, hi in con.execute(
                "SELECT filename, count(*), min(rowid), max(rowid) FROM _batch_csv GROUP BY filename").fetchall()}
        except duckdb.Error:
            con.execute("DROP TABLE IF EXISTS temp._batch_csv")
    kept = []
    for f in files:
        if f.deferred:
            f.deferred = False
            n, lo, hi = got.get(str(f.path), (0, None, None))
            if _stat_key(f.path) != f.stat:
                _reject(con, f.res, RejectedFile(f.path.name, CHANGED_WHILE_LOADED), load_id)
                if n:
                    con.execute("DELETE FROM _batch_csv WHERE filename = ?", [str(f.path)])
                continue
            if n and n == f.rows_read and hi - lo + 1 == n and _sample_agrees(con, "_batch_csv", lo, f.export, n):
                f.start = lo
            else:
                if n:
                    con.execute("DELETE FROM _batch_csv WHERE filename = ?", [str(f.path)])
                bad = _stage(con, f.t, f.export, f.path, tmp_root)
                f.structural = [(b.row_number, b.reason_code, b.reason, b.raw_text) for b in bad]
                f.staged = con.execute(f"SELECT count(*) FROM _rows{f.t}").fetchone()[0]
        kept.append(f)
    return kept


def _case(files: list[_Checked], value: Callable[[_Checked], str], only=None) -> str:
    """A CASE on ``_file`` (the file's position in the batch) giving each file's ``value`` (SQL)."""
    whens = " ".join(f"WHEN {i} THEN {value(f)}" for i, f in enumerate(files) if only is None or only(f))
    return f"CASE _file {whens} END"


def _batch_start(files: list[_Checked]) -> str:
    """Each file's first rowid in temp _batch_csv, by ``_file`` (SQL)."""
    return _case(files, lambda f: str(f.start), only=lambda f: f.start is not None)


def _batch_rows(files: list[_Checked]) -> str:
    """The staged rows of the whole batch: (``_file``, _row_number, <23 columns>)."""
    parts = []
    if any(f.start is not None for f in files):
        index = "CASE filename " + " ".join(f"WHEN {lit(str(f.path))} THEN {i}"
                                            for i, f in enumerate(files) if f.start is not None) + " END"
        start = _batch_start(files)
        parts.append(f"SELECT _file, CAST(rowid - {start} + 1 AS INTEGER) AS _row_number, {_HEADER_COLUMNS} "
                     f"FROM (SELECT {index} AS _file, rowid, * FROM _batch_csv)")
    parts += [f"SELECT {i} AS _file, * FROM _rows{f.t}" for i, f in enumerate(files) if f.start is None]
    return "(" + " UNION ALL ".join(parts) + ")"


def _classify(con, files: list[_Checked]) -> None:
    """Classify the staged rows of every file of the batch in one query (rows.py) into temp ``_bad_batch``
    (``_file`` = the file's position in the batch), then take the bad rows out of the staged rows."""
    day = _case(files, lambda f: f"DATE {lit(f.day.date)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW _vals_batch AS "
                f"{vals_sql(_batch_rows(files), by=('_file',), export_date=day)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _bad_batch AS {bad_rows_sql('_vals_batch', by=('_file',))}")
    con.execute("DROP VIEW _vals_batch")
    bad: dict[int, list[tuple]] = {}
    for i, rn, code, reason in con.execute("SELECT _file, _row_number, reason_code, reason FROM _bad_batch").fetchall():
        bad.setdefault(i, []).append((rn, code, reason, files[i].export.raw_text(rn)))
    for i, f in enumerate(files):
        f.quarantine = sorted(f.structural + bad.get(i, []))
        f.export = None
        if i in bad and f.start is None:
            _unstage(con, f.t, f"SELECT _row_number FROM _bad_batch WHERE _file = {i}")
    if any(i in bad for i, f in enumerate(files) if f.start is not None):
        con.execute(f"DELETE FROM _batch_csv WHERE rowid IN (SELECT {_batch_start(files)} + _row_number - 1 "
                    "FROM _bad_batch)")


def _unstage(con, t: str, numbers: str) -> None:
    """Delete the rows ``numbers`` (a query of row numbers) from a file's own staged rows (_stage): the batch's
    INSERT is then a plain scan, without an anti-join (with one, DuckDB no longer writes the rows in order)."""
    tables = {n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'temp' "
                                         "AND table_name IN ($m, $c)", {"m": f"_map{t}", "c": f"_csv{t}"}).fetchall()}
    if f"_map{t}" in tables:
        con.execute(f"DELETE FROM _map{t} WHERE _row_number IN ({numbers})")
    elif f"_csv{t}" in tables:  # its rows are numbered by rowid, which a delete leaves as it is
        con.execute(f"DELETE FROM _csv{t} WHERE rowid + 1 IN ({numbers})")
    else:
        con.execute(f"DELETE FROM _rows{t} WHERE _row_number IN ({numbers})")


class _Batch:
    """Checked files waiting to be written (their rows staged in temp tables, or about to be read:
    ``_stage_batch``), written in one transaction."""

    def __init__(self, con, load_id: str, tmp_root: Path, key: str):
        self.con, self.load_id, self.tmp_root, self.key = con, load_id, tmp_root, key
        self.files: list[_Checked] = []
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

    def add(self, checked: _Checked) -> None:
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
                    _write(con, files, _utcnow(), self.load_id, self.key)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
        finally:
            for f in self.files:
                _drop_temps(con, f.t)
            con.execute("DROP TABLE IF EXISTS temp._bad_batch")
            con.execute("DROP TABLE IF EXISTS temp._batch_csv")
        self.files, self.failed = [], False


def _write(con, files: list[_Checked], now: dt.datetime, load_id: str, key: str) -> None:
    """The batch's transaction: each date's old rows out, every file's accepted rows in (one INSERT, in staged
    order: see _stage_batch), quarantined rows in, control totals checked, exports and audit rows."""
    dates = [f.day.date for f in files]
    # the dates as literals, not a parameter list: DuckDB then skips the row groups of other days by their
    # min/max instead of probing every row of the year's raw layer, twice per batch
    in_dates = "(" + ", ".join(f"DATE {lit(d)}" for d in dates) + ")"
    con.execute(f"DELETE FROM raw.ticket_rows WHERE _export_date IN {in_dates}")
    con.execute(f"DELETE FROM raw.quarantine WHERE _export_date IN {in_dates}")
    cols = ", ".join(clean_sql(f"r.{q(h)}") for h in HEADERS)  # stored normalized: every layer sees this value
    con.execute(f"""INSERT INTO raw.ticket_rows
        SELECT {_case(files, lambda f: f"DATE {lit(f.day.date)}")}, {_case(files, lambda f: lit(f.path.name))},
               {_case(files, lambda f: lit(f.sha))}, r._row_number, $now, {caller_key_sql('r."联系电话"')}, {cols}
        FROM {_batch_rows(files)} r""", {"now": now, "pii_key": key})
    for f in files:
        _insert_quarantine(con, [f.day.date, f.path.name, f.sha], f.quarantine)
    # control totals: (rows, distinct row numbers) per table and date; raw.ticket_rows has no primary key
    # (schema.py), so its row numbers are checked here
    totals = {(table, d): (n, nd) for table in ("ticket_rows", "quarantine") for d, n, nd in con.execute(
        f"SELECT CAST(_export_date AS VARCHAR), count(*), count(DISTINCT _row_number) FROM raw.{table} "
        f"WHERE _export_date IN {in_dates} GROUP BY 1").fetchall()}
    for f in files:
        day, res, in_force = f.day, f.res, f.in_force
        loaded, numbers = totals.get(("ticket_rows", day.date), (0, 0))
        quarantined = totals.get(("quarantine", day.date), (0, 0))[0]
        if loaded + quarantined != f.rows_read or quarantined != len(f.quarantine):
            raise RuntimeError(f"{f.path.name}: control totals do not add up: read {f.rows_read}, loaded "
                               f"{loaded}, quarantined {quarantined} (expected {len(f.quarantine)}); rolled back")
        if numbers != loaded:
            raise RuntimeError(f"{f.path.name}: {loaded - numbers} row numbers occur twice in raw.ticket_rows; "
                               "rolled back")
        res.status = "replaced" if in_force else "loaded"
        res.rows_read, res.rows_loaded, res.rows_quarantined = f.rows_read, loaded, quarantined
        res.message = f"replaced the delivery {in_force[2]} ({in_force[0][:12]}…)" if in_force else ""
        con.execute("INSERT OR REPLACE INTO raw.exports VALUES (?::DATE, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [day.date, f.path.name, f.sha, res.format, res.encoding, f.man.row_count, f.man.sha256,
                     f.man.exported_at, loaded, quarantined, now, load_id, _stat_text(f.stat)])
        _audit(con, res, load_id, now, replaced_sha=in_force[0] if in_force else None)


def _audit(con, res: FileResult, load_id: str, when: dt.datetime, replaced_sha: Optional[str] = None) -> None:
    assert res.rows_read == res.rows_loaded + res.rows_quarantined
    con.execute("INSERT INTO raw.load_audit VALUES (?, ?, ?::DATE, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, when, res.export_date, res.file_name, res.format, res.encoding, res.status,
                 res.message or None, res.rows_read, res.rows_loaded, res.rows_quarantined, res.manifest_row_count,
                 res.manifest_sha256, res.file_sha256, replaced_sha])


def _audit_rejected(con, res: FileResult, load_id: str) -> None:
    """Audit a rejection unless the latest audit row of this file is the very same rejection."""
    last = con.execute("SELECT status, message, file_sha256, manifest_sha256 FROM raw.load_audit "
                       "WHERE file_name = ? ORDER BY attempted_at DESC LIMIT 1", [res.file_name]).fetchone()
    if last == ("rejected", res.message, res.file_sha256, res.manifest_sha256):
        return
    _audit(con, res, load_id, _utcnow())
