"""The demand chart: forecast against actual per year, as one reportlab drawing.

``build_drawing`` takes plain data, so the reports draw the same chart into
their PDFs; ``demand_chart`` renders it as inline, accessible SVG for the web
pages the way the milestone timeline does (``pptracker.charts.to_svg``).
The forecast-against-actual table beside it is the text alternative.
"""

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup
from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.lib.colors import white
from reportlab.pdfbase.pdfmetrics import stringWidth

from pptracker.charts import (
    BLUE,
    INK,
    MUTED,
    compact,
    grid_line,
    label,
    legend,
    nice_step,
    notice,
    to_svg,
)

# At least 4.5:1 against white; forecast and actual differ by fill (hollow
# against solid), not by colour alone.
ACTUAL = BLUE

WIDTH = 720
HEIGHT = 260
LEFT = 86  # room for the value labels
RIGHT = 12
TOP = 28  # room for the unit above the highest value
BOTTOM = 52  # year labels and the legend
FONT_SIZE = 9
TICKS = 5


@dataclass(frozen=True)
class ChartYear:
    """One year as the chart needs it: plain values, no database object."""

    year: int
    forecast: Decimal | None = None
    actual: Decimal | None = None


@dataclass(frozen=True)
class Chart:
    """A rendered chart: inline SVG (empty when there is nothing to draw)."""

    svg: Markup


def build_drawing(years: list[ChartYear], *, unit: str = "", font: str = "Helvetica") -> Drawing:
    """Draw forecast (hollow) and actual (solid) bars side by side for each year.

    The same data always gives the same drawing.

    :param years: the years to draw, in order; a missing figure leaves its bar out.
    :param unit: what the values count, written on the axis.
    :param font: a registered font name (the PDFs pass their Unicode TTF font).
    :return: a drawing ``WIDTH`` points wide; a short notice when there is no figure.
    """
    figures = [
        float(v) for y in years for v in (y.forecast, y.actual) if v is not None
    ]  # floats only place the bars; the table gives the exact figures
    if not years or not figures:
        return notice("No figures yet.", font, WIDTH)
    drawing = Drawing(WIDTH, HEIGHT)
    plot_left, plot_bottom = LEFT, BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    top_value = max(figures) or 1.0
    step = nice_step(top_value, TICKS)
    ticks = int(top_value // step) + (0 if top_value % step == 0 else 1)
    top = step * max(ticks, 1)

    def y_of(value: float) -> float:
        return round(plot_bottom + value / top * plot_height, 2)

    for i in range(0, max(ticks, 1) + 1):
        value = step * i
        y = y_of(value)
        drawing.add(grid_line(plot_left, y, plot_left + plot_width, y))
        drawing.add(
            label(
                plot_left - 6,
                y - FONT_SIZE / 3,
                compact(value),
                font=font,
                size=FONT_SIZE,
                anchor="end",
            )
        )
    if unit:
        drawing.add(label(6, HEIGHT - 12, unit[:30], font=font, size=FONT_SIZE, fill=MUTED))
    drawing.add(
        Line(plot_left, plot_bottom, plot_left + plot_width, plot_bottom, strokeColor=MUTED)
    )

    slot = plot_width / len(years)
    bar = min(slot * 0.36, 28)
    label_every = 1
    while stringWidth("0000", font, FONT_SIZE) * 1.4 * len(years) / label_every > plot_width:
        label_every += 1
    for i, item in enumerate(years):
        centre = plot_left + slot * (i + 0.5)
        if item.forecast is not None:
            height = y_of(float(item.forecast)) - plot_bottom
            drawing.add(
                Rect(
                    round(centre - bar, 2),
                    plot_bottom,
                    round(bar, 2),
                    height,
                    fillColor=white,
                    strokeColor=INK,
                    strokeWidth=1.2,
                )
            )
        if item.actual is not None:
            height = y_of(float(item.actual)) - plot_bottom
            drawing.add(
                Rect(
                    round(centre, 2),
                    plot_bottom,
                    round(bar, 2),
                    height,
                    fillColor=ACTUAL,
                    strokeColor=ACTUAL,
                    strokeWidth=1.2,
                )
            )
        if i % label_every == 0:
            drawing.add(
                label(
                    round(centre, 2),
                    plot_bottom - 14,
                    str(item.year),
                    font=font,
                    size=FONT_SIZE,
                    anchor="middle",
                )
            )
    _legend(drawing, font)
    return drawing


def _legend(drawing: Drawing, font: str) -> None:
    """Explain the two bars along the bottom edge."""
    legend(
        drawing,
        ((white, INK, "Forecast (hollow bar)"), (ACTUAL, ACTUAL, "Actual (solid bar)")),
        font=font,
        size=FONT_SIZE,
        box=(14, 10),
        box_drop=5,
        stroke_width=1.2,
    )


def demand_chart(
    name: str, unit: str, years: list[ChartYear], *, id_prefix: str = "demand-chart"
) -> Chart:
    """Render a series' forecast against actual as inline, accessible SVG.

    :param name: the series' name, in the chart's accessible name.
    :param id_prefix: prefix of the ids inside the SVG, unique on the page.
    :return: empty markup when no year has a figure.
    """
    drawn = [y for y in years if y.forecast is not None or y.actual is not None]
    if not drawn:
        return Chart(Markup(""))
    drawing = build_drawing(drawn, unit=unit)
    both = sum(1 for y in drawn if y.forecast is not None and y.actual is not None)
    desc = (
        f"Bar chart of {name} in {unit}, {drawn[0].year} to {drawn[-1].year}: for each year a "
        "hollow bar is the forecast and a solid bar beside it the actual figure. "
        f"{both} year{'' if both == 1 else 's'} have both. The table that follows gives "
        "the same figures with the variance."
    )
    return Chart(
        to_svg(drawing, title=f"{name}: forecast against actual", desc=desc, id_prefix=id_prefix)
    )
