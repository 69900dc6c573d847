"""Reads about contracts: current terms derived from amendments, matrices, totals."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from pptracker.contracts.models import (
    Amendment,
    AmendmentType,
    Contract,
    ContractParty,
    FiscalCommitment,
    RiskAllocation,
)
from pptracker.extensions import db


def contracts_of(project_id: int) -> list[Contract]:
    """Return a project's live contracts, with their parties and amendments loaded."""
    return db.session.scalars(
        sa.select(Contract)
        .where(Contract.project_id == project_id, Contract.is_deleted.is_(False))
        .options(
            selectinload(Contract.parties).selectinload(ContractParty.party),
            selectinload(Contract.amendments),
        )
        .order_by(Contract.signature_date.is_(None), Contract.signature_date, Contract.id)
    ).all()


def get_contract(project_id: int, contract_id: int) -> Contract | None:
    """Return a live contract of the project, or None."""
    return db.session.scalar(
        sa.select(Contract)
        .where(
            Contract.id == contract_id,
            Contract.project_id == project_id,
            Contract.is_deleted.is_(False),
        )
        .options(
            selectinload(Contract.parties).selectinload(ContractParty.party),
            selectinload(Contract.amendments),
        )
    )


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class ContractTerms:
    """A contract's initial and current value and period, and the change between them.

    A figure the viewer may not see (it comes from a confidential amendment)
    is None, with ``withheld`` saying which.
    """

    initial_value: Decimal
    current_value: Decimal | None
    initial_start: date | None
    initial_end: date | None
    current_start: date | None
    current_end: date | None
    withheld: frozenset[str] = frozenset()

    @property
    def value_change(self) -> Decimal | None:
        """Current minus initial value."""
        if self.current_value is None:
            return None
        return self.current_value - self.initial_value

    @property
    def value_change_percent(self) -> Decimal | None:
        """The value change as a percentage of the initial value."""
        change = self.value_change
        return None if change is None else _percent(change, self.initial_value)

    @property
    def duration_change_days(self) -> int | None:
        """Days added (or removed) to the contract's end."""
        if self.current_end is None or self.initial_end is None:
            return None
        return (self.current_end - self.initial_end).days

    @property
    def duration_change_percent(self) -> Decimal | None:
        """The change of duration as a percentage of the initial duration."""
        if (
            self.initial_start is None
            or self.initial_end is None
            or self.current_start is None
            or self.current_end is None
        ):
            return None
        initial = (self.initial_end - self.initial_start).days
        current = (self.current_end - self.current_start).days
        return _percent(Decimal(current - initial), Decimal(initial))


def terms(contract: Contract, *, hide_confidential: bool = False) -> ContractTerms:
    """Derive the current terms from the initial ones and the amendments, in order.

    :param hide_confidential: for the public: a figure set by a confidential
        amendment is withheld (None), not revealed through the total.
    """
    value, start, end = contract.initial_value, contract.initial_start, contract.initial_end
    withheld = set()
    for amendment in sorted(contract.amendments, key=lambda a: a.number):
        hidden = hide_confidential and amendment.confidential
        if amendment.new_value is not None:
            value = amendment.new_value
            if hidden:
                withheld.add("value")
        if amendment.new_start is not None or amendment.new_end is not None:
            start = amendment.new_start or start
            end = amendment.new_end or end
            if hidden:
                withheld.add("period")
    return ContractTerms(
        initial_value=contract.initial_value,
        current_value=None if "value" in withheld else value,
        initial_start=contract.initial_start,
        initial_end=contract.initial_end,
        current_start=None if "period" in withheld else start,
        current_end=None if "period" in withheld else end,
        withheld=frozenset(withheld),
    )


def risk_matrix(risks) -> dict[str, dict[str, list]]:
    """Group risk rows as ``{category: {allocation: [rows]}}`` for the matrix."""
    matrix: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for risk in risks:
        matrix[risk.category][risk.allocation.value].append(risk)
    return matrix


def risks_of(contract_id: int) -> list[RiskAllocation]:
    """Return a contract's live risk rows."""
    return db.session.scalars(
        sa.select(RiskAllocation)
        .where(RiskAllocation.contract_id == contract_id, RiskAllocation.is_deleted.is_(False))
        .order_by(RiskAllocation.category, RiskAllocation.id)
    ).all()


def commitments_of(project_id: int, contract_id: int | None = None) -> list[FiscalCommitment]:
    """Return a project's (or one contract's) live fiscal commitments."""
    stmt = sa.select(FiscalCommitment).where(
        FiscalCommitment.project_id == project_id, FiscalCommitment.is_deleted.is_(False)
    )
    if contract_id is not None:
        stmt = stmt.where(FiscalCommitment.contract_id == contract_id)
    return db.session.scalars(
        stmt.order_by(FiscalCommitment.nature, FiscalCommitment.type, FiscalCommitment.id)
    ).all()


def commitment_totals(commitments) -> dict[str, dict[str, Decimal]]:
    """Return ``{currency: {"direct": …, "contingent": …, "total": …}}`` of maximum exposure.

    Only the rows given are summed: pass what the viewer may see.
    """
    totals: dict[str, dict[str, Decimal]] = {}
    for item in commitments:
        if getattr(item, "redacted", False):
            continue
        bucket = totals.setdefault(
            item.currency,
            {"direct": Decimal("0.00"), "contingent": Decimal("0.00"), "total": Decimal("0.00")},
        )
        bucket[item.nature.value] += item.max_exposure
        bucket["total"] += item.max_exposure
    return dict(sorted(totals.items()))


def current_value_expression() -> sa.ColumnElement:
    """The SQL for a contract's current value: the last amendment's new value, else the initial.

    For queries over many contracts at once (flags, portfolio metrics);
    ``terms`` gives the same figure for one contract in Python.
    """
    latest = (
        sa.select(Amendment.new_value)
        .where(Amendment.contract_id == Contract.id, Amendment.new_value.is_not(None))
        .order_by(Amendment.number.desc())
        .limit(1)
        .correlate(Contract)
        .scalar_subquery()
    )
    return sa.func.coalesce(latest, Contract.initial_value)


@dataclass(frozen=True)
class MaskedFigures:
    """The public amendments whose "before" figures the public may not see."""

    old_value: frozenset[int]
    old_period: frozenset[int]


def masked_old_figures(amendments) -> MaskedFigures:
    """Return which public amendments would reveal a confidential one through their "before".

    An amendment's old value (or period) is what the amendment before it set.
    When that one is confidential, printing the old figure of the next public
    amendment would print the confidential figure. The mask lasts until a
    public amendment sets the figure again.

    :param amendments: one contract's amendments, in any order.
    :return: ids of the public amendments whose old value / old period to withhold.
    """
    value_hidden = period_hidden = False
    old_value, old_period = set(), set()
    for amendment in sorted(amendments, key=lambda a: a.number):
        sets_value = amendment.new_value is not None
        sets_period = amendment.new_start is not None or amendment.new_end is not None
        if amendment.confidential:
            value_hidden = value_hidden or sets_value
            period_hidden = period_hidden or sets_period
            continue
        if value_hidden and sets_value:
            old_value.add(amendment.id)
            value_hidden = False
        if period_hidden and sets_period:
            old_period.add(amendment.id)
            period_hidden = False
    return MaskedFigures(frozenset(old_value), frozenset(old_period))


def get_amendment(contract_id: int, amendment_id: int) -> Amendment | None:
    """Return an amendment of the contract, or None."""
    return db.session.scalar(
        sa.select(Amendment).where(
            Amendment.id == amendment_id, Amendment.contract_id == contract_id
        )
    )


def get_risk(contract_id: int, risk_id: int) -> RiskAllocation | None:
    """Return a live risk row of the contract, or None."""
    return db.session.scalar(
        sa.select(RiskAllocation).where(
            RiskAllocation.id == risk_id,
            RiskAllocation.contract_id == contract_id,
            RiskAllocation.is_deleted.is_(False),
        )
    )


def get_commitment(project_id: int, commitment_id: int) -> FiscalCommitment | None:
    """Return a live fiscal commitment of the project, or None."""
    return db.session.scalar(
        sa.select(FiscalCommitment).where(
            FiscalCommitment.id == commitment_id,
            FiscalCommitment.project_id == project_id,
            FiscalCommitment.is_deleted.is_(False),
        )
    )


def amendment_kinds() -> list[str]:
    """Return the amendment type codes."""
    return [t.value for t in AmendmentType]
