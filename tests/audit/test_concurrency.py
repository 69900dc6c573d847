"""Parallel writers append to one chain: no fork, no gap, no lost event.

Each writer thread has its own app context, hence its own session and
connection. The chain head row serialises the appends: PostgreSQL by the
row lock, SQLite by its single-writer lock (and the driver's busy timeout).
"""

import threading

import pytest
import sqlalchemy as sa

from pptracker import create_app
from pptracker.audit import chain
from pptracker.audit.chain import verify
from pptracker.audit.models import GENESIS_HASH, AuditEvent
from pptracker.audit.services import record
from pptracker.extensions import db
from pptracker.projects.models import Party
from pptracker.projects.services import PartyData, create_party

THREADS = 8
ROUNDS = 5
#: Each transaction creates a party and records an explicit event.
EVENTS_PER_TRANSACTION = 2


def _write(
    app, barrier: threading.Barrier, writer: int, errors: list, *, wait_before_commit: bool
) -> None:
    """One writer: ROUNDS transactions, each lined up with the other writers'."""
    try:
        with app.app_context():
            for n in range(ROUNDS):
                if not wait_before_commit:
                    barrier.wait()
                create_party(PartyData(name=f"Writer {writer} round {n}"))
                record(
                    "test.write",
                    summary=f"writer {writer} round {n}",
                    changes={"writer": [None, writer], "round": [None, n]},
                )
                if wait_before_commit:
                    # Every writer has flushed its party and now commits at once:
                    # they all contend for the chain head.
                    barrier.wait()
                db.session.commit()
    except BaseException as error:  # reported by the test, not lost in the thread
        errors.append((writer, error))
        barrier.abort()


def _run_writers(app, *, wait_before_commit: bool) -> None:
    barrier = threading.Barrier(THREADS, timeout=30)
    errors: list = []
    threads = [
        threading.Thread(
            target=_write,
            args=(app, barrier, w, errors),
            kwargs={"wait_before_commit": wait_before_commit},
        )
        for w in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert not errors, errors


def _assert_one_unbroken_chain(app) -> None:
    expected = THREADS * ROUNDS * EVENTS_PER_TRANSACTION
    with app.app_context():
        result = verify(db.session)
        assert result.ok, result.line()
        assert result.events == expected
        events = db.session.execute(
            sa.select(
                AuditEvent.seq,
                AuditEvent.prev_hash,
                AuditEvent.hash,
                AuditEvent.action,
                AuditEvent.summary,
            ).order_by(AuditEvent.seq)
        ).all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == THREADS * ROUNDS
    assert [e.seq for e in events] == list(range(1, expected + 1))
    assert len({e.prev_hash for e in events}) == expected, "two events link to the same one"
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    # A transaction's events are appended together: each party's creation is
    # followed at once by the same writer's explicit event.
    for created, recorded in zip(events[::2], events[1::2], strict=True):
        assert created.action == "create" and recorded.action == "test.write"
        writer_round = created.summary.removeprefix("Created Party Writer ")
        assert recorded.summary == "writer " + writer_round


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "wait_before_commit", [True, False], ids=["commit-together", "start-together"]
)
def test_parallel_writers_on_postgresql(app, wait_before_commit):
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
    _run_writers(app, wait_before_commit=wait_before_commit)
    _assert_one_unbroken_chain(app)


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_a_commit_during_verification_is_no_false_alarm(app, monkeypatch):
    with app.app_context():
        for n in range(5):
            record("test.write", summary=f"before {n}")
            db.session.commit()

    def commit_one_more():
        with app.app_context():
            record("test.write", summary="while verifying")
            db.session.commit()

    walk = chain._raw_rows

    def rows_then_a_commit(session, stmt, batch):
        # The walk has started reading; another writer commits now.
        rows = walk(session, stmt, batch)
        first = next(rows)
        fired.append(first)
        writer = threading.Thread(target=commit_one_more)
        writer.start()
        writer.join(timeout=30)
        yield first
        yield from rows

    fired: list = []
    with app.app_context():
        monkeypatch.setattr(chain, "_raw_rows", rows_then_a_commit)
        result = verify(db.session)
    assert fired, "the walk's query was not seen"
    assert result.ok, result.line()
    assert result.events in (5, 6)


@pytest.fixture
def sqlite_file_app(tmp_path):
    """An app on a SQLite file, so that each thread has its own connection."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'audit.sqlite'}")
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_parallel_writers_on_a_sqlite_file(sqlite_file_app):
    # Transactions start together (a writer holding SQLite's lock while it waits
    # for the others would deadlock by design); the busy timeout queues them.
    _run_writers(sqlite_file_app, wait_before_commit=False)
    _assert_one_unbroken_chain(sqlite_file_app)
