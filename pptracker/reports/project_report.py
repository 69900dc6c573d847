"""The project transparency report (public): ``ProjectReportData`` in, PDF bytes out.

No database access here: everything comes from ``project_data.assemble``,
so the same data always give the same bytes. User text reaches reportlab
only escaped (``layout.para``, ``layout.cell``, ``layout.markup``).

Every section is printed, with "None recorded." when it has no data, except
operating performance, which only projects with operations records have.
Long texts run over page breaks: rationales are paragraphs of their own,
and the tables holding descriptions (risks, commitments) split inside a row.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer

from pptracker.budgets import chart as budget_chart
from pptracker.formatting import format_date, format_money, plain_number
from pptracker.milestones import timeline
from pptracker.operations import demand_chart
from pptracker.reports import layout
from pptracker.reports.layout import cell, heading, markup, para, rich
from pptracker.reports.project_data import ProjectReportData

#: At most this many milestones in one timeline drawing (a drawing cannot split).
TIMELINE_CHUNK = 25

#: The size of the footer's type (``layout``'s canvas draws it at 7.5 points).
FOOTER_SIZE = 7.5

NONE = "None recorded."


# --- formatting ---------------------------------------------------------------------------


def _money(amount: Decimal | None, currency: str | None = None) -> str:
    return format_money(amount, currency)


def _date(value: date | None) -> str:
    return format_date(value)


def _period(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "–"
    return f"{_date(start)} to {_date(end)}"


def _percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _change_percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{value:+.1f} %"


def _days(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{value:+d}" if value else "0"


def _signed_money(amount: Decimal | None, currency: str | None = None) -> str:
    if amount is None:
        return "–"
    text = format_money(amount, currency)
    return f"+{text}" if amount > 0 else text


def _figure(value: Decimal | None, is_money: bool) -> str:
    """A demand figure: money to the cent, counts without trailing zeros."""
    if value is None:
        return "–"
    if is_money:
        return f"{value:,.2f}"
    return f"{Decimal(plain_number(value)):,f}"


def _signed_figure(value: Decimal | None, is_money: bool) -> str:
    text = _figure(value, is_money)
    return f"+{text}" if value is not None and value > 0 else text


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


# --- building blocks ----------------------------------------------------------------------


def _widths(width: float, *shares: float) -> list[float]:
    """Split ``width`` in proportion to ``shares``."""
    total = sum(shares)
    return [width * share / total for share in shares]


def _lines(*parts: str, style: str = "cell", first_bold: bool = False) -> Paragraph:
    """Return a cell of plain-text lines (escaped), the empty ones left out."""
    shown = [markup("{}", p) for p in parts if p]
    if first_bold and shown:
        shown[0] = f"<b>{shown[0]}</b>"
    return rich("<br/>".join(shown) or "–", style)


def _none(text: str = NONE) -> Paragraph:
    return para(text, "small")


def _withheld(items, width: float) -> list[Flowable]:
    return layout.notices(items, width=width)


# --- the sections -------------------------------------------------------------------------


def _cover(data: ProjectReportData, width: float) -> list[Flowable]:
    c = data.cover
    location = c.location or "–"
    if c.latitude is not None and c.longitude is not None:
        location = f"{location} ({c.latitude:.4f}, {c.longitude:.4f})"
    story: list[Flowable] = [
        para(c.title, "title"),
        para(f"Transparency report · {c.code}", "subtitle"),
        layout.key_values(
            [
                ("Project code", c.code),
                ("Sector", c.sector or "–"),
                ("Project type", c.project_type or "–"),
                ("Status", c.status or "–"),
                ("PPP model", c.ppp_model or "–"),
                ("Location", location),
                ("Public authority", c.public_authority),
                ("Private party", c.private_party or "Not yet chosen"),
                ("Approved budget", _money(c.budget_amount, c.currency)),
                ("Planned period", _period(c.planned_start, c.planned_end)),
            ],
            widths=_widths(width, 1, 3),
        ),
    ]
    if c.description:
        story += [*heading("Description", 2), para(c.description)]
    if c.purpose:
        story += [*heading("Purpose", 2), para(c.purpose)]
    story += [
        *heading("Data and verification", 2),
        *layout.provenance(data.version, url=c.url),
        Spacer(1, 6),
        para(
            "This is the public's view of the project: records the law or the contract keeps "
            "confidential are left out, and a notice in their place says what was withheld and "
            "why. Dates are written year-month-day; amounts carry their currency, or the table "
            "says which currency they are in. Figures are as of the data time above.",
            "small",
        ),
        PageBreak(),
    ]
    return story


def _key_facts(data: ProjectReportData, width: float) -> list[Flowable]:
    facts = data.key_facts
    main = facts.main_contract
    pairs: list[tuple[str, object]] = [("PPP model", facts.ppp_model or "–")]
    if main is None:
        pairs.append(("Contract", "No public contract recorded."))
    else:
        current_value = (
            "Withheld (set by a confidential amendment)"
            if main.value_withheld
            else _money(main.current_value, main.currency)
        )
        if main.value_change:
            current_value += (
                f" ({_signed_money(main.value_change, main.currency)}, "
                f"{_change_percent(main.value_change_percent)})"
            )
        current_period = (
            "Withheld (set by a confidential amendment)"
            if main.period_withheld
            else _period(main.current_start, main.current_end)
        )
        if main.duration_change_days:
            current_period += f" ({_days(main.duration_change_days)} days)"
        pairs += [
            ("Main contract", f"{main.reference} – {main.title}"),
            ("Contract value, initial", _money(main.initial_value, main.currency)),
            ("Contract value, current", current_value),
            ("Contract period, initial", _period(main.initial_start, main.initial_end)),
            ("Contract period, current", current_period),
        ]
    close = "Not recorded"
    if facts.financial_close is not None:
        close = f"{_date(facts.financial_close)} ({facts.financial_close_source})"
    pairs += [
        ("Financial close", close),
        ("Physical progress", _percent(facts.physical_progress)),
    ]
    story: list[Flowable] = [
        *heading("Key facts"),
        layout.key_values(pairs, widths=_widths(width, 1, 3)),
        *heading("Key milestones", 2),
        layout.table(
            ["Milestone", "Baseline", "Forecast", "Actual", "Status", "Slippage (days)"],
            [
                (
                    k.name,
                    _date(k.baseline),
                    _date(k.forecast),
                    _date(k.actual),
                    k.status,
                    _days(k.slippage_days),
                )
                for k in facts.key_milestones
            ],
            widths=_widths(width, 30, 13, 13, 13, 14, 13),
            right=(5,),
        ),
        *heading("Contracts", 2),
    ]
    rows = []
    for c in data.contracts:
        current_value = "Withheld" if c.value_withheld else _money(c.current_value)
        current_period = (
            "Withheld" if c.period_withheld else _period(c.current_start, c.current_end)
        )
        rows.append(
            (
                _lines(
                    f"{c.reference} – {c.title}",
                    f"{c.status}; signed {_date(c.signature_date)}"
                    f"; {_plural(c.amendments, 'public amendment')}",
                ),
                c.currency,
                _money(c.initial_value),
                current_value,
                _change_percent(c.value_change_percent),
                _lines(_period(c.initial_start, c.initial_end), f"now {current_period}"),
            )
        )
    if rows:
        story.append(
            layout.table(
                ["Contract", "Currency", "Initial value", "Current value", "Change", "Period"],
                rows,
                widths=_widths(width, 30, 10, 19, 19, 10, 24),
                right=(2, 3, 4),
            )
        )
    elif not data.contracts_withheld:
        story.append(_none())
    story += _withheld(data.contracts_withheld, width)
    return story


def _milestones(data: ProjectReportData, width: float) -> list[Flowable]:
    m = data.milestones
    story = [*heading("Milestones")]
    if not m.rows:
        return [*story, _none()]
    today = data.version.today
    story.append(
        para(
            f"{_plural(len(m.rows), 'milestone')}; physical progress "
            f"{_percent(m.progress)} (weighted by the milestones' weights); {m.overdue} overdue on "
            f"{_date(today)}. Slippage is the actual (else forecast) date minus the baseline, "
            "in days: positive is late."
        )
    )
    dated = [item for item in m.timeline if item.dated]
    if dated:
        pieces = budget_chart.chunks(dated, TIMELINE_CHUNK)
        first = 1
        for n, piece in enumerate(pieces):
            drawing = layout.fit(timeline.build_drawing(piece, today, font=layout.FONT), width)
            caption = timeline.TITLE
            if len(pieces) > 1:
                caption += f" (milestones {first}–{first + len(piece) - 1} of {len(dated)})"
            # The heading goes with the first drawing, never alone at a page's foot.
            head = [para("Timeline", "h2")] if n == 0 else []
            story.append(layout.keep(*head, para(caption, "small"), drawing, Spacer(1, 6)))
            first += len(piece)
    story += heading("Milestone table", 2)
    story.append(
        layout.table(
            [
                "Milestone",
                "Baseline",
                "Forecast",
                "Actual",
                "Status",
                "Done",
                "Slippage",
                "Overdue",
            ],
            [
                (
                    _lines(r.title, r.code),
                    _date(r.baseline),
                    _date(r.forecast),
                    _date(r.actual),
                    r.status,
                    f"{r.percent_complete} %",
                    _days(r.slippage_days),
                    "Overdue" if r.overdue else "–",
                )
                for r in m.rows
            ],
            widths=_widths(width, 27, 11, 11, 11, 11, 7, 9, 9),
            right=(5, 6),
        )
    )
    return story


def _budget(data: ProjectReportData, width: float) -> list[Flowable]:
    b = data.budget
    if not b.rows and b.unassigned is None:
        return [*heading("Budget against actual"), _none()]
    # The heading and its introduction go with the first chart, never alone at a page's foot.
    head = [
        para("Budget against actual", "h1"),
        para(
            f"All amounts in {b.currency}, the project currency. Remaining is planned minus the "
            "larger of committed and paid (payments usually settle commitments, so the two are "
            "not added). Executed is paid as a share of planned."
        ),
    ]
    story: list[Flowable] = []
    bars = list(b.bars)
    scale = budget_chart.largest(bars)
    pieces = budget_chart.chunks(bars)
    for n, piece in enumerate(pieces, start=1):
        drawing = budget_chart.build_drawing(
            piece, currency=b.currency, font=layout.FONT, scale_max=scale
        )
        caption = budget_chart.TITLE
        if len(pieces) > 1:
            caption += f" (part {n} of {len(pieces)})"
        story.append(
            layout.keep(
                *(head if n == 1 else []),
                para(caption, "small"),
                layout.fit(drawing, width),
                Spacer(1, 6),
            )
        )
    rows = []
    for r in b.rows:
        rows.append(
            (
                _lines(
                    f"{r.code} – {r.name}",
                    r.category + (" · over-committed" if r.over_committed else ""),
                ),
                _money(r.planned),
                _money(r.committed),
                _money(r.paid),
                _money(r.received),
                _money(r.remaining),
                _percent(r.percent_executed),
            )
        )
    if b.unassigned is not None:
        u = b.unassigned
        rows.append(
            (
                _lines(u.name),
                "–",
                _money(u.committed),
                _money(u.paid),
                _money(u.received),
                "–",
                "–",
            )
        )
    t = b.total
    rows.append(
        (
            _lines("Total" + (" · over-committed" if t.over_committed else ""), first_bold=True),
            *(
                rich(f"<b>{markup('{}', v)}</b>", "cell_right")
                for v in (
                    _money(t.planned),
                    _money(t.committed),
                    _money(t.paid),
                    _money(t.received),
                    _money(t.remaining),
                    _percent(t.percent_executed),
                )
            ),
        )
    )
    story.append(
        layout.table(
            ["Budget line", "Planned", "Committed", "Paid", "Received", "Remaining", "Executed"],
            rows,
            widths=_widths(width, 102, 72, 72, 72, 72, 72, 42),
            right=(1, 2, 3, 4, 5, 6),
        )
    )
    return story


EV_ROWS = (
    ("bac", "Budget at completion (BAC)", "The planned values of all milestones."),
    ("pv", "Planned value (PV)", "Planned values of milestones whose baseline date has come."),
    ("ev", "Earned value (EV)", "Each milestone's planned value times its % complete."),
    ("ac", "Actual cost (AC)", "The payments made up to the report's date."),
    ("spi", "Schedule performance (SPI)", "EV ÷ PV: below 1 means behind schedule."),
    ("cpi", "Cost performance (CPI)", "EV ÷ AC: below 1 means over cost."),
    ("eac", "Estimate at completion (EAC)", "BAC ÷ CPI: the cost if spending goes on so."),
    ("vac", "Variance at completion (VAC)", "BAC − EAC: negative means an expected overrun."),
)


def _payments(data: ProjectReportData, width: float) -> list[Flowable]:
    p = data.payments
    story = [*heading("Payments summary")]
    if p.transactions:
        story += [
            para(
                f"{_plural(p.transactions, 'transaction')} recorded, in {p.currency} (converted "
                "at the rate of the day where paid in another currency). Individual "
                "transactions are not listed here."
            ),
            layout.key_values(
                [
                    ("Committed", _money(p.committed, p.currency)),
                    ("Paid", _money(p.paid, p.currency)),
                    ("Received", _money(p.received, p.currency)),
                ],
                widths=_widths(width, 1, 3),
            ),
            *heading("By year", 2),
            layout.table(
                ["Year", "Transactions", "Committed", "Paid", "Received"],
                [
                    (
                        y.year,
                        y.transactions,
                        _money(y.committed),
                        _money(y.paid),
                        _money(y.received),
                    )
                    for y in p.by_year
                ],
                widths=_widths(width, 10, 14, 22, 22, 22),
                right=(1, 2, 3, 4),
                total=(
                    "Total",
                    p.transactions,
                    _money(p.committed),
                    _money(p.paid),
                    _money(p.received),
                ),
            ),
        ]
    else:
        story.append(_none("No transaction recorded."))
    ev = p.earned_value
    rows = []
    for name, label, meaning in EV_ROWS:
        value = getattr(ev, name)
        if value is None:
            shown = "Not computed"
            meaning = f"{meaning} Not computed: {ev.reasons.get(name) or 'not enough data'}."
        elif name in ("spi", "cpi"):
            shown = f"{getattr(ev, f'{name}_display'):.2f}"
        else:
            shown = _money(value, p.currency)
        rows.append((label, shown, meaning))
    story += [
        *heading("Earned value", 2),
        para(
            f"As of {_date(data.version.today)}, from the milestones' planned values and "
            "progress, and the payments made."
        ),
        layout.table(
            ["Indicator", "Value", "Meaning"],
            rows,
            widths=_widths(width, 28, 22, 50),
            right=(1,),
        ),
    ]
    return story


def _amendments(data: ProjectReportData, width: float) -> list[Flowable]:
    story = [*heading("Amendments")]
    if not data.amendments and not data.amendments_withheld:
        return [*story, _none()]
    story.append(
        para("Every change to a contract since signature, oldest first, with its rationale.")
    )
    for a in data.amendments:
        changes = []
        if a.new_value is not None:
            old = "withheld" if a.old_value_withheld else _money(a.old_value, a.currency)
            text = f"{old} → {_money(a.new_value, a.currency)}"
            if a.value_change is not None:
                text += f" ({_signed_money(a.value_change, a.currency)})"
            changes.append(("Value", text))
        if a.new_start is not None or a.new_end is not None:
            old = "withheld" if a.old_period_withheld else _period(a.old_start, a.old_end)
            text = f"{old} → {_period(a.new_start or a.old_start, a.new_end or a.old_end)}"
            if a.duration_change_days is not None:
                text += f" ({_days(a.duration_change_days)} days)"
            changes.append(("Period", text))
        block = [
            rich(
                markup(
                    "<b>Contract {}, amendment {}</b> · {} · {}",
                    a.contract_reference,
                    a.number,
                    a.type,
                    _date(a.amended_on),
                ),
                "body",
            ),
            layout.key_values(
                [
                    *changes,
                    ("Approved", f"{a.approved_by}, {_date(a.approved_on)}"),
                ],
                widths=_widths(width, 1, 4),
            ),
        ]
        block += [Spacer(1, 3), rich(markup("<b>Rationale:</b> {}", a.rationale), "body")]
        if a.description:
            block.append(rich(markup("<b>Change:</b> {}", a.description), "body"))
        # Kept together on one page when it fits; a very long rationale still splits.
        story += [layout.keep(*block), Spacer(1, 4)]
    story += _withheld(data.amendments_withheld, width)
    return story


def _risks(data: ProjectReportData, width: float) -> list[Flowable]:
    matrix = data.risks
    story = [*heading("Risk allocation")]
    if matrix.categories:
        story.append(para("Who bears each category of risk under the contract."))
        rows = []
        for category in matrix.categories:
            cells = []
            for _label, entries in category.cells:
                parts = []
                for entry in entries:
                    text = markup("{}", entry.description or "✓")
                    if matrix.several_contracts:
                        text = markup("[{}] ", entry.contract_reference) + text
                    if entry.mitigation:
                        text += markup("<br/><i>Mitigation: {}</i>", entry.mitigation)
                    parts.append(text)
                cells.append(rich("<br/><br/>".join(parts), "cell") if parts else "")
            rows.append((cell(category.category, bold=True), *cells))
        story.append(
            layout.table(
                ["Risk category", *matrix.allocations],
                rows,
                widths=_widths(width, 22, 26, 26, 26),
            )
        )
    elif not data.risks_withheld:
        story.append(_none())
    story += _withheld(data.risks_withheld, width)
    return story


def _commitments(data: ProjectReportData, width: float) -> list[Flowable]:
    story = [*heading("Fiscal commitments and payments"), *heading("Fiscal commitments", 2)]
    if data.commitments:
        story += [
            para("Guarantees, subsidies and payment obligations the government took on."),
            layout.table(
                ["Type", "Direct or contingent", "Description", "Maximum exposure", "Period"],
                [
                    (
                        c.type,
                        c.nature,
                        para(c.description or "–", "cell"),
                        _money(c.max_exposure, c.currency),
                        _lines(_date(c.start), f"to {_date(c.end)}"),
                    )
                    for c in data.commitments
                ],
                widths=_widths(width, 15, 15, 36, 20, 14),
                right=(3,),
            ),
            Spacer(1, 4),
            layout.table(
                ["Currency", "Direct", "Contingent", "Total maximum exposure"],
                [
                    (t.currency, _money(t.direct), _money(t.contingent), _money(t.total))
                    for t in data.commitment_totals
                ],
                widths=_widths(width, 16, 28, 28, 28),
                right=(1, 2, 3),
            ),
        ]
    elif not data.commitments_withheld:
        story.append(_none())
    story += _withheld(data.commitments_withheld, width)

    s = data.schedule
    story += heading("Payment schedule against payments", 2)
    single = len(s.totals) == 1

    def schedule_row(key, y):
        return (
            key,
            y.currency,
            y.payments,
            _money(y.gross),
            _money(y.deductions),
            _money(y.net_due),
            _money(y.paid),
            _money(y.remaining),
        )

    if s.years:
        story += [
            para(
                "Government payments due under the contract, year by year: gross, less the "
                "deductions for poor performance, against what was paid. Remaining is net due "
                "not yet paid (including future periods)."
            ),
            layout.table(
                [
                    "Year",
                    "Currency",
                    "Payments",
                    "Gross",
                    "Deductions",
                    "Net due",
                    "Paid",
                    "Remaining",
                ],
                [
                    *(schedule_row(y.year, y) for y in s.years),
                    *([] if single else (schedule_row("Total", t) for t in s.totals)),
                ],
                widths=_widths(width, 7, 9, 9, 15, 15, 15, 15, 15),
                right=(2, 3, 4, 5, 6, 7),
                total=schedule_row("Total", s.totals[0]) if single else None,
            ),
        ]
        story.append(Spacer(1, 4))
        if s.mismatch_count:
            story.append(
                para(
                    f"{_plural(s.mismatch_count, 'scheduled payment')} "
                    f"{'differs' if s.mismatch_count == 1 else 'differ'} from what was due"
                    + (
                        f" (the first {len(s.mismatches)} are listed)."
                        if s.mismatch_count > len(s.mismatches)
                        else ":"
                    )
                )
            )
            story.append(
                layout.table(
                    ["Period", "Payment", "Contract", "Net due", "Paid", "Status"],
                    [
                        (
                            m.period,
                            m.type_label,
                            m.contract_reference,
                            _money(m.net_due, m.currency),
                            _money(m.paid, m.currency),
                            m.status_text,
                        )
                        for m in s.mismatches
                    ],
                    widths=_widths(width, 12, 20, 16, 19, 19, 14),
                    right=(3, 4),
                )
            )
        else:
            story.append(para("Every ended period was paid what was due.", "small"))
    elif not data.schedule_withheld:
        story.append(_none())
    story += _withheld(data.schedule_withheld, width)
    return story


def _operations(data: ProjectReportData, width: float) -> list[Flowable]:
    ops = data.operations
    if ops is None:
        return []
    today = data.version.today
    story = [
        *heading("Operating performance"),
        para(
            "How the project performs while it operates: service quality against the "
            "contract's KPIs and the deductions applied, demand and revenue against the "
            f"contract's forecast, and the tariffs in force on {_date(today)}."
        ),
        *heading("KPI results", 2),
    ]
    if ops.kpis:
        story.append(
            layout.table(
                ["KPI", "Target", "Latest result", "Met", "Failed", "Deduction"],
                [
                    (
                        _lines(f"{k.code} – {k.name}", f"contract {k.contract_reference}"),
                        _lines(k.target, k.frequency),
                        "No result yet"
                        if k.latest_met is None
                        else f"{k.latest_period}: {k.latest_value} "
                        f"({'met' if k.latest_met else 'failed'})",
                        k.met,
                        k.failed,
                        k.deduction,
                    )
                    for k in ops.kpis
                ],
                widths=_widths(width, 24, 15, 20, 7, 8, 26),
                right=(3, 4),
            )
        )
    elif not ops.kpis_withheld:
        story.append(_none())
    story += heading("Performance failures and deductions", 2)
    if ops.deductions_by_year:

        def deduction_row(t):
            return (
                t.key,
                t.currency,
                t.failures,
                t.events,
                _money(t.contracted),
                _money(t.imposed),
                _money(t.paid),
            )

        single = len(ops.deductions_total) == 1
        story.append(
            layout.table(
                ["Year", "Currency", "Failures", "Events", "Contracted", "Imposed", "Paid"],
                [
                    deduction_row(t)
                    for t in [*ops.deductions_by_year, *([] if single else ops.deductions_total)]
                ],
                widths=_widths(width, 9, 10, 10, 9, 20, 21, 21),
                right=(2, 3, 4, 5, 6),
                total=deduction_row(ops.deductions_total[0]) if single else None,
            )
        )
    else:
        story.append(_none("No performance failure recorded."))
    story += _withheld(ops.kpis_withheld, width)

    demand_head: list[Flowable] = [para("Demand and revenue against forecast", "h2")]
    if not ops.demand:
        story += [*heading("Demand and revenue against forecast", 2)]
        if not ops.demand_withheld:
            story.append(_none())
        demand_head = []
    for s in ops.demand:
        title = rich(
            markup(
                "<b>{}</b> ({}, {}; contract {})", s.name, s.metric, s.unit, s.contract_reference
            ),
            "body",
        )
        years = [
            demand_chart.ChartYear(y.year, y.forecast, y.actual)
            for y in s.years
            if y.forecast is not None or y.actual is not None
        ]
        # The section's heading goes with its first series, never alone at a page's foot.
        if years:
            drawing = demand_chart.build_drawing(years, unit=s.unit, font=layout.FONT)
            story.append(layout.keep(*demand_head, title, layout.fit(drawing, width)))
        else:
            story.append(layout.keep(*demand_head, title))
        demand_head = []
        if s.years:
            total = None
            if s.compared:
                total = (
                    f"Total, {_plural(s.compared, 'year')} with both",
                    _figure(s.forecast_total, s.is_money),
                    _figure(s.actual_total, s.is_money),
                    _signed_figure(s.variance_total, s.is_money),
                    _change_percent(s.variance_total_percent),
                )
            story.append(
                layout.table(
                    ["Year", "Forecast", "Actual", "Variance", "Variance %"],
                    [
                        (
                            y.year,
                            _figure(y.forecast, s.is_money),
                            "Not yet known" if y.actual is None else _figure(y.actual, s.is_money),
                            _signed_figure(y.variance, s.is_money),
                            _change_percent(y.variance_percent),
                        )
                        for y in s.years
                    ],
                    widths=_widths(width, 24, 20, 20, 20, 16),
                    right=(1, 2, 3, 4),
                    total=total,
                )
            )
        else:
            story.append(_none("No year recorded."))
        story.append(Spacer(1, 6))
    story += _withheld(ops.demand_withheld, width)

    story += heading(f"Tariffs in force on {_date(today)}", 2)
    if ops.tariffs:
        story.append(
            layout.table(
                ["Tariff", "Contract", "Who pays", "Value", "Since", "Change since first"],
                [
                    (
                        f"{t.code} – {t.title}",
                        t.contract_reference,
                        t.paid_by,
                        "Not yet in force"
                        if t.value is None
                        else f"{plain_number(t.value)} {t.currency} {t.unit}",
                        _date(t.since),
                        _change_percent(t.change_since_first_percent),
                    )
                    for t in ops.tariffs
                ],
                widths=_widths(width, 25, 14, 18, 19, 12, 12),
                right=(3, 5),
            )
        )
    elif not ops.tariffs_withheld:
        story.append(_none())
    story += _withheld(ops.tariffs_withheld, width)
    return story


def _findings(data: ProjectReportData, width: float) -> list[Flowable]:
    f = data.findings
    return [
        *heading("Audit findings"),
        para(
            f"{f.open} open, {f.answered} answered, {f.closed} closed. Auditors raise findings on "
            "the project's records; the managers answer them and an auditor closes them."
        ),
    ]


# --- the report ---------------------------------------------------------------------------


def _footer(title: str, version, width: float) -> str:
    """Return the footer line, the title shortened so it never runs into "Page x of y"."""
    room = width - stringWidth("Page 9999 of 9999", layout.FONT, FOOTER_SIZE) - 12
    title = " ".join(title.split())
    line = layout.footer_line(f"{title} — transparency report", version)
    while stringWidth(line, layout.FONT, FOOTER_SIZE) > room and title:
        title = title[:-1]
        line = layout.footer_line(f"{title.rstrip()}… — transparency report", version)
    return line


def render(data: ProjectReportData) -> bytes:
    """Return the transparency report of one project as PDF bytes (the same data, same bytes).

    :param data: from ``project_data.assemble``.
    """
    meta = layout.Meta(
        title=f"Transparency report: {data.cover.title}",
        subject=f"Public transparency report of PPP project {data.cover.code}",
        as_of=data.version.at,
        footer="",
    )
    width = layout.frame_width(meta)
    meta = replace(meta, footer=_footer(data.cover.title, data.version, width))
    story: list[Flowable] = []
    for section in (
        _cover,
        _key_facts,
        _milestones,
        _budget,
        _payments,
        _amendments,
        _risks,
        _commitments,
        _operations,
        _findings,
    ):
        story += section(data, width)
    return layout.build(story, meta)
