"""Loading a folder of daily exports into the raw layer.

Per export file, in export-date order:

1. file-level checks (any failure → status ``rejected``, nothing of the file loaded, the delivery in force stays):
   manifest present and valid, its ``export_date`` = the file name's date, its ``sha256`` = the file's sha256,
   not older (``exported_at``) than the delivery in force, bytes decodable (UTF-8, UTF-8 with BOM, GB18030),
   header = the contract's 23 columns in order, data rows = the manifest's ``row_count``;
2. same sha256 as the delivery in force for that date (raw.exports) → ``unchanged``: skipped, no audit row, so
   loading a folder again changes no raw table at all;
3. otherwise the file joins the current batch. When the batch is written, DuckDB reads its well-formed UTF-8
   CSVs in one read_csv into one temporary table (``batch.py``; other files were staged on their own when
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

The pieces: ``discover`` (the folder, the manifests, deliveries already in force), ``stage`` (reading ahead in
a worker thread, staging a file's rows through DuckDB's CSV reader or Python's), ``batch`` (the write
transaction), ``audit`` (the report and raw.load_audit), ``controls`` (the control totals).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

from hotline import secrets
from hotline.load import readers
from hotline.load.audit import FileResult, LoadReport, audit_rejected, reject
from hotline.load.batch import BATCH_ROWS, CHANGED_WHILE_LOADED, Batch, CheckedFile
from hotline.load.discover import (
    NOT_FOLLOWED,
    ExportDay,
    discover,
    exported_at,
    likely_new,
    read_manifest,
    real_date,
    stat_key,
    unchanged_since_load,
)
from hotline.load.errors import LoadError, RejectedFile
from hotline.load.schema import ensure_schema, layer_info, set_layer_info
from hotline.load.stage import Prefetch, drop_temps, stage_file
from hotline.sql import scalar
from hotline.warehouse import connect

__all__ = ["FileResult", "LoadReport", "Progress", "load_folder"]

Progress = Callable[[int, int, str], None] | None


def _check_key(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Every pseudonym of the raw layer is made with one key: a load with another key is refused (rotating the
    key is ``hotline rekey``)."""
    check = secrets.key_check(key)
    stored = layer_info(con, "pii_key_check")
    if stored is None:
        set_layer_info(con, "pii_key_check", check)
    elif stored != check:
        raise LoadError(
            f"{secrets.KEY_ENV} is not the key this warehouse's pseudonyms were made with: loading "
            "with it would give the same phone two pseudonyms. Use the warehouse's key, or rotate it "
            f"for every row with `hotline rekey` ({secrets.OLD_KEY_ENV} = the current key)"
        )


def load_folder(dumps_dir: Path, warehouse: Path, progress: Progress = None, pii_key: str | None = None) -> LoadReport:
    """Load every new or re-delivered export of ``dumps_dir`` into ``warehouse``'s raw layer. ``pii_key``: the
    phone pseudonymization key (default: ``hotline.secrets.pii_key()``, from the environment)."""
    dumps_dir, warehouse = Path(dumps_dir), Path(warehouse)
    key = pii_key or secrets.pii_key()
    days = discover(dumps_dir)
    report = LoadReport(dumps_dir=dumps_dir, warehouse=warehouse, load_id=str(uuid.uuid4()))
    items: list[tuple[ExportDay, Path | None]] = []
    for day in days:
        items += [(day, p) for p in sorted(day.data, key=lambda p: p.suffix)] or [(day, None)]
    con = connect(warehouse)
    prefetch = Prefetch([])
    try:
        ensure_schema(con)
        _check_key(con, key)
        prefetch = Prefetch(likely_new(con, items))
        batch = Batch(con, report.load_id, warehouse.parent, key)
        try:
            for i, (day, path) in enumerate(items):
                if path is not None:
                    name = path.name
                else:
                    assert day.manifest is not None  # a day without a data file was found by its manifest
                    name = day.manifest.name
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


