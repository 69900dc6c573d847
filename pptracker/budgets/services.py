"""Budget rules: lines of a project's budget and the money committed, paid or received."""

import logging
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from pptracker.budgets import money
from pptracker.budgets.models import BudgetCategory, BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import Contract
from pptracker.database import today, utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.milestones.models import Milestone
from pptracker.operations.models import ScheduledPayment
from pptracker.projects.models import Party
from pptracker.values import (
    MAX_AMOUNT,
    check_plausible,
    currency_code,
    parse_decimal,
    parse_money,
)

logger = logging.getLogger(__name__)

#: The largest rate an ``ExactDecimal(18, 8)`` column holds.
MAX_RATE = Decimal("9999999999.99999999")
RATE_PLACES = 8


@dataclass
class BudgetLineData:
    """A budget line's editable details (from the form or an importer)."""

    code: str
    name: str
    category: BudgetCategory
    planned_amount: Decimal
    funding_source_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class TransactionData:
    """A transaction's editable details (from the form or the CSV importer).

    ``amount`` is positive, in ``currency``: the kind says the direction.
    ``rate`` converts ``currency`` to the project currency; leave it None
    when they are the same.
    """

    kind: TransactionKind
    transaction_date: date
    amount: Decimal
    currency: str
    rate: Decimal | None = None
    budget_line_id: int | None = None
    contract_id: int | None = None
    milestone_id: int | None = None
    payer_id: int | None = None
    payee_id: int | None = None
    reference: str | None = None
    description: str = ""
    #: The scheduled government payment (operations) this payment settles.
    scheduled_payment_id: int | None = None


# --- shared checks ------------------------------------------------------------------------


def _live_party(party_id: int | None, field: str, what: str) -> None:
    if party_id is None:
        return
    party = db.session.get(Party, party_id)
    if party is None or party.is_deleted:
        raise DomainError(f"Choose the {what} from the list of parties.", field=field)


# --- budget lines -------------------------------------------------------------------------


def _validate_line(project, data: BudgetLineData, line: BudgetLine | None) -> BudgetLineData:
    """Return cleaned data, or raise on the first invalid field."""
    code = (data.code or "").strip()
    if not code:
        raise DomainError("A budget line needs a code, e.g. CAP-01.", field="code")
    if len(code) > 30:
        raise DomainError("The code is at most 30 characters.", field="code")
    name = (data.name or "").strip()
    if not name:
        raise DomainError("A budget line needs a name.", field="name")
    if len(name) > 200:
        raise DomainError("The name is at most 200 characters.", field="name")
    try:
        category = BudgetCategory(data.category)
    except ValueError:
        raise DomainError("Choose a category from the list.", field="category") from None
    planned = parse_money(
        data.planned_amount, field="planned_amount", what="planned amount", minimum=0
    )
    _live_party(data.funding_source_id, "funding_source_id", "funding source")
    check_plausible(data.start_date, field="start_date")
    check_plausible(data.end_date, field="end_date")
    if data.start_date and data.end_date and data.end_date < data.start_date:
        raise DomainError("The end date cannot be before the start date.", field="end_date")
    clash = db.session.scalar(
        sa.select(BudgetLine).where(
            BudgetLine.project_id == project.id,
            sa.func.lower(BudgetLine.code) == code.lower(),
            BudgetLine.id != (line.id if line is not None else -1),
        )
    )
    if clash is not None:
        detail = " (by a deleted line, kept for its history)" if clash.is_deleted else ""
        raise DomainError(
            f"The code {clash.code} is already used in this project{detail}: choose another.",
            field="code",
        )
    return replace(data, code=code, name=name, category=category, planned_amount=planned)


