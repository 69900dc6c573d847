"""The public project page at ``/projects/<code>``: every section, as the public may see it."""

from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.extensions import db
from tests.portal.conftest import body_rows, table, text

URL = "/projects/harbour-bridge"


def _page(client, url=URL) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response.get_data(as_text=True)


@pytest.fixture
def project(published, make_party):
    """A published project with a private party; returns it."""
    spv = make_party("Bridge SPV Ltd", roles=("privateParty",))
    return published(
        "harbour-bridge",
        title="Harbour Bridge",
        description="A cable-stayed bridge over the harbour.",
        purpose="Cut the ferry queue.",
        location="Port Town",
        ppp_model="DBFO",
        status="implementation",
        private_party_id=spv.id,
        budget_amount=D("750000000.00"),
        planned_start=date(2021, 1, 1),
        planned_end=date(2051, 1, 1),
    )


@pytest.fixture
def contracts(project, make_contract, make_amendment, make_party):
    """A public contract with parties and amendments (one confidential), a confidential one."""
    lender = make_party("Harbour Lending Bank", roles=("lender",))
    spv = project.private_party_id
    public = make_contract(
        "harbour-bridge",
        reference="HB-1",
        value="600000000.00",
        parties=[(spv, "privateParty"), (lender.id, "lender")],
    )
    make_amendment(public.id, kind="value", new_value="660000000.00", amended_on=date(2023, 4, 1))
    make_amendment(public.id, kind="scope", amended_on=date(2024, 2, 1), confidential=True,
                   reason="Commercially sensitive variation")  # fmt: skip
    secret = make_contract(
        "harbour-bridge", reference="HB-SECRET", confidential=True, reason="Lender terms"
    )
    return public, secret


def test_unpublished_and_deleted_projects_are_not_found_for_everyone(
    client, auth, make_project, make_user, app
):
    manager = make_user(Role.MANAGER)
    make_project("draft", managers=[manager])
    gone = make_project("gone", published=True)
    with app.app_context():
        from pptracker.projects.models import Project

        db.session.get(Project, gone.id).is_deleted = True
        db.session.commit()
    for url in ("/projects/draft", "/projects/gone", "/projects/never-was"):
        assert client.get(url).status_code == 404
    for role in (Role.ADMIN, Role.AUDITOR):
        auth.login_as(role)
        for url in ("/projects/draft", "/projects/gone"):
            assert client.get(url).status_code == 404
        auth.logout()
    auth.login(manager.email)
    assert client.get("/projects/draft").status_code == 404


def test_key_facts_and_parties(client, project, contracts):
    html = _page(client)
    page = text(html)
    assert "<h1>Harbour Bridge</h1>" in html
    for expected in (
        "A cable-stayed bridge over the harbour.",
        "Purpose: Cut the ferry queue.",
        "Approved budget 750,000,000.00 EUR",
        "Planned period 2021-01-01 to 2051-01-01",
        "PPP model Design-Build-Finance-Operate (DBFO)",
        "Private party Bridge SPV Ltd",
        "HB-1 – Contract HB-1: 660,000,000.00 EUR now, 600,000,000.00 EUR when signed",
    ):
        assert expected in page
    assert body_rows(html, "The parties to the public contracts") == {
        "Bridge SPV Ltd": ["Private party (SPV)", "HB-1"],
        "Harbour Lending Bank": ["Lender", "HB-1"],
    }


