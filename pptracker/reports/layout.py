"""What every report's pages share: styles, safe text, tables, the footer, and the build.

User text reaches reportlab only through ``para`` and ``cell``, which escape
it: a project called ``<font size=40>`` prints those characters, it does not
change the type. Our own markup is written with ``markup``, which escapes the
values it is given.

``build`` makes the output reproducible: reportlab's invariant mode (no
random document id, no clock), the PDF creation date taken from the data,
and "Page x of y" drawn after the last page is known.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from pptracker.formatting import format_datetime
from pptracker.reports import fonts

FONT = fonts.register()

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#595959")
RULE = colors.HexColor("#c4c4c4")
HEAD_FILL = colors.HexColor("#e8edf3")
ZEBRA = colors.HexColor("#f6f8fa")
NOTICE_FILL = colors.HexColor("#fff4e0")

MARGIN = 16 * mm
FOOTER_HEIGHT = 12 * mm


#: Every table starts in the report's font (reportlab's default is Helvetica,
#: which would be left in the file unembedded even when no cell uses it).
BASE_TABLE_STYLE = (("FONTNAME", (0, 0), (-1, -1), FONT),)


def _style(name: str, size: float, *, leading: float | None = None, **kw) -> ParagraphStyle:
    kw.setdefault("textColor", INK)
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=leading or size * 1.25, **kw)


STYLES = {
    "title": _style("title", 22, leading=27, spaceAfter=6),
    "subtitle": _style("subtitle", 13, textColor=MUTED, spaceAfter=10),
    "h1": _style("h1", 15, spaceBefore=10, spaceAfter=5),
    "h2": _style("h2", 12, spaceBefore=8, spaceAfter=3),
    "body": _style("body", 9.5, spaceAfter=4),
    "small": _style("small", 8, textColor=MUTED),
    "cell": _style("cell", 8.5, leading=10.5),
    "cell_right": _style("cell_right", 8.5, leading=10.5, alignment=TA_RIGHT),
    "head": _style("head", 8.5, leading=10.5),
    "head_right": _style("head_right", 8.5, leading=10.5, alignment=TA_RIGHT),
    "notice": _style("notice", 8.5, leading=10.5),
}


def markup(template: str, *args, **kwargs) -> str:
    """Return ``template.format(...)`` with every value escaped for reportlab's markup."""
    return template.format(
        *(escape(str(a)) for a in args), **{k: escape(str(v)) for k, v in kwargs.items()}
    )


