"""Recording every change of every audited model, at flush, in the same transaction.

How it works: ``after_flush`` turns each new, changed and deleted ``Audited``
object into a pending event (the flush has assigned ids, and attribute
history is still available). ``before_commit`` flushes what is left, then
appends the pending events to the chain (``chain.append``); the commit's own
flush writes them with the change. A rollback discards them. So no change
commits without its event, and no event outlives a rolled-back change.

Bulk statements (``session.execute(update(...))``) skip flush events: never
use them on audited tables. The few bulk statements in the code base touch
only the audit chain's own tables.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pptracker.database import Audited, utcnow

PENDING = "audit_pending"
MARKS = "audit_savepoints"

ACTOR = "audit_actor"


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where, for the events of a session."""

    user_id: int | None
    label: str
    client_ip: str | None = None


def set_actor(session, actor: Actor) -> None:
    """Make ``actor`` the author of the events ``session`` records from now on."""
    session.info[ACTOR] = actor


def current_actor(session) -> Actor:
    """Return the session's actor: set by the request or the CLI, else ``system``."""
    actor = session.info.get(ACTOR)
    if actor is not None:
        return actor
    ctx = click.get_current_context(silent=True)
    if ctx is not None:  # a `flask …` command that set no actor of its own
        command = " ".join(ctx.command_path.split()[1:])  # without the program name
        return Actor(None, f"cli:{command}")

    return Actor(None, "system")


def jsonable(value):
    """Return ``value`` as the log stores it: money, dates and enums as strings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def _related(value):
    # Collections of related rows are logged by id, which never changes.
    return getattr(value, "id", value)


def add_pending(
    session,
    *,
    action: str,
    entity_type: str | None,
    entity_id: int | None,
    project_id: int | None,
    summary: str,
    changes: dict | None = None,
    reason: str | None = None,
    actor: Actor | None = None,
) -> None:
    """Queue an event for the current transaction (written at commit)."""
    actor = actor or current_actor(session)
    session.info.setdefault(PENDING, []).append(
        event_fields(
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            project_id=project_id,
            summary=summary,
            changes=changes,
            reason=reason,
        )
    )


def event_fields(
    *,
    actor: Actor,
    action: str,
    entity_type: str | None,
    entity_id: int | None,
    project_id: int | None,
    summary: str,
    changes: dict | None = None,
    reason: str | None = None,
) -> dict:
    """Return an event as ``chain.append`` takes it, stamped with the time now."""
    return {
        "occurred_at": utcnow(),
        "actor_id": actor.user_id,
        "actor": actor.label,
        "client_ip": actor.client_ip,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "project_id": project_id,
        "summary": summary[:500],
        "changes": jsonable(changes or {}),
        "reason": reason,
    }


def project_id_of(obj) -> int | None:
    """Return the project an audited object belongs to, if any."""
    if type(obj).__name__ == "Project":
        return obj.id
    return getattr(obj, "project_id", None)


def describe(obj) -> str:
    """Return a short human label for ``obj`` (code, reference, title or name)."""
    for attribute in ("code", "reference", "title", "name", "email"):
        value = getattr(obj, attribute, None)
        if value:
            return f"{type(obj).__name__} {value}"
    return f"{type(obj).__name__} {obj.id}"


def _diff(obj, *, creating: bool) -> dict:
    state = sa.inspect(obj)
    cls = type(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in cls.__audit_ignore__:
            continue
        history = state.attrs[key].history
        if creating:
            old, new = None, getattr(obj, key)
            if new is None:
                continue
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
        else:
            continue
        if key in cls.__audit_redact__:
            old, new = ("[redacted]" if old is not None else None), "[redacted]"
        changes[key] = [jsonable(old), jsonable(new)]
    for rel in state.mapper.relationships:
        if rel.direction.name != "MANYTOMANY":
            continue
        history = state.attrs[rel.key].history
        if creating and not history.added or not creating and not history.has_changes():
            continue
        before = sorted(_related(v) for v in (*history.unchanged, *history.deleted))
        after = sorted(_related(v) for v in (*history.unchanged, *history.added))
        if before != after:
            changes[rel.key] = [before, after]
    return changes


def _after_flush(session, _context) -> None:
    for obj in session.new:
        if isinstance(obj, Audited):
            add_pending(
                session,
                action="create",
                entity_type=type(obj).__name__,
                entity_id=obj.id,
                project_id=project_id_of(obj),
                summary=f"Created {describe(obj)}",
                changes=_diff(obj, creating=True),
            )
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj):
            changes = _diff(obj, creating=False)
            if not changes:
                continue
            deleting = changes.get("is_deleted") == [False, True]
            add_pending(
                session,
                action="delete" if deleting else "update",
                entity_type=type(obj).__name__,
                entity_id=obj.id,
                project_id=project_id_of(obj),
                summary=f"{'Deleted' if deleting else 'Updated'} {describe(obj)}",
                changes=changes,
            )
    for obj in session.deleted:
        if isinstance(obj, Audited):
            add_pending(
                session,
                action="delete",
                entity_type=type(obj).__name__,
                entity_id=obj.id,
                project_id=project_id_of(obj),
                summary=f"Deleted {describe(obj)}",
            )


def _before_commit(session) -> None:
    session.flush()  # so the events of not-yet-flushed changes are pending too
    pending = session.info.pop(PENDING, None)
    session.info.pop(MARKS, None)
    if pending:
        from pptracker.audit.chain import append

        append(session, pending)


def _mark_savepoint(session, transaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(MARKS, {})
        marks[id(transaction)] = len(session.info.get(PENDING, ()))


def _discard_savepoint(session, previous_transaction) -> None:
    # A savepoint's rollback drops only the events queued since it began.
    if previous_transaction.nested:
        mark = session.info.get(MARKS, {}).pop(id(previous_transaction), None)
        if mark is not None:
            del session.info.get(PENDING, [])[mark:]


def _discard_all(session, transaction) -> None:
    # The outermost transaction ended (committed, rolled back or closed):
    # whatever is still pending belongs to changes that will never commit.
    if transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(MARKS, None)


def _load_old_values(mapper, cls) -> None:
    # After a commit attributes are expired; without this, setting one would
    # record its old value as None. Listening to "set" with active_history
    # makes SQLAlchemy load the old value first (the public way to ask it).
    if not issubclass(cls, Audited):
        return
    for attr in mapper.column_attrs:
        sa.event.listen(getattr(cls, attr.key), "set", _noop, active_history=True)


def _noop(_target, value, _old, _initiator):
    return value


def install() -> None:
    """Register the listeners once, for every session and every audited model."""
    if sa.event.contains(Session, "after_flush", _after_flush):
        return
    sa.event.listen(Session, "after_flush", _after_flush)
    sa.event.listen(Session, "before_commit", _before_commit)
    sa.event.listen(Session, "after_transaction_create", _mark_savepoint)
    sa.event.listen(Session, "after_soft_rollback", _discard_savepoint)
    sa.event.listen(Session, "after_transaction_end", _discard_all)

    sa.event.listen(sa.orm.Mapper, "mapper_configured", _load_old_values)
