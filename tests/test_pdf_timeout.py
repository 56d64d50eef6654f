"""A LibreOffice run that outlives its limit is stopped with everything it started: `soffice` is a wrapper that
starts soffice.bin, which went on printing (and holding a core) after a timed-out publication had failed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hotline.publish import pdf
from hotline.publish.release import PublishError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is not running
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_a_timed_out_conversion_leaves_no_process_behind(tmp_path, monkeypatch):
    child_pid = tmp_path / "child.pid"
    fake = tmp_path / "soffice"
    # like the real wrapper: the work happens in a child process that the wrapper waits for
    fake.write_text(f"#!/bin/sh\nsleep 120 &\necho $! > {child_pid}\nwait\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf, "soffice", lambda: str(fake))
    monkeypatch.setattr(pdf, "SOFFICE_TIMEOUT_S", 1)
    docx = tmp_path / "bulletin.docx"
    docx.write_bytes(b"not really a document")

    with pytest.raises(PublishError, match="did not print bulletin.docx within 1 s"):
        pdf.docx_to_pdf(docx, tmp_path / "bulletin.pdf", "2024-12-12 10:00:00")

    pid = int(child_pid.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the converter's child process outlived the failed publication"
    assert not (tmp_path / "bulletin.pdf").exists()
