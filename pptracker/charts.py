"""What every chart drawing shares: the palette, the scale, labels, lanes, legend and SVG.

The charts (``milestones.timeline``, ``budgets.chart``, ``operations.demand_chart``
and ``reports.charts``) are reportlab drawings built from plain data, so the
PDF reports and the web pages draw the very same chart; ``to_svg`` renders
one as inline, accessible SVG for a page.

The helpers keep the numbers they are given as they are (an ``int`` stays an
``int``): the SVG writes them as Python prints them, so a chart's output is
the same whichever module draws it.
"""

import math
import re
from collections.abc import Iterable
from decimal import Decimal

from markupsafe import Markup, escape
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth

# Text and markers have at least 4.5:1 contrast against white and against
# the lane shading; BLUE (7.2:1 on white) fills bars and marks today.
INK = HexColor("#1a1a1a")  # 17.4:1
MUTED = HexColor("#595959")  # 7.0:1
GRID = HexColor("#c4c4c4")
LANE_SHADE = HexColor("#f2f4f7")
BLUE = HexColor("#0b57a4")  # 7.2:1


def nice_step(span: float, ticks: int, *, integers: bool = False) -> float:
    """Return a round tick step (1, 2, 2.5 or 5 × 10ⁿ) cutting ``span`` into about ``ticks``.

    :param integers: a whole step, at least 1 (for counts).
    """
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = 10 * magnitude
    for factor in (1, 2, 2.5, 5):
        if raw <= factor * magnitude:
            step = factor * magnitude
            break
    if integers:
        step = max(1, math.ceil(step))
    return step


def compact(value: Decimal | float) -> str:
    """Return an amount as people read it on a chart (1.5M, 250k, 12.5)."""
    number = float(value)
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= size:
            return f"{number / size:.2f}".rstrip("0").rstrip(".") + suffix
    return f"{number:.2f}".rstrip("0").rstrip(".") or "0"


def fit(text: str, width: float, font: str, size: float, *, spare: float = 1.0) -> str:
    """Return ``text`` on one line, cut with an ellipsis to fit ``width`` points.

    :param spare: the share of ``width`` to fill: a browser may draw the SVG
        with a wider font than the metrics used here, so the web charts keep
        some room to spare (0.9 keeps a tenth).
    """
    width *= spare
    text = " ".join(str(text).split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def label(
    x: float,
    y: float,
    text: str,
    *,
    font: str,
    size: float,
    fill: Color = INK,
    anchor: str = "start",
) -> String:
    """Return ``text`` at (``x``, ``y``) in ``font``."""
    return String(x, y, text, fontName=font, fontSize=size, fillColor=fill, textAnchor=anchor)


def lane_label(
    text: str, y: float, *, width: float, font: str, size: float, spare: float = 1.0
) -> String:
    """Return the label of the lane centred on ``y``, fitted to the ``width`` left of the plot."""
    shown = fit(text, width - 12, font, size, spare=spare)
    return label(6, y - size / 3, shown, font=font, size=size)


def notice(text: str, font: str, width: float) -> Drawing:
    """Return a drawing of one short line, in place of a chart with nothing to draw."""
    drawing = Drawing(width, 30)
    drawing.add(label(0, 10, text, font=font, size=10))
    return drawing


def grid_line(x1: float, y1: float, x2: float, y2: float) -> Line:
    """Return a line of the grid, from (``x1``, ``y1``) to (``x2``, ``y2``)."""
    return Line(x1, y1, x2, y2, strokeColor=GRID, strokeWidth=0.75)


def shade_lanes(drawing: Drawing, *, top: float, count: int, height: float, width: float) -> None:
    """Shade every other lane below ``top``, the first included, so the eye can follow a row."""
    for i in range(0, count, 2):
        drawing.add(
            Rect(0, top - (i + 1) * height, width, height, fillColor=LANE_SHADE, strokeColor=None)
        )


def legend(
    drawing: Drawing,
    entries: Iterable[tuple[Color, Color, str]],
    *,
    font: str,
    size: float,
    box: tuple[float, float],
    box_drop: float,
    stroke_width: float,
) -> None:
    """Explain the bars along the bottom edge: a box of each fill and stroke, and its text.

    :param entries: ``(fill, stroke, text)`` of each kind of bar, left to right.
    :param box: the width and height of a box.
    :param box_drop: how far a box's bottom is below the text's line.
    """
    y, x = 10, 6.0
    box_width, box_height = box
    for fill, stroke, text in entries:
        drawing.add(
            Rect(
                x,
                y - box_drop,
                box_width,
                box_height,
                fillColor=fill,
                strokeColor=stroke,
                strokeWidth=stroke_width,
            )
        )
        x += box_width + 6
        drawing.add(label(x, y - size / 3, text, font=font, size=size))
        x += stringWidth(text, font, size) + 18


# --- SVG for the web pages ----------------------------------------------------------------

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
