"""KPI rules: KPIs of a contract, their observations per period, and performance failures.

A failed observation (value short of the target) creates a performance
failure with the penalty the contract's deduction rule gives; editing or
deleting the observation keeps that failure in step. Failures found in other
ways (an inspection, a complaint) are recorded by hand.
"""

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa

from pptracker.contracts.models import Contract
from pptracker.contracts.services import check_confidentiality
from pptracker.database import today, utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.formatting import plain_number
from pptracker.operations import periods
from pptracker.operations.models import (
    DEDUCTIBLE_PAYMENTS,
    Comparison,
    DeductionBasis,
    FailureCategory,
    Frequency,
    Kpi,
    KpiObservation,
    KpiSource,
    KpiUnit,
    PerformanceFailure,
    ScheduledPayment,
)
from pptracker.operations.periods import live_contract
from pptracker.values import CENT, parse_count, parse_decimal, parse_money

logger = logging.getLogger(__name__)

#: KPI values and targets are stored with four decimals (NUMERIC(18, 4)).
VALUE_PLACES = 4
MAX_VALUE = Decimal("99999999999999.9999")

#: Document types accepted as evidence of a KPI observation.
EVIDENCE_TYPES = ("performanceReport", "technicalAuditReport", "oversightReport")

UNIT_WORDS = {
    KpiUnit.PERCENT: "a percentage from 0 to 100",
    KpiUnit.COUNT: "a whole number, 0 or more",
    KpiUnit.HOURS: "a number of hours, 0 or more",
    KpiUnit.MINUTES: "a number of minutes, 0 or more",
    KpiUnit.DAYS: "a number of days, 0 or more",
    KpiUnit.NUMBER: "a number",
    KpiUnit.YES_NO: "1 (yes) or 0 (no)",
}
UNIT_SYMBOLS = {
    KpiUnit.PERCENT: "%",
    KpiUnit.COUNT: "",
    KpiUnit.HOURS: "h",
    KpiUnit.MINUTES: "min",
    KpiUnit.DAYS: "days",
    KpiUnit.NUMBER: "",
    KpiUnit.YES_NO: "",
}


# --- data ---------------------------------------------------------------------------------


@dataclass
class KpiData:
    """A KPI's editable details (from the form or the demo loader)."""

    contract_id: int
    code: str
    name: str
    category: FailureCategory
    unit: KpiUnit
    comparison: Comparison
    target: Decimal
    frequency: Frequency
    source: KpiSource
    description: str = ""
    deduction_rule: str = ""
    deduction_basis: DeductionBasis = DeductionBasis.NONE
    deduction_amount: Decimal | None = None
    deduction_percent: Decimal | None = None
    confidential: bool = False
    confidential_reason: str | None = None


@dataclass
class ObservationData:
    """One measured value of a KPI for a period (from a form, the bulk page or a CSV row)."""

    kpi_id: int
    period: str
    value: Decimal | str
    events: int | None = None
    source: KpiSource | None = None
    note: str = ""


@dataclass
class FailureData:
    """A performance failure's editable details."""

    contract_id: int
    category: FailureCategory
    period_start: date
    period_end: date
    events: int
    penalty_contracted: Decimal
    penalty_imposed: Decimal
    penalty_paid: Decimal
    description: str = ""


class PeriodErrors(DomainError):
    """Some rows of a period's observations are invalid; nothing was recorded.

    ``errors`` maps a KPI id to the message for its row (the key ``None``
    holds a problem with the period or the contract as a whole).
    """

    def __init__(self, errors: dict[int | None, str]):
        count = len(errors)
        super().__init__(
            f"Nothing was recorded: {count} row{'s have' if count != 1 else ' has'} a problem."
            if None not in errors
            else errors[None]
        )
        self.errors = errors


# --- shared checks ------------------------------------------------------------------------


def _enum(enum, value, field_name: str, what: str):
    try:
        return enum(value)
    except ValueError:
        raise DomainError(f"Choose {what} from the list.", field=field_name) from None


