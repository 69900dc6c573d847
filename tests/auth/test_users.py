"""User administration: pages, rules and the ``users create`` command."""

import sqlalchemy as sa

from pptracker.auth.models import Role, User
from pptracker.extensions import db
from tests.conftest import PASSWORD


def _user(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def test_admin_creates_a_user(client, auth, app):
    auth.login_as(Role.ADMIN)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "New.Person@Example.org",
            "name": "New Person",
            "role": "auditor",
            "active": "y",
            "password": "a-long-password",
        },
    )
    assert response.status_code == 302
    user = _user(app, "new.person@example.org")
    assert user.role == Role.AUDITOR and user.active
    assert user.password_hash.startswith("pbkdf2:") and "a-long-password" not in user.password_hash
    assert "new.person@example.org" in client.get("/admin/users/").get_data(as_text=True)


def test_duplicate_email_is_refused_beside_the_field(client, auth, make_user, app):
    auth.login_as(Role.ADMIN)
    make_user(email="taken@example.org")
    response = client.post(
        "/admin/users/new",
        data={
            "email": "TAKEN@example.org",
            "name": "Copy",
            "role": "manager",
            "password": "a-long-password",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already exists" in body and 'value="Copy"' in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_short_password_and_bad_role_are_refused(client, auth, app):
    auth.login_as(Role.ADMIN)
    short = client.post(
        "/admin/users/new",
        data={"email": "x@example.org", "name": "X", "role": "manager", "password": "short"},
    )
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    bad_role = client.post(
        "/admin/users/new",
        data={
            "email": "y@example.org",
            "name": "Y",
            "role": "superuser",
            "password": "long-enough-1",
        },
    )
    assert bad_role.status_code == 400
    assert _user(app, "x@example.org") is None and _user(app, "y@example.org") is None


def test_admin_edits_role_and_deactivates(client, auth, make_user, app):
    auth.login_as(Role.ADMIN)
    target = make_user(Role.MANAGER)
    response = client.post(
        f"/admin/users/{target.id}/edit",
        data={
            "email": target.email,
            "name": "Renamed",
            "role": "auditor",
            "version": target.version,
        },
    )
    assert response.status_code == 302
    user = _user(app, target.email)
    assert (user.name, user.role, user.active) == ("Renamed", Role.AUDITOR, False)
    assert user.check_password(PASSWORD)  # an empty password field keeps the password


def test_admin_cannot_demote_or_deactivate_themself(client, auth, app):
    me = auth.login_as(Role.ADMIN)
    response = client.post(
        f"/admin/users/{me.id}/edit",
        data={
            "email": me.email,
            "name": me.name,
            "role": "manager",
            "active": "y",
            "version": me.version,
        },
    )
    assert response.status_code == 400
    assert "your own admin role" in response.get_data(as_text=True)
    assert _user(app, me.email).role == Role.ADMIN


def test_stale_edit_is_refused_and_keeps_the_users_input(client, auth, make_user, app):
    auth.login_as(Role.ADMIN)
    target = make_user(Role.MANAGER, name="Original")
    with app.app_context():  # someone else saves first
        db.session.get(User, target.id).name = "Changed meanwhile"
        db.session.commit()
    response = client.post(
        f"/admin/users/{target.id}/edit",
        data={
            "email": target.email,
            "name": "My edit",
            "role": "manager",
            "active": "y",
            "version": target.version,
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record" in body
    assert 'value="My edit"' in body and "Now saved as: Changed meanwhile" in body
    assert _user(app, target.email).name == "Changed meanwhile"


def test_cli_creates_the_first_admin(runner, app, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("first-admin-password\n")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Root@Example.org",
            "--role",
            "admin",
            "--password-file",
            str(secret),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin root@example.org" in result.output
    user = _user(app, "root@example.org")
    assert user.role == Role.ADMIN and user.check_password("first-admin-password")


def test_cli_refuses_duplicates_unknown_roles_and_empty_passwords(runner, app, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("first-admin-password")
    args = [
        "users",
        "create",
        "dup@example.org",
        "--role",
        "manager",
        "--password-file",
        str(secret),
    ]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already exists" in again.output
    bad_role = runner.invoke(
        args=["users", "create", "r@example.org", "--role", "boss", "--password-file", str(secret)]
    )
    assert bad_role.exit_code != 0 and "'boss' is not one of" in bad_role.output
    empty = tmp_path / "empty"
    empty.write_text("")
    no_pw = runner.invoke(
        args=[
            "users",
            "create",
            "e@example.org",
            "--role",
            "auditor",
            "--password-file",
            str(empty),
        ]
    )
    assert no_pw.exit_code != 0 and "is empty" in no_pw.output
    bad_email = runner.invoke(
        args=[
            "users",
            "create",
            "not-an-email",
            "--role",
            "auditor",
            "--password-file",
            str(secret),
        ]
    )
    assert bad_email.exit_code != 0 and "not a valid email" in bad_email.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
