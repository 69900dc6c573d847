"""The data version: moved by changes to data, never by reads."""

from pptracker.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from pptracker.audit.services import record
from pptracker.extensions import db
from pptracker.reports.version import BEGINNING, current


def test_an_empty_database_has_the_beginning_version(app):
    with app.app_context():
        version = current()
    assert (version.seq, version.hash, version.at) == (0, GENESIS_HASH, BEGINNING)


def test_changes_move_the_version_and_reads_do_not(app, make_project):
    make_project("harbour-bridge")
    with app.app_context():
        after_change = current()
        head = db.session.get(AuditChainHead, 1)
        last = db.session.scalar(db.select(AuditEvent).where(AuditEvent.seq == head.seq))
        assert last.action in {"create", "update", "delete"}
        assert (after_change.seq, after_change.hash) == (last.seq, last.hash)
        assert after_change.at == last.occurred_at

        record("report.download", entity_type="Report", summary="Downloaded")
        record("audit.export", entity_type="Report", summary="Exported")
        db.session.commit()

        assert current() == after_change
        assert db.session.get(AuditChainHead, 1).seq == after_change.seq + 2
