"""The bulletin as an official Word document (hotline.publish.docx, GB/T 9704-2012 layout) and the bulletin audit of
the project's own bulletin in every format (Markdown, HTML, Word), also after an editor changed it in Word."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from docx import Document
from lxml import etree
from typer.testing import CliRunner

from conftest import AS_OF, MONTH
from hotline.audit import flatten
from hotline.audit.documents import bulletin_text
from hotline.paths import PROJECT_DIR
from hotline.publish import bulletin, publish_month
from hotline.publish.docx import render_docx, tidy

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FACES = {"Noto Serif CJK SC", "Noto Sans CJK SC", "AR PL UKai CN"}
REFERENCE = PROJECT_DIR / "docs" / "reference" / "golmud-12345-bulletin-2024-11.md"


@pytest.fixture(scope="module")
def publication(tmp_path_factory, built_warehouse):
    out = tmp_path_factory.mktemp("publish_docx")
    result = publish_month(built_warehouse, MONTH, AS_OF, out)
    return out, result


@pytest.fixture(scope="module")
def ctx(publication) -> dict:
    out, result = publication
    figures = json.loads((out / MONTH / "figures.json").read_text(encoding="utf-8"))
    narrative = bulletin.load_narrative(PROJECT_DIR / "narratives", MONTH)
    return bulletin.context(figures, narrative, bulletin.quality_annex(result.report))


@pytest.fixture(scope="module")
def docx_path(tmp_path_factory, ctx) -> Path:
    path = tmp_path_factory.mktemp("docx") / "bulletin.docx"
    render_docx(ctx, path)
    return path


@pytest.fixture(scope="module")
def doc(docx_path):
    return Document(str(docx_path))


@pytest.fixture(scope="module")
def md(publication) -> str:
    return (publication[0] / MONTH / "bulletin.md").read_text(encoding="utf-8")


def audit(path: Path, out: Path):
    from hotline.cli import app

    return CliRunner().invoke(app, ["audit-bulletin", str(path), "--month", MONTH, "--out", str(out)])


def finding_lines(res) -> list[str]:
    return [line for line in res.output.splitlines() if line.startswith("[")]


def body_paragraphs(doc) -> list:
    return [el for el in doc.element.body if el.tag == W + "p"]


def text_of(p) -> str:
    return "".join(t.text or "" for t in p.iter(W + "t"))


# ------------------------------------------------------------------------------------------------ layout
def test_a4_with_the_official_margins(doc):
    sectPr = doc.element.body.find(W + "sectPr")
    size, margins = sectPr.find(W + "pgSz"), sectPr.find(W + "pgMar")
    assert (size.get(W + "w"), size.get(W + "h")) == ("11906", "16838")
    m = {k: int(margins.get(W + k)) for k in ("top", "bottom", "left", "right", "gutter")}
    assert m == {"top": 2098, "bottom": 1984, "left": 1587, "right": 1474, "gutter": 0}  # 37, 35, 28, 26 mm
    mm = 25.4 / 1440
    assert round((11906 - m["left"] - m["right"]) * mm) == 156 and round((16838 - m["top"] - m["bottom"]) * mm) == 225
    assert doc.settings.element.find(W + "mirrorMargins") is not None  # the binding side alternates


def test_every_run_and_style_names_its_east_asian_font(docx_path, doc):
    with zipfile.ZipFile(docx_path) as z:
        parts = {n: z.read(n) for n in z.namelist() if re.fullmatch(r"word/(document|footer\d+)\.xml", n)}
    runs = 0
    for name, xml in parts.items():
        root = etree.fromstring(xml)
        for r in root.iter(W + "r"):
            runs += 1
            fonts = r.find(f"{W}rPr/{W}rFonts")
            assert fonts is not None, (name, "".join(r.itertext()))
            assert fonts.get(W + "eastAsia") in FACES and fonts.get(W + "ascii") == fonts.get(W + "eastAsia")
            assert fonts.get(W + "hAnsi") == fonts.get(W + "eastAsia")
    assert runs > 1000
    for st in doc.styles.element.findall(W + "style"):
        fonts = st.find(f"{W}rPr/{W}rFonts")
        assert fonts is not None and fonts.get(W + "eastAsia") in FACES, st.get(W + "styleId")
        assert not [a for a in fonts.attrib if a.endswith(("Theme", "theme"))]
    faces = {
        name: doc.styles[name].element.find(f"{W}rPr/{W}rFonts").get(W + "eastAsia")
        for name in ("Normal", "Title", "Heading 1", "Heading 2", "Bulletin Body")
    }
    assert faces == {
        "Normal": "Noto Serif CJK SC",
        "Title": "Noto Serif CJK SC",
        "Heading 1": "Noto Sans CJK SC",
        "Heading 2": "AR PL UKai CN",
        "Bulletin Body": "Noto Serif CJK SC",
    }
    assert doc.styles["Bulletin Body"].font.size.pt == 16 and doc.styles["Title"].font.size.pt == 22
    assert doc.styles["Title"].font.bold  # 小标宋 → Noto Serif CJK SC bold


def test_red_masthead_issue_line_and_red_rule(doc, ctx):
    paras = body_paragraphs(doc)
    assert text_of(paras[0]) == "格尔木市12345政务服务便民热线工作通报" == tidy(ctx["n"]["masthead"])
    run = paras[0].find(W + "r")
    assert run.find(f"{W}rPr/{W}color").get(W + "val") == "FF0000" and run.find(f"{W}rPr/{W}b") is not None
    assert text_of(paras[1]) == "2024年第68期（总第118期）"
    assert text_of(paras[2]) == "格尔木市人民政府办公室2024年12月12日"
    rule = paras[2].find(f"{W}pPr/{W}pBdr/{W}bottom")
    assert rule is not None and rule.get(W + "color") == "FF0000"
    assert text_of(paras[3]) == "格尔木市12345政务服务便民热线月通报（2024年11月）"
    assert doc.paragraphs[3].style.name == "Title"


def test_headings_and_the_editors_narrative_are_ordinary_paragraphs(doc):
    styles = {p.text: p.style.name for p in doc.paragraphs}
    assert styles["一、热线运行总体情况"] == styles["四、热线工作动态"] == "Heading 1"
    assert styles["（一）目的分类。"] == "Heading 2"
    narrative = next(p for p in doc.paragraphs if p.text.startswith("一是配合省委第二巡视组"))
    assert narrative.style.name == "Bulletin Body"
    run_in = next(p for p in doc.paragraphs if p.text.startswith("（一）思想重视不足"))
    assert run_in.runs[0].text == "（一）思想重视不足，敷衍塞责。"
    assert run_in.runs[0].element.find(f"{W}rPr/{W}rFonts").get(W + "eastAsia") == "AR PL UKai CN"  # 楷体
    assert not doc.element.body.findall(f".//{W}drawing")  # no charts


def test_every_table_repeats_its_header_and_never_splits_a_row(doc, md):
    md_tables = len(re.findall(r"^\|[-:| ]+\|$", md, flags=re.M))
    assert len(doc.tables) == md_tables == 6  # purpose, demand, closure, satisfaction, overdue, performance
    for table in doc.tables:
        rows = table._tbl.findall(W + "tr")
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
        assert not [r for r in rows[1:] if r.find(f"{W}trPr/{W}tblHeader") is not None]
        widths = [int(g.get(W + "w")) for g in table._tbl.tblGrid.findall(W + "gridCol")]
        assert sum(widths) == 8845  # the width of the text block
    overdue = next(t for t in doc.tables if t.rows[0].cells[1].text == "工单编号")
    assert len(overdue.rows) == 1 + 41


def test_page_numbers_odd_right_even_left(doc):
    assert doc.settings.odd_and_even_pages_header_footer
    sec = doc.sections[0]
    for footer, jc in ((sec.footer, "right"), (sec.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p._p.find(f"{W}pPr/{W}jc").get(W + "val") == jc
        instr = "".join(t.text for t in p._p.iter(W + "instrText"))
        assert instr.strip() == "PAGE"
        assert re.fullmatch(r"— \d+ —", p.text)
        assert {r.font.size.pt for r in p.runs} == {14}  # 四号
        assert p.paragraph_format.right_indent if jc == "right" else p.paragraph_format.left_indent


def test_the_cc_block_is_last(doc, ctx):
    n = ctx["n"]
    texts = [text_of(p) for p in body_paragraphs(doc)]
    assert texts[-1] == f"{n['issuer']}{n['printed_on']}"  # 格尔木市人民政府办公室 … 2024年12月13日印发
    assert texts[-1 - len(n["cc"]) : -1] == n["cc"]
    assert texts[-2 - len(n["cc"])] == ""  # the first rule
    last = body_paragraphs(doc)[-1].find(f"{W}pPr/{W}pBdr")
    assert last.find(W + "top") is not None and last.find(W + "bottom") is not None
    annex = texts.index("附件")
    assert texts[annex + 1] == "数据质量说明" and annex < len(texts) - len(n["cc"]) - 2
    assert doc.paragraphs[annex].paragraph_format.page_break_before


def test_every_figure_the_markdown_prints_is_in_the_word_bulletin(docx_path, md, ctx):
    text = bulletin_text(docx_path)
    md_text = tidy(md)
    shown = 0
    for key, value in flatten(ctx["f"]).items():
        if value is None or isinstance(value, bool):
            continue
        forms = {str(value)}
        if isinstance(value, float):
            forms = {bulletin.pct(value), bulletin.num(value)}
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            forms = {bulletin.cn_date(value)}
        for form in forms:
            if form in md_text:
                shown += 1
                assert form in text, key
    assert shown > 700
    # … and every number as often as the Markdown prints it
    numbers = re.compile(r"\d+(?:\.\d+)?%?")
    assert Counter(numbers.findall(re.sub(r"!\[[^]]*\]\([^)]*\)", "", md_text))) == Counter(numbers.findall(text))


def test_the_same_input_gives_the_same_bytes(tmp_path, ctx, docx_path, doc):
    again = tmp_path / "again.docx"
    render_docx(copy.deepcopy(ctx), again)
    assert again.read_bytes() == docx_path.read_bytes()
    cp = doc.core_properties
    assert (cp.author, cp.last_modified_by, cp.revision) == ("hotline", "hotline", 1)
    assert cp.created == cp.modified and cp.created.strftime("%Y-%m-%d %H:%M") == "2024-12-12 02:00"  # 10:00 CST
    with zipfile.ZipFile(docx_path) as z:
        infos = z.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {i.date_time for i in infos} == {(2024, 12, 12, 2, 0, 0)}
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])


def test_the_quality_annex_and_a_restatement(tmp_path, ctx, publication):
    q = dict(
        ctx["q"],
        warnings=[{"description": "一天的导出缺失", "subject": "2024-11-15", "decision": "已核实"}],
        decisions=["接受缺失的 2024-11-15（已核实）"],
        restatement={"restates": {"as_of": "2024-12-11 10:00:00", "release": "r1"}, "reason": "重新交付"},
        figures_changed=[{"key": "contacts.total", "old": 4150, "new": 4151}],
    )
    path = tmp_path / "restated.docx"
    render_docx(dict(ctx, q=q), path)
    doc = Document(str(path))
    assert len(doc.tables) == 7
    changed = doc.tables[-1]
    assert [c.text for c in changed.rows[1].cells] == ["contacts.total", "4150", "4151"]
    assert changed.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    text = bulletin_text(path)
    assert "更正版。" in text and "1.一天的导出缺失：2024-11-15（经办人决定：已核实）" in text
    res = audit(path, publication[0])
    assert res.exit_code == 0 and not finding_lines(res), res.output


def test_a_bulletin_without_narrative(tmp_path, ctx):
    bare = bulletin.context(ctx["f"], bulletin.Narrative(), ctx["q"])
    path = tmp_path / "bare.docx"
    render_docx(bare, path)
    texts = [text_of(p) for p in body_paragraphs(Document(str(path)))]
    assert texts[0] == "本市12345政务服务便民热线工作通报"
    if bare.get("narrative_warning"):  # said right under the title
        assert texts[texts.index("本市12345政务服务便民热线月通报（2024年11月）") + 1] == bare["narrative_warning"]
    assert "抄送" not in "".join(texts)


# --------------------------------------------------------------------------------------------- audit
@pytest.mark.parametrize("name", ["bulletin.md", "bulletin.html"])
def test_the_projects_bulletin_has_no_findings(publication, name):
    out = publication[0]
    res = audit(out / MONTH / name, out)
    assert res.exit_code == 0 and not finding_lines(res), res.output
    assert f"0 findings in {out / MONTH / name}" in res.output


def test_the_projects_word_bulletin_has_no_findings(publication, docx_path):
    res = audit(docx_path, publication[0])
    assert res.exit_code == 0 and not finding_lines(res), res.output


def _edited(docx_path: Path, tmp_path: Path, edit) -> Path:
    doc = Document(str(docx_path))
    edit(doc)
    path = tmp_path / "edited.docx"
    doc.save(str(path))
    return path


def _replace(doc, old: str, new: str, in_tables: bool = False) -> None:
    """Change ``old`` into ``new`` in the one run that carries it, as an editor typing in Word would."""
    elements = doc.element.body.iter(W + "t")
    hits = [
        t
        for t in elements
        if old in (t.text or "") and (t.getparent().getparent().getparent().tag == W + "tc") == in_tables
    ]
    assert hits, old
    hits[0].text = hits[0].text.replace(old, new, 1)


def test_an_editors_change_to_the_narrative_is_not_a_finding(publication, docx_path, tmp_path):
    def edit(doc):
        p = next(p for p in doc.paragraphs if p.text.startswith("一是配合省委第二巡视组"))
        for r in p.runs[1:]:
            r._r.getparent().remove(r._r)
        p.runs[0].text = "一是配合市纪委监委提供12345热线接到的有关投诉举报资料。"
        p.add_run("二是召开工单办理推进会（新增一句）。")  # a second run, as Word writes a revision
        p.insert_paragraph_before("编辑补充：本月共走访 3 个单位。", style="Bulletin Body")

    path = _edited(docx_path, tmp_path, edit)
    res = audit(path, publication[0])
    assert res.exit_code == 0 and not finding_lines(res), res.output


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (scripts/system-packages.sh) not installed")
def test_the_word_bulletin_saved_again_by_a_word_processor_has_no_findings(publication, docx_path, tmp_path):
    """LibreOffice opens the Word bulletin and saves it again (every part rewritten, as an editor's Word would)."""
    profile = (tmp_path / "lo-profile").as_uri()
    for target in ("docx:MS Word 2007 XML", "html"):
        run = subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path / "saved"),
                str(docx_path),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
    saved = tmp_path / "saved" / "bulletin.docx"
    assert len(Document(str(saved)).tables) == 6
    for path in (saved, saved.with_suffix(".html")):
        res = audit(path, publication[0])
        assert res.exit_code == 0 and not finding_lines(res), res.output


