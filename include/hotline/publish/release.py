"""The state of a publication folder, and how it moves from one consistent state to the next.

``publish/<YYYY-MM>`` is a symbolic link to an immutable release folder ``publish/.releases/<YYYY-MM>/<id>``; the
links are the publication. Everything else is derived from them and belongs to the folder:
``publish/hotline.duckdb`` (every published month's marts for BI tools, built from the releases' Parquet files,
so a trial publication into another folder never changes this one's) and the append-only log
``publish/.audit/publications.jsonl``.

A change (publish, restate, unpublish) is journaled before it starts:

1. the new release is written in a private staging folder (nothing published changes);
2. ``.pending.json`` records the change (written to a temporary file and renamed: never half-written);
3. the release folder is moved into ``.releases`` (one rename);
4. the month's link is switched (one rename: the atomic step);
5. the BI file is rebuilt from the links (a temporary file renamed over the old one);
6. the change is appended to the log;
7. ``.pending.json`` is removed.

A crash (kill -9) anywhere leaves the old state (before step 4) or the new one (after it), and :func:`recover`,
which every command that reads or changes a publication folder runs first, completes the new one (steps 5–7)
or rolls the old one back (removes a release folder that was never published), and deletes the leftovers of
crashed writers (staging folders, temporary files and links of dead processes). ``HOTLINE_PUBLISH_FAULT=<step>``
kills the process at a step (``staged``, ``pending``, ``moved``, ``switched``, ``bi``, ``logged``): the tests use
it to check every one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

from hotline.errors import HotlineError
from hotline.sql import lit

RELEASES = ".releases"
STAGING = ".staging"
PENDING = ".pending.json"
AUDIT = ".audit"
LOG = "publications.jsonl"
BI_FILE = "hotline.duckdb"
FAULT_ENV = "HOTLINE_PUBLISH_FAULT"


class PublishError(HotlineError, RuntimeError):
    """Publication could not be completed; the previous publication is untouched."""

    code = 1
    retryable = True  # LibreOffice may time out or fail once: the Airflow tasks retry a publication


def fault_point(step: str) -> None:
    """Fault injection for the crash tests: kill this process (as kill -9 would) at ``step``."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def new_staging_dir(out_dir: Path, month: str) -> Path:
    d = out_dir / STAGING / f"{month}-{os.getpid()}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def published_months(out_dir: Path) -> list[str]:
    """The months whose link points at a release, in order."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in out_dir.iterdir()
        if p.is_symlink() and len(p.name) == 7 and p.name[4] == "-" and (p / "manifest.json").is_file()
    )


def release_of(out_dir: Path, month: str) -> str | None:
    link = Path(out_dir) / month
    return link.resolve().name if link.is_symlink() else None


# -------------------------------------------------------------------------------------------------- changes
def switch(out_dir: Path, month: str, staging: Path | None, release_id: str | None, entry: dict[str, Any]) -> Path:
    """Publish ``staging`` as ``month``'s release ``release_id`` (or, with ``staging`` None and ``release_id``
    None, withdraw the month), journaled (see the module's docstring). ``entry``: what the log records."""
    out_dir = Path(out_dir)
    link = out_dir / month
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} is a plain folder, not a publication link: move it away first")
    target = out_dir / RELEASES / month / release_id if release_id else None
    pending = {
        "month": month,
        "release": release_id,
        "previous": release_of(out_dir, month),
        "release_existed": bool(target and target.exists()),
        "entry": entry,
    }
    fault_point("staged")
    _write_atomically(out_dir / PENDING, json.dumps(pending, ensure_ascii=False))
    fault_point("pending")
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        assert staging is not None  # a release is published from its staging folder
        if target.exists():  # the same content was published before: keep that copy, it is identical
            shutil.rmtree(staging)
        else:
            os.rename(staging, target)
        _remove_if_empty(out_dir / STAGING)
    fault_point("moved")
    if target is not None:
        tmp_link = out_dir / f".{month}.link-{os.getpid()}"
        if tmp_link.is_symlink():
            tmp_link.unlink()
        os.symlink(os.path.relpath(target, out_dir), tmp_link)
        os.replace(tmp_link, link)  # the atomic step
    else:
        link.unlink()  # the atomic step of a withdrawal
    fault_point("switched")
    _complete(out_dir, pending)
    return link


