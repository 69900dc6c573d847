"""The data version a report is built from: the last change in the audit chain."""

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from pptracker.audit.models import AuditChainHead
from pptracker.extensions import db

#: The "data as of" time of a database in which nothing has happened yet.
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DataVersion:
    """The last create, update or delete: its place in the chain, hash and time.

    Reads (downloads, exports, sign-ins) are audited too but do not move it,
    so a report built at this version stays valid until the data change.
    ``verify --head <hash>`` proves the history up to it is intact.
    """

    seq: int
    hash: str
    at: datetime

    @property
    def today(self):
        """The date the report's "overdue" and "due" judgements are made on."""
        return self.at.date()


#: The data version's columns, to select (alone, or beside what a request needs).
COLUMNS = (AuditChainHead.data_seq, AuditChainHead.data_hash, AuditChainHead.data_at)
#: The condition that picks the chain head's one row.
HEAD_ROW = AuditChainHead.id == 1
_CURRENT = sa.select(*COLUMNS).where(HEAD_ROW)


def of(row) -> DataVersion:
    """Return the data version from a row holding ``COLUMNS``."""
    return DataVersion(seq=row.data_seq, hash=row.data_hash, at=row.data_at or BEGINNING)


def current() -> DataVersion:
    """Return the current data version (one primary-key lookup)."""
    return of(db.session.execute(_CURRENT).one())
