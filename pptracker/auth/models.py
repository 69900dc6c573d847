"""User accounts and sign-in attempts."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from pptracker.database import Audited, Base, TimestampMixin, VersionedMixin, utcnow
from pptracker.enums import enum_column
from pptracker.extensions import db, login_manager


class Role(StrEnum):
    """What a signed-in user is; the grants are in ``permissions.py``."""

    ADMIN = "admin"
    MANAGER = "manager"
    AUDITOR = "auditor"


class User(UserMixin, Audited, TimestampMixin, VersionedMixin, Base):
    """Someone who signs in: an admin, a project manager or an auditor."""

    __tablename__ = "users"
    __audit_ignore__ = Audited.__audit_ignore__ | {"last_sign_in_at"}
    __audit_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so uniqueness is case-insensitive on every engine.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    #: Inactive users cannot sign in and are signed out on their next request.
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    last_sign_in_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<User id={self.id} email={self.email!r} role={self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        """Hash and keep ``password`` (scrypt unless the config says otherwise)."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Tell whether ``password`` is this user's password."""
        return check_password_hash(self.password_hash, password)


class SignInAttempt(Base):
    """One attempt to sign in, kept to slow down password guessing."""

    __tablename__ = "sign_in_attempts"
    __audit_exempt__ = "throttling data; each sign-in and failure is an explicit audit event"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_ip: Mapped[str] = mapped_column(sa.String(45), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    succeeded: Mapped[bool]
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<SignInAttempt ip={self.client_ip} ok={self.succeeded}>"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the signed-in user, or None once deactivated."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None
