"""Explicit audit events, verification runs, and the findings workflow."""

from dataclasses import dataclass

from flask import current_app

from pptracker.audit import batched, capture
from pptracker.audit.chain import Verification, verify
from pptracker.audit.models import Finding, FindingStatus, Severity
from pptracker.database import utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db


def record(
    action: str,
    *,
    summary: str,
    entity=None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    project_id: int | None = None,
    changes: dict | None = None,
    reason: str | None = None,
    actor: capture.Actor | None = None,
) -> None:
    """Record an event that is not a row change (sign-in, publication, export…).

    It is written when the current transaction commits, and dropped if it
    rolls back, exactly like the row changes.

    :param entity: the record the event is about; fills type, id and project.
    :param actor: who acted, when not the session's actor (e.g. at sign-in).
    """
    if entity is not None:
        entity_type = entity_type or type(entity).__name__
        entity_id = entity_id if entity_id is not None else entity.id
        project_id = project_id if project_id is not None else capture.project_id_of(entity)
    capture.add_pending(
        db.session,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        project_id=project_id,
        summary=summary,
        changes=changes,
        reason=reason,
        actor=actor,
    )


def record_read(
    action: str,
    *,
    summary: str,
    entity_type: str,
    entity_id: int | None = None,
    project_id: int | None = None,
) -> None:
    """Record a read that changes nothing (a report download), written in a batch.

    Unlike ``record``, it does not wait for the current transaction: it is
    queued at once, with the time and actor of now, and written with the
    other reads of the moment (see ``batched``).
    """
    fields = capture.event_fields(
        actor=capture.current_actor(db.session),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        project_id=project_id,
        summary=summary,
    )
    batched.read_log(current_app._get_current_object()).add(fields)


def run_verification(*, head: str | None = None) -> Verification:
    """Verify the chain and record the verdict as an audit event of its own.

    :param head: a head published earlier that must still be in the chain.
    """
    result = verify(db.session, head=head)
    record(
        "audit.verify",
        summary=result.line()[:500],
        changes={
            "ok": result.ok,
            "events": result.events,
            "head": result.head,
            "broken_at": result.broken_at,
            "checked_head": head,
        },
    )
    return result


@dataclass
class FindingData:
    """What an auditor writes when raising a finding."""

    title: str
    description: str
    severity: Severity


def raise_finding(
    project,
    data: FindingData,
    *,
    auditor,
    entity_type: str = "Project",
    entity_id: int | None = None,
) -> Finding:
    """Open a finding on ``project`` (or on one of its records).

    :raises DomainError: for an empty title or description.
    """
    if not data.title.strip() or not data.description.strip():
        raise DomainError("A finding needs a title and a description.", field="title")
    entity_id = entity_id if entity_id is not None else project.id
    _check_target(project, entity_type, entity_id)
    finding = Finding(
        project_id=project.id,
        entity_type=entity_type,
        entity_id=entity_id,
        title=data.title.strip(),
        description=data.description.strip(),
        severity=Severity(data.severity),
        raised_by_id=auditor.id,
    )
    db.session.add(finding)
    db.session.flush()
    return finding


def _check_target(project, entity_type: str, entity_id: int) -> None:
    from pptracker.database import Audited, Base

    classes = {
        m.class_.__name__: m.class_ for m in Base.registry.mappers if issubclass(m.class_, Audited)
    }
    cls = classes.get(entity_type)
    target = db.session.get(cls, entity_id) if cls is not None else None
    if target is None or capture.project_id_of(target) != project.id:
        raise DomainError(f"There is no {entity_type} {entity_id} in project {project.code}.")


def answer_finding(finding: Finding, response: str, *, manager) -> Finding:
    """Record the project managers' answer; the finding becomes ``answered``.

    :raises DomainError: when the finding is closed or the answer is empty.
    """
    if finding.status == FindingStatus.CLOSED:
        raise DomainError("This finding is closed; it can no longer be answered.")
    if not response or not response.strip():
        raise DomainError("Write an answer before sending it.", field="response")
    finding.response = response.strip()
    finding.responded_by_id, finding.responded_at = manager.id, utcnow()
    finding.status = FindingStatus.ANSWERED
    db.session.flush()
    return finding


def close_finding(finding: Finding, note: str | None, *, auditor) -> Finding:
    """Close a finding (an auditor's decision, answered or not).

    :raises DomainError: when it is already closed.
    """
    if finding.status == FindingStatus.CLOSED:
        raise DomainError("This finding is already closed.")
    finding.status = FindingStatus.CLOSED
    finding.closed_by_id, finding.closed_at = auditor.id, utcnow()
    finding.closing_note = (note or "").strip() or None
    db.session.flush()
    return finding


def reopen_finding(finding: Finding, note: str | None, *, auditor) -> Finding:
    """Reopen a closed finding, keeping the earlier answer.

    :raises DomainError: when it is not closed.
    """
    if finding.status != FindingStatus.CLOSED:
        raise DomainError("Only a closed finding can be reopened.")
    finding.status = FindingStatus.ANSWERED if finding.response else FindingStatus.OPEN
    finding.closed_by_id, finding.closed_at, finding.closing_note = None, None, None
    record(
        "finding.reopen",
        entity=finding,
        summary=f"Reopened finding {finding.title}",
        reason=(note or "").strip() or None,
    )
    db.session.flush()
    return finding
