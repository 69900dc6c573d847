"""The public portfolio report: every published project, its figures, and nothing withheld."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.extensions import db
from pptracker.formatting import format_datetime
from pptracker.projects import metrics
from pptracker.projects.models import Project
from pptracker.projects.queries import get_project
from pptracker.projects.services import delete_project
from pptracker.reports import portfolio_data, portfolio_report, version
from tests.projects.test_metrics import (
    _bulk_projects,
    _contract,
    _line,
    _milestone,
    _tx,
    build_rich,
)
from tests.reports.conftest import pdf_pages, pdf_text

BASE_URL = "https://pptracker.example.org"
GREEK = "Ωmega «Дорога» <font size=40> & Co"
AUTHORITY = "Υπουργείο Μεταφορών & <b>Works</b>"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def portfolio(app, make_project, make_party):
    """Two published projects, one unpublished, one deleted; returns the published ids."""
    greek = make_project(
        "omega-road",
        title=GREEK,
        published=True,
        public_authority_id=make_party(AUTHORITY).id,
    )
    bridge = make_project(
        "aurora-bridge",
        title="Bridge of Aurora",
        published=True,
        currency="GBP",
        sector="health",
        status="maintenance",
    )
    make_project("secret-plant", title="Secret Unpublished Plant", published=False)
    make_project("deleted-harbour", title="Deleted Harbour", published=True)
    with app.app_context():
        build_rich(get_project("omega-road"))
        project = get_project("aurora-bridge")
        _milestone(
            project, "Half way", weight=1, percent_complete=50,
            baseline_date=date(2023, 1, 1), forecast_date=date(2023, 1, 31),
        )  # fmt: skip
        _tx(project, "payment", "500.00", line=_line(project, "B-1", "2000.00"))
        _contract(project, "B-C", "80000.00", currency="GBP")
        _contract(get_project("secret-plant"), "S-C", "4444444.00")
        _contract(get_project("deleted-harbour"), "D-C", "5555555.00")
        delete_project(get_project("deleted-harbour"))
        db.session.commit()
    return greek.id, bridge.id


def _build(app):
    with app.app_context():
        current = version.current()
        data = portfolio_data.assemble(current, base_url=BASE_URL)
        return current, data, portfolio_report.render(data)


def test_every_published_project_with_its_figures(app, portfolio):
    greek, bridge = portfolio
    current, data, content = _build(app)
    text = _flat(pdf_text(content))
    with app.app_context():
        figures = metrics.project_metrics([greek, bridge])
    # Sorted by title: Latin before Greek.
    assert [row.code for row in data.rows] == ["aurora-bridge", "omega-road"]
    assert text.index("Bridge of Aurora") < text.index("Ωmega")
    # Row by row, in the order of the columns.
    assert (
        "Bridge of Aurora aurora-bridge Health Maintenance Authority 2 80,000.00 GBP "
        "50.0 % 30 25.0 %"
    ) in text
    g = figures[greek]
    assert (g.percent_complete, g.slippage_days, g.percent_executed) == (
        Decimal("52.7"),
        9,
        Decimal("9.6"),
    )
    assert (
        f"{GREEK} omega-road Road transport Implementation {AUTHORITY} "
        "1,200,000.00 EUR; 300,000.00 USD * 52.7 % 9 9.6 %"
    ) in text
    assert "2 published projects" in text


def test_nothing_unpublished_deleted_or_confidential(app, portfolio):
    _current, _data, content = _build(app)
    text = _flat(pdf_text(content))
    for absent in (
        "Secret Unpublished Plant",
        "secret-plant",
        "4,444,444.00",
        "Deleted Harbour",
        "deleted-harbour",
        "5,555,555.00",
        "650,000.00",  # set by a confidential amendment
        "700,000.00",  # a confidential contract
        "2,550,000.00",  # the auditors' total
        "Commercially sensitive",
    ):
        assert absent not in text, absent
    assert "Withheld: the value of 2 contracts in 1 project" in text


def test_totals_per_currency_never_mix_currencies(app, portfolio):
    _current, data, content = _build(app)
    text = _flat(pdf_text(content))
    assert [(t.currency, t.projects) for t in data.totals] == [("EUR", 1), ("GBP", 1), ("USD", 0)]
    assert "EUR 1 1,200,000.00 EUR 3,500.50 EUR 335.22 EUR 9.6 %" in text
    assert "GBP 1 80,000.00 GBP 2,000.00 GBP 500.00 GBP 25.0 %" in text
    assert "USD 0 300,000.00 USD 0.00 USD 0.00 USD –" in text


def test_counts_by_sector_and_status_with_their_tables(app, portfolio):
    _current, data, content = _build(app)
    text = _flat(pdf_text(content))
    assert [(c.label, c.count) for c in data.by_sector] == [("Health", 1), ("Road transport", 1)]
    assert [(c.label, c.count) for c in data.by_status] == [
        ("Implementation", 1),
        ("Maintenance", 1),
    ]
    assert "Sector Projects Health 1 Road transport 1" in text
    assert "Status Projects Implementation 1 Maintenance 1" in text


def test_data_as_of_chain_head_and_page_numbers(app, portfolio):
    current, _data, content = _build(app)
    pages = pdf_pages(content)
    text = _flat("\n".join(pages))
    assert f"event {current.seq}, hash {current.hash}" in text
    assert f"Data as of {format_datetime(current.at)}" in text
    assert f"Online: {BASE_URL}/" in text
    for number, page in enumerate(pages, start=1):
        flat = _flat(page)
        assert f"Page {number} of {len(pages)}" in flat
        assert f"Portfolio report · data as of {format_datetime(current.at)}" in flat


def test_same_data_same_bytes(app, portfolio):
    first = _build(app)[2]
    second = _build(app)[2]
    assert first == second
    with app.app_context():
        data = portfolio_data.assemble(version.current(), base_url=BASE_URL)
    assert portfolio_report.render(data) == first


def test_an_empty_portfolio(app):
    _current, data, content = _build(app)
    assert data.rows == () and data.totals == ()
    assert "No published project." in pdf_text(content)


def _publish(app, ids, published: bool) -> None:
    with app.app_context():
        for project in db.session.scalars(sa.select(Project).where(Project.id.in_(ids))):
            project.published = published
        db.session.commit()


def test_statements_do_not_grow_with_the_number_of_projects(app):
    from tests.projects.test_metrics import _statements

    ids = _bulk_projects(app, 30)
    _publish(app, ids[3:], False)
    with app.app_context():
        current = version.current()

    def assemble(expected):
        def call():
            assert len(portfolio_data.assemble(current, base_url=BASE_URL).rows) == expected

        return call

    few = _statements(app, assemble(3))
    _publish(app, ids[3:], True)
    assert few == _statements(app, assemble(30)) == 3
