"""Nothing unpublished or confidential reaches the portal's pages, whoever reads them."""

from datetime import date
from decimal import Decimal as D

import pytest

from pptracker.auth.models import Role
from pptracker.extensions import db

#: Text that only withheld records hold; none may appear on a portal page.
MARKERS = (
    "UNPUBLISHED-TITLE",
    "UNPUBLISHED-AUTHORITY",
    "DELETED-TITLE",
    "SECRET-CONTRACT-REF",
    "SECRET-CONTRACT-TITLE",
    "SECRET-AMENDMENT-RATIONALE",
    "SECRET-KPI-NAME",
    "SECRET-TARIFF-TITLE",
    "INTERNAL-DOCUMENT-TITLE",
    "CONFIDENTIAL-DOCUMENT-TITLE",
    "PENDING-FEEDBACK-MESSAGE",
    "HIDDEN-FEEDBACK-MESSAGE",
    "sender@example.org",
    "MODERATOR-REASON",
)


def _amend(app, contract_id, rationale, *, confidential):
    from pptracker.contracts.models import AmendmentType, Contract
    from pptracker.contracts.services import AmendmentData, add_amendment

    with app.app_context():
        add_amendment(
            db.session.get(Contract, contract_id),
            AmendmentData(
                amended_on=date(2024, 1, 10),
                type=AmendmentType.SCOPE,
                rationale=rationale,
                approved_by="Board",
                approved_on=date(2024, 1, 10),
                description="Scope changed.",
                confidential=confidential,
                confidential_reason="Withheld for a reason" if confidential else None,
            ),
            recorder=None,
        )
        db.session.commit()


@pytest.fixture
def site(app, make_project, make_party, make_contract, make_kpi, make_tariff, make_document):
    """One published project full of withheld records, and projects the public may not see."""
    from pptracker.feedback.models import Feedback, FeedbackStatus

    hidden_authority = make_party("UNPUBLISHED-AUTHORITY")
    make_project("draft", title="UNPUBLISHED-TITLE", public_authority_id=hidden_authority.id)
    gone = make_project("gone", title="DELETED-TITLE", published=True)
    project = make_project("open", title="Open Project", published=True,
                           budget_amount=D("1000.00"))  # fmt: skip
    public = make_contract("open", reference="PUB-1")
    _amend(app, public.id, "SECRET-AMENDMENT-RATIONALE", confidential=True)
    _amend(app, public.id, "A public reason", confidential=False)
    secret = make_contract("open", reference="SECRET-CONTRACT-REF", confidential=True,
                           reason="Commercial")  # fmt: skip
    _amend(app, secret.id, "SECRET-AMENDMENT-RATIONALE", confidential=False)
    make_kpi(public, code="K-1", name="Public KPI")
    make_kpi(public, code="K-2", name="SECRET-KPI-NAME", confidential=True,
             confidential_reason="Negotiation")  # fmt: skip
    make_tariff(public, code="T-1", title="Public toll")
    make_tariff(public, code="T-2", title="SECRET-TARIFF-TITLE", confidential=True,
                confidential_reason="Review")  # fmt: skip
    make_tariff(secret, code="T-3", title="SECRET-TARIFF-TITLE")
    make_document("open", title="Public document")
    make_document("open", title="INTERNAL-DOCUMENT-TITLE", public=False)
    make_document("open", title="CONFIDENTIAL-DOCUMENT-TITLE", confidential=True, reason="Why")
    with app.app_context():
        from pptracker.contracts.models import Contract
        from pptracker.projects.models import Project

        db.session.get(Contract, secret.id).title = "SECRET-CONTRACT-TITLE"
        db.session.get(Project, gone.id).is_deleted = True
        db.session.add_all(
            [
                Feedback(project_id=project.id, category="question", client_hash="a" * 64,
                         message="PENDING-FEEDBACK-MESSAGE", email="sender@example.org"),
                Feedback(project_id=project.id, category="question", client_hash="b" * 64,
                         message="HIDDEN-FEEDBACK-MESSAGE", status=FeedbackStatus.HIDDEN,
                         hidden_reason="MODERATOR-REASON"),
                Feedback(project_id=project.id, category="question", client_hash="c" * 64,
                         message="A published message", status=FeedbackStatus.PUBLISHED,
                         email="sender@example.org"),
            ]
        )  # fmt: skip
        db.session.commit()
    return project


URLS = (
    "/",
    "/projects/",
    "/projects/?sort=published&dir=desc",
    "/projects/?q=secret",
    "/projects/open",
)


@pytest.mark.parametrize("role", [None, Role.MANAGER, Role.AUDITOR, Role.ADMIN])
def test_no_withheld_text_on_any_portal_page(client, auth, site, role):
    if role is not None:
        auth.login_as(role)
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        leaked = [marker for marker in MARKERS if marker in html]
        assert not leaked, (url, leaked)
    page = client.get("/projects/open").get_data(as_text=True)
    # What is withheld says so, and what is public is there.
    for shown in ("Public KPI", "Public toll", "Public document", "A public reason",
                  "A published message", "Withheld:"):  # fmt: skip
        assert shown in page


@pytest.mark.parametrize("code", ["draft", "gone"])
@pytest.mark.parametrize("role", [None, Role.MANAGER, Role.AUDITOR, Role.ADMIN])
def test_hidden_projects_are_not_found(client, auth, site, role, code):
    if role is not None:
        auth.login_as(role)
    assert client.get(f"/projects/{code}").status_code == 404
