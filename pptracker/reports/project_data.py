"""What a project's public transparency report shows, read from the database as plain data.

``assemble`` applies the public's view throughout: a confidential or
deleted record never gets into the data; a ``disclosure.Redacted`` notice
with the reason stands in its place, in the section it was withheld from.
Individual transactions are never listed, only summed.

The number of SQL statements is fixed, whatever the number of milestones,
transactions, amendments or operations records: every list comes from one
query (or a query module that guarantees as much), never one per row.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from pptracker import codelists
from pptracker.audit.queries import finding_counts
from pptracker.budgets import queries as budget_queries
from pptracker.budgets.chart import BudgetBar
from pptracker.budgets.forms import CATEGORIES
from pptracker.budgets.models import Transaction, TransactionKind
from pptracker.contracts import queries as contract_queries
from pptracker.contracts.forms import (
    ALLOCATIONS,
    AMENDMENT_TYPES,
    COMMITMENT_TYPES,
    NATURES,
)
from pptracker.contracts.forms import STATUSES as CONTRACT_STATUSES
from pptracker.contracts.models import RiskAllocation
from pptracker.database import Money
from pptracker.disclosure import WITHDRAWN, Redacted, notices, withheld_reason
from pptracker.extensions import db
from pptracker.milestones import queries as milestone_queries
from pptracker.milestones.forms import STATUSES as MILESTONE_STATUSES
from pptracker.milestones.timeline import TimelineItem
from pptracker.operations import demand_queries, kpi_queries, payment_queries, tariff_queries
from pptracker.operations.demand_forms import METRICS
from pptracker.operations.models import Metric
from pptracker.operations.tariff_forms import PAID_BY
from pptracker.reports.spending_data import LineVariance
from pptracker.reports.version import DataVersion

ZERO = Decimal("0.00")

#: How many mismatched scheduled payments the report lists (the rest are counted).
MAX_MISMATCHES = 20

#: Why a record of a confidential contract is withheld (the contract's reason follows).
OF_CONFIDENTIAL_CONTRACT = "its contract is confidential ({})".format


# --- the data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    """Who and what the project is."""

    title: str
    code: str
    sector: str
    project_type: str
    status: str
    ppp_model: str
    location: str
    latitude: float | None
    longitude: float | None
    public_authority: str
    private_party: str | None
    currency: str
    budget_amount: Decimal | None
    planned_start: date | None
    planned_end: date | None
    description: str
    purpose: str
    url: str


@dataclass(frozen=True)
class ContractRow:
    """A public contract with its value and period as signed and as amended.

    ``current_value`` (or the current period) is None when a confidential
    amendment set it: ``value_withheld`` (``period_withheld``) says so.
    """

    reference: str
    title: str
    status: str
    payment_mechanism: str
    signature_date: date | None
    financial_close_date: date | None
    currency: str
    initial_value: Decimal
    current_value: Decimal | None
    value_change: Decimal | None
    value_change_percent: Decimal | None
    value_withheld: bool
    initial_start: date | None
    initial_end: date | None
    current_start: date | None
    current_end: date | None
    period_withheld: bool
    duration_change_days: int | None
    amendments: int


@dataclass(frozen=True)
class KeyMilestone:
    """A PPP key milestone (financial close, completion …) and its slippage.

    Not ``milestones.queries.KeyMilestone``: that one holds the ``Milestone`` (ORM object).
    """

    code: str
    name: str
    baseline: date | None
    forecast: date | None
    actual: date | None
    status: str
    slippage_days: int | None


@dataclass(frozen=True)
class KeyFacts:
    """The headline figures: the main contract's terms, financial close, key milestones.

    The main contract is the public contract of the largest initial value
    (the PPP contract itself, as a rule); None when no contract is public.
    """

    ppp_model: str
    main_contract: ContractRow | None
    financial_close: date | None
    #: Where ``financial_close`` comes from, in words ("contract", "milestone, met" …).
    financial_close_source: str
    physical_progress: Decimal | None
    key_milestones: tuple[KeyMilestone, ...]


@dataclass(frozen=True)
class MilestoneRow:
    """One milestone as the table shows it."""

    title: str
    code: str
    baseline: date | None
    forecast: date | None
    actual: date | None
    status: str
    percent_complete: int
    slippage_days: int | None
    overdue: bool


@dataclass(frozen=True)
class Milestones:
    """The milestone table and the timeline's items, in the same (date) order."""

    rows: tuple[MilestoneRow, ...]
    timeline: tuple[TimelineItem, ...]
    progress: Decimal | None
    overdue: int


