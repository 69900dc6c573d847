"""The budget chart: planned, committed and paid per line, from plain data, for PDF and web."""

from decimal import Decimal

import pytest
from reportlab.graphics.shapes import Rect, String

from pptracker.budgets import chart
from pptracker.budgets.chart import BudgetBar, build_drawing, chunks


def _strings(drawing) -> list[str]:
    return [node.text for node in drawing.getContents() if isinstance(node, String)]


def _rects(drawing) -> list[Rect]:
    return [node for node in drawing.getContents() if isinstance(node, Rect)]


ROWS = [
    BudgetBar("CAP-01 – Construction", Decimal("400000.00"), Decimal("450000.00"), Decimal("1")),
    BudgetBar("OPX-01 – Operation", Decimal("100000.00"), Decimal("0.00"), Decimal("0.00")),
    BudgetBar("Not assigned to a budget line", None, Decimal("0.00"), Decimal("2500.00")),
]


def test_each_line_is_labelled_with_its_three_amounts():
    texts = _strings(build_drawing(ROWS, currency="EUR"))

    assert "CAP-01 – Construction" in texts
    assert "planned 400k" in texts
    assert "committed 450k (over plan)" in texts
    assert "paid 1" in texts
    assert "planned: none" in texts  # the unassigned row has no plan, and says so
    assert "paid 2.5k" in texts
    assert "Amounts in EUR" in texts
    for legend in ("Planned (hollow bar)", "Committed (brown)", "Paid (blue)"):
        assert legend in texts


def test_bar_lengths_are_proportional_and_share_a_scale_across_chunks():
    rows = [BudgetBar("A", Decimal(100), Decimal(50), Decimal(25))]
    alone = build_drawing(rows, currency="EUR")
    scaled = build_drawing(rows, currency="EUR", scale_max=Decimal(1000))

    def bar_widths(drawing):
        return sorted(
            r.width for r in _rects(drawing) if r.height == chart.BAR and r.y > chart.LEGEND_HEIGHT
        )

    widths = bar_widths(alone)
    assert widths[2] == pytest.approx(2 * widths[1], rel=0.01)
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.01)
    assert bar_widths(scaled)[2] == pytest.approx(widths[2] / 10, rel=0.01)


def test_the_same_rows_give_the_same_drawing():
    assert build_drawing(ROWS, currency="EUR").asString("svg") == build_drawing(
        ROWS, currency="EUR"
    ).asString("svg")


def test_no_line_gives_a_short_notice():
    drawing = build_drawing([], currency="EUR")
    assert _strings(drawing) == ["No budget line or transaction yet."]
    assert drawing.height < 50


def test_long_budgets_are_split_into_balanced_pieces_of_at_most_the_maximum():
    rows = [BudgetBar(f"L-{i}", Decimal(i), Decimal(0), Decimal(0)) for i in range(30)]
    pieces = chunks(rows)
    assert [len(p) for p in pieces] == [10, 10, 10]
    assert [r for p in pieces for r in p] == rows
    assert chunks(rows[:14]) == [rows[:14]]
    assert chunks([]) == []
    tallest = build_drawing(rows[: chart.MAX_LINES], currency="EUR")
    # Scaled to the A4 frame (about 504 points wide) it stays well inside a page.
    assert tallest.height * 504 / tallest.width < 600


def _luminance(colour) -> float:
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red)
        + 0.7152 * channel(colour.green)
        + 0.0722 * channel(colour.blue)
    )


@pytest.mark.parametrize("colour", [chart.INK, chart.MUTED, chart.COMMITTED, chart.PAID])
def test_colours_have_enough_contrast_on_white_and_on_the_lane_shading(colour):
    for background in (1.0, _luminance(chart.LANE_SHADE)):
        assert (background + 0.05) / (_luminance(colour) + 0.05) >= 4.5


def test_the_web_gets_accessible_svg_from_the_same_drawing():
    rows = [BudgetBar(f"L-{i} <&>", Decimal(i + 1), Decimal(0), Decimal(0)) for i in range(20)]
    charts = chart.budget_chart(rows, currency="EUR", id_prefix="budget")

    assert len(charts) == 2
    svg = str(charts[0].svg)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert chart.TITLE in svg and "hollow bar is the planned amount" in svg
    assert "L-0 &lt;&amp;&gt;" in svg and "<&>" not in svg
    assert 'style="' not in svg  # the CSP allows no inline style
