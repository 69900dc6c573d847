"""Golden output: fixed data give exactly these bytes, on either engine, on any day.

The hashes below are of reports built from the data in ``_fixed_portfolio``
at a fixed data version. When a change to the code changes a report on
purpose, raise ``services.LAYOUT`` (so cached copies are rebuilt) and put
the new hashes here; the failure message prints them.
"""

import hashlib
from datetime import UTC, date, datetime

import pytest

from pptracker.extensions import db
from pptracker.milestones.models import MilestoneStatus
from pptracker.projects.queries import get_project
from pptracker.reports import (
    portfolio_data,
    portfolio_report,
    project_data,
    project_report,
    spending_data,
    spending_report,
)
from pptracker.reports.version import DataVersion
from tests.reports.conftest import pdf_text

VERSION = DataVersion(seq=4242, hash="5e" * 32, at=datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC))
BASE_URL = "https://pptracker.example.org"

GOLDEN = {
    "project": "f786f9467d8c41e25783cfbb7297c6df339821fc3297feaa4511fad4ecffc244",
    "portfolio": "6185a5f1b15118b1c1bab9037ccbf7b0ba76ebfc5f7e7b4f72208cff92fd95ed",
    "spending": "f969345f70c0a3295f92a1b2286eed31f5248a484233826233c28abcfc08b1e4",
}


@pytest.fixture
def fixed_portfolio(
    app,
    make_party,
    make_project,
    make_contract,
    make_milestone,
    make_budget_line,
    make_transaction,
):
    authority = make_party("Υπουργείο Υποδομών")
    make_project(
        "thessaloniki-metro",
        title="Μετρό Θεσσαλονίκης — line 2",
        public_authority_id=authority.id,
        location="Θεσσαλονίκη",
        planned_start=date(2020, 1, 1),
        planned_end=date(2030, 12, 31),
        published=True,
    )
    make_project("kazan-bridge", title="Мост через Казанку", published=True, currency="RUB")
    make_contract("thessaloniki-metro", reference="TM-2020/1", value="850000000.00")
    make_milestone(
        "thessaloniki-metro",
        title="Financial close",
        code="financialClose",
        baseline_date=date(2021, 3, 1),
        actual_date=date(2021, 5, 15),
        status=MilestoneStatus.MET,
        percent_complete=100,
        planned_value="1000000.00",
    )
    make_milestone(
        "thessaloniki-metro",
        title="Tunnel breakthrough",
        type="delivery",
        baseline_date=date(2025, 6, 30),
        forecast_date=date(2026, 2, 1),
        percent_complete=60,
        planned_value="9000000.00",
    )
    line = make_budget_line("thessaloniki-metro", planned="12000000.00")
    make_transaction("thessaloniki-metro", amount="3500000.00", budget_line_id=line.id)
    with app.app_context():
        yield get_project("thessaloniki-metro")


def _hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_reports_of_fixed_data_are_byte_identical_to_the_golden_ones(app, fixed_portfolio):
    project = db.session.merge(fixed_portfolio)
    built = {
        "project": project_report.render(
            project_data.assemble(project, VERSION, base_url=BASE_URL)
        ),
        "portfolio": portfolio_report.render(portfolio_data.assemble(VERSION, base_url=BASE_URL)),
        "spending": spending_report.render(spending_data.assemble(project, VERSION)),
    }

    assert "Μετρό Θεσσαλονίκης" in pdf_text(built["project"])
    assert "Мост через Казанку" in pdf_text(built["portfolio"])
    hashes = {name: _hash(content) for name, content in built.items()}
    assert hashes == GOLDEN, f"new golden hashes: {hashes}"
