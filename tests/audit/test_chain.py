"""The audit chain: what it records, and that tampering with it is caught.

The tamper tests act as an attacker with write access to the database but
without the audit key: they switch the append-only triggers off, edit the
stored rows with plain SQL, switch the triggers back on, and expect
``verify`` (and ``flask audit verify``) to name the first damaged event.
"""

import hashlib
import json
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.chain import HASHED_FIELDS, canonical, verify
from pptracker.audit.models import APPEND_ONLY_DDL, GENESIS_HASH, AuditChainHead, AuditEvent
from pptracker.audit.services import record
from pptracker.auth.models import Role, User
from pptracker.database import Audited, Base
from pptracker.extensions import db
from pptracker.projects.models import Party, Project
from pptracker.projects.services import PartyData, create_party

CHAIN_LENGTH = 12
SQLITE_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete")
#: What the engines raise when a trigger refuses a statement (IntegrityError
#: on SQLite, InternalError on PostgreSQL: both are DatabaseErrors).
REFUSED = sa.exc.DatabaseError


# -- helpers -----------------------------------------------------------------


def _build_chain(app, length: int = CHAIN_LENGTH) -> list[str]:
    """Commit ``length`` explicit events, one per transaction; return their hashes."""
    with app.app_context():
        for n in range(1, length + 1):
            record(
                "test.event",
                summary=f"event {n}",
                entity_type="Project",
                entity_id=n,
                project_id=n,
                changes={"n": [n - 1, n]},
            )
            db.session.commit()
        return list(db.session.scalars(sa.select(AuditEvent.hash).order_by(AuditEvent.seq)))


def _verify(app, head: str | None = None):
    with app.app_context():
        return verify(db.session, head=head)


def _count(app, model=AuditEvent) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _events(app, **filters) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).filter_by(**filters).order_by(AuditEvent.seq)
        return list(db.session.scalars(query))


def _rows(app) -> list[tuple]:
    """Every stored audit row, as plain values (to show nothing changed)."""
    table = AuditEvent.__table__
    with app.app_context():
        return [tuple(r) for r in db.session.execute(sa.select(table).order_by(table.c.seq))]


def _cli(runner, *args: str) -> tuple[int, str]:
    """Run ``flask audit verify``; return its exit code and last output line."""
    result = runner.invoke(args=["audit", "verify", *args])
    lines = result.output.strip().splitlines()
    return result.exit_code, lines[-1] if lines else ""


@contextmanager
def tampering(app):
    """Yield a session with the append-only triggers off; commit, then restore them.

    SQLite cannot disable a trigger, so they are dropped and recreated from
    ``APPEND_ONLY_DDL``. On PostgreSQL the schema is shared by every test of
    a worker, so the triggers are re-enabled whatever happens.
    """
    with app.app_context():
        session = db.session
        sqlite = db.engine.dialect.name == "sqlite"
        try:
            if sqlite:
                for name in SQLITE_TRIGGERS:
                    session.execute(sa.text(f"DROP TRIGGER {name}"))
            else:
                session.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            if sqlite:
                for name in SQLITE_TRIGGERS:
                    session.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
                for statement in APPEND_ONLY_DDL["sqlite"]:
                    session.execute(sa.text(statement))
            else:
                session.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
            session.commit()


def _assert_broken(app, runner, seq: int, *categories: str, head: str | None = None):
    """``verify`` and the command both name ``seq``, for one of the reason categories."""
    result = _verify(app, head)
    assert not result.ok, result
    assert result.broken_at == seq, result.line()
    assert result.reason.startswith(tuple(f"{c}:" for c in categories)), result.reason
    assert result.line().startswith(f"BROKEN at {seq}: ")
    code, last = _cli(runner, *(["--head", head] if head else []))
    assert code == 1, last
    assert last.startswith(f"BROKEN at {seq}:"), last
    return result


# -- an untouched chain --------------------------------------------------------


