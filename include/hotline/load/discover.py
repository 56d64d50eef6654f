"""Finding the exports of a dumps folder, reading their manifests, and telling which files need reading at all
(a delivery already in force is recognized by its manifest and its file identity, without hashing it)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from hotline.contract import EXPORT_NAME_RE, Manifest, manifest_name
from hotline.load.audit import FileResult
from hotline.load.errors import LoadError, RejectedFile

MANIFEST_RE = re.compile(r"^hotline_(\d{4})(\d{2})(\d{2})\.manifest\.json$")
SHA_RE = re.compile(r"^[0-9a-fA-F]{64}$")
NOT_FOLLOWED = "is a symbolic link: not followed (deliver the file itself into the dumps folder)"


@dataclass
class ExportDay:
    """The files of one export day found in the dumps folder."""

    date: str
    data: list[Path] = field(default_factory=list)
    manifest: Path | None = None


def real_date(y: str, m: str, d: str) -> str | None:
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def discover(dumps_dir: Path) -> list[ExportDay]:
    if not dumps_dir.exists():
        raise LoadError(f"dumps folder {dumps_dir} does not exist")
    if not dumps_dir.is_dir():
        raise LoadError(f"dumps folder {dumps_dir} is not a folder")
    days: dict[str, ExportDay] = {}
    for p in sorted(dumps_dir.iterdir()):
        if not (p.is_file() or p.is_symlink()):  # a symbolic link is listed, and rejected unread
            continue
        m = EXPORT_NAME_RE.match(p.name) or MANIFEST_RE.match(p.name)
        if not m:
            continue
        key = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        day = days.setdefault(key, ExportDay(key))
        if p.name.endswith(".manifest.json"):
            day.manifest = p
        else:
            day.data.append(p)
    if not days:
        raise LoadError(
            f"no exports in {dumps_dir}: expected hotline_YYYYMMDD.csv (or .xlsx) files, each with "
            "hotline_YYYYMMDD.manifest.json"
        )
    return [days[k] for k in sorted(days)]


# ----------------------------------------------------------------------------------------------------------------
# manifest


def read_manifest(name: str, path: Path | None, day: str) -> Manifest:
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
    if not isinstance(ed, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", ed) or real_date(*ed.split("-")) is None:
        raise RejectedFile(name, f"manifest {path.name}: export_date {ed!r} is not a YYYY-MM-DD date")
    if not isinstance(rc, int) or isinstance(rc, bool) or rc < 0:
        raise RejectedFile(name, f"manifest {path.name}: row_count {rc!r} is not a non-negative integer")
    if not isinstance(sha, str) or not SHA_RE.match(sha):
        raise RejectedFile(name, f"manifest {path.name}: sha256 {sha!r} is not 64 hex digits")
    if not isinstance(at, str) or exported_at(at) is None:
        raise RejectedFile(name, f"manifest {path.name}: exported_at {at!r} is not an ISO date-time")
    return Manifest(export_date=ed, row_count=rc, sha256=sha.lower(), exported_at=at)


_SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def exported_at(s: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=_SHANGHAI)


# ----------------------------------------------------------------------------------------------------------------
# deliveries already in force


StatKey = tuple[int, int, int, int]  # inode, size, modification and status-change times (ns)


def stat_key(path: Path) -> StatKey:
    """The file's identity as the file system keeps it (never following a symbolic link)."""
    st = path.lstat()
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def stat_text(key: StatKey | None) -> str | None:
    return None if key is None else ":".join(map(str, key))


def likely_new(con: duckdb.DuckDBPyConnection, items: list[tuple[ExportDay, Path | None]]) -> list[Path]:
    """The CSV files worth reading ahead: not the delivery in force under the same name (those are usually
    skipped unread, unchanged_since_load). Only a hint: each file is still judged when its turn comes."""
    in_force = {str(d): n for d, n in con.execute("SELECT export_date, file_name FROM raw.exports").fetchall()}
    return [
        p
        for day, p in items
        if p is not None and p.suffix.lower() == ".csv" and not p.is_symlink() and in_force.get(day.date) != p.name
    ]


def unchanged_since_load(con: duckdb.DuckDBPyConnection, day: ExportDay, path: Path, res: FileResult) -> bool:
    """Skip re-hashing a delivery that is already in force: same file name, a manifest naming the same sha256,
    and the file's identity unchanged since it was loaded (inode, size, modification and status-change times:
    rewriting the bytes changes the status-change time even when the modification time is set back). A nightly
    run over a year of history then reads 366 small manifests instead of hashing ~15 GB of CSV. Anything else
    goes through the full checks."""
    row = con.execute(
        "SELECT file_sha256, file_name, file_stat, encoding FROM raw.exports WHERE export_date = ?", [day.date]
    ).fetchone()
    if not row or row[1] != path.name or row[2] is None or day.manifest is None or day.manifest.is_symlink():
        return False
    try:
        man = json.loads(day.manifest.read_text(encoding="utf-8"))
        stat = stat_text(stat_key(path))
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
