"""The bulletin (月通报) in Chinese, as Markdown and HTML, from ``figures.json`` and the editors' narrative.

Figures come only from the warehouse; editors write the narrative sections (工作动态, 问题及建议, 关注重点) and the
masthead in ``narratives/<YYYY-MM>.md`` (YAML front matter + Markdown). A month without that file is refused
(``hotline.publish.publish_month``) unless the operator allows it: then the bulletin carries a warning on its first
page, placeholder sections and the city "本市".

The hot spots (三、主要热点) are headed in the office's wording: ``dbt_project/seeds/hotspot_labels.csv``
(``category_l1,category_l2,label``; category_l2 empty = a whole level-1 hot spot); a hot spot without a label is
headed by its category (category_l2, else category_l1). The heading adds 类 (政务咨询 → 政务咨询类).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import jinja2
import markdown
import yaml

from hotline.checks import GateReport
from hotline.errors import Refused
from hotline.paths import PROJECT_DIR, SEEDS_DIR
from hotline.publish import charts
from hotline.seeds import read_seed

TEMPLATES = Path(__file__).parent / "templates"
NARRATIVES_DIR = PROJECT_DIR / "narratives"
PLACEHOLDER_SECTIONS = ("四、热线工作动态", "五、存在的问题及工作建议", "六、近期关注重点")
CN_DIGITS = "零一二三四五六七八九十"
HOTSPOT_LABELS_SEED = "hotspot_labels.csv"
#: printed right under the title of a bulletin published without the editors' narrative file
NARRATIVE_MISSING_WARNING = "本期通报未附热线办编辑撰写的文字部分（工作动态、问题及建议、关注重点），仅含数据部分。"


@dataclass
class Narrative:
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    source: Path | None = None


def load_narrative(narratives_dir: Path | None, month: str) -> Narrative:
    path = narrative_path(narratives_dir, month) if narratives_dir else None
    if path is None or not path.exists():
        body = "\n\n".join(
            f"## {s}\n\n（待编辑：本节由热线办编辑撰写，请在 narratives/{month}.md 中填写。）"
            for s in PLACEHOLDER_SECTIONS
        )
        return Narrative(meta={}, body=body, source=None)
    text = path.read_text(encoding="utf-8")
    meta: dict[str, Any] = {}
    if text.startswith("---"):
        _, front, text = text.split("---", 2)
        meta = yaml.safe_load(front) or {}
    body = "\n".join(line for line in text.strip().splitlines() if not line.startswith("<!--"))
    return Narrative(meta=meta, body=body.strip(), source=path)


def pct(v: object) -> str:
    if v is None:
        return "—"
    return f"{Decimal(str(v)).quantize(Decimal('0.01'))}%"


def num(v: object) -> str:
    return "—" if v is None else f"{Decimal(str(v)).normalize():f}"


def cn_date(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = str(iso)[:10].split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def cn_num(i: int) -> str:
    return CN_DIGITS[i] if i <= 10 else str(i)


def narrative_path(narratives_dir: Path | None, month: str) -> Path:
    """Where the editors' narrative of ``month`` is looked for (default folder: ``narratives/``)."""
    return Path(narratives_dir or NARRATIVES_DIR) / f"{month}.md"


def require_narrative(narratives_dir: Path | None, month: str) -> Path:
    """The month's narrative file; :class:`Refused` (naming the file) when it does not exist."""
    path = narrative_path(narratives_dir, month)
    if not path.is_file():
        raise Refused(
            f"{month} has no narrative: {path} does not exist (the editors' 工作动态, 问题及建议 and "
            "关注重点); write it, or publish the figures only with --allow-missing-narrative (DAG param "
            "allow_missing_narrative; the bulletin then says so on its first page)"
        )
    return path


