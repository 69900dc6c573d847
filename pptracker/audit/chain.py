"""The keyed hash chain: canonical form, the key, appending and verifying."""

import hashlib
import hmac
import json
import os
import secrets
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from pptracker.audit.models import DATA_ACTIONS, GENESIS_HASH, AuditChainHead, AuditEvent

#: The fields that are hashed, in canonical (sorted) order.
HASHED_FIELDS = (
    "action",
    "actor",
    "actor_id",
    "changes",
    "client_ip",
    "entity_id",
    "entity_type",
    "occurred_at",
    "project_id",
    "reason",
    "seq",
    "summary",
)

_KEY_CACHE = "pptracker_audit_key"


def audit_key() -> bytes:
    """Return the HMAC key: ``AUDIT_KEY`` from the config, or ``instance/audit_key``.

    The key never enters the database, a page or an export: someone who can
    write to the database but does not hold it cannot forge a chain.
    """
    cached = current_app.extensions.get(_KEY_CACHE)
    if cached is not None:
        return cached
    configured = current_app.config.get("AUDIT_KEY")
    if configured:
        key = configured.encode()
    else:
        path = Path(current_app.instance_path) / "audit_key"
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process created it a moment ago
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
        key = path.read_text().strip().encode()
    current_app.extensions[_KEY_CACHE] = key
    return key


