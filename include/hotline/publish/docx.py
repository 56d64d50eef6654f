"""The bulletin as an official Word document (``bulletin.docx``), laid out after GB/T 9704-2012 《党政机关公文格式》.

Layout:

* A4 (11906 × 16838 twips); margins top 37 mm, bottom 35 mm, binding side 28 mm, outer side 26 mm, i.e. a text
  block of 156 × 225 mm; mirrored margins (the binding side is the left of odd pages and the right of even pages
  when printed on both sides); 22 lines a page (exact line pitch 28.95 pt).
* 版头: the red 发文机关标志 (``n.masthead``: the narrative's ``masthead``, else
  ``{city}12345政务服务便民热线工作通报``)
  35 mm below the top of the text block, in a 小标宋-style face, shrunk horizontally to fit one line; the 期数
  line (``n.issue``) two lines below it, centred; the issuer on the left and the issue date on the right; the red
  rule the width of the text block 4 mm under them.
* 主体: the title two lines under the rule (二号 小标宋), then the body in 三号 仿宋 (first lines indented two
  characters); 一级标题 (``一、…``) 黑体, 二级标题 (``（一）…``) 楷体 — also when run into a paragraph, as the hot
  spots and the editors' ``（一）…。`` paragraphs are; notes (the cut-off, restatement and quality notes) 楷体;
  the editors' narrative (``narrative_body``) as ordinary, editable paragraphs.
* Every table with its header row repeated on every page (``w:tblHeader``) and rows that never split across pages
  (``w:cantSplit``), in a 仿宋 size that fits its columns (四号 … 小五). No charts: the HTML bulletin has them.
* The data-quality annex (``q``) as 附件 on a page of its own ("附件" in 黑体 at the top left, its title centred).
* 版记 at the end: 抄送 (``n.cc``) between a thick and a thin rule, then the issuer and ``n.printed_on`` above a
  thick rule, in 四号 仿宋.
* Page numbers in the footer as ``— N —`` in 四号, odd pages on the right and even pages on the left (one
  character in from the edge), with different odd and even footers.

The words are the Markdown bulletin's: the template is rendered from the same ``ctx``
(:func:`hotline.publish.bulletin.markdown_from_context`) and converted block by block, so no sentence is written
twice; only the 版头 and 版记 are laid out here from ``ctx["n"]``. Spaces the Markdown puts between Chinese and
Latin text (``共计 4151 件``) are dropped, as Chinese typesetting wants (``共计4151件``).

Fonts. The official faces are not free; these free substitutes stand in for them, named on every style and every
run for East Asian and Latin text alike (``w:rFonts`` ``w:eastAsia``/``w:ascii``/``w:hAnsi``/``w:cs``), with the
Windows face of the same kind as ``w:altName`` in the font table:

==========================  ===========================  ==========================================
official face               substitute                   used for
==========================  ===========================  ==========================================
方正小标宋简体 (小标宋)       Noto Serif CJK SC, bold      发文机关标志, title, 附件 title
仿宋_GB2312 (仿宋)           Noto Serif CJK SC            body, tables, 期数/发文机关/日期, 版记
黑体                         Noto Sans CJK SC             一级标题, table titles and header rows, "附件"
楷体_GB2312 (楷体)           AR PL UKai CN                二级标题, notes
宋体 (page numbers)          Noto Serif CJK SC            page numbers
==========================  ===========================  ==========================================

The file is byte-identical for the same ``ctx``: the core properties are fixed (created and modified = the cut-off,
author and last modified by ``hotline``, revision 1) and the zip is rewritten with its entries in a fixed order and
with fixed timestamps.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import markdown
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph
from docx.text.parfmt import ParagraphFormat
from docx.text.run import Run
from lxml import etree
from lxml import html as lxml_html
from lxml.etree import _Element as Element
from lxml.html import HtmlElement

from hotline.publish import bulletin

# ------------------------------------------------------------------------------------------------ layout
PAGE_W, PAGE_H = 11906, 16838  # A4 in twips


def mm(v: float) -> int:
    """Millimetres in twips."""
    return round(v * 1440 / 25.4)


MARGIN_TOP, MARGIN_BOTTOM, MARGIN_BINDING, MARGIN_OUTER = mm(37), mm(35), mm(28), mm(26)
TEXT_W = PAGE_W - MARGIN_BINDING - MARGIN_OUTER  # 8845 twips = 156 mm
LINE = 579  # twips: 225 mm / 22 lines = 28.95 pt
FOOTER_DISTANCE = mm(24)  # puts the page number's dashes about 7 mm under the text block

#: The free substitutes (see the module docstring).
XIAOBIAOSONG = "Noto Serif CJK SC"  # bold
FANGSONG = "Noto Serif CJK SC"
HEITI = "Noto Sans CJK SC"
KAITI = "AR PL UKai CN"
SONGTI = "Noto Serif CJK SC"
#: The Windows face of the same kind, for a Word without the substitutes (font table ``w:altName``).
ALT_NAMES = {"Noto Serif CJK SC": "宋体", "Noto Sans CJK SC": "黑体", "AR PL UKai CN": "楷体"}

# 字号 in points
CHUHAO, XIAOCHU, YIHAO, ERHAO, SANHAO, SIHAO, XIAOSI, WUHAO, XIAOWU = 42, 36, 26, 22, 16, 14, 12, 10.5, 9
RED = "FF0000"
CHAR = 320  # one 三号 character in twips
CC_CHAR = 280  # one 四号 character in twips
CELL_MARGIN = 57  # a table cell's left and right margin, twips (1 mm)

#: paragraph styles: name -> (face, size, bold)
STYLES = {
    "Normal": (FANGSONG, SANHAO, False),
    "Title": (XIAOBIAOSONG, ERHAO, True),
    "Heading 1": (HEITI, SANHAO, False),
    "Heading 2": (KAITI, SANHAO, False),
    "Footer": (SONGTI, SIHAO, False),
    "Bulletin Masthead": (XIAOBIAOSONG, XIAOCHU, True),
    "Bulletin Issue": (FANGSONG, SANHAO, False),
    "Bulletin Body": (FANGSONG, SANHAO, False),
    "Bulletin Note": (KAITI, SANHAO, False),
    "Bulletin Table Title": (HEITI, SIHAO, False),
    "Bulletin Table Header": (HEITI, XIAOSI, False),
    "Bulletin Table Text": (FANGSONG, XIAOSI, False),
    "Bulletin Annex Label": (HEITI, SANHAO, False),
    "Bulletin Annex Title": (XIAOBIAOSONG, ERHAO, True),
    "Bulletin CC": (FANGSONG, SIHAO, False),
}

_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\u2014\u2018-\u201d\u2026"
_LEVEL1 = re.compile(r"^[一二三四五六七八九十]+、")
_LEVEL2 = re.compile(r"^（[一二三四五六七八九十]+）")
_RUN_IN = re.compile(r"^（[一二三四五六七八九十]+）[^。]{1,30}?。")
_ANNEX = re.compile(r"^(附件\s*\d*)\s*[：:]\s*(.+)$")
_TABLE_TITLE = re.compile(r"表（[^（）]*）$")


# ------------------------------------------------------------------------------------------------- API
def render_docx(ctx: dict[str, Any], path: Path) -> None:
    """Write the bulletin of ``ctx`` (:func:`hotline.publish.bulletin.context`) as a Word document to ``path``."""
    doc = Document()
    _setup(doc)
    body = doc.element.body
    for el in list(body):  # the template's empty paragraph, if any; sectPr stays
        if el.tag == qn("w:p"):
            body.remove(el)
    _masthead(doc, ctx)
    _main(doc, ctx)
    _imprint(doc, ctx)
    _footers(doc)
    _properties(doc, ctx)
    buf = io.BytesIO()
    doc.save(buf)
    Path(path).write_bytes(_stable_zip(buf.getvalue(), _cutoff(ctx)))


# ----------------------------------------------------------------------------------------------- helpers
def tidy(text: str) -> str:
    """Chinese spacing: line breaks inside a paragraph joined, no space between Chinese and Latin text."""
    text = re.sub(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])", "", text)
    text = re.sub(r"\s*\n\s*", " ", text)
    return re.sub(rf"(?<=[{_CJK}]) +(?=[!-~])|(?<=[!-~]) +(?=[{_CJK}])", "", text)


def _ems(text: str) -> float:
    """Width in ems: a Chinese character 1, a Latin one about 0.6 (the substitutes' digits are that wide)."""
    return sum(1 if re.match(rf"[{_CJK}%]", ch) else 0.6 for ch in text)


#: Schema order of the children this module adds (WordprocessingML): parent tag -> children in order.
_SEQ = {
    "w:pPr": (
        "w:pStyle",
        "w:keepNext",
        "w:keepLines",
        "w:pageBreakBefore",
        "w:framePr",
        "w:widowControl",
        "w:numPr",
        "w:suppressLineNumbers",
        "w:pBdr",
        "w:shd",
        "w:tabs",
        "w:suppressAutoHyphens",
        "w:kinsoku",
        "w:wordWrap",
        "w:overflowPunct",
        "w:topLinePunct",
        "w:autoSpaceDE",
        "w:autoSpaceDN",
        "w:bidi",
        "w:adjustRightInd",
        "w:snapToGrid",
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    ),
    "w:rPr": (
        "w:rStyle",
        "w:rFonts",
        "w:b",
        "w:bCs",
        "w:i",
        "w:iCs",
        "w:caps",
        "w:smallCaps",
        "w:strike",
        "w:dstrike",
        "w:outline",
        "w:shadow",
        "w:emboss",
        "w:imprint",
        "w:noProof",
        "w:snapToGrid",
        "w:vanish",
        "w:webHidden",
        "w:color",
        "w:spacing",
        "w:w",
        "w:kern",
        "w:position",
        "w:sz",
        "w:szCs",
        "w:highlight",
        "w:u",
        "w:effect",
        "w:bdr",
        "w:shd",
        "w:fitText",
        "w:vertAlign",
        "w:rtl",
        "w:cs",
        "w:em",
        "w:lang",
        "w:eastAsianLayout",
        "w:specVanish",
        "w:oMath",
    ),
    "w:trPr": (
        "w:cnfStyle",
        "w:divId",
        "w:gridBefore",
        "w:gridAfter",
        "w:wBefore",
        "w:wAfter",
        "w:cantSplit",
        "w:trHeight",
        "w:tblHeader",
        "w:tblCellSpacing",
        "w:jc",
        "w:hidden",
        "w:ins",
        "w:del",
        "w:trPrChange",
    ),
    "w:tblPr": (
        "w:tblStyle",
        "w:tblpPr",
        "w:tblOverlap",
        "w:bidiVisual",
        "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize",
        "w:tblW",
        "w:jc",
        "w:tblCellSpacing",
        "w:tblInd",
        "w:tblBorders",
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
        "w:tblPrChange",
    ),
    "w:sectPr": (
        "w:headerReference",
        "w:footerReference",
        "w:footnotePr",
        "w:endnotePr",
        "w:type",
        "w:pgSz",
        "w:pgMar",
        "w:paperSrc",
        "w:pgBorders",
        "w:lnNumType",
        "w:pgNumType",
        "w:cols",
        "w:formProt",
        "w:vAlign",
        "w:noEndnote",
        "w:titlePg",
        "w:textDirection",
        "w:bidi",
        "w:rtlGutter",
        "w:docGrid",
        "w:printerSettings",
        "w:sectPrChange",
    ),
}


def _put(parent: Element, tag: str, **attrs: object) -> Element:
    """Replace ``parent``'s ``tag`` child with a new one carrying ``attrs`` (``w:`` names), in schema order."""
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), str(v))
    seq = next((s for t, s in _SEQ.items() if parent.tag == qn(t)), ())
    later = {qn(t) for t in seq[seq.index(tag) + 1 :]} if tag in seq else set()
    successor = next((c for c in parent if c.tag in later), None)
    if successor is not None:
        successor.addprevious(el)
    else:
        parent.append(el)
    return el


