"""The auditors' spending report: transactions, variance, earned value and red flags.

``render`` turns ``spending_data.SpendingReportData`` into PDF bytes without
touching the database: the same data, the same bytes. Internal: every page
says so, and confidential records and unpublished projects are marked.
Landscape, so a transaction fits on one line of ten columns.
"""

from collections.abc import Sequence

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from pptracker.budgets.queries import NO_EARNED_VALUE, NO_PAYMENTS, NO_PLANNED_VALUES, NOTHING_DUE
from pptracker.formatting import format_date, format_money
from pptracker.reports import layout
from pptracker.reports.spending_data import (
    FlagGroup,
    LineVariance,
    ProjectHeading,
    ProjectSpending,
    ProjectTransactions,
    SpendingReportData,
    TransactionRow,
)

INTERNAL = "Internal: for auditors"
CONFIDENTIAL = "Confidential"
UNPUBLISHED = "Unpublished"
FLAGGED = "Flagged"

#: Why an earned value figure is missing, as a footnote letter in the portfolio table.
REASON_LETTERS = {
    NO_PLANNED_VALUES: "a",
    NOTHING_DUE: "b",
    NO_PAYMENTS: "c",
    NO_EARNED_VALUE: "d",
}

_MUTED = "#" + layout.MUTED.hexval()[2:]
_FLAG = ParagraphStyle(
    "spending_flag", parent=layout.STYLES["body"], fontSize=8.5, leading=10.5,
    leftIndent=10, firstLineIndent=-10, spaceAfter=2.5,
)  # fmt: skip


def _percent(value) -> str:
    return "–" if value is None else f"{value} %"


def _scaled(weights: Sequence[float], width: float) -> list[float]:
    total = sum(weights)
    return [round(width * w / total, 2) for w in weights]


def _banner(width: float) -> list[Flowable]:
    text = layout.markup(
        "<b>{}.</b> This report includes confidential records and unpublished projects, "
        "marked “{}” and “{}”. Do not publish it.",
        INTERNAL,
        CONFIDENTIAL,
        UNPUBLISHED,
    )
    return [
        Table(
            [[layout.rich(text, "notice")]],
            colWidths=[width],
            style=TableStyle(
                [
                    *layout.BASE_TABLE_STYLE,
                    ("BACKGROUND", (0, 0), (-1, -1), layout.NOTICE_FILL),
                    ("BOX", (0, 0), (-1, -1), 0.5, layout.RULE),
                ]
            ),
        ),
        layout.Spacer(1, 6),
    ]


def _project_cell(project: ProjectHeading, *, currency: bool = True) -> Flowable:
    extra = [project.code]
    if currency:
        extra.append(project.currency)
    marker = f" · <b>{UNPUBLISHED}</b>" if not project.published else ""
    return Paragraph(
        layout.markup('{}<br/><font color="{}">{}</font>', project.title, _MUTED, " · ".join(extra))
        + marker,
        layout.STYLES["cell"],
    )


# --- one project ------------------------------------------------------------------------------


def _line_name(line: LineVariance) -> str:
    name = f"{line.code} {line.name}".strip()
    return f"{name} (over-committed)" if line.over_committed else name


def _variance_table(lines: tuple[LineVariance, ...], currency: str, width: float) -> Flowable:
    *rows, total = lines

    def cells(line: LineVariance) -> list:
        return [
            _line_name(line),
            format_money(line.planned, currency),
            format_money(line.committed, currency),
            format_money(line.paid, currency),
            format_money(line.received, currency),
            format_money(line.remaining, currency),
            _percent(line.percent_executed),
        ]

    return layout.table(
        ["Budget line", "Planned", "Committed", "Paid", "Received", "Remaining", "Executed"],
        [cells(line) for line in rows],
        widths=_scaled((24, 14, 14, 14, 14, 14, 7), width),
        right=(1, 2, 3, 4, 5, 6),
        total=cells(total),
        empty="No budget line or transaction is recorded.",
    )


def _figure(value, reason: str | None, currency: str | None) -> str:
    if value is None:
        return f"– ({reason})" if reason else "–"
    return format_money(value, currency) if currency else str(value)


