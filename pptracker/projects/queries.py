"""Reads about projects and parties."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, selectinload

from pptracker.extensions import db
from pptracker.permissions import project_scope
from pptracker.projects.models import Party, Project

SORTS = {
    "title": Project.title,
    "code": Project.code,
    "status": Project.status,
    "sector": Project.sector,
    "budget": Project.budget_amount,
    "updated": Project.updated_at,
}


@dataclass
class ProjectFilters:
    """What the project list was asked for."""

    q: str = ""
    status: str = ""
    sector: str = ""
    ppp_model: str = ""
    mine: bool = False
    sort: str = "title"
    desc: bool = False


def project_list(user, filters: ProjectFilters) -> sa.Select:
    """Return the projects ``user`` may see that match ``filters``, sorted.

    The public authority and private party come in the same query, so a page
    costs the same number of statements whatever its length.
    """
    authority, private = aliased(Party), aliased(Party)
    stmt = (
        sa.select(Project)
        .join(authority, Project.public_authority)
        .outerjoin(private, Project.private_party)
        .where(project_scope(user))
        .options(
            contains_eager(Project.public_authority.of_type(authority)),
            contains_eager(Project.private_party.of_type(private)),
        )
    )
    if filters.q:
        q = filters.q.strip().lower()
        stmt = stmt.where(
            sa.or_(
                *(
                    sa.func.lower(column).contains(q, autoescape=True)
                    for column in (Project.title, Project.code, authority.name, private.name)
                )
            )
        )
    if filters.status:
        stmt = stmt.where(Project.status == filters.status)
    if filters.sector:
        # A family code ("transport") also finds its sub-sectors ("transport.road").
        stmt = stmt.where(
            sa.or_(Project.sector == filters.sector, Project.sector.like(f"{filters.sector}.%"))
        )
    if filters.ppp_model:
        stmt = stmt.where(Project.ppp_model == filters.ppp_model)
    if filters.mine:
        stmt = stmt.where(Project.managers.any(id=user.id))
    column = SORTS.get(filters.sort, Project.title)
    order = column.desc() if filters.desc else column.asc()
    return stmt.order_by(order, Project.id)


def get_project(code: str) -> Project | None:
    """Return the live project with this code, managers loaded, or None."""
    return db.session.scalar(
        sa.select(Project)
        .where(Project.code == code, Project.is_deleted.is_(False))
        .options(selectinload(Project.managers))
    )


def live_parties() -> sa.Select:
    """Return every party that is not deleted, by name."""
    return sa.select(Party).where(Party.is_deleted.is_(False)).order_by(Party.name)


def party_list(q: str = "", role: str = "") -> sa.Select:
    """Return the live parties matching a name search and a role, by name."""
    stmt = live_parties()
    if q:
        stmt = stmt.where(sa.func.lower(Party.name).contains(q.strip().lower(), autoescape=True))
    if role:
        # JSON containment differs by engine; the role codes are plain words,
        # so a quoted substring match on the JSON text is exact enough.
        stmt = stmt.where(sa.cast(Party.roles, sa.String).like(f'%"{role}"%'))
    return stmt


def get_party(party_id: int) -> Party | None:
    """Return a live party, or None."""
    party = db.session.get(Party, party_id)
    return party if party is not None and not party.is_deleted else None


def projects_of_party(party: Party, user) -> list[Project]:
    """Return the projects ``user`` may see in which ``party`` takes part."""
    return db.session.scalars(
        sa.select(Project)
        .where(
            project_scope(user),
            sa.or_(Project.public_authority_id == party.id, Project.private_party_id == party.id),
        )
        .order_by(Project.title)
    ).all()