def create_budget_line(project, data: BudgetLineData) -> BudgetLine:
    """Add a line to ``project``'s budget.

    :return: the new line, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data = _validate_line(project, data, None)
    line = BudgetLine(project_id=project.id, **vars(data))
    db.session.add(line)
    db.session.flush()
    logger.info("Budget line %s added to %s", line.id, project.code)
    return line


def update_budget_line(line: BudgetLine, data: BudgetLineData) -> BudgetLine:
    """Change a budget line's details.

    :raises DomainError: for invalid input or a deleted line.
    """
    if line.is_deleted:
        raise DomainError("This budget line has been deleted.")
    data = _validate_line(line.project, data, line)
    for key, value in vars(data).items():
        setattr(line, key, value)
    db.session.flush()
    logger.info("Budget line %s updated", line.id)
    return line


def delete_budget_line(line: BudgetLine) -> None:
    """Soft-delete a budget line entered by mistake (its history stays).

    :raises DomainError: while live transactions are recorded against it:
        move or delete them first.
    """
    if line.is_deleted:
        raise DomainError("This budget line has already been deleted.")
    used = db.session.scalar(
        sa.select(sa.func.count(Transaction.id)).where(
            Transaction.budget_line_id == line.id, Transaction.is_deleted.is_(False)
        )
    )
    if used:
        raise DomainError(
            f"{used} transaction{'s are' if used != 1 else ' is'} recorded against this line, "
            "so it stays: move them to another line, or delete them, first."
        )
    line.is_deleted, line.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("Budget line %s deleted", line.id)


# --- transactions -------------------------------------------------------------------------


def _rate(data: TransactionData, currency: str, project_currency: str) -> Decimal:
    if currency == project_currency:
        if data.rate in (None, ""):
            return Decimal(1)
        rate = parse_decimal(data.rate, field="rate", what="rate")
        if rate != 1:
            raise DomainError(
                f"The amount is in {project_currency}, the project currency: the rate is 1. "
                "Leave it empty.",
                field="rate",
            )
        return Decimal(1)
    if data.rate in (None, ""):
        raise DomainError(
            f"The amount is in {currency}: give the rate to {project_currency} "
            f"(how many {project_currency} one {currency} is worth on the transaction date).",
            field="rate",
        )
    rate = parse_decimal(data.rate, field="rate", what="rate")
    if rate <= 0:
        raise DomainError("The rate is more than zero.", field="rate")
    parse_decimal(rate, field="rate", what="rate", places=RATE_PLACES, maximum=MAX_RATE)
    return rate


def _belongs(model, object_id: int | None, project, field: str, what: str) -> None:
    if object_id is None:
        return
    row = db.session.get(model, object_id)
    if row is None or row.is_deleted or row.project_id != project.id:
        raise DomainError(f"Choose {what} of this project.", field=field)


def _settles(project, data: TransactionData, kind: TransactionKind, currency: str) -> int | None:
    """Check the scheduled payment a payment settles; return the contract id to record.

    The payment takes the scheduled payment's contract when it names none.
    """
    if data.scheduled_payment_id is None:
        return data.contract_id
    scheduled = db.session.get(ScheduledPayment, data.scheduled_payment_id)
    if scheduled is None or scheduled.is_deleted or scheduled.project_id != project.id:
        raise DomainError(
            "Choose a scheduled payment of this project.", field="scheduled_payment_id"
        )
    if kind != TransactionKind.PAYMENT:
        raise DomainError(
            "Only a payment settles a scheduled payment: choose the kind Payment, or no "
            "scheduled payment.",
            field="scheduled_payment_id",
        )
    if data.contract_id is not None and data.contract_id != scheduled.contract_id:
        reference = db.session.get(Contract, scheduled.contract_id).reference
        raise DomainError(
            f"The scheduled payment is under contract {reference}: choose that contract, or "
            "leave the contract empty.",
            field="contract_id",
        )
    if currency != scheduled.currency:
        raise DomainError(
            f"The scheduled payment is in {scheduled.currency}: record the payment in "
            f"{scheduled.currency} too.",
            field="currency",
        )
    return scheduled.contract_id


def validate_transaction(project, data: TransactionData) -> tuple[TransactionData, Decimal]:
    """Return cleaned data and the amount in the project currency, or raise."""
    try:
        kind = TransactionKind(data.kind)
    except ValueError:
        raise DomainError(
            "Choose the kind: commitment, payment or receipt.", field="kind"
        ) from None
    if not isinstance(data.transaction_date, date):
        raise DomainError("Give the date of the transaction.", field="transaction_date")
    check_plausible(data.transaction_date, field="transaction_date")
    if data.transaction_date > today():
        raise DomainError(
            "The date cannot be in the future: record the transaction once it has happened.",
            field="transaction_date",
        )
    amount = parse_money(data.amount, field="amount", what="amount")
    if amount <= 0:
        raise DomainError(
            "The amount is more than zero: the kind (commitment, payment or receipt) says "
            "which way the money goes.",
            field="amount",
        )
    currency = currency_code(data.currency)
    rate = _rate(data, currency, project.currency)
    project_amount = money.convert(amount, rate)
    if project_amount <= 0:
        raise DomainError(
            f"At this rate the amount is worth less than a cent in {project.currency}: "
            "check the amount and the rate.",
            field="amount",
        )
    if project_amount > MAX_AMOUNT:
        raise DomainError("At this rate the amount is too large.", field="amount")
    if data.budget_line_id is not None:
        line = db.session.get(BudgetLine, data.budget_line_id)
        if line is None or line.is_deleted or line.project_id != project.id:
            raise DomainError("Choose a budget line of this project.", field="budget_line_id")
    _belongs(Contract, data.contract_id, project, "contract_id", "a contract")
    contract_id = _settles(project, data, kind, currency)
    _belongs(Milestone, data.milestone_id, project, "milestone_id", "a milestone")
    _live_party(data.payer_id, "payer_id", "payer")
    _live_party(data.payee_id, "payee_id", "payee")
    reference = (data.reference or "").strip() or None
    if reference is not None and len(reference) > 80:
        raise DomainError("The reference is at most 80 characters.", field="reference")
    cleaned = replace(
        data,
        contract_id=contract_id,
        kind=kind,
        amount=amount,
        currency=currency,
        rate=rate,
        reference=reference,
        description=(data.description or "").strip(),
    )
    return cleaned, project_amount


def record_transaction(project, data: TransactionData, *, actor) -> Transaction:
    """Record money committed, paid or received for ``project``.

    The amount in the project currency is ``money.convert(amount, rate)``,
    rounded once here and stored, so every total is the exact sum of its rows.

    :param actor: the user recording it (for the log; the audit trail is automatic).
    :return: the new transaction, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data, project_amount = validate_transaction(project, data)
    tx = Transaction(project_id=project.id, project_amount=project_amount, **vars(data))
    db.session.add(tx)
    db.session.flush()
    logger.info(
        "Transaction %s (%s) recorded on %s by %s",
        tx.id,
        tx.kind,
        project.code,
        getattr(actor, "id", None),
    )
    return tx


def update_transaction(tx: Transaction, data: TransactionData, *, actor) -> Transaction:
    """Correct a transaction; its amount in the project currency is converted again.

    :raises DomainError: for invalid input or a deleted transaction.
    """
    if tx.is_deleted:
        raise DomainError("This transaction has been deleted.")
    data, project_amount = validate_transaction(tx.project, data)
    for key, value in vars(data).items():
        setattr(tx, key, value)
    tx.project_amount = project_amount
    db.session.flush()
    logger.info("Transaction %s updated by %s", tx.id, getattr(actor, "id", None))
    return tx


def delete_transaction(tx: Transaction) -> None:
    """Soft-delete a transaction entered by mistake (its history stays).

    :raises DomainError: when it is already deleted.
    """
    if tx.is_deleted:
        raise DomainError("This transaction has already been deleted.")
    tx.is_deleted, tx.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("Transaction %s deleted", tx.id)