def test_untouched_chain_verifies(app, runner):
    hashes = _build_chain(app)
    result = _verify(app)
    assert result.ok, result.line()
    assert (result.events, result.head) == (CHAIN_LENGTH, hashes[-1])
    assert result.line() == f"OK {CHAIN_LENGTH} {hashes[-1]}"
    events = _events(app)
    assert [e.seq for e in events] == list(range(1, CHAIN_LENGTH + 1))
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    with app.app_context():
        head = db.session.get(AuditChainHead, 1)
        assert (head.seq, head.hash) == (CHAIN_LENGTH, hashes[-1])

    assert _cli(runner) == (0, f"OK {CHAIN_LENGTH} {hashes[-1]}")
    # The verification is an event of its own, appended after the verdict.
    last = _events(app)[-1]
    assert (last.seq, last.action) == (CHAIN_LENGTH + 1, "audit.verify")
    assert last.actor.startswith("cli:") and last.actor.endswith("audit verify")
    assert last.changes["ok"] is True and last.changes["head"] == hashes[-1]

    # A head published earlier is still in the chain.
    code, line = _cli(runner, "--head", hashes[-1])
    assert code == 0 and line.startswith(f"OK {CHAIN_LENGTH + 1} "), line
    assert _verify(app, head=hashes[4]).ok


def test_empty_chain_verifies(app, runner):
    assert _verify(app).line() == f"OK 0 {GENESIS_HASH}"
    assert _cli(runner) == (0, f"OK 0 {GENESIS_HASH}")


@pytest.mark.parametrize("head", ["abc", "G" * 64, "A" * 64, "0" * 63])
def test_malformed_head_is_a_usage_error(app, runner, head):
    _build_chain(app, 2)
    result = runner.invoke(args=["audit", "verify", "--head", head])
    assert result.exit_code == 2, result.output
    assert "64 lower-case hexadecimal characters" in result.output
    assert _count(app) == 2  # refused before verifying: no verification event


def test_unknown_head_is_broken(app, runner):
    _build_chain(app, 3)
    result = _verify(app, head="f" * 64)
    assert not result.ok and result.broken_at == 4
    assert "the published head " + "f" * 64 + " is not in the chain" in result.reason
    code, line = _cli(runner, "--head", "f" * 64)
    assert code == 1 and line.startswith("BROKEN at 4:")


# -- tampering -----------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET summary = 'nothing to see here' WHERE seq = :seq",
        "UPDATE audit_events SET changes = '{\"n\": [0, 1000]}' WHERE seq = :seq",
        "UPDATE audit_events SET actor = 'someone-else@example.org' WHERE seq = :seq",
        "UPDATE audit_events SET occurred_at = (SELECT occurred_at FROM audit_events "
        "WHERE seq = 1) WHERE seq = :seq",
    ],
    ids=["summary", "changes", "actor", "occurred_at"],
)
def test_changed_field_is_caught_at_its_event(app, runner, statement):
    _build_chain(app)
    with tampering(app) as session:
        assert session.execute(sa.text(statement), {"seq": 6}).rowcount == 1
    result = _assert_broken(app, runner, 6, "changed")
    assert "content no longer matches its hash" in result.reason


def test_changed_hash_is_caught_at_its_event(app, runner):
    """A stored hash replaced: it no longer matches its own event."""
    _build_chain(app)
    with tampering(app) as session:
        session.execute(
            sa.text("UPDATE audit_events SET hash = :h WHERE seq = 6"),
            {"h": hashlib.sha256(b"forged").hexdigest()},
        )
    _assert_broken(app, runner, 6, "changed")


@pytest.mark.parametrize("seq", [1, 6, CHAIN_LENGTH - 1])
def test_deleted_event_is_caught_where_it_was(app, runner, seq):
    _build_chain(app)
    with tampering(app) as session:
        assert (
            session.execute(
                sa.text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": seq}
            ).rowcount
            == 1
        )
    result = _assert_broken(app, runner, seq, "removed")
    assert f"event {seq} is missing" in result.reason


