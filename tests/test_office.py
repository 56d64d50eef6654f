"""What the office circulates, rendered for real: bulletin.pdf (LibreOffice's print of bulletin.docx) page by page
with poppler, and bulletin.html printed by a real headless Chromium: A4, Chinese fonts embedded, every page
drawn, no table row cut in two, the overdue list's header on every page it continues on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import AS_OF, MONTH
from hotline.publish import publish_month

pytestmark = pytest.mark.slow  # end to end: `make test` runs it, `make test-fast` does not

A4 = (595.0, 842.0)  # points


@pytest.fixture(scope="module")
def month(tmp_path_factory, built_warehouse) -> Path:
    out = tmp_path_factory.mktemp("office")
    publish_month(built_warehouse, MONTH, AS_OF, out)
    return out / MONTH


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def _pages(pdf: Path) -> list[tuple[float, float]]:
    info = _run("pdfinfo", "-f", "1", "-l", "9999", str(pdf))
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def _page_texts(pdf: Path, n: int) -> list[str]:
    return [_run("pdftotext", "-f", str(p), "-l", str(p), "-layout", str(pdf), "-") for p in range(1, n + 1)]


def _ink(pgm: Path) -> float:
    """The share of a page (a binary PGM from pdftoppm -gray) that is not white."""
    data = pgm.read_bytes()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    pixels = data[m.end() : m.end() + w * h]
    return sum(1 for b in pixels if b < 200) / (w * h)


def _check_printed(pdf: Path, figures: dict, tmp_path: Path) -> list[str]:
    pages = _pages(pdf)
    assert len(pages) >= 3
    for w, h in pages:
        assert abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2, (w, h)  # A4 on every page
    # every page rendered to an image, with something drawn on it
    _run("pdftoppm", "-gray", "-r", "24", str(pdf), str(tmp_path / "page"))
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == len(pages) and all(_ink(p) > 0.002 for p in images)
    texts = _page_texts(pdf, len(pages))
    # no row of the overdue list cut in two: its ticket id and its dates are on one page; the list's header
    # row is repeated on every page it continues on
    overdue = figures["overdue_work_orders"]
    on_page = {}
    for row in overdue:
        where = [i for i, t in enumerate(texts) if row["ticket_id"] in t]
        assert len(where) == 1, row["ticket_id"]
        on_page[row["ticket_id"]] = where[0]
        # (a cell may wrap inside its row: 2024年11 / 月12日; the last line of the due date and the
        # department must be on the ticket's page)
        page = re.sub(r"\s", "", texts[where[0]])
        day = f"月{int(row['due_date'][8:10])}日"
        assert day in page and row["departments"][0][:4] in page, (row["ticket_id"], day)
    pages_with_rows = sorted(set(on_page.values()))
    assert len(pages_with_rows) >= 2, "the list spans pages (the header repetition is tested)"
    for i in pages_with_rows:
        assert "工单编号" in texts[i].replace(" ", ""), f"page {i + 1} continues the list without its header"
    return texts


def test_the_pdf_is_a4_with_embedded_chinese_fonts_and_uncut_rows(month, tmp_path):
    pdf = month / "bulletin.pdf"
    figures = json.loads((month / "figures.json").read_text(encoding="utf-8"))
    texts = _check_printed(pdf, figures, tmp_path)
    fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded
    assert any("CJK" in line or "UKai" in line for line in fonts)
    whole = "".join(texts).replace(" ", "")
    assert f"共计{figures['contacts']['total']}件" in whole and "抄送" in whole


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is installed by `make setup`")
def test_the_html_printed_by_chromium_is_a4_and_repeats_table_headers(month, tmp_path):
    pdf = tmp_path / "html.pdf"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            (month / "bulletin.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    figures = json.loads((month / "figures.json").read_text(encoding="utf-8"))
    texts = _check_printed(pdf, figures, tmp_path)
    assert f"共计 {figures['contacts']['total']} 件" in "".join(texts)
