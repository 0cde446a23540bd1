"""Charts as inline SVG, drawn here in Python: no JavaScript, nothing fetched by the browser.

Hidden (suppressed) values are never drawn as marks: a line has a gap there (bridged by a thin
dotted line) and a bar is replaced by a label such as "hidden (fewer than 5 children)".
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Colour-blind-safe palette (Okabe and Ito).
#: About the width of a character of the charts' 12-pixel labels (bold axis titles are wider).
_CHAR_WIDTH = 7.0

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
    """One line: a value per x position, None where the value is hidden.

    ``colour`` and ``dash`` (an SVG dash pattern) are fixed by the caller, so the same series
    looks the same on every page; ``note`` follows the name in the legend.
    """

    name: str
    values: tuple[float | None, ...]
    colour: str = PALETTE[0]
    dash: str = ""
    note: str = ""


@dataclass(frozen=True)
class Bar:
    """One bar; ``label`` replaces the number when the value is hidden."""

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
    y_label: str,
    x_label: str,
    width: int = 720,
    height: int = 320,
) -> Markup:
    """A line per series over the x labels (periods), with a legend and labelled axes.

    A hidden value is a gap; the line goes on across it as a thin dotted line, so that a series
    with a few hidden values still reads as one line and not as loose dots.
    """
    names = [f"{line.name} {line.note}" if line.note else line.name for line in series]
    # Room on the right for the longest legend entry ("friend_self_harm (no messages)").
    right = max(210, 50 + math.ceil(_CHAR_WIDTH * max(map(len, names), default=0)))
    left, top, bottom = 64, 16, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    y_max = _nice_max(max(values, default=0.0))
    count = max(len(x_labels), 1)
    legend_rows = 18
    height = max(height, top + 14 + legend_rows * len(series) + 8)

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
    # As many period labels as fit side by side without touching (a week is 10 characters).
    widest = max(map(len, x_labels), default=1) * _CHAR_WIDTH + 8
    every = max(1, math.ceil(count * widest / plot_w))
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append(
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 8}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
        f'<text class="axis-label" transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    for index, line in enumerate(series):
        points = [(i, v) for i, v in enumerate(line.values) if v is not None]
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        for (i0, v0), (i1, v1) in itertools.pairwise(points):
            path = f"M{x(i0):.1f},{y(v0):.1f} L{x(i1):.1f},{y(v1):.1f}"
            if i1 == i0 + 1:
                parts.append(
                    f'<path class="series" d="{path}" fill="none" stroke="{line.colour}" '
                    f'stroke-width="2"{dash}/>'
                )
            else:  # hidden values between: a thin dotted bridge, no value implied
                parts.append(
                    f'<path class="bridge" d="{path}" fill="none" stroke="{line.colour}" '
                    f'stroke-width="1" stroke-dasharray="1 4"/>'
                )
        for i, v in points:
            parts.append(
                f'<circle class="point" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" '
                f'fill="{line.colour}"><title>{escape(line.name)}, {escape(x_labels[i])}: '
                f"{_number(v)}</title></circle>"
            )
        legend_y = top + 14 + index * legend_rows
        lx = left + plot_w + 16
        name = names[index]
        parts.append(
            f'<line x1="{lx}" x2="{lx + 22}" y1="{legend_y - 3}" y2="{legend_y - 3}" '
            f'stroke="{line.colour}" stroke-width="3"{dash}/>'
            f'<text class="legend" x="{lx + 28}" y="{legend_y + 1}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    axis_label: str,
    unit: str = "%",
    max_value: float = 100.0,
    width: int = 400,
) -> Markup:
    """Horizontal bars on a fixed scale (0-100 % for rates); hidden values show only a label.

    Narrow enough to shrink onto a phone's screen and stay legible (the trend scrolls instead).
    """
    left, right, row = 150, 60, 24
    # The axis title under the whole chart, on as many lines as it needs to stay inside it.
    title_lines = textwrap.wrap(axis_label, max(10, int((width - 12) / _CHAR_WIDTH))) or [""]
    foot = 26 + 14 * len(title_lines)
    height = 16 + row * max(len(bars), 1) + foot
    plot_w = width - left - right
    plot_bottom = 8 + row * max(len(bars), 1)
    parts = [_open(title, width, height, kind="bars")]
    for step in range(5):
        value = max_value * step / 4
        gx = left + plot_w * step / 4
        parts.append(
            f'<line class="grid" x1="{gx:.1f}" x2="{gx:.1f}" y1="4" y2="{plot_bottom}" '
            f'stroke="#e4e4e4"/><text x="{gx:.1f}" y="{plot_bottom + 14}" text-anchor="middle">'
            f"{_number(value)}{escape(unit)}</text>"
        )
    for number, line in enumerate(title_lines):
        parts.append(
            f'<text class="axis-label" x="{width / 2:.1f}" '
            f'y="{plot_bottom + 36 + 14 * number}" text-anchor="middle">{escape(line)}</text>'
        )
    for i, item in enumerate(bars):
        y = 8 + i * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(item.name)}</text>'
        )
        if item.value is None:
            text = item.label or "no figure"
            parts.append(f'<text class="hidden" x="{left + 4}" y="{y + 15}">{escape(text)}</text>')
            continue
        bar_w = max(1.0, plot_w * min(item.value, max_value) / max_value)
        parts.append(
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}"><title>{escape(item.name)}: {item.value:.1f}{escape(unit)}'
            f"</title></rect>"
            f'<text x="{left + bar_w + 6:.1f}" y="{y + 15}">{item.value:.1f}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(title: str, width: int, height: int, *, kind: str = "lines") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif" font-size="12" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )
