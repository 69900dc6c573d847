"""Tariff rules: a contract's tariff table, and rate changes appended with their reason."""

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from pptracker.contracts.models import Amendment, Contract
from pptracker.contracts.services import check_confidentiality
from pptracker.database import utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import periods
from pptracker.operations.models import PaidBy, Tariff, TariffRate
from pptracker.operations.periods import live_contract
from pptracker.values import currency_code, parse_decimal

logger = logging.getLogger(__name__)

#: Tariff values have up to four decimals (e.g. 0.1375 per kWh).
RATE_PLACES = 4
#: The largest value an ``ExactDecimal(18, 4)`` column holds.
MAX_RATE = Decimal("99999999999999.9999")


@dataclass
class TariffData:
    """A tariff's editable details (from the form or an importer)."""

    contract_id: int | None
    code: str
    title: str
    paid_by: PaidBy
    unit: str
    currency: str | None
    payer_group: str = ""
    setting_method: str = ""
    review_method: str = ""
    confidential: bool = False
    confidential_reason: str | None = None


@dataclass
class RateChange:
    """A new value of a tariff from a date on, and why."""

    effective_from: date | None
    value: Decimal | str | None
    reason: str
    approved_by: str = ""
    amendment_id: int | None = None


# --- shared checks ------------------------------------------------------------------------


