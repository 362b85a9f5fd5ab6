"""The shared SVG charts: text alternative, escaping, empty data, no style or script."""
import re

import pytest
from flask import Flask
from flask_babel import Babel
from markupsafe import Markup

from portal.charts import bar_chart, line_chart, stacked_bar_chart

PAYLOAD = '<script>alert("x")</script>'


def _check_safe(svg: str) -> None:
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title" in svg and "<desc" in svg
    assert "<script" not in svg
    assert "style=" not in svg and "<style" not in svg
    assert "href" not in svg


@pytest.fixture
def ctx():
    """The charts need no database: a bare Flask app with Babel for the gettext calls."""
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_bar_chart_has_title_desc_labels_and_values(ctx):
    svg = bar_chart("Ratings", ["1", "2", "3"], [0, 2, 5], desc="Distribution of ratings")
    assert isinstance(svg, Markup)
    _check_safe(svg)
    assert re.search(r"<title[^>]*>Ratings</title>", svg)
    assert re.search(r"<desc[^>]*>Distribution of ratings</desc>", svg)
    assert ">5</text>" in svg and ">2</text>" in svg
    assert svg.count('class="chart-bar-rect"') == 3


def test_bar_chart_default_desc_lists_values_and_format(ctx):
    svg = bar_chart("Share", ["Yes", "No"], [75.0, 25.0], value_format=lambda v: f"{v:.0f}%")
    assert "Yes: 75%; No: 25%" in svg
    assert ">75%</text>" in svg


def test_text_is_escaped_everywhere(ctx):
    for svg in (
        bar_chart(PAYLOAD, [PAYLOAD], [1], desc=PAYLOAD),
        stacked_bar_chart(PAYLOAD, [PAYLOAD], {PAYLOAD: [1]}, desc=PAYLOAD),
        line_chart(PAYLOAD, [PAYLOAD, "b"], {PAYLOAD: [1, 2]}, desc=PAYLOAD),
        bar_chart(PAYLOAD, [], [], desc=PAYLOAD),
    ):
        _check_safe(svg)
        assert "&lt;script&gt;" in svg


def test_empty_data_says_no_data_yet(ctx):
    for svg in (
        bar_chart("Empty", [], []),
        bar_chart("All none", ["a"], [None]),
        stacked_bar_chart("Empty", ["a"], {"x": [0]}),
        stacked_bar_chart("Empty", [], {}),
        line_chart("Empty", ["p1"], {"x": [None]}),
        line_chart("Empty", [], {}),
    ):
        _check_safe(svg)
        assert "No data yet" in svg
        assert "Empty" in svg or "All none" in svg


def test_charts_work_outside_a_request():
    svg = bar_chart("空", [], [])
    _check_safe(svg)
    assert "空" in svg


def test_line_chart_skips_none_values(ctx):
    svg = line_chart("Trend", ["Q1", "Q2", "Q3", "Q4"], {"Index": [50, None, 70, 80]})
    _check_safe(svg)
    # three points drawn (a marker with its tooltip each), none for Q2
    assert svg.count("<title>Index, ") == 3
    assert "Index, Q2" not in svg
    # the line breaks at the gap: only the Q3-Q4 part is a path with two points
    assert svg.count('class="chart-line-path"') == 1
    assert "Q1 50" in svg and "Q3 70" in svg  # default text alternative


def test_line_chart_several_series_and_legend(ctx):
    svg = line_chart(
        "Components", ["2026-01", "2026-02"], {"Satisfaction": [80, 82], "NPS": [30.5, 40]},
        y_min=0, y_max=100,
    )
    _check_safe(svg)
    assert svg.count('class="chart-line-path"') == 2
    assert "Satisfaction" in svg and "NPS" in svg
    assert ">2026-01</text>" in svg


def test_stacked_bar_chart_segments_and_totals(ctx):
    svg = stacked_bar_chart(
        "By segment", ["Mobile", "Household"],
        {"Promoters": [2, 1], "Passives": [1, 0], "Detractors": [0, None]},
    )
    _check_safe(svg)
    # 3 non-zero segments drawn (+ legend squares)
    assert svg.count("<rect") == 3 + 3
    assert ">3</text>" in svg and ">1</text>" in svg
    assert "Mobile: Promoters 2, Passives 1, Detractors 0" in svg


def test_charts_ids_are_unique(ctx):
    a, b = bar_chart("A", ["x"], [1]), bar_chart("B", ["x"], [1])
    ida = re.search(r'<title id="([^"]+)"', a).group(1)
    idb = re.search(r'<title id="([^"]+)"', b).group(1)
    assert ida != idb


TRICKY = 'A < B & "C"'
ONCE = "A &lt; B &amp; &#34;C&#34;"


def _no_double_escaping(svg: str) -> None:
    for twice in ("&amp;lt;", "&amp;amp;", "&amp;#34;", "&amp;quot;", "&amp;#39;"):
        assert twice not in svg