@dataclass(frozen=True)
class Budget:
    """Budget against actual by line, in the project currency."""

    currency: str
    rows: tuple[LineVariance, ...]
    unassigned: LineVariance | None
    total: LineVariance
    bars: tuple[BudgetBar, ...]


@dataclass(frozen=True)
class YearAmounts:
    """What was committed, paid and received in one year, in the project currency."""

    year: int
    committed: Decimal
    paid: Decimal
    received: Decimal
    transactions: int


@dataclass(frozen=True)
class Payments:
    """The money recorded against the project, summed (never listed one by one)."""

    currency: str
    committed: Decimal
    paid: Decimal
    received: Decimal
    transactions: int
    by_year: tuple[YearAmounts, ...]
    earned_value: budget_queries.EarnedValue


@dataclass(frozen=True)
class AmendmentRow:
    """A public amendment: what changed, from what to what, and why.

    An old value (or period) is None with ``old_value_withheld`` set when a
    confidential amendment before it set it: showing it would reveal that one.
    """

    contract_reference: str
    number: int
    amended_on: date
    type: str
    rationale: str
    description: str
    approved_by: str
    approved_on: date
    currency: str
    old_value: Decimal | None
    new_value: Decimal | None
    old_value_withheld: bool
    old_start: date | None
    old_end: date | None
    new_start: date | None
    new_end: date | None
    old_period_withheld: bool

    @property
    def value_change(self) -> Decimal | None:
        """New minus old value; None unless both are shown."""
        if self.new_value is None or self.old_value is None:
            return None
        return self.new_value - self.old_value

    @property
    def duration_change_days(self) -> int | None:
        """Days the end moved by; None unless both ends are shown."""
        if self.new_end is None or self.old_end is None:
            return None
        return (self.new_end - self.old_end).days


@dataclass(frozen=True)
class RiskEntry:
    """One risk in a cell of the matrix."""

    contract_reference: str
    description: str
    mitigation: str


@dataclass(frozen=True)
class RiskCategory:
    """A row of the matrix: a category and its risks under each allocation."""

    category: str
    cells: tuple[tuple[str, tuple[RiskEntry, ...]], ...]  # (allocation label, entries)


@dataclass(frozen=True)
class RiskMatrix:
    """Who bears which risk, category by allocation, over the public contracts."""

    allocations: tuple[str, ...]
    categories: tuple[RiskCategory, ...]
    several_contracts: bool


@dataclass(frozen=True)
class CommitmentRow:
    """A public fiscal commitment (guarantee, subsidy, payment obligation)."""

    type: str
    nature: str
    description: str
    max_exposure: Decimal
    currency: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class CommitmentTotal:
    """The maximum exposure of the public commitments in one currency."""

    currency: str
    direct: Decimal
    contingent: Decimal
    total: Decimal


@dataclass(frozen=True)
class ScheduleSums:
    """The payment schedule against what was paid, in one currency: a year's, or in all.

    A frozen copy of ``payment_queries.Totals`` (or ``YearTotals``), which are
    mutable (summed in place).
    """

    currency: str
    payments: int
    gross: Decimal
    deductions: Decimal
    net_due: Decimal
    paid: Decimal
    remaining: Decimal
    #: The year summed; None for the whole schedule.
    year: int | None = None

    @classmethod
    def of(cls, totals: payment_queries.Totals, *, year: int | None = None) -> "ScheduleSums":
        """Return the frozen copy of ``totals`` (of ``year``)."""
        return cls(
            currency=totals.currency,
            payments=totals.payments,
            gross=totals.gross,
            deductions=totals.deductions,
            net_due=totals.net_due,
            paid=totals.paid,
            remaining=totals.remaining,
            year=year,
        )