def check_unit_value(unit: KpiUnit, value, *, field_name: str, what: str) -> Decimal:
    """Return ``value`` as a Decimal that fits ``unit``, or refuse it clearly.

    :raises DomainError: for text, or a number the unit does not allow
        (2.5 for a count, 130 for a percentage, 3 for yes/no …).
    """
    unit = KpiUnit(unit)
    number = parse_decimal(
        value, field=field_name, what=what, places=VALUE_PLACES, maximum=MAX_VALUE
    )
    words = UNIT_WORDS[unit]
    fits = {
        KpiUnit.PERCENT: Decimal(0) <= number <= 100,
        KpiUnit.COUNT: number >= 0 and number == number.to_integral_value(),
        KpiUnit.HOURS: number >= 0,
        KpiUnit.MINUTES: number >= 0,
        KpiUnit.DAYS: number >= 0,
        KpiUnit.NUMBER: True,
        KpiUnit.YES_NO: number in (0, 1),
    }[unit]
    if not fits:
        raise DomainError(
            f"{plain_number(number)} does not fit this KPI's unit: the {what} is {words}.",
            field=field_name,
        )
    return number


def show_value(unit: KpiUnit, value: Decimal | None) -> str:
    """Return a KPI value as people read it (``98.5 %``, ``Yes``, ``3 h``)."""
    if value is None:
        return "–"
    unit = KpiUnit(unit)
    if unit == KpiUnit.YES_NO:
        return "Yes" if value == 1 else "No"
    symbol = UNIT_SYMBOLS[unit]
    return f"{plain_number(Decimal(value))} {symbol}".strip()


def show_target(kpi) -> str:
    """Return a KPI's target with its comparison (``at least 98 %``)."""
    words = "at least" if kpi.comparison == Comparison.AT_LEAST else "at most"
    return f"{words} {show_value(kpi.unit, kpi.target)}"


# --- KPIs ---------------------------------------------------------------------------------


def _validate_kpi(project, data: KpiData, kpi: Kpi | None) -> KpiData:
    contract = live_contract(project, data.contract_id)
    code = (data.code or "").strip()
    if not code:
        raise DomainError("A KPI needs a code, e.g. AV-1.", field="code")
    if len(code) > 30:
        raise DomainError("The code is at most 30 characters.", field="code")
    name = (data.name or "").strip()
    if not name:
        raise DomainError("A KPI needs a name.", field="name")
    if len(name) > 200:
        raise DomainError("The name is at most 200 characters.", field="name")
    category = _enum(FailureCategory, data.category, "category", "a category")
    unit = _enum(KpiUnit, data.unit, "unit", "a unit")
    comparison = _enum(Comparison, data.comparison, "comparison", "how the target is met")
    frequency = _enum(Frequency, data.frequency, "frequency", "a frequency")
    source = _enum(KpiSource, data.source, "source", "a source")
    target = check_unit_value(unit, data.target, field_name="target", what="target")
    basis = _enum(DeductionBasis, data.deduction_basis, "deduction_basis", "a deduction basis")
    amount = percent = None
    if basis == DeductionBasis.AMOUNT:
        if data.deduction_amount in (None, ""):
            raise DomainError(
                "A deduction of a fixed amount needs the amount per failure event.",
                field="deduction_amount",
            )
        amount = parse_money(
            data.deduction_amount, field="deduction_amount", what="deduction amount", minimum=0
        )
    elif basis == DeductionBasis.PERCENT:
        if data.deduction_percent in (None, ""):
            raise DomainError(
                "A percentage deduction needs the percentage per failure event.",
                field="deduction_percent",
            )
        what = "deduction percentage"
        percent = parse_decimal(data.deduction_percent, field="deduction_percent", what=what)
        if not 0 <= percent <= 100:
            raise DomainError(
                "The deduction percentage is from 0 to 100.", field="deduction_percent"
            )
        parse_decimal(percent, field="deduction_percent", what=what, places=VALUE_PLACES)
    reason = check_confidentiality(bool(data.confidential), data.confidential_reason)
    clash = db.session.scalar(
        sa.select(Kpi).where(
            Kpi.contract_id == contract.id,
            sa.func.lower(Kpi.code) == code.lower(),
            Kpi.id != (kpi.id if kpi is not None else -1),
        )
    )
    if clash is not None:
        detail = " (by a deleted KPI, kept for its history)" if clash.is_deleted else ""
        raise DomainError(
            f"Contract {contract.reference} already has a KPI with the code {clash.code}"
            f"{detail}: choose another code.",
            field="code",
        )
    if kpi is not None and kpi.contract_id != contract.id and _has_observations(kpi):
        raise DomainError(
            "This KPI has observations under its contract, so it stays with that contract.",
            field="contract_id",
        )
    return replace(
        data,
        code=code,
        name=name,
        category=category,
        unit=unit,
        comparison=comparison,
        frequency=frequency,
        source=source,
        target=target,
        description=(data.description or "").strip(),
        deduction_rule=(data.deduction_rule or "").strip(),
        deduction_basis=basis,
        deduction_amount=amount,
        deduction_percent=percent,
        confidential=bool(data.confidential),
        confidential_reason=reason,
    )