def load_hotspot_labels(path: Path | None = None) -> dict[tuple[str, str | None], str]:
    """The office's hot-spot headings, ``(category_l1, category_l2 or None) -> label`` (a trailing 类 is dropped:
    the heading adds it), from ``hotspot_labels.csv`` (default: the dbt seed)."""
    path = Path(path) if path is not None else SEEDS_DIR / HOTSPOT_LABELS_SEED
    labels: dict[tuple[str, str | None], str] = {}
    for n, row in read_seed(path, ("category_l1", "category_l2", "label")):
        l1, l2, label = ((row.get(k) or "").strip() for k in ("category_l1", "category_l2", "label"))
        label = label.removesuffix("类")
        if not l1 or not label:
            raise ValueError(f"{path} line {n}: category_l1 and label are required")
        key = (l1, l2 or None)
        if key in labels:
            raise ValueError(f"{path} line {n}: {l1}/{l2} is labelled twice")
        labels[key] = label
    return labels


def _hotspot_label(h: dict[str, Any], labels: Mapping[tuple[str, str | None], str]) -> str:
    return labels.get((h["category_l1"], h["category_l2"] or None)) or h["category_l2"] or h["category_l1"]


def _hotspot_key(h: dict[str, Any]) -> str:
    return f"{h['category_l1']}/{h['category_l2']}" if h["category_l2"] else h["category_l1"]


def render_charts(f: dict[str, Any]) -> dict[str, str]:
    channels = list(f["contacts"]["by_channel"].items())
    return {
        "channels.svg": charts.stacked_share("来电渠道构成", channels),
        "demand.svg": charts.hbar("诉求分类（件）", list(f["demand"]["by_category"].items())),
        "departments.svg": charts.hbar("各单位工单量（件）", [(d["name"], d["work_orders"]) for d in f["departments"]]),
        "satisfaction.svg": charts.hbar(
            "各单位回访满意度（%）",
            [(d["name"], float(d["satisfaction_pct"] or 0)) for d in f["satisfaction_by_department"]],
            unit="%",
            value_fmt="{:.2f}",
        ),
    }


