"""Loading the demo portfolio through the same services users go through."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from pptracker.audit import services as audit_services
from pptracker.audit.models import Finding, Severity
from pptracker.auth import services as auth_services
from pptracker.auth.models import User
from pptracker.demo import data
from pptracker.demo.budgets import load_budgets
from pptracker.demo.feedback import load_feedback
from pptracker.demo.milestones import load_milestones
from pptracker.demo.operations import OperationsSummary, load_operations
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
    contracts: int = 0
    documents: int = 0
    milestones: int = 0
    budgets: int = 0
    feedback: int = 0
    operations: OperationsSummary = field(default_factory=OperationsSummary)


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
    summary.contracts = _load_contracts(users)
    summary.documents = _load_documents()
    summary.milestones = load_milestones(users)
    summary.budgets = load_budgets(users)
    summary.operations = load_operations(users)
    summary.feedback = load_feedback(users)
    return summary


def _demo_pdf(title: str, project_title: str) -> bytes:
    """Return a one-page PDF standing in for a real document."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(72, 760, title)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 735, project_title)
    pdf.drawString(72, 710, "Demonstration document of the pptracker demo portfolio.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _load_documents() -> int:
    """Upload the demo documents once, through the same service as the upload form."""
    import io

    from werkzeug.datastructures import FileStorage

    from pptracker.contracts.models import Amendment, Contract
    from pptracker.documents.models import Document
    from pptracker.documents.services import DocumentData, upload_document

    if db.session.scalar(sa.select(sa.exists().where(Document.id.isnot(None)))):
        return 0
    created = 0
    for code, reference, number, title, kind, public, secret in data.DOCUMENTS:
        project = db.session.scalar(sa.select(Project).where(Project.code == code))
        contract = db.session.scalar(
            sa.select(Contract).where(
                Contract.project_id == project.id, Contract.reference == reference
            )
        )
        amendment = (
            None
            if number is None
            else db.session.scalar(
                sa.select(Amendment).where(
                    Amendment.contract_id == contract.id, Amendment.number == number
                )
            )
        )
        upload = FileStorage(
            io.BytesIO(_demo_pdf(title, project.title)),
            filename=f"{title.lower().replace(' ', '-')[:40]}.pdf",
            content_type="application/pdf",
        )
        upload_document(
            project,
            upload,
            DocumentData(
                title=title,
                document_type=kind,
                public=public,
                confidential=secret is not None,
                confidential_reason=secret,
            ),
            uploader=project.managers[0],
            contract=contract,
            amendment=amendment,
        )
        created += 1
    return created


def _load_contracts(users) -> int:
    """Register each demo project's contract with its amendments, risks and commitments."""
    from pptracker.contracts import services as contract_services
    from pptracker.contracts.models import (
        Allocation,
        AmendmentType,
        CommitmentNature,
        CommitmentType,
        Contract,
        ContractStatus,
        PaymentMechanism,
    )

    created = 0
    for code, spec in data.CONTRACTS.items():
        project = db.session.scalar(sa.select(Project).where(Project.code == code))
        if project is None or db.session.scalar(
            sa.select(Contract.id).where(Contract.project_id == project.id).limit(1)
        ):
            continue
        parties = {p.name: p.id for p in db.session.scalars(sa.select(Party))}
        contract = contract_services.create_contract(
            project,
            contract_services.ContractData(
                reference=spec["reference"],
                title=spec["title"],
                nature=spec["nature"],
                status=ContractStatus(spec["status"]),
                payment_mechanism=PaymentMechanism(spec["mechanism"]),
                procurement_method=spec["method"],
                number_of_tenderers=spec["tenderers"],
                signature_date=spec["signed"],
                financial_close_date=spec["close"],
                initial_value=spec["value"],
                currency=project.currency,
                initial_start=spec["start"],
                initial_end=spec["end"],
                parties=[(parties[name], role) for name, role in spec["parties"]],
            ),
        )
        manager = project.managers[0]
        for amended_on, kind, value, end, rationale, description, approver, secret in spec[
            "amendments"
        ]:
            contract_services.add_amendment(
                contract,
                contract_services.AmendmentData(
                    amended_on=amended_on,
                    type=AmendmentType(kind),
                    rationale=rationale,
                    description=description,
                    approved_by=approver,
                    approved_on=amended_on,
                    new_value=value,
                    new_end=end,
                    confidential=secret is not None,
                    confidential_reason=secret,
                ),
                recorder=manager,
            )
        for category, allocation, description, mitigation in spec["risks"]:
            contract_services.add_risk(
                contract,
                contract_services.RiskData(
                    category=category,
                    allocation=Allocation(allocation),
                    description=description,
                    mitigation=mitigation,
                ),
            )
        for kind, nature, exposure, description, start, end, secret in spec["commitments"]:
            contract_services.add_commitment(
                project,
                contract_services.CommitmentData(
                    type=CommitmentType(kind),
                    nature=CommitmentNature(nature),
                    max_exposure=exposure,
                    currency=project.currency,
                    description=description,
                    contract_id=contract.id,
                    start_date=start,
                    end_date=end,
                    confidential=secret is not None,
                    confidential_reason=secret,
                ),
            )
        created += 1
    return created


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