@dataclass(frozen=True)
class Schedule:
    """The payment schedule against payments: per year, and the mismatches."""

    years: tuple[ScheduleSums, ...]
    totals: tuple[ScheduleSums, ...]
    #: The first ``MAX_MISMATCHES`` of them, as ``payment_queries.overview`` gives them.
    mismatches: tuple[payment_queries.ScheduleRow, ...]
    mismatch_count: int


@dataclass(frozen=True)
class KpiResult:
    """A KPI with its target, latest result and record of met and failed periods.

    The public part of a ``kpi_queries.KpiRow`` (mutable, and with internal fields).
    """

    contract_reference: str
    code: str
    name: str
    target: str
    frequency: str
    latest_period: str | None
    latest_value: str | None
    latest_met: bool | None
    met: int
    failed: int
    deduction: str


@dataclass(frozen=True)
class DeductionTotal:
    """Performance failures and their penalties over a year (or in total), in one currency.

    A frozen copy of ``kpi_queries.Total``, which is mutable (summed in place).
    """

    key: str
    currency: str
    failures: int
    events: int
    contracted: Decimal
    imposed: Decimal
    paid: Decimal


@dataclass(frozen=True)
class DemandSeries:
    """Demand or revenue against the contract's forecast, year by year.

    ``demand_queries.SeriesOverview`` in the report's terms: the metric in words,
    whether it is money, and how many years compare (its ``years`` are held as they are).
    """

    name: str
    metric: str
    is_money: bool
    unit: str
    contract_reference: str
    years: tuple[demand_queries.YearRow, ...]
    compared: int
    forecast_total: Decimal | None
    actual_total: Decimal | None
    variance_total: Decimal | None
    variance_total_percent: Decimal | None


@dataclass(frozen=True)
class TariffLine:
    """A tariff and the value in force on the report's date.

    ``tariff_queries.TariffRow`` in the report's terms: who pays, in words.
    """

    contract_reference: str
    code: str
    title: str
    paid_by: str
    unit: str
    currency: str
    value: Decimal | None
    since: date | None
    change_since_first_percent: Decimal | None


@dataclass(frozen=True)
class Operations:
    """Operating performance: KPIs and deductions, demand and revenue, tariffs in force."""

    kpis: tuple[KpiResult, ...]
    deductions_by_year: tuple[DeductionTotal, ...]
    deductions_total: tuple[DeductionTotal, ...]
    demand: tuple[DemandSeries, ...]
    tariffs: tuple[TariffLine, ...]
    kpis_withheld: tuple[Redacted, ...]
    demand_withheld: tuple[Redacted, ...]
    tariffs_withheld: tuple[Redacted, ...]


@dataclass(frozen=True)
class Findings:
    """How many audit findings are open, answered and closed."""

    open: int
    answered: int
    closed: int


@dataclass(frozen=True)
class ProjectReportData:
    """Everything the project transparency report prints, and nothing else.

    ``*_withheld`` hold the notices of what each section leaves out.
    ``operations`` is None when the project has no operations record at all.
    """

    version: DataVersion
    cover: Cover
    key_facts: KeyFacts
    contracts: tuple[ContractRow, ...]
    contracts_withheld: tuple[Redacted, ...]
    milestones: Milestones
    budget: Budget
    payments: Payments
    amendments: tuple[AmendmentRow, ...]
    amendments_withheld: tuple[Redacted, ...]
    risks: RiskMatrix
    risks_withheld: tuple[Redacted, ...]
    commitments: tuple[CommitmentRow, ...]
    commitment_totals: tuple[CommitmentTotal, ...]
    commitments_withheld: tuple[Redacted, ...]
    schedule: Schedule
    schedule_withheld: tuple[Redacted, ...]
    operations: Operations | None
    findings: Findings


# --- reading ------------------------------------------------------------------------------


