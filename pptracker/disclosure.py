"""What the public may see: the one rule for confidential records.

Every public page, export and report goes through here, so a confidential
contract, amendment, risk, commitment or document never reaches the public:
a ``Redacted`` notice with the reason stands in its place.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from pptracker.permissions import Action, can


@dataclass(frozen=True)
class Redacted:
    """Stands in for a withheld record: what it is, and why it is withheld."""

    kind: str
    label: str
    reason: str

    redacted = True


def may_see_confidential(user, project) -> bool:
    """Tell whether ``user`` may see the confidential records of ``project``."""
    return can(user, Action.VIEW_CONFIDENTIAL, project)


def disclose(items: Iterable, *, user, project, kind: str, label: Callable[[object], str]) -> list:
    """Return ``items`` as ``user`` may see them: confidential ones become ``Redacted``.

    :param kind: what the items are, for the notice ("contract", "amendment" …).
    :param label: names an item in its notice without revealing its content.
    """
    if may_see_confidential(user, project):
        return list(items)
    return [
        Redacted(kind, label(item), item.confidential_reason or "withheld")
        if item.confidential
        else item
        for item in items
    ]


def public_only(model) -> sa.ColumnElement[bool]:
    """Return the SQL condition for rows of ``model`` the public may see (exports, reports)."""
    condition = model.confidential.is_(False)
    if hasattr(model, "is_deleted"):
        condition = sa.and_(condition, model.is_deleted.is_(False))
    return condition


def is_redacted(item) -> bool:
    """Tell whether ``item`` is a redaction notice (for templates)."""
    return isinstance(item, Redacted)
