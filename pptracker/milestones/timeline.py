"""The milestone timeline: baseline against forecast or actual, as one reportlab drawing.

``build_drawing`` takes plain data, so the reports draw the same chart into
their PDFs; ``timeline`` turns a project's milestones into that data and
renders it as inline, accessible SVG for the web pages, with the rows of the
table that is its text alternative.
"""

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect
from reportlab.lib.colors import HexColor, white
from reportlab.pdfbase.pdfmetrics import stringWidth

from pptracker.charts import (
    BLUE,
    INK,
    MUTED,
    grid_line,
    label,
    lane_label,
    notice,
    shade_lanes,
    to_svg,
)
from pptracker.milestones import queries

#: The chart's accessible name, read out in place of the drawing.
TITLE = "Timeline: baseline against forecast or actual"

# Colours chosen for at least 4.5:1 against white (text and markers) and
# against the lane shading; red and green are never the only cue: the bar
# runs right of the baseline when late, and the table gives the numbers.
LATE = HexColor("#b3261e")
ON_TIME = HexColor("#1e7b34")
TODAY = BLUE

WIDTH = 720
LABEL_WIDTH = 190
RIGHT_MARGIN = 16
LANE_HEIGHT = 22
AXIS_HEIGHT = 24
LEGEND_HEIGHT = 30
FONT_SIZE = 9
MARKER = 5  # half the width of a marker
MIN_TICK_GAP = 44  # points between year labels, at least


@dataclass(frozen=True)
class TimelineItem:
    """One milestone as the chart needs it: plain values, no database object."""

    label: str
    baseline: date | None = None
    forecast: date | None = None
    actual: date | None = None

    @property
    def current(self) -> date | None:
        """Return the date that counts now: when it was met, else when it is expected."""
        return self.actual or self.forecast

    @property
    def dated(self) -> bool:
        """Tell whether the chart can place it (it has at least one date)."""
        return self.baseline is not None or self.current is not None


@dataclass(frozen=True)
class Timeline:
    """A rendered timeline: inline SVG (empty when nothing is dated) and its table rows."""

    svg: Markup
    rows: list[dict]

    @property
    def drawn(self) -> int:
        """Return how many milestones have a lane in the chart."""
        return sum(1 for row in self.rows if row["drawn"])


def _sort_key(milestone):
    # The order of ``queries.milestones_of``: baseline, else forecast date.
    first = milestone.baseline_date or milestone.forecast_date or milestone.actual_date
    # Undated milestones go last; ties keep the order they were entered in.
    return (first is None, first or date.min, milestone.id or 0, milestone.title)


def timeline(milestones, *, today: date, id_prefix: str = "milestone-timeline") -> Timeline:
    """Chart ``milestones`` (ordered by date) and list them for the table beside it.

    :param milestones: ``Milestone`` rows (deleted ones are left out).
    :param today: the date the "today" line marks and overdue is judged on.
    :param id_prefix: prefix of the ids inside the SVG, unique on the page.
    :return: the SVG (empty markup when no milestone has a date) and the rows.
    """
    ordered = sorted((m for m in milestones if not getattr(m, "is_deleted", False)), key=_sort_key)
    items = [
        TimelineItem(m.title, m.baseline_date, m.forecast_date, m.actual_date) for m in ordered
    ]
    rows = [
        {
            "id": m.id,
            "title": m.title,
            "baseline": m.baseline_date,
            "forecast": m.forecast_date,
            "actual": m.actual_date,
            "status": m.status,
            "slippage_days": queries.slippage_days(m),
            "overdue": queries.is_overdue(m, today=today),
            "drawn": item.dated,
        }
        for m, item in zip(ordered, items, strict=True)
    ]
    dated = [item for item in items if item.dated]
    if not dated:
        return Timeline(Markup(""), rows)
    drawing = build_drawing(dated, today)
    start, end = _date_range(dated, today)
    desc = (
        f"{len(dated)} milestone{'' if len(dated) == 1 else 's'} from {start.year} to "
        f"{end.year - 1}. Each lane shows the baseline date as a hollow diamond and the "
        "forecast (circle) or actual (filled diamond) date, joined by a bar: red when later "
        "than the baseline, green when earlier or on time. A dashed blue line marks today. "
        "The table that follows gives the same dates."
    )
    return Timeline(to_svg(drawing, title=TITLE, desc=desc, id_prefix=id_prefix), rows)


def _date_range(items, today: date) -> tuple[date, date]:
    """Return whole years covering every date and today: [1 Jan first, 1 Jan after last]."""
    dates = [d for item in items for d in (item.baseline, item.forecast, item.actual) if d]
    dates.append(today)
    return date(min(dates).year, 1, 1), date(max(dates).year + 1, 1, 1)


def _diamond(x: float, y: float, *, filled: bool) -> Polygon:
    r = MARKER + 1
    return Polygon(
        [x - r, y, x, y + r, x + r, y, x, y - r],
        fillColor=INK if filled else white,
        strokeColor=INK,
        strokeWidth=1.5,
    )


