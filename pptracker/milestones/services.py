"""Milestone rules: plan, approve and re-baseline, report progress, cancel or delete."""

import logging
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from pptracker import codelists
from pptracker.auth.models import Role
from pptracker.contracts.models import Amendment, Contract
from pptracker.database import today, utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.milestones.models import (
    Milestone,
    MilestoneBaseline,
    MilestoneStatus,
    MilestoneUpdate,
)
from pptracker.values import check_plausible

logger = logging.getLogger(__name__)

#: Document types accepted as evidence of a milestone's progress.
EVIDENCE_TYPES = ("physicalProgressReport", "completionCertificate")


@dataclass
class MilestoneData:
    """A milestone's editable details (from the form, the CSV importer or the API)."""

    title: str
    type: str  # OC4IDS milestoneType
    code: str | None = None  # OC4IDS milestoneCode
    description: str = ""
    contract_id: int | None = None
    baseline_date: date | None = None  # a proposal until approved; fixed afterwards
    forecast_date: date | None = None
    actual_date: date | None = None
    status: MilestoneStatus = MilestoneStatus.SCHEDULED
    percent_complete: int = 0
    weight: int = 1
    planned_value: Decimal | None = None


def _status(value) -> MilestoneStatus:
    try:
        return MilestoneStatus(value)
    except ValueError:
        raise DomainError(
            f"'{value}' is not a milestone status: choose one from the list.", field="status"
        ) from None


def _check_progress(
    status: MilestoneStatus, percent, actual: date | None, forecast: date | None
) -> None:
    """Apply the rules shared by the full edit and the quick update."""
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        raise DomainError(
            "The percentage complete is a whole number from 0 to 100.", field="percent_complete"
        )
    check_plausible(forecast, field="forecast_date")
    check_plausible(actual, field="actual_date")
    if actual is not None and actual > today():
        raise DomainError(
            "The actual date cannot be in the future: it is when the milestone was reached. "
            "Put a date still to come in the forecast.",
            field="actual_date",
        )
    if status == MilestoneStatus.MET:
        if actual is None:
            raise DomainError("A met milestone needs the date it was met.", field="actual_date")
        if percent != 100:
            raise DomainError(
                "A met milestone is 100 % complete: set the percentage to 100, or choose "
                "“Partially met” or “In progress”.",
                field="percent_complete",
            )


def _validate(project, data: MilestoneData, milestone: Milestone | None) -> MilestoneData:
    """Return cleaned data, or raise on the first invalid field."""
    title = (data.title or "").strip()
    if not title:
        raise DomainError("A milestone needs a title.", field="title")
    if len(title) > 200:
        raise DomainError("The title is at most 200 characters.", field="title")
    if data.type not in codelists.codelist("milestoneType"):
        raise DomainError("Choose a milestone type from the list.", field="type")
    code = (data.code or "").strip() or None
    if code is not None and code not in codelists.codelist("milestoneCode"):
        raise DomainError(
            f"'{code}' is not a milestone code: choose one from the list.", field="code"
        )
    if data.contract_id is not None:
        contract = db.session.get(Contract, data.contract_id)
        if contract is None or contract.is_deleted or contract.project_id != project.id:
            raise DomainError("Choose a contract of this project.", field="contract_id")
    status = _status(data.status)
    check_plausible(data.baseline_date, field="baseline_date")
    _check_progress(status, data.percent_complete, data.actual_date, data.forecast_date)
    if not isinstance(data.weight, int) or isinstance(data.weight, bool) or data.weight < 0:
        raise DomainError("The weight is a whole number, zero or more.", field="weight")
    planned = data.planned_value
    if planned is not None:
        try:
            planned = Decimal(planned)
        except (InvalidOperation, TypeError, ValueError):
            raise DomainError("The planned value is an amount.", field="planned_value") from None
        if isinstance(data.planned_value, float) or not planned.is_finite():
            raise DomainError("The planned value is an amount.", field="planned_value")
        if planned < 0:
            raise DomainError("The planned value cannot be negative.", field="planned_value")
        if planned != planned.quantize(Decimal("0.01")):
            raise DomainError("The planned value has at most two decimals.", field="planned_value")
    if milestone is not None and milestone.approved_at is not None:
        if data.baseline_date != milestone.baseline_date:
            raise DomainError(
                "This milestone's baseline was approved on "
                f"{milestone.approved_at.date().isoformat()}, so it is fixed. To move it, an "
                "administrator re-baselines the milestone (with the reason), and the earlier "
                "baseline is kept.",
                field="baseline_date",
            )
    return replace(
        data,
        title=title,
        code=code,
        status=status,
        description=data.description or "",
        planned_value=planned,
    )


