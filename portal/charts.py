"""Charts drawn on the server as inline SVG.

Pure functions returning `Markup` of an `<svg>` element: no script, no external resources and no
`style` attributes or `<style>` elements (the CSP is "style-src 'self'"); presentation attributes
(fill, stroke, font-size) only. Each chart has role="img", a <title> and a <desc> (its text
alternative), axis labels, and prints in black and white readably (patterns are not needed: values
are written on or beside the bars). Every text passed in is escaped exactly once: plain text is
escaped, and `Markup` (what a template's `_()` or a macro gives, already escaped) is first turned
back into the text it shows (`_plain`), so "A < B" never reads "A &amp;lt; B".

The caller shows a table of the same numbers beside each chart (accessibility and print).

    bar_chart(title, labels, values, desc=None, value_format=None)
    stacked_bar_chart(title, labels, series: dict[name, values], desc=None)
    line_chart(title, x_labels, series: dict[name, list[float | None]], desc=None, y_min=0, y_max=100)
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

# Colour-blind-friendly palette (Okabe-Ito), dark enough on white.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
TEXT = "#1f2328"
AXIS = "#57606a"
GRID = "#d0d7de"
FONT = "font-family=\"sans-serif\""

_ids = itertools.count(1)


def _plain(text: Any) -> str:
    """The text as a reader sees it: Markup unescaped, lazy strings translated, None empty."""
    if text is None:
        return ""
    if isinstance(text, Markup):
        return text.unescape()
    return str(text)


def _t(text: Any) -> str:
    """Escaped text (None as empty), escaped once whether it came as text or as Markup."""
    return str(escape(_plain(text)))


def _num(value: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _default_format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.1f}"
    return str(value)


def _no_data_text() -> str:
    try:
        return _("No data yet")
    except Exception:  # outside a request/app context
        return "No data yet"


def _open(title: Any, desc: Any, width: int, height: int, css_class: str) -> list[str]:
    uid = next(_ids)
    title_id, desc_id = f"chart-t{uid}", f"chart-d{uid}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{_t(title)}</title>',
        f'<desc id="{desc_id}">{_t(desc)}</desc>',
    ]


def _empty(title: Any, desc: Any, css_class: str) -> Markup:
    width, height = 480, 120
    no_data = _no_data_text()
    parts = _open(title, desc if desc else no_data, width, height, css_class + " chart-empty")
    parts.append(
        f'<text x="{width // 2}" y="30" text-anchor="middle" font-size="14" font-weight="bold" '
        f'{FONT} fill="{TEXT}">{_t(title)}</text>'
    )
    parts.append(
        f'<rect x="1" y="45" width="{width - 2}" height="{height - 50}" fill="none" '
        f'stroke="{GRID}"/>'
    )
    parts.append(
        f'<text x="{width // 2}" y="{45 + (height - 50) // 2 + 5}" text-anchor="middle" '
        f'font-size="14" {FONT} fill="{AXIS}">{_t(no_data)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _auto_desc(labels: Sequence[Any], values: Sequence[Any], fmt: Callable[[Any], str]) -> str:
    return "; ".join(f"{_plain(label)}: {_plain(fmt(value))}"
                     for label, value in zip(labels, values, strict=False))


def _nice_max(value: float) -> float:
    """A round axis maximum >= value."""
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return step
    magnitude = 10 ** (len(str(int(value))) - 1)
    return ((int(value) // magnitude) + 1) * magnitude


def _bar_ticks(vmax: float) -> tuple[float, ...]:
    """0, the middle and the maximum; the middle only when it is a whole number, since the
    bars mostly count things and half an answer reads oddly."""
    middle = vmax / 2
    return (0, middle, vmax) if float(middle).is_integer() else (0, vmax)


def _truncate(text: Any, limit: int) -> str:
    text = _plain(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    title: Any,
    labels: Sequence[Any],
    values: Sequence[float | int | None],
    desc: Any = None,
    value_format: Callable[[Any], str] | None = None,
) -> Markup:
    """Horizontal bars, one per label, with the value written at the end of each bar.
    None values are drawn as no bar (and written as empty)."""
    fmt = value_format or _default_format
    labels = list(labels)
    values = list(values)
    if not labels or all(v is None for v in values):
        return _empty(title, desc, "chart-bar")
    if desc is None:
        desc = _auto_desc(labels, values, fmt)
    label_width, plot_width, bar_h, gap, top = 170, 260, 20, 8, 40
    width = label_width + plot_width + 60
    height = top + len(labels) * (bar_h + gap) + 30
    vmax = _nice_max(max((v for v in values if v is not None), default=0))
    parts = _open(title, desc, width, height, "chart-bar")
    parts.append(
        f'<text x="{width // 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold" '
        f'{FONT} fill="{TEXT}">{_t(title)}</text>'
    )
    x0 = label_width
    # vertical axis line
    parts.append(
        f'<line x1="{x0}" y1="{top - 4}" x2="{x0}" y2="{height - 26}" stroke="{AXIS}"/>'
    )
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{x0 - 6}" y="{_num(y + bar_h * 0.7)}" text-anchor="end" font-size="12" '
            f'{FONT} fill="{TEXT}">{_t(_truncate(label, 26))}</text>'
        )
        if value is None:
            continue
        w = max(0.0, float(value)) / vmax * plot_width
        parts.append(
            f'<rect class="chart-bar-rect" x="{x0}" y="{y}" width="{_num(w)}" height="{bar_h}" '
            f'fill="{PALETTE[0]}"><title>{_t(label)}: {_t(fmt(value))}</title></rect>'
        )
        parts.append(
            f'<text x="{_num(x0 + w + 4)}" y="{_num(y + bar_h * 0.7)}" font-size="12" {FONT} '
            f'fill="{TEXT}">{_t(fmt(value))}</text>'
        )
    # horizontal axis with 0 and max ticks
    ay = height - 26
    parts.append(f'<line x1="{x0}" y1="{ay}" x2="{x0 + plot_width}" y2="{ay}" stroke="{AXIS}"/>')
    for tick in _bar_ticks(vmax):
        tx = x0 + tick / vmax * plot_width
        parts.append(
            f'<text x="{_num(tx)}" y="{ay + 14}" text-anchor="middle" font-size="11" {FONT} '
            f'fill="{AXIS}">{_t(_default_format(float(tick)))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(names: Iterable[Any], x: int, y: int) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        yy = y + i * 18
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{yy}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 16}" y="{yy + 10}" font-size="12" {FONT} fill="{TEXT}">'
            f"{_t(_truncate(name, 22))}</text>"
        )
    return parts


def stacked_bar_chart(
    title: Any,
    labels: Sequence[Any],
    series: Mapping[Any, Sequence[float | int | None]],
    desc: Any = None,
) -> Markup:
    """Horizontal stacked bars: one bar per label, one segment per series (None counts as 0),
    with a legend."""
    labels = list(labels)
    names = list(series.keys())
    columns = [[(v or 0) for v in series[name]] for name in names]
    totals = [sum(col[i] for col in columns if i < len(col)) for i in range(len(labels))]
    if not labels or not names or not any(totals):
        return _empty(title, desc, "chart-stacked")
    if desc is None:
        desc = "; ".join(
            f"{_plain(label)}: " + ", ".join(
                f"{_plain(name)} {_default_format(columns[j][i] if i < len(columns[j]) else 0)}"
                for j, name in enumerate(names)
            )
            for i, label in enumerate(labels)
        )
    label_width, plot_width, bar_h, gap, top = 170, 260, 20, 8, 40
    legend_width = 170
    width = label_width + plot_width + 50 + legend_width
    height = max(top + len(labels) * (bar_h + gap) + 30, top + len(names) * 18 + 10)
    vmax = _nice_max(max(totals))
    parts = _open(title, desc, width, height, "chart-stacked")
    parts.append(
        f'<text x="{width // 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold" '
        f'{FONT} fill="{TEXT}">{_t(title)}</text>'
    )
    x0 = label_width
    ay = top + len(labels) * (bar_h + gap) + 4
    parts.append(f'<line x1="{x0}" y1="{top - 4}" x2="{x0}" y2="{ay}" stroke="{AXIS}"/>')
    for i, label in enumerate(labels):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{x0 - 6}" y="{_num(y + bar_h * 0.7)}" text-anchor="end" font-size="12" '
            f'{FONT} fill="{TEXT}">{_t(_truncate(label, 26))}</text>'
        )
        x = float(x0)
        for j, name in enumerate(names):
            value = columns[j][i] if i < len(columns[j]) else 0
            if not value:
                continue
            w = float(value) / vmax * plot_width
            parts.append(
                f'<rect x="{_num(x)}" y="{y}" width="{_num(w)}" height="{bar_h}" '
                f'fill="{PALETTE[j % len(PALETTE)]}" stroke="#ffffff">'
                f"<title>{_t(label)}, {_t(name)}: {_t(_default_format(value))}</title></rect>"
            )
            x += w
        parts.append(
            f'<text x="{_num(x + 4)}" y="{_num(y + bar_h * 0.7)}" font-size="12" {FONT} '
            f'fill="{TEXT}">{_t(_default_format(totals[i]))}</text>'
        )
    parts.append(f'<line x1="{x0}" y1="{ay}" x2="{x0 + plot_width}" y2="{ay}" stroke="{AXIS}"/>')
    for tick in _bar_ticks(vmax):
        tx = x0 + tick / vmax * plot_width
        parts.append(
            f'<text x="{_num(tx)}" y="{ay + 14}" text-anchor="middle" font-size="11" {FONT} '
            f'fill="{AXIS}">{_t(_default_format(float(tick)))}</text>'
        )
    parts.extend(_legend(names, label_width + plot_width + 50, top))
    parts.append("</svg>")
    return Markup("".join(parts))


class _LinePlot:
    """The drawing area of a line chart: where the i-th x label and a value are drawn."""

    left, top, width, height = 50, 40, 400, 220

    def __init__(self, points: int, y_min: float, y_max: float):
        self.points = points
        self.y_min = y_min
        self.y_max = y_max

    def x(self, i: int) -> float:
        if self.points == 1:
            return self.left + self.width / 2
        return self.left + i * self.width / (self.points - 1)

    def y(self, value: float) -> float:
        value = min(max(float(value), self.y_min), self.y_max)
        return self.top + self.height - (value - self.y_min) / (self.y_max - self.y_min) * self.height


def _line_desc(x_labels: Sequence[Any], series: Mapping[Any, Sequence[Any]]) -> str:
    return "; ".join(
        f"{_plain(name)}: " + ", ".join(
            f"{_plain(x)} {_default_format(v)}" for x, v in zip(x_labels, values, strict=False)
            if v is not None
        )
        for name, values in series.items()
    )


def _line_axes(plot: _LinePlot, x_labels: Sequence[Any]) -> list[str]:
    """The grid with the y axis labels, both axes, and the x axis labels."""
    left, top, right, bottom = plot.left, plot.top, plot.left + plot.width, plot.top + plot.height
    parts = []
    for k in range(5):
        tick = plot.y_min + (plot.y_max - plot.y_min) * k / 4
        y = plot.y(tick)
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{right}" y2="{_num(y)}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" font-size="11" {FONT} '
            f'fill="{AXIS}">{_t(_default_format(float(tick)))}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{AXIS}"/>'
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{AXIS}"/>'
    )
    for i, label in enumerate(x_labels):
        parts.append(
            f'<text x="{_num(plot.x(i))}" y="{bottom + 18}" text-anchor="middle" '
            f'font-size="11" {FONT} fill="{AXIS}">{_t(_truncate(label, 14))}</text>'
        )
    return parts


def _line_runs(plot: _LinePlot, values: Sequence[float | int | None]) -> list[list[tuple[float, float]]]:
    """The points of a series as runs without gaps: a None value breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((plot.x(i), plot.y(v)))
    return runs


