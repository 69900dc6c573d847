"""Loading the demo portfolio through the same services users go through."""

from dataclasses import dataclass

import sqlalchemy as sa

from pptracker.audit import services as audit_services
from pptracker.audit.models import Finding, Severity
from pptracker.auth import services as auth_services
from pptracker.auth.models import User
from pptracker.demo import data
from pptracker.extensions import db
from pptracker.projects import services as project_services
from pptracker.projects.models import Party, Project


@dataclass
class LoadSummary:
    """What a demo load created (zero everywhere on a second run)."""

    users: int = 0
    parties: int = 0
    projects: int = 0
    findings: int = 0


def is_empty() -> bool:
    """Tell whether the database holds no users and no projects yet."""
    return not db.session.scalar(
        sa.select(sa.exists().where(User.id.isnot(None)))
    ) and not db.session.scalar(sa.select(sa.exists().where(Project.id.isnot(None))))


def demo_sign_ins() -> list[tuple[str, str]]:
    """Return ``(role, email)`` of the demo accounts that exist and are active."""
    emails = [email for email, _name, _role in data.USERS]
    users = db.session.scalars(
        sa.select(User).where(User.email.in_(emails), User.active.is_(True))
    ).all()
    by_email = {u.email: u for u in users}
    return [(by_email[e].role.value, e) for e in emails if e in by_email]


def load_demo(password: str) -> LoadSummary:
    """Create the demo users, parties and projects that do not exist yet.

    Idempotent: every record is matched on its natural key (email, party
    name, project code), so loading twice creates nothing the second time.

    :param password: the password of every demo account.
    :return: counts of what was created.
    """
    summary = LoadSummary()
    users = {}
    for email, name, role in data.USERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = auth_services.create_user(
                auth_services.UserData(email=email, name=name, role=role, password=password)
            )
            summary.users += 1
        users[email] = user

    parties = {}
    for name, roles, country, scheme, ident, locality in data.PARTIES:
        party = db.session.scalar(sa.select(Party).where(Party.name == name))
        if party is None:
            party = project_services.create_party(
                project_services.PartyData(
                    name=name,
                    roles=roles,
                    country=country,
                    identifier_scheme=scheme,
                    identifier_id=ident,
                    locality=locality,
                )
            )
            summary.parties += 1
        parties[name] = party

    admin = users["admin@example.org"]
    for (
        code,
        title,
        sector,
        type_,
        status,
        model,
        location,
        lat,
        lon,
        authority,
        private,
        currency,
        budget,
        start,
        end,
        published,
        manager,
    ) in data.PROJECTS:
        if db.session.scalar(sa.select(Project.id).where(Project.code == code)) is not None:
            continue
        description, purpose = data.DESCRIPTIONS.get(code, ("", ""))
        project = project_services.create_project(
            project_services.ProjectData(
                code=code,
                title=title,
                sector=sector,
                type=type_,
                status=status,
                ppp_model=model,
                public_authority_id=parties[authority].id,
                private_party_id=parties[private].id if private else None,
                currency=currency,
                description=description,
                purpose=purpose,
                location=location,
                latitude=lat,
                longitude=lon,
                budget_amount=budget,
                planned_start=start,
                planned_end=end,
            ),
            creator=admin,
        )
        project_services.assign_managers(project, [users[manager].id])
        if published:
            project_services.set_published(project, True)
        summary.projects += 1
    summary.findings = _load_findings(users)
    return summary


def _load_findings(users) -> int:
    """Raise the demo findings once, and walk some of them through answer and close."""
    if db.session.scalar(sa.select(sa.exists().where(Finding.id.isnot(None)))):
        return 0
    auditor = users["auditor@example.org"]
    created = 0
    for code, title, description, severity, answer, close in data.FINDINGS:
        project = db.session.scalar(sa.select(Project).where(Project.code == code))
        finding = audit_services.raise_finding(
            project,
            audit_services.FindingData(title, description, Severity(severity)),
            auditor=auditor,
        )
        if answer:
            manager = project.managers[0]
            audit_services.answer_finding(finding, answer, manager=manager)
        if close:
            audit_services.close_finding(finding, close, auditor=auditor)
        created += 1
    return created
