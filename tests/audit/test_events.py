"""Explicit events: sign-in, failures, sign-out, roles, assignment, publication."""

import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db


def _actions(app):
    with app.app_context():
        return db.session.execute(
            sa.select(
                AuditEvent.action, AuditEvent.actor, AuditEvent.client_ip, AuditEvent.summary
            ).order_by(AuditEvent.seq)
        ).all()


def test_sign_in_failure_and_sign_out_are_recorded(client, auth, make_user, app):
    user = make_user(Role.MANAGER)
    auth.login(user.email, "wrong-password")
    auth.login(user.email)
    auth.logout()
    events = [e for e in _actions(app) if e.action.startswith("sign")]
    assert [e.action for e in events] == ["sign_in_failed", "sign_in", "sign_out"]
    failed, signed_in, signed_out = events
    assert failed.actor == "anonymous" and failed.client_ip == "127.0.0.1"
    assert user.email in failed.summary
    assert signed_in.actor == user.email and signed_out.actor == user.email


def test_throttled_sign_in_is_recorded(client, auth, make_user, app):
    app.config["SIGN_IN_MAX_FAILURES"] = 1
    user = make_user()
    auth.login(user.email, "wrong-password")
    auth.login(user.email)
    assert "sign_in_throttled" in [e.action for e in _actions(app)]


def test_role_change_and_deactivation_are_explicit_events(client, auth, make_user, app):
    admin = auth.login_as(Role.ADMIN)
    user = make_user(Role.MANAGER)
    client.post(
        f"/admin/users/{user.id}/edit",
        data={"email": user.email, "name": user.name, "role": "auditor", "version": user.version},
    )
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "User", AuditEvent.entity_id == user.id
            )
        ).all()
    by_action = {e.action: e for e in events}
    assert by_action["role_change"].changes == {"role": ["manager", "auditor"]}
    assert by_action["role_change"].actor == admin.email
    assert "user.deactivate" in by_action
    assert by_action["update"].changes["role"] == ["manager", "auditor"]


def test_assignment_and_publication_are_explicit_events(client, auth, make_project, make_user, app):
    auth.login_as(Role.ADMIN)
    manager = make_user(Role.MANAGER, email="m@example.org")
    make_project("harbour-bridge")
    client.post("/manage/projects/harbour-bridge/managers", data={"managers": [manager.id]})
    client.post("/manage/projects/harbour-bridge/publication", data={"publish": "1"})
    with app.app_context():
        events = {e.action: e for e in db.session.scalars(sa.select(AuditEvent))}
    assert events["assign_managers"].changes == {"managers": [[], ["m@example.org"]]}
    assert events["publish"].summary == "Published project harbour-bridge"
    assert events["publish"].project_id is not None


def test_cli_actor_is_named_after_the_command(runner, app):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        actors = set(db.session.scalars(sa.select(AuditEvent.actor)))
    assert actors == {"cli:demo load"}


def test_demo_portfolio_chain_verifies(runner, app):
    runner.invoke(args=["demo", "load"])
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("OK ")
