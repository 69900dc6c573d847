"""Read events written in batches: each one kept, in order, in a chain that verifies."""

import sqlalchemy as sa

from pptracker.audit import batched, capture, chain
from pptracker.audit.models import AuditEvent
from pptracker.audit.services import run_verification
from pptracker.extensions import db


def _read(n: int) -> dict:
    return capture.event_fields(
        actor=capture.Actor(None, "anonymous", "192.0.2.7"),
        action="report.download",
        entity_type="Report",
        entity_id=None,
        project_id=None,
        summary=f"Downloaded {n}",
    )


def _summaries(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent.summary).order_by(AuditEvent.seq)).all()


def test_events_wait_for_a_full_batch_then_are_written_in_order(app):
    app.config.update(AUDIT_BATCH_SIZE=3, AUDIT_BATCH_SECONDS=0)
    log = batched.ReadLog(app)

    log.add(_read(1))
    log.add(_read(2))
    assert _summaries(app) == []

    log.add(_read(3))
    log.add(_read(4))

    assert _summaries(app) == ["Downloaded 1", "Downloaded 2", "Downloaded 3"]
    assert log.flush() == 1
    assert log.flush() == 0
    assert _summaries(app)[-1] == "Downloaded 4"
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.seq == 1))
        assert (event.actor, event.client_ip, event.action) == (
            "anonymous",
            "192.0.2.7",
            "report.download",
        )
        assert run_verification().ok


def test_a_timer_writes_what_is_waiting(app):
    app.config.update(AUDIT_BATCH_SIZE=100, AUDIT_BATCH_SECONDS=0.05)
    log = batched.ReadLog(app)

    log.add(_read(1))
    timer = log._timer
    timer.join(5)

    assert _summaries(app) == ["Downloaded 1"]
    assert log._timer is None


def test_events_are_kept_when_the_database_cannot_be_written(app, monkeypatch):
    app.config.update(AUDIT_BATCH_SIZE=2, AUDIT_BATCH_SECONDS=0)
    log = batched.ReadLog(app)
    real_append = chain.append

    def broken(session, pending):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(chain, "append", broken)
    log.add(_read(1))
    log.add(_read(2))
    assert _summaries(app) == []

    monkeypatch.setattr(chain, "append", real_append)
    assert log.flush() == 2
    assert _summaries(app) == ["Downloaded 1", "Downloaded 2"]


def test_reads_do_not_move_the_data_version(app, make_project):
    from pptracker.reports.version import current

    make_project("harbour-bridge")
    with app.app_context():
        before = current()
    log = batched.ReadLog(app)
    log.add(_read(1))
    log.flush()
    with app.app_context():
        assert current() == before
