"""Text only a confidential, unpublished or private record holds: it must never go public."""

import sqlalchemy as sa

from pptracker.contracts.models import Amendment, Contract
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.feedback.models import Feedback, FeedbackStatus
from pptracker.operations.models import Kpi, Tariff
from pptracker.projects.models import Project


def secrets() -> dict[str, str]:
    """Return text that only a withheld record holds, mapped to what that record is.

    Texts shorter than 8 characters are left out: they would match by chance.
    """
    found: dict[str, str] = {}
    for project in db.session.scalars(
        sa.select(Project).where(sa.or_(Project.published.is_(False), Project.is_deleted))
    ):
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
    for feedback in db.session.scalars(sa.select(Feedback)):
        if feedback.email:
            found[feedback.email] = f"the email of feedback {feedback.id}"
        if feedback.status != FeedbackStatus.PUBLISHED:
            found[feedback.message] = f"{feedback.status} feedback {feedback.id}"
        if feedback.hidden_reason:
            found[feedback.hidden_reason] = f"the moderator's reason on feedback {feedback.id}"
    return {text: what for text, what in found.items() if len(text) >= 8}


def leaks(texts: dict[str, str], withheld: dict[str, str]) -> list[str]:
    """Say which withheld text appears in which of ``texts`` (whitespace normalised)."""
    flat = {name: " ".join(text.split()) for name, text in texts.items()}
    return [
        f"{what} in {name}"
        for name, text in flat.items()
        for secret, what in withheld.items()
        if " ".join(secret.split()) in text
    ]
