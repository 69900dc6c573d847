"""The public portfolio report: every published project in one table, charts and totals.

``render`` turns ``portfolio_data.PortfolioReportData`` into PDF bytes
without touching the database: the same data, the same bytes. Landscape,
so the nine columns of the project table stay readable.
"""

from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Table, TableStyle

from pptracker.formatting import format_datetime, format_money
from pptracker.reports import charts, layout
from pptracker.reports.portfolio_data import Count, PortfolioReportData, PortfolioRow

TITLE = "Portfolio report"

#: The project code under its title, muted (7:1 on white and on the zebra rows).
CODE_COLOUR = "#" + layout.MUTED.hexval()[2:]

#: Marks a contract value that leaves out a withheld one.
WITHHELD_MARK = "*"

#: The project table: header, relative widths (scaled to the page), right-aligned columns.
COLUMNS = (
    ("Project and code", 24),
    ("Sector", 11),
    ("Status", 10),
    ("Public authority", 17),
    ("Contract value", 15.5),
    ("Complete", 7),
    ("Slippage (days)", 7.5),
    ("Budget executed", 8),
)
RIGHT = (4, 5, 6, 7)

DEFINITIONS = (
    (
        "Contract value",
        "the current value (the value at signature as amended since) of the project's "
        f"contracts, in each contract's currency. {WITHHELD_MARK} marks a project some of whose "
        "contract values are withheld from the public: the value shown leaves them out.",
    ),
    (
        "Complete",
        "physical progress: the average of the milestones' percent complete, weighted by "
        "each milestone's weight; cancelled milestones do not count.",
    ),
    (
        "Slippage (days)",
        "the largest delay of any milestone that is not cancelled: its actual date (else "
        "its forecast date) minus its baseline date. Negative when even the latest "
        "milestone is early; – when no milestone has both dates.",
    ),
    (
        "Budget executed",
        "the payments recorded, in the project's currency, as a share of the planned "
        "amounts of its budget lines; – when no budget line is planned.",
    ),
)


def _percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{value} %"


def _contract_value(row: PortfolioRow) -> str:
    text = "; ".join(format_money(a.amount, a.currency) for a in row.contract_values)
    if row.value_withheld:
        return f"{text} {WITHHELD_MARK}" if text else f"Withheld {WITHHELD_MARK}"
    return text or "–"


def _project_cells(row: PortfolioRow) -> list:
    title = layout.rich(
        layout.markup('{}<br/><font color="{}">{}</font>', row.title, CODE_COLOUR, row.code),
        "cell",
    )
    texts = [
        row.sector,
        row.status,
        row.public_authority,
        _contract_value(row),
        _percent(row.percent_complete),
        "–" if row.slippage_days is None else str(row.slippage_days),
        _percent(row.percent_executed),
    ]
    return [title, *(layout.cell(t, right=i in RIGHT) for i, t in enumerate(texts, start=1))]


def _project_table(rows: tuple[PortfolioRow, ...], width: float):
    """Return the table of projects, the code under each title."""
    return layout.table(
        [header for header, _weight in COLUMNS],
        [_project_cells(row) for row in rows],
        widths=_widths(width),
        right=RIGHT,
        empty="No published project.",
    )


def _widths(total: float) -> list[float]:
    weight = sum(w for _h, w in COLUMNS)
    return [round(total * w / weight, 2) for _h, w in COLUMNS]


def _totals(data: PortfolioReportData, width: float):
    rows = [
        [
            t.currency,
            str(t.projects),
            format_money(t.contract_value, t.currency),  # – when no contract
            format_money(t.planned, t.currency),
            format_money(t.paid, t.currency),
            _percent(t.percent_executed),
        ]
        for t in data.totals
    ]
    fractions = (0.1, 0.1, 0.22, 0.22, 0.22, 0.14)
    return layout.table(
        ["Currency", "Projects", "Contract value", "Budget planned", "Paid", "Budget executed"],
        rows,
        widths=[width * f for f in fractions],
        right=(1, 2, 3, 4, 5),
        empty="No published project.",
    )


def _counts_chart(counts: tuple[Count, ...], label: str, width: float) -> list:
    """Return the chart of ``counts`` beside its table (its text alternative), in chunks."""
    if not counts:
        return [layout.para("No published project.", "small")]
    table_width = 70 * mm
    chart_width = width - table_width - 6 * mm
    parts = []
    for chunk in charts.chunked(list(counts)):
        drawing = charts.bar_chart(
            [charts.Bar(c.label, c.count) for c in chunk],
            unit="Number of projects",
            font=layout.FONT,
            label_width=150,
        )
        table = layout.table(
            [label, "Projects"],
            [[c.label, str(c.count)] for c in chunk],
            widths=[table_width - 20 * mm, 20 * mm],
            right=(1,),
        )
        parts.append(
            Table(
                [[layout.fit(drawing, chart_width), table]],
                colWidths=[chart_width + 6 * mm, table_width],
                hAlign="LEFT",
                style=TableStyle(
                    [
                        *layout.BASE_TABLE_STYLE,
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ]
                ),
            )
        )
        parts.append(layout.Spacer(1, 4))
    return parts


def _counts_section(title: str, counts: tuple[Count, ...], label: str, width: float) -> list:
    """Return a heading kept with the first chart of ``counts``, then the other charts."""
    parts = _counts_chart(counts, label, width)
    return [layout.keep(*layout.heading(title), parts[0]), *parts[1:]]


def render(data: PortfolioReportData) -> bytes:
    """Return the portfolio report's PDF bytes (no database access; deterministic)."""
    version = data.version
    meta = layout.Meta(
        title=TITLE,
        subject="Every published PPP project: status, value, progress, slippage and spending",
        as_of=version.at,
        footer=layout.footer_line(TITLE, version),
        landscape=True,
    )
    width = layout.frame_width(meta)
    count = len(data.rows)
    story = [
        layout.para(TITLE, "title"),
        layout.para(
            f"{count} published project{'' if count == 1 else 's'} · data as of "
            f"{format_datetime(version.at)}",
            "subtitle",
        ),
        layout.para(
            "Every project published on the public site, with its status, the value of its "
            "contracts, its physical progress, its schedule slippage and how much of its "
            "budget has been paid. Amounts in different currencies are never added together. "
            "The last section defines each figure.",
        ),
        *layout.provenance(version, url=data.url),
        *layout.notices(data.withheld, width=width),
        *layout.heading("Totals per currency"),
        _totals(data, width),
        *_counts_section("Projects by sector", data.by_sector, "Sector", width),
        *_counts_section("Projects by status", data.by_status, "Status", width),
        *layout.heading("Every published project"),
        layout.para(
            "By title. Contract values in their contracts' currencies; "
            f"{WITHHELD_MARK} leaves out a withheld value.",
            "small",
        ),
        _project_table(data.rows, width),
        *layout.heading("How the figures are defined"),
        *(layout.rich(layout.markup("<b>{}</b>: {}", name, text)) for name, text in DEFINITIONS),
    ]
    return layout.build(story, meta)
