"""Contract rules: register and edit contracts, append amendments, record risks and commitments."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from pptracker import codelists
from pptracker.contracts.models import (
    Allocation,
    Amendment,
    AmendmentType,
    CommitmentNature,
    CommitmentType,
    Contract,
    ContractParty,
    ContractStatus,
    FiscalCommitment,
    PaymentMechanism,
    RiskAllocation,
)
from pptracker.contracts.queries import terms
from pptracker.database import today, utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.projects.models import Party


@dataclass
class ContractData:
    """A contract's editable details."""

    reference: str
    title: str
    status: ContractStatus
    payment_mechanism: PaymentMechanism
    initial_value: Decimal
    currency: str
    nature: list[str] = field(default_factory=list)
    description: str = ""
    procurement_method: str | None = None
    procurement_method_details: str | None = None
    number_of_tenderers: int | None = None
    signature_date: date | None = None
    financial_close_date: date | None = None
    initial_start: date | None = None
    initial_end: date | None = None
    confidential: bool = False
    confidential_reason: str | None = None
    #: ``(party id, role)`` pairs.
    parties: list[tuple[int, str]] = field(default_factory=list)


def check_confidentiality(confidential: bool, reason: str | None) -> str | None:
    """Return the cleaned reason; a confidential record must say why.

    :raises DomainError: naming ``confidential_reason``.
    """
    reason = (reason or "").strip() or None
    if confidential and not reason:
        raise DomainError(
            "Say why this is confidential: the public sees the reason in its place.",
            field="confidential_reason",
        )
    return reason if confidential else None


def _check_period(start: date | None, end: date | None, field_name: str) -> None:
    if start and end and end < start:
        raise DomainError("The end cannot be before the start.", field=field_name)


def _validate_contract(project, data: ContractData, contract: Contract | None) -> None:
    if not data.reference or not data.reference.strip():
        raise DomainError("A contract needs a reference.", field="reference")
    taken = db.session.scalar(
        sa.select(Contract.id).where(
            Contract.project_id == project.id, Contract.reference == data.reference.strip()
        )
    )
    if taken is not None and (contract is None or taken != contract.id):
        raise DomainError(
            f"This project already has a contract '{data.reference}'.", field="reference"
        )
    if not data.title or not data.title.strip():
        raise DomainError("A contract needs a title.", field="title")
    unknown = [n for n in data.nature if n not in codelists.contract_natures()]
    if unknown:
        raise DomainError(f"Unknown contract nature: {', '.join(unknown)}.", field="nature")
    if data.procurement_method and data.procurement_method not in codelists.codelist("method"):
        raise DomainError("Choose a procurement method from the list.", field="procurement_method")
    if data.number_of_tenderers is not None and data.number_of_tenderers < 0:
        raise DomainError(
            "The number of tenderers cannot be negative.", field="number_of_tenderers"
        )
    if data.initial_value is None or data.initial_value < 0:
        raise DomainError("The initial value must be zero or more.", field="initial_value")
    if data.currency not in codelists.codelist("currency"):
        raise DomainError(f"'{data.currency}' is not an ISO 4217 currency code.", field="currency")
    _check_period(data.initial_start, data.initial_end, "initial_end")
    if (
        data.financial_close_date
        and data.signature_date
        and data.financial_close_date < data.signature_date
    ):
        raise DomainError(
            "Financial close cannot come before the signature.", field="financial_close_date"
        )
    if data.signature_date and data.signature_date > today():
        raise DomainError("The signature date cannot be in the future.", field="signature_date")
    if data.status != ContractStatus.PRE_AWARD and data.signature_date is None:
        raise DomainError(
            "An active or closed contract has a signature date.", field="signature_date"
        )
    roles = codelists.party_roles()
    for party_id, role in data.parties:
        party = db.session.get(Party, party_id)
        if party is None or party.is_deleted:
            raise DomainError("Choose parties from the list.", field="parties")
        if role not in roles:
            raise DomainError(f"Unknown party role '{role}'.", field="parties")
    if len(set(data.parties)) != len(data.parties):
        raise DomainError("The same party is listed twice in the same role.", field="parties")


def create_contract(project, data: ContractData) -> Contract:
    """Register a contract of ``project``.

    :raises DomainError: naming the first invalid field.
    """
    _validate_contract(project, data, None)
    reason = check_confidentiality(data.confidential, data.confidential_reason)
    values = {k: v for k, v in vars(data).items() if k != "parties"}
    contract = Contract(
        **{
            **values,
            "reference": data.reference.strip(),
            "title": data.title.strip(),
            "confidential_reason": reason,
        },
        project_id=project.id,
    )
    contract.parties = [ContractParty(party_id=p, role=r) for p, r in data.parties]
    db.session.add(contract)
    db.session.flush()
    return contract


