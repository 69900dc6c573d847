"""Project and party rules: create, edit, delete, publish, assign managers."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from pptracker import codelists
from pptracker.audit.services import record
from pptracker.auth.models import Role, User
from pptracker.database import utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.projects.models import Party, Project

CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


@dataclass
class PartyData:
    """A party's details as the forms and the demo loader give them."""

    name: str
    roles: list[str] = field(default_factory=list)
    identifier_scheme: str | None = None
    identifier_id: str | None = None
    country: str | None = None
    street_address: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_telephone: str | None = None
    url: str | None = None


@dataclass
class ProjectData:
    """A project's editable details."""

    code: str
    title: str
    sector: str
    type: str
    status: str
    ppp_model: str
    public_authority_id: int
    currency: str
    description: str = ""
    purpose: str = ""
    location: str = ""
    latitude: float | None = None
    longitude: float | None = None
    private_party_id: int | None = None
    budget_amount: Decimal | None = None
    planned_start: date | None = None
    planned_end: date | None = None


def _check_code(listname: str, code: str | None, field_name: str, label: str) -> None:
    if code not in codelists.codelist(listname):
        raise DomainError(
            f"{label}: '{code}' is not in the OC4IDS {listname} list.", field=field_name
        )


def _validate_party(data: PartyData) -> None:
    if not data.name or not data.name.strip():
        raise DomainError("A party needs a name.", field="name")
    unknown = [r for r in data.roles if r not in codelists.party_roles()]
    if unknown:
        raise DomainError(f"Unknown party role: {', '.join(unknown)}.", field="roles")
    if data.country and data.country not in codelists.codelist("country"):
        raise DomainError(f"'{data.country}' is not an ISO 3166-1 country code.", field="country")
    if bool(data.identifier_scheme) != bool(data.identifier_id):
        raise DomainError(
            "Give both the identifier scheme and the identifier, or neither.", field="identifier_id"
        )


def create_party(data: PartyData) -> Party:
    """Register an organisation.

    :raises DomainError: for a missing name, an unknown role or country.
    """
    _validate_party(data)
    party = Party(**{**vars(data), "name": data.name.strip()})
    db.session.add(party)
    db.session.flush()
    return party


def update_party(party: Party, data: PartyData) -> Party:
    """Change an organisation's details.

    :raises DomainError: as for ``create_party``.
    """
    _validate_party(data)
    for key, value in vars(data).items():
        setattr(party, key, value.strip() if key == "name" else value)
    db.session.flush()
    return party


def delete_party(party: Party) -> None:
    """Soft-delete a party no live project refers to.

    :raises DomainError: when a project still names it.
    """
    in_use = db.session.scalar(
        sa.select(sa.func.count()).where(
            Project.is_deleted.is_(False),
            sa.or_(Project.public_authority_id == party.id, Project.private_party_id == party.id),
        )
    )
    if in_use:
        raise DomainError(
            f"{party.name} is still a party to {in_use} project(s); change those projects first."
        )
    party.is_deleted, party.deleted_at = True, utcnow()
    db.session.flush()


def _live_party(party_id: int | None, field_name: str) -> Party | None:
    if party_id is None:
        return None
    party = db.session.get(Party, party_id)
    if party is None or party.is_deleted:
        raise DomainError("Choose a party from the list.", field=field_name)
    return party


def _validate_project(data: ProjectData, project: Project | None) -> None:
    if not CODE_PATTERN.match(data.code or ""):
        raise DomainError(
            "The code may hold lower-case letters, digits and hyphens (2 to 40 characters), "
            "starting and ending with a letter or digit.",
            field="code",
        )
    taken = db.session.scalar(sa.select(Project).where(Project.code == data.code))
    if taken is not None and taken is not project:
        raise DomainError(
            f"The code '{data.code}' is already used by another project.", field="code"
        )
    if not data.title or not data.title.strip():
        raise DomainError("A project needs a title.", field="title")
    _check_code("projectSector", data.sector, "sector", "Sector")
    _check_code("projectType", data.type, "type", "Type")
    _check_code("projectStatus", data.status, "status", "Status")
    if data.ppp_model not in codelists.PPP_MODELS:
        raise DomainError(f"Unknown PPP model '{data.ppp_model}'.", field="ppp_model")
    if data.currency not in codelists.codelist("currency"):
        raise DomainError(f"'{data.currency}' is not an ISO 4217 currency code.", field="currency")
    if data.budget_amount is not None and data.budget_amount < 0:
        raise DomainError("The budget cannot be negative.", field="budget_amount")
    if data.planned_start and data.planned_end and data.planned_end < data.planned_start:
        raise DomainError(
            "The planned end cannot be before the planned start.", field="planned_end"
        )
    if (data.latitude is None) != (data.longitude is None):
        raise DomainError("Give both latitude and longitude, or neither.", field="longitude")
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        raise DomainError("Latitude must be between -90 and 90.", field="latitude")
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        raise DomainError("Longitude must be between -180 and 180.", field="longitude")
    _live_party(data.public_authority_id, "public_authority_id")
    _live_party(data.private_party_id, "private_party_id")
    if data.private_party_id and data.private_party_id == data.public_authority_id:
        raise DomainError(
            "The private party cannot be the public authority.", field="private_party_id"
        )


def create_project(data: ProjectData, *, creator: User) -> Project:
    """Register a project; a manager who creates one is assigned to it.

    :raises DomainError: naming the first invalid field.
    """
    _validate_project(data, None)
    project = Project(**vars(data))
    project.title = data.title.strip()
    if creator.role == Role.MANAGER:
        project.managers.append(creator)
    db.session.add(project)
    db.session.flush()
    return project


def update_project(project: Project, data: ProjectData) -> Project:
    """Change a project's details.

    :raises DomainError: naming the first invalid field.
    """
    _validate_project(data, project)
    for key, value in vars(data).items():
        setattr(project, key, value)
    project.title = data.title.strip()
    db.session.flush()
    return project


def delete_project(project: Project) -> None:
    """Soft-delete a project: it disappears from every list and page, history stays."""
    project.is_deleted, project.deleted_at = True, utcnow()
    project.published = False
    db.session.flush()


def set_published(project: Project, published: bool) -> Project:
    """Publish a project on the public site, or take it off."""
    if project.published != published:
        record(
            "publish" if published else "unpublish",
            entity=project,
            summary=f"{'Published' if published else 'Unpublished'} project {project.code}",
        )
    project.published = published
    project.published_at = utcnow() if published else None
    db.session.flush()
    return project


def assign_managers(project: Project, user_ids: list[int]) -> Project:
    """Make exactly these users the project's managers.

    :raises DomainError: when an id is not an active manager.
    """
    users = (
        db.session.scalars(sa.select(User).where(User.id.in_(user_ids))).all() if user_ids else []
    )
    bad = [u for u in users if u.role != Role.MANAGER or not u.active]
    if bad or len(users) != len(set(user_ids)):
        raise DomainError("Only active managers can be assigned to a project.", field="managers")
    before = sorted(u.email for u in project.managers)
    after = sorted(u.email for u in users)
    if before != after:
        record(
            "assign_managers",
            entity=project,
            changes={"managers": [before, after]},
            summary=f"Managers of {project.code}: {', '.join(after) or 'none'}",
        )
    project.managers = sorted(users, key=lambda u: u.name)
    db.session.flush()
    return project