def _load_one(
    con: duckdb.DuckDBPyConnection, batch: Batch, day: ExportDay, path: Path | None, tmp_root: Path, prefetch: Prefetch
) -> FileResult:
    load_id = batch.load_id
    export_date = real_date(*day.date.split("-"))
    if path is None:
        assert day.manifest is not None  # a day without a data file was found by its manifest
        res = FileResult(
            day.manifest.name,
            export_date,
            "rejected",
            message=f"{day.manifest.name}: manifest without a data file "
            f"(hotline_{day.date.replace('-', '')}.csv or .xlsx)",
        )
        audit_rejected(con, res, load_id)
        return res
    res = FileResult(path.name, export_date, "rejected", format=path.suffix.lstrip(".").lower())
    try:
        _check_and_load(con, batch, day, path, tmp_root, res, prefetch)
    except RejectedFile as e:
        reject(con, res, e, load_id)
    return res


def _check_and_load(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    day: ExportDay,
    path: Path,
    tmp_root: Path,
    res: FileResult,
    prefetch: Prefetch,
) -> None:
    name = path.name
    if path.is_symlink():  # it could point anywhere (/etc/passwd): never read
        raise RejectedFile(name, NOT_FOLLOWED)
    if real_date(*day.date.split("-")) is None:
        raise RejectedFile(name, f"the file name's date {day.date} is not a real date")
    if unchanged_since_load(con, day, path, res):
        return
    pre = prefetch.take(path)
    if isinstance(pre.read_error, OSError):
        raise RejectedFile(name, f"cannot be read: {pre.read_error}") from None
    stat, sha = pre.stat, pre.sha
    assert sha is not None  # set whenever the file could be read
    res.file_sha256 = sha
    man = read_manifest(name, day.manifest, day.date)
    res.manifest_row_count, res.manifest_sha256 = man.row_count, man.sha256
    if man.export_date != day.date:
        raise RejectedFile(name, f"manifest export_date {man.export_date} differs from the file name's date {day.date}")
    if man.sha256 != sha:
        hint = ""
        for other in (p for p in day.data if p != path):
            if hashlib.sha256(other.read_bytes()).hexdigest() == man.sha256:
                hint = f" (the manifest is for {other.name}, delivered for the same day)"
        raise RejectedFile(
            name,
            f"sha256 of the file ({sha[:12]}…) differs from the manifest's "
            f"({man.sha256[:12]}…){hint}: the file is altered or incomplete",
        )
    in_force = con.execute(
        "SELECT file_sha256, exported_at, file_name FROM raw.exports WHERE export_date = ?", [day.date]
    ).fetchone()
    if in_force and in_force[0] == sha:
        res.status, res.message = "unchanged", f"same bytes as the delivery in force ({in_force[2]})"
        res.encoding = scalar(con, "SELECT encoding FROM raw.exports WHERE export_date = ?", [day.date])
        return
    if in_force:
        new_at, old_at = exported_at(man.exported_at), exported_at(in_force[1])
        assert new_at is not None and old_at is not None  # both passed read_manifest
        if new_at < old_at:
            raise RejectedFile(
                name,
                f"older delivery (exported_at {man.exported_at}) than the one in force for "
                f"{day.date} ({in_force[2]}, exported_at {in_force[1]})",
            )

    # pre.export() raises the decoding/structure rejection found while prefetching, if any
    export: readers.Export = readers.read_xlsx(name, path) if res.format == "xlsx" else pre.export()
    res.encoding = export.encoding
    readers.check_header(name, export.header)
    if export.rows_read != man.row_count:
        raise RejectedFile(
            name,
            f"the file has {export.rows_read} data rows but the manifest says "
            f"{man.row_count} (truncated or incomplete?)",
        )

    t = batch.next_suffix()
    if export.fast_path_ok and export.encoding in ("utf-8", "utf-8-sig"):
        # read by DuckDB with the other files of its batch, when the batch is written (batch.py)
        batch.add(
            CheckedFile(
                t,
                day,
                path,
                man,
                sha,
                in_force,
                export.rows_read,
                export.rows_read,
                [],
                export,
                res,
                stat=stat,
                deferred=True,
            )
        )
        return
    try:
        structural_bad = stage_file(
            con, t, export, path if export.encoding in ("utf-8", "utf-8-sig") else None, tmp_root
        )
        if stat_key(path) != stat:
            raise RejectedFile(name, CHANGED_WHILE_LOADED)
        batch.add(CheckedFile.staged_alone(con, t, day, path, export, man, sha, structural_bad, in_force, res, stat))
    except BaseException:
        drop_temps(con, t)
        raise