def create_milestone(project, data: MilestoneData, *, actor) -> Milestone:
    """Add a milestone to ``project`` (its baseline date is a proposal until approved).

    :param data: validated values from ``MilestoneForm.to_data()`` or the CSV importer.
    :param actor: the user adding it.
    :return: the new milestone, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data = _validate(project, data, None)
    milestone = Milestone(project_id=project.id, **vars(data))
    db.session.add(milestone)
    db.session.flush()
    logger.info(
        "Milestone %s added to %s by %s", milestone.id, project.code, getattr(actor, "id", None)
    )
    return milestone


def update_milestone(milestone: Milestone, data: MilestoneData, *, actor) -> Milestone:
    """Change a milestone's details; an approved baseline stays as approved.

    :raises DomainError: for invalid input, a deleted milestone, or a change of
        an approved baseline date (re-baseline it instead).
    """
    if milestone.is_deleted:
        raise DomainError("This milestone has been deleted.")
    data = _validate(milestone.project, data, milestone)
    for key, value in vars(data).items():
        setattr(milestone, key, value)
    db.session.flush()
    logger.info("Milestone %s updated by %s", milestone.id, getattr(actor, "id", None))
    return milestone


def approve_milestone(milestone: Milestone, *, approver) -> Milestone:
    """Approve a milestone: its baseline date is fixed and recorded as the first baseline.

    :raises DomainError: when it has no baseline date, is already approved,
        or is deleted.
    """
    if milestone.is_deleted:
        raise DomainError("This milestone has been deleted.")
    if milestone.approved_at is not None:
        raise DomainError("This milestone is already approved.")
    if milestone.baseline_date is None:
        raise DomainError(
            "Give the milestone a baseline date before approving it: approval fixes that date.",
            field="baseline_date",
        )
    now = utcnow()
    milestone.approved_at, milestone.approved_by_id = now, approver.id
    db.session.add(
        MilestoneBaseline(
            milestone=milestone,
            project_id=milestone.project_id,
            baseline_date=milestone.baseline_date,
            reason=None,
            set_by_id=approver.id,
            set_at=now,
        )
    )
    db.session.flush()
    logger.info("Milestone %s approved by %s", milestone.id, approver.id)
    return milestone


def rebaseline(
    milestone: Milestone, new_date: date | None, *, reason: str | None, actor, amendment=None
) -> MilestoneBaseline:
    """Move an approved milestone's baseline; every earlier baseline is kept.

    :param amendment: the contract amendment (of the same project) that moved
        it. Without one, only an administrator may re-baseline.
    :return: the new baseline row, flushed.
    :raises DomainError: for a missing reason or date, an unapproved or
        deleted milestone, the same date again, or an amendment of another project.
    """
    if milestone.is_deleted:
        raise DomainError("This milestone has been deleted.")
    if milestone.approved_at is None:
        raise DomainError(
            "This milestone is not approved yet: its baseline is still a proposal, so edit it "
            "instead."
        )
    if amendment is not None:
        if isinstance(amendment, int):
            amendment = db.session.get(Amendment, amendment)
        if amendment is None or amendment.contract.project_id != milestone.project_id:
            raise DomainError(
                "Choose an amendment of this project's contracts.", field="amendment_id"
            )
    elif getattr(actor, "role", None) != Role.ADMIN:
        raise DomainError(
            "Only an administrator may re-baseline a milestone without a contract amendment.",
            field="amendment_id",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the baseline moves: the reason is kept with it.", field="reason")
    if new_date is None:
        raise DomainError("Give the new baseline date.", field="new_date")
    check_plausible(new_date, field="new_date")
    if new_date == milestone.baseline_date:
        raise DomainError("The new baseline is the same as the current one.", field="new_date")
    row = MilestoneBaseline(
        milestone=milestone,
        project_id=milestone.project_id,
        baseline_date=new_date,
        reason=reason,
        amendment_id=amendment.id if amendment is not None else None,
        set_by_id=getattr(actor, "id", None),
        set_at=utcnow(),
    )
    db.session.add(row)
    milestone.baseline_date = new_date
    db.session.flush()
    logger.info(
        "Milestone %s re-baselined to %s by %s", milestone.id, new_date, getattr(actor, "id", None)
    )
    return row


def quick_update(
    milestone: Milestone,
    *,
    status,
    percent_complete,
    forecast_date: date | None,
    actual_date: date | None,
    note: str | None,
    actor,
) -> MilestoneUpdate:
    """Report progress on a milestone and log it (the progress log keeps every report).

    :return: the new progress log entry, flushed.
    :raises DomainError: under the same rules as ``update_milestone``.
    """
    if milestone.is_deleted:
        raise DomainError("This milestone has been deleted.")
    status = _status(status)
    _check_progress(status, percent_complete, actual_date, forecast_date)
    milestone.status, milestone.percent_complete = status, percent_complete
    milestone.forecast_date, milestone.actual_date = forecast_date, actual_date
    update = MilestoneUpdate(
        milestone=milestone,
        project_id=milestone.project_id,
        status=status,
        percent_complete=percent_complete,
        forecast_date=forecast_date,
        actual_date=actual_date,
        note=(note or "").strip(),
        reported_by_id=getattr(actor, "id", None),
        reported_at=utcnow(),
    )
    db.session.add(update)
    db.session.flush()
    logger.info(
        "Milestone %s progress %s%% reported by %s",
        milestone.id,
        percent_complete,
        getattr(actor, "id", None),
    )
    return update


def attach_evidence(milestone: Milestone, file_storage, data, *, uploader):
    """Upload a file as evidence of the milestone's progress.

    :param data: a ``DocumentData``; its type must be one of ``EVIDENCE_TYPES``.
    :return: the new document, flushed.
    :raises DomainError: for an invalid description or file.
    """
    from pptracker.documents.services import upload_document

    if data.document_type not in EVIDENCE_TYPES:
        raise DomainError("Choose the kind of evidence from the list.", field="evidence_type")
    document = upload_document(
        milestone.project, file_storage, data, uploader=uploader, contract=milestone.contract
    )
    # upload_document knows nothing of milestones yet; link the evidence here.
    document.milestone_id = milestone.id
    db.session.flush()
    return document


def cancel_milestone(milestone: Milestone, *, actor, note: str = "") -> Milestone:
    """Mark a milestone cancelled (logged in its progress log); it stays on record.

    :raises DomainError: when it is already cancelled or deleted.
    """
    if milestone.is_deleted:
        raise DomainError("This milestone has been deleted.")
    if milestone.status == MilestoneStatus.CANCELLED:
        raise DomainError("This milestone is already cancelled.")
    quick_update(
        milestone,
        status=MilestoneStatus.CANCELLED,
        percent_complete=milestone.percent_complete,
        forecast_date=milestone.forecast_date,
        actual_date=milestone.actual_date,
        note=note or "Cancelled.",
        actor=actor,
    )
    return milestone


def delete_milestone(milestone: Milestone, *, actor) -> None:
    """Soft-delete a milestone entered by mistake (its history stays).

    :raises DomainError: when it has an actual date: something happened, so
        it can only be cancelled.
    """
    if milestone.is_deleted:
        raise DomainError("This milestone has already been deleted.")
    if milestone.actual_date is not None:
        raise DomainError(
            "This milestone has an actual date, so it stays on record: cancel it instead."
        )
    milestone.is_deleted, milestone.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("Milestone %s deleted by %s", milestone.id, getattr(actor, "id", None))