_INITIAL_TERMS = ("initial_value", "currency", "initial_start", "initial_end", "signature_date")


def update_contract(contract: Contract, data: ContractData) -> Contract:
    """Change a contract's details; once signed, its initial terms stay as signed.

    :raises DomainError: for invalid input, or for a change of the initial
        value or period of a signed contract (record an amendment instead).
    """
    _validate_contract(contract.project, data, contract)
    if contract.signature_date is not None:
        changed = [
            name for name in _INITIAL_TERMS if getattr(contract, name) != getattr(data, name)
        ]
        if changed:
            raise DomainError(
                "This contract is signed: its initial value, currency and period are never "
                "overwritten. Record an amendment to change them.",
                field=changed[0],
            )
    reason = check_confidentiality(data.confidential, data.confidential_reason)
    for key, value in vars(data).items():
        if key != "parties":
            setattr(contract, key, value)
    contract.reference, contract.title = data.reference.strip(), data.title.strip()
    contract.confidential_reason = reason
    wanted = set(data.parties)
    contract.parties = [cp for cp in contract.parties if (cp.party_id, cp.role) in wanted] + [
        ContractParty(party_id=p, role=r)
        for p, r in data.parties
        if (p, r) not in {(cp.party_id, cp.role) for cp in contract.parties}
    ]
    db.session.flush()
    return contract


def delete_contract(contract: Contract) -> None:
    """Soft-delete a contract; its amendments and history stay."""
    contract.is_deleted, contract.deleted_at = True, utcnow()
    db.session.flush()


@dataclass
class AmendmentData:
    """An amendment as the manager records it."""

    amended_on: date
    type: AmendmentType
    rationale: str
    approved_by: str
    approved_on: date
    description: str = ""
    new_value: Decimal | None = None
    new_start: date | None = None
    new_end: date | None = None
    confidential: bool = False
    confidential_reason: str | None = None


def add_amendment(contract: Contract, data: AmendmentData, *, recorder) -> Amendment:
    """Append an amendment; the old value and period are taken from the contract's current terms.

    :raises DomainError: for a missing rationale or approval, a date in the
        future, or a change that does not match its type.
    """
    if not data.rationale or not data.rationale.strip():
        raise DomainError("Every amendment needs its rationale.", field="rationale")
    if not data.approved_by or not data.approved_by.strip():
        raise DomainError("Say who approved the amendment.", field="approved_by")
    for name in ("amended_on", "approved_on"):
        if getattr(data, name) is None:
            raise DomainError("This date is required.", field=name)
        if getattr(data, name) > today():
            raise DomainError("This date cannot be in the future.", field=name)
    if contract.signature_date and data.amended_on < contract.signature_date:
        raise DomainError(
            "An amendment cannot predate the contract's signature.", field="amended_on"
        )
    current = terms(contract)
    kind = AmendmentType(data.type)
    if kind == AmendmentType.VALUE:
        if data.new_value is None:
            raise DomainError("A value amendment needs the new value.", field="new_value")
        if data.new_value < 0:
            raise DomainError("The new value cannot be negative.", field="new_value")
        if data.new_value == current.current_value:
            raise DomainError("The new value is the same as the current value.", field="new_value")
    if kind == AmendmentType.DURATION:
        if data.new_end is None and data.new_start is None:
            raise DomainError(
                "A duration amendment needs the new end (or start) date.", field="new_end"
            )
        start = data.new_start or current.current_start
        end = data.new_end or current.current_end
        _check_period(start, end, "new_end")
        if (start, end) == (current.current_start, current.current_end):
            raise DomainError("The new period is the same as the current period.", field="new_end")
    if kind == AmendmentType.SCOPE and not (data.description or "").strip():
        raise DomainError("Describe the change of scope.", field="description")
    if data.new_value is not None and data.new_value < 0:
        raise DomainError("The new value cannot be negative.", field="new_value")
    reason = check_confidentiality(data.confidential, data.confidential_reason)
    number = (
        db.session.scalar(
            sa.select(sa.func.max(Amendment.number)).where(Amendment.contract_id == contract.id)
        )
        or 0
    ) + 1
    changes_value = data.new_value is not None
    changes_period = data.new_start is not None or data.new_end is not None
    amendment = Amendment(
        contract_id=contract.id,
        project_id=contract.project_id,
        number=number,
        amended_on=data.amended_on,
        type=kind,
        rationale=data.rationale.strip(),
        description=(data.description or "").strip(),
        approved_by=data.approved_by.strip(),
        approved_on=data.approved_on,
        old_value=current.current_value if changes_value else None,
        new_value=data.new_value,
        old_start=current.current_start if changes_period else None,
        new_start=(data.new_start or current.current_start) if changes_period else None,
        old_end=current.current_end if changes_period else None,
        new_end=(data.new_end or current.current_end) if changes_period else None,
        confidential=data.confidential,
        confidential_reason=reason,
        recorded_by_id=recorder.id if recorder is not None else None,
    )
    db.session.add(amendment)
    contract.amendments.append(amendment)
    db.session.flush()
    return amendment