def _earned_value(item: ProjectSpending, width: float) -> Flowable:
    ev, currency = item.earned_value, item.project.currency
    rows = [
        ("Budget at completion (BAC)", format_money(ev.bac, currency),
         "The planned values of the milestones, cancelled ones left out."),
        ("Planned value (PV)", format_money(ev.pv, currency),
         "The planned values of the milestones whose baseline date has come."),
        ("Earned value (EV)", format_money(ev.ev, currency),
         "Each milestone's planned value times its percentage complete."),
        ("Actual cost (AC)", format_money(ev.ac, currency),
         "The payments made up to the data's date."),
        ("Schedule performance index (SPI)", _figure(ev.spi_display, ev.reasons.get("spi"), None),
         "EV ÷ PV: below 1 means behind schedule."),
        ("Cost performance index (CPI)", _figure(ev.cpi_display, ev.reasons.get("cpi"), None),
         "EV ÷ AC: below 1 means over cost."),
        ("Estimate at completion (EAC)", _figure(ev.eac, ev.reasons.get("eac"), currency),
         "BAC ÷ CPI: what the whole work will cost if spending goes on as so far."),
        ("Variance at completion (VAC)", _figure(ev.vac, ev.reasons.get("vac"), currency),
         "BAC − EAC: negative means an expected overrun."),
    ]  # fmt: skip
    return layout.table(["Figure", "Value", "Meaning"], rows, widths=_scaled((26, 30, 44), width))


# --- the portfolio ------------------------------------------------------------------------------


def _ratio(value, reason: str | None) -> str:
    if value is None:
        return f"– [{REASON_LETTERS.get(reason, '?')}]" if reason else "–"
    return str(value)


def _money(value) -> str:
    # The project's currency is named in the project cell; amounts go bare.
    return format_money(value)


def _portfolio_table(projects: tuple[ProjectSpending, ...], width: float) -> Flowable:
    header = [
        "Project",
        "Planned",
        "Committed",
        "Paid",
        "Remaining",
        "Executed",
        "PV",
        "EV",
        "AC",
        "SPI",
        "CPI",
        "EAC",
    ]
    rows = []
    for item in projects:
        t, ev = item.total, item.earned_value
        rows.append(
            [
                _project_cell(item.project),
                _money(t.planned),
                _money(t.committed),
                _money(t.paid),
                _money(t.remaining),
                _percent(t.percent_executed),
                _money(ev.pv),
                _money(ev.ev),
                _money(ev.ac),
                _ratio(ev.spi_display, ev.reasons.get("spi")),
                _ratio(ev.cpi_display, ev.reasons.get("cpi")),
                "–" if ev.eac is None else _money(ev.eac),
            ]
        )
    if not rows:
        return layout.para("No project.", "small")
    return layout.table(
        header,
        rows,
        widths=_scaled((17, 9.5, 9.5, 9.5, 9.5, 6, 9.5, 9.5, 9.5, 5, 5, 9.5), width),
        right=range(1, 12),
        plain=range(1, 12),
    )


def _totals_table(data: SpendingReportData, width: float) -> Flowable:
    return layout.table(
        ["Currency", "Projects", "Planned", "Committed", "Paid", "Received"],
        [
            [
                t.currency,
                str(t.projects),
                format_money(t.planned, t.currency),
                format_money(t.committed, t.currency),
                format_money(t.paid, t.currency),
                format_money(t.received, t.currency),
            ]
            for t in data.totals
        ],
        widths=_scaled((10, 8, 20.5, 20.5, 20.5, 20.5), width),
        right=(1, 2, 3, 4, 5),
        empty="No project.",
    )


# --- shared parts ------------------------------------------------------------------------------


def _flags(groups: tuple[FlagGroup, ...], count: int, width: float, *, portfolio: bool) -> list:
    parts = layout.heading(f"Red flags ({count})")
    parts.append(
        layout.para(
            "Spending and records that deserve a second look, computed from the records as they "
            "are at the data's time. A red flag is not a finding: check the records behind it, "
            "then raise a finding if it holds.",
        )
    )
    if not groups:
        parts.append(layout.para("No red flag: every rule holds.", "small"))
    for group in groups:
        # ``heading`` leaves room below it for the rule and the first flags.
        parts += layout.heading(f"{group.title} ({len(group.flags)})", 2)
        parts.append(layout.rich(layout.markup("<i>The rule:</i> {}", group.rule), "small"))
        parts.append(layout.Spacer(1, 3))
        # One paragraph per flag, as the flags page lists them: cheaper than a
        # table's cells when the portfolio has thousands.
        for flag in group.flags:
            where = layout.markup(" · <b>{}</b>", flag.project_code) if portfolio else ""
            parts.append(
                Paragraph(
                    layout.markup("<b>{}</b>", flag.severity)
                    + where
                    + layout.markup(" — {}", flag.explanation),
                    _FLAG,
                )
            )
    return parts


def _notes(tx: TransactionRow) -> str:
    notes = []
    if tx.contract:
        notes.append(f"{tx.contract} (withdrawn)" if tx.contract_withdrawn else tx.contract)
    if tx.confidential:
        notes.append(CONFIDENTIAL)
    if tx.flagged:
        notes.append(FLAGGED)
    return "; ".join(notes)


TRANSACTION_WEIGHTS = (7, 7.5, 11, 9.5, 11.5, 11, 15, 11.5, 11.5, 9.5)


