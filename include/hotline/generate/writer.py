"""Daily export files: ``hotline_YYYYMMDD.csv`` (UTF-8 with BOM, contract headers) and its manifest."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, timedelta
from pathlib import Path

from hotline import contract

BOM = b"\xef\xbb\xbf"
HEADER_LINE = ",".join(contract.HEADERS) + "\r\n"


def exported_at(day: date) -> str:
    """Shortly after midnight of the next day, derived from the date only (deterministic)."""
    nxt = day + timedelta(days=1)
    o = day.toordinal()
    return f"{nxt.isoformat()}T00:{10 + o % 9:02d}:{(o * 37) % 60:02d}+08:00"


def write_day(out_dir: Path, day: date, rows: list[tuple[str, str]]) -> int:
    """Write one day's export from (prefix, suffix) row parts; returns the number of data rows."""
    text = HEADER_LINE + "".join(f"{p},{s}\r\n" for p, s in rows)
    data = BOM + text.encode("utf-8")
    name = contract.csv_name(day.isoformat())
    _atomic_write(out_dir / name, data)
    manifest = contract.Manifest(
        export_date=day.isoformat(),
        row_count=len(rows),
        sha256=hashlib.sha256(data).hexdigest(),
        exported_at=exported_at(day),
    )
    body = json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n"
    _atomic_write(out_dir / contract.manifest_name(day.isoformat()), body.encode("utf-8"))
    return len(rows)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