def _fonts(rPr: Element, face: str) -> None:
    """Name ``face`` for every script (python-docx's ``Font.name`` leaves East Asian text to another face)."""
    rFonts = rPr.find(qn("w:rFonts"))
    if rFonts is None:
        rFonts = _put(rPr, "w:rFonts")
    for a in list(rFonts.attrib):
        del rFonts.attrib[a]
    rFonts.set(qn("w:hint"), "eastAsia")
    for a in ("ascii", "hAnsi", "eastAsia", "cs"):
        rFonts.set(qn(f"w:{a}"), face)


def _run(
    p: Paragraph,
    text: str,
    face: str,
    size: float | None = None,
    bold: bool = False,
    color: str | None = None,
    scale: int | None = None,
) -> Run:
    r = p.add_run(text)
    rPr = r._r.get_or_add_rPr()
    _fonts(rPr, face)
    if bold:
        r.font.bold = True
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    if scale and scale != 100:
        _put(rPr, "w:w", val=scale)
    if size:
        r.font.size = Pt(size)
    return r


def _border(pPr: Element, **sides: tuple[int, str, int]) -> None:
    """Paragraph borders: side -> (size in eighths of a point, colour, space in points)."""
    pBdr = _put(pPr, "w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        if side in sides:
            sz, color, space = sides[side]
            el = OxmlElement(f"w:{side}")
            for k, v in (("val", "single"), ("sz", sz), ("space", space), ("color", color)):
                el.set(qn(f"w:{k}"), str(v))
            pBdr.append(el)


def _right_tab(pPr: Element, pos: int) -> None:
    tabs = _put(pPr, "w:tabs")
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), "right")
    tab.set(qn("w:pos"), str(pos))
    tabs.append(tab)