def test_deleted_run_of_events_is_caught_at_its_start(app, runner):
    _build_chain(app)
    with tampering(app) as session:
        session.execute(sa.text("DELETE FROM audit_events WHERE seq BETWEEN 4 AND 7"))
    result = _assert_broken(app, runner, 4, "removed")
    assert "event 4 to 7 is missing" in result.reason


def _swap(session, a: int, b: int) -> None:
    # Through a temporary position, so the unique seq is never duplicated.
    for old, new in ((a, -1), (b, a), (-1, b)):
        session.execute(
            sa.text("UPDATE audit_events SET seq = :new WHERE seq = :old"), {"old": old, "new": new}
        )


@pytest.mark.parametrize(("first", "second"), [(5, 6), (3, 9), (1, CHAIN_LENGTH)])
def test_swapped_events_are_caught_at_the_lower_position(app, runner, first, second):
    _build_chain(app)
    with tampering(app) as session:
        _swap(session, first, second)
    _assert_broken(app, runner, first, "reordered", "changed")


def test_truncated_tail_is_caught_by_the_head_row(app, runner):
    """Events cut from the end, the head row left alone: the head row gives it away."""
    _build_chain(app)
    with tampering(app) as session:
        session.execute(sa.text("DELETE FROM audit_events WHERE seq > 9"))
    result = _assert_broken(app, runner, 10, "removed")
    assert f"event {CHAIN_LENGTH} had been written" in result.reason


def test_truncated_tail_with_rewritten_head_is_caught_by_a_published_head(app, runner):
    """Events cut from the end and the head row moved back: only a published head tells."""
    hashes = _build_chain(app)
    published = _verify(app).head
    assert published == hashes[-1]
    with tampering(app) as session:
        session.execute(sa.text("DELETE FROM audit_events WHERE seq > 9"))
        session.execute(
            sa.text("UPDATE audit_chain_head SET seq = 9, hash = :h WHERE id = 1"), {"h": hashes[8]}
        )
    # Without the published head the shorter chain is consistent ...
    assert _verify(app).line() == f"OK 9 {hashes[8]}"
    # ... with it, the cut is found.
    result = _verify(app, head=published)
    assert not result.ok and result.broken_at == 10
    assert f"the published head {published} is not in the chain" in result.reason
    code, line = _cli(runner, "--head", published)
    assert code == 1 and line.startswith("BROKEN at 10:"), line
    # An older published head, still in the chain, is fine.
    assert _verify(app, head=hashes[8]).ok


def _rehash_without_key(session) -> None:
    """Recompute every link with plain SHA-256, as someone without the key would."""
    table = AuditEvent.__table__
    columns = [table.c[name] for name in HASHED_FIELDS]
    prev = GENESIS_HASH
    rows = session.execute(sa.select(table.c.id, *columns).order_by(table.c.seq)).all()
    for row in rows:
        digest = hashlib.sha256(canonical(dict(row._mapping)) + prev.encode()).hexdigest()
        session.execute(
            sa.update(table).where(table.c.id == row.id).values(prev_hash=prev, hash=digest)
        )
        prev = digest
    session.execute(sa.text("UPDATE audit_chain_head SET hash = :h WHERE id = 1"), {"h": prev})


def test_chain_rebuilt_without_the_key_is_caught_at_the_first_event(app, runner):
    _build_chain(app)
    with tampering(app) as session:
        session.execute(sa.text("UPDATE audit_events SET summary = 'rewritten' WHERE seq = 6"))
        _rehash_without_key(session)
    # The forged chain is internally consistent: every link matches ...
    events = _events(app)
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    # ... but without the key no hash is right, starting with the first.
    result = _assert_broken(app, runner, 1, "changed")
    assert "content no longer matches its hash" in result.reason


