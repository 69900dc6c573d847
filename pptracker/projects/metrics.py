"""Figures about many projects at once: progress, slippage, budget execution, contract value.

The project list, the public dashboard and the portfolio reports show a row
of figures per project. Asking ``milestones.queries``, ``budgets.queries``
and ``contracts.queries`` project by project would cost a few statements per
row; here each function is one statement whatever the number of projects
(correlated subqueries that the database answers from the ``project_id``
indexes), and gives the same figures as those per-project functions.

Money is summed by the database in the ``Money`` type (``NUMERIC`` on
PostgreSQL, integer hundredths on SQLite), so every amount is an exact
Decimal on both engines.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.budgets.queries import EarnedValue, VarianceRow, derive_earned_value
from pptracker.contracts.models import Amendment, Contract
from pptracker.contracts.queries import current_value_expression
from pptracker.database import Money
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.projects.models import Project

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")

#: What may be passed as the projects to measure: ids, or a select of ids.
ProjectIds = Iterable[int] | sa.Select


class Amount(NamedTuple):
    """An amount of money and its currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class ProjectMetrics:
    """A project's headline figures (see ``project_metrics`` for how each is defined).

    Amounts ``planned``, ``committed``, ``paid`` and ``received`` are in the
    project's ``currency``; contract values in their contracts' currencies.
    """

    project_id: int
    currency: str
    #: Weighted average of the milestones' percent complete, one decimal (None: no weight).
    percent_complete: Decimal | None
    #: The largest slippage of a milestone, in days (None: no milestone to measure).
    slippage_days: int | None
    planned: Decimal
    committed: Decimal
    paid: Decimal
    received: Decimal
    #: Current value of the contracts counted, one amount per currency, by currency.
    contract_values: tuple[Amount, ...] = ()
    #: Contracts whose value is left out of ``contract_values`` (withheld from the public).
    contracts_withheld: int = 0

    @property
    def percent_executed(self) -> Decimal | None:
        """Paid / planned × 100, to one decimal; None when nothing is planned."""
        return self.total.percent_executed

    @property
    def total(self) -> VarianceRow:
        """The project's variance total (as ``budgets.queries.variance(project).total``)."""
        return VarianceRow(
            line=None,
            planned=self.planned,
            committed=self.committed,
            paid=self.paid,
            received=self.received,
        )


class _DaysBetween(FunctionElement):
    """``later - earlier`` in whole days, for two DATE expressions."""

    type = sa.Integer()
    inherit_cache = True
    name = "days_between"


@compiles(_DaysBetween)
def _days_between(element, compiler, **kw):
    later, earlier = list(element.clauses)
    # PostgreSQL: date - date is an integer number of days.
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(_DaysBetween, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    # Dates are ISO text; Julian day numbers of two dates differ by whole days.
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


def _money_sum(expression):
    # Summed in the column's own type (exact on both engines), 0.00 when no row.
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(expression), 0), Money())


def _of_project(stmt: sa.Select):
    return stmt.correlate(Project).scalar_subquery()


def _scope(project_ids: ProjectIds):
    """Return the condition on ``Project.id``, or None when no project is asked for."""
    if isinstance(project_ids, sa.Select):
        return Project.id.in_(project_ids)
    ids = sorted(set(project_ids))
    return Project.id.in_(ids) if ids else None


def _percent(part: Decimal, whole: Decimal | int | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_EVEN)


def _counted_milestones():
    # Live milestones that are not cancelled: the ones that will be done.
    return sa.and_(
        Milestone.project_id == Project.id,
        Milestone.is_deleted.is_(False),
        Milestone.status != MilestoneStatus.CANCELLED,
    )


def _transactions(kind: TransactionKind, *, until: date | None = None):
    # The kind (and date) are tested in the sum, not in WHERE, so the database
    # can only reach the rows through the project's index: with the kind in
    # WHERE, PostgreSQL without fresh statistics was seen combining it with
    # the (unselective) kind index, 20 times slower.
    counted = Transaction.kind == kind
    if until is not None:
        counted = sa.and_(counted, Transaction.transaction_date <= until)
    return _of_project(
        sa.select(
            _money_sum(sa.case((counted, Transaction.project_amount), else_=sa.null()))
        ).where(Transaction.project_id == Project.id, Transaction.is_deleted.is_(False))
    )


