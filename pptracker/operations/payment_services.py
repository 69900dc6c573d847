"""Payment schedule rules: the government payments a contract schedules, period by period.

A scheduled payment is gross, before deductions; what is due is the gross
minus the penalties imposed for performance failures in its period (for
availability and service payments), and what was paid is the sum of the
budgets payments that settle it (``Transaction.scheduled_payment_id``).
"""

import calendar
import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from pptracker.budgets.models import Transaction
from pptracker.contracts.models import Contract, FiscalCommitment
from pptracker.contracts.services import check_confidentiality
from pptracker.database import utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import periods
from pptracker.operations.models import PaymentType, ScheduledPayment
from pptracker.operations.periods import live_contract
from pptracker.projects.models import Project
from pptracker.values import check_plausible, parse_money

logger = logging.getLogger(__name__)

#: How the payment types read in sentences and lists.
TYPE_LABELS = {
    PaymentType.AVAILABILITY_PAYMENT.value: "availability payment",
    PaymentType.SERVICE_PAYMENT.value: "service payment",
    PaymentType.CAPITAL_SUBSIDY.value: "capital subsidy",
    PaymentType.OPERATING_SUBSIDY.value: "operating subsidy",
    PaymentType.OTHER.value: "other government payment",
}

#: A series repeats every so many calendar months.
SERIES_STEPS = (1, 3, 6, 12)
#: The most periods one series creates (50 years of months).
MAX_SERIES = 600


@dataclass
class ScheduledPaymentData:
    """A scheduled payment's editable details (from the form, the importer or the demo)."""

    contract_id: int
    type: PaymentType
    period_start: date
    period_end: date
    gross_amount: Decimal
    due_date: date | None = None
    fiscal_commitment_id: int | None = None
    description: str = ""
    confidential: bool = False
    confidential_reason: str | None = None


def type_label(value) -> str:
    """Return a payment type in words ("availability payment")."""
    value = getattr(value, "value", value)
    return TYPE_LABELS.get(value, str(value))