def _has_observations(kpi: Kpi) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(KpiObservation.id)).where(KpiObservation.kpi_id == kpi.id)
        )
    )


def create_kpi(project, data: KpiData) -> Kpi:
    """Add a KPI to a contract of ``project``.

    :return: the new KPI, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data = _validate_kpi(project, data, None)
    kpi = Kpi(project_id=project.id, **vars(data))
    db.session.add(kpi)
    db.session.flush()
    logger.info("KPI %s added to %s", kpi.id, project.code)
    return kpi


def update_kpi(kpi: Kpi, data: KpiData) -> Kpi:
    """Change a KPI's details; observations already recorded keep their result.

    :raises DomainError: for invalid input or a deleted KPI.
    """
    if kpi.is_deleted:
        raise DomainError("This KPI has been deleted.")
    project = kpi.contract.project
    if kpi.frequency != data.frequency and _has_observations(kpi):
        raise DomainError(
            "This KPI has observations for its periods, so its frequency stays as it is.",
            field="frequency",
        )
    if kpi.unit != data.unit and _has_observations(kpi):
        raise DomainError(
            "This KPI has observations in its unit, so the unit stays as it is.", field="unit"
        )
    data = _validate_kpi(project, data, kpi)
    for key, value in vars(data).items():
        setattr(kpi, key, value)
    db.session.flush()
    logger.info("KPI %s updated", kpi.id)
    return kpi


def delete_kpi(kpi: Kpi) -> None:
    """Soft-delete a KPI; its observations and failures stay on record."""
    if kpi.is_deleted:
        raise DomainError("This KPI has already been deleted.")
    kpi.is_deleted, kpi.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("KPI %s deleted", kpi.id)


# --- observations -------------------------------------------------------------------------


@dataclass
class CheckedObservation:
    """An observation checked and ready to write, with the failure it implies."""

    kpi: Kpi
    period_start: date
    period_end: date
    value: Decimal
    met: bool
    events: int
    source: KpiSource
    note: str
    penalty: Decimal = field(default=Decimal("0.00"))


def _period_label(kpi: Kpi, start: date) -> str:
    return periods.label(kpi.frequency, start)


def deduction_for(kpi: Kpi, period_start: date, events: int) -> Decimal:
    """Return what the KPI's deduction rule gives for ``events`` failures in a period.

    :raises DomainError: for a percentage deduction when the contract has no
        deductible scheduled payment covering the period.
    """
    basis = DeductionBasis(kpi.deduction_basis)
    if basis == DeductionBasis.AMOUNT:
        return (Decimal(kpi.deduction_amount or 0) * events).quantize(CENT, ROUND_HALF_UP)
    if basis == DeductionBasis.PERCENT:
        gross = db.session.scalar(
            sa.select(sa.func.sum(ScheduledPayment.gross_amount)).where(
                ScheduledPayment.contract_id == kpi.contract_id,
                ScheduledPayment.is_deleted.is_(False),
                ScheduledPayment.type.in_([t.value for t in DEDUCTIBLE_PAYMENTS]),
                ScheduledPayment.period_start <= period_start,
                ScheduledPayment.period_end >= period_start,
            )
        )
        if gross is None:
            raise DomainError(
                f"KPI {kpi.code} deducts {plain_number(kpi.deduction_percent or 0)} % of the "
                f"period's scheduled payment, but contract {kpi.contract.reference} has no "
                f"availability or service payment scheduled for "
                f"{_period_label(kpi, period_start)}: add it to the payment schedule first.",
                field="value",
            )
        share = Decimal(kpi.deduction_percent or 0) / 100 * Decimal(gross) * events
        return share.quantize(CENT, ROUND_HALF_UP)
    return Decimal("0.00")


def check_observation(project, data: ObservationData, observation: KpiObservation | None):
    """Return the observation ``data`` describes, checked, or raise on the first problem."""
    kpi = db.session.get(Kpi, data.kpi_id) if data.kpi_id is not None else None
    if kpi is None or kpi.project_id != project.id:
        raise DomainError("Choose a KPI of this project.", field="kpi_id")
    if kpi.is_deleted:
        raise DomainError(
            f"KPI {kpi.code} has been deleted: no observation can be recorded for it.",
            field="kpi_id",
        )
    if observation is not None and observation.kpi_id != kpi.id:
        raise DomainError("An observation stays with its KPI.", field="kpi_id")
    contract = kpi.contract
    if contract.is_deleted:
        raise DomainError(f"Contract {contract.reference} has been deleted.", field="kpi_id")
    start, end = periods.parse(kpi.frequency, data.period, field="period")
    periods.check_within_contract(contract, start, end, field="period")
    label = _period_label(kpi, start)
    if start > today():
        raise DomainError(
            f"{label} has not started yet: record an observation once its period has begun.",
            field="period",
        )
    clash = db.session.scalar(
        sa.select(KpiObservation.id).where(
            KpiObservation.kpi_id == kpi.id,
            KpiObservation.period_start == start,
            KpiObservation.id != (observation.id if observation is not None else -1),
        )
    )
    if clash is not None:
        raise DomainError(
            f"KPI {kpi.code} already has an observation for {label}: edit that one instead.",
            field="period",
        )
    value = check_unit_value(kpi.unit, data.value, field_name="value", what="value")
    met = value >= kpi.target if kpi.comparison == Comparison.AT_LEAST else value <= kpi.target
    events = data.events
    if events is not None and events != "":
        events = parse_count(events, field="events", what="number of failure events")
    else:
        events = None
    if met:
        if events:
            raise DomainError(
                f"{show_value(kpi.unit, value)} meets the target ({show_target(kpi)}), and a met "
                "KPI has no failure events: leave the events empty or 0.",
                field="events",
            )
        events = 0
    else:
        if events is None:
            events = 1
        elif events == 0:
            raise DomainError(
                f"{show_value(kpi.unit, value)} misses the target ({show_target(kpi)}): a failed "
                "KPI has at least one failure event.",
                field="events",
            )
    source = (
        _enum(KpiSource, data.source, "source", "a source")
        if data.source not in (None, "")
        else kpi.source
    )
    checked = CheckedObservation(
        kpi=kpi,
        period_start=start,
        period_end=end,
        value=value,
        met=met,
        events=events,
        source=source,
        note=(data.note or "").strip(),
    )
    if not met:
        checked.penalty = deduction_for(kpi, start, events)
    return checked


def _failure_description(checked: CheckedObservation) -> str:
    kpi = checked.kpi
    return (
        f"KPI {kpi.code} “{kpi.name}” failed in {_period_label(kpi, checked.period_start)}: "
        f"{show_value(kpi.unit, checked.value)} against a target of {show_target(kpi)}."
    )


def _new_failure(observation: KpiObservation, checked: CheckedObservation) -> PerformanceFailure:
    kpi = checked.kpi
    failure = PerformanceFailure(
        project_id=kpi.project_id,
        contract_id=kpi.contract_id,
        kpi_id=kpi.id,
        observation_id=observation.id,
        category=kpi.category,
        period_start=checked.period_start,
        period_end=checked.period_end,
        events=checked.events,
        description=_failure_description(checked),
        penalty_contracted=checked.penalty,
        penalty_imposed=checked.penalty,
        penalty_paid=Decimal("0.00"),
        currency=kpi.contract.currency,
    )
    db.session.add(failure)
    return failure


def write_checked(project, checked: CheckedObservation, actor) -> KpiObservation:
    observation = KpiObservation(
        kpi_id=checked.kpi.id,
        project_id=project.id,
        period_start=checked.period_start,
        period_end=checked.period_end,
        value=checked.value,
        met=checked.met,
        events=checked.events,
        source=checked.source,
        note=checked.note,
        reported_by_id=getattr(actor, "id", None),
    )
    db.session.add(observation)
    db.session.flush()
    if not checked.met:
        _new_failure(observation, checked)
        db.session.flush()
    return observation


def record_observation(project, data: ObservationData, *, actor) -> KpiObservation:
    """Record a KPI's value for a period; a failed value creates a performance failure.

    :param actor: the user reporting it (recorded as ``reported_by``).
    :return: the new observation, flushed.
    :raises DomainError: naming the first invalid field; nothing is written.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    checked = check_observation(project, data, None)
    observation = write_checked(project, checked, actor)
    logger.info(
        "KPI %s observation %s recorded by %s",
        checked.kpi.id,
        observation.id,
        getattr(actor, "id", None),
    )
    return observation


