"""The bulletin (月通报) in Chinese, as Markdown and HTML, from ``figures.json`` and the editors' narrative.

Figures come only from the warehouse; editors write the narrative sections (工作动态, 问题及建议, 关注重点) and the
masthead in ``narratives/<YYYY-MM>.md`` (YAML front matter + Markdown). Without that file the bulletin carries
a clear placeholder instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path

import jinja2
import markdown
import yaml

from hotline.publish import charts

TEMPLATES = Path(__file__).parent / "templates"
PLACEHOLDER_SECTIONS = ("四、热线工作动态", "五、存在的问题及工作建议", "六、近期关注重点")
CN_DIGITS = "零一二三四五六七八九十"


@dataclass
class Narrative:
    meta: dict = field(default_factory=dict)
    body: str = ""
    source: Path | None = None


def load_narrative(narratives_dir: Path | None, month: str) -> Narrative:
    path = Path(narratives_dir) / f"{month}.md" if narratives_dir else None
    if path is None or not path.exists():
        body = "\n\n".join(f"## {s}\n\n（待编辑：本节由热线办编辑撰写，请在 narratives/{month}.md 中填写。）"
                           for s in PLACEHOLDER_SECTIONS)
        return Narrative(meta={}, body=body, source=None)
    text = path.read_text(encoding="utf-8")
    meta: dict = {}
    if text.startswith("---"):
        _, front, text = text.split("---", 2)
        meta = yaml.safe_load(front) or {}
    body = "\n".join(line for line in text.strip().splitlines() if not line.startswith("<!--"))
    return Narrative(meta=meta, body=body.strip(), source=path)


def pct(v) -> str:
    if v is None:
        return "—"
    return f"{Decimal(str(v)).quantize(Decimal('0.01'))}%"


def num(v) -> str:
    return "—" if v is None else f"{Decimal(str(v)).normalize():f}"


def cn_date(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = str(iso)[:10].split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def cn_num(i: int) -> str:
    return CN_DIGITS[i] if i <= 10 else str(i)


def _hotspot_label(h: dict) -> str:
    return h["category_l2"] or h["category_l1"]


def _hotspot_key(h: dict) -> str:
    return f"{h['category_l1']}/{h['category_l2']}" if h["category_l2"] else h["category_l1"]


def render_charts(f: dict) -> dict[str, str]:
    channels = list(f["contacts"]["by_channel"].items())
    return {
        "channels.svg": charts.stacked_share("来电渠道构成", channels),
        "demand.svg": charts.hbar("诉求分类（件）", list(f["demand"]["by_category"].items())),
        "departments.svg": charts.hbar("各单位工单量（件）",
                                       [(d["name"], d["work_orders"]) for d in f["departments"]]),
        "satisfaction.svg": charts.hbar("各单位回访满意度（%）",
                                        [(d["name"], float(d["satisfaction_pct"] or 0))
                                         for d in f["satisfaction_by_department"]],
                                        unit="%", value_fmt="{:.2f}"),
    }


def quality_annex(report, restatement: dict | None = None) -> dict:
    """What the bulletin's data-quality annex says: how many checks passed, every warning (what it is about),
    the operator's decisions, and a restatement (every figure that changed)."""
    warnings = [{"description": c.description or c.name,
                 "subject": c.subject.text_cn() if c.subject else "",
                 "decision": c.decisions[0].reason if c.decisions else ""} for c in report.warnings]
    changed = []
    if restatement:
        changed = [{"key": d["key"], "old": "—" if d["old"] is None else d["old"],
                    "new": "—" if d["new"] is None else d["new"]} for d in restatement["figures_changed"]]
    return {"checks": len(report.checks), "passed": sum(c.status == "pass" for c in report.checks),
            "skipped": sum(c.status == "skipped" for c in report.checks),
            "warnings": warnings, "decisions": [d.text() for d in report.decisions],
            "restatement": restatement, "figures_changed": changed}


def context(f: dict, narrative: Narrative, quality: dict | None = None, top_hotspots: int = 3) -> dict:
    """Everything a rendering of the bulletin needs (Markdown, Word): the figures and the words around them,
    worked out once."""
    y, m = (int(x) for x in f["month"].split("-"))
    c = f["contacts"]
    if c.get("mom_change_pct") is None:
        mom_text = "上月无可比数据"
    else:
        mom = Decimal(str(c["mom_change_pct"]))
        mom_text = f"较上月{'上升' if mom >= 0 else '下降'} {pct(abs(mom))}"
    as_of = f["as_of"]
    as_of_cn = f"{int(as_of[:4])} 年 {int(as_of[5:7])} 月 {int(as_of[8:10])} 日 {int(as_of[11:13])} 时" + (
        f" {int(as_of[14:16])} 分" if as_of[14:16] not in ("", "00") else "")
    blurbs = narrative.meta.get("hotspots") or {}
    hotspots = [dict(h, label=_hotspot_label(h), narrative=blurbs.get(_hotspot_key(h)))
                for h in f["hotspots"][:top_hotspots]]
    top_demand = [k for k in f["demand"]["by_category"] if k != "其他"][:6]
    meta = {"issue": "", "issuer": "", "issued_on": "", "printed_on": "", "cc": []}
    meta.update({k: v for k, v in narrative.meta.items() if k in meta})
    return dict(f=f, c=c, ch=c["by_channel"], chp=c["by_channel_pct"], w=f["work_orders"], y=y, m=m,
                city=narrative.meta.get("city", "本市"), n=meta, mom_text=mom_text, as_of_cn=as_of_cn,
                hotspots=hotspots, top_demand=top_demand, narrative_body=narrative.body, q=quality)


def render_markdown(f: dict, narrative: Narrative, top_hotspots: int = 3, quality: dict | None = None) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    return env.get_template("bulletin.md.j2").render(
        **context(f, narrative, quality, top_hotspots), pct=pct, num=num, cn_date=cn_date, cn_num=cn_num)


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
</style></head><body>
{body}
</body></html>
"""


def render_html(md_text: str, month: str) -> str:
    body = markdown.markdown(md_text, extensions=["tables"], output_format="html")
    return HTML_PAGE.format(title=escape(f"12345 热线月通报 {month}"), body=body)