def test_contracts_and_amendment_history_with_withheld_notices(client, project, contracts):
    html = _page(client)
    rows = body_rows(html, "The public contracts")
    name = "HB-1 – Contract HB-1 Active, signed 2020-01-15; hybrid (users and government)"
    assert list(rows) == [name]
    assert rows[name][0:2] == ["600,000,000.00 EUR", "660,000,000.00 EUR +60,000,000.00 (+10.0 %)"]
    assert rows[name][2:] == ["2020-02-01 to 2040-01-31", "2020-02-01 to 2040-01-31", "1"]
    amendments = table(html, "Every public amendment")
    assert amendments[1][:6] == [
        "HB-1 no. 1", "2023-04-01", "Value", "Because.", "600,000,000.00 EUR",
        "660,000,000.00 EUR",
    ]  # fmt: skip
    assert len(amendments) == 2  # the confidential one is not listed
    page = text(html)
    assert "Withheld: 1 contract. Reason: Lender terms" in page
    assert "Withheld: Amendment 2 of contract HB-1. Reason: Commercially sensitive variation" in (
        page
    )
    assert "HB-SECRET" not in html


def test_milestone_timeline_and_table(client, project, make_milestone):
    make_milestone("harbour-bridge", title="Financial close", code="financialClose",
                   baseline_date=date(2021, 3, 1), actual_date=date(2021, 3, 20),
                   status="met", percent_complete=100)  # fmt: skip
    make_milestone("harbour-bridge", title="Deck complete", baseline_date=date(2022, 1, 1),
                   forecast_date=date(2022, 2, 1), percent_complete=40)  # fmt: skip
    html = _page(client)
    assert '<svg role="img" aria-labelledby="milestone-timeline-title"' in html
    assert '<title id="milestone-timeline-title">Timeline: baseline' in html
    rows = body_rows(html, "The milestones by date")
    assert rows["Financial close Financial close"] == [
        "2021-03-01", "–", "2021-03-20", "Met", "100 %", "19 days late",
    ]  # fmt: skip
    assert rows["Deck complete"][0:3] == ["2022-01-01", "2022-02-01", "–"]
    assert "Overdue" in rows["Deck complete"][3]  # forecast passed, not met: judged on today
    assert "Financial close 2021-03-20 (milestone, met)" in text(html)


def test_budget_against_actual(client, project, make_budget_line, make_transaction):
    line = make_budget_line("harbour-bridge", code="CAP", name="Construction", planned="1000.00")
    make_transaction("harbour-bridge", amount="250.00", budget_line_id=line.id)
    make_transaction("harbour-bridge", kind="commitment", amount="400.00", budget_line_id=line.id)
    html = _page(client)
    assert 'aria-labelledby="budget-chart-1-title"' in html
    rows = body_rows(html, "Planned against committed and paid, per budget line")
    assert rows["CAP – Construction"] == ["1,000.00", "400.00", "250.00", "0.00", "25.0 %"]
    assert rows["Total"] == ["1,000.00", "400.00", "250.00", "0.00", "25.0 %"]
    assert body_rows(html, "Money recorded against the project by year")["2023"] == [
        "400.00", "250.00", "0.00", "2",
    ]  # fmt: skip


def test_operations_shown_only_for_projects_in_operation(
    client, project, contracts, make_kpi, make_tariff
):
    assert "Operating performance" not in _page(client)
    public, secret = contracts
    make_kpi(public, code="AV-1", name="Lane availability")
    make_kpi(public, code="AV-9", name="Secret KPI", confidential=True,
             confidential_reason="Penalty regime under negotiation")  # fmt: skip
    make_kpi(secret, code="AV-7", name="KPI of a secret contract")
    make_tariff(public, code="T-1", title="Car toll", value="2.5000")
    make_tariff(public, code="T-2", title="Secret toll", value="9.9900", confidential=True,
                confidential_reason="Tariff under review")  # fmt: skip
    html = _page(client)
    page = text(html)
    assert "Operating performance and tariffs" in page
    kpis = body_rows(html, "Key performance indicators")
    assert list(kpis) == ["AV-1 – Lane availability contract HB-1"]
    tariffs = body_rows(html, "The tariffs users or the government pay")
    assert tariffs["T-1 – Car toll"][:3] == ["HB-1", "Cars and vans", "2.5 EUR per trip"]
    assert "Secret" not in html and "9.99" not in html
    assert "Reason: Tariff under review" in page
    assert "Reason: Penalty regime under negotiation" in page