def failure_of(observation: KpiObservation) -> PerformanceFailure | None:
    """Return the live performance failure an observation created, if any."""
    return db.session.scalar(
        sa.select(PerformanceFailure).where(
            PerformanceFailure.observation_id == observation.id,
            PerformanceFailure.is_deleted.is_(False),
        )
    )


def deductions_of(observations: list[KpiObservation]) -> Decimal:
    """Return the penalties contracted for the live failures of ``observations`` (one query)."""
    total = db.session.scalar(
        sa.select(sa.func.sum(PerformanceFailure.penalty_contracted)).where(
            PerformanceFailure.observation_id.in_([o.id for o in observations]),
            PerformanceFailure.is_deleted.is_(False),
        )
    )
    return Decimal(total or 0).quantize(CENT)


def _paid_refusal(failure: PerformanceFailure, what: str) -> DomainError:
    return DomainError(
        f"A penalty of {failure.penalty_paid:,.2f} {failure.currency} has already been paid for "
        f"this failure, so {what}. Record the refund on the failure first (set what was paid "
        "back to 0)."
    )


def update_observation(observation: KpiObservation, data: ObservationData, *, actor):
    """Correct an observation; whether it met the target, and its failure, follow.

    Newly met: its failure is deleted (refused when a penalty was paid).
    Still failed: the failure's events and contracted penalty follow (the
    imposed penalty too, unless the authority had set it differently).
    Newly failed: a failure is created.

    :raises DomainError: naming the first invalid field; nothing is written.
    """
    project = observation.kpi.contract.project
    checked = check_observation(project, data, observation)
    failure = failure_of(observation)
    if checked.met and failure is not None and failure.penalty_paid > 0:
        raise _paid_refusal(failure, "the observation cannot become met")
    if not checked.met and failure is not None:
        imposed = failure.penalty_imposed
        if imposed == failure.penalty_contracted:
            imposed = checked.penalty
        if failure.penalty_paid > imposed:
            raise DomainError(
                f"The penalty imposed would fall to {imposed:,.2f} {failure.currency}, below "
                f"the {failure.penalty_paid:,.2f} already paid: correct the failure first.",
                field="events",
            )
    observation.period_start, observation.period_end = checked.period_start, checked.period_end
    observation.value, observation.met, observation.events = (
        checked.value,
        checked.met,
        checked.events,
    )
    observation.source, observation.note = checked.source, checked.note
    if checked.met:
        if failure is not None:
            failure.is_deleted, failure.deleted_at = True, utcnow()
            failure.observation_id = None
    elif failure is None:
        _new_failure(observation, checked)
    else:
        if failure.penalty_imposed == failure.penalty_contracted:
            failure.penalty_imposed = checked.penalty
        failure.penalty_contracted = checked.penalty
        failure.events = checked.events
        failure.period_start, failure.period_end = checked.period_start, checked.period_end
        failure.description = _failure_description(checked)
    db.session.flush()
    logger.info("KPI observation %s updated by %s", observation.id, getattr(actor, "id", None))
    return observation


