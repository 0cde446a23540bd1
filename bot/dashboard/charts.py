"""Charts as inline SVG, drawn here in Python: no JavaScript, nothing fetched by the browser.

Hidden (suppressed) values are never drawn as marks: a line has a gap there and a bar is
replaced by its ``<k`` label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Colour-blind-safe palette (Okabe and Ito).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)


@dataclass(frozen=True)
class Series:
    """One line: a value per x position, None where the value is hidden or missing."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Bar:
    """One bar; ``label`` replaces the number when the value is hidden (e.g. "<5")."""

    name: str
    value: float | None
    label: str | None = None


def _nice_max(value: float) -> float:
    """A round number at or above ``value`` for the top of an axis."""
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 300,
) -> Markup:
    """A line per series over the x labels (periods), with a legend and a y axis."""
    left, right, top, bottom = 48, 170, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    y_max = _nice_max(max(values, default=0.0))
    count = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    parts = [_open(title, width, height)]
    for step in range(5):
        v = y_max * step / 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" '
            f'y2="{y(v):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_number(v)}</text>'
        )
    every = max(1, math.ceil(count / 8))
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        segments: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                segments.append([])
            else:
                segments[-1].append((x(i), y(value)))
        for segment in segments:
            if len(segment) > 1:
                d = " ".join(
                    f"{'M' if j == 0 else 'L'}{px:.1f},{py:.1f}"
                    for j, (px, py) in enumerate(segment)
                )
                parts.append(
                    f'<path class="series" d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
            for px, py in segment:
                parts.append(
                    f'<circle class="point" cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>'
                )
        legend_y = top + 14 + index * 18
        parts.append(
            f'<rect x="{left + plot_w + 16}" y="{legend_y - 9}" width="12" height="12" '
            f'fill="{colour}"/><text x="{left + plot_w + 34}" y="{legend_y + 1}">'
            f"{escape(line.name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    unit: str = "%",
    max_value: float | None = None,
    width: int = 520,
) -> Markup:
    """Horizontal bars with their values; hidden values show their label and no bar."""
    left, right, row = 150, 70, 24
    height = 16 + row * max(len(bars), 1)
    plot_w = width - left - right
    top_value = max_value or _nice_max(max((b.value for b in bars if b.value), default=0.0))
    parts = [_open(title, width, height)]
    for i, item in enumerate(bars):
        y = 8 + i * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(item.name)}</text>'
        )
        if item.value is None:
            text = item.label or "—"
            parts.append(f'<text class="hidden" x="{left + 4}" y="{y + 15}">{escape(text)}</text>')
            continue
        bar_w = max(1.0, plot_w * min(item.value, top_value) / top_value) if top_value else 1.0
        parts.append(
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}"><title>{escape(item.name)}: {item.value:.1f}{escape(unit)}'
            f"</title></rect>"
            f'<text x="{left + bar_w + 6:.1f}" y="{y + 15}">{item.value:.1f}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif" font-size="12" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )
