"""Reads about tariffs: the table in force on a date, and every change with its reason.

Plain data only, so the pages, the public portal and the PDF reports share
them; a fixed, small number of SQL statements whatever the number of tariffs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from pptracker.auth.models import User
from pptracker.contracts.models import Amendment, Contract
from pptracker.disclosure import Redacted, withheld_reason, withhold
from pptracker.extensions import db
from pptracker.operations.models import PaidBy, Tariff, TariffRate
from pptracker.values import percent_change


@dataclass(frozen=True)
class RateRow:
    """One value of a tariff in its history, and how it changed from the one before."""

    id: int
    effective_from: date
    value: Decimal
    change: Decimal | None  # vs the previous rate; None for the first
    change_percent: Decimal | None
    reason: str
    approved_by: str
    amendment_id: int | None
    amendment_number: int | None  # None when there is none, or it is withheld
    amendment_withheld: bool
    recorded_by: str | None


@dataclass(frozen=True)
class TariffRow:
    """A tariff as the table shows it: its value in force on the date asked, and history."""

    id: int
    version: int
    contract_id: int
    contract_reference: str
    contract_deleted: bool
    code: str
    title: str
    paid_by: PaidBy
    payer_group: str
    unit: str
    currency: str
    setting_method: str
    review_method: str
    confidential: bool
    confidential_reason: str | None
    #: The value in force on the date asked; None when no rate has started yet.
    value: Decimal | None
    in_force_since: date | None
    #: Change of the value in force since the first rate, in percent.
    change_since_first_percent: Decimal | None
    history: list[RateRow] = field(default_factory=list)

    @property
    def in_force(self) -> bool:
        """Tell whether a rate is in force on the date asked ("not yet in force" otherwise)."""
        return self.value is not None


@dataclass(frozen=True)
class ContractTariffs:
    """The tariffs of one contract."""

    contract_id: int
    reference: str
    title: str
    rows: list[TariffRow]


@dataclass(frozen=True)
class TariffTable:
    """A project's tariff table on a date, by contract, and what is withheld."""

    on: date
    contracts: list[ContractTariffs]
    redacted: list[Redacted]

    @property
    def rows(self) -> list[TariffRow]:
        """Return every tariff shown, contract by contract."""
        return [row for group in self.contracts for row in group.rows]


def _history(tariff_ids, *, hide_confidential: bool) -> dict[int, list[RateRow]]:
    """Return the rates of these tariffs, oldest first, in one statement."""
    if not tariff_ids:
        return {}
    recorder = aliased(User)
    rows = db.session.execute(
        sa.select(
            TariffRate,
            Amendment.number,
            Amendment.confidential,
            recorder.name,
        )
        .outerjoin(Amendment, Amendment.id == TariffRate.amendment_id)
        .outerjoin(recorder, recorder.id == TariffRate.recorded_by_id)
        .where(TariffRate.tariff_id.in_(tariff_ids))
        .order_by(TariffRate.tariff_id, TariffRate.effective_from)
    ).all()
    history: dict[int, list[RateRow]] = defaultdict(list)
    for rate, number, amendment_confidential, recorded_by in rows:
        previous = history[rate.tariff_id][-1] if history[rate.tariff_id] else None
        withheld = bool(hide_confidential and amendment_confidential)
        history[rate.tariff_id].append(
            RateRow(
                id=rate.id,
                effective_from=rate.effective_from,
                value=rate.value,
                change=None if previous is None else rate.value - previous.value,
                change_percent=None
                if previous is None
                else percent_change(rate.value, previous.value),
                reason=rate.reason,
                approved_by=rate.approved_by,
                amendment_id=None if withheld else rate.amendment_id,
                amendment_number=None if withheld else number,
                amendment_withheld=withheld,
                recorded_by=recorded_by,
            )
        )
    return history


def _row(tariff: Tariff, contract: Contract, rates: list[RateRow], on: date) -> TariffRow:
    in_force = [rate for rate in rates if rate.effective_from <= on]
    current = in_force[-1] if in_force else None
    first = rates[0] if rates else None
    return TariffRow(
        id=tariff.id,
        version=tariff.version,
        contract_id=contract.id,
        contract_reference=contract.reference,
        contract_deleted=contract.is_deleted,
        code=tariff.code,
        title=tariff.title,
        paid_by=tariff.paid_by,
        payer_group=tariff.payer_group,
        unit=tariff.unit,
        currency=tariff.currency,
        setting_method=tariff.setting_method,
        review_method=tariff.review_method,
        confidential=tariff.confidential,
        confidential_reason=tariff.confidential_reason,
        value=current.value if current else None,
        in_force_since=current.effective_from if current else None,
        change_since_first_percent=percent_change(current.value, first.value)
        if current and first
        else None,
        history=rates,
    )


def tariff_table(project_id: int, *, on: date, hide_confidential: bool) -> TariffTable:
    """Return the project's live tariffs with the value in force on ``on``, by contract.

    :param on: the date the table is for: each tariff's latest rate that
        took effect on or before it ("not yet in force" when none has).
    :param hide_confidential: for the public: a tariff that is confidential,
        or whose contract is confidential or deleted, becomes a ``Redacted``
        notice with the reason; a confidential amendment behind a rate is not named.
    :return: two SQL statements whatever the number of tariffs.
    """
    pairs = db.session.execute(
        sa.select(Tariff, Contract)
        .join(Contract, Contract.id == Tariff.contract_id)
        .where(Tariff.project_id == project_id, Tariff.is_deleted.is_(False))
        .order_by(
            Contract.is_deleted,
            Contract.signature_date.is_(None),
            Contract.signature_date,
            Contract.id,
            Tariff.code,
            Tariff.id,
        )
    ).all()
    shown, redacted = withhold(
        pairs, hide_confidential=hide_confidential, kind=lambda _tariff: "tariff"
    )
    history = _history([t.id for t, _c in shown], hide_confidential=hide_confidential)
    groups: dict[int, ContractTariffs] = {}
    for tariff, contract in shown:
        group = groups.get(contract.id)
        if group is None:
            group = groups[contract.id] = ContractTariffs(
                contract.id, contract.reference, contract.title, []
            )
        group.rows.append(_row(tariff, contract, history.get(tariff.id, []), on))
    return TariffTable(on=on, contracts=list(groups.values()), redacted=redacted)


def tariff_history(
    tariff_id: int, *, on: date | None = None, hide_confidential: bool = False
) -> TariffRow | None:
    """Return one live tariff with every rate (effective date, value, change, reason …).

    :param on: the date its "value in force" is for (today when None).
    :param hide_confidential: return None when the public may not see it.
    :return: None when there is no such live tariff, or it is hidden.
    """
    from pptracker.database import today

    pair = db.session.execute(
        sa.select(Tariff, Contract)
        .join(Contract, Contract.id == Tariff.contract_id)
        .where(Tariff.id == tariff_id, Tariff.is_deleted.is_(False))
    ).first()
    if pair is None:
        return None
    tariff, contract = pair
    if hide_confidential and withheld_reason(tariff, contract) is not None:
        return None
    history = _history([tariff.id], hide_confidential=hide_confidential)
    return _row(tariff, contract, history.get(tariff.id, []), on or today())


def get_tariff(project_id: int, tariff_id: int) -> Tariff | None:
    """Return a live tariff of the project (for editing), or None."""
    return db.session.scalar(
        sa.select(Tariff).where(
            Tariff.id == tariff_id, Tariff.project_id == project_id, Tariff.is_deleted.is_(False)
        )
    )


def export_rows(project_id: int, *, hide_confidential: bool) -> list[list]:
    """Return one list of cells per rate, in ``tariff_csv.EXPORT_COLUMNS`` order."""
    table = tariff_table(project_id, on=date.max, hide_confidential=hide_confidential)
    rows = []
    for tariff in table.rows:
        for rate in tariff.history:
            rows.append(
                [
                    tariff.contract_reference,
                    tariff.code,
                    rate.effective_from.isoformat(),
                    f"{rate.value}",
                    rate.reason,
                    rate.approved_by,
                    tariff.title,
                    tariff.paid_by.value,
                    tariff.payer_group,
                    tariff.unit,
                    tariff.currency,
                    "" if rate.amendment_number is None else rate.amendment_number,
                ]
            )
    return rows