def assemble(project, version: DataVersion, *, base_url: str) -> ProjectReportData:
    """Read what the public may know of ``project`` as of ``version``.

    :param project: a live ``Project`` (published, for the public site).
    :param version: the data version the report is for; its date decides what
        is overdue, due or in force, and the earned value's planned value.
    :param base_url: the public site's address; the report links to the project's page.
    :return: plain, frozen data for ``project_report.render``.
    """
    today = version.today
    url = f"{base_url.rstrip('/')}/projects/{project.code}"
    contracts = contract_queries.contracts_of(project.id)
    live = {contract.id: contract for contract in contracts}
    public = [c for c in contracts if not c.confidential]
    contract_rows = tuple(_contract_row(c) for c in public)
    milestones = milestone_queries.milestones_of(project.id)
    amendments, amendments_withheld = _amendments(public)
    risks, risks_withheld = _risks(project.id, live)
    commitments, totals, commitments_withheld = _commitments(project.id, live)
    schedule, schedule_withheld = _schedule(project.id, today)
    counts = finding_counts(project.id)
    return ProjectReportData(
        version=version,
        cover=_cover(project, url),
        key_facts=_key_facts(project, contract_rows, milestones),
        contracts=contract_rows,
        contracts_withheld=tuple(
            notices(
                [c.confidential_reason or "withheld" for c in contracts if c.confidential],
                "contract",
                "contracts",
            )
        ),
        milestones=_milestones(milestones, today),
        budget=_budget(project),
        payments=_payments(project, today),
        amendments=amendments,
        amendments_withheld=amendments_withheld,
        risks=risks,
        risks_withheld=risks_withheld,
        commitments=commitments,
        commitment_totals=totals,
        commitments_withheld=commitments_withheld,
        schedule=schedule,
        schedule_withheld=schedule_withheld,
        operations=_operations(project.id, today),
        findings=Findings(
            open=counts.get("open", 0),
            answered=counts.get("answered", 0),
            closed=counts.get("closed", 0),
        ),
    )


def _cover(project, url: str) -> Cover:
    return Cover(
        title=project.title,
        code=project.code,
        sector=codelists.title("projectSector", project.sector),
        project_type=codelists.title("projectType", project.type),
        status=codelists.title("projectStatus", project.status).capitalize(),
        ppp_model=codelists.PPP_MODELS.get(project.ppp_model, project.ppp_model),
        location=project.location or "",
        latitude=project.latitude,
        longitude=project.longitude,
        public_authority=project.public_authority.name,
        private_party=project.private_party.name if project.private_party else None,
        currency=project.currency,
        budget_amount=project.budget_amount,
        planned_start=project.planned_start,
        planned_end=project.planned_end,
        description=project.description or "",
        purpose=project.purpose or "",
        url=url,
    )


def _contract_row(contract) -> ContractRow:
    terms = contract_queries.terms(contract, hide_confidential=True)
    return ContractRow(
        reference=contract.reference,
        title=contract.title,
        status=CONTRACT_STATUSES.get(contract.status.value, contract.status.value),
        payment_mechanism=contract.payment_mechanism.value,
        signature_date=contract.signature_date,
        financial_close_date=contract.financial_close_date,
        currency=contract.currency,
        initial_value=terms.initial_value,
        current_value=terms.current_value,
        value_change=terms.value_change,
        value_change_percent=terms.value_change_percent,
        value_withheld="value" in terms.withheld,
        initial_start=terms.initial_start,
        initial_end=terms.initial_end,
        current_start=terms.current_start,
        current_end=terms.current_end,
        period_withheld="period" in terms.withheld,
        duration_change_days=None if "period" in terms.withheld else terms.duration_change_days,
        amendments=sum(1 for a in contract.amendments if not a.confidential),
    )