def _para(doc: DocumentObject, style: str, text: str = "") -> Paragraph:
    """A paragraph of ``style`` with one run in the style's face."""
    p = doc.add_paragraph(style=style)
    if text:
        _run(p, text, STYLES[style][0], bold=STYLES[style][2])
    return p


def _format(
    pf: ParagraphFormat,
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    first_line: int | None = None,
    left: int | None = None,
    right: int | None = None,
    before: int = 0,
    after: int = 0,
    line: int | None = LINE,
    keep_next: bool = False,
) -> None:
    if align is not None:
        pf.alignment = align
    pf.space_before, pf.space_after = Twips(before), Twips(after)
    if line:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Twips(line)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if first_line is not None:
        pf.first_line_indent = Twips(first_line)
    if left is not None:
        pf.left_indent = Twips(left)
    if right is not None:
        pf.right_indent = Twips(right)
    if keep_next:
        pf.keep_with_next = True


# ------------------------------------------------------------------------------------------- the document
def _setup(doc: DocumentObject) -> None:
    """Page, styles (every style names its faces), settings, font table."""
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Twips(PAGE_W), Twips(PAGE_H)
    sec.top_margin, sec.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    sec.left_margin, sec.right_margin = Twips(MARGIN_BINDING), Twips(MARGIN_OUTER)
    sec.gutter, sec.header_distance, sec.footer_distance = Twips(0), Twips(mm(15)), Twips(FOOTER_DISTANCE)
    _put(sec._sectPr, "w:docGrid", linePitch=LINE)

    styles = doc.styles
    # docDefaults: no theme fonts, Chinese
    rPr_default = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rPr_default, FANGSONG)
    _put(rPr_default, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    pPr_default = styles.element.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    _put(pPr_default, "w:spacing", after=0, line=240, lineRule="auto")
    existing = {s.name for s in styles}
    for name in STYLES:
        if name not in existing:
            styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH).base_style = styles["Normal"]
        styles[name].element.remove_all("w:pPr", "w:rPr")  # the template's theme fonts, colours, spacing
    for st in styles.element.findall(qn("w:style")):  # every style names its faces
        name = st.find(qn("w:name")).get(qn("w:val"))
        name = {"heading 1": "Heading 1", "heading 2": "Heading 2", "footer": "Footer"}.get(name, name)
        face = STYLES.get(name, (FANGSONG,))[0]
        _fonts(st.get_or_add_rPr(), face)
        for rPr in st.iter(qn("w:rPr")):  # also a table style's conditional formats
            _fonts(rPr, face)
    for name, (_face, size, bold) in STYLES.items():
        st = styles[name]
        st.font.size = Pt(size)
        st.font.bold = bold
        st.font.italic = False
        st.font.color.rgb = RGBColor(0, 0, 0)
        st.quick_style = True
        pf = st.paragraph_format
        _format(pf, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        pf.widow_control = False
    _format(styles["Bulletin Masthead"].paragraph_format, align=WD_ALIGN_PARAGRAPH.CENTER, line=None, before=mm(35))
    styles["Bulletin Masthead"].font.color.rgb = RGBColor.from_string(RED)
    _format(styles["Bulletin Issue"].paragraph_format, align=WD_ALIGN_PARAGRAPH.CENTER, before=2 * LINE)
    _format(
        styles["Title"].paragraph_format,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=720,
        before=2 * LINE,
        after=LINE,
        keep_next=True,
    )
    _format(styles["Bulletin Body"].paragraph_format, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=2 * CHAR)
    _format(styles["Bulletin Note"].paragraph_format, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=2 * CHAR)
    for name, level in (("Heading 1", 0), ("Heading 2", 1)):
        _format(styles[name].paragraph_format, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=2 * CHAR, keep_next=True)
        _put(styles[name].element.get_or_add_pPr(), "w:outlineLvl", val=level)
    _format(
        styles["Bulletin Table Title"].paragraph_format,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=LINE // 3,
        keep_next=True,
    )
    _format(styles["Bulletin Table Header"].paragraph_format, align=WD_ALIGN_PARAGRAPH.CENTER, line=None)
    _format(styles["Bulletin Table Text"].paragraph_format, align=WD_ALIGN_PARAGRAPH.LEFT, line=None)
    _format(styles["Bulletin Annex Label"].paragraph_format, align=WD_ALIGN_PARAGRAPH.LEFT, keep_next=True)
    _format(
        styles["Bulletin Annex Title"].paragraph_format,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=720,
        before=LINE,
        after=LINE,
        keep_next=True,
    )
    _format(styles["Bulletin CC"].paragraph_format, align=WD_ALIGN_PARAGRAPH.LEFT, left=CC_CHAR, right=CC_CHAR)
    _format(styles["Footer"].paragraph_format, line=400)

    # settings: different odd/even footers, mirrored margins (two-sided printing), Chinese theme fonts
    doc.settings.odd_and_even_pages_header_footer = True
    settings = doc.settings.element
    if settings.find(qn("w:mirrorMargins")) is None:
        zoom = settings.find(qn("w:zoom"))
        mirror = OxmlElement("w:mirrorMargins")
        zoom.addnext(mirror) if zoom is not None else settings.insert(0, mirror)
    for el in settings.findall(qn("w:savePreviewPicture")):
        settings.remove(el)
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")

    # font table: the substitutes, with a Windows face of the same kind
    pkg = doc.part.package
    for part in pkg.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            root = etree.fromstring(part.blob)
            for face, alt in ALT_NAMES.items():
                font = etree.SubElement(root, qn("w:font"))
                font.set(qn("w:name"), face)
                for tag, val in (
                    ("w:altName", alt),
                    ("w:charset", "86"),
                    ("w:family", "modern" if face == HEITI else "roman"),
                    ("w:pitch", "variable"),
                ):
                    etree.SubElement(font, qn(tag)).set(qn("w:val"), val)
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        elif str(part.partname) == "/docProps/app.xml":
            part._blob = (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'extended-properties"><Application>hotline</Application><DocSecurity>0</DocSecurity>'
                b"<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>"
                b"<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
                b"</Properties>"
            )
    for rId, rel in list(pkg.rels.items()):  # the template's thumbnail is not this document
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rId]


