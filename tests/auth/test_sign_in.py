"""Signing in and out: messages, redirects, throttling, inactive users."""

import sqlalchemy as sa

from pptracker.auth.models import Role, SignInAttempt, User
from pptracker.extensions import db
from tests.conftest import PASSWORD


def test_sign_in_and_out(client, auth, make_user, app):
    user = make_user(Role.MANAGER, email="Mixed.Case@Example.org")
    response = auth.login("  MIXED.case@example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/projects/"
    page = client.get("/manage/projects/").get_data(as_text=True)
    assert user.name in page
    with app.app_context():
        assert db.session.get(User, user.id).last_sign_in_at is not None
    assert auth.logout().status_code == 302
    assert client.get("/manage/projects/").status_code == 302


def test_logout_needs_post(client, auth, make_user):
    auth.login_as(Role.MANAGER)
    assert client.get("/logout").status_code == 405
    assert client.get("/manage/projects/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_message(auth, make_user):
    user = make_user()
    wrong = auth.login(user.email, "not-the-password")
    unknown = auth.login("nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = "Wrong email or password, or the account is inactive."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(auth, make_user):
    user = make_user(active=False)
    response = auth.login(user.email)
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_deactivated_user_is_signed_out_on_next_request(client, auth, app):
    user = auth.login_as(Role.MANAGER)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert client.get("/manage/projects/").status_code == 302


def test_next_redirects_only_within_the_site(auth, make_user):
    user = make_user()
    inside = auth.login(user.email, next="/manage/parties/")
    assert inside.headers["Location"] == "/manage/parties/"
    auth.logout()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = auth.login(user.email, next=target)
        assert response.headers["Location"] == "/manage/projects/", target
        auth.logout()


def test_login_page_keeps_next_from_the_redirect(client):
    response = client.get("/manage/parties/")
    assert response.headers["Location"] == "/login?next=%2Fmanage%2Fparties%2F"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="/manage/parties/"' in page


def test_repeated_failures_are_throttled(app, auth, make_user):
    app.config["SIGN_IN_MAX_FAILURES"] = 3
    user = make_user()
    for _ in range(3):
        assert auth.login(user.email, "wrong-password").status_code == 401
    refused = auth.login(user.email)  # even the right password is refused now
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    with app.app_context():
        failures = db.session.scalar(
            sa.select(sa.func.count()).where(SignInAttempt.succeeded.is_(False))
        )
        assert failures == 3


def test_throttle_window_expires(app, auth, make_user):
    app.config["SIGN_IN_MAX_FAILURES"] = 2
    user = make_user()
    auth.login(user.email, "wrong-password")
    auth.login(user.email, "wrong-password")
    assert auth.login(user.email).status_code == 429
    app.config["SIGN_IN_WINDOW_MINUTES"] = 0  # the old failures fall out of the window
    assert auth.login(user.email).status_code == 302


def test_csrf_is_required_when_enabled(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