def _key_facts(project, contracts: tuple[ContractRow, ...], milestones) -> KeyFacts:
    main = max(contracts, key=lambda c: c.initial_value, default=None)
    keys = milestone_queries.key_milestones(milestones)
    close, source = None, "not recorded"
    if main is not None and main.financial_close_date is not None:
        close, source = main.financial_close_date, f"contract {main.reference}"
    else:
        for key in keys:
            m = key.milestone
            if m.code != "financialClose":
                continue
            if m.actual_date is not None:
                close, source = m.actual_date, "milestone, met"
            elif (m.forecast_date or m.baseline_date) is not None:
                close, source = m.forecast_date or m.baseline_date, "milestone, expected"
            break
    return KeyFacts(
        ppp_model=codelists.PPP_MODELS.get(project.ppp_model, project.ppp_model),
        main_contract=main,
        financial_close=close,
        financial_close_source=source,
        physical_progress=milestone_queries.physical_progress(milestones),
        key_milestones=tuple(
            KeyMilestone(
                code=key.milestone.code,
                name=codelists.title("milestoneCode", key.milestone.code),
                baseline=key.milestone.baseline_date,
                forecast=key.milestone.forecast_date,
                actual=key.milestone.actual_date,
                status=_milestone_status(key.milestone),
                slippage_days=key.slippage_days,
            )
            for key in keys
        ),
    )


def _milestone_status(milestone) -> str:
    return MILESTONE_STATUSES.get(milestone.status.value, milestone.status.value)


def _timeline_order(milestone):
    # The order ``milestones.timeline.timeline`` draws in: baseline, else forecast,
    # else actual date; undated last; ties in the order they were entered.
    first = milestone.baseline_date or milestone.forecast_date or milestone.actual_date
    return (first is None, first or date.min, milestone.id)


def _milestones(milestones, today: date) -> Milestones:
    ordered = sorted(milestones, key=_timeline_order)
    rows = tuple(
        MilestoneRow(
            title=m.title,
            code=codelists.title("milestoneCode", m.code) if m.code else "",
            baseline=m.baseline_date,
            forecast=m.forecast_date,
            actual=m.actual_date,
            status=_milestone_status(m),
            percent_complete=m.percent_complete,
            slippage_days=milestone_queries.slippage_days(m),
            overdue=milestone_queries.is_overdue(m, today=today),
        )
        for m in ordered
    )
    return Milestones(
        rows=rows,
        timeline=tuple(
            TimelineItem(m.title, m.baseline_date, m.forecast_date, m.actual_date) for m in ordered
        ),
        progress=milestone_queries.physical_progress(milestones),
        overdue=sum(1 for row in rows if row.overdue),
    )


UNASSIGNED = "Not assigned to a budget line"


def _budget(project) -> Budget:
    variance = budget_queries.variance(project)
    rows = tuple(
        LineVariance.of(
            r,
            code=r.line.code,
            name=r.line.name,
            category=CATEGORIES.get(r.line.category.value, r.line.category.value),
        )
        for r in variance.rows
    )
    unassigned = (
        LineVariance.of(variance.unassigned, code="", name=UNASSIGNED)
        if variance.unassigned
        else None
    )
    bars = [BudgetBar(f"{r.code} – {r.name}", r.planned, r.committed, r.paid) for r in rows]
    if unassigned is not None:
        bars.append(BudgetBar(UNASSIGNED, None, unassigned.committed, unassigned.paid))
    return Budget(
        currency=project.currency,
        rows=rows,
        unassigned=unassigned,
        total=LineVariance.of(variance.total, code="", name="Total"),
        bars=tuple(bars),
    )


def _payments(project, today: date) -> Payments:
    year = sa.extract("year", Transaction.transaction_date)
    amount = sa.type_coerce(sa.func.coalesce(sa.func.sum(Transaction.project_amount), 0), Money())
    by_year: dict[int, dict] = {}
    for y, kind, total, count in db.session.execute(
        sa.select(year, Transaction.kind, amount, sa.func.count(Transaction.id))
        .where(Transaction.project_id == project.id, Transaction.is_deleted.is_(False))
        .group_by(year, Transaction.kind)
    ):
        bucket = by_year.setdefault(int(y), {"count": 0})
        bucket[TransactionKind(kind)] = total
        bucket["count"] += count
    years = tuple(
        YearAmounts(
            year=y,
            committed=b.get(TransactionKind.COMMITMENT, ZERO),
            paid=b.get(TransactionKind.PAYMENT, ZERO),
            received=b.get(TransactionKind.RECEIPT, ZERO),
            transactions=b["count"],
        )
        for y, b in sorted(by_year.items())
    )
    return Payments(
        currency=project.currency,
        committed=sum((y.committed for y in years), ZERO),
        paid=sum((y.paid for y in years), ZERO),
        received=sum((y.received for y in years), ZERO),
        transactions=sum(y.transactions for y in years),
        by_year=years,
        earned_value=budget_queries.earned_value(project, today=today),
    )


