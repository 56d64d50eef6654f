"""bulletin.pdf: the Word bulletin (bulletin.docx, GB/T 9704 layout) printed to an A4 PDF by LibreOffice, so the
PDF has exactly the document's layout (one layout, not a second rendering of it), with the Chinese fonts
embedded.

LibreOffice stamps each conversion with its time, a random file identifier and a checksum of both; they are
rewritten (same byte lengths, so the cross-reference table stays valid) to the publication's cut-off and a
digest of the document: the same release gives the same bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from hotline.publish.release import PublishError

SOFFICE_TIMEOUT_S = 180
_CREATED = re.compile(rb"(/CreationDate\(D:)(\d{14})([^)]*\))")
_ID = re.compile(rb"/ID \[ <([0-9A-F]{32})>\n<([0-9A-F]{32})> \]")
_CHECKSUM = re.compile(rb"/DocChecksum /[0-9A-F]{32}")


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise PublishError(
            "LibreOffice (soffice) is not installed: it prints bulletin.docx to bulletin.pdf "
            "(`make setup` installs it: scripts/system-packages.sh)"
        )
    return exe


def docx_to_pdf(docx: Path, pdf: Path, cut_off: str) -> None:
    """Print ``docx`` to ``pdf`` (A4, as the document's sections say); ``cut_off`` ("YYYY-MM-DD HH:MM:SS",
    Asia/Shanghai) is the PDF's creation date."""
    exe = soffice()
    with tempfile.TemporaryDirectory(prefix=".hotline-pdf-") as tmp:
        # a profile of its own: LibreOffice locks its profile, and a user's open LibreOffice must not matter
        profile = Path(tmp) / "profile"
        args = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            tmp,
            str(docx),
        ]
        # a session of its own: `soffice` is a wrapper whose soffice.bin child would outlive a timed-out run and
        # keep printing (and a CPU busy) after the publication has failed
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=SOFFICE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise PublishError(f"LibreOffice did not print {docx.name} within {SOFFICE_TIMEOUT_S} s") from None
        out = Path(tmp) / (docx.stem + ".pdf")
        if proc.returncode != 0 or not out.is_file():
            detail = " ".join((stderr or stdout or "").split())[:300]
            raise PublishError(f"LibreOffice could not print {docx.name} to PDF: {detail or 'no output'}")
        pdf.write_bytes(_reproducible(out.read_bytes(), cut_off))


def _reproducible(data: bytes, cut_off: str) -> bytes:
    """The conversion time → the cut-off (in UTC, LibreOffice's own form); the random identifier → a digest of
    the document."""
    local = dt.datetime.fromisoformat(cut_off)

    def stamp(m: re.Match[bytes]) -> bytes:
        # the digits only: the time zone that follows them stays as LibreOffice wrote it
        when = local - dt.timedelta(hours=8) if m.group(3).startswith(b"Z") else local  # Asia/Shanghai → UTC
        return bytes(m.group(1) + f"{when:%Y%m%d%H%M%S}".encode() + m.group(3))

    data, n = _CREATED.subn(stamp, data)
    if n != 1:
        raise PublishError(f"unexpected PDF from LibreOffice: {n} creation dates")
    digest = hashlib.md5(_CHECKSUM.sub(b"", _ID.sub(b"", data)), usedforsecurity=False).hexdigest().upper().encode()
    data, n = _ID.subn(b"/ID [ <" + digest + b">\n<" + digest + b"> ]", data)
    if n != 1:
        raise PublishError(f"unexpected PDF from LibreOffice: {n} file identifiers")
    # LibreOffice's checksum of the document as it wrote it (with its time): the digest stands in
    return _CHECKSUM.sub(b"/DocChecksum /" + digest, data)
