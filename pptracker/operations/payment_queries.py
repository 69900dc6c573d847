"""The payment schedule against what was paid: plain data for pages, exports and reports.

For each scheduled payment: its deductions (penalties imposed for
performance failures of its contract that start in its period, for the
types in ``DEDUCTIBLE_PAYMENTS``), the net due (gross minus deductions, not
below zero), what was paid (live budgets payments that settle it) and a
status. Everything comes from one SQL statement with grouped subqueries,
whatever the number of payments, failures and transactions.

``hide_confidential=True`` is for the public: a payment that is confidential,
or whose contract is confidential or deleted, is left out, counted, and
replaced by a ``Redacted`` notice giving the reason.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from pptracker.budgets.models import Transaction, TransactionKind
from pptracker.contracts.models import Contract
from pptracker.database import Money
from pptracker.disclosure import Redacted, notices, withheld_reason
from pptracker.extensions import db
from pptracker.operations.models import (
    DEDUCTIBLE_PAYMENTS,
    PaymentType,
    PerformanceFailure,
    ScheduledPayment,
)
from pptracker.operations.payment_services import period_text, type_label

ZERO = Decimal("0.00")

UPCOMING = "upcoming"
IN_PERIOD = "in period"
DUE = "due"
SETTLED = "settled"
UNDERPAID = "underpaid"
UNPAID = "unpaid"
OVERPAID = "overpaid"

#: Statuses that are a mismatch between what was due and what was paid.
MISMATCHES = frozenset({UNDERPAID, UNPAID, OVERPAID})

#: Why a contract's payments are withheld when the contract itself is gone.
DELETED_CONTRACT_REASON = "its contract was withdrawn from the record"


def money_zero():
    """A zero of the money type (a bare 0 would be bound as hundredths on SQLite)."""
    return sa.literal(ZERO, Money())


def deductions_subquery(condition=None) -> sa.Subquery:
    """Deductions per scheduled payment: columns ``payment_id``, ``deductions``.

    :param condition: limits the scheduled payments (e.g. to a project); None for all.
    """
    sp = aliased(ScheduledPayment)
    stmt = (
        sa.select(
            sp.id.label("payment_id"),
            sa.func.sum(PerformanceFailure.penalty_imposed).label("deductions"),
        )
        .join(
            PerformanceFailure,
            sa.and_(
                PerformanceFailure.contract_id == sp.contract_id,
                PerformanceFailure.is_deleted.is_(False),
                PerformanceFailure.period_start >= sp.period_start,
                PerformanceFailure.period_start <= sp.period_end,
            ),
        )
        .where(sp.is_deleted.is_(False), sp.type.in_([t.value for t in DEDUCTIBLE_PAYMENTS]))
        .group_by(sp.id)
    )
    if condition is not None:
        stmt = stmt.where(condition(sp))
    return stmt.subquery("deductions")


def paid_subquery(condition=None) -> sa.Subquery:
    """What was paid per scheduled payment: ``payment_id``, ``paid``, ``transactions``.

    :param condition: limits the transactions (e.g. to a project); None for all.
    """
    stmt = (
        sa.select(
            Transaction.scheduled_payment_id.label("payment_id"),
            sa.func.sum(Transaction.amount).label("paid"),
            sa.func.count(Transaction.id).label("transactions"),
        )
        .where(
            Transaction.kind == TransactionKind.PAYMENT,
            Transaction.is_deleted.is_(False),
            Transaction.scheduled_payment_id.is_not(None),
        )
        .group_by(Transaction.scheduled_payment_id)
    )
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt.subquery("paid")


def net_due_expression(gross, deductions):
    """Gross minus deductions, not below zero, as SQL."""
    return sa.case((gross > deductions, gross - deductions), else_=money_zero())


def net_due(gross: Decimal, deductions: Decimal) -> Decimal:
    """Gross minus deductions, not below zero."""
    return max(gross - deductions, ZERO)


def status_of(
    *, start: date, end: date, due: date | None, net: Decimal, paid: Decimal, today: date
) -> str:
    """Return where a scheduled payment stands on ``today``."""
    if paid > net:
        return OVERPAID
    if paid == net and (net > 0 or today > end):
        return SETTLED
    if today < start:
        return UPCOMING
    if today <= end:
        return IN_PERIOD
    if due is not None and today <= due:
        return DUE
    return UNPAID if paid == 0 else UNDERPAID


def status_text(row: "ScheduleRow") -> str:
    """Return a row's status in words (mismatches say so: never colour alone)."""
    if row.status == UPCOMING:
        return "Upcoming"
    if row.status == IN_PERIOD:
        return "In period"
    if row.status == DUE:
        return f"Due by {row.due_date.isoformat()}"
    if row.status == SETTLED:
        return "Settled"
    return f"{row.status.capitalize()}: mismatch"


