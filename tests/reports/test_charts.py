"""The horizontal bar chart: plain data in, the same drawing out, readable and accessible."""

from decimal import Decimal

import pytest
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Rect, String
from reportlab.lib.colors import white

from pptracker.reports import charts, layout


def _strings(drawing) -> list[String]:
    return [s for s in drawing.getContents() if isinstance(s, String)]


def _bars(drawing) -> list[Rect]:
    return [r for r in drawing.getContents() if isinstance(r, Rect) and r.fillColor == charts.BAR]


def _luminance(colour) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red)
        + 0.7152 * channel(colour.green)
        + 0.0722 * channel(colour.blue)
    )


def _contrast(a, b) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_each_bar_is_labelled_with_its_value_and_sized_by_it():
    drawing = charts.bar_chart(
        [charts.Bar("Road", 4), charts.Bar("Health", 2), charts.Bar("Energy", 1, text="one")],
        unit="Number of projects",
    )
    texts = [s.text for s in _strings(drawing)]
    for expected in ("Road", "Health", "Energy", "4", "2", "one", "Number of projects"):
        assert expected in texts
    widths = [round(r.width, 1) for r in _bars(drawing)]
    assert len(widths) == 3
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    assert widths[1] == pytest.approx(2 * widths[2], rel=0.01)
    # In the order given, top to bottom.
    tops = [r.y for r in _bars(drawing)]
    assert tops == sorted(tops, reverse=True)


def test_negative_values_run_left_of_zero():
    drawing = charts.bar_chart([charts.Bar("Early", Decimal("-10")), charts.Bar("Late", 30)])
    early, late = _bars(drawing)
    assert early.x + early.width == pytest.approx(late.x, abs=0.05)  # both meet at zero
    assert late.width == pytest.approx(3 * early.width, rel=0.01)
    label = [s for s in _strings(drawing) if s.text == "-10"][-1]  # after the tick's
    assert label.textAnchor == "end" and label.x < early.x


def test_long_labels_are_cut_to_fit():
    drawing = charts.bar_chart([charts.Bar("A very long sector name " * 10, 3)], label_width=120)
    label = _strings(drawing)[-2]
    assert label.text.endswith("…") and len(label.text) < 60


def test_no_bars_gives_a_notice():
    drawing = charts.bar_chart([])
    assert [s.text for s in _strings(drawing)] == ["Nothing to chart."]
    assert charts.bar_chart_svg([], title="Empty") == ""


def test_same_bars_same_drawing_and_the_font_is_used():
    bars = [charts.Bar(f"Sector {i}", i) for i in range(1, 8)]
    first = renderSVG.drawToString(charts.bar_chart(bars, font=layout.FONT))
    second = renderSVG.drawToString(charts.bar_chart(bars, font=layout.FONT))
    assert first == second
    drawing = charts.bar_chart(bars, font=layout.FONT)
    assert {s.fontName for s in _strings(drawing)} == {layout.FONT}


def test_integer_counts_get_whole_number_ticks():
    drawing = charts.bar_chart([charts.Bar("Only", 2)])
    ticks = [s.text for s in _strings(drawing) if s.fillColor == charts.MUTED]
    assert ticks == ["0", "1", "2"]


def test_chunks_keep_every_drawing_on_a_page():
    bars = [charts.Bar(str(i), i) for i in range(45)]
    chunks = charts.chunked(bars)
    assert [len(c) for c in chunks] == [20, 20, 5]
    assert [b for c in chunks for b in c] == bars
    tallest = charts.bar_chart(chunks[0])
    assert tallest.height < 450  # a landscape A4 frame is about 500 points high


def test_colours_are_readable():
    for ink in (charts.INK, charts.MUTED):
        assert _contrast(ink, white) >= 4.5
        assert _contrast(ink, charts.LANE_SHADE) >= 4.5
    assert _contrast(charts.BAR, white) >= 4.5
    assert _contrast(charts.BAR, charts.LANE_SHADE) >= 4.5


def test_svg_for_the_web_is_accessible_and_escaped():
    svg = charts.bar_chart_svg(
        [charts.Bar("<font size=40> & Co", 3)],
        title="Projects by sector",
        desc="The table below gives the same counts.",
        id_prefix="sectors",
    )
    assert 'role="img"' in svg and 'aria-labelledby="sectors-title"' in svg
    assert "Projects by sector" in svg and "The table below gives the same counts." in svg
    assert "&lt;font size=40&gt; &amp; Co" in svg
    assert "<font" not in svg
