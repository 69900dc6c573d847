"""Reads about budgets: lines, transactions, variance and earned value."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.database import Money
from pptracker.disclosure import public_transaction
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneStatus

ZERO = Decimal("0.00")


def lines_of(project_id: int) -> list[BudgetLine]:
    """Return a project's live budget lines, by code."""
    return db.session.scalars(
        sa.select(BudgetLine)
        .where(BudgetLine.project_id == project_id, BudgetLine.is_deleted.is_(False))
        .options(selectinload(BudgetLine.funding_source))
        .order_by(BudgetLine.code, BudgetLine.id)
    ).all()


def get_line(project_id: int, line_id: int) -> BudgetLine | None:
    """Return a live budget line of the project, or None."""
    return db.session.scalar(
        sa.select(BudgetLine).where(
            BudgetLine.id == line_id,
            BudgetLine.project_id == project_id,
            BudgetLine.is_deleted.is_(False),
        )
    )


def transactions_of(project_id: int, *, hide_confidential: bool = False) -> sa.Select:
    """Return a select of a project's live transactions, newest first (for paging).

    :param hide_confidential: leave out those of a withheld contract or scheduled
        payment (the public's list; the totals still count them).
    """
    shown = Transaction.is_deleted.is_(False)
    if hide_confidential:
        shown = public_transaction()
    return (
        sa.select(Transaction)
        .where(Transaction.project_id == project_id, shown)
        .options(
            selectinload(Transaction.budget_line),
            selectinload(Transaction.payer),
            selectinload(Transaction.payee),
        )
        .order_by(Transaction.transaction_date.desc(), Transaction.id.desc())
    )


def withheld_transactions(project_id: int) -> int:
    """Count the live transactions of a project the public's list leaves out."""
    return db.session.scalar(
        sa.select(sa.func.count(Transaction.id)).where(
            Transaction.project_id == project_id,
            Transaction.is_deleted.is_(False),
            sa.not_(public_transaction()),
        )
    )


def get_transaction(project_id: int, tx_id: int) -> Transaction | None:
    """Return a live transaction of the project, or None."""
    return db.session.scalar(
        sa.select(Transaction).where(
            Transaction.id == tx_id,
            Transaction.project_id == project_id,
            Transaction.is_deleted.is_(False),
        )
    )


def _sum(column):
    # Summed by the database in the column's own type: NUMERIC on PostgreSQL,
    # integer cents on SQLite, so the total is exact on both.
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(column), 0), Money())


def project_budget(project_id: int) -> Decimal:
    """Return the sum of the planned amounts of a project's live budget lines.

    Budget lines are all in the project currency, so this is one amount in
    that currency (0.00 when the project has no line).
    """
    return db.session.scalar(
        sa.select(_sum(BudgetLine.planned_amount)).where(
            BudgetLine.project_id == project_id, BudgetLine.is_deleted.is_(False)
        )
    )


def _percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class VarianceRow:
    """Planned against committed, paid and received, for a line or the whole project.

    All amounts are in the project currency. ``line`` is None for the row of
    transactions recorded without a budget line, and for the project total;
    that row of unassigned transactions has no planned amount (None).

    ``remaining`` is planned − max(committed, paid). Payments usually settle
    earlier commitments, so adding the two would count the same money twice;
    but some payments are made without a recorded commitment, so committed
    alone could miss them. The larger of the two is the money already spoken
    for, whichever way it was recorded: the cautious figure, never double
    counted. Receipts are money in and do not free up budget.
    """

    line: BudgetLine | None
    planned: Decimal | None
    committed: Decimal
    paid: Decimal
    received: Decimal

    @property
    def remaining(self) -> Decimal | None:
        """Planned − max(committed, paid); None when nothing was planned for the row."""
        if self.planned is None:
            return None
        return self.planned - max(self.committed, self.paid)

    @property
    def percent_executed(self) -> Decimal | None:
        """Paid / planned × 100, to one decimal; None when planned is zero or missing."""
        return _percent(self.paid, self.planned)

    @property
    def over_committed(self) -> bool:
        """True when more is committed than planned."""
        return self.planned is not None and self.committed > self.planned


@dataclass(frozen=True)
class Variance:
    """A project's variance: a row per live line, one for unassigned transactions, a total.

    The total's planned, committed, paid and received are the exact sums of
    the rows above it (the unassigned row included); its remaining is the
    same formula applied to those totals, so money recorded without a line
    still counts against the project's budget.
    """

    rows: list[VarianceRow]
    unassigned: VarianceRow | None
    total: VarianceRow
    over_committed_lines: list[VarianceRow] = field(default_factory=list)


def _amounts_by_line(project_id: int) -> dict[int | None, dict[TransactionKind, Decimal]]:
    result: dict[int | None, dict[TransactionKind, Decimal]] = {}
    rows = db.session.execute(
        sa.select(Transaction.budget_line_id, Transaction.kind, _sum(Transaction.project_amount))
        .where(Transaction.project_id == project_id, Transaction.is_deleted.is_(False))
        .group_by(Transaction.budget_line_id, Transaction.kind)
    ).all()
    for line_id, kind, amount in rows:
        result.setdefault(line_id, {})[TransactionKind(kind)] = amount
    return result


def _row(line, planned, amounts) -> VarianceRow:
    return VarianceRow(
        line=line,
        planned=planned,
        committed=amounts.get(TransactionKind.COMMITMENT, ZERO),
        paid=amounts.get(TransactionKind.PAYMENT, ZERO),
        received=amounts.get(TransactionKind.RECEIPT, ZERO),
    )