def _dot(x: float, y: float) -> Circle:
    return Circle(x, y, MARKER - 0.5, fillColor=INK, strokeColor=INK, strokeWidth=1)


def _today_line(x: float, bottom: float, top: float) -> PolyLine:
    # A PolyLine, not a Line: renderSVG closes a Line's path, which draws it
    # twice and fills in the dashes.
    return PolyLine([x, bottom, x, top], strokeColor=TODAY, strokeWidth=1.5, strokeDashArray=[4, 3])


def build_drawing(items: list[TimelineItem], today: date, *, font: str = "Helvetica") -> Drawing:
    """Draw a Gantt-style timeline, one lane per item, in the order given.

    Items without any date are skipped (the table lists them). The same
    items and ``today`` always give the same drawing.

    :param items: what to draw, already ordered.
    :param today: where the "today" line goes; the time axis always includes it.
    :param font: a registered font name (the PDFs pass their Unicode TTF font).
    :return: a drawing ``WIDTH`` points wide; a short notice when nothing is dated.
    """
    items = [item for item in items if item.dated]
    if not items:
        return notice("No dated milestones yet.", font, WIDTH)

    height = AXIS_HEIGHT + LANE_HEIGHT * len(items) + LEGEND_HEIGHT
    drawing = Drawing(WIDTH, height)
    plot_left = LABEL_WIDTH
    plot_width = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    lanes_top = height - AXIS_HEIGHT
    lanes_bottom = LEGEND_HEIGHT
    start, end = _date_range(items, today)
    step = 1
    while (end.year - start.year) / step * MIN_TICK_GAP > plot_width:
        step += 1
    if step > 1:
        start = date(start.year - start.year % step, 1, 1)
        end = date(end.year + (-end.year) % step, 1, 1)
    span = (end - start).days

    def x_of(day: date) -> float:
        return round(plot_left + (day - start).days / span * plot_width, 2)

    shade_lanes(drawing, top=lanes_top, count=len(items), height=LANE_HEIGHT, width=WIDTH)

    # Year ticks: as many as fit, on 1 January. Several years a tick start
    # on a round year (2004, 2008 …), each label under its tick; one year a
    # tick, the label heads its year.
    for year in range(start.year, end.year + 1, step):
        x = x_of(date(year, 1, 1))
        drawing.add(grid_line(x, lanes_bottom, x, lanes_top))
        if step == 1:
            if year == end.year:
                continue
            x = (x + x_of(date(year + 1, 1, 1))) / 2
        drawing.add(label(x, lanes_top + 8, str(year), font=font, size=FONT_SIZE, anchor="middle"))
    drawing.add(
        Line(
            plot_left,
            lanes_top,
            plot_left + plot_width,
            lanes_top,
            strokeColor=MUTED,
            strokeWidth=1,
        )
    )

    for i, item in enumerate(items):
        y = lanes_top - i * LANE_HEIGHT - LANE_HEIGHT / 2
        drawing.add(
            lane_label(item.label, y, width=LABEL_WIDTH, font=font, size=FONT_SIZE, spare=0.85)
        )
        current = item.current
        if item.baseline and current and current != item.baseline:
            late = current > item.baseline
            left, right = sorted((x_of(item.baseline), x_of(current)))
            drawing.add(
                Rect(
                    left,
                    y - 3,
                    round(right - left, 2),
                    6,
                    strokeColor=None,
                    fillColor=LATE if late else ON_TIME,
                )
            )
        if item.baseline:
            drawing.add(_diamond(x_of(item.baseline), y, filled=False))
        if item.actual:
            drawing.add(_diamond(x_of(item.actual), y, filled=True))
        elif item.forecast:
            drawing.add(_dot(x_of(item.forecast), y))

    today_x = x_of(today)
    drawing.add(_today_line(today_x, lanes_bottom, lanes_top + 4))

    _legend(drawing, font)
    return drawing


def _legend(drawing: Drawing, font: str) -> None:
    """Explain the markers along the bottom edge."""
    y = 10
    x = 6.0

    def explain(text: str) -> None:
        nonlocal x
        drawing.add(label(x, y - FONT_SIZE / 3, text, font=font, size=FONT_SIZE))
        x += stringWidth(text, font, FONT_SIZE) + 16

    drawing.add(_diamond(x + MARKER, y, filled=False))
    x += 2 * MARKER + 6
    explain("Baseline")
    drawing.add(_dot(x + MARKER, y))
    x += 2 * MARKER + 6
    explain("Forecast")
    drawing.add(_diamond(x + MARKER, y, filled=True))
    x += 2 * MARKER + 6
    explain("Actual")
    for colour, text in ((LATE, "Later than baseline"), (ON_TIME, "Earlier or on time")):
        drawing.add(Rect(x, y - 3, 18, 6, fillColor=colour, strokeColor=None))
        x += 24
        explain(text)
    drawing.add(_today_line(x, y - 6, y + 6))
    x += 6
    explain("Today")