def test_documents_public_only_with_notices(client, project, contracts, make_document):
    public, secret = contracts
    shown = make_document("harbour-bridge", title="Signed agreement")
    make_document("harbour-bridge", title="Internal memo", public=False)
    make_document("harbour-bridge", title="Lender side letter", confidential=True,
                  reason="Lender confidentiality")  # fmt: skip
    make_document("harbour-bridge", title="Deleted report", deleted=True)
    make_document("harbour-bridge", title="Secret contract annex", contract_id=secret.id)
    html = _page(client)
    assert f'href="/documents/{shown}/download"' in html
    assert "Signed agreement" in html
    for hidden in (
        "Internal memo",
        "Lender side letter",
        "Deleted report",
        "Secret contract annex",
    ):
        assert hidden not in html
    page = text(html)
    assert "Withheld: 1 document. Reason: Lender confidentiality" in page
    assert "Withheld: 1 document. Reason: its contract is confidential (Lender terms)" in page


def test_findings_links_score_feedback_and_last_updated(client, project, make_finding, app):
    make_finding("harbour-bridge")
    html = _page(client)
    page = text(html)
    assert "Independent auditors have raised 1 finding on this project: 1 open" in page
    for href in (
        "/projects/harbour-bridge/report.pdf",
        "/projects/harbour-bridge/oc4ids.json",
        "/projects/harbour-bridge/contracts/",
        "/projects/harbour-bridge/milestones/",
        "/projects/harbour-bridge/budget/",
        "/projects/harbour-bridge/operations/",
    ):
        assert f'href="{href}"' in html
    from pptracker.projects.disclosure_score import score
    from pptracker.projects.queries import get_project

    with app.app_context():
        expected = score(get_project("harbour-bridge"))
    assert f"{expected.percent} %" in page
    items = body_rows(html, "The disclosure items")
    assert len(items) == len(expected.results)
    published_items = [k for k, v in items.items() if v[-1] == "Published"]
    assert len(published_items) == expected.disclosed
    assert '<section id="feedback"' in html and "Send feedback" in page
    assert "Last updated: " in page

    from pptracker.audit.models import AuditEvent

    with app.app_context():
        latest = db.session.scalar(
            sa.select(sa.func.max(AuditEvent.occurred_at)).where(
                AuditEvent.project_id == project.id,
                AuditEvent.action.in_(["create", "update", "delete"]),
            )
        )
    assert latest.strftime("%Y-%m-%d %H:%M UTC") in page


def test_published_feedback_and_replies_are_shown(client, project, app, make_user):
    from pptracker.feedback.models import Feedback, FeedbackReply, FeedbackStatus

    manager = make_user(Role.MANAGER)
    with app.app_context():
        shown = Feedback(project_id=project.id, category="question", message="When will it open?",
                         status=FeedbackStatus.PUBLISHED, client_hash="a" * 64,
                         email="asker@example.org")  # fmt: skip
        waiting = Feedback(project_id=project.id, category="delay", message="Pending words here",
                           client_hash="b" * 64)  # fmt: skip
        db.session.add_all([shown, waiting])
        db.session.flush()
        db.session.add(FeedbackReply(feedback_id=shown.id, author_id=manager.id, body="In May."))
        db.session.commit()
    html = _page(client)
    assert "When will it open?" in html and "In May." in html
    assert "Pending words here" not in html and "asker@example.org" not in html


def test_staff_see_the_public_view_with_a_manage_link(client, auth, project, contracts):
    assert "Manage this project" not in _page(client)
    auth.login_as(Role.AUDITOR)
    html = _page(client)
    assert "This is the public view." in html
    assert 'href="/manage/projects/harbour-bridge"' in html
    # Even staff who may see confidential records get the public page.
    assert "HB-SECRET" not in html and "Withheld: 1 contract" in text(html)