def quality_annex(report: GateReport, restatement: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the bulletin's data-quality annex says: how many checks passed, every warning (what it is about),
    the operator's decisions, and a restatement (every figure that changed)."""
    warnings = [
        {
            "description": c.description or c.name,
            "subject": c.subject.text_cn() if c.subject else "",
            "decision": c.decisions[0].reason if c.decisions else "",
        }
        for c in report.warnings
    ]
    changed = []
    if restatement:
        changed = [
            {
                "key": d["key"],
                "old": "—" if d["old"] is None else d["old"],
                "new": "—" if d["new"] is None else d["new"],
            }
            for d in restatement["figures_changed"]
        ]
    return {
        "checks": len(report.checks),
        "passed": sum(c.status == "pass" for c in report.checks),
        "skipped": sum(c.status == "skipped" for c in report.checks),
        "warnings": warnings,
        "decisions": [d.text() for d in report.decisions],
        "restatement": restatement,
        "figures_changed": changed,
    }


def context(
    f: dict[str, Any],
    narrative: Narrative,
    quality: dict[str, Any] | None = None,
    top_hotspots: int = 3,
    hotspot_labels: Mapping[tuple[str, str | None], str] | None = None,
) -> dict[str, Any]:
    """Everything a rendering of the bulletin needs (Markdown, Word): the figures and the words around them,
    worked out once. ``hotspot_labels``: the hot spots' headings (default: :func:`load_hotspot_labels`).
    ``narrative_warning``: the warning to print under the title when the narrative file is missing, else None."""
    labels = load_hotspot_labels() if hotspot_labels is None else hotspot_labels
    y, m = (int(x) for x in f["month"].split("-"))
    c = f["contacts"]
    if c.get("mom_change_pct") is None:
        mom_text = "上月无可比数据"
    else:
        mom = Decimal(str(c["mom_change_pct"]))
        mom_text = f"较上月{'上升' if mom >= 0 else '下降'} {pct(abs(mom))}"
    as_of = f["as_of"]
    as_of_cn = f"{int(as_of[:4])} 年 {int(as_of[5:7])} 月 {int(as_of[8:10])} 日 {int(as_of[11:13])} 时" + (
        f" {int(as_of[14:16])} 分" if as_of[14:16] not in ("", "00") else ""
    )
    blurbs = narrative.meta.get("hotspots") or {}
    hotspots = [
        dict(h, label=_hotspot_label(h, labels), narrative=blurbs.get(_hotspot_key(h)))
        for h in f["hotspots"][:top_hotspots]
    ]
    top_demand = [k for k in f["demand"]["by_category"] if k != "其他"][:6]
    meta = {"issue": "", "issuer": "", "issued_on": "", "printed_on": "", "cc": []}
    meta.update({k: v for k, v in narrative.meta.items() if k in meta})
    # 发文机关标志 (the Word bulletin's red masthead): as the narrative gives it, else the hotline's own
    meta["masthead"] = (
        narrative.meta.get("masthead") or f"{narrative.meta.get('city') or '本市'}12345政务服务便民热线工作通报"
    )
    return {
        "f": f,
        "c": c,
        "ch": c["by_channel"],
        "chp": c["by_channel_pct"],
        "w": f["work_orders"],
        "y": y,
        "m": m,
        "city": narrative.meta.get("city") or "本市",
        "n": meta,
        "mom_text": mom_text,
        "as_of_cn": as_of_cn,
        "hotspots": hotspots,
        "top_demand": top_demand,
        "narrative_body": narrative.body,
        "q": quality,
        "narrative_warning": NARRATIVE_MISSING_WARNING if narrative.source is None else None,
    }


def render_markdown(
    f: dict[str, Any],
    narrative: Narrative,
    top_hotspots: int = 3,
    quality: dict[str, Any] | None = None,
    hotspot_labels: Mapping[tuple[str, str | None], str] | None = None,
) -> str:
    return markdown_from_context(context(f, narrative, quality, top_hotspots, hotspot_labels))


def markdown_from_context(ctx: dict[str, Any]) -> str:
    """The Markdown bulletin of a :func:`context`: the template's words (the Word bulletin reuses them)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.get_template("bulletin.md.j2").render(**ctx, pct=pct, num=num, cn_date=cn_date, cn_num=cn_num)


HTML_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "Noto Serif CJK SC", "SimSun", serif; max-width: 960px; margin: 2em auto; line-height: 1.7;
       color: #222; padding: 0 1em; }}
h1 {{ text-align: center; color: #b00; letter-spacing: .2em; }} h2, h3 {{ margin-top: 1.6em; }}
table {{ border-collapse: collapse; margin: 1em 0; width: 100%; font-size: 14px; }}
th, td {{ border: 1px solid #999; padding: 3px 8px; }} th {{ background: #eef; }}
td:nth-child(n+3) {{ text-align: right; }} blockquote {{ color: #555; border-left: 3px solid #ccc; margin: 0;
padding-left: 1em; }} img {{ max-width: 100%; }}
/* printed: A4 with the official document's margins; a heading or a table's title never alone at a page's foot,
   a table's header row repeated on every page, no row cut in two */
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
@media print {{
  body {{ max-width: none; margin: 0; padding: 0; font-size: 12pt; }}
  h1, h2, h3, h4, p:has(+ table), p:has(+ p > img) {{ break-after: avoid; page-break-after: avoid; }}
  thead {{ display: table-header-group; }}
  tr, img, blockquote {{ break-inside: avoid; page-break-inside: avoid; }}
}}
</style></head><body>
{body}
</body></html>
"""


def render_html(md_text: str, month: str) -> str:
    body = markdown.markdown(md_text, extensions=["tables"], output_format="html")
    return HTML_PAGE.format(title=escape(f"12345 热线月通报 {month}"), body=body)
