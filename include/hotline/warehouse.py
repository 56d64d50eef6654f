"""Opening the DuckDB warehouse.

DuckDB allows one writing process per database file (it takes an OS lock on it). A second process that tries
to open the file gets DuckDB's "Could not set lock on file" error; :func:`connect` turns that into
:class:`WarehouseBusy` with a one-line message naming the file and, when DuckDB reports it, the holder's pid.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from hotline.errors import HotlineError

__all__ = ["WarehouseBusy", "connect"]

_LOCK_MARKERS = ("could not set lock on file", "conflicting lock")
_PID_RE = re.compile(r"\bPID (\d+)", re.IGNORECASE)


class WarehouseBusy(HotlineError, RuntimeError):
    """The warehouse file is locked by another process (DuckDB allows one writer at a time)."""

    retryable = True

    def __init__(self, path: Path | str, pid: int | None = None):
        self.path = Path(path)
        self.pid = pid
        holder = f" (pid {pid})" if pid is not None else ""
        super().__init__(f"warehouse {path} is in use by another process{holder}; wait for it to finish and try again")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse at ``path``.

    Creates the parent folder for a writable connection. A read-only connection to a file that does not exist
    raises ``FileNotFoundError``. A file locked by another process raises :class:`WarehouseBusy`.
    """
    path = Path(path)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"warehouse {path} does not exist: run `hotline load` first")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as e:
        text = str(e)
        if any(m in text.lower() for m in _LOCK_MARKERS):
            m = _PID_RE.search(text)
            raise WarehouseBusy(path, int(m.group(1)) if m else None) from None
        raise
    # Bounded memory (DuckDB spills to disk beyond it), the same limit as dbt's profile. A SET, not a
    # connection config: another connection to the file in this process keeps a compatible configuration.
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    return con


def memory_limit() -> str:
    value = os.environ.get("HOTLINE_DUCKDB_MEMORY_LIMIT", "3GB")
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value.strip(), re.IGNORECASE):
        raise ValueError(f"HOTLINE_DUCKDB_MEMORY_LIMIT must look like 3GB, got {value!r}")
    return value.strip()
