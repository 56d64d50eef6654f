"""Atomic publication of a month folder.

``publish/<YYYY-MM>`` is a symbolic link to an immutable release folder ``publish/.releases/<YYYY-MM>/<id>``.
A new release is written completely beside the old one, then the link is swapped with one ``rename(2)``:
readers see either the last good publication or the new audited one, never a half-written folder, and a failed
month never touches what was published before. Releases are never deleted: a month gets a new release only
by a restatement, and the releases it replaced stay beside it for the auditors.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

RELEASES = ".releases"
STAGING = ".staging"


class PublishError(RuntimeError):
    """Publication could not be completed; the previous publication is untouched."""

    code = 1


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


def swap_in(staging: Path, out_dir: Path, month: str, release_id: str) -> Path:
    """Move the finished ``staging`` folder into place and point ``out_dir/month`` at it atomically."""
    link = out_dir / month
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} is a plain folder, not a publication link: move it away first")
    releases = out_dir / RELEASES / month
    releases.mkdir(parents=True, exist_ok=True)
    target = releases / release_id
    if target.exists():  # the same content was published before: keep the old copy, it is identical
        shutil.rmtree(staging)
    else:
        os.rename(staging, target)
    try:
        staging.parent.rmdir()  # the staging area, when no other publication is being written
    except OSError:
        pass
    tmp_link = out_dir / f".{month}.link-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(os.path.relpath(target, out_dir), tmp_link)
    os.replace(tmp_link, link)  # the atomic step
    return link