def delete_observation(observation: KpiObservation) -> None:
    """Delete an observation entered by mistake (the audit log keeps it), and its failure.

    Its evidence documents stay, detached.

    :raises DomainError: when a penalty was paid for its failure.
    """
    from pptracker.documents.models import Document

    failure = failure_of(observation)
    if failure is not None and failure.penalty_paid > 0:
        raise _paid_refusal(failure, "the observation stays")
    if failure is not None:
        failure.is_deleted, failure.deleted_at = True, utcnow()
        failure.observation_id = None
    for document in db.session.scalars(
        sa.select(Document).where(Document.kpi_observation_id == observation.id)
    ):
        document.kpi_observation_id = None
    # Soft-deleted failures of earlier corrections may still point here.
    for old in db.session.scalars(
        sa.select(PerformanceFailure).where(PerformanceFailure.observation_id == observation.id)
    ):
        old.observation_id = None
    db.session.flush()
    db.session.delete(observation)
    db.session.flush()
    logger.info("KPI observation %s deleted", observation.id)


def record_period(
    project, contract, frequency, period: str, rows: list[ObservationData], *, actor
) -> list[KpiObservation]:
    """Record a period's observations of a contract's KPIs: all of them, or none.

    Every row is checked first; when any fails nothing is written.

    :param contract: the contract (or its id) whose KPIs are observed.
    :param frequency: the frequency of the KPIs recorded (one period for all).
    :param period: the period, written as for that frequency (``2025-03``).
    :return: the new observations, flushed, in row order.
    :raises PeriodErrors: with each invalid row's message, keyed by KPI id.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    contract_id = contract.id if isinstance(contract, Contract) else contract
    try:
        contract = live_contract(project, contract_id)
        frequency = _enum(Frequency, frequency, "frequency", "a frequency")
        start, _end = periods.parse(frequency, period, field="period")
    except DomainError as error:
        raise PeriodErrors({None: error.message}) from None
    label = periods.label(frequency, start)
    if not rows:
        raise PeriodErrors({None: "Give at least one value: every row was empty."})
    errors: dict[int | None, str] = {}
    checked_rows: list[CheckedObservation] = []
    seen: set[int] = set()
    for row in rows:
        kpi = db.session.get(Kpi, row.kpi_id) if row.kpi_id is not None else None
        if kpi is None or kpi.contract_id != contract.id:
            errors[row.kpi_id] = f"This KPI is not one of contract {contract.reference}'s."
            continue
        if kpi.frequency != frequency:
            errors[row.kpi_id] = f"KPI {kpi.code} is not measured {frequency.value}."
            continue
        if kpi.id in seen:
            errors[row.kpi_id] = f"KPI {kpi.code} is given twice."
            continue
        seen.add(kpi.id)
        try:
            checked_rows.append(check_observation(project, replace(row, period=label), None))
        except DomainError as error:
            errors[row.kpi_id] = error.message
    if errors:
        raise PeriodErrors(errors)
    written = [write_checked(project, checked, actor) for checked in checked_rows]
    logger.info(
        "%s observations of %s recorded for %s by %s",
        len(written),
        contract.reference,
        label,
        getattr(actor, "id", None),
    )
    return written


def attach_evidence(observation: KpiObservation, file_storage, data, *, uploader):
    """Upload a file as evidence of an observation (e.g. the independent engineer's report).

    The document is confidential when the KPI is.

    :param data: a ``DocumentData``; its type must be one of ``EVIDENCE_TYPES``.
    :return: the new document, flushed.
    :raises DomainError: for an invalid description or file.
    """
    from pptracker.documents.services import upload_document

    if data.document_type not in EVIDENCE_TYPES:
        raise DomainError("Choose the kind of evidence from the list.", field="evidence_type")
    kpi = observation.kpi
    if kpi.confidential and not data.confidential:
        data = replace(data, confidential=True, confidential_reason=kpi.confidential_reason)
    document = upload_document(
        kpi.contract.project, file_storage, data, uploader=uploader, contract=kpi.contract
    )
    document.kpi_observation_id = observation.id
    db.session.flush()
    return document


# --- performance failures -----------------------------------------------------------------


def _check_amounts(contracted, imposed, paid) -> tuple[Decimal, Decimal, Decimal]:
    values = []
    for name, value, what in (
        ("penalty_contracted", contracted, "penalty contracted"),
        ("penalty_imposed", imposed, "penalty imposed"),
        ("penalty_paid", paid, "penalty paid"),
    ):
        values.append(parse_money(value, field=name, what=what, minimum=0))
    if values[2] > values[1]:
        raise DomainError(
            "The penalty paid cannot be more than the penalty imposed.", field="penalty_paid"
        )
    return values[0], values[1], values[2]


def _validate_failure(project, data: FailureData) -> tuple[FailureData, Contract]:
    contract = live_contract(project, data.contract_id)
    category = _enum(FailureCategory, data.category, "category", "a category")
    if not isinstance(data.period_start, date):
        raise DomainError("Give the first day of the period.", field="period_start")
    if not isinstance(data.period_end, date):
        raise DomainError("Give the last day of the period.", field="period_end")
    if data.period_end < data.period_start:
        raise DomainError("The period cannot end before it starts.", field="period_end")
    periods.check_within_contract(
        contract, data.period_start, data.period_end, field="period_start"
    )
    if data.period_start > today():
        raise DomainError(
            "The period has not started yet: record a failure once it has happened.",
            field="period_start",
        )
    events = parse_count(data.events, field="events", what="number of failure events")
    contracted, imposed, paid = _check_amounts(
        data.penalty_contracted, data.penalty_imposed, data.penalty_paid
    )
    cleaned = replace(
        data,
        category=category,
        events=events,
        penalty_contracted=contracted,
        penalty_imposed=imposed,
        penalty_paid=paid,
        description=(data.description or "").strip(),
    )
    return cleaned, contract


def record_failure(project, data: FailureData) -> PerformanceFailure:
    """Record a performance failure found outside the KPI observations.

    :return: the new failure, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data, contract = _validate_failure(project, data)
    failure = PerformanceFailure(project_id=project.id, currency=contract.currency, **vars(data))
    db.session.add(failure)
    db.session.flush()
    logger.info("Performance failure %s recorded on %s", failure.id, project.code)
    return failure


def update_failure(failure: PerformanceFailure, data: FailureData) -> PerformanceFailure:
    """Change a failure; one created from an observation changes only what was imposed and paid.

    :raises DomainError: for invalid input, a deleted failure, or a change of
        what the observation decides (correct the observation instead).
    """
    if failure.is_deleted:
        raise DomainError("This performance failure has been deleted.")
    if failure.observation_id is not None:
        fixed = (
            ("contract_id", failure.contract_id, data.contract_id, "contract"),
            ("category", failure.category, data.category, "category"),
            ("period_start", failure.period_start, data.period_start, "period"),
            ("period_end", failure.period_end, data.period_end, "period"),
            ("events", failure.events, data.events, "number of events"),
            (
                "penalty_contracted",
                failure.penalty_contracted,
                data.penalty_contracted,
                "penalty contracted",
            ),
        )
        for name, current, given, what in fixed:
            if str(getattr(current, "value", current)) != str(getattr(given, "value", given)):
                if name == "penalty_contracted":
                    try:
                        if Decimal(str(given)) == current:
                            continue
                    except (InvalidOperation, ValueError):
                        pass
                raise DomainError(
                    f"This failure comes from a KPI observation, which sets its {what}: "
                    "correct the observation instead. Here you may change the penalty "
                    "imposed, the penalty paid and the description.",
                    field=name,
                )
        _contracted, imposed, paid = _check_amounts(
            failure.penalty_contracted, data.penalty_imposed, data.penalty_paid
        )
        failure.penalty_imposed, failure.penalty_paid = imposed, paid
        failure.description = (data.description or "").strip()
    else:
        cleaned, contract = _validate_failure(failure.contract.project, data)
        for key, value in vars(cleaned).items():
            setattr(failure, key, value)
        failure.currency = contract.currency
    db.session.flush()
    logger.info("Performance failure %s updated", failure.id)
    return failure


def delete_failure(failure: PerformanceFailure) -> None:
    """Soft-delete a failure recorded by mistake (its history stays).

    :raises DomainError: for a failure created from a KPI observation.
    """
    if failure.is_deleted:
        raise DomainError("This performance failure has already been deleted.")
    if failure.observation_id is not None:
        raise DomainError(
            "This failure comes from a KPI observation: delete or correct the observation "
            "instead, and the failure follows."
        )
    failure.is_deleted, failure.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("Performance failure %s deleted", failure.id)