@dataclass(frozen=True)
class ScheduleRow:
    """One scheduled payment with its deductions, net due, what was paid, and status."""

    id: int
    version: int
    contract_id: int
    contract_reference: str
    contract_deleted: bool
    type: PaymentType
    period_start: date
    period_end: date
    due_date: date | None
    currency: str
    gross: Decimal
    deductions: Decimal
    net_due: Decimal
    paid: Decimal
    transactions: int
    status: str
    description: str
    confidential: bool
    fiscal_commitment_id: int | None

    @property
    def difference(self) -> Decimal:
        """Paid minus net due: negative when underpaid, positive when overpaid."""
        return self.paid - self.net_due

    @property
    def outstanding(self) -> Decimal:
        """What remains to pay (net due minus paid, not below zero)."""
        return max(self.net_due - self.paid, ZERO)

    @property
    def mismatch(self) -> bool:
        return self.status in MISMATCHES

    @property
    def period(self) -> str:
        return period_text(self.period_start, self.period_end)

    @property
    def type_label(self) -> str:
        return type_label(self.type)

    @property
    def label(self) -> str:
        """E.g. "2025-03 availability payment, C-1 (100,000.00 EUR)"."""
        return (
            f"{self.period} {self.type_label}, {self.contract_reference} "
            f"({self.gross:,.2f} {self.currency})"
        )

    @property
    def status_text(self) -> str:
        return status_text(self)


@dataclass
class Totals:
    """Sums of a group of rows (a year, a contract), in one currency."""

    currency: str
    gross: Decimal = ZERO
    deductions: Decimal = ZERO
    net_due: Decimal = ZERO
    paid: Decimal = ZERO
    #: Net due not yet paid (outstanding and future periods): the remaining commitment.
    remaining: Decimal = ZERO
    payments: int = 0

    def add(self, row: ScheduleRow) -> None:
        self.gross += row.gross
        self.deductions += row.deductions
        self.net_due += row.net_due
        self.paid += row.paid
        self.remaining += row.outstanding
        self.payments += 1


@dataclass
class YearTotals(Totals):
    year: int = 0


@dataclass
class ContractTotals(Totals):
    contract_id: int = 0
    contract_reference: str = ""


@dataclass
class Schedule:
    """A project's payment schedule as one reader may see it."""

    rows: list[ScheduleRow] = field(default_factory=list)
    years: list[YearTotals] = field(default_factory=list)
    contracts: list[ContractTotals] = field(default_factory=list)
    #: One notice per reason payments were withheld.
    redacted: list[Redacted] = field(default_factory=list)
    hidden: int = 0

    @property
    def mismatches(self) -> int:
        return sum(1 for row in self.rows if row.mismatch)


def _select(project_id: int, *, contract_id: int | None = None, payment_id: int | None = None):
    deductions = deductions_subquery(lambda sp: sp.project_id == project_id)
    paid = paid_subquery(Transaction.project_id == project_id)
    stmt = (
        sa.select(
            ScheduledPayment,
            Contract.reference.label("contract_reference"),
            Contract.is_deleted.label("contract_deleted"),
            Contract,
            sa.func.coalesce(deductions.c.deductions, money_zero()).label("deductions"),
            sa.func.coalesce(paid.c.paid, money_zero()).label("paid"),
            sa.func.coalesce(paid.c.transactions, 0).label("transactions"),
        )
        .join(Contract, Contract.id == ScheduledPayment.contract_id)
        .outerjoin(deductions, deductions.c.payment_id == ScheduledPayment.id)
        .outerjoin(paid, paid.c.payment_id == ScheduledPayment.id)
        .where(ScheduledPayment.project_id == project_id, ScheduledPayment.is_deleted.is_(False))
        .order_by(
            ScheduledPayment.period_start,
            Contract.reference,
            ScheduledPayment.type,
            ScheduledPayment.id,
        )
    )
    if contract_id is not None:
        stmt = stmt.where(ScheduledPayment.contract_id == contract_id)
    if payment_id is not None:
        stmt = stmt.where(ScheduledPayment.id == payment_id)
    return stmt


