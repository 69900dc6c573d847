"""The milestone timeline: baseline against forecast or actual, as one reportlab drawing.

``build_drawing`` takes plain data, so the reports draw the same chart into
their PDFs; ``timeline`` turns a project's milestones into that data and
renders it as inline, accessible SVG for the web pages, with the rows of the
table that is its text alternative.
"""

import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib.colors import HexColor, white
from reportlab.pdfbase.pdfmetrics import stringWidth

from pptracker.milestones import queries

#: The chart's accessible name, read out in place of the drawing.
TITLE = "Timeline: baseline against forecast or actual"

# Colours chosen for at least 4.5:1 against white (text and markers) and
# against the lane shading; red and green are never the only cue: the bar
# runs right of the baseline when late, and the table gives the numbers.
INK = HexColor("#1a1a1a")
MUTED = HexColor("#595959")
GRID = HexColor("#c4c4c4")
LANE_SHADE = HexColor("#f2f4f7")
LATE = HexColor("#b3261e")
ON_TIME = HexColor("#1e7b34")
TODAY = HexColor("#0b57a4")

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


def _fit(text: str, width: float, font: str, size: float) -> str:
    """Return ``text`` cut with an ellipsis so it fits ``width`` points.

    A browser may draw the SVG with a wider font than the metrics used here,
    so the label is cut with some room to spare.
    """
    width *= 0.85
    text = " ".join(text.split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


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
        drawing = Drawing(WIDTH, 30)
        drawing.add(
            String(0, 10, "No dated milestones yet.", fontName=font, fontSize=10, fillColor=INK)
        )
        return drawing

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

    # Lanes: shaded every other one so the eye can follow a row across.
    for i in range(0, len(items), 2):
        lane_bottom = lanes_top - (i + 1) * LANE_HEIGHT
        drawing.add(
            Rect(0, lane_bottom, WIDTH, LANE_HEIGHT, fillColor=LANE_SHADE, strokeColor=None)
        )

    # Year ticks: as many as fit, on 1 January. Several years a tick start
    # on a round year (2004, 2008 …), each label under its tick; one year a
    # tick, the label heads its year.
    for year in range(start.year, end.year + 1, step):
        x = x_of(date(year, 1, 1))
        drawing.add(Line(x, lanes_bottom, x, lanes_top, strokeColor=GRID, strokeWidth=0.75))
        if step == 1:
            if year == end.year:
                continue
            x = (x + x_of(date(year + 1, 1, 1))) / 2
        drawing.add(
            String(
                x,
                lanes_top + 8,
                str(year),
                fontName=font,
                fontSize=FONT_SIZE,
                fillColor=INK,
                textAnchor="middle",
            )
        )
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
            String(
                6,
                y - FONT_SIZE / 3,
                _fit(item.label, LABEL_WIDTH - 12, font, FONT_SIZE),
                fontName=font,
                fontSize=FONT_SIZE,
                fillColor=INK,
            )
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

    def label(text: str) -> None:
        nonlocal x
        drawing.add(
            String(x, y - FONT_SIZE / 3, text, fontName=font, fontSize=FONT_SIZE, fillColor=INK)
        )
        x += stringWidth(text, font, FONT_SIZE) + 16

    drawing.add(_diamond(x + MARKER, y, filled=False))
    x += 2 * MARKER + 6
    label("Baseline")
    drawing.add(_dot(x + MARKER, y))
    x += 2 * MARKER + 6
    label("Forecast")
    drawing.add(_diamond(x + MARKER, y, filled=True))
    x += 2 * MARKER + 6
    label("Actual")
    for colour, text in ((LATE, "Later than baseline"), (ON_TIME, "Earlier or on time")):
        drawing.add(Rect(x, y - 3, 18, 6, fillColor=colour, strokeColor=None))
        x += 24
        label(text)
    drawing.add(_today_line(x, y - 6, y + 6))
    x += 6
    label("Today")


_STYLE = re.compile(r' style="([^"]*)"')
_ID = re.compile(r'\bid="([^"]+)"')


def _style_to_attributes(match: re.Match) -> str:
    # The site's Content-Security-Policy forbids inline style attributes, so
    # renderSVG's styles become the equivalent SVG presentation attributes.
    declarations = {}
    for part in match.group(1).split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            value = value.strip()
            declarations[name.strip()] = "none" if value.lower() == "none" else value
    return "".join(f' {name}="{value}"' for name, value in declarations.items())


def to_svg(drawing: Drawing, *, title: str, desc: str = "", id_prefix: str = "chart") -> Markup:
    """Render ``drawing`` as an ``<svg>`` element to inline in an HTML page.

    The XML prolog goes, the element gets ``role="img"`` and an accessible
    name and description, ids are prefixed so two charts can share a page,
    and styles become presentation attributes (the CSP allows no inline style).
    Text in the drawing is escaped by renderSVG; ``title`` and ``desc`` here.

    :return: markup safe to output as is.
    """
    from markupsafe import escape

    svg = renderSVG.drawToString(drawing)
    svg = svg[svg.index("<svg") :].strip()
    svg = _STYLE.sub(_style_to_attributes, svg)
    # Helvetica is rarely installed outside macOS; offer the usual stand-ins.
    svg = svg.replace('font-family="Helvetica"', 'font-family="Helvetica, Arial, sans-serif"')
    ids = dict.fromkeys(_ID.findall(svg))
    for old in ids:
        svg = svg.replace(f'id="{old}"', f'id="{id_prefix}-{old}"')
        svg = svg.replace(f"url(#{old})", f"url(#{id_prefix}-{old})")
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    title_element = f'<title id="{title_id}">{escape(title)}</title>'
    desc_element = f'<desc id="{desc_id}">{escape(desc)}</desc>' if desc else ""
    # Functions as replacements: the texts are literal, backslashes included.
    svg = re.sub(r"<title>.*?</title>", lambda _m: title_element, svg, count=1, flags=re.S)
    svg = re.sub(r"<desc>.*?</desc>", lambda _m: desc_element, svg, count=1, flags=re.S)
    described = f' aria-describedby="{desc_id}"' if desc else ""
    svg = svg.replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{title_id}"{described} class="chart" ',
        1,
    )
    return Markup(svg)  # noqa: S704 - renderSVG escaped the text; title and desc above