def _complete(out_dir: Path, pending: dict[str, Any]) -> None:
    """Steps 5-7: the BI file, the log, the journal."""
    rebuild_bi_file(out_dir)
    fault_point("bi")
    entry = dict(pending["entry"], month=pending["month"], release=pending["release"])
    if not _logged(out_dir, entry):
        append_log(out_dir, entry)
    fault_point("logged")
    (out_dir / PENDING).unlink(missing_ok=True)


def _logged(out_dir: Path, entry: dict[str, Any]) -> bool:
    """Whether ``entry`` is the log's last line (written before a crash that left the journal behind)."""
    log_path = out_dir / AUDIT / LOG
    if not log_path.is_file():
        return False
    lines = log_path.read_text(encoding="utf-8").splitlines()
    if not lines:
        return False
    last = json.loads(lines[-1])
    return all(last.get(k) == entry.get(k) for k in ("month", "release", "action", "as_of", "reason"))


def append_log(out_dir: Path, entry: dict[str, Any]) -> None:
    """Append one publication, restatement or withdrawal to the log (never rewritten)."""
    log_path = out_dir / AUDIT / LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    line = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **entry}
    with open(log_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def rebuild_bi_file(out_dir: Path) -> None:
    """``hotline.duckdb``: every published month's marts, from the releases' Parquet files (the marts each
    release holds), in DuckDB's 1.4 storage format that older BI drivers open; swapped in by rename so that
    readers keep their snapshot. Removed when nothing is published."""
    import duckdb

    from hotline.publish.figures import MART_TABLES

    out_dir = Path(out_dir)
    months = published_months(out_dir)
    target = out_dir / BI_FILE
    if not months:
        target.unlink(missing_ok=True)
        return
    tmp = out_dir / f".{BI_FILE}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach {lit(str(tmp))} as bi (storage_version 'v1.4.0')")
        for table in MART_TABLES:
            files = [out_dir / m / "marts" / f"{table}.parquet" for m in months]
            listed = "[" + ", ".join(lit(str(f)) for f in files if f.is_file()) + "]"
            con.execute(
                f"create table bi.{table} as select * from read_parquet({listed}, union_by_name = true) order by all"
            )
        con.execute("detach bi")
    finally:
        con.close()
    os.replace(tmp, target)


# -------------------------------------------------------------------------------------------------- recovery
def recover(out_dir: Path) -> list[str]:
    """Bring ``out_dir`` back to a consistent state after a crash: complete or roll back an interrupted change,
    remove what dead writers left. Returns what was done (one line each)."""
    out_dir = Path(out_dir)
    done: list[str] = []
    pending_path = out_dir / PENDING
    if pending_path.is_file():
        pending = json.loads(pending_path.read_text(encoding="utf-8"))
        month, release = pending["month"], pending["release"]
        if release_of(out_dir, month) == release:  # the switch happened: complete it
            _complete(out_dir, pending)
            done.append(f"completed the interrupted {pending['entry'].get('action')} of {month}")
        else:  # it did not: the old state stands; a release that was never published goes
            target = out_dir / RELEASES / month / release if release else None
            if target is not None and target.is_dir() and not pending["release_existed"]:
                shutil.rmtree(target)
            pending_path.unlink()
            done.append(f"rolled back the interrupted {pending['entry'].get('action')} of {month}")
    for leftover in _leftovers(out_dir):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        done.append(f"removed {leftover.name}, left by a crashed writer")
    _remove_if_empty(out_dir / STAGING)
    return done


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_of(name: str) -> int | None:
    """The writer's pid in a staging folder (``<month>-<pid>``), a temporary file (``.<name>.<pid>.tmp``) or a
    temporary link (``.<month>.link-<pid>``)."""
    for sep in ("-", "."):
        stem = name[:-4] if name.endswith(".tmp") else name
        tail = stem.rsplit(sep, 1)[-1]
        if tail.isdigit():
            return int(tail)
    return None


def _leftovers(out_dir: Path) -> list[Path]:
    if not out_dir.is_dir():
        return []
    found = list((out_dir / STAGING).iterdir()) if (out_dir / STAGING).is_dir() else []
    found += [
        p for p in out_dir.iterdir() if p.name.startswith(".") and (p.name.endswith(".tmp") or ".link-" in p.name)
    ]
    return [p for p in found if (pid := _pid_of(p.name)) is not None and not _alive(pid)]


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
