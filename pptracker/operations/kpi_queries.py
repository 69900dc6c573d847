"""Reading KPIs, observations and performance failures, as plain data.

Every function takes ``hide_confidential``: True for the public (and anyone
who may not see the project's confidential records). Then a KPI that is
confidential, or whose contract is confidential, is left out with its
observations and failures, and so is a failure of a confidential contract;
what was left out is counted in ``Redacted`` notices (kind, how many, why).
KPIs and failures of deleted contracts are left out for everyone.

Each function runs a fixed number of SQL statements, however many rows.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from pptracker.contracts.models import Contract
from pptracker.disclosure import Redacted, notices, withheld_reason
from pptracker.extensions import db
from pptracker.operations import periods
from pptracker.operations.kpi_services import show_target, show_value
from pptracker.operations.models import (
    DeductionBasis,
    Kpi,
    KpiObservation,
    PerformanceFailure,
)

ZERO = Decimal("0.00")


# --- KPIs ---------------------------------------------------------------------------------


@dataclass
class KpiRow:
    """A KPI, its latest result and how often it met or missed its target."""

    id: int
    contract_id: int
    contract_reference: str
    contract_title: str
    currency: str
    code: str
    name: str
    category: str
    unit: str
    comparison: str
    target: Decimal
    target_text: str
    frequency: str
    source: str
    deduction_rule: str
    deduction_basis: str
    deduction_text: str
    confidential: bool
    version: int
    latest_period: str | None = None
    latest_value: Decimal | None = None
    latest_value_text: str | None = None
    latest_met: bool | None = None
    met_count: int = 0
    failed_count: int = 0


@dataclass
class ContractKpis:
    """The KPIs of one contract."""

    contract_id: int
    reference: str
    title: str
    kpis: list[KpiRow] = field(default_factory=list)


@dataclass
class KpiList:
    """A project's KPIs by contract, and notices for those withheld."""

    contracts: list[ContractKpis]
    withheld: list[Redacted]

    @property
    def rows(self) -> list[KpiRow]:
        """Every KPI shown, contract by contract."""
        return [row for group in self.contracts for row in group.kpis]


def deduction_text(kpi, currency: str) -> str:
    """Describe a KPI's deduction per failure event (``500.00 EUR per event``)."""
    basis = DeductionBasis(kpi.deduction_basis)
    if basis == DeductionBasis.AMOUNT:
        return f"{Decimal(kpi.deduction_amount or 0):,.2f} {currency} per failure event"
    if basis == DeductionBasis.PERCENT:
        percent = show_value("percent", kpi.deduction_percent)
        return f"{percent} of the period's scheduled payment per failure event"
    return "No deduction"


def _live_kpis(project_id: int):
    return (
        sa.select(Kpi, Contract)
        .join(Contract, Contract.id == Kpi.contract_id)
        .where(
            Kpi.project_id == project_id,
            Kpi.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
        )
        .order_by(Contract.reference, Contract.id, Kpi.code, Kpi.id)
    )


def _row(kpi: Kpi, contract: Contract) -> KpiRow:
    return KpiRow(
        id=kpi.id,
        contract_id=contract.id,
        contract_reference=contract.reference,
        contract_title=contract.title,
        currency=contract.currency,
        code=kpi.code,
        name=kpi.name,
        category=kpi.category.value,
        unit=kpi.unit.value,
        comparison=kpi.comparison.value,
        target=kpi.target,
        target_text=show_target(kpi),
        frequency=kpi.frequency.value,
        source=kpi.source.value,
        deduction_rule=kpi.deduction_rule or "",
        deduction_basis=kpi.deduction_basis.value,
        deduction_text=deduction_text(kpi, contract.currency),
        confidential=kpi.confidential or contract.confidential,
        version=kpi.version,
    )