def variance(project) -> Variance:
    """Return planned, committed, paid, received and remaining per budget line and in total.

    Sums are done by the database in the ``Money`` type (exact on both
    engines), then added in Python as Decimals. Transactions on a line that
    has since been deleted count with the unassigned ones (a line with live
    transactions cannot be deleted, so there should be none).
    """
    lines = lines_of(project.id)
    amounts = _amounts_by_line(project.id)
    live_ids = {line.id for line in lines}
    rows = [_row(line, line.planned_amount, amounts.get(line.id, {})) for line in lines]
    orphan: dict[TransactionKind, Decimal] = {}
    for line_id, by_kind in amounts.items():
        if line_id is None or line_id not in live_ids:
            for kind, amount in by_kind.items():
                orphan[kind] = orphan.get(kind, ZERO) + amount
    unassigned = _row(None, None, orphan) if orphan else None
    counted = rows + ([unassigned] if unassigned else [])
    total = VarianceRow(
        line=None,
        planned=sum((r.planned for r in rows), ZERO),
        committed=sum((r.committed for r in counted), ZERO),
        paid=sum((r.paid for r in counted), ZERO),
        received=sum((r.received for r in counted), ZERO),
    )
    return Variance(
        rows=rows,
        unassigned=unassigned,
        total=total,
        over_committed_lines=[r for r in rows if r.over_committed],
    )


# --- earned value -------------------------------------------------------------------------

NO_PLANNED_VALUES = "not enough data: no milestone has a planned value"
NOTHING_DUE = "not enough data: no planned value is due yet (no baseline date has passed)"
NO_PAYMENTS = "not enough data: no payments yet"
NO_EARNED_VALUE = "not enough data: no value earned yet (no progress on valued milestones)"


def _ratio(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class EarnedValue:
    """Earned value figures of a project, in the project currency.

    Each derived figure is None when it cannot be computed, with the reason
    in ``reasons`` (keyed by the figure's name) instead of a division by zero.
    Values are exact Decimals; ``*_display`` rounds the indices to two
    decimals and the templates format money with ``|money``.
    """

    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal
    spi: Decimal | None
    cpi: Decimal | None
    eac: Decimal | None
    vac: Decimal | None
    reasons: dict[str, str]

    @property
    def spi_display(self) -> Decimal | None:
        """SPI rounded to two decimals."""
        return _ratio(self.spi)

    @property
    def cpi_display(self) -> Decimal | None:
        """CPI rounded to two decimals."""
        return _ratio(self.cpi)


def earned_value(project, *, today: date) -> EarnedValue:
    """Return the project's earned value figures as of ``today``.

    - BAC (budget at completion): the planned values of the live milestones
      (cancelled ones excluded: their work will not be done).
    - PV (planned value): those of milestones whose baseline date is on or before today.
    - EV (earned value): Σ percent complete / 100 × planned value.
    - AC (actual cost): the payments (in the project currency) dated up to today.
    - SPI = EV / PV, CPI = EV / AC, EAC = BAC / CPI, VAC = BAC − EAC.
    """
    milestones = db.session.scalars(
        sa.select(Milestone).where(
            Milestone.project_id == project.id,
            Milestone.is_deleted.is_(False),
            Milestone.status != MilestoneStatus.CANCELLED,
            Milestone.planned_value.is_not(None),
        )
    ).all()
    bac = sum((m.planned_value for m in milestones), ZERO)
    pv = sum(
        (m.planned_value for m in milestones if m.baseline_date and m.baseline_date <= today),
        ZERO,
    )
    ev = sum((Decimal(m.percent_complete) * m.planned_value / 100 for m in milestones), ZERO)
    ac = db.session.scalar(
        sa.select(_sum(Transaction.project_amount)).where(
            Transaction.project_id == project.id,
            Transaction.is_deleted.is_(False),
            Transaction.kind == TransactionKind.PAYMENT,
            Transaction.transaction_date <= today,
        )
    )
    return derive_earned_value(bac, pv, ev, ac)


def derive_earned_value(bac: Decimal, pv: Decimal, ev: Decimal, ac: Decimal) -> EarnedValue:
    """Return the earned value figures derived from BAC, PV, EV and AC.

    SPI = EV / PV, CPI = EV / AC, EAC = BAC / CPI, VAC = BAC − EAC; a figure
    that cannot be computed is None with its reason (``NO_PLANNED_VALUES``,
    ``NOTHING_DUE``, ``NO_PAYMENTS`` or ``NO_EARNED_VALUE``).
    """
    reasons: dict[str, str] = {}
    spi = cpi = eac = vac = None
    if not bac:
        for name in ("spi", "cpi", "eac", "vac"):
            reasons[name] = NO_PLANNED_VALUES
    else:
        if pv:
            spi = ev / pv
        else:
            reasons["spi"] = NOTHING_DUE
        if ac:
            cpi = ev / ac
        else:
            reasons["cpi"] = NO_PAYMENTS
        if cpi:
            eac = bac / cpi
            vac = bac - eac
        else:
            reasons["eac"] = reasons["vac"] = reasons.get("cpi", NO_EARNED_VALUE)
    return EarnedValue(
        bac=bac, pv=pv, ev=ev, ac=ac, spi=spi, cpi=cpi, eac=eac, vac=vac, reasons=reasons
    )
