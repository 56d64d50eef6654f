"""A bulletin file as the text :func:`hotline.audit.parse.parse_bulletin` reads.

``.md``/``.txt`` are read as they are; an ``.html`` page and a Word ``.docx`` (also after an editor changed it)
become their paragraphs in document order with every table row on one line of tab-separated cells.
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.audit.text import BulletinParseError

if TYPE_CHECKING:
    from lxml.etree import _Element  # python-docx's XML elements


def bulletin_text(path: Path | str) -> str:
    """The text of a bulletin file as :func:`~hotline.audit.parse.parse_bulletin` reads it: a ``.docx`` (Word)
    as its paragraphs and table rows in document order, an ``.html`` page as its text with every table row on a
    line, the cells tab-separated; anything else (``.md``, ``.txt``) as UTF-8 text."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return docx_text(path)
    if suffix in (".html", ".htm", ".xhtml"):
        return html_text(path.read_text(encoding="utf-8-sig"))
    return path.read_text(encoding="utf-8-sig")


class _HtmlText(HTMLParser):
    BLOCKS = {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "ul",
        "caption",
    }
    SKIP = {"head", "script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.text: list[str] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.skip = 0

    def flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.text)).strip()
        self.text = []
        if text:
            self.lines.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif self.skip:
            return
        elif tag == "tr":
            self.flush()
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br":
            (self.cell if self.cell is not None else self.text).append(" " if self.cell is not None else "\n")
            if self.cell is None:
                self.flush()
        elif tag == "hr":
            self.flush()
            self.lines.append("---")
        elif tag in self.BLOCKS and self.cell is None:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif self.skip:
            return
        elif tag in ("td", "th") and self.cell is not None:
            if self.row is not None:
                self.row.append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.lines.append("\t".join(self.row))
            self.row = None
        elif tag in self.BLOCKS and self.cell is None:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.row is None:
            self.text.append(data)


def html_text(html: str) -> str:
    """The text of an HTML bulletin: one line per block, each table row a line of tab-separated cells."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    parser.flush()
    return "\n".join(parser.lines)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_NOT_TEXT = {_W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr", _MC_FALLBACK}


def _docx_paragraph(p: _Element) -> str:
    """A Word paragraph's visible text (deleted and moved-away revisions left out, inserted ones in)."""
    out = []
    for el in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr", _W + "noBreakHyphen"):
        node, hidden = el.getparent(), False
        while node is not None and node is not p:
            if node.tag in _NOT_TEXT:
                hidden = True
                break
            node = node.getparent()
        if hidden:
            continue
        tag = el.tag[len(_W) :]
        out.append((el.text or "") if tag == "t" else {"tab": "\t", "noBreakHyphen": "-"}.get(tag, "\n"))
    return "".join(out)


def docx_text(path: Path | str) -> str:
    """The text of a Word bulletin: its paragraphs and tables in document order, each table row a line of
    tab-separated cells (a merged cell followed by empty ones, as many as it spans)."""
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    lines: list[str] = []

    def cell_text(tc: _Element) -> str:
        parts = [_docx_paragraph(p) for p in tc.iter(_W + "p")]
        return re.sub(r"\s+", " ", " ".join(t for t in parts if t.strip())).strip()

    def walk(container: _Element) -> None:
        for el in container:
            if el.tag == _W + "p":
                lines.extend(_docx_paragraph(el).split("\n"))
            elif el.tag == _W + "tbl":
                for tr in el.iter(_W + "tr"):
                    if tr.getparent() is not el:
                        continue  # a nested table's row: its text is in its cell
                    cells: list[str] = []
                    for tc in tr.findall(_W + "tc"):
                        cells.append(cell_text(tc))
                        span = tc.find(f"{_W}tcPr/{_W}gridSpan")
                        cells.extend([""] * (int(span.get(_W + "val", "1")) - 1 if span is not None else 0))
                    lines.append("\t".join(cells))
            elif el.tag in (_W + "sdt", _W + "customXml", _W + "ins", _W + "moveTo"):
                walk(el.find(_W + "sdtContent") if el.tag == _W + "sdt" else el)

    try:
        walk(docx.Document(str(path)).element.body)
    except (KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as e:  # not a Word document
        raise BulletinParseError(f"{Path(path).name} is not a Word (.docx) document: {e}") from None
    return "\n".join(lines)
