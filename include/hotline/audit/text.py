"""The text primitives the bulletin parser (:mod:`hotline.audit.parse`) is built from.

A bulletin is read in two forms: *flat* (all whitespace removed, ASCII punctuation mapped to the full-width
forms the office uses) for its sentences, and line by line for its tables (tab-separated cells, or
``|``-delimited Markdown rows).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal, overload

from hotline.errors import HotlineError


class BulletinParseError(HotlineError, ValueError):
    """A required figure could not be found; the message names the section."""


def clean_name(text: str, keep_spaces: bool = False) -> str:
    return re.sub(r"\s+", " ", text).strip() if keep_spaces else re.sub(r"\s+", "", text)


_FULL_WIDTH: dict[str, str | int | None] = {"(": "（", ")": "）", ",": "，", ":": "：", ";": "；", "％": "%"}


def flat_text(text: str) -> str:
    """All whitespace removed, ASCII punctuation mapped to the full-width forms the office uses."""
    flat = re.sub(r"\s+", "", text)
    return flat.translate(str.maketrans(_FULL_WIDTH))


def need(pattern: str, text: str, section: str, what: str) -> re.Match[str]:
    m = re.search(pattern, text)
    if not m:
        raise BulletinParseError(f"{section}: cannot find {what}")
    return m


def section_text(flat: str, start: str, end: str, name: str, pos: int = 0) -> tuple[str, int]:
    """The flat text from the first match of ``start`` (at or after ``pos``) to the next match of ``end``."""
    m = re.compile(start).search(flat, pos)
    if not m:
        raise BulletinParseError(f"{name}: section not found (looked for {start!r})")
    e = re.compile(end).search(flat, m.end())
    stop = e.start() if e else len(flat)
    return flat[m.end() : stop], stop


def iso_date(text: str) -> str | None:
    m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", re.sub(r"\s+", "", text))
    if not m:
        m = re.search(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


def pct(printed: str) -> float:
    return float(Decimal(printed))


def decimals(printed: str) -> int:
    return len(printed.split(".", 1)[1]) if "." in printed else 0


@overload
def table_rows(
    lines: list[str], title: str, section: str, first_header: str = ..., optional: Literal[False] = ...
) -> list[list[str]]: ...
@overload
def table_rows(
    lines: list[str], title: str, section: str, first_header: str = ..., optional: bool = ...
) -> list[list[str]] | None: ...
def table_rows(
    lines: list[str], title: str, section: str, first_header: str = "序号", optional: bool = False
) -> list[list[str]] | None:
    """Data rows (cells stripped, header row dropped) of the table whose title line matches ``title``.

    ``optional``: None when there is no such title or no table under it (instead of raising)."""
    title_re = re.compile(title)
    start = next((i for i, ln in enumerate(lines) if title_re.search(re.sub(r"\s+", "", ln))), None)
    if start is None:
        if optional:
            return None
        raise BulletinParseError(f"{section}: table not found (looked for {title!r})")
    rows: list[list[str]] = []
    for ln in lines[start + 1 :]:
        if not ln.strip():
            continue
        if "\t" in ln:
            cells = [c.strip() for c in ln.split("\t")]
        elif ln.lstrip().startswith("|"):
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
        else:
            if rows:
                break
            if re.match(r"^#|^[（(][一二三四五六七八九十]+[）)]|^[一二三四五六七八九十]+、", ln.strip()):
                break  # the next heading: the table has no rows
            continue  # a caption between the title and the table (e.g. 截至时间)
        rows.append(cells)
    if optional and not rows:
        return None
    if not rows or not rows[0] or re.sub(r"\s+", "", rows[0][0]) != first_header:
        raise BulletinParseError(f"{section}: table header ({first_header} …) not found under its title")
    return rows[1:]


def whole_number(cell: str, section: str, what: str) -> int:
    c = re.sub(r"\s+", "", cell).replace(",", "")
    if not re.fullmatch(r"\d+", c):
        raise BulletinParseError(f"{section}: {what} is not a whole number: {cell!r}")
    return int(c)


def pct_cell(cell: str, section: str, what: str) -> str:
    c = re.sub(r"\s+", "", cell).replace("％", "%")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)%?", c)
    if not m:
        raise BulletinParseError(f"{section}: {what} is not a percentage: {cell!r}")
    return m.group(1)


#: What a table cell holds when there is no figure.
NO_VALUE = ("", "—", "-", "–", "/", "无")
