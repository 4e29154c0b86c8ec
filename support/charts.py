"""Server-rendered SVG bar charts: readable at a glance, no JavaScript, no build step.

Labels are escaped; each chart carries a <title> and the numbers as text, so it reads without colour.
"""
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#2e7d32", "#9ccc65", "#fbc02d", "#fb8c00", "#c62828"]
LABEL_WIDTH = 190
ROW = 26


def _frame(title: str, height: int, width: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{}" height="{}" viewBox="0 0 {} {}">'
        "<title>{}</title>{}</svg>",
        width, height, width, height, title, body,
    )


def bars(rows: list[tuple[str, float]], *, title: str, unit: str = "", width: int = 560, color: str = "#1f5fbf", fmt="{:g}") -> SafeString:
    """One horizontal bar per (label, value)."""
    if not rows:
        return mark_safe("")
    top = max(value for _, value in rows) or 1
    span = width - LABEL_WIDTH - 70
    parts = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW + 4
        length = max(1, round(span * value / top)) if value else 0
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12">{}{}</text>',
                LABEL_WIDTH - 6, y + 14, label, LABEL_WIDTH, y, length, ROW - 8, color,
                LABEL_WIDTH + length + 4, y + 14, fmt.format(value), unit,
            )
        )
    return _frame(title, len(rows) * ROW + 8, width, mark_safe("".join(parts)))


def compliance(rows: list[tuple[str, float | None]], *, title: str, target: float = 95.0, width: int = 560) -> SafeString:
    """Compliance per channel on a 0–100 % scale with the target drawn; below target in red."""
    if not rows:
        return mark_safe("")
    span = width - LABEL_WIDTH - 70
    parts = []
    for index, (label, pct) in enumerate(rows):
        y = index * ROW + 4
        length = round(span * (pct or 0) / 100)
        color = "#2e7d32" if pct is not None and pct >= target else "#c62828"
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#eee"/>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                LABEL_WIDTH - 6, y + 14, label, LABEL_WIDTH, y, span, ROW - 8,
                LABEL_WIDTH, y, length, ROW - 8, color,
                LABEL_WIDTH + span + 4, y + 14, "—" if pct is None else f"{pct:g} %",
            )
        )
    x = LABEL_WIDTH + round(span * target / 100)
    parts.append(format_html('<line x1="{}" y1="0" x2="{}" y2="{}" stroke="#333" stroke-dasharray="3 3"/>', x, x, len(rows) * ROW + 8))
    return _frame(title, len(rows) * ROW + 8, width, mark_safe("".join(parts)))


def stacked(rows: list[tuple[str, list[int]]], *, legend: list[str], title: str, width: int = 560) -> SafeString:
    """One bar per row split into segments (e.g. backlog by age), with a legend underneath."""
    if not rows:
        return mark_safe("")
    top = max(sum(counts) for _, counts in rows) or 1
    span = width - LABEL_WIDTH - 70
    parts = []
    for index, (label, counts) in enumerate(rows):
        y = index * ROW + 4
        x = LABEL_WIDTH
        parts.append(format_html('<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>', LABEL_WIDTH - 6, y + 14, label))
        for segment, count in enumerate(counts):
            length = round(span * count / top)
            if length:
                parts.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                        x, y, length, ROW - 8, PALETTE[segment % len(PALETTE)], legend[segment], count,
                    )
                )
            x += length
        parts.append(format_html('<text x="{}" y="{}" font-size="12">{}</text>', x + 4, y + 14, sum(counts)))
    legend_y = len(rows) * ROW + 18
    parts.append(
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" font-size="11">{}</text>',
            ((LABEL_WIDTH + i * 70, legend_y - 9, PALETTE[i % len(PALETTE)], LABEL_WIDTH + i * 70 + 14, legend_y, name) for i, name in enumerate(legend)),
        )
    )
    return _frame(title, legend_y + 8, width, mark_safe("".join(parts)))