def _amendments(public_contracts) -> tuple[tuple[AmendmentRow, ...], tuple[Redacted, ...]]:
    rows, withheld = [], []
    for contract in public_contracts:
        masked = contract_queries.masked_old_figures(contract.amendments)
        for a in sorted(contract.amendments, key=lambda a: a.number):
            if a.confidential:
                withheld.append(
                    Redacted(
                        "amendment",
                        f"Amendment {a.number} of contract {contract.reference}",
                        a.confidential_reason or "withheld",
                    )
                )
                continue
            old_value_withheld = a.id in masked.old_value
            old_period_withheld = a.id in masked.old_period
            rows.append(
                AmendmentRow(
                    contract_reference=contract.reference,
                    number=a.number,
                    amended_on=a.amended_on,
                    type=AMENDMENT_TYPES.get(a.type.value, a.type.value),
                    rationale=a.rationale,
                    description=a.description or "",
                    approved_by=a.approved_by,
                    approved_on=a.approved_on,
                    currency=contract.currency,
                    old_value=None if old_value_withheld else a.old_value,
                    new_value=a.new_value,
                    old_value_withheld=old_value_withheld,
                    old_start=None if old_period_withheld else a.old_start,
                    old_end=None if old_period_withheld else a.old_end,
                    new_start=a.new_start,
                    new_end=a.new_end,
                    old_period_withheld=old_period_withheld,
                )
            )
    return tuple(rows), tuple(withheld)


def _reason(record, contract) -> str | None:
    """Why the public may not see ``record`` of ``contract`` (None: a deleted contract's)."""
    if contract is None:
        # Not among the live contracts: the contract was deleted.
        return WITHDRAWN
    return withheld_reason(record, contract, of_contract=OF_CONFIDENTIAL_CONTRACT)


def _risks(project_id: int, live) -> tuple[RiskMatrix, tuple[Redacted, ...]]:
    risks = db.session.scalars(
        sa.select(RiskAllocation)
        .where(RiskAllocation.project_id == project_id, RiskAllocation.is_deleted.is_(False))
        .order_by(RiskAllocation.category, RiskAllocation.id)
    ).all()
    shown, hidden = [], []
    for risk in risks:
        reason = _reason(risk, live.get(risk.contract_id))
        if reason is None:
            shown.append(risk)
        else:
            hidden.append(reason)
    matrix = contract_queries.risk_matrix(shown)
    order = list(codelists.RISK_CATEGORIES)
    categories = tuple(
        RiskCategory(
            category=codelists.RISK_CATEGORIES.get(category, category),
            cells=tuple(
                (
                    label,
                    tuple(
                        RiskEntry(
                            contract_reference=live[r.contract_id].reference,
                            description=r.description or "",
                            mitigation=r.mitigation or "",
                        )
                        for r in matrix[category].get(key, [])
                    ),
                )
                for key, label in ALLOCATIONS.items()
            ),
        )
        for category in sorted(
            matrix, key=lambda c: (order.index(c) if c in order else len(order), c)
        )
    )
    return (
        RiskMatrix(
            allocations=tuple(ALLOCATIONS.values()),
            categories=categories,
            several_contracts=len({r.contract_id for r in shown}) > 1,
        ),
        tuple(notices(hidden, "risk allocation", "risk allocations")),
    )


