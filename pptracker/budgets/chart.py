"""The budget chart: planned against committed and paid, per budget line, as one drawing.

``build_drawing`` takes plain data (``BudgetBar`` rows), so the PDF reports
draw it and the web pages can render the very same drawing as inline SVG
(``budget_chart``, through ``pptracker.charts.to_svg``). The variance
table beside it is its text alternative.

Each line gets three horizontal bars, always in the same order: planned
(hollow), committed (solid brown) and paid (solid blue). Colour is never the
only cue: every bar is labelled with what it is and its amount, and the fills
differ (hollow against solid).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from markupsafe import Markup
from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.lib.colors import HexColor, white

from pptracker.charts import (
    BLUE,
    INK,
    LANE_SHADE,  # noqa: F401 - part of this chart's palette (the bars are checked against it)
    MUTED,
    compact,
    grid_line,
    label,
    lane_label,
    legend,
    nice_step,
    notice,
    shade_lanes,
    to_svg,
)

#: The chart's accessible name, read out in place of the drawing.
TITLE = "Budget against actual, by budget line"

# Every colour has at least 4.5:1 contrast against white (text and bars).
COMMITTED = HexColor("#8a4500")  # 7.2:1
PAID = BLUE  # 7.2:1

WIDTH = 720
LABEL_WIDTH = 180  # the line names
VALUE_WIDTH = 170  # room right of the longest bar for its label
AXIS_HEIGHT = 26
LEGEND_HEIGHT = 30
BAR = 9  # the thickness of a bar
BAR_GAP = 2
GROUP_PAD = 12  # space between two lines' groups
FONT_SIZE = 10
VALUE_SIZE = 9
TICKS = 5

T = TypeVar("T")

#: At most this many lines in one drawing; ``chunks`` splits longer budgets.
MAX_LINES = 14

GROUP_HEIGHT = 3 * BAR + 2 * BAR_GAP + GROUP_PAD


@dataclass(frozen=True)
class BudgetBar:
    """One budget line as the chart needs it: plain values, no database object.

    ``planned`` is None for the row of transactions recorded without a line.
    """

    label: str
    planned: Decimal | None
    committed: Decimal
    paid: Decimal

    @property
    def over_committed(self) -> bool:
        """Tell whether more is committed than planned."""
        return self.planned is not None and self.committed > self.planned


@dataclass(frozen=True)
class Chart:
    """A rendered chart: inline SVG (empty when there is nothing to draw)."""

    svg: Markup


def chunks(rows: Sequence[T], size: int = MAX_LINES) -> list[list[T]]:
    """Split ``rows`` into drawings of at most ``size`` lines, so none is taller than a page.

    The pieces are balanced (30 lines with ``size`` 14 make three drawings of 10).
    Any chart drawn one row a lane can use it (the reports chunk the timeline too).
    """
    if not rows:
        return []
    count = math.ceil(len(rows) / size)
    per = math.ceil(len(rows) / count)
    return [list(rows[i : i + per]) for i in range(0, len(rows), per)]


def largest(rows: list[BudgetBar]) -> Decimal:
    """Return the largest amount among ``rows`` (pass it as ``scale_max`` to every chunk)."""
    return max(
        (v for r in rows for v in (r.planned, r.committed, r.paid) if v is not None),
        default=Decimal(0),
    )


def build_drawing(
    rows: list[BudgetBar],
    *,
    currency: str,
    font: str = "Helvetica",
    scale_max: Decimal | None = None,
) -> Drawing:
    """Draw planned, committed and paid as grouped horizontal bars, one group per line.

    The same rows always give the same drawing. Pass at most ``MAX_LINES``
    rows (split with ``chunks``), and the same ``scale_max`` to every piece so
    their bars compare.

    :param rows: the lines to draw, in order.
    :param currency: what the amounts are in, written above the axis.
    :param font: a registered font name (the PDFs pass their Unicode TTF font).
    :param scale_max: the amount the axis must reach (default: the largest in ``rows``).
    :return: a drawing ``WIDTH`` points wide; a short notice when there is no line.
    """
    if not rows:
        return notice("No budget line or transaction yet.", font, WIDTH)
    top_amount = float(max(scale_max or 0, largest(rows)))
    step = nice_step(top_amount, TICKS) if top_amount > 0 else 1.0
    ticks = max(1, math.ceil(top_amount / step - 1e-9))
    top = step * ticks

    height = AXIS_HEIGHT + GROUP_HEIGHT * len(rows) + LEGEND_HEIGHT
    drawing = Drawing(WIDTH, height)
    plot_left = LABEL_WIDTH
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    groups_top = height - AXIS_HEIGHT
    groups_bottom = LEGEND_HEIGHT

    def x_of(amount: Decimal) -> float:
        return round(plot_left + float(amount) / top * plot_width, 2)

    shade_lanes(drawing, top=groups_top, count=len(rows), height=GROUP_HEIGHT, width=WIDTH)

    # The axis: amounts along the top, a grid line at each tick.
    for i in range(ticks + 1):
        amount = step * i
        x = x_of(Decimal(str(amount)))
        drawing.add(grid_line(x, groups_bottom, x, groups_top))
        drawing.add(
            label(x, groups_top + 8, compact(amount), font=font, size=FONT_SIZE, anchor="middle")
        )
    drawing.add(
        label(6, groups_top + 8, f"Amounts in {currency}", font=font, size=FONT_SIZE, fill=MUTED)
    )
    drawing.add(Line(plot_left, groups_bottom, plot_left, groups_top, strokeColor=MUTED))

    for i, row in enumerate(rows):
        group_top = groups_top - i * GROUP_HEIGHT - GROUP_PAD / 2
        centre = group_top - (3 * BAR + 2 * BAR_GAP) / 2
        drawing.add(
            lane_label(row.label, centre, width=LABEL_WIDTH, font=font, size=FONT_SIZE, spare=0.9)
        )
        bars = (
            ("planned", row.planned, white, INK),
            ("committed", row.committed, COMMITTED, COMMITTED),
            ("paid", row.paid, PAID, PAID),
        )
        for j, (name, amount, fill, stroke) in enumerate(bars):
            y = group_top - (j + 1) * BAR - j * BAR_GAP
            if amount is None:
                text = f"{name}: none"
                end = plot_left
            else:
                end = x_of(amount)
                if end > plot_left:
                    drawing.add(
                        Rect(
                            plot_left,
                            y,
                            round(end - plot_left, 2),
                            BAR,
                            fillColor=fill,
                            strokeColor=stroke,
                            strokeWidth=0.8,
                        )
                    )
                text = f"{name} {compact(amount)}"
                if name == "committed" and row.over_committed:
                    text += " (over plan)"
            drawing.add(label(end + 4, y + 1.5, text, font=font, size=VALUE_SIZE))

    _legend(drawing, font)
    return drawing


def _legend(drawing: Drawing, font: str) -> None:
    """Explain the three bars along the bottom edge."""
    legend(
        drawing,
        (
            (white, INK, "Planned (hollow bar)"),
            (COMMITTED, COMMITTED, "Committed (brown)"),
            (PAID, PAID, "Paid (blue)"),
        ),
        font=font,
        size=FONT_SIZE,
        box=(16, BAR),
        box_drop=4.5,
        stroke_width=0.8,
    )


def description(rows: list[BudgetBar], currency: str) -> str:
    """Describe the chart in words, for its accessible description."""
    return (
        f"Horizontal bar chart of {len(rows)} budget line{'' if len(rows) == 1 else 's'}, in "
        f"{currency}: for each line a hollow bar is the planned amount, a brown bar the amount "
        "committed and a blue bar the amount paid, each labelled with its amount. The table "
        "that follows gives the exact figures."
    )


def budget_chart(
    rows: list[BudgetBar], *, currency: str, id_prefix: str = "budget-chart"
) -> list[Chart]:
    """Render the chart as inline, accessible SVG for a web page, one piece per chunk.

    :return: no chart when there is no line.
    """
    scale = largest(rows)
    return [
        Chart(
            to_svg(
                build_drawing(piece, currency=currency, scale_max=scale),
                title=TITLE,
                desc=description(piece, currency),
                id_prefix=f"{id_prefix}-{n}",
            )
        )
        for n, piece in enumerate(chunks(rows), start=1)
    ]