def canonical_json(value) -> str:
    """Return ``value`` as canonical JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_time(moment: datetime) -> str:
    """Return a UTC timestamp as the chain writes it: ``2026-11-28T10:15:00.000000+00:00``."""
    return moment.isoformat(timespec="microseconds")


def _text(value) -> str:
    return "null" if value is None else encode_basestring(value)


def _number(value) -> str:
    return "null" if value is None else str(int(value))


def _canonical_parts(
    action,
    actor,
    actor_id,
    changes,
    client_ip,
    entity_id,
    entity_type,
    occurred_at,
    project_id,
    reason,
    seq,
    summary,
) -> bytes:
    # The same bytes as canonical_json() of the event as a dict, built
    # directly: verifying a million events spends its time here.
    return (
        f'{{"action":{_text(action)},"actor":{_text(actor)},"actor_id":{_number(actor_id)},'
        f'"changes":{changes},"client_ip":{_text(client_ip)},'
        f'"entity_id":{_number(entity_id)},"entity_type":{_text(entity_type)},'
        f'"occurred_at":{_text(occurred_at)},"project_id":{_number(project_id)},'
        f'"reason":{_text(reason)},"seq":{_number(seq)},"summary":{_text(summary)}}}'
    ).encode()


def canonical(fields: dict) -> bytes:
    """Return the canonical JSON of an event's hashed fields, as bytes.

    :param fields: the event's fields; ``occurred_at`` may be a datetime and
        ``changes`` a dict, or both already in their canonical text form.
    """
    values = dict(fields)
    if isinstance(values["occurred_at"], datetime):
        values["occurred_at"] = canonical_time(values["occurred_at"])
    if not isinstance(values["changes"], str):
        values["changes"] = canonical_json(values["changes"])
    return _canonical_parts(*(values[name] for name in HASHED_FIELDS))


def event_hash(key: bytes, fields: dict, prev_hash: str) -> str:
    """Return ``HMAC-SHA-256(key, canonical JSON + previous hash)`` as hex."""
    return hmac.new(key, canonical(fields) + prev_hash.encode(), hashlib.sha256).hexdigest()


_HEAD = AuditChainHead.__table__
# Built once: every audited transaction runs these, and building a statement
# costs more than running it on SQLite.
_TAKE_HEAD = (
    sa.update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_INSERT_EVENTS = sa.insert(AuditEvent.__table__)
_MOVE_HEAD = sa.update(_HEAD).where(_HEAD.c.id == 1)
_MOVE_HEAD_AND_DATA = _MOVE_HEAD.values(
    seq=sa.bindparam("new_seq"),
    hash=sa.bindparam("new_hash"),
    data_seq=sa.bindparam("new_seq"),
    data_hash=sa.bindparam("new_hash"),
    data_at=sa.bindparam("new_at", type_=AuditChainHead.__table__.c.data_at.type),
)
_MOVE_HEAD_ONLY = _MOVE_HEAD.values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))


def append(session, pending: list[dict]) -> None:
    """Give pending events their place in the chain and write them in ``session``.

    Called once per transaction, just before it commits. Its first statement
    updates the chain-head row, which takes that row's lock (PostgreSQL) or
    the database's writer lock (SQLite) until the commit, so concurrent
    transactions append one after the other and never fork the chain.
    The head also keeps the data version: the last create, update or delete.
    """
    # Core statements on the session's connection: the ORM's execution layer
    # has nothing to add here, and costs as much as the statements.
    connection = session.connection()
    seq, prev = connection.execute(_TAKE_HEAD).one()
    key = audit_key()
    data_at = None
    rows = []
    for fields in pending:
        seq += 1
        changes = canonical_json(fields["changes"])
        digest = event_hash(key, {**fields, "seq": seq, "changes": changes}, prev)
        rows.append({**fields, "seq": seq, "changes": changes, "prev_hash": prev, "hash": digest})
        if fields["action"] in DATA_ACTIONS:
            data_at = fields["occurred_at"]
            data_version = (seq, digest)
        prev = digest
    # One Core insert (executemany), not ORM objects: this runs inside the
    # commit, where new objects would cost a second flush, and nothing reads
    # the events back from this session.
    connection.execute(_INSERT_EVENTS, rows)
    if data_at is None:
        connection.execute(_MOVE_HEAD_ONLY, {"new_seq": seq, "new_hash": prev})
    elif data_version == (seq, prev):
        connection.execute(
            _MOVE_HEAD_AND_DATA, {"new_seq": seq, "new_hash": prev, "new_at": data_at}
        )
    else:  # reads were recorded after the last change of this transaction
        connection.execute(
            _MOVE_HEAD.values(
                seq=seq,
                hash=prev,
                data_seq=data_version[0],
                data_hash=data_version[1],
                data_at=data_at,
            )
        )


@dataclass
class Verification:
    """What ``verify`` found."""

    ok: bool
    events: int
    head: str
    broken_at: int | None = None
    reason: str = ""

    def line(self) -> str:
        """Return the one-line verdict: ``OK <events> <head>`` or ``BROKEN at <seq>: …``."""
        if self.ok:
            return f"OK {self.events} {self.head}"
        return f"BROKEN at {self.broken_at}: {self.reason}"


def _occurred_at_text(dialect: str):
    # The timestamp as canonical text, made by the database: parsing a
    # million datetimes in Python would cost more than all the hashing.
    column = AuditEvent.__table__.c.occurred_at
    if dialect == "postgresql":
        return sa.func.to_char(
            sa.func.timezone("UTC", column),
            sa.literal_column('\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\''),
        )
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (see database.UTCDateTime).
    return sa.func.replace(sa.type_coerce(column, sa.String), " ", "T", type_=sa.String) + "+00:00"


def verify(session, *, head: str | None = None, batch: int = 20_000) -> Verification:
    """Walk the whole chain and name the first event that was changed, removed or moved.

    :param head: a head hash published earlier (in a report, say); it must
        still be in the chain, or history behind it was cut or rewritten.
    :return: the verdict, with the number of events and the head hash.
    """
    table = AuditEvent.__table__
    # Read the head row first: events committed while the walk runs then
    # only lengthen the chain and cannot look like removals.
    recorded = session.execute(sa.select(AuditChainHead.seq)).scalar()
    mac = hmac.new(audit_key(), digestmod=hashlib.sha256)
    columns = [
        table.c.action,
        table.c.actor,
        table.c.actor_id,
        table.c.changes,
        table.c.client_ip,
        table.c.entity_id,
        table.c.entity_type,
        _occurred_at_text(session.get_bind().dialect.name).label("occurred_at"),
        table.c.project_id,
        table.c.reason,
        table.c.seq,
        table.c.summary,
        table.c.prev_hash,
        table.c.hash,
    ]
    rows = _raw_rows(session, sa.select(*columns).order_by(table.c.seq), batch)
    with closing(rows):  # an early verdict closes the cursor too
        expected_seq, prev, head_seen = 1, GENESIS_HASH, head is None
        for row in rows:
            seq, prev_hash, stored = row[10], row[12], row[13]
            if seq != expected_seq:
                missing = (
                    f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq} to {seq - 1}"
                )
                return _broken(
                    expected_seq,
                    f"removed: event {missing} is missing "
                    f"(the sequence jumps from {expected_seq - 1} to {seq})",
                )
            if prev_hash != prev:
                moved_from = session.scalar(sa.select(table.c.seq).where(table.c.hash == prev_hash))
                if moved_from is not None:
                    return _broken(
                        seq,
                        f"reordered: this event follows event {moved_from} "
                        f"in the chain, not event {seq - 1}",
                    )
                return _broken(
                    seq,
                    "changed: its link to the previous event does not match "
                    "(the previous event was removed or altered)",
                )
            check = mac.copy()
            check.update(_canonical_parts(*row[:12]))
            check.update(prev.encode())
            if check.hexdigest() != stored:
                return _broken(seq, "changed: its content no longer matches its hash")
            if not head_seen and stored == head:
                head_seen = True
            prev = stored
            expected_seq += 1
    count = expected_seq - 1
    if recorded is not None and recorded > count:
        return _broken(
            count + 1,
            f"removed: the chain ends at event {count} but event {recorded} had been written",
        )
    if not head_seen:
        return _broken(
            count + 1,
            f"the published head {head} is not in the chain: events "
            "were removed from the end or the history was rewritten",
        )
    return Verification(True, count, prev)


def _raw_rows(session, stmt: sa.Select, batch: int):
    """Yield the rows of ``stmt`` as plain tuples from the driver, in constant memory.

    A million events through SQLAlchemy's row objects cost more than all the
    hashing; every column here is text or an integer, so nothing needs
    converting. PostgreSQL streams through a named (server-side) cursor.
    """
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    connection = session.connection().connection.dbapi_connection
    if dialect.name == "postgresql":
        cursor = connection.cursor(name="audit_verify")
        cursor.itersize = batch
    else:
        cursor = connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _broken(seq: int, reason: str) -> Verification:
    return Verification(False, 0, "", seq, reason)