def test_headings_are_in_order_and_charts_have_tables(
    client, project, contracts, make_milestone, make_budget_line
):
    import re

    make_milestone("harbour-bridge", title="Start", baseline_date=date(2022, 1, 1))
    make_budget_line("harbour-bridge", planned="10.00")
    html = _page(client)
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert html.count("<table") == html.count("<caption")
    assert "<script" not in html
    assert ' style="' not in html  # the CSP allows no inline style


def test_last_updated_is_the_latest_change_of_the_project_data_not_feedback(app, project):
    from pptracker.audit.models import AuditEvent
    from pptracker.feedback.models import Feedback
    from pptracker.portal import queries

    with app.app_context():
        before = queries.last_updated(project.id)
        latest = db.session.scalar(
            sa.select(AuditEvent.occurred_at)
            .where(AuditEvent.project_id == project.id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
        assert before == latest
        db.session.add(Feedback(project_id=project.id, category="question", message="Hello there",
                                client_hash="a" * 64))  # fmt: skip
        db.session.commit()
        feedback_event = db.session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
        assert (
            db.session.scalar(
                sa.select(AuditEvent.entity_type).where(AuditEvent.seq == feedback_event)
            )
            == "Feedback"
        )
        assert queries.last_updated(project.id) == before


def test_evidence_of_a_confidential_kpi_is_withheld(client, app, project, contracts, make_kpi,
                                                    make_document):  # fmt: skip
    from pptracker.documents.models import Document
    from pptracker.operations.models import Kpi, KpiObservation, KpiSource

    public, _secret = contracts
    kpi_id = make_kpi(public, code="AV-1")
    evidence = make_document("harbour-bridge", title="Engineer's availability report",
                             contract_id=public.id)  # fmt: skip
    with app.app_context():
        observation = KpiObservation(
            kpi_id=kpi_id, project_id=project.id, period_start=date(2024, 1, 1),
            period_end=date(2024, 1, 31), value=D("99.5"), met=True, source=KpiSource.OPERATOR,
        )  # fmt: skip
        db.session.add(observation)
        db.session.flush()
        db.session.get(Document, evidence).kpi_observation_id = observation.id
        db.session.commit()
    assert "Engineer's availability report" in text(_page(client))
    with app.app_context():
        kpi = db.session.get(Kpi, kpi_id)
        kpi.confidential, kpi.confidential_reason = True, "Under dispute"
        db.session.commit()
    page = text(_page(client))
    assert "Engineer's availability report" not in page
    assert "Withheld: 1 document. Reason: its KPI is confidential (Under dispute)" in page


def test_evidence_for_a_kpi_of_a_confidential_contract_is_withheld(
    client, app, project, contracts, make_kpi, make_document
):
    # The document itself hangs on the public contract; the KPI it is evidence
    # for belongs to the confidential one. The page follows the same rule as
    # the download and the exports.
    from pptracker.documents.models import Document
    from pptracker.operations.models import KpiObservation, KpiSource

    public, secret = contracts
    kpi_id = make_kpi(secret, code="AV-9")
    evidence = make_document("harbour-bridge", title="Tester's availability report",
                             contract_id=public.id)  # fmt: skip
    with app.app_context():
        observation = KpiObservation(
            kpi_id=kpi_id, project_id=project.id, period_start=date(2024, 1, 1),
            period_end=date(2024, 1, 31), value=D("99.5"), met=True, source=KpiSource.OPERATOR,
        )  # fmt: skip
        db.session.add(observation)
        db.session.flush()
        db.session.get(Document, evidence).kpi_observation_id = observation.id
        db.session.commit()
    page = text(_page(client))
    assert "Tester's availability report" not in page
    assert "Withheld: 1 document." in page
    assert client.get(f"/documents/{evidence}/download").status_code == 404
