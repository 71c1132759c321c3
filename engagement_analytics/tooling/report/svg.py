"""Small inline-SVG charts: no plotting library, no CDN, nothing to download in the browser."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
MUTED = "#b8c2cc"
# Axis labels: millions and thousands abbreviated (M, k); below SMALL_VALUE in scientific notation.
MILLION, THOUSAND = 1e6, 1e3
SMALL_VALUE = 0.01
# Labelled x ticks drawn at most (the rest are thinned out evenly).
MAX_X_TICK_LABELS = 12
# Vertical pixels between stacked marker labels.
MARKER_LABEL_SPACING = 13


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while not ticks or ticks[-1] < high - step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= MILLION:
        return f"{value / MILLION:.3g}M"
    if abs(value) >= THOUSAND:
        return f"{value / THOUSAND:.3g}k"
    if abs(value) < SMALL_VALUE:
        return f"{value:.1e}"
    return f"{value:.3g}"


@dataclass
class Series:
    """One line, point set or band on an XY chart; x values are numbers."""

    name: str
    x: Sequence[float]
    y: Sequence[float]
    kind: str = "line"  # line, points, band (y = lows, y2 = highs)
    y2: Sequence[float] = field(default_factory=list)
    color: str | None = None
    width: float = 2.0
    dashed: bool = False


@dataclass
class Marker:
    """A labelled point drawn over the chart (e.g. a genre's drop)."""

    x: float
    y: float
    label: str
    color: str = "#d62728"


def xy_chart(
    series: list[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_tick_labels: dict[float, str] | None = None,
    markers: list[Marker] | None = None,
    width: int = 760,
    height: int = 360,
    css_class: str = "chart",
) -> str:
    """Lines, points and bands on shared axes, with a legend."""
    markers = markers or []
    xs = [v for s in series for v in s.x] + [m.x for m in markers]
    ys = [v for s in series for v in list(s.y) + list(s.y2)] + [m.y for m in markers]
    ys = [v for v in ys if v is not None and math.isfinite(v)]
    if not xs or not ys:
        return empty_chart(title, "no rows to plot")
    left, right, top, bottom = 70, 170, 36, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    x_ticks = sorted(x_tick_labels) if x_tick_labels else nice_ticks(min(xs), max(xs))
    y_ticks = nice_ticks(min([*ys, 0]), max(ys))
    x_lo, x_hi = min(x_ticks + xs), max(x_ticks + xs)
    y_lo, y_hi = min(y_ticks), max(y_ticks)
    x_hi = x_hi if x_hi > x_lo else x_lo + 1
    y_hi = y_hi if y_hi > y_lo else y_lo + 1

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (y - y_lo) / (y_hi - y_lo) * plot_h

    parts = [_open(width, height, title, css_class)]
    for t in y_ticks:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end" font-size="11">{fmt(t)}</text>')
    if x_tick_labels and len(x_ticks) > MAX_X_TICK_LABELS:
        keep = max(1, len(x_ticks) // MAX_X_TICK_LABELS)
        x_ticks = x_ticks[::keep]
    for t in x_ticks:
        label = x_tick_labels.get(t, fmt(t)) if x_tick_labels else fmt(t)
        parts.append(
            f'<text x="{px(t):.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11">{escape(label)}</text>'
        )
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>')
    legend_y = top + 4
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        points = [(px(x), py(y)) for x, y in zip(s.x, s.y, strict=True) if y is not None and math.isfinite(y)]
        dash = ' stroke-dasharray="5,4"' if s.dashed else ""
        if s.kind == "band":
            upper = [(px(x), py(y)) for x, y in zip(s.x, s.y2, strict=True)]
            poly = " ".join(f"{a:.1f},{b:.1f}" for a, b in points + upper[::-1])
            parts.append(
                f'<polygon class="series" points="{poly}" fill="{color}" fill-opacity="0.18" stroke="none">'
                f"<title>{escape(s.name)}</title></polygon>"
            )
        elif s.kind == "points":
            parts.extend(
                f'<circle class="series" cx="{a:.1f}" cy="{b:.1f}" r="2.6" fill="{color}" fill-opacity="0.75"/>'
                for a, b in points
            )
        else:
            path = " ".join(f"{'M' if j == 0 else 'L'}{a:.1f},{b:.1f}" for j, (a, b) in enumerate(points))
            parts.append(
                f'<path class="series" d="{path}" fill="none" stroke="{color}" '
                f'stroke-width="{s.width}"{dash}><title>{escape(s.name)}</title></path>'
            )
        if legend_y < top + plot_h:
            parts.append(
                f'<rect x="{left + plot_w + 12}" y="{legend_y}" width="12" height="10" fill="{color}"/>'
                f'<text x="{left + plot_w + 30}" y="{legend_y + 9}" font-size="11">{escape(s.name[:22])}</text>'
            )
            legend_y += 16
    placed: list[float] = []
    for m in markers:
        # Stack labels of markers that sit close together, so they stay readable.
        label_y = py(m.y) - 9
        while any(abs(label_y - y) < MARKER_LABEL_SPACING for y in placed):
            label_y -= MARKER_LABEL_SPACING
        placed.append(label_y)
        parts.append(
            f'<circle class="marker" cx="{px(m.x):.1f}" cy="{py(m.y):.1f}" r="6" fill="none" '
            f'stroke="{m.color}" stroke-width="2.5"/>'
            f'<text x="{px(m.x) - 8:.1f}" y="{label_y:.1f}" text-anchor="end" font-size="11" '
            f'fill="{m.color}" font-weight="bold">{escape(m.label)}</text>'
        )
    parts.append(_axis_labels(left, top, plot_w, plot_h, x_label, y_label))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    value_label: str,
    colors: list[str] | None = None,
    notes: list[str] | None = None,
    width: int = 760,
    css_class: str = "chart",
) -> str:
    """Horizontal bars, one per label (negative values extend left of zero); a note, when given,
    is written after the bar's value (e.g. "did not beat genre_mean")."""
    if not labels:
        return empty_chart(title, "no rows to plot")
    bar_h, left, right, top = 20, 190, (200 if notes else 60), 36
    height = top + len(labels) * (bar_h + 6) + 44
    plot_w = width - left - right
    ticks = nice_ticks(min([*values, 0]), max([*values, 0]))
    lo, hi = min(ticks), max(ticks)
    hi = hi if hi > lo else lo + 1

    def px(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    parts = [_open(width, height, title, css_class)]
    for t in ticks:
        parts.append(
            f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{height - 40}" stroke="#eee"/>'
            f'<text x="{px(t):.1f}" y="{height - 26}" text-anchor="middle" font-size="11">{fmt(t)}</text>'
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_h + 6)
        x0, x1 = sorted((px(0), px(value)))
        color = (colors or [])[i] if colors and i < len(colors) else PALETTE[0]
        note = f" · {notes[i]}" if notes and i < len(notes) and notes[i] else ""
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="11">{escape(label[:30])}</text>'
            f'<rect class="bar" x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar_h}" '
            f'fill="{color}"><title>{escape(label)}: {fmt(value)}{escape(note)}</title></rect>'
            f'<text class="bar-value" x="{x1 + 4:.1f}" y="{y + 14}" font-size="10">'
            f"{fmt(value)}{escape(note)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="12">'
        f"{escape(value_label)}</text></svg>"
    )
    return "".join(parts)


def interval_chart(
    labels: list[str],
    estimates: list[float],
    lows: list[float],
    highs: list[float],
    *,
    title: str,
    value_label: str,
    highlight: list[bool] | None = None,
    width: int = 760,
    css_class: str = "chart",
) -> str:
    """A forest plot: one estimate with its interval per row, and a zero line."""
    if not labels:
        return empty_chart(title, "no rows to plot")
    row_h, left, right, top = 24, 300, 40, 36
    height = top + len(labels) * row_h + 44
    plot_w = width - left - right
    finite = [v for v in estimates + lows + highs if v is not None and math.isfinite(v)] or [0.0]
    ticks = nice_ticks(min([*finite, 0]), max([*finite, 0]))
    lo, hi = min(ticks), max(ticks)
    hi = hi if hi > lo else lo + 1

    def px(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    parts = [_open(width, height, title, css_class)]
    for t in ticks:
        parts.append(
            f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{height - 40}" stroke="#eee"/>'
            f'<text x="{px(t):.1f}" y="{height - 26}" text-anchor="middle" font-size="11">{fmt(t)}</text>'
        )
    parts.append(
        f'<line x1="{px(0):.1f}" x2="{px(0):.1f}" y1="{top}" y2="{height - 40}" stroke="#444" stroke-dasharray="4,3"/>'
    )
    for i, label in enumerate(labels):
        y = top + i * row_h + row_h / 2
        color = "#d62728" if highlight and highlight[i] else PALETTE[0]
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{escape(label[:48])}</text>'
        )
        if all(v is not None and math.isfinite(v) for v in (lows[i], highs[i])):
            parts.append(
                f'<line class="interval" x1="{px(lows[i]):.1f}" x2="{px(highs[i]):.1f}" y1="{y:.1f}" '
                f'y2="{y:.1f}" stroke="{color}" stroke-width="2"/>'
            )
        if estimates[i] is not None and math.isfinite(estimates[i]):
            parts.append(
                f'<circle class="estimate" cx="{px(estimates[i]):.1f}" cy="{y:.1f}" r="4.5" fill="{color}">'
                f"<title>{escape(label)}: {fmt(estimates[i])} [{fmt(lows[i])}, {fmt(highs[i])}]</title>"
                f"</circle>"
            )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="12">'
        f"{escape(value_label)}</text></svg>"
    )
    return "".join(parts)


def empty_chart(title: str, message: str, width: int = 760, height: int = 80) -> str:
    return (
        f'{_open(width, height, title, "chart empty")}<text x="{width / 2}" y="{height / 2 + 10}" '
        f'text-anchor="middle" font-size="13" fill="#777">{escape(message)}</text></svg>'
    )


def _open(width: int, height: int, title: str, css_class: str) -> str:
    return (
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif"><title>{escape(title)}</title>'
        f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>'
    )


def _axis_labels(left: float, top: float, plot_w: float, plot_h: float, x_label: str, y_label: str) -> str:
    return (
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 38:.1f}" text-anchor="middle" font-size="12">'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(16,{top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'font-size="12">{escape(y_label)}</text>'
    )