def test_triggers_are_back_after_tampering(app):
    _build_chain(app, 2)
    with tampering(app) as session:
        session.execute(sa.text("UPDATE audit_events SET summary = 'x' WHERE seq = 1"))
    with app.app_context(), pytest.raises(REFUSED, match="append-only"):
        db.session.execute(sa.text("DELETE FROM audit_events"))
    assert _count(app) == 2


# -- append-only ---------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET summary = 'edited'",
        "UPDATE audit_events SET summary = 'edited' WHERE seq = 2",
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE seq = 3",
    ],
)
def test_raw_update_and_delete_are_refused(app, statement):
    _build_chain(app, 3)
    before = _rows(app)
    with app.app_context():
        with pytest.raises(REFUSED, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert _rows(app) == before
    assert _verify(app).ok


def test_orm_update_is_refused(app):
    _build_chain(app, 3)
    before = _rows(app)
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.seq == 2))
        event.summary = "edited"
        with pytest.raises(REFUSED, match="append-only"):
            db.session.commit()
        db.session.rollback()
    assert _rows(app) == before


def test_orm_delete_is_refused(app):
    _build_chain(app, 3)
    before = _rows(app)
    with app.app_context():
        db.session.delete(db.session.scalar(sa.select(AuditEvent).where(AuditEvent.seq == 3)))
        with pytest.raises(REFUSED, match="append-only"):
            db.session.commit()
        db.session.rollback()
    assert _rows(app) == before


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
def test_truncate_is_refused_on_postgresql(app):
    _build_chain(app, 3)

    before = _rows(app)
    with app.app_context():
        with pytest.raises(REFUSED, match="append-only"):
            db.session.execute(sa.text("TRUNCATE audit_events"))
        db.session.rollback()
    assert _rows(app) == before


# -- what is recorded, and when ---------------------------------------------------


def test_rolled_back_change_leaves_no_event(app):
    _build_chain(app, 2)
    with app.app_context():
        create_party(PartyData(name="Never Was"))  # flushed: its event is pending
        record("test.event", summary="never happened")
        db.session.rollback()
        db.session.commit()  # nothing left to write
    assert _count(app) == 2
    assert _count(app, Party) == 0
    with app.app_context():
        create_party(PartyData(name="Was"))
        db.session.commit()
    assert [e.summary for e in _events(app)][2:] == ["Created Party Was"]
    assert _verify(app).ok


def test_savepoint_rollback_drops_only_the_savepoints_events(app):
    with app.app_context():
        create_party(PartyData(name="Outer"))
        savepoint = db.session.begin_nested()
        create_party(PartyData(name="Inner"))
        savepoint.rollback()  # this step failed
        db.session.commit()
        assert db.session.scalars(sa.select(Party.name)).all() == ["Outer"]
    assert [e.summary for e in _events(app)] == ["Created Party Outer"]


def test_failed_flush_in_a_savepoint_keeps_the_outer_changes_event(app):
    with app.app_context():
        create_party(PartyData(name="Outer"))
        savepoint = db.session.begin_nested()
        db.session.add(Party(name=None))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()  # NOT NULL
        savepoint.rollback()
        db.session.commit()
        assert db.session.scalars(sa.select(Party.name)).all() == ["Outer"]
    assert [e.summary for e in _events(app)] == ["Created Party Outer"]


def test_closed_session_leaves_no_phantom_event(app):
    with app.app_context():
        create_party(PartyData(name="Never committed"))
        db.session.close()
        record("test.event", summary="the next transaction")
        db.session.commit()
    assert _count(app, Party) == 0
    assert [e.summary for e in _events(app)] == ["the next transaction"]