def kpis_of(project_id: int, hide_confidential: bool) -> KpiList:
    """Return a project's live KPIs grouped by contract, each with its latest result.

    Three statements: the KPIs, their latest observations, the met/failed counts.
    """
    shown: list[KpiRow] = []
    hidden: list[str] = []
    for kpi, contract in db.session.execute(_live_kpis(project_id)).all():
        reason = withheld_reason(kpi, contract)
        if hide_confidential and reason is not None:
            hidden.append(reason)
        else:
            shown.append(_row(kpi, contract))
    by_id = {row.id: row for row in shown}
    if by_id:
        ranked = (
            sa.select(
                KpiObservation.kpi_id,
                KpiObservation.period_start,
                KpiObservation.value,
                KpiObservation.met,
                sa.func.row_number()
                .over(
                    partition_by=KpiObservation.kpi_id,
                    order_by=KpiObservation.period_start.desc(),
                )
                .label("rank"),
            )
            .where(KpiObservation.kpi_id.in_(by_id))
            .subquery()
        )
        latest = db.session.execute(
            sa.select(ranked.c.kpi_id, ranked.c.period_start, ranked.c.value, ranked.c.met).where(
                ranked.c.rank == 1
            )
        ).all()
        for kpi_id, start, value, met in latest:
            row = by_id[kpi_id]
            row.latest_period = periods.label(row.frequency, start)
            row.latest_value = Decimal(value)
            row.latest_value_text = show_value(row.unit, row.latest_value)
            row.latest_met = bool(met)
        counts = db.session.execute(
            sa.select(KpiObservation.kpi_id, KpiObservation.met, sa.func.count())
            .where(KpiObservation.kpi_id.in_(by_id))
            .group_by(KpiObservation.kpi_id, KpiObservation.met)
        ).all()
        for kpi_id, met, count in counts:
            if met:
                by_id[kpi_id].met_count = count
            else:
                by_id[kpi_id].failed_count = count
    groups: dict[int, ContractKpis] = {}
    for row in shown:
        group = groups.setdefault(
            row.contract_id,
            ContractKpis(row.contract_id, row.contract_reference, row.contract_title),
        )
        group.kpis.append(row)
    return KpiList(list(groups.values()), notices(hidden, "KPI", "KPIs"))


def get_kpi(project_id: int, kpi_id: int, *, hide_confidential: bool) -> KpiRow | None:
    """Return one live KPI of the project as shown to this reader, or None when hidden."""
    found = db.session.execute(_live_kpis(project_id).where(Kpi.id == kpi_id)).first()
    if found is None:
        return None
    kpi, contract = found
    if hide_confidential and withheld_reason(kpi, contract) is not None:
        return None
    return _row(kpi, contract)


# --- observations -------------------------------------------------------------------------


@dataclass
class Evidence:
    """An evidence document of an observation, as this reader may see it."""

    id: int
    title: str
    public: bool
    confidential: bool


@dataclass
class ObservationRow:
    """An observation with the failure it created and its evidence."""

    id: int
    kpi_id: int
    period_start: date
    period_end: date
    period: str
    value: Decimal
    value_text: str
    met: bool
    events: int
    source: str
    note: str
    reported_by: str | None
    version: int
    failure_id: int | None = None
    penalty_contracted: Decimal | None = None
    penalty_imposed: Decimal | None = None
    penalty_paid: Decimal | None = None
    currency: str | None = None
    evidence: list[Evidence] = field(default_factory=list)


def _with_failures(*columns) -> sa.Select:
    """Select observations with their KPI, contract and live failure (or None), and ``columns``."""
    live_failure = aliased(PerformanceFailure)
    return (
        sa.select(KpiObservation, Kpi, Contract, live_failure, *columns)
        .join(Kpi, Kpi.id == KpiObservation.kpi_id)
        .join(Contract, Contract.id == Kpi.contract_id)
        .outerjoin(
            live_failure,
            sa.and_(
                live_failure.observation_id == KpiObservation.id,
                live_failure.is_deleted.is_(False),
            ),
        )
    )


