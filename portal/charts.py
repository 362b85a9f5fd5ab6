"""Charts drawn on the server as inline SVG.

Pure functions returning `Markup` of an `<svg>` element: no script, no external resources and no
`style` attributes or `<style>` elements (the CSP is "style-src 'self'"); presentation attributes
(fill, stroke, font-size) only. Each chart has role="img", a <title> and a <desc> (its text
alternative), axis labels, and prints in black and white readably (values are written on or beside
the bars; line series differ by marker shape and dash as well as colour). Every text passed in is
escaped exactly once: plain text is escaped, and `Markup` (what a template's `_()` or a macro gives,
already escaped) is first turned back into the text it shows (`_plain`), so "A < B" never reads
"A &amp;lt; B".

Responsive without scaling the text: the `<svg>` is as wide as its box (width="100%") and has no
viewBox, so its text stays at its real size (12-15 px) on a phone and on a wide screen alike.
Horizontal positions are percentages of that width (a bar's length, a point's x), vertical ones are
pixels; the layout is planned for the narrowest box, `NARROWEST` px (a 390 px phone's card), and
only gets roomier on a wider one. Colours (`PALETTE`, `NPS_COLOURS`) have at least 4.5:1 against
white, so white value labels on them and the bars against the page both read.

The caller shows a table of the same numbers beside each chart (accessibility and print).

    bar_chart(title, labels, values, desc=None, value_format=None, colours=None)
    stacked_bar_chart(title, labels, series: dict[name, values], desc=None, colours=None)
    line_chart(title, x_labels, series: dict[name, list[float | None]], desc=None, y_min=0, y_max=100)
    nps_colours(scores): the NPS colour of each 0-10 score (detractor, passive, promoter)
"""
from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

# Colour-blind-friendly (Okabe-Ito hues, darkened to 4.5:1 or more against white).
PALETTE = ("#0072b2", "#b35900", "#007a5a", "#a4457f", "#1f2328", "#5a6f86")
PROMOTER, PASSIVE, DETRACTOR = "#1a7f37", "#6e7781", "#c62828"
NPS_COLOURS = (PROMOTER, PASSIVE, DETRACTOR)
TEXT = "#1f2328"
AXIS = "#57606a"
GRID = "#d0d7de"
FONT = "font-family=\"sans-serif\""
# The narrowest box a chart is drawn for: a 390 px phone less the page's and the card's margins.
NARROWEST = 300
TITLE_SIZE, LABEL_SIZE, TICK_SIZE = 15, 13, 12

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


def _pct(value: float) -> str:
    """A horizontal position or length: a percentage of the chart's width."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


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


def _text_width(text: Any, size: float) -> float:
    """About how wide the text is drawn at `size` px: CJK and full-width characters take a full
    em, others a little over half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6
               for ch in _plain(text))


def _truncate(text: Any, limit: int) -> str:
    text = _plain(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fit(text: Any, width: float, size: float) -> str:
    """The text, cut with "…" to fit `width` px."""
    text = _plain(text)
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


_CLOSING = set("，。、；：？！）》」』】,.;:?!)")


def _wrap(text: Any, width: float, size: float, lines: int = 3) -> list[str]:
    """The text in lines of at most `width` px (at most `lines`, the last cut with "…"): SVG text
    does not wrap by itself. Breaks after a space, or anywhere in CJK text."""
    words = re.findall(r"\S+\s*|\s+", _plain(text).strip())
    out, line = [], ""
    for word in words:
        for piece in ([word] if _text_width(word, size) <= width else list(word)):
            # Closing punctuation hangs at the end of its line rather than open the next one.
            hangs = piece in _CLOSING
            if line and not hangs and _text_width(line + piece, size) > width:
                out.append(line.rstrip())
                line = ""
            line += piece
    if line.strip():
        out.append(line.rstrip())
    if len(out) > lines:
        out = out[: lines - 1] + [_fit(" ".join(out[lines - 1:]), width, size)]
    return out or [""]


def _open(title: Any, desc: Any, height: float, css_class: str) -> list[str]:
    uid = next(_ids)
    title_id, desc_id = f"chart-t{uid}", f"chart-d{uid}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'width="100%" height="{_num(height)}" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{_t(title)}</title>',
        f'<desc id="{desc_id}">{_t(desc)}</desc>',
    ]


def _heading(title: Any) -> tuple[list[str], float]:
    """The title drawn at the top left, wrapped to the narrowest width; and the y below it."""
    lines = _wrap(title, NARROWEST, TITLE_SIZE)
    parts = [
        f'<text x="0" y="{_num(TITLE_SIZE + k * (TITLE_SIZE + 5))}" font-size="{TITLE_SIZE}" '
        f'font-weight="bold" {FONT} fill="{TEXT}">{_t(line)}</text>'
        for k, line in enumerate(lines)
    ]
    return parts, len(lines) * (TITLE_SIZE + 5) + 12