def test_text_from_a_template_is_escaped_once(ctx):
    """A template's `_()` and its macros give Markup (already escaped): the chart must not
    escape it again ("A &amp;lt; B" showed as "A &lt; B" in the title and tooltips)."""
    from flask import render_template_string

    from portal import charts

    svg = render_template_string(
        '{% macro name(x) %}{{ x }}{% endmacro %}'
        '{{ charts.bar_chart(_("Answers: %(prompt)s", prompt=p), [name(p), "b"], [1, 2]) }}'
        '{{ charts.stacked_bar_chart(_("By %(p)s", p=p), [name(p)], {name(p): [1]}) }}'
        '{{ charts.line_chart(_("Trend %(p)s", p=p), [name(p), "Q2"], {name(p): [1, 2]},'
        ' desc=_("%(p)s", p=p)) }}',
        charts=charts, p=TRICKY,
    )
    _no_double_escaping(svg)
    assert re.search(rf'<title id="[^"]+">Answers: {ONCE}</title>', svg)
    assert re.search(rf'<title id="[^"]+">By {ONCE}</title>', svg)
    assert re.search(rf'<title id="[^"]+">Trend {ONCE}</title>', svg)
    assert f">{ONCE}</desc>" in svg
    assert f"<title>{ONCE}: 1</title>" in svg             # a bar's tooltip
    assert f"<title>{ONCE}, {ONCE}: 1</title>" in svg    # a segment's / a point's tooltip
    assert f"{ONCE}: 1; b: 2" in svg                     # the bar chart's text alternative
    assert "<script" not in svg


def test_plain_text_and_markup_give_the_same_svg_text(ctx):
    from markupsafe import escape

    for text in (TRICKY, escape(TRICKY)):
        svg = bar_chart(text, [text], [3], desc=text)
        _no_double_escaping(svg)
        assert re.search(rf"<title[^>]*>{ONCE}</title>", svg)
        assert re.search(rf"<desc[^>]*>{ONCE}</desc>", svg)
        assert f">{ONCE}</text>" in svg and f"<title>{ONCE}: 3</title>" in svg


def test_a_long_markup_label_is_cut_as_text_not_inside_an_entity(ctx):
    from markupsafe import escape

    svg = line_chart("T", [escape("<<<<<<<<<<<<<<<<")], {"s": [1]})
    assert ">&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;…</text>" in svg


def _contrast(colour: str, background: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_chart_colour_stands_out_from_the_page_and_carries_white_text():
    from portal.charts import NPS_COLOURS, PALETTE

    for colour in (*PALETTE, *NPS_COLOURS):
        assert _contrast(colour) >= 4.5, colour


def test_charts_fill_their_box_and_keep_their_text_readable_on_a_phone(ctx):
    """No viewBox: the chart is as wide as its box and its text is never scaled down (it was
    7 px on a phone); lengths across are percentages of the width."""
    for svg in (
        bar_chart("Ratings", ["1", "2", "3"], [0, 2, 5]),
        stacked_bar_chart("NPS", ["Mobile / 3G subscriber"], {"P": [2], "D": [1]}),
        line_chart("Trend", ["Q1", "Q2"], {"Index": [50, 60]}),
    ):
        assert 'width="100%"' in svg and "viewBox" not in svg
        sizes = [float(size) for size in re.findall(r'font-size="([0-9.]+)"', svg)]
        assert sizes and min(sizes) >= 12
    bar = bar_chart("Ratings", ["1", "2"], [1, 2])
    assert re.search(r'class="chart-bar-rect" x="0" y="[0-9.]+" width="[0-9.]+%"', bar)


def test_nps_answers_are_red_grey_and_green(ctx):
    from portal.charts import DETRACTOR, NPS_COLOURS, PASSIVE, PROMOTER, nps_colours

    assert nps_colours(["0", "6", "7", "8", "9", "10"]) == [DETRACTOR, DETRACTOR, PASSIVE, PASSIVE,
                                                           PROMOTER, PROMOTER]
    svg = stacked_bar_chart("By segment", ["Mobile"],
                            {"Promoters": [5], "Passives": [2], "Detractors": [3]},
                            colours=NPS_COLOURS)
    fills = re.findall(r'<rect x="[0-9.]+%" y="[0-9.]+" width="[0-9.]+%" height="\d+" fill="(#\w+)"', svg)
    assert fills == [PROMOTER, PASSIVE, DETRACTOR]
    bars = bar_chart("Scores", ["5", "7", "10"], [1, 1, 1], colours=nps_colours(["5", "7", "10"]))
    assert re.findall(r'class="chart-bar-rect"[^>]*fill="(#\w+)"', bars) == [DETRACTOR, PASSIVE, PROMOTER]


def test_line_series_differ_by_marker_and_dash_not_colour_alone(ctx):
    svg = line_chart("Index", ["Q1", "Q2"], {"S": [1, 2], "B": [3, 4], "W": [5, 6], "Index": [7, 8]})
    markers = re.findall(r'<svg x="[0-9.]+%" y="[0-9.]+" overflow="visible"><(\w+)', svg)
    assert markers == ["circle"] * 2 + ["rect"] * 2 + ["polygon"] * 4
    assert len(set(re.findall(r'<polygon points="([^"]+)"', svg))) == 2  # triangle and diamond
    dashes = re.findall(r'<g class="chart-line-path"[^>]*?(?: stroke-dasharray="([^"]+)")?>', svg)
    assert len(set(dashes)) == 4


def test_a_long_title_wraps_instead_of_running_off_a_phone(ctx):
    title = "分布：" + "您对国际漫游一键开通服务的整体满意程度如何" * 2
    svg = bar_chart(title, ["1"], [1])
    drawn = re.findall(r'font-weight="bold"[^>]*>([^<]+)</text>', svg)
    assert len(drawn) >= 2 and all(len(line) <= 20 for line in drawn)
