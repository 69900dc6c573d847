"""Read events written in batches: the many downloads of the public reports.

A download changes nothing, so its event shares no transaction with a
change. Writing each in a transaction of its own would cost a commit (on
SQLite, the database's one writer lock) per download: most of the cost of
serving a cached report. So each event is stamped with its own time, actor
and address when it happens, then written by ``chain.append``, the one way
events enter the chain, together with the others of the last
``AUDIT_BATCH_SECONDS`` (at most ``AUDIT_BATCH_SIZE`` at a time), and when
the process exits.

What this gives up: if the process is killed outright (not stopped), the
read events of its last moments are lost. Changes to data are never batched:
their events commit with them.
"""

import atexit
import threading

import sqlalchemy as sa
from flask import Flask

from pptracker.audit import chain
from pptracker.extensions import db

#: Events kept while the database cannot be written, before the oldest are dropped.
MAX_BACKLOG = 100_000


class ReadLog:
    """One process's read events waiting to be written."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.size = app.config["AUDIT_BATCH_SIZE"]
        self.seconds = app.config["AUDIT_BATCH_SECONDS"]
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._timer: threading.Timer | None = None
        atexit.register(self.flush)

    def add(self, fields: dict) -> None:
        """Queue one event (``capture.event_fields``); write the batch when it is full."""
        with self._lock:
            self._pending.append(fields)
            full = len(self._pending) >= self.size
            if not full and self._timer is None and self.seconds > 0:
                self._timer = threading.Timer(self.seconds, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if full:
            self.flush()

    def flush(self) -> int:
        """Write every queued event now, in one transaction; return how many."""
        with self._lock:
            batch, self._pending = self._pending, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if not batch:
            return 0
        try:
            # An app context of its own, so a session of its own: never the
            # request's, whatever that holds.
            with self.app.app_context():
                if db.session.get_bind().dialect.name == "postgresql":
                    # These events may already be lost in a crash (above), so
                    # this commit need not wait for the log to reach the disk;
                    # PostgreSQL still never applies half of it.
                    db.session.execute(sa.text("SET LOCAL synchronous_commit = off"))
                chain.append(db.session, batch)
                db.session.commit()
        except Exception:
            self.app.logger.exception("could not write %d read events; keeping them", len(batch))
            with self._lock:
                self._pending[:0] = batch
                del self._pending[:-MAX_BACKLOG]
            return 0
        return len(batch)


def read_log(app: Flask) -> ReadLog:
    """Return ``app``'s read log, made on first use."""
    log = app.extensions.get("audit_read_log")
    if log is None:
        log = app.extensions["audit_read_log"] = ReadLog(app)
    return log