def _commitments(project_id: int, live):
    shown, hidden = [], []
    for item in contract_queries.commitments_of(project_id):
        if item.contract_id is None:
            reason = (item.confidential_reason or "withheld") if item.confidential else None
        else:
            reason = _reason(item, live.get(item.contract_id))
        if reason is None:
            shown.append(item)
        else:
            hidden.append(reason)
    rows = tuple(
        CommitmentRow(
            type=COMMITMENT_TYPES.get(c.type.value, c.type.value),
            nature=NATURES.get(c.nature.value, c.nature.value),
            description=c.description or "",
            max_exposure=c.max_exposure,
            currency=c.currency,
            start=c.start_date,
            end=c.end_date,
        )
        for c in shown
    )
    totals = tuple(
        CommitmentTotal(currency, t["direct"], t["contingent"], t["total"])
        for currency, t in contract_queries.commitment_totals(shown).items()
    )
    return rows, totals, tuple(notices(hidden, "fiscal commitment", "fiscal commitments"))


def _schedule(project_id: int, today: date) -> tuple[Schedule, tuple[Redacted, ...]]:
    overview = payment_queries.overview(project_id, hide_confidential=True, today=today)
    mismatched = [row for row in overview.rows if row.mismatch]
    totals: dict[str, payment_queries.Totals] = {}
    for y in overview.years:
        total = totals.setdefault(y.currency, payment_queries.Totals(currency=y.currency))
        total.payments += y.payments
        total.gross += y.gross
        total.deductions += y.deductions
        total.net_due += y.net_due
        total.paid += y.paid
        total.remaining += y.remaining
    return (
        Schedule(
            totals=tuple(ScheduleSums.of(t) for _currency, t in sorted(totals.items())),
            years=tuple(ScheduleSums.of(y, year=y.year) for y in overview.years),
            mismatches=tuple(mismatched[:MAX_MISMATCHES]),
            mismatch_count=len(mismatched),
        ),
        tuple(overview.redacted),
    )


def _deduction_total(total) -> DeductionTotal:
    return DeductionTotal(
        key=total.key,
        currency=total.currency,
        failures=total.count,
        events=total.events,
        contracted=total.contracted,
        imposed=total.imposed,
        paid=total.paid,
    )


def _operations(project_id: int, today: date) -> Operations | None:
    kpis = kpi_queries.kpis_of(project_id, True)
    failures = kpi_queries.failure_totals(project_id, hide_confidential=True)
    tariffs = tariff_queries.tariff_table(project_id, on=today, hide_confidential=True)
    demand = demand_queries.demand_overview(project_id, hide_confidential=True)
    if not (
        kpis.rows
        or kpis.withheld
        or failures.grand
        or failures.withheld
        or tariffs.rows
        or tariffs.redacted
        or demand.series
        or demand.redacted
    ):
        return None
    return Operations(
        kpis=tuple(
            KpiResult(
                contract_reference=k.contract_reference,
                code=k.code,
                name=k.name,
                target=k.target_text,
                frequency=k.frequency,
                latest_period=k.latest_period,
                latest_value=k.latest_value_text,
                latest_met=k.latest_met,
                met=k.met_count,
                failed=k.failed_count,
                deduction=k.deduction_text,
            )
            for k in kpis.rows
        ),
        deductions_by_year=tuple(_deduction_total(t) for t in failures.by_year),
        deductions_total=tuple(_deduction_total(t) for t in failures.grand),
        demand=tuple(
            DemandSeries(
                name=s.name,
                metric=METRICS.get(s.metric.value, s.metric.value),
                is_money=s.metric == Metric.REVENUE,
                unit=s.unit,
                contract_reference=s.contract_reference,
                years=tuple(s.rows),
                compared=len(s.compared),
                forecast_total=s.forecast_total,
                actual_total=s.actual_total,
                variance_total=s.variance_total,
                variance_total_percent=s.variance_total_percent,
            )
            for s in demand.series
        ),
        tariffs=tuple(
            TariffLine(
                contract_reference=t.contract_reference,
                code=t.code,
                title=t.title,
                paid_by=t.payer_group or PAID_BY.get(t.paid_by.value, t.paid_by.value),
                unit=t.unit,
                currency=t.currency,
                value=t.value,
                since=t.in_force_since,
                change_since_first_percent=t.change_since_first_percent,
            )
            for t in tariffs.rows
        ),
        kpis_withheld=tuple([*kpis.withheld, *failures.withheld]),
        demand_withheld=tuple(demand.redacted),
        tariffs_withheld=tuple(tariffs.redacted),
    )