def _text(value: str | None, *, field: str, what: str, limit: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(f"Give the {what}.", field=field)
    if len(text) > limit:
        raise DomainError(f"The {what} is at most {limit} characters.", field=field)
    return text


# --- tariffs ------------------------------------------------------------------------------


def _validate_tariff(project, data: TariffData, tariff: Tariff | None) -> TariffData:
    """Return cleaned data, or raise on the first invalid field."""
    if tariff is not None and data.contract_id != tariff.contract_id:
        raise DomainError(
            "A tariff stays with its contract (its rates and amendments belong to it): "
            "add a new tariff to the other contract instead.",
            field="contract_id",
        )
    contract = live_contract(project, data.contract_id)
    code = _text(data.code, field="code", what="tariff code (e.g. T-CL1)", limit=30, required=True)
    title = _text(data.title, field="title", what="title", limit=200, required=True)
    try:
        paid_by = PaidBy(data.paid_by)
    except ValueError:
        raise DomainError("Choose who pays: users or the government.", field="paid_by") from None
    unit = _text(data.unit, field="unit", what="unit (e.g. per trip)", limit=60, required=True)
    payer_group = _text(
        data.payer_group, field="payer_group", what="payer group", limit=200, required=False
    )
    currency = currency_code(data.currency, contract.currency)
    reason = check_confidentiality(bool(data.confidential), data.confidential_reason)
    if reason is not None and len(reason) > 500:
        raise DomainError("The reason is at most 500 characters.", field="confidential_reason")
    clash = db.session.scalar(
        sa.select(Tariff).where(
            Tariff.contract_id == contract.id,
            sa.func.lower(Tariff.code) == code.lower(),
            Tariff.id != (tariff.id if tariff is not None else -1),
        )
    )
    if clash is not None:
        detail = " (by a deleted tariff, kept for its history)" if clash.is_deleted else ""
        raise DomainError(
            f"The code {clash.code} is already used in contract {contract.reference}{detail}: "
            "choose another.",
            field="code",
        )
    return replace(
        data,
        contract_id=contract.id,
        code=code,
        title=title,
        paid_by=paid_by,
        unit=unit,
        payer_group=payer_group,
        currency=currency,
        setting_method=(data.setting_method or "").strip(),
        review_method=(data.review_method or "").strip(),
        confidential=bool(data.confidential),
        confidential_reason=reason,
    )


def latest_rate(tariff_id: int) -> TariffRate | None:
    """Return the tariff's rate with the latest date (the current one), or None."""
    return db.session.scalar(
        sa.select(TariffRate)
        .where(TariffRate.tariff_id == tariff_id)
        .order_by(TariffRate.effective_from.desc())
        .limit(1)
    )


def _validate_rate(contract: Contract, change: RateChange, latest: TariffRate | None):
    """Return the cleaned change, or raise on the first invalid field."""
    day = change.effective_from
    if not isinstance(day, date) or isinstance(day, datetime):
        raise DomainError(
            "Give the date the value takes effect, written YYYY-MM-DD.", field="effective_from"
        )
    periods.check_within_contract(contract, day, field="effective_from", what="The date")
    if latest is not None and day <= latest.effective_from:
        raise DomainError(
            f"The latest rate took effect on {latest.effective_from.isoformat()}: changes are "
            "appended in date order, so give a later date. (A rate is never changed or "
            "deleted; record a correction as a new change with its reason.)",
            field="effective_from",
        )
    value = parse_decimal(
        change.value,
        field="value",
        what="value",
        places=RATE_PLACES,
        minimum=0,
        maximum=MAX_RATE,
    )
    if latest is not None and value == latest.value:
        raise DomainError(
            f"The value is the same as the current one ({latest.value}): there is no change "
            "to record.",
            field="value",
        )
    reason = _text(
        change.reason, field="reason", what="reason for the change", limit=5000, required=True
    )
    approved_by = _text(
        change.approved_by, field="approved_by", what="approver", limit=200, required=False
    )
    if change.amendment_id not in (None, ""):
        amendment = (
            db.session.get(Amendment, change.amendment_id)
            if isinstance(change.amendment_id, int)
            else None
        )
        if amendment is None or amendment.contract_id != contract.id:
            raise DomainError(
                f"Choose an amendment of contract {contract.reference}, or none.",
                field="amendment_id",
            )
    return replace(
        change,
        value=value,
        reason=reason,
        approved_by=approved_by,
        amendment_id=change.amendment_id or None,
    )


def _add_rate(tariff: Tariff, change: RateChange, actor) -> TariffRate:
    rate = TariffRate(
        tariff=tariff,
        project_id=tariff.project_id,
        effective_from=change.effective_from,
        value=change.value,
        reason=change.reason,
        approved_by=change.approved_by,
        amendment_id=change.amendment_id,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(rate)
    return rate


def create_tariff(project, data: TariffData, first_rate: RateChange, *, actor) -> Tariff:
    """Add a tariff to one of ``project``'s contracts, with its first value.

    :param first_rate: the value from the date the tariff starts, and why.
    :param actor: the user recording it (kept on the rate).
    :return: the new tariff, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data = _validate_tariff(project, data, None)
    contract = db.session.get(Contract, data.contract_id)
    first_rate = _validate_rate(contract, first_rate, None)
    tariff = Tariff(project_id=project.id, **vars(data))
    db.session.add(tariff)
    _add_rate(tariff, first_rate, actor)
    db.session.flush()
    logger.info("Tariff %s added to %s", tariff.id, project.code)
    return tariff


def update_tariff(tariff: Tariff, data: TariffData) -> Tariff:
    """Change a tariff's details; its rates are never touched.

    :raises DomainError: for invalid input or a deleted tariff.
    """
    if tariff.is_deleted:
        raise DomainError("This tariff has been deleted.")
    project = tariff.contract.project
    data = _validate_tariff(project, data, tariff)
    for key, value in vars(data).items():
        setattr(tariff, key, value)
    db.session.flush()
    logger.info("Tariff %s updated", tariff.id)
    return tariff


def delete_tariff(tariff: Tariff) -> None:
    """Soft-delete a tariff entered by mistake; it and its rates stay for the history.

    :raises DomainError: when it is already deleted.
    """
    if tariff.is_deleted:
        raise DomainError("This tariff has already been deleted.")
    tariff.is_deleted, tariff.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("Tariff %s deleted", tariff.id)


def change_rate(tariff: Tariff, change: RateChange, *, actor) -> TariffRate:
    """Append a new value of ``tariff`` from a date on; earlier rates stay as they are.

    :param change: the date (within the contract, after the latest rate), the
        value, the reason and, optionally, who approved it and the amendment.
    :param actor: the user recording it.
    :return: the new rate, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if tariff.is_deleted:
        raise DomainError("This tariff has been deleted.")
    contract = tariff.contract
    if contract.is_deleted:
        raise DomainError("The contract of this tariff has been deleted.")
    change = _validate_rate(contract, change, latest_rate(tariff.id))
    rate = _add_rate(tariff, change, actor)
    db.session.flush()
    logger.info(
        "Tariff %s changed to %s from %s by %s",
        tariff.id,
        rate.value,
        rate.effective_from,
        getattr(actor, "id", None),
    )
    return rate