def test_committed_change_has_its_event_in_the_same_commit(app):
    before = _count(app)
    with app.app_context():
        party = create_party(PartyData(name="Harbour Authority", roles=["publicAuthority"]))
        assert _count_in(db.session) == before  # not yet: events are written at commit
        db.session.commit()
        party_id = party.id
    assert _count(app) == before + 1
    (event,) = _events(app, entity_type="Party", entity_id=party_id)
    assert (event.action, event.actor, event.summary) == (
        "create",
        "system",
        "Created Party Harbour Authority",
    )
    assert event.changes["name"] == [None, "Harbour Authority"]
    assert event.changes["roles"] == [None, ["publicAuthority"]]
    assert "id" not in event.changes and "version" not in event.changes


def _count_in(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


@contextmanager
def _audit_inserts_fail(app):
    """Make the database refuse new audit events for a while."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            create = [
                "CREATE TRIGGER audit_events_no_insert BEFORE INSERT ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'no audit insert'); END"
            ]
            drop = ["DROP TRIGGER audit_events_no_insert"]
        else:
            create = [
                "CREATE FUNCTION audit_events_refuse_insert() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no audit insert'; END $$",
                "CREATE TRIGGER audit_events_no_insert BEFORE INSERT ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_insert()",
            ]
            drop = [
                "DROP TRIGGER audit_events_no_insert ON audit_events",
                "DROP FUNCTION audit_events_refuse_insert()",
            ]
        for statement in create:
            db.session.execute(sa.text(statement))
        db.session.commit()
        try:
            yield
        finally:
            db.session.rollback()
            for statement in drop:
                db.session.execute(sa.text(statement))
            db.session.commit()


def test_change_whose_event_cannot_be_written_does_not_commit(app):
    """The event is written in the change's own transaction: both or neither."""
    with _audit_inserts_fail(app), app.app_context():
        create_party(PartyData(name="Unrecorded"))
        with pytest.raises(REFUSED, match="no audit insert"):
            db.session.commit()
        db.session.rollback()
    assert _count(app, Party) == 0
    assert _count(app) == 0
    with app.app_context():
        assert db.session.get(AuditChainHead, 1).seq == 0


def _project_form(project, **overrides) -> dict:
    data = {
        "code": project.code,
        "title": project.title,
        "sector": project.sector,
        "type": project.type,
        "status": project.status,
        "ppp_model": project.ppp_model,
        "public_authority_id": str(project.public_authority_id),
        "currency": project.currency,
        "budget_amount": str(project.budget_amount),
        "version": str(project.version),
    }
    data.update(overrides)
    return data


def test_web_edit_records_actor_ip_entity_and_field_changes(app, client, auth, make_project):
    manager = auth.login_as(Role.MANAGER)
    project = make_project("harbour-bridge", managers=[manager])
    assert project.budget_amount == Decimal("1000000.00")
    response = client.post(
        "/manage/projects/harbour-bridge/edit",
        data=_project_form(
            project,
            budget_amount="2000000.00",
            planned_start="2027-01-01",
            planned_end="2055-12-31",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # (make_project's own manager assignment was an update too, by ``system``.)
    (event,) = _events(
        app, entity_type="Project", entity_id=project.id, action="update", actor_id=manager.id
    )
    assert (event.actor_id, event.actor, event.client_ip) == (
        manager.id,
        manager.email,
        "127.0.0.1",
    )
    assert event.project_id == project.id
    assert event.summary == "Updated Project harbour-bridge"
    assert event.changes == {
        "budget_amount": ["1000000.00", "2000000.00"],
        "planned_start": [None, "2027-01-01"],
        "planned_end": [None, "2055-12-31"],
    }
    assert _verify(app).ok


def test_web_create_records_the_signed_in_user(app, client, auth, make_party):
    admin = auth.login_as(Role.ADMIN)
    authority = make_party("Harbour Authority")
    data = {
        "code": "harbour-bridge",
        "title": "Harbour Bridge",
        "sector": "transport.road",
        "type": "construction",
        "status": "preparation",
        "ppp_model": "DBFOM",
        "public_authority_id": str(authority.id),
        "currency": "EUR",
        "budget_amount": "1250000.50",
        "planned_start": "2027-01-01",
    }
    response = client.post("/manage/projects/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    (event,) = _events(app, entity_type="Project", action="create")
    assert (event.actor_id, event.actor, event.client_ip) == (admin.id, admin.email, "127.0.0.1")
    assert event.project_id == event.entity_id
    assert event.changes["budget_amount"] == [None, "1250000.50"]
    assert event.changes["planned_start"] == [None, "2027-01-01"]
    assert event.changes["public_authority_id"] == [None, authority.id]


def test_web_party_edit_is_recorded(app, client, auth, make_party):
    admin = auth.login_as(Role.ADMIN)
    party = make_party("Harbour Authority")
    response = client.post(
        f"/manage/parties/{party.id}/edit",
        data={
            "name": "Harbour Authority of the City",
            "roles": ["publicAuthority"],
            "country": "GB",
            "version": str(party.version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (event,) = _events(app, entity_type="Party", entity_id=party.id, action="update")
    assert (event.actor, event.client_ip, event.project_id) == (admin.email, "127.0.0.1", None)
    assert event.changes == {
        "name": ["Harbour Authority", "Harbour Authority of the City"],
        "country": [None, "GB"],
    }


def test_soft_delete_is_recorded_as_a_delete(app, client, auth, make_project):
    admin = auth.login_as(Role.ADMIN)
    project = make_project("harbour-bridge")
    assert client.post("/manage/projects/harbour-bridge/delete").status_code == 302
    (event,) = _events(app, entity_type="Project", entity_id=project.id, action="delete")
    assert (event.actor, event.summary) == (admin.email, "Deleted Project harbour-bridge")
    assert event.changes["is_deleted"] == [False, True]
    assert event.changes["deleted_at"][0] is None and event.changes["deleted_at"][1]
    with app.app_context():
        assert db.session.get(Project, project.id).is_deleted  # soft: the row stays


def test_password_change_is_redacted(app, client, auth, make_user):
    auth.login_as(Role.ADMIN)
    target = make_user(Role.MANAGER)
    with app.app_context():
        old_hash = db.session.get(User, target.id).password_hash
    response = client.post(
        f"/admin/users/{target.id}/edit",
        data={
            "email": target.email,
            "name": target.name,
            "role": "manager",
            "active": "y",
            "password": "a-brand-new-password",
            "version": str(target.version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        new_hash = db.session.get(User, target.id).password_hash
    assert new_hash != old_hash
    (event,) = _events(app, entity_type="User", entity_id=target.id, action="update")
    assert event.changes == {"password_hash": ["[redacted]", "[redacted]"]}
    stored = json.dumps([getattr(e, f) for e in _events(app) for f in HASHED_FIELDS], default=str)
    assert old_hash not in stored and new_hash not in stored
    assert "a-brand-new-password" not in stored


# -- coverage --------------------------------------------------------------------


def test_every_model_is_audited_or_says_why_not(app):
    assert db.Model.registry is Base.registry
    mappers = list(Base.registry.mappers)
    assert len(mappers) >= 6
    unexplained = []
    for mapper in mappers:
        cls = mapper.class_
        reason = getattr(cls, "__audit_exempt__", None)
        if issubclass(cls, Audited):
            assert reason is None, f"{cls.__name__} is audited and also says it is exempt"
        elif not (isinstance(reason, str) and reason.strip()):
            unexplained.append(cls.__name__)
    assert not unexplained, (
        f"neither Audited nor __audit_exempt__ = '<why>': {', '.join(sorted(unexplained))}"
    )


def test_every_table_is_mapped_or_a_link_table_of_an_audited_model(app):
    """A bare association table is audited through its model's relationship."""
    mapped = {table for mapper in Base.registry.mappers for table in mapper.tables}
    linked = {
        rel.secondary
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Audited)
        for rel in mapper.relationships
        if rel.secondary is not None
    }
    orphans = [t.name for t in Base.metadata.sorted_tables if t not in mapped | linked]
    assert not orphans
