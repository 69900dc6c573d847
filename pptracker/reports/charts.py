"""A horizontal bar chart drawn from plain data, for the PDFs and the web pages alike.

``bar_chart`` returns a reportlab drawing: the reports put it on the page
through ``layout.fit``, the web pages render it as inline SVG with
``bar_chart_svg`` (``pptracker.charts.to_svg``). Every bar carries its
value as text, so the chart never relies on reading lengths or colours; a
table of the same figures goes beside it as its text alternative.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup
from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.pdfbase.pdfmetrics import stringWidth

from pptracker.charts import (
    BLUE,
    INK,
    LANE_SHADE,  # noqa: F401 - part of this chart's palette (the bars are checked against it)
    MUTED,
    compact,
    fit,
    grid_line,
    label,
    lane_label,
    nice_step,
    notice,
    shade_lanes,
    to_svg,
)

# At least 4.5:1 against white and against the lane shading, for the text
# and for the bars (7:1 for the bar colour on white).
BAR = BLUE

WIDTH = 720
LABEL_WIDTH = 200
LANE_HEIGHT = 20
BAR_HEIGHT = 12
UNIT_HEIGHT = 18  # room above the bars for the unit
AXIS_HEIGHT = 20  # room below the bars for the scale
RIGHT_MARGIN = 8
VALUE_GAP = 4  # between a bar's end and its value
FONT_SIZE = 9
TICKS = 5
#: Bars per drawing: a drawing cannot split across pages (see ``chunked``).
MAX_BARS = 20


@dataclass(frozen=True)
class Bar:
    """One bar: what it stands for, its value, and the text printed beside it.

    :param text: the value as the reader should see it (``12``, ``1.5M EUR``);
        by default the value itself.
    """

    label: str
    value: Decimal | int
    text: str | None = None

    @property
    def shown(self) -> str:
        """Return the text printed at the end of the bar."""
        return self.text if self.text is not None else str(self.value)


def chunked(bars: list[Bar], size: int = MAX_BARS) -> list[list[Bar]]:
    """Split ``bars`` into runs of at most ``size``, one drawing each (a page holds one)."""
    return [bars[i : i + size] for i in range(0, len(bars), size)] or [[]]


def bar_chart(
    bars: list[Bar],
    *,
    unit: str = "",
    font: str = "Helvetica",
    width: float = WIDTH,
    label_width: float = LABEL_WIDTH,
) -> Drawing:
    """Draw one horizontal bar per item, in the order given, its value printed at its end.

    Values may be negative (bars then run left of the zero line). The same
    bars always give the same drawing. Give at most ``MAX_BARS`` bars to a
    drawing meant for a page (see ``chunked``).

    :param bars: what to draw, already ordered.
    :param unit: what the values count ("projects", "EUR"), written above the bars.
    :param font: a registered font name (the PDFs pass their Unicode TTF font).
    :param width: the drawing's width in points (``layout.fit`` scales it down).
    :param label_width: the room for the labels on the left.
    :return: the drawing; a one-line notice when there is no bar.
    """
    if not bars:
        return notice("Nothing to chart.", font, width)
    values = [float(bar.value) for bar in bars]  # floats only place the bars
    integers = all(isinstance(bar.value, int) for bar in bars)
    low, high = min(0.0, *values), max(0.0, *values)
    if low == high:
        high = 1.0
    step = nice_step(high - low, TICKS, integers=integers)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step

    value_room = max(stringWidth(bar.shown, font, FONT_SIZE) for bar in bars) + VALUE_GAP
    top = UNIT_HEIGHT if unit else 6
    height = top + LANE_HEIGHT * len(bars) + AXIS_HEIGHT
    drawing = Drawing(width, height)
    plot_left = label_width + (value_room if low < 0 else 0)
    plot_right = width - RIGHT_MARGIN - (value_room if high > 0 else 0)
    lanes_top = height - top
    lanes_bottom = AXIS_HEIGHT

    def x_of(value: float) -> float:
        return round(plot_left + (value - low) / (high - low) * (plot_right - plot_left), 2)

    shade_lanes(drawing, top=lanes_top, count=len(bars), height=LANE_HEIGHT, width=width)

    ticks = round((high - low) / step)
    for i in range(ticks + 1):
        value = low + step * i
        x = x_of(value)
        drawing.add(grid_line(x, lanes_bottom, x, lanes_top))
        drawing.add(
            label(
                x,
                lanes_bottom - 13,
                compact(value),
                font=font,
                size=FONT_SIZE - 1,
                fill=MUTED,
                anchor="middle",
            )
        )
    zero = x_of(0.0)
    drawing.add(Line(zero, lanes_bottom, zero, lanes_top, strokeColor=INK, strokeWidth=1))
    if unit:
        shown = fit(unit, width, font, FONT_SIZE)
        drawing.add(label(0, height - 12, shown, font=font, size=FONT_SIZE, fill=MUTED))

    for i, (bar, value) in enumerate(zip(bars, values, strict=True)):
        y = lanes_top - i * LANE_HEIGHT - LANE_HEIGHT / 2
        drawing.add(lane_label(bar.label, y, width=label_width, font=font, size=FONT_SIZE))
        end = x_of(value)
        left, right = sorted((zero, end))
        if right > left:
            drawing.add(
                Rect(
                    left,
                    round(y - BAR_HEIGHT / 2, 2),
                    round(right - left, 2),
                    BAR_HEIGHT,
                    fillColor=BAR,
                    strokeColor=None,
                )
            )
        negative = value < 0
        drawing.add(
            label(
                end - VALUE_GAP if negative else end + VALUE_GAP,
                y - FONT_SIZE / 3,
                bar.shown,
                font=font,
                size=FONT_SIZE,
                anchor="end" if negative else "start",
            )
        )
    return drawing


def bar_chart_svg(
    bars: list[Bar], *, title: str, desc: str = "", unit: str = "", id_prefix: str = "bar-chart"
) -> Markup:
    """Render ``bar_chart(bars)`` as inline, accessible SVG for a web page.

    :param title: the chart's accessible name.
    :param desc: its description (say which table gives the same figures).
    :param id_prefix: prefix of the ids inside the SVG, unique on the page.
    :return: empty markup when there is no bar.
    """
    if not bars:
        return Markup("")
    return to_svg(bar_chart(bars, unit=unit), title=title, desc=desc, id_prefix=id_prefix)
