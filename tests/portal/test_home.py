"""The public dashboard at ``/``: figures by sector and status, milestones on time, execution."""

from datetime import date, timedelta
from decimal import Decimal as D

from pptracker.auth.models import Role
from pptracker.database import today
from tests.portal.conftest import body_rows, table, text


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_empty_site_says_nothing_is_published(client):
    page = text(_home(client))
    assert "No project has been published yet." in page
    assert "Nothing to report yet." in page


def test_projects_are_counted_and_valued_by_sector_and_status_per_currency(
    client, published, make_project
):
    published("road-1", sector="transport.road", budget_amount=D("100.50"), currency="EUR")
    published("road-2", sector="transport.road", budget_amount=D("200.25"), currency="EUR")
    published("road-3", sector="transport.road", budget_amount=D("999.00"), currency="USD")
    published("road-4", sector="transport.road", budget_amount=None, currency="EUR")
    published("clinic", sector="health", status="maintenance", budget_amount=D("50.00"))
    make_project("draft", sector="health", budget_amount=D("7777.00"))  # not published
    gone = published("gone", sector="energy", budget_amount=D("8888.00"))
    _delete(client, gone)

    html = _home(client)
    sectors = body_rows(html, "Published projects by sector")
    assert sectors == {
        # Four road projects: EUR and USD summed apart; one has no budget.
        "Road transport": ["4", "300.75 EUR 999.00 USD", "1"],
        "Health": ["1", "50.00 EUR", "0"],
    }
    statuses = body_rows(html, "Published projects by status")
    assert statuses == {
        "Implementation": ["4", "300.75 EUR 999.00 USD", "1"],
        "Maintenance": ["1", "50.00 EUR", "0"],
    }
    page = text(html)
    assert "5 published projects" in page
    # At a glance: one total per currency, with the projects that have a budget.
    assert "Approved budgets 350.75 EUR (3 projects) 999.00 USD (1 project)" in page
    assert "never added together" in page
    assert "7,777.00" not in page and "8,888.00" not in page and "Energy" not in page
    # The charts have an accessible name and a description.
    assert 'aria-labelledby="by-sector-title"' in html
    assert '<title id="by-status-title">Published projects by status</title>' in html


def _delete(client, project):
    from pptracker.extensions import db
    from pptracker.projects.models import Project

    with client.application.app_context():
        row = db.session.get(Project, project.id)
        row.is_deleted = True
        db.session.commit()


def test_the_share_of_milestones_met_on_time(client, published, make_project, make_milestone):
    published("p")
    make_project("hidden")
    past, long_ago = today() - timedelta(days=10), today() - timedelta(days=40)
    future = today() + timedelta(days=30)
    met = {"status": "met", "percent_complete": 100}
    # Counted and on time: met on its baseline; met early, before a baseline still to come.
    make_milestone("p", title="A", baseline_date=past, actual_date=past, **met)
    make_milestone("p", title="G", baseline_date=future, actual_date=past, **met)
    # Counted, late: met after its baseline; due and not met.
    make_milestone("p", title="B", baseline_date=long_ago, actual_date=past, **met)
    make_milestone("p", title="C", baseline_date=past, status="inProgress")
    # Not counted: not due yet, cancelled, without a baseline, on an unpublished project.
    make_milestone("p", title="D", baseline_date=future)
    make_milestone("p", title="E", baseline_date=past, status="cancelled")
    make_milestone("p", title="F", actual_date=past, **met)
    make_milestone("hidden", title="H", baseline_date=past, actual_date=past, **met)

    html = _home(client)
    page = text(html)
    assert "50.0 %" in page
    assert "2 of the 4 milestones that have fallen due were met on time" in page
    assert "met on or before its baseline date" in page  # the definition is on the page


def test_budget_execution_per_currency(
    client, published, make_project, make_budget_line, make_transaction
):
    published("eur-1", currency="EUR")
    published("eur-2", currency="EUR")
    published("usd", currency="USD")
    make_project("draft", currency="EUR")
    make_budget_line("eur-1", planned="1000.00")
    make_budget_line("eur-2", planned="3000.00")
    make_budget_line("usd", planned="500.00")
    make_budget_line("draft", planned="99999.00")
    make_transaction("eur-1", amount="400.00")
    make_transaction("eur-2", amount="200.00")
    make_transaction("eur-2", kind="commitment", amount="900.00")  # committed is not paid
    make_transaction("usd", amount="50.00")
    make_transaction("draft", amount="99999.00")

    html = _home(client)
    rows = body_rows(html, "Paid against planned, by project currency")
    assert rows == {
        "EUR": ["2", "4,000.00 EUR", "600.00 EUR", "15.0 %"],
        "USD": ["1", "500.00 USD", "50.00 USD", "10.0 %"],
    }
    assert '<title id="execution-title">Budget execution by currency</title>' in html


def test_latest_updates_merge_milestones_amendments_and_publications(
    client, published, make_project, make_milestone, make_contract, make_amendment
):
    published("p", title="Harbour Bridge")
    make_project("draft", title="Secret Tunnel")
    make_milestone(
        "p",
        title="Deck closed",
        baseline_date=date(2024, 5, 1),
        actual_date=date(2024, 5, 11),
        status="met",
        percent_complete=100,
    )
    make_milestone(
        "draft",
        title="Secret milestone",
        baseline_date=date(2024, 5, 1),
        actual_date=date(2024, 5, 11),
        status="met",
        percent_complete=100,
    )
    public = make_contract("p", reference="PUB-1")
    make_amendment(public.id, kind="scope", amended_on=date(2024, 6, 1))
    make_amendment(public.id, kind="scope", amended_on=date(2024, 7, 1), confidential=True,
                   reason="Sensitive")  # fmt: skip
    secret = make_contract("p", reference="SECRET-9", confidential=True, reason="Sensitive")
    make_amendment(secret.id, kind="scope", amended_on=date(2024, 8, 1))

    rows = table(_home(client), "The latest milestones met")[1:]
    assert [row[0] for row in rows] == sorted((row[0] for row in rows), reverse=True)
    assert rows[0][1:] == ["Harbour Bridge", "Project published: Published on this site"]
    assert rows[1:] == [
        ["2024-06-01", "Harbour Bridge",
         "Contract amended: Contract PUB-1, amendment 1 (change of scope)"],
        ["2024-05-11", "Harbour Bridge", "Milestone met: Deck closed: met 10 days late"],
    ]  # fmt: skip
    page = _home(client)
    assert "SECRET-9" not in page and "Secret" not in page and "amendment 2" not in page


def test_the_home_links_to_the_list_open_data_and_the_portfolio_report(client):
    html = _home(client)
    for href in ('href="/projects/"', 'href="/opendata/"', 'href="/reports/portfolio.pdf"'):
        assert href in html


def test_staff_see_the_same_public_dashboard(client, auth, published, make_project):
    published("p", title="Harbour Bridge")
    make_project("draft", title="Secret Tunnel")
    auth.login_as(Role.ADMIN)
    page = _home(client)
    assert "Harbour Bridge" in page and "Secret Tunnel" not in page