def observations_of(kpi_id: int, *, hide_confidential: bool = False) -> list[ObservationRow]:
    """Return a KPI's observations, newest period first, with failures and evidence.

    Returns nothing for a KPI the reader may not see. Two statements.
    """
    from pptracker.auth.models import User
    from pptracker.documents.models import Document

    stmt = (
        _with_failures(User.name)
        .outerjoin(User, User.id == KpiObservation.reported_by_id)
        .where(KpiObservation.kpi_id == kpi_id)
        .order_by(KpiObservation.period_start.desc())
    )
    if hide_confidential:
        stmt = stmt.where(
            Kpi.confidential.is_(False),
            Contract.confidential.is_(False),
            Contract.is_deleted.is_(False),
            Kpi.is_deleted.is_(False),
        )
    rows = []
    for obs, kpi, _contract, failure, reporter in db.session.execute(stmt).all():
        row = ObservationRow(
            id=obs.id,
            kpi_id=kpi.id,
            period_start=obs.period_start,
            period_end=obs.period_end,
            period=periods.label(kpi.frequency, obs.period_start),
            value=obs.value,
            value_text=show_value(kpi.unit, obs.value),
            met=obs.met,
            events=obs.events,
            source=obs.source.value,
            note=obs.note or "",
            reported_by=reporter,
            version=obs.version,
        )
        if failure is not None:
            row.failure_id = failure.id
            row.penalty_contracted = failure.penalty_contracted
            row.penalty_imposed = failure.penalty_imposed
            row.penalty_paid = failure.penalty_paid
            row.currency = failure.currency
        rows.append(row)
    if rows:
        docs = sa.select(Document).where(
            Document.kpi_observation_id.in_([r.id for r in rows]),
            Document.is_deleted.is_(False),
        )
        if hide_confidential:
            docs = docs.where(Document.public.is_(True), Document.confidential.is_(False))
        by_id = {r.id: r for r in rows}
        for doc in db.session.scalars(docs.order_by(Document.id)):
            by_id[doc.kpi_observation_id].evidence.append(
                Evidence(doc.id, doc.title, doc.public, doc.confidential)
            )
    return rows


# --- failures -----------------------------------------------------------------------------


@dataclass
class FailureRow:
    """A performance failure as listed."""

    id: int
    contract_id: int
    contract_reference: str
    kpi_id: int | None
    kpi_code: str | None
    kpi_name: str | None
    observation_id: int | None
    category: str
    period_start: date
    period_end: date
    events: int
    penalty_contracted: Decimal
    penalty_imposed: Decimal
    penalty_paid: Decimal
    currency: str
    description: str
    confidential: bool
    version: int

    @property
    def from_observation(self) -> bool:
        """Tell whether a failed KPI observation created it."""
        return self.observation_id is not None


def _failures(project_id: int):
    return (
        sa.select(PerformanceFailure, Contract, Kpi)
        .join(Contract, Contract.id == PerformanceFailure.contract_id)
        .outerjoin(Kpi, Kpi.id == PerformanceFailure.kpi_id)
        .where(
            PerformanceFailure.project_id == project_id,
            PerformanceFailure.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
        )
        .order_by(PerformanceFailure.period_start.desc(), Contract.reference, PerformanceFailure.id)
    )


def _failure_rows(project_id: int, hide_confidential: bool, stmt=None):
    """Return (shown rows, reasons of the hidden ones)."""
    shown, hidden = [], []
    for failure, contract, kpi in db.session.execute(
        stmt if stmt is not None else _failures(project_id)
    ).all():
        reason = withheld_reason(kpi, contract)
        if hide_confidential and reason is not None:
            hidden.append(reason)
            continue
        shown.append(
            FailureRow(
                id=failure.id,
                contract_id=contract.id,
                contract_reference=contract.reference,
                kpi_id=kpi.id if kpi is not None else None,
                kpi_code=kpi.code if kpi is not None else None,
                kpi_name=kpi.name if kpi is not None else None,
                observation_id=failure.observation_id,
                category=failure.category.value,
                period_start=failure.period_start,
                period_end=failure.period_end,
                events=failure.events,
                penalty_contracted=failure.penalty_contracted,
                penalty_imposed=failure.penalty_imposed,
                penalty_paid=failure.penalty_paid,
                currency=failure.currency,
                description=failure.description or "",
                confidential=reason is not None,
                version=failure.version,
            )
        )
    return shown, hidden