def project_metrics(
    project_ids: ProjectIds, *, hide_confidential: bool = True
) -> dict[int, ProjectMetrics]:
    """Return the headline figures of each project, in two statements whatever their number.

    - ``percent_complete`` (physical progress): Σ weight × percent complete ÷
      Σ weight over the project's live milestones that are not cancelled, to
      one decimal (half to even); None when that weight is zero. As
      ``milestones.queries.physical_progress``.
    - ``slippage_days``: the largest slippage of those milestones, where a
      milestone's slippage is its actual date (else its forecast date) minus
      its baseline date, as ``milestones.queries.slippage_days``: positive
      means the most delayed milestone is that many days late, negative that
      even the latest one is early. Milestones missing either date do not
      count (an overdue milestone without a forecast has no slippage yet);
      None when none has both.
    - ``planned``: the planned amounts of the live budget lines, as
      ``budgets.queries.project_budget``.
    - ``committed``, ``paid``, ``received``: the live transactions of each
      kind, in the project currency, whatever their date or budget line (the
      total row of ``budgets.queries.variance``); ``percent_executed`` is
      paid ÷ planned, as ``VarianceRow.percent_executed``.
    - ``contract_values``: the current value (the initial value as amended,
      as ``contracts.queries.terms``) of the project's live contracts, added
      up per currency. With ``hide_confidential`` (the public's view) a
      confidential contract, or one whose value a confidential amendment
      changed (``terms`` withholds it then), is not added but counted in
      ``contracts_withheld``.

    :param project_ids: the projects, as ids or as a select of ids (use a
        select for thousands of projects: it is not expanded into parameters).
    :param hide_confidential: True for the public; False for auditors.
    :return: ``{project id: metrics}`` for every existing project asked for.
    """
    scope = _scope(project_ids)
    if scope is None:
        return {}
    counted = _counted_milestones()
    weight = _of_project(sa.select(sa.func.sum(Milestone.weight)).where(counted))
    done = _of_project(
        sa.select(sa.func.sum(Milestone.weight * Milestone.percent_complete)).where(counted)
    )
    latest = sa.func.coalesce(Milestone.actual_date, Milestone.forecast_date)
    slippage = _of_project(
        sa.select(sa.func.max(_DaysBetween(latest, Milestone.baseline_date))).where(
            counted, latest.is_not(None), Milestone.baseline_date.is_not(None)
        )
    )
    planned = _of_project(
        sa.select(_money_sum(BudgetLine.planned_amount)).where(
            BudgetLine.project_id == Project.id, BudgetLine.is_deleted.is_(False)
        )
    )
    rows = db.session.execute(
        sa.select(
            Project.id,
            Project.currency,
            weight.label("weight"),
            done.label("done"),
            slippage.label("slippage"),
            planned.label("planned"),
            _transactions(TransactionKind.COMMITMENT).label("committed"),
            _transactions(TransactionKind.PAYMENT).label("paid"),
            _transactions(TransactionKind.RECEIPT).label("received"),
        ).where(scope)
    ).all()
    values, withheld = _contract_values(project_ids, hide_confidential=hide_confidential)
    return {
        row.id: ProjectMetrics(
            project_id=row.id,
            currency=row.currency,
            percent_complete=_percent(row.done or 0, row.weight),
            slippage_days=None if row.slippage is None else int(row.slippage),
            planned=row.planned,
            committed=row.committed,
            paid=row.paid,
            received=row.received,
            contract_values=tuple(values.get(row.id, ())),
            contracts_withheld=withheld.get(row.id, 0),
        )
        for row in rows
    }


def _contract_values(project_ids: ProjectIds, *, hide_confidential: bool):
    """Return ``({project: [Amount, …]}, {project: contracts withheld})`` in one statement."""
    current = current_value_expression()
    if hide_confidential:
        # As ``terms(hide_confidential=True)``: one confidential amendment of the
        # value withholds the current value (a later one's old value would tell it).
        secret_amendment = sa.exists().where(
            Amendment.contract_id == Contract.id,
            Amendment.confidential.is_(True),
            Amendment.new_value.is_not(None),
        )
        hidden = sa.or_(Contract.confidential.is_(True), secret_amendment)
        shown_value = sa.case((hidden, sa.null()), else_=current)
        hidden_count = sa.func.sum(sa.case((hidden, 1), else_=0))
    else:
        shown_value = current
        hidden_count = sa.literal(0, sa.Integer())
    if isinstance(project_ids, sa.Select):
        scope = Contract.project_id.in_(project_ids)
    else:
        scope = Contract.project_id.in_(sorted(set(project_ids)))
    rows = db.session.execute(
        sa.select(
            Contract.project_id,
            Contract.currency,
            sa.type_coerce(sa.func.sum(shown_value), Money()).label("value"),
            hidden_count.label("hidden"),
        )
        .where(scope, Contract.is_deleted.is_(False))
        .group_by(Contract.project_id, Contract.currency)
        .order_by(Contract.project_id, Contract.currency)
    ).all()
    values: dict[int, list[Amount]] = defaultdict(list)
    withheld: dict[int, int] = defaultdict(int)
    for row in rows:
        if row.value is not None:
            values[row.project_id].append(Amount(row.value, row.currency))
        withheld[row.project_id] += int(row.hidden or 0)
    return values, withheld


def earned_values(project_ids: ProjectIds, *, today: date) -> dict[int, EarnedValue]:
    """Return each project's earned value figures as of ``today``, in one statement.

    The same figures, reasons included, as ``budgets.queries.earned_value``
    for each project: BAC, PV, EV over the live, not cancelled milestones that
    have a planned value; AC the live payments dated up to ``today``.

    :param project_ids: the projects, as ids or as a select of ids.
    :param today: the date planned values fall due and payments count until.
    """
    scope = _scope(project_ids)
    if scope is None:
        return {}
    valued = sa.and_(_counted_milestones(), Milestone.planned_value.is_not(None))
    bac = _of_project(sa.select(_money_sum(Milestone.planned_value)).where(valued))
    pv = _of_project(
        sa.select(_money_sum(Milestone.planned_value)).where(
            valued, Milestone.baseline_date <= today
        )
    )
    # Σ percent × value, exact (an integer times cents); divided by 100 below.
    earned = _of_project(
        sa.select(_money_sum(Milestone.percent_complete * Milestone.planned_value)).where(valued)
    )
    rows = db.session.execute(
        sa.select(
            Project.id,
            bac.label("bac"),
            pv.label("pv"),
            earned.label("earned"),
            _transactions(TransactionKind.PAYMENT, until=today).label("ac"),
        ).where(scope)
    ).all()
    return {row.id: derive_earned_value(row.bac, row.pv, row.earned / 100, row.ac) for row in rows}
