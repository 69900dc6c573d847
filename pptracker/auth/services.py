"""Account rules: creating and editing users, and signing in safely."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from pptracker.audit.capture import Actor
from pptracker.audit.services import record
from pptracker.auth.models import Role, SignInAttempt, User
from pptracker.database import utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db

MIN_PASSWORD_LENGTH = 10


class SignInRefused(DomainError):
    """Wrong email or password, or an inactive account: one message for all."""


class SignInThrottled(DomainError):
    """Too many failed sign-ins from one client; try again later."""


@dataclass
class UserData:
    """What the user forms and the CLI hand to the services."""

    email: str
    name: str
    role: Role
    active: bool = True
    password: str | None = None


def normalize_email(email: str) -> str:
    """Return ``email`` trimmed and lower-cased, the form it is stored in."""
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing.

    :raises DomainError: naming the ``password`` field.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            field="password",
        )


def _check_email_valid(email: str) -> None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError(
            f"'{email}' is not a valid email address: {error}", field="email"
        ) from error


def _check_email_free(email: str, user: User | None = None) -> None:
    other = db.session.scalar(sa.select(User).where(User.email == email))
    if other is not None and other is not user:
        raise DomainError(f"A user with the email {email} already exists.", field="email")


def create_user(data: UserData) -> User:
    """Create an account.

    :param data: the new user's details; ``password`` is required.
    :return: the new, flushed user.
    :raises DomainError: for a duplicate email or a weak password.
    """
    email = normalize_email(data.email)
    _check_email_valid(email)
    _check_email_free(email)
    if not data.password:
        raise DomainError("A new user needs a password.", field="password")
    check_password_strength(data.password)
    user = User(email=email, name=data.name.strip(), role=Role(data.role), active=data.active)
    user.set_password(data.password)
    db.session.add(user)
    db.session.flush()
    return user


def _active_admins() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(User.role == Role.ADMIN, User.active.is_(True))
    )


def update_user(user: User, data: UserData, *, actor: User) -> User:
    """Change an account's details, role, active flag or password.

    :param actor: who asks; an admin cannot demote or deactivate themself,
        and the last active admin is never removed.
    :raises DomainError: for a duplicate email, a weak password, or a change
        that would leave no active admin.
    """
    email = normalize_email(data.email)
    _check_email_valid(email)
    _check_email_free(email, user)
    role, active = Role(data.role), data.active
    losing_admin = user.role == Role.ADMIN and user.active and (role != Role.ADMIN or not active)
    if losing_admin and user.id == actor.id:
        raise DomainError("You cannot remove your own admin role or deactivate yourself.")
    if losing_admin and _active_admins() <= 1:
        raise DomainError("This is the last active admin; make another admin first.")
    if data.password:
        check_password_strength(data.password)
        user.set_password(data.password)
    if role != user.role:
        record(
            "role_change",
            entity=user,
            changes={"role": [user.role, role]},
            summary=f"Role of {email} changed from {user.role.value} to {role.value}",
        )
    if active != user.active:
        record(
            "user.activate" if active else "user.deactivate",
            entity=user,
            summary=f"{email} {'reactivated' if active else 'deactivated'}",
        )
    user.email, user.name, user.role, user.active = email, data.name.strip(), role, active
    db.session.flush()
    return user


def _failures_since(client_ip: str) -> tuple[int, timedelta]:
    window = timedelta(minutes=current_app.config["SIGN_IN_WINDOW_MINUTES"])
    since = utcnow() - window
    count = db.session.scalar(
        sa.select(sa.func.count()).where(
            SignInAttempt.client_ip == client_ip,
            SignInAttempt.succeeded.is_(False),
            SignInAttempt.attempted_at >= since,
        )
    )
    return count, window


def check_throttle(client_ip: str, email: str = "") -> None:
    """Refuse a client that failed too often within the window.

    :raises SignInThrottled: with the number of minutes to wait.
    """
    failures, window = _failures_since(client_ip)
    if failures >= current_app.config["SIGN_IN_MAX_FAILURES"]:
        minutes = int(window.total_seconds() // 60)
        record(
            "sign_in_throttled",
            entity_type="User",
            actor=Actor(None, "anonymous", client_ip),
            summary=f"Sign-in for {email[:200]} refused: {failures} recent failures",
        )
        raise SignInThrottled(
            "Too many failed sign-ins from your connection. "
            f"Please wait {minutes} minutes and try again."
        )


_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    # Checked against when the email is unknown, so that case takes as long
    # as a wrong password and does not reveal which emails have accounts.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-password", method=method)
    return _dummy_hashes[method]


def authenticate(email: str, password: str, client_ip: str) -> User:
    """Return the active user with these credentials, recording the attempt.

    :raises SignInThrottled: when the client failed too often recently.
    :raises SignInRefused: for an unknown email, a wrong password or an
        inactive account, with the same message for each.
    """
    email = normalize_email(email)
    check_throttle(client_ip, email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = user.check_password(password) and user.active
    db.session.add(SignInAttempt(client_ip=client_ip, email=email[:254], succeeded=ok))
    if not ok:
        record(
            "sign_in_failed",
            entity_type="User",
            entity_id=user.id if user else None,
            actor=Actor(None, "anonymous", client_ip),
            summary=f"Failed sign-in for {email[:200]}",
        )
        db.session.flush()
        raise SignInRefused("Wrong email or password, or the account is inactive.")
    user.last_sign_in_at = utcnow()
    record(
        "sign_in",
        entity=user,
        actor=Actor(user.id, user.email, client_ip),
        summary=f"{user.email} signed in",
    )
    db.session.flush()
    return user


def record_sign_out(user: User) -> None:
    """Record that ``user`` signed out."""
    record("sign_out", entity=user, summary=f"{user.email} signed out")
