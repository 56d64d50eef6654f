"""Small deterministic SVG charts for the bulletin (no plotting library: the same figures give the same
bytes, which the publication's reproducibility check relies on)."""

from __future__ import annotations

from html import escape

PALETTE = ["#1f5fa8", "#d9822b", "#3a8f5c", "#b53b3b", "#7a5ea8", "#8c6d31", "#4f9fb0", "#999999"]
FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"'


def hbar(
    title: str, items: list[tuple[str, float]], unit: str = "件", width: int = 640, value_fmt: str = "{:g}"
) -> str:
    """Horizontal bar chart: one bar per (label, value), in the given order."""
    row, top, label_w = 22, 34, 190
    height = top + row * len(items) + 12
    vmax = max([v for _, v in items] + [1])
    bar_w = width - label_w - 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{width // 2}" y="20" text-anchor="middle" font-size="15" {FONT}>{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = round(bar_w * (value / vmax), 1) if vmax else 0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" {FONT}>{escape(str(label))}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 6}" '
            f'fill="{PALETTE[i % len(PALETTE)] if len(items) <= 8 else PALETTE[0]}"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 4}" y="{y + 15}" font-size="12" {FONT}>'
            f"{escape(value_fmt.format(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_share(title: str, items: list[tuple[str, float]], width: int = 640) -> str:
    """One 100 % bar split into shares, with a legend: for a mix (channels)."""
    total = sum(v for _, v in items) or 1
    height = 70 + 20 * ((len(items) + 2) // 3)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{width // 2}" y="20" text-anchor="middle" font-size="15" {FONT}>{escape(title)}</text>',
    ]
    x, inner = 20.0, width - 40
    for i, (_label, value) in enumerate(items):
        w = round(inner * value / total, 1)
        if w > 0:
            parts.append(f'<rect x="{round(x, 1)}" y="30" width="{w}" height="22" fill="{PALETTE[i % len(PALETTE)]}"/>')
        x += w
    for i, (label, value) in enumerate(items):
        lx, ly = 20 + (i % 3) * (inner // 3), 72 + (i // 3) * 20
        pct = 100 * value / total
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(
            f'<text x="{lx + 14}" y="{ly}" font-size="12" {FONT}>{escape(str(label))} {value:g} ({pct:.2f}%)</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