def _line_series(plot: _LinePlot, name: Any, values: Sequence[float | int | None], colour: str,
                 x_labels: Sequence[Any]) -> list[str]:
    """One series: its line (broken at None values) and a marker per value with a tooltip."""
    values = list(values)[: len(x_labels)]
    parts = []
    for run in _line_runs(plot, values):
        if len(run) < 2:
            continue
        d = " ".join(("M" if k == 0 else "L") + f"{_num(x)} {_num(y)}" for k, (x, y) in enumerate(run))
        parts.append(
            f'<path class="chart-line-path" d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
    for i, v in enumerate(values):
        if v is None:
            continue
        parts.append(
            f'<circle cx="{_num(plot.x(i))}" cy="{_num(plot.y(v))}" r="3.5" fill="{colour}">'
            f"<title>{_t(name)}, {_t(x_labels[i])}: {_t(_default_format(v))}</title></circle>"
        )
    return parts


def line_chart(
    title: Any,
    x_labels: Sequence[Any],
    series: Mapping[Any, Sequence[float | int | None]],
    desc: Any = None,
    y_min: float = 0,
    y_max: float = 100,
) -> Markup:
    """One line per series over the x labels; None values are skipped (the line breaks there).
    Each point gets a marker with its value as a tooltip; a legend names the series."""
    x_labels = list(x_labels)
    names = list(series.keys())
    has_value = any(v is not None for name in names for v in series[name])
    if not x_labels or not names or not has_value:
        return _empty(title, desc, "chart-line")
    plot = _LinePlot(len(x_labels), y_min, y_max if y_max > y_min else y_min + 1)
    legend_w = 180
    width = plot.left + plot.width + 30 + legend_w
    height = plot.top + plot.height + 50
    parts = _open(title, _line_desc(x_labels, series) if desc is None else desc, width, height,
                  "chart-line")
    parts.append(
        f'<text x="{(plot.left + plot.width) // 2 + 20}" y="20" text-anchor="middle" font-size="14" '
        f'font-weight="bold" {FONT} fill="{TEXT}">{_t(title)}</text>'
    )
    parts.extend(_line_axes(plot, x_labels))
    for j, name in enumerate(names):
        parts.extend(_line_series(plot, name, series[name], PALETTE[j % len(PALETTE)], x_labels))
    parts.extend(_legend(names, plot.left + plot.width + 30, plot.top))
    parts.append("</svg>")
    return Markup("".join(parts))