def set_confidential(record, confidential: bool, reason: str | None):
    """Mark any disclosable record (amendment included) confidential, or public again.

    :raises DomainError: when confidential without a reason.
    """
    record.confidential_reason = check_confidentiality(confidential, reason)
    record.confidential = confidential
    db.session.flush()
    return record


@dataclass
class RiskData:
    """One row of the risk matrix."""

    category: str
    allocation: Allocation
    description: str = ""
    mitigation: str = ""
    confidential: bool = False
    confidential_reason: str | None = None


def _validate_risk(data: RiskData) -> str | None:
    if data.category not in codelists.RISK_CATEGORIES:
        raise DomainError("Choose a risk category from the list.", field="category")
    Allocation(data.allocation)
    return check_confidentiality(data.confidential, data.confidential_reason)


def add_risk(contract: Contract, data: RiskData) -> RiskAllocation:
    """Record who bears a category of risk under ``contract``."""
    reason = _validate_risk(data)
    risk = RiskAllocation(
        contract_id=contract.id,
        project_id=contract.project_id,
        **{**vars(data), "confidential_reason": reason},
    )
    db.session.add(risk)
    db.session.flush()
    return risk


def update_risk(risk: RiskAllocation, data: RiskData) -> RiskAllocation:
    """Change a risk row."""
    reason = _validate_risk(data)
    for key, value in vars(data).items():
        setattr(risk, key, value)
    risk.confidential_reason = reason
    db.session.flush()
    return risk


def delete_record(record) -> None:
    """Soft-delete a risk row or a fiscal commitment."""
    record.is_deleted, record.deleted_at = True, utcnow()
    db.session.flush()


@dataclass
class CommitmentData:
    """A fiscal commitment's details."""

    type: CommitmentType
    nature: CommitmentNature
    max_exposure: Decimal
    currency: str
    description: str = ""
    contract_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    confidential: bool = False
    confidential_reason: str | None = None


def _validate_commitment(project, data: CommitmentData) -> str | None:
    CommitmentType(data.type)
    CommitmentNature(data.nature)
    if data.max_exposure is None or data.max_exposure < 0:
        raise DomainError("The maximum exposure must be zero or more.", field="max_exposure")
    if data.currency not in codelists.codelist("currency"):
        raise DomainError(f"'{data.currency}' is not an ISO 4217 currency code.", field="currency")
    _check_period(data.start_date, data.end_date, "end_date")
    if data.contract_id is not None:
        contract = db.session.get(Contract, data.contract_id)
        if contract is None or contract.project_id != project.id or contract.is_deleted:
            raise DomainError("Choose a contract of this project.", field="contract_id")
    return check_confidentiality(data.confidential, data.confidential_reason)


def add_commitment(project, data: CommitmentData) -> FiscalCommitment:
    """Record a guarantee, subsidy or payment obligation of the government."""
    reason = _validate_commitment(project, data)
    commitment = FiscalCommitment(
        project_id=project.id, **{**vars(data), "confidential_reason": reason}
    )
    db.session.add(commitment)
    db.session.flush()
    return commitment


def update_commitment(commitment: FiscalCommitment, data: CommitmentData) -> FiscalCommitment:
    """Change a fiscal commitment."""
    reason = _validate_commitment(_project(commitment.project_id), data)

    for key, value in vars(data).items():
        setattr(commitment, key, value)
    commitment.confidential_reason = reason
    db.session.flush()
    return commitment


def _project(project_id: int):
    from pptracker.projects.models import Project

    return db.session.get(Project, project_id)
