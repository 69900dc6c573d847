"""Reads of the audit log and the findings."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from pptracker.audit.models import AuditChainHead, AuditEvent, Finding, FindingStatus
from pptracker.database import UTC
from pptracker.extensions import db
from pptracker.projects.models import Project

PAGE_SIZE = 50


@dataclass
class AuditFilters:
    """What the auditor asked the log for."""

    project: str = ""
    entity_type: str = ""
    entity_id: int | None = None
    actor: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    def active(self) -> bool:
        """Tell whether any filter is set."""
        return any(v not in ("", None) for v in vars(self).values())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def filtered_events(filters: AuditFilters) -> sa.Select:
    """Return the events matching ``filters``, newest first.

    :return: a select of ``AuditEvent``; an unknown project code matches nothing.
    """
    stmt = sa.select(AuditEvent)
    if filters.project:
        project_id = db.session.scalar(sa.select(Project.id).where(Project.code == filters.project))
        stmt = stmt.where(AuditEvent.project_id == project_id if project_id else sa.false())
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == filters.entity_id)
    if filters.actor:
        stmt = stmt.where(
            sa.func.lower(AuditEvent.actor).contains(filters.actor.lower(), autoescape=True)
        )
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= _start_of(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.occurred_at < _start_of(filters.date_to + timedelta(days=1)))
    if filters.q:
        stmt = stmt.where(
            sa.func.lower(AuditEvent.summary).contains(filters.q.lower(), autoescape=True)
        )
    return stmt.order_by(AuditEvent.seq.desc())


def related_events(records: dict[str, list[int]]) -> sa.Select:
    """Return the events of several records at once (a contract and its amendments …).

    :param records: ``{entity type: [ids]}``.
    """
    conditions = [
        sa.and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids))
        for kind, ids in records.items()
        if ids
    ]
    return (
        sa.select(AuditEvent)
        .where(sa.or_(*conditions) if conditions else sa.false())
        .order_by(AuditEvent.seq.desc())
    )


@dataclass
class EventPage:
    """One page of events, with keyset links (no count: constant cost on any log size)."""

    events: list[AuditEvent]
    project_codes: dict[int, str]
    older: int | None
    newer: int | None


def event_page(
    stmt: sa.Select, *, before: int | None = None, after: int | None = None, size: int | None = None
) -> EventPage:
    """Return the page of ``stmt`` (ordered newest first) below ``before`` or above ``after``.

    At most three statements whatever the log's size: the page (with one
    look-ahead row), an existence check going back, and the project codes.
    """
    size = size or PAGE_SIZE

    if after is not None:
        rows = db.session.scalars(
            stmt.where(AuditEvent.seq > after)
            .order_by(None)
            .order_by(AuditEvent.seq.asc())
            .limit(size + 1)
        ).all()
        has_newer = len(rows) > size
        events = list(reversed(rows[:size]))
        has_older = bool(events) and db.session.scalar(
            sa.select(sa.exists(stmt.where(AuditEvent.seq < events[-1].seq).subquery()))
        )
    else:
        if before is not None:
            stmt = stmt.where(AuditEvent.seq < before)
        rows = db.session.scalars(stmt.limit(size + 1)).all()
        has_older = len(rows) > size
        events = rows[:size]
        has_newer = before is not None
    ids = {e.project_id for e in events if e.project_id is not None}
    codes = (
        dict(
            db.session.execute(sa.select(Project.id, Project.code).where(Project.id.in_(ids))).all()
        )
        if ids
        else {}
    )
    return EventPage(
        events,
        codes,
        older=events[-1].seq if events and has_older else None,
        newer=events[0].seq if events and has_newer else None,
    )


def chain_head() -> AuditChainHead:
    """Return the chain head row: the number of events and the last hash."""
    return db.session.get(AuditChainHead, 1)


def last_verification() -> AuditEvent | None:
    """Return the most recent verification event, or None."""
    return db.session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "audit.verify")
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def entity_types() -> list[str]:
    """Return the audited entity types, for the filter list."""
    from pptracker.database import Audited, Base

    names = {m.class_.__name__ for m in Base.registry.mappers if issubclass(m.class_, Audited)}
    return sorted(names)


@dataclass
class FindingFilters:
    """What the findings list was asked for."""

    status: str = ""
    severity: str = ""
    project: str = ""


def finding_list(filters: FindingFilters, *, project_ids=None) -> sa.Select:
    """Return findings matching ``filters``, open ones first, newest first.

    :param project_ids: restrict to these projects (a manager's own), if given.
    """
    stmt = (
        sa.select(Finding)
        .join(Finding.project)
        .options(selectinload(Finding.project), selectinload(Finding.raised_by))
    )
    if project_ids is not None:
        stmt = stmt.where(Finding.project_id.in_(project_ids))
    if filters.status:
        stmt = stmt.where(Finding.status == filters.status)
    if filters.severity:
        stmt = stmt.where(Finding.severity == filters.severity)
    if filters.project:
        stmt = stmt.where(Project.code == filters.project)
    order = sa.case((Finding.status == FindingStatus.CLOSED, 1), else_=0)
    return stmt.order_by(order, Finding.created_at.desc(), Finding.id.desc())


def get_finding(finding_id: int) -> Finding | None:
    """Return a finding with its people loaded, or None."""
    return db.session.scalar(
        sa.select(Finding)
        .where(Finding.id == finding_id)
        .options(
            selectinload(Finding.project).selectinload(Project.managers),
            selectinload(Finding.raised_by),
            selectinload(Finding.responded_by),
            selectinload(Finding.closed_by),
        )
    )


def finding_counts(project_id: int) -> dict[str, int]:
    """Return ``{status: count}`` of a project's findings."""
    rows = db.session.execute(
        sa.select(Finding.status, sa.func.count())
        .where(Finding.project_id == project_id)
        .group_by(Finding.status)
    ).all()
    counts = {s.value: 0 for s in FindingStatus}
    counts.update({status.value: n for status, n in rows})
    return counts