def _transaction_table(group: ProjectTransactions, width: float) -> Flowable:
    currency = group.project.currency
    rows = [
        [
            format_date(tx.date),
            tx.kind,
            tx.budget_line,
            tx.reference,
            tx.payer,
            tx.payee,
            tx.description,
            format_money(tx.amount, tx.currency),
            format_money(tx.project_amount, tx.project_currency),
            _notes(tx),
        ]
        for tx in group.rows
    ]
    header = [
        "Date",
        "Kind",
        "Budget line",
        "Reference",
        "Payer",
        "Payee",
        "Description",
        "Amount",
        f"In {currency}",
        "Contract, notes",
    ]
    if not rows:
        return layout.para("No transaction is recorded.", "small")
    return layout.table(
        header,
        rows,
        widths=_scaled(TRANSACTION_WEIGHTS, width),
        right=(7, 8),
        plain=(0, 1, 7, 8),
    )


def _transactions(data: SpendingReportData, width: float) -> list:
    total = sum(g.count for g in data.transactions)
    parts = layout.heading(f"Transactions ({total})")
    parts.append(
        layout.para(
            "By date, then entry order. Amounts in the transaction's currency, then converted "
            "to the project's currency at the rate recorded with it. “Flagged”: a red flag is "
            "about it; “Confidential”: recorded under a confidential contract.",
            "small",
        )
    )
    omitted = sum(g.omitted for g in data.transactions)
    if omitted:
        parts.append(
            layout.para(
                f"{omitted:,} of the {total:,} transactions are not listed: a report lists at "
                f"most {data.transaction_limit:,}, the flagged ones first, then the latest of "
                "each project in turn. The spending CSV export for auditors has them all.",
                "small",
            )
        )
    if not data.transactions:
        parts.append(layout.para("No transaction is recorded.", "small"))
    for group in data.transactions:
        if data.project is None:
            title = f"{group.project.title} ({group.project.code})"
            if not group.project.published:
                title += f" · {UNPUBLISHED}"
            parts.extend(layout.heading(title, 2))
        if group.omitted:
            parts.append(
                layout.para(
                    f"{group.count:,} transactions; {len(group.rows):,} listed (the flagged ones, "
                    f"then the latest), {group.omitted:,} older ones not listed.",
                    "small",
                )
            )
        parts.append(_transaction_table(group, width))
    return parts


def render(data: SpendingReportData) -> bytes:
    """Return the spending report's PDF bytes (no database access; deterministic)."""
    version = data.version
    meta = layout.Meta(
        title=data.title,
        subject=f"Transactions, variance, earned value and red flags. {INTERNAL}.",
        as_of=version.at,
        footer=layout.footer_line(f"Spending report · {INTERNAL}", version),
        landscape=True,
    )
    width = layout.frame_width(meta)
    story = [layout.para(data.title, "title")]
    if data.project is not None:
        item = data.projects[0]
        project = data.project
        story += [
            layout.para(
                f"{project.code} · amounts in {project.currency} · "
                + (f"{UNPUBLISHED} project · " if not project.published else "")
                + INTERNAL,
                "subtitle",
            ),
            *_banner(width),
            *layout.provenance(version),
            *layout.heading("Variance by budget line"),
            layout.para(
                "Remaining is planned minus the larger of committed and paid (payments usually "
                "settle commitments, so the two are not added). Executed is paid ÷ planned.",
                "small",
            ),
            _variance_table(data.lines, project.currency, width),
            *layout.heading("Earned value"),
            _earned_value(item, width),
            *_flags(data.flags, data.flag_count, width, portfolio=False),
            *_transactions(data, width),
        ]
    else:
        count, hidden = len(data.projects), data.unpublished
        story += [
            layout.para(
                f"{count} project{'' if count == 1 else 's'}, {hidden} of them "
                f"{UNPUBLISHED.lower()} · {INTERNAL}",
                "subtitle",
            ),
            *_banner(width),
            *layout.provenance(version),
            *layout.heading("Totals per currency"),
            _totals_table(data, width),
            *layout.heading("Variance and earned value by project"),
            layout.para(
                "Amounts in each project's currency (named under its title). Remaining: planned "
                "minus the larger of committed and paid. Executed: paid ÷ planned. PV, EV, AC: "
                "planned value, earned value and actual cost as of the data's date; SPI = EV ÷ "
                "PV, CPI = EV ÷ AC, EAC = BAC ÷ CPI.",
                "small",
            ),
            _portfolio_table(data.projects, width),
            layout.para(
                "Missing figures: "
                + "; ".join(f"[{letter}] {reason}" for reason, letter in REASON_LETTERS.items())
                + ".",
                "small",
            ),
            *_flags(data.flags, data.flag_count, width, portfolio=True),
            *_transactions(data, width),
        ]
    return layout.build(story, meta)