def _empty(title: Any, desc: Any, css_class: str) -> Markup:
    no_data = _no_data_text()
    heading, top = _heading(title)
    box = 70
    parts = _open(title, desc if desc else no_data, top + box + 2, css_class + " chart-empty")
    parts.extend(heading)
    parts.append(
        f'<rect x="1" y="{_num(top)}" width="99%" height="{box}" fill="none" stroke="{GRID}"/>'
    )
    parts.append(
        f'<text x="50%" y="{_num(top + box / 2 + 5)}" text-anchor="middle" '
        f'font-size="{LABEL_SIZE}" {FONT} fill="{AXIS}">{_t(no_data)}</text>'
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


def nps_colours(scores: Iterable[Any]) -> list[str]:
    """The colour of each 0-10 score of an NPS question: detractors (0-6) red, passives (7-8)
    grey, promoters (9-10) green; anything else in the first palette colour."""
    colours = []
    for score in scores:
        try:
            value = int(_plain(score))
        except ValueError:
            colours.append(PALETTE[0])
            continue
        colours.append(DETRACTOR if value <= 6 else PASSIVE if value <= 8 else PROMOTER)
    return colours


class _Rows:
    """The rows of a horizontal bar chart. Short labels (a date, a score) sit left of their bar
    in a column of their own; longer ones above it, using the whole width. A bar's full length
    `span` (a percentage) leaves room for the value after it in the narrowest box."""

    value_room = 40

    def __init__(self, labels: Sequence[Any], top: float):
        self.labels = list(labels)
        widest = max((_text_width(label, LABEL_SIZE) for label in self.labels), default=0)
        self.beside = widest <= 96
        self.left = round(widest) + 10 if self.beside else 0
        self.bar = 14 if len(self.labels) > 15 else 20
        self.label_h = 0 if self.beside else LABEL_SIZE + 6
        self.step = self.label_h + self.bar + (6 if self.beside else 12)
        self.top = top
        self.span = 100 * (NARROWEST - self.left - self.value_room) / NARROWEST
        self.bottom = top + len(self.labels) * self.step

    def y(self, i: int) -> float:
        """The top of row i's bar."""
        return self.top + i * self.step + self.label_h

    def label(self, i: int) -> str:
        y = self.y(i)
        if self.beside:
            return (f'<text x="{self.left - 6}" y="{_num(y + self.bar * 0.75)}" text-anchor="end" '
                    f'font-size="{LABEL_SIZE}" {FONT} fill="{TEXT}">{_t(self.labels[i])}</text>')
        text = _fit(self.labels[i], NARROWEST, LABEL_SIZE)
        return (f'<text x="0" y="{_num(y - 5)}" font-size="{LABEL_SIZE}" {FONT} '
                f'fill="{TEXT}">{_t(text)}</text>')

    def axis(self, vmax: float) -> list[str]:
        """The axis under the bars with its ticks (inside the group moved right by `left`)."""
        ay = self.bottom + 2
        parts = [
            f'<line x1="0" y1="{_num(ay)}" x2="{_pct(self.span)}" y2="{_num(ay)}" stroke="{AXIS}"/>',
        ]
        if self.beside:  # labels above their bars would be crossed by it
            parts.append(
                f'<line x1="0" y1="{_num(self.top - 4)}" x2="0" y2="{_num(ay)}" stroke="{AXIS}"/>'
            )
        for tick in _bar_ticks(vmax):
            anchor = "start" if tick == 0 else "end" if tick == vmax else "middle"
            parts.append(
                f'<text x="{_pct(tick / vmax * self.span)}" y="{_num(ay + 16)}" '
                f'text-anchor="{anchor}" font-size="{TICK_SIZE}" {FONT} fill="{AXIS}">'
                f"{_t(_default_format(float(tick)))}</text>"
            )
        return parts

    @property
    def height(self) -> float:
        return self.bottom + 24


def _value_text(x: float, y: float, text: str) -> str:
    return (f'<text x="{_pct(x)}" dx="4" y="{_num(y)}" font-size="{LABEL_SIZE}" {FONT} '
            f'fill="{TEXT}">{_t(text)}</text>')


def bar_chart(
    title: Any,
    labels: Sequence[Any],
    values: Sequence[float | int | None],
    desc: Any = None,
    value_format: Callable[[Any], str] | None = None,
    colours: Sequence[str] | None = None,
) -> Markup:
    """Horizontal bars, one per label, with the value written at the end of each bar.
    None values are drawn as no bar (and written as empty). `colours`: one per bar (e.g.
    `nps_colours(labels)`), else the first palette colour."""
    fmt = value_format or _default_format
    labels = list(labels)
    values = list(values)
    if not labels or all(v is None for v in values):
        return _empty(title, desc, "chart-bar")
    if desc is None:
        desc = _auto_desc(labels, values, fmt)
    heading, top = _heading(title)
    rows = _Rows(labels, top + 4)
    vmax = _nice_max(max((v for v in values if v is not None), default=0))
    parts = _open(title, desc, rows.height, "chart-bar")
    parts.extend(heading)
    parts.extend(rows.label(i) for i in range(len(labels)) if rows.beside)
    parts.append(f'<g transform="translate({rows.left} 0)">')
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        if not rows.beside:
            parts.append(rows.label(i))
        if value is None:
            continue
        length = max(0.0, float(value)) / vmax * rows.span
        colour = colours[i] if colours and i < len(colours) else PALETTE[0]
        y = rows.y(i)
        parts.append(
            f'<rect class="chart-bar-rect" x="0" y="{_num(y)}" width="{_pct(length)}" '
            f'height="{rows.bar}" fill="{colour}"><title>{_t(label)}: {_t(fmt(value))}</title></rect>'
        )
        parts.append(_value_text(length, y + rows.bar * 0.75, fmt(value)))
    parts.extend(rows.axis(vmax))
    parts.append("</g></svg>")
    return Markup("".join(parts))


def _legend(names: Sequence[Any], colours: Sequence[str], top: float, left: float = 0) -> list[str]:
    """One line per series under the chart: its colour and name."""
    parts = []
    for i, name in enumerate(names):
        y = top + i * 22
        parts.append(f'<rect x="{_num(left)}" y="{_num(y)}" width="14" height="14" '
                     f'fill="{colours[i % len(colours)]}"/>')
        parts.append(
            f'<text x="{_num(left + 20)}" y="{_num(y + 12)}" font-size="{LABEL_SIZE}" {FONT} '
            f'fill="{TEXT}">{_t(_fit(name, NARROWEST - left - 20, LABEL_SIZE))}</text>'
        )
    return parts


def _segment(label: Any, name: Any, value: float, start: float, length: float, y: float,
             rows: _Rows, colour: str) -> list[str]:
    """One segment of a stacked bar, its count written inside when there is room for it."""
    parts = [
        f'<rect x="{_pct(start)}" y="{_num(y)}" width="{_pct(length)}" height="{rows.bar}" '
        f'fill="{colour}" stroke="#ffffff"><title>{_t(label)}, {_t(name)}: '
        f"{_t(_default_format(value))}</title></rect>"
    ]
    text = _default_format(value)
    if length / 100 * NARROWEST >= _text_width(text, TICK_SIZE) + 8:
        parts.append(
            f'<text x="{_pct(start + length / 2)}" y="{_num(y + rows.bar * 0.72)}" '
            f'text-anchor="middle" font-size="{TICK_SIZE}" {FONT} fill="#ffffff">{_t(text)}</text>'
        )
    return parts


def _stacked_bar(rows: _Rows, i: int, label: Any, names: Sequence[Any], values: Sequence[float],
                 vmax: float, colours: Sequence[str]) -> list[str]:
    """Row i's segments, one per series with a value."""
    parts, start = [], 0.0
    for j, (name, value) in enumerate(zip(names, values, strict=False)):
        if value:
            length = float(value) / vmax * rows.span
            parts.extend(_segment(label, name, value, start, length, rows.y(i), rows,
                                  colours[j % len(colours)]))
            start += length
    return parts


def _stacked_desc(labels: Sequence[Any], names: Sequence[Any], columns: list[list[float]]) -> str:
    return "; ".join(
        f"{_plain(label)}: " + ", ".join(
            f"{_plain(name)} {_default_format(columns[j][i] if i < len(columns[j]) else 0)}"
            for j, name in enumerate(names)
        )
        for i, label in enumerate(labels)
    )


def stacked_bar_chart(
    title: Any,
    labels: Sequence[Any],
    series: Mapping[Any, Sequence[float | int | None]],
    desc: Any = None,
    colours: Sequence[str] | None = None,
) -> Markup:
    """Horizontal stacked bars: one bar per label, one segment per series (None counts as 0),
    each segment's count inside it where it fits, the total after the bar, and a legend.
    `colours`: one per series (e.g. `NPS_COLOURS` for promoters, passives, detractors)."""
    labels = list(labels)
    names = list(series.keys())
    columns = [[(v or 0) for v in series[name]] for name in names]
    totals = [sum(col[i] for col in columns if i < len(col)) for i in range(len(labels))]
    if not labels or not names or not any(totals):
        return _empty(title, desc, "chart-stacked")
    if desc is None:
        desc = _stacked_desc(labels, names, columns)
    colours = list(colours or PALETTE)
    heading, top = _heading(title)
    rows = _Rows(labels, top + 4)
    vmax = _nice_max(max(totals))
    legend_top = rows.height + 6
    parts = _open(title, desc, legend_top + len(names) * 22, "chart-stacked")
    parts.extend(heading)
    parts.extend(rows.label(i) for i in range(len(labels)) if rows.beside)
    parts.append(f'<g transform="translate({rows.left} 0)">')
    for i, label in enumerate(labels):
        if not rows.beside:
            parts.append(rows.label(i))
        values = [col[i] if i < len(col) else 0 for col in columns]
        parts.extend(_stacked_bar(rows, i, label, names, values, vmax, colours))
        parts.append(_value_text(sum(values) / vmax * rows.span, rows.y(i) + rows.bar * 0.75,
                                 _default_format(totals[i])))
    parts.extend(rows.axis(vmax))
    parts.append("</g>")
    parts.extend(_legend(names, colours, legend_top))
    parts.append("</svg>")
    return Markup("".join(parts))


# Line series differ by marker and dash as well as by colour: told apart in grey print and
# without colour vision.
_DASHES = ("", "7 4", "2 3", "9 3 2 3")


def _marker(kind: int, colour: str, tip: str = "") -> str:
    """A series' marker centred on (0, 0): circle, square, triangle, diamond."""
    tip = f"<title>{tip}</title>" if tip else ""
    edge = f'fill="{colour}" stroke="#ffffff" stroke-width="1"'
    shapes = (
        f'<circle r="4.5" {edge}>{tip}</circle>',
        f'<rect x="-4" y="-4" width="8" height="8" {edge}>{tip}</rect>',
        f'<polygon points="0,-5.5 5,4 -5,4" {edge}>{tip}</polygon>',
        f'<polygon points="0,-5.5 5.5,0 0,5.5 -5.5,0" {edge}>{tip}</polygon>',
    )
    return shapes[kind % len(shapes)]


def _at(x: float, y: float, content: str) -> str:
    """Content drawn around (0, 0) placed at x (a percentage of the width), y (px): a nested
    <svg> is the one way SVG offers to place a shape at a percentage."""
    return f'<svg x="{_pct(x)}" y="{_num(y)}" overflow="visible">{content}</svg>'


class _LinePlot:
    """The drawing area of a line chart (inside a group moved right by `left` px): where the
    i-th x label and a value are drawn. x: a percentage of the chart's width; y: px."""

    left, height, right_room = 40, 200, 16

    def __init__(self, points: int, y_min: float, y_max: float, top: float):
        self.points = points
        self.y_min = y_min
        self.y_max = y_max
        self.top = top
        self.span = 100 * (NARROWEST - self.left - self.right_room) / NARROWEST

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def x(self, i: int) -> float:
        if self.points == 1:
            return self.span / 2
        return i * self.span / (self.points - 1)

    def y(self, value: float) -> float:
        value = min(max(float(value), self.y_min), self.y_max)
        return self.bottom - (value - self.y_min) / (self.y_max - self.y_min) * self.height


def _line_desc(x_labels: Sequence[Any], series: Mapping[Any, Sequence[Any]]) -> str:
    return "; ".join(
        f"{_plain(name)}: " + ", ".join(
            f"{_plain(x)} {_default_format(v)}" for x, v in zip(x_labels, values, strict=False)
            if v is not None
        )
        for name, values in series.items()
    )


def _line_axes(plot: _LinePlot, x_labels: Sequence[Any]) -> list[str]:
    """The grid with the y axis labels, both axes, and the x axis labels (as many as fit the
    narrowest width: every k-th)."""
    parts = []
    for k in range(5):
        tick = plot.y_min + (plot.y_max - plot.y_min) * k / 4
        y = plot.y(tick)
        parts.append(f'<line x1="0" y1="{_num(y)}" x2="{_pct(plot.span)}" y2="{_num(y)}" '
                     f'stroke="{GRID}"/>')
        parts.append(
            f'<text x="-6" y="{_num(y + 4)}" text-anchor="end" font-size="{TICK_SIZE}" {FONT} '
            f'fill="{AXIS}">{_t(_default_format(float(tick)))}</text>'
        )
    parts.append(
        f'<line x1="0" y1="{_num(plot.top)}" x2="0" y2="{_num(plot.bottom)}" stroke="{AXIS}"/>'
        f'<line x1="0" y1="{_num(plot.bottom)}" x2="{_pct(plot.span)}" y2="{_num(plot.bottom)}" '
        f'stroke="{AXIS}"/>'
    )
    return parts + _x_labels(plot, x_labels)


def _x_labels(plot: _LinePlot, x_labels: Sequence[Any]) -> list[str]:
    """The x axis labels, as many as fit the narrowest width (every k-th, and the last); the
    first and the last aligned inwards so that they stay inside the box."""
    labels = [_truncate(label, 14) for label in x_labels]
    last = len(labels) - 1
    widest = max((_text_width(label, TICK_SIZE) for label in labels), default=0) + 8
    room = plot.span / 100 * NARROWEST / max(1, last)
    every = max(1, math.ceil(widest / room))
    parts = []
    for i, label in enumerate(labels):
        if i % every and i != last:
            continue
        anchor = "middle" if last == 0 else "start" if i == 0 else "end" if i == last else "middle"
        parts.append(
            f'<text x="{_pct(plot.x(i))}" y="{_num(plot.bottom + 18)}" text-anchor="{anchor}" '
            f'font-size="{TICK_SIZE}" {FONT} fill="{AXIS}">{_t(label)}</text>'
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


def _line_series(plot: _LinePlot, j: int, name: Any, values: Sequence[float | int | None],
                 x_labels: Sequence[Any]) -> list[str]:
    """Series j: its line (broken at None values), drawn as segments since a path cannot take
    percentages, and its marker at each value with a tooltip."""
    colour = PALETTE[j % len(PALETTE)]
    dash = _DASHES[j % len(_DASHES)]
    dash = f' stroke-dasharray="{dash}"' if dash else ""
    values = list(values)[: len(x_labels)]
    parts = []
    for run in _line_runs(plot, values):
        if len(run) < 2:
            continue
        parts.append(f'<g class="chart-line-path" stroke="{colour}" stroke-width="2.5"{dash}>')
        parts.extend(
            f'<line x1="{_pct(x1)}" y1="{_num(y1)}" x2="{_pct(x2)}" y2="{_num(y2)}"/>'
            for (x1, y1), (x2, y2) in zip(run, run[1:], strict=False)
        )
        parts.append("</g>")
    for i, v in enumerate(values):
        if v is not None:
            tip = f"{_t(name)}, {_t(x_labels[i])}: {_t(_default_format(v))}"
            parts.append(_at(plot.x(i), plot.y(v), _marker(j, colour, tip)))
    return parts


def _line_legend(names: Sequence[Any], top: float) -> list[str]:
    """One line per series under the plot: a stretch of its line with its marker, and its name."""
    parts = []
    for j, name in enumerate(names):
        y = top + j * 22
        colour = PALETTE[j % len(PALETTE)]
        dash = _DASHES[j % len(_DASHES)]
        dash = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="0" y1="{_num(y)}" x2="28" y2="{_num(y)}" stroke="{colour}" '
                     f'stroke-width="2.5"{dash}/>')
        parts.append(f'<g transform="translate(14 {_num(y)})">{_marker(j, colour)}</g>')
        parts.append(
            f'<text x="36" y="{_num(y + 4.5)}" font-size="{LABEL_SIZE}" {FONT} fill="{TEXT}">'
            f"{_t(_fit(name, NARROWEST - 36, LABEL_SIZE))}</text>"
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
    Each point gets a marker (a shape per series) with its value as a tooltip; a legend under
    the plot names the series with their line and marker."""
    x_labels = list(x_labels)
    names = list(series.keys())
    has_value = any(v is not None for name in names for v in series[name])
    if not x_labels or not names or not has_value:
        return _empty(title, desc, "chart-line")
    heading, top = _heading(title)
    plot = _LinePlot(len(x_labels), y_min, y_max if y_max > y_min else y_min + 1, top + 8)
    legend_top = plot.bottom + 44
    parts = _open(title, _line_desc(x_labels, series) if desc is None else desc,
                  legend_top + len(names) * 22 - 8, "chart-line")
    parts.extend(heading)
    parts.append(f'<g transform="translate({plot.left} 0)">')
    parts.extend(_line_axes(plot, x_labels))
    for j, name in enumerate(names):
        parts.extend(_line_series(plot, j, name, series[name], x_labels))
    parts.append("</g>")
    parts.extend(_line_legend(names, legend_top))
    parts.append("</svg>")
    return Markup("".join(parts))