@pytest.mark.parametrize(
    "old, new, in_tables, key",
    [
        ("办结率99.45%", "办结率99.54%", False, "work_orders.closure_rate_pct"),
        ("共计4151件", "共计4152件", False, "contacts.total"),
        ("1543", "1545", True, "demand_table.by_category.政务咨询"),
        ("11.02%", "11.20%", True, "department_performance[市住房和城乡建设局].return_rate_pct"),
    ],
)
def test_a_number_changed_by_hand_is_a_finding_naming_it(publication, docx_path, tmp_path, old, new, in_tables, key):
    path = _edited(docx_path, tmp_path, lambda doc: _replace(doc, old, new, in_tables))
    res = audit(path, publication[0])
    assert res.exit_code == 1
    assert any(line.split("]", 1)[1].strip().startswith(key + ":") for line in finding_lines(res)), res.output


def test_the_reference_still_has_exactly_its_known_finding(publication):
    res = audit(REFERENCE, publication[0])
    assert res.exit_code == 1
    lines = finding_lines(res)
    assert lines and all("contacts.by_channel_pct.工单转办" in line and "25.21" in line for line in lines), lines


def test_a_file_that_is_not_a_word_document_is_a_clear_error(tmp_path, publication):
    bad = tmp_path / "bulletin.docx"
    bad.write_bytes(b"not a zip")
    res = audit(bad, publication[0])
    assert res.exit_code not in (0, 1) and "not a Word (.docx) document" in res.output
    assert "Traceback" not in res.output
