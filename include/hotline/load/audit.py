"""What a load did, file by file: the report it returns and the rows of ``raw.load_audit``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from hotline.load.errors import RejectedFile


@dataclass
class FileResult:
    file_name: str
    export_date: str | None
    status: str  # loaded | replaced | unchanged | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    format: str | None = None
    encoding: str | None = None
    file_sha256: str | None = None
    manifest_row_count: int | None = None
    manifest_sha256: str | None = None


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


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def insert_audit(
    con: duckdb.DuckDBPyConnection, res: FileResult, load_id: str, when: dt.datetime, replaced_sha: str | None = None
) -> None:
    assert res.rows_read == res.rows_loaded + res.rows_quarantined
    con.execute(
        "INSERT INTO raw.load_audit VALUES (?, ?, ?::DATE, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            when,
            res.export_date,
            res.file_name,
            res.format,
            res.encoding,
            res.status,
            res.message or None,
            res.rows_read,
            res.rows_loaded,
            res.rows_quarantined,
            res.manifest_row_count,
            res.manifest_sha256,
            res.file_sha256,
            replaced_sha,
        ],
    )


def audit_rejected(con: duckdb.DuckDBPyConnection, res: FileResult, load_id: str) -> None:
    """Audit a rejection unless the latest audit row of this file is the very same rejection."""
    last = con.execute(
        "SELECT status, message, file_sha256, manifest_sha256 FROM raw.load_audit "
        "WHERE file_name = ? ORDER BY attempted_at DESC LIMIT 1",
        [res.file_name],
    ).fetchone()
    if last == ("rejected", res.message, res.file_sha256, res.manifest_sha256):
        return
    insert_audit(con, res, load_id, utcnow())


def reject(con: duckdb.DuckDBPyConnection, res: FileResult, e: RejectedFile, load_id: str) -> None:
    res.status, res.message = "rejected", str(e)
    res.rows_read = res.rows_loaded = res.rows_quarantined = 0
    audit_rejected(con, res, load_id)