def para(text, style: str = "body") -> Paragraph:
    """Return a paragraph of plain (user) text: escaped, with line breaks kept."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), STYLES[style])


def rich(marked_up: str, style: str = "body") -> Paragraph:
    """Return a paragraph of markup built with ``markup`` (never raw user text)."""
    return Paragraph(marked_up, STYLES[style])


def heading(text: str, level: int = 1) -> list[Flowable]:
    """Return a section heading that is never left alone at the foot of a page."""
    return [CondPageBreak(30 * mm if level == 1 else 20 * mm), para(text, f"h{level}")]


def cell(value, *, right: bool = False, bold: bool = False) -> Paragraph:
    """Return a wrapping table cell of plain text (numbers right-aligned when asked)."""
    text = escape("" if value is None else str(value))
    if bold:
        text = f"<b>{text}</b>"
    return Paragraph(text, STYLES["cell_right" if right else "cell"])


#: Padding inside table cells, in points.
CELL_PADDING = 3


def _plain_cell(value, width: float, *, bold: bool = False) -> str:
    style = STYLES["cell"]
    font = fonts.BOLD if bold else FONT
    text = "" if value is None else str(value)
    return "\n".join(simpleSplit(text, font, style.fontSize, width - 2 * CELL_PADDING))


def table(
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    widths: Sequence[float],
    right: Iterable[int] = (),
    plain: Iterable[int] = (),
    total: Sequence | None = None,
    empty: str = "None recorded.",
) -> Flowable:
    """Return a table whose header repeats on every page it spans.

    A row taller than a page splits across pages.

    :param rows: each value is plain text (escaped into a wrapping ``cell``)
        or a ready flowable (a paragraph of ``markup``, a nested table).
    :param right: indexes of the columns to right-align (amounts, counts).
    :param plain: indexes of columns of short text of our own (dates, amounts,
        codes): drawn as strings, wrapped at spaces, at a fraction of the cost
        of a paragraph, which is what lets thousands of rows build in seconds.
        A string in a table is never read as markup.
    :param total: an optional last row, in bold.
    :param empty: what to print instead when there is no row.
    """
    right, plain = set(right), set(plain)

    def make(value, i: int, bold: bool = False):
        if isinstance(value, Flowable):
            return value
        if i in plain:
            return _plain_cell(value, widths[i], bold=bold)
        return cell(value, right=i in right, bold=bold)

    body = [[make(v, i) for i, v in enumerate(row)] for row in rows]
    if not body:
        return para(empty, "small")
    data = [[rich(escape(h), "head_right" if i in right else "head") for i, h in enumerate(header)]]
    data += body
    if total is not None:
        data.append([make(v, i, bold=True) for i, v in enumerate(total)])
    text = STYLES["cell"]
    style = [
        *BASE_TABLE_STYLE,
        ("FONTSIZE", (0, 0), (-1, -1), text.fontSize),
        ("LEADING", (0, 0), (-1, -1), text.leading),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    style += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in sorted(right & plain)]
    style += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(data), 2)]
    if total is not None:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 0.6, INK))
        if plain:
            style.append(("FONTNAME", (0, -1), (-1, -1), fonts.BOLD))
    return Table(data, colWidths=list(widths), repeatRows=1, splitInRow=1, style=TableStyle(style))


def key_values(pairs: Iterable[tuple[str, object]], *, widths=(45 * mm, 120 * mm)) -> Flowable:
    """Return a two-column table of labels and values (the cover's key facts)."""
    data = [
        [cell(label, bold=True), cell(value if value is not None else "–")]
        for label, value in pairs
    ]
    return Table(
        data,
        colWidths=list(widths),
        hAlign="LEFT",
        style=TableStyle(
            [
                *BASE_TABLE_STYLE,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )


def notices(items: Iterable, *, width: float) -> list[Flowable]:
    """Return the redaction notices (``disclosure.Redacted``) as a shaded box, or nothing.

    Each says what is withheld and why, so a reader knows something is missing.
    """
    rows = [[cell(markup("Withheld: {} — {}", item.label, item.reason))] for item in items]
    if not rows:
        return []
    return [
        Spacer(1, 2),
        Table(
            rows,
            colWidths=[width],
            style=TableStyle(
                [
                    *BASE_TABLE_STYLE,
                    ("BACKGROUND", (0, 0), (-1, -1), NOTICE_FILL),
                    ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ]
            ),
        ),
        Spacer(1, 4),
    ]


def fit(drawing: Drawing, width: float) -> Drawing:
    """Prepare a chart for the page: scaled down (never up) to ``width`` points.

    Every drawing goes through here: it also starts the drawing in the
    report's font, so no unembedded Helvetica is left in the file.
    """
    drawing.initialFontName = FONT
    if drawing.width <= width:
        return drawing
    factor = width / drawing.width
    drawing.scale(factor, factor)
    drawing.width, drawing.height = width, drawing.height * factor
    return drawing


def qr_code(url: str, size: float = 28 * mm) -> Drawing:
    """Return a QR code of ``url``, ``size`` points square."""
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return fit(drawing, size)


def keep(*flowables: Flowable) -> KeepTogether:
    """Keep a heading with what follows it (a short table, a chart)."""
    return KeepTogether(list(flowables))


@dataclass(frozen=True)
class Meta:
    """What the document says about itself: title, footer line and PDF metadata.

    :param as_of: the time of the data shown; it becomes the PDF creation date.
    :param footer: the left-hand footer line (report name, data as of, chain head).
    """

    title: str
    subject: str
    as_of: datetime
    footer: str
    landscape: bool = False


def footer_line(report: str, version) -> str:
    """Return the footer every page of a report carries: what, as of when, which chain head."""
    return (
        f"{report} · data as of {format_datetime(version.at)} · audit chain: "
        f"{version.seq} events, head {version.hash[:16]}…"
    )


def provenance(version, *, url: str | None = None) -> list[Flowable]:
    """Return the "data as of" block: the time, the chain head in full, and how to check it.

    :param url: the public page the report belongs to, printed and QR-coded.
    """
    lines = [
        key_values(
            [
                ("Data as of", format_datetime(version.at)),
                ("Audit chain head", f"event {version.seq}, hash {version.hash}"),
            ]
        ),
        rich(
            markup(
                "Anyone holding the audit key can prove the history up to this report is "
                "intact: <i>flask --app pptracker audit verify --head {}</i>",
                version.hash,
            ),
            "small",
        ),
    ]
    if url:
        lines.append(Spacer(1, 4))
        lines.append(
            Table(
                [[qr_code(url), rich(markup("Online: <b>{}</b>", url))]],
                colWidths=[32 * mm, None],
                hAlign="LEFT",
                style=TableStyle([*BASE_TABLE_STYLE, ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
            )
        )
    return lines


def _pdf_date(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


class _NumberedCanvas(Canvas):
    """Holds every page until the end, then draws "Page x of y" on each.

    Also sets the PDF creation date to the data's time instead of the clock.
    """

    meta: Meta  # set by ``build`` on a subclass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        date = _pdf_date(self.meta.as_of)
        self.setDateFormatter(lambda *_: date)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        width, _ = self._pagesize
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, FOOTER_HEIGHT, width - MARGIN, FOOTER_HEIGHT)
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, FOOTER_HEIGHT - 10, self.meta.footer)
        self.drawRightString(width - MARGIN, FOOTER_HEIGHT - 10, f"Page {number} of {total}")
        self.restoreState()


def page_size(meta: Meta) -> tuple[float, float]:
    """Return the page size of a report: A4, portrait or landscape."""
    return landscape(A4) if meta.landscape else A4


def frame_width(meta: Meta) -> float:
    """Return the width the story flows in, in points."""
    return page_size(meta)[0] - 2 * MARGIN


def build(story: list[Flowable], meta: Meta) -> bytes:
    """Lay out ``story`` and return the PDF's bytes: the same story and meta, the same bytes."""
    size = page_size(meta)
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOTER_HEIGHT + 6 * mm,
        title=meta.title,
        subject=meta.subject,
        author="pptracker",
        creator="pptracker",
        producer="pptracker (reportlab)",
        invariant=1,
        initialFontName=FONT,
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", showBoundary=0
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    canvas = type("ReportCanvas", (_NumberedCanvas,), {"meta": meta})
    doc.build(story, canvasmaker=canvas)
    return buffer.getvalue()


__all__ = [
    "BASE_TABLE_STYLE",
    "FONT",
    "STYLES",
    "Meta",
    "Spacer",
    "build",
    "cell",
    "fit",
    "footer_line",
    "frame_width",
    "heading",
    "keep",
    "key_values",
    "markup",
    "notices",
    "para",
    "provenance",
    "qr_code",
    "rich",
    "table",
]