def failures_of(
    project_id: int, *, hide_confidential: bool, contract_id: int | None = None, year=None
) -> list[FailureRow]:
    """Return a project's live failures, newest period first; one statement.

    :param contract_id: only this contract's.
    :param year: only failures whose period starts in this year.
    """
    stmt = _failures(project_id)
    if contract_id is not None:
        stmt = stmt.where(PerformanceFailure.contract_id == contract_id)
    if year is not None:
        stmt = stmt.where(
            PerformanceFailure.period_start >= date(year, 1, 1),
            PerformanceFailure.period_start <= date(year, 12, 31),
        )
    return _failure_rows(project_id, hide_confidential, stmt)[0]


@dataclass
class Total:
    """Failures summed over a group, in one currency."""

    key: str
    currency: str
    events: int = 0
    contracted: Decimal = ZERO
    imposed: Decimal = ZERO
    paid: Decimal = ZERO
    count: int = 0

    def add(self, row: FailureRow) -> None:
        """Add one failure to the sums."""
        self.count += 1
        self.events += row.events
        self.contracted += row.penalty_contracted
        self.imposed += row.penalty_imposed
        self.paid += row.penalty_paid


@dataclass
class FailureTotals:
    """Failures and penalties per year, per contract and overall, by currency."""

    by_year: list[Total]
    by_contract: list[Total]
    grand: list[Total]
    withheld: list[Redacted]

    @property
    def empty(self) -> bool:
        """Tell whether no failure is shown."""
        return not self.grand


def totals_of(rows: list[FailureRow], withheld: list[Redacted] | None = None) -> FailureTotals:
    """Sum failure rows per year (of the period's start), per contract and overall."""
    years: dict[tuple, Total] = {}
    contracts: dict[tuple, Total] = {}
    grand: dict[str, Total] = {}
    for row in rows:
        year = str(row.period_start.year)
        years.setdefault((year, row.currency), Total(year, row.currency)).add(row)
        contracts.setdefault(
            (row.contract_reference, row.currency), Total(row.contract_reference, row.currency)
        ).add(row)
        grand.setdefault(row.currency, Total("Total", row.currency)).add(row)
    return FailureTotals(
        by_year=[years[k] for k in sorted(years)],
        by_contract=[contracts[k] for k in sorted(contracts)],
        grand=[grand[k] for k in sorted(grand)],
        withheld=withheld or [],
    )


def failure_totals(project_id: int, *, hide_confidential: bool) -> FailureTotals:
    """Return the project's failures and penalties summed per year and per contract.

    One statement; failures withheld from this reader are counted in notices.
    """
    rows, hidden = _failure_rows(project_id, hide_confidential)
    return totals_of(rows, notices(hidden, "performance failure", "performance failures"))


# --- the CSV export -----------------------------------------------------------------------


def export_observations(project_id: int, *, hide_confidential: bool) -> list[tuple]:
    """Return every observation of the project's live KPIs with its KPI, contract and failure.

    One statement; rows ``(observation, kpi, contract, failure or None)``.
    """
    stmt = (
        _with_failures()
        .where(
            KpiObservation.project_id == project_id,
            Kpi.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
        )
        .order_by(Contract.reference, Kpi.code, KpiObservation.period_start)
    )
    if hide_confidential:
        stmt = stmt.where(Kpi.confidential.is_(False), Contract.confidential.is_(False))
    return [tuple(row) for row in db.session.execute(stmt).all()]