def _row(record, today: date) -> ScheduleRow:
    p = record.ScheduledPayment
    net = net_due(p.gross_amount, record.deductions)
    return ScheduleRow(
        id=p.id,
        version=p.version,
        contract_id=p.contract_id,
        contract_reference=record.contract_reference,
        contract_deleted=record.contract_deleted,
        type=PaymentType(p.type),
        period_start=p.period_start,
        period_end=p.period_end,
        due_date=p.due_date,
        currency=p.currency,
        gross=p.gross_amount,
        deductions=record.deductions,
        net_due=net,
        paid=record.paid,
        transactions=record.transactions,
        status=status_of(
            start=p.period_start,
            end=p.period_end,
            due=p.due_date,
            net=net,
            paid=record.paid,
            today=today,
        ),
        description=p.description,
        confidential=p.confidential,
        fiscal_commitment_id=p.fiscal_commitment_id,
    )


def _hidden_reason(record) -> str | None:
    """Why the public may not see this payment, or None when it may."""
    return withheld_reason(
        record.ScheduledPayment,
        record.Contract,
        withdrawn=DELETED_CONTRACT_REASON,
        of_contract="its contract is confidential ({})".format,
    )


def overview(
    project_id: int,
    *,
    hide_confidential: bool,
    today: date,
    contract_id: int | None = None,
    year: int | None = None,
) -> Schedule:
    """Return a project's payment schedule with yearly and per-contract totals (one query).

    :param contract_id: only this contract's payments (rows and totals).
    :param year: only the rows of periods starting in this year (totals stay whole).
    """
    result = Schedule()
    withheld: list[str] = []
    years: dict[tuple[int, str], YearTotals] = {}
    contracts: dict[int, ContractTotals] = {}
    for record in db.session.execute(_select(project_id, contract_id=contract_id)):
        reason = _hidden_reason(record)
        if hide_confidential and reason is not None:
            withheld.append(reason)
            continue
        row = _row(record, today)
        key = (row.period_start.year, row.currency)
        years.setdefault(key, YearTotals(currency=row.currency, year=key[0])).add(row)
        contracts.setdefault(
            row.contract_id,
            ContractTotals(
                currency=row.currency,
                contract_id=row.contract_id,
                contract_reference=row.contract_reference,
            ),
        ).add(row)
        if year is None or row.period_start.year == year:
            result.rows.append(row)
    result.years = [years[key] for key in sorted(years)]
    result.contracts = sorted(contracts.values(), key=lambda c: c.contract_reference)
    result.hidden = len(withheld)
    result.redacted = notices(withheld, "scheduled payment", "scheduled payments")
    return result


def schedule(
    project_id: int, *, hide_confidential: bool, today: date, contract_id: int | None = None
) -> list[ScheduleRow]:
    """Return the rows of a project's payment schedule, by period (one query)."""
    return overview(
        project_id, hide_confidential=hide_confidential, today=today, contract_id=contract_id
    ).rows


def yearly_totals(
    project_id: int, *, hide_confidential: bool, today: date, contract_id: int | None = None
) -> list[YearTotals]:
    """Return per year and currency: gross, deductions, net due, paid, remaining commitment."""
    return overview(
        project_id, hide_confidential=hide_confidential, today=today, contract_id=contract_id
    ).years


def contract_totals(project_id: int, *, hide_confidential: bool, today: date):
    """Return the same totals per contract."""
    return overview(project_id, hide_confidential=hide_confidential, today=today).contracts


def payment_figures(project_id: int, payment_id: int, *, today: date) -> ScheduleRow | None:
    """Return one live scheduled payment of the project with its figures, or None."""
    record = db.session.execute(_select(project_id, payment_id=payment_id)).first()
    return None if record is None else _row(record, today)


def get_payment(project_id: int, payment_id: int) -> ScheduledPayment | None:
    """Return a live scheduled payment of the project, or None."""
    return db.session.scalar(
        sa.select(ScheduledPayment).where(
            ScheduledPayment.id == payment_id,
            ScheduledPayment.project_id == project_id,
            ScheduledPayment.is_deleted.is_(False),
        )
    )


def choices_for(project_id: int) -> list[ScheduleRow]:
    """Return the live scheduled payments of live contracts, to link a budgets payment to."""
    return [
        _row(record, date.min)
        for record in db.session.execute(_select(project_id))
        if not record.contract_deleted
    ]
