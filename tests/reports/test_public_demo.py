"""Every public report of the demo portfolio, read back: nothing confidential or unpublished."""

import sqlalchemy as sa

from pptracker.contracts.models import Amendment, Contract
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.operations.models import Kpi, Tariff
from pptracker.projects.models import Project
from tests.reports.conftest import pdf_text


def _secrets() -> dict[str, str]:
    """Return text that only a confidential or unpublished record holds, with what it is."""
    found: dict[str, str] = {}
    for project in db.session.scalars(sa.select(Project).where(Project.published.is_(False))):
        found[project.title] = f"unpublished project {project.code}"
    for contract in db.session.scalars(sa.select(Contract).where(Contract.confidential)):
        found[contract.title] = f"confidential contract {contract.reference}"
    for amendment in db.session.scalars(sa.select(Amendment).where(Amendment.confidential)):
        found[amendment.rationale] = f"confidential amendment {amendment.id}"
    for kpi in db.session.scalars(sa.select(Kpi).where(Kpi.confidential)):
        found[kpi.name] = f"confidential KPI {kpi.code}"
    for tariff in db.session.scalars(sa.select(Tariff).where(Tariff.confidential)):
        found[tariff.title] = f"confidential tariff {tariff.code}"
        found[tariff.payer_group] = f"confidential tariff {tariff.code}'s payer group"
    for document in db.session.scalars(
        sa.select(Document).where(sa.or_(Document.confidential, Document.public.is_(False)))
    ):
        found[document.title] = f"withheld document {document.id}"
    return {text: what for text, what in found.items() if len(text) >= 8}


def test_no_public_report_of_the_demo_shows_a_confidential_or_unpublished_item(app, runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        secrets = _secrets()
        published = db.session.scalars(
            sa.select(Project.code).where(Project.published, Project.is_deleted.is_(False))
        ).all()
    assert len(secrets) >= 5
    assert secrets["Bulk treated water, industrial offtaker"].startswith("confidential tariff")
    assert published

    reports = {"portfolio": pdf_text(client.get("/reports/portfolio.pdf").data)}
    for code in published:
        response = client.get(f"/projects/{code}/report.pdf")
        assert response.status_code == 200, code
        reports[code] = pdf_text(response.data)

    # Extracted text wraps lines; compare with whitespace normalised.
    flat = {name: " ".join(text.split()) for name, text in reports.items()}
    leaks = [
        f"{what} in the {name} report"
        for name, text in flat.items()
        for secret, what in secrets.items()
        if " ".join(secret.split()) in text
    ]
    assert leaks == []
    # What was withheld is announced, not silently dropped.
    assert any("Withheld" in text for text in flat.values())
