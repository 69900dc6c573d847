"""Audit events (append-only, hash-chained), the chain head, and auditors' findings."""

import json
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.database import Audited, Base, TimestampMixin, VersionedMixin, utcnow
from pptracker.enums import enum_column

#: The previous hash of the first event.
GENESIS_HASH = "0" * 64

#: The actions that change data; every other action (sign-in, export,
#: download, verification…) only reads it.
DATA_ACTIONS = frozenset({"create", "update", "delete"})

APPEND_ONLY_MESSAGE = "audit events are append-only"

#: Triggers that make the audit table append-only, per engine. The first
#: migration carries its own copy of this SQL (migrations never import models).
APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$",
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ],
}


class AuditEvent(Base):
    """One thing that happened: a row change or an explicit event.

    Never updated or deleted (the database refuses it). ``hash`` is an
    HMAC-SHA-256 over the canonical JSON of the other fields and
    ``prev_hash``, keyed with a secret kept outside the database.
    Identifiers are plain integers, not foreign keys, so no deletion
    elsewhere can ever cascade into the log.
    """

    __tablename__ = "audit_events"
    __audit_exempt__ = "it is the audit log itself"
    __table_args__ = (
        # The auditor's filters, each newest first.
        sa.Index("ix_audit_events_project_seq", "project_id", "seq"),
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id", "seq"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    #: Position in the chain: 1, 2, 3 … with no gaps.
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    #: The user who acted, or None for the system and the command line.
    actor_id: Mapped[int | None]
    #: The user's email at the time, or ``system`` / ``cli:<command>``.
    actor: Mapped[str] = mapped_column(sa.String(254), index=True)
    client_ip: Mapped[str | None] = mapped_column(sa.String(45))
    #: ``create``, ``update``, ``delete`` or an explicit verb (``sign_in``…).
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    entity_type: Mapped[str | None] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    project_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(500))
    #: ``{field: [old, new]}`` with money, dates and enums as strings, kept as
    #: canonical JSON text (sorted keys, compact): exactly the bytes that are
    #: hashed, so verifying needs no parsing and no re-encoding.
    changes_json: Mapped[str] = mapped_column("changes", sa.Text, default="{}")

    reason: Mapped[str | None] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditEvent seq={self.seq} {self.action} {self.entity_type}:{self.entity_id}>"

    @property
    def changes(self) -> dict:
        """The field-level changes, ``{field: [old, new]}``."""
        return json.loads(self.changes_json or "{}")


for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        sa.event.listen(
            AuditEvent.__table__, "after_create", sa.DDL(_statement).execute_if(dialect=_dialect)
        )


class AuditChainHead(Base):
    """The last event's position and hash: one row, updated as each event is added.

    Updating it first thing when events are written takes the row's write
    lock (PostgreSQL) or the database's writer lock (SQLite), so two
    transactions can never link to the same previous event. The verifier
    does not trust it; it only uses it to notice events removed at the end.
    """

    __tablename__ = "audit_chain_head"
    __audit_exempt__ = "chain bookkeeping: it mirrors the last audit event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)
    #: The last event that changed data (a create, update or delete), not a
    #: read such as an export or a report download: the data version that
    #: reports are built from and cached by, read in one indexed lookup.
    data_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    data_hash: Mapped[str] = mapped_column(
        sa.String(64), default=GENESIS_HASH, server_default=GENESIS_HASH
    )
    data_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<AuditChainHead seq={self.seq}>"


sa.event.listen(
    AuditChainHead.__table__,
    "after_create",
    # A constant, not user input.
    sa.DDL(f"INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')"),  # noqa: S608
)


class Severity(StrEnum):
    """How serious a finding is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FindingStatus(StrEnum):
    """Where a finding stands: raised, answered by the managers, closed by an auditor."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Finding(Audited, TimestampMixin, VersionedMixin, Base):
    """An auditor's observation on a record of a project."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    #: The record the finding is about (``Project`` and its id by default).
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, 16))
    status: Mapped[FindingStatus] = mapped_column(
        enum_column(FindingStatus, 16), default=FindingStatus.OPEN, index=True
    )
    raised_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    response: Mapped[str | None] = mapped_column(sa.Text)
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    responded_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closing_note: Mapped[str | None] = mapped_column(sa.Text)

    project: Mapped["Project"] = relationship()  # noqa: F821
    raised_by: Mapped["User"] = relationship(foreign_keys=[raised_by_id])  # noqa: F821
    responded_by: Mapped["User | None"] = relationship(foreign_keys=[responded_by_id])  # noqa: F821
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id])  # noqa: F821

    def __repr__(self) -> str:
        return f"<Finding id={self.id} {self.status} {self.title!r}>"


__all__ = ["AuditChainHead", "AuditEvent", "Finding", "FindingStatus", "Severity", "utcnow"]