def period_text(start: date, end: date) -> str:
    """Return a period as people read it.

    Calendar months, quarters, halves and years are written ``2025-03``,
    ``2025-Q1``, ``2025-H2``, ``2025``; any other period by its dates.
    """
    if start.day == 1 and end.day == _last_day(end) and start.year == end.year:
        months = end.month - start.month + 1
        if months == 1:
            return f"{start.year}-{start.month:02d}"
        if months == 3 and start.month % 3 == 1:
            return f"{start.year}-Q{start.month // 3 + 1}"
        if months == 6 and start.month in (1, 7):
            return f"{start.year}-H{1 if start.month == 1 else 2}"
        if months == 12:
            return str(start.year)
    return f"{start.isoformat()} to {end.isoformat()}"


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months (the 31st becomes the month's last)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- checks -------------------------------------------------------------------------------


def _date(value, field: str, what: str, *, required: bool) -> date | None:
    if value is None or value == "":
        if required:
            raise DomainError(f"Give the {what}.", field=field)
        return None
    if not isinstance(value, date):
        raise DomainError(f"The {what} is a date, written YYYY-MM-DD.", field=field)
    check_plausible(value, field=field)
    return value


def _commitment(project, contract: Contract, commitment_id) -> None:
    if commitment_id is None:
        return
    commitment = db.session.get(FiscalCommitment, commitment_id)
    if commitment is None or commitment.is_deleted or commitment.project_id != project.id:
        raise DomainError(
            "Choose a fiscal commitment of this project.", field="fiscal_commitment_id"
        )
    if commitment.contract_id is not None and commitment.contract_id != contract.id:
        raise DomainError(
            f"This fiscal commitment belongs to another contract, not to {contract.reference}: "
            "choose one of this contract's commitments, or none.",
            field="fiscal_commitment_id",
        )


def _overlap(contract: Contract, type_: PaymentType, start: date, end: date, exclude) -> None:
    """Refuse a period overlapping another live payment of the same contract and type."""
    clash = db.session.scalar(
        sa.select(ScheduledPayment)
        .where(
            ScheduledPayment.contract_id == contract.id,
            ScheduledPayment.type == type_,
            ScheduledPayment.is_deleted.is_(False),
            ScheduledPayment.id.not_in(exclude or [-1]),
            ScheduledPayment.period_start <= end,
            ScheduledPayment.period_end >= start,
        )
        .order_by(ScheduledPayment.period_start)
        .limit(1)
    )
    if clash is not None:
        raise DomainError(
            f"Contract {contract.reference} already has an {type_label(type_)} scheduled for "
            f"{clash.period_start.isoformat()} to {clash.period_end.isoformat()}, which overlaps "
            "this period: change the dates, or edit that payment instead.",
            field="period_start",
        )


def validate(project, data: ScheduledPaymentData, *, check_overlap=True, exclude=()):
    """Return cleaned data and its contract, or raise on the first invalid field.

    Writes nothing (the CSV importer checks every row with it first).

    :param check_overlap: also refuse a period overlapping a live payment of
        the same contract and type (ids in ``exclude`` left out).
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    contract = live_contract(project, data.contract_id)
    try:
        type_ = PaymentType(data.type)
    except ValueError:
        raise DomainError("Choose the type of payment from the list.", field="type") from None
    start = _date(data.period_start, "period_start", "first day of the period", required=True)
    end = _date(data.period_end, "period_end", "last day of the period", required=True)
    if end < start:
        raise DomainError("The period cannot end before it starts.", field="period_end")
    periods.check_within_contract(contract, start, end, field="period_start")
    gross = parse_money(data.gross_amount, field="gross_amount", what="gross amount", minimum=0)
    due = _date(data.due_date, "due_date", "due date", required=False)
    if due is not None and due < start:
        raise DomainError(
            f"The due date cannot be before the period starts ({start.isoformat()}).",
            field="due_date",
        )
    _commitment(project, contract, data.fiscal_commitment_id)
    description = (data.description or "").strip()
    if len(description) > 5000:
        raise DomainError("The description is at most 5,000 characters.", field="description")
    reason = check_confidentiality(bool(data.confidential), data.confidential_reason)
    if check_overlap:
        _overlap(contract, type_, start, end, exclude)
    cleaned = replace(
        data,
        type=type_,
        period_start=start,
        period_end=end,
        gross_amount=gross,
        due_date=due,
        description=description,
        confidential=bool(data.confidential),
        confidential_reason=reason,
    )
    return cleaned, contract


def _linked(payment: ScheduledPayment) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Transaction.id)).where(
            Transaction.scheduled_payment_id == payment.id, Transaction.is_deleted.is_(False)
        )
    )


# --- writing ------------------------------------------------------------------------------


def add(project, data: ScheduledPaymentData, contract: Contract) -> ScheduledPayment:
    """Add a payment from data ``validate`` cleaned (not flushed): for bulk writers."""
    payment = ScheduledPayment(project_id=project.id, currency=contract.currency, **vars(data))
    db.session.add(payment)
    return payment


def create_scheduled_payment(project, data: ScheduledPaymentData) -> ScheduledPayment:
    """Schedule a government payment of a contract for a period.

    :return: the new payment, flushed; its currency is the contract's.
    :raises DomainError: naming the first invalid field.
    """
    data, contract = validate(project, data)
    payment = add(project, data, contract)
    db.session.flush()
    logger.info("Scheduled payment %s added to %s", payment.id, project.code)
    return payment


def update_scheduled_payment(payment: ScheduledPayment, data: ScheduledPaymentData):
    """Correct a scheduled payment.

    :raises DomainError: for invalid input, a deleted payment, or a change of
        contract while budgets payments settle it.
    """
    if payment.is_deleted:
        raise DomainError("This scheduled payment has been deleted.")
    project = db.session.get(Project, payment.project_id)
    data, contract = validate(project, data, exclude=[payment.id])
    if contract.id != payment.contract_id:
        used = _linked(payment)
        if used:
            raise DomainError(
                f"{used} payment{'s' if used != 1 else ''} recorded in the budget settle"
                f"{'' if used != 1 else 's'} this scheduled payment, so its contract stays: "
                "unlink them first.",
                field="contract_id",
            )
    for key, value in vars(data).items():
        setattr(payment, key, value)
    payment.currency = contract.currency
    db.session.flush()
    logger.info("Scheduled payment %s updated", payment.id)
    return payment


def delete_scheduled_payment(payment: ScheduledPayment) -> None:
    """Soft-delete a scheduled payment entered by mistake (its history stays).

    :raises DomainError: while live budgets payments settle it.
    """
    if payment.is_deleted:
        raise DomainError("This scheduled payment has already been deleted.")
    used = _linked(payment)
    if used:
        raise DomainError(
            f"{used} payment{'s' if used != 1 else ''} recorded in the budget settle"
            f"{'' if used != 1 else 's'} this scheduled payment, so it stays: unlink or delete "
            f"{'them' if used != 1 else 'it'} first."
        )
    payment.is_deleted, payment.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("Scheduled payment %s deleted", payment.id)


def series_periods(data: ScheduledPaymentData, every_months: int, count: int) -> list:
    """Return ``count`` copies of ``data``, each ``every_months`` later than the one before.

    Each period keeps the first one's length in calendar months (1 March–31
    March, then 1 April–30 April …); the due date moves with its period.
    """
    after_end = data.period_end + timedelta(days=1)
    result = []
    for n in range(count):
        step = n * every_months
        result.append(
            replace(
                data,
                period_start=add_months(data.period_start, step),
                period_end=add_months(after_end, step) - timedelta(days=1),
                due_date=add_months(data.due_date, step) if data.due_date else None,
            )
        )
    return result


def create_series(
    project, data: ScheduledPaymentData, *, every_months: int, count: int
) -> list[ScheduledPayment]:
    """Schedule ``count`` payments, the first for ``data``'s period, then every N months.

    All or nothing: every period is checked before any is written.

    :param every_months: 1, 3, 6 or 12.
    :param count: how many periods, 1 to ``MAX_SERIES``.
    :raises DomainError: naming the first invalid field (and the period at fault).
    """
    if isinstance(every_months, bool) or every_months not in SERIES_STEPS:
        raise DomainError(
            "Repeat every 1, 3, 6 or 12 months (monthly, quarterly, half-yearly or yearly).",
            field="every_months",
        )
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SERIES:
        raise DomainError(
            f"Give how many periods, a whole number from 1 to {MAX_SERIES}.", field="count"
        )
    first, _contract_of_first = validate(project, data, check_overlap=False)
    items = series_periods(first, every_months, count)
    if count > 1 and items[1].period_start <= items[0].period_end:
        raise DomainError(
            f"Each period lasts longer than {every_months} month{'s' if every_months != 1 else ''}"
            ", so the periods would overlap: shorten the first period or repeat less often.",
            field="every_months",
        )
    cleaned = []
    for number, item in enumerate(items, start=1):
        try:
            cleaned.append(validate(project, item))
        except DomainError as error:
            raise DomainError(
                f"Period {number} of the series "
                f"({item.period_start.isoformat()} to {item.period_end.isoformat()}): "
                f"{error.message} Nothing was scheduled.",
                field=error.field,
            ) from None
    created = [add(project, item, contract) for item, contract in cleaned]
    db.session.flush()
    logger.info("%s scheduled payments added to %s", len(created), project.code)
    return created
