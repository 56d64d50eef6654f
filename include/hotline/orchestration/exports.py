"""Is day D's export there, complete and consistent with its manifest? (the nightly sensor's test)

An export is ready when ``hotline_YYYYMMDD.csv`` and ``hotline_YYYYMMDD.manifest.json`` are both present, the
manifest parses, names day D, has a row count, and its sha256 equals the sha256 of the file's bytes. A
mismatch is "not ready yet" (the platform may still be copying the file), not an error: the sensor keeps
waiting and reports the last reason when it times out.

A hand-delivered ``.xlsx`` (docs/daily-dump-contract.md) shares the day's manifest like a csv: whichever file's
sha256 the manifest names is the delivery (the loader rejects the other). The loader does the row-level
verification (row counts, headers, quarantine); this check only makes sure the delivery is complete before the
load starts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hotline.contract import csv_name, manifest_name


@dataclass(frozen=True)
class ExportStatus:
    day: str
    ready: bool
    reason: str
    file: str | None = None
    manifest: str | None = None
    row_count: int | None = None
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def check_export(dumps_dir: Path, day: str) -> ExportStatus:
    """Whether day ``day`` (``YYYY-MM-DD``) has a complete, verified export in ``dumps_dir``."""
    dumps_dir = Path(dumps_dir)
    if not dumps_dir.is_dir():
        return ExportStatus(day, False, f"the dumps folder {dumps_dir} does not exist")
    csv = dumps_dir / csv_name(day)
    xlsx = csv.with_suffix(".xlsx")
    manifest = dumps_dir / manifest_name(day)
    candidates = [p for p in (csv, xlsx) if p.is_file()]
    if not candidates:
        return ExportStatus(day, False, f"no export for {day} yet: {csv.name} (or .xlsx) is not in {dumps_dir}")
    if not manifest.is_file():
        return ExportStatus(
            day,
            False,
            f"{candidates[0].name} is there but its manifest {manifest.name} is not (yet)",
            file=str(candidates[0]),
        )
    try:
        m = json.loads(manifest.read_text(encoding="utf-8-sig"))
        m_day, m_rows, m_sha = str(m["export_date"]), int(m["row_count"]), str(m["sha256"]).lower()
    except (OSError, ValueError, KeyError, TypeError) as e:
        return ExportStatus(
            day, False, f"{manifest.name} is not a valid manifest ({type(e).__name__}: {e})", manifest=str(manifest)
        )
    if m_day != day:
        return ExportStatus(day, False, f"{manifest.name} is for {m_day}, not {day}", manifest=str(manifest))
    if m_rows < 0:
        return ExportStatus(day, False, f"{manifest.name} has a negative row_count", manifest=str(manifest))
    digests = {p: sha256_file(p) for p in candidates}
    for path, digest in digests.items():
        if digest == m_sha:
            return ExportStatus(
                day,
                True,
                f"{path.name} matches its manifest ({m_rows} rows)",
                file=str(path),
                manifest=str(manifest),
                row_count=m_rows,
                sha256=digest,
            )
    shown = ", ".join(f"{p.name} sha256 {d[:12]}…" for p, d in digests.items())
    return ExportStatus(
        day,
        False,
        f"{shown} does not match {manifest.name} (sha256 {m_sha[:12]}…): incomplete or still being copied",
        manifest=str(manifest),
    )
