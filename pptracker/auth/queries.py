"""Reads about users."""

import sqlalchemy as sa

from pptracker.auth.models import Role, User


def users_ordered() -> sa.Select:
    """Return every user, active ones first, then by name."""
    return sa.select(User).order_by(User.active.desc(), User.name)


def managers() -> sa.Select:
    """Return the active managers, by name (the candidates for assignment)."""
    return (
        sa.select(User).where(User.role == Role.MANAGER, User.active.is_(True)).order_by(User.name)
    )