def _masthead(doc: DocumentObject, ctx: dict[str, Any]) -> None:
    """版头: 发文机关标志 (red), 期数, issuer and date, the red rule."""
    n = ctx["n"]
    masthead = tidy(n.get("masthead") or f"{ctx['city']}12345政务服务便民热线工作通报")
    width_pt, ems = TEXT_W / 20 * 0.97, _ems(masthead)
    size, scale = XIAOCHU, 100
    for size in (XIAOCHU, 30, YIHAO, ERHAO):
        scale = min(100, math.floor(100 * width_pt / (ems * size)))
        if scale >= 75:
            break
    p = doc.add_paragraph(style="Bulletin Masthead")
    _run(p, masthead, XIAOBIAOSONG, size, bold=True, color=RED, scale=scale)
    last = p
    if n.get("issue"):
        last = _para(doc, "Bulletin Issue", tidy(n["issue"]))
    if n.get("issuer") or n.get("issued_on"):
        last = doc.add_paragraph(style="Bulletin Issue")
        last.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        last.paragraph_format.space_before = Twips(LINE // 2)
        _right_tab(last._p.get_or_add_pPr(), TEXT_W)
        _run(last, f"{tidy(n.get('issuer') or '')}\t{tidy(n.get('issued_on') or '')}", FANGSONG)
    _border(last._p.get_or_add_pPr(), bottom=(12, RED, 11))  # the red rule, 4 mm under the last line


def _main(doc: DocumentObject, ctx: dict[str, Any]) -> None:
    """主体: the template's words, block by block (the masthead and imprint lines left to the layout)."""
    n = dict(ctx["n"], issue="", issuer="", issued_on="", printed_on="", cc=[])
    md_text = bulletin.markdown_from_context(dict(ctx, n=n))
    root = lxml_html.fragment_fromstring(markdown.markdown(md_text, extensions=["tables"]), create_parent="div")
    blocks = [el for el in root if isinstance(el.tag, str)]
    while blocks and blocks[0].tag == "h1":  # the Markdown's masthead: laid out by _masthead
        blocks.pop(0)
    title_at = next((i for i, el in enumerate(blocks) if el.tag == "h2"), None)
    if title_at is not None:
        title = tidy(_text(blocks[title_at])).replace("(", "（").replace(")", "）")
        _para(doc, "Title", title)
        # anything above the title (the missing-narrative warning) goes right under it
        blocks = blocks[:title_at] + blocks[title_at + 1 :]
    body = doc.element.body
    after_table = False
    for i, el in enumerate(blocks):
        nxt = next((b for b in blocks[i + 1 :] if not _is_picture(b)), None)
        start = len(body) - 1  # new blocks go before the closing sectPr
        _block(doc, el, nxt)
        added = list(body)[start:-1]
        if after_table and added and added[0].tag == qn("w:p"):  # some air under a table
            _put(added[0].get_or_add_pPr(), "w:spacing", before=LINE // 2)
        after_table = bool(added) and added[-1].tag == qn("w:tbl") or (after_table and not added)


def _text(el: HtmlElement) -> str:
    return "".join(el.itertext())


def _is_picture(el: HtmlElement) -> bool:
    return el.tag == "p" and el.find(".//img") is not None and not _text(el).strip()


def _pieces(el: HtmlElement) -> list[tuple[str, bool]]:
    """The inline text of ``el`` as (text, bold) pieces, Chinese spacing applied."""
    out: list[tuple[str, bool]] = []

    def walk(node: HtmlElement, bold: bool) -> None:
        if node.text:
            out.append((node.text, bold))
        for child in node:
            if isinstance(child.tag, str):
                if child.tag == "br":
                    out.append(("\n", bold))
                elif child.tag != "img":
                    walk(child, bold or child.tag in ("strong", "b"))
            if child.tail:
                out.append((child.tail, bold))

    walk(el, False)
    merged: list[list[Any]] = []
    for text, bold in out:
        if merged and merged[-1][1] == bold:
            merged[-1][0] += text
        else:
            merged.append([text, bold])
    pieces = [(tidy(t), b) for t, b in merged]
    cjk = re.compile(rf"[{_CJK}]")
    for i in range(len(pieces)):  # spaces at a piece's edge next to Chinese text
        t, b = pieces[i]
        if i > 0 and pieces[i - 1][0] and (cjk.match(pieces[i - 1][0][-1]) or cjk.match(t.lstrip()[:1] or "a")):
            t = t.lstrip()
        if (
            i + 1 < len(pieces)
            and pieces[i + 1][0]
            and (cjk.match(pieces[i + 1][0][0]) or cjk.match(t.rstrip()[-1:] or "a"))
        ):
            t = t.rstrip()
        pieces[i] = (t, b)
    if pieces:
        pieces[0] = (pieces[0][0].lstrip(), pieces[0][1])
        pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    return [(t, b) for t, b in pieces if t]


def _paragraph(
    doc: DocumentObject, style: str, pieces: list[tuple[str, bool]], keep_next: bool = False, run_in: bool = False
) -> Paragraph:
    """A paragraph of ``pieces``; ``run_in``: a leading ``（一）…。`` is an 二级标题 run into the text (楷体)."""
    p = doc.add_paragraph(style=style)
    face = STYLES[style][0]
    if run_in and len(pieces) == 1 and not pieces[0][1]:
        m = _RUN_IN.match(pieces[0][0])
        if m:
            _run(p, m.group(0), KAITI)
            pieces = [(pieces[0][0][m.end() :], False)]
    for text, bold in pieces:
        _run(p, text, face, bold=bold)
    if keep_next:
        p.paragraph_format.keep_with_next = True
    return p


def _block(doc: DocumentObject, el: HtmlElement, nxt: HtmlElement | None) -> None:
    tag = el.tag
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        text = tidy(_text(el)).strip()
        annex = _ANNEX.match(text)
        if annex:
            label = _para(doc, "Bulletin Annex Label", annex.group(1).replace(" ", ""))
            label.paragraph_format.page_break_before = True
            _para(doc, "Bulletin Annex Title", annex.group(2))
        elif _LEVEL1.match(text):
            _para(doc, "Heading 1", text)
        elif _LEVEL2.match(text):
            _para(doc, "Heading 2", text)
        else:  # a table's title (超期工单一览表, 附表) or an editor's lower heading
            _para(doc, "Bulletin Table Title", text)
    elif tag == "p":
        if _is_picture(el):
            return  # no charts in the Word bulletin
        pieces = _pieces(el)
        if not pieces:
            return
        before_table = nxt is not None and nxt.tag == "table"
        text = "".join(t for t, _ in pieces)
        if before_table and _TABLE_TITLE.search(text):
            _para(doc, "Bulletin Table Title", text)
        else:
            _paragraph(doc, "Bulletin Body", pieces, keep_next=before_table, run_in=True)
    elif tag == "blockquote":
        for child in el:
            if isinstance(child.tag, str):
                pieces = _pieces(child)
                if pieces:
                    _paragraph(doc, "Bulletin Note", pieces)
    elif tag == "table":
        _table(doc, el)
    elif tag in ("ol", "ul"):
        start = int(el.get("start") or 1)
        for i, li in enumerate(el.findall("li")):
            pieces = _pieces(li)
            mark = f"{start + i}." if tag == "ol" else "·"
            if pieces:
                pieces[0] = (mark + pieces[0][0], pieces[0][1])
                _paragraph(doc, "Bulletin Body", pieces)
    elif tag == "hr":
        return
    else:
        pieces = _pieces(el)
        if pieces:
            _paragraph(doc, "Bulletin Body", pieces)


# -------------------------------------------------------------------------------------------------- tables
def _cell_align(cell: HtmlElement) -> WD_ALIGN_PARAGRAPH:
    style = (cell.get("style") or "") + " " + (cell.get("align") or "")
    if "right" in style:
        return WD_ALIGN_PARAGRAPH.RIGHT
    if "center" in style:
        return WD_ALIGN_PARAGRAPH.CENTER
    return WD_ALIGN_PARAGRAPH.LEFT


def _layout(rows: list[list[str]]) -> tuple[list[int], float]:
    """Column widths (twips, summing to the text width) and the largest font size (四号 … 小五) at which no
    column has to break a number, a ticket id or a short name; longer text wraps in its share of the rest."""
    ncol = max(len(r) for r in rows)

    def units(text: str) -> float:  # in half-ems
        return _ems(text) * 2

    def unbreakable(text: str) -> float:
        if units(text) <= 16:  # a date, a short name, a number: kept on one line
            return units(text)
        return max((units(t) for t in re.findall(r"[!-~]+", text)), default=4)

    want, need = [], []
    for j in range(ncol):
        cells = [r[j] for r in rows[1:] if j < len(r)]
        head = units(rows[0][j]) if j < len(rows[0]) else 0
        head = head if head <= 8 else head / 2  # a long header may take two lines
        want.append(max([units(c) for c in cells] + [head, 4]) + 1)
        need.append(min(want[-1], max([unbreakable(c) for c in cells] + [head, 12]) + 1))  # ≥ 6 characters
    padding = ncol * 2 * CELL_MARGIN / 20  # the cells' left and right margins, in points
    size = next((s for s in (SIHAO, XIAOSI, WUHAO) if sum(need) * s / 2 + padding <= TEXT_W / 20), XIAOWU)
    room = (TEXT_W / 20 - padding) / (size / 2)  # half-ems the columns can hold at that size
    if sum(want) <= room:
        share = want
    else:
        spare, extra = room - sum(need), [w - n for w, n in zip(want, need, strict=True)]
        share = [n + max(spare, 0) * e / (sum(extra) or 1) for n, e in zip(need, extra, strict=True)]
    widths = [int(TEXT_W * u / sum(share)) for u in share]
    widths[-1] += TEXT_W - sum(widths)
    return widths, size


def _table(doc: DocumentObject, el: HtmlElement) -> None:
    trs = list(el.iter("tr"))
    if not trs:
        return
    rows = [[tidy(_text(c)).strip() for c in tr if c.tag in ("th", "td")] for tr in trs]
    aligns = [[_cell_align(c) for c in tr if c.tag in ("th", "td")] for tr in trs]
    ncol = max(len(r) for r in rows)
    widths, size = _layout(rows)
    table = doc.add_table(rows=len(rows), cols=ncol)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tblPr = table._tbl.tblPr
    _put(tblPr, "w:tblW", w=TEXT_W, type="dxa")
    borders = _put(tblPr, "w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{side}")
        for k, v in (("val", "single"), ("sz", 4), ("space", 0), ("color", "000000")):
            b.set(qn(f"w:{k}"), str(v))
        borders.append(b)
    margins = _put(tblPr, "w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(CELL_MARGIN))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    for gc, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        gc.set(qn("w:w"), str(w))
    header = any(c.tag == "th" for c in trs[0])
    for i, (row, cells) in enumerate(zip(table.rows, rows, strict=True)):
        trPr = row._tr.get_or_add_trPr()
        _put(trPr, "w:cantSplit")
        if i == 0 and header:
            _put(trPr, "w:tblHeader")
        for j, cell in enumerate(row.cells):
            cell.width = Twips(widths[j])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            is_head = i == 0 and header
            p.style = doc.styles["Bulletin Table Header" if is_head else "Bulletin Table Text"]
            if not is_head and j < len(aligns[i]):
                p.paragraph_format.alignment = aligns[i][j]
            _run(p, cells[j] if j < len(cells) else "", HEITI if is_head else FANGSONG, size)


# -------------------------------------------------------------------------------------------------- 版记
def _imprint(doc: DocumentObject, ctx: dict[str, Any]) -> None:
    """版记: 抄送 between a thick and a thin rule, then the issuer (one character in) and the 印发 date (one
    character from the right) above a thick rule; the rules are the width of the text block."""
    n = ctx["n"]
    cc = [tidy(str(line)) for line in n.get("cc") or [] if str(line).strip()]
    printed = tidy(n.get("printed_on") or "")
    issuer = tidy(n.get("issuer") or "")
    if not cc and not printed:
        return
    thick, thin = (8, "000000", 0), (6, "000000", 0)  # about 0.35 mm and 0.25 mm
    rule = doc.add_paragraph(style="Bulletin CC")  # the first rule: an empty paragraph the width of the block
    _format(rule.paragraph_format, left=0, right=0, before=LINE, line=20, keep_next=True)
    _border(rule._p.get_or_add_pPr(), bottom=thick)
    for i, line in enumerate(cc):
        p = _para(doc, "Bulletin CC", line)
        pf = p.paragraph_format
        pf.keep_with_next = pf.keep_together = True
        if cc[0].startswith("抄送"):  # wrapped lines align after 抄送：
            pf.left_indent = Twips(CC_CHAR + 3 * CC_CHAR)
            if i == 0:
                pf.first_line_indent = Twips(-3 * CC_CHAR)
    last = doc.add_paragraph(style="Bulletin CC")
    _format(last.paragraph_format, left=0, right=0, first_line=CC_CHAR)
    last.paragraph_format.keep_together = True
    _right_tab(last._p.get_or_add_pPr(), TEXT_W - CC_CHAR)
    _run(last, f"{issuer}\t{printed}", FANGSONG)
    _border(last._p.get_or_add_pPr(), **({"top": thin} if cc else {}), bottom=thick)


# ------------------------------------------------------------------------------------------------- footer
def _page_number(p: Paragraph, right: bool) -> None:
    pf = p.paragraph_format
    pf.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    pf.first_line_indent = Twips(0)
    if right:
        pf.right_indent = Twips(CC_CHAR)
    else:
        pf.left_indent = Twips(CC_CHAR)
    _run(p, "— ", SONGTI, SIHAO)
    for kind, text in (("begin", ""), ("instr", " PAGE "), ("separate", ""), ("result", "1"), ("end", "")):
        r = _run(p, "", SONGTI, SIHAO)
        if kind == "instr":
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = text
            r._r.append(it)
        elif kind == "result":
            r.text = text
        else:
            fc = OxmlElement("w:fldChar")
            fc.set(qn("w:fldCharType"), kind)
            r._r.append(fc)
    _run(p, " —", SONGTI, SIHAO)


def _footers(doc: DocumentObject) -> None:
    sec = doc.sections[0]
    for footer, right in ((sec.footer, True), (sec.even_page_footer, False)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        for r in list(p.runs):
            r._r.getparent().remove(r._r)
        p.style = doc.styles["Footer"]
        _page_number(p, right)


# --------------------------------------------------------------------------------------------- properties
def _cutoff(ctx: dict[str, Any]) -> datetime:
    """The cut-off (Beijing time, as figures.json gives it) in UTC."""
    as_of = str(ctx["f"]["as_of"])
    return datetime.strptime(as_of[:19], "%Y-%m-%d %H:%M:%S") - timedelta(hours=8)


def _properties(doc: DocumentObject, ctx: dict[str, Any]) -> None:
    cp = doc.core_properties
    cutoff = _cutoff(ctx)
    cp.author = cp.last_modified_by = "hotline"
    cp.revision = 1
    cp.created = cp.modified = cutoff
    cp.title = f"{tidy(ctx['city'])}12345政务服务便民热线月通报（{ctx['y']}年{ctx['m']}月）"
    cp.subject = cp.keywords = cp.category = cp.comments = ""
    cp.language = "zh-CN"


def _stable_zip(data: bytes, when: datetime) -> bytes:
    """The package rewritten with a fixed entry order ([Content_Types].xml first) and fixed timestamps."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            z.writestr(info, src.read(name), compresslevel=9)
    return out.getvalue()
