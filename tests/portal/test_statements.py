"""Every public page issues the same number of SQL statements at 10 and at 500 projects.

And the project page the same for a project with 5 or 50 milestones,
contracts and transactions.
"""

from datetime import date

import pytest

from pptracker.auth.models import Role
from tests.portal.conftest import bulk_projects, statements


@pytest.fixture
def small_pages(app):
    """Four projects a page, so ten projects already make several pages."""
    app.config["PROJECTS_PER_PAGE"] = 4


def _counts(app, client, urls) -> dict[str, int]:
    return {url: statements(app, client, url) for url in urls}


def test_the_public_pages_at_10_and_at_500_projects(app, client, small_pages):
    bulk_projects(app, 10, prefix="first", sector="health")
    urls = [
        "/",
        "/projects/",
        "/projects/?page=2&sector=health&sort=budget&dir=desc",
        "/projects/?q=project&status=implementation&page=2",
        "/projects/first-3",
    ]
    at_10 = _counts(app, client, urls)
    bulk_projects(app, 490, prefix="more", sector="health")
    at_500 = _counts(app, client, urls)
    assert at_500 == at_10
    # A fixed handful, not merely the same: the home page's aggregates, a page's rows.
    assert at_10["/"] <= 8
    assert at_10["/projects/"] <= 8


def test_signed_in_staff_cost_the_same_at_any_size(app, client, auth, small_pages):
    bulk_projects(app, 10, prefix="first")
    auth.login_as(Role.ADMIN)
    urls = ["/", "/projects/?page=2", "/projects/first-1"]
    at_10 = _counts(app, client, urls)
    bulk_projects(app, 490, prefix="more")
    assert _counts(app, client, urls) == at_10


def test_the_project_page_whatever_the_project_size(app, client):
    bulk_projects(app, 1, prefix="small", children=5)
    bulk_projects(app, 1, prefix="large", children=50)
    assert statements(app, client, "/projects/small-0") == statements(
        app, client, "/projects/large-0"
    )


def test_the_project_page_with_every_kind_of_record(
    app,
    client,
    published,
    make_contract,
    make_amendment,
    make_milestone,
    make_budget_line,
    make_transaction,
    make_kpi,
    make_tariff,
    make_demand_series,
    make_document,
    make_finding,
):
    def fill(code: str, n: int) -> None:
        published(code)
        for i in range(n):
            contract = make_contract(code, reference=f"C-{i}", confidential=i % 2 == 1,
                                     reason="Secret" if i % 2 else None)  # fmt: skip
            make_amendment(contract.id, kind="scope")
            make_milestone(code, title=f"M{i}", baseline_date=date(2023, 1, 1))
            line = make_budget_line(code)
            make_transaction(code, budget_line_id=line.id)
            make_kpi(contract, code=f"K-{i}")
            make_tariff(contract, code=f"T-{i}")
            make_demand_series(contract, name=f"Series {i}", years={2023: ("10", "9")})
            make_document(code, title=f"Document {i}", contract_id=contract.id)
            make_finding(code)

    fill("few", 2)
    fill("many", 6)
    assert statements(app, client, "/projects/few") == statements(app, client, "/projects/many")
