"""Risk allocation matrix and fiscal commitments with their totals."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.contracts.models import FiscalCommitment, RiskAllocation
from pptracker.extensions import db


@pytest.fixture
def contract(auth, make_project, make_contract):
    manager = auth.login_as(Role.MANAGER)
    make_project("harbour-bridge", managers=[manager], published=True, currency="EUR")
    return make_contract("harbour-bridge")


def test_risk_matrix(client, contract, app):
    base = f"/manage/projects/harbour-bridge/contracts/{contract.id}/risks"
    for category, allocation, text in [
        ("construction", "private", "Cost overruns"),
        ("landAvailability", "public", "Expropriation"),
        ("revenue", "shared", "Traffic risk"),
    ]:
        response = client.post(
            f"{base}/new",
            data={"category": category, "allocation": allocation, "description": text},
        )
        assert response.status_code == 302
    page = client.get(f"/projects/harbour-bridge/contracts/{contract.id}").get_data(as_text=True)
    matrix = page[page.index("Who bears each category of risk") :]
    assert matrix.index("Construction") < matrix.index("Cost overruns")
    assert "Land availability and site" in matrix and "Expropriation" in matrix
    with app.app_context():
        risk = db.session.scalar(
            sa.select(RiskAllocation).where(RiskAllocation.category == "revenue")
        )
    edited = client.post(
        f"{base}/{risk.id}/edit",
        data={
            "category": "revenue",
            "allocation": "private",
            "description": "Traffic risk",
            "version": risk.version,
        },
    )
    assert edited.status_code == 302
    client.post(f"{base}/{risk.id}/delete")
    with app.app_context():
        stored = db.session.get(RiskAllocation, risk.id)
        assert stored.allocation.value == "private" and stored.is_deleted


def test_bad_risk_is_refused(client, contract, app):
    response = client.post(
        f"/manage/projects/harbour-bridge/contracts/{contract.id}/risks/new",
        data={"category": "meteorites", "allocation": "private"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskAllocation)) == 0


def test_commitments_and_totals_per_currency(client, contract, app):
    for kind, nature, amount, currency in [
        ("guarantee", "contingent", "100.50", "EUR"),
        ("availabilityPayment", "direct", "200.25", "EUR"),
        ("subsidy", "direct", "50.00", "USD"),
    ]:
        response = client.post(
            "/manage/projects/harbour-bridge/commitments/new",
            data={
                "type": kind,
                "nature": nature,
                "max_exposure": amount,
                "currency": currency,
                "contract_id": str(contract.id),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = client.get("/projects/harbour-bridge/contracts/").get_data(as_text=True)
    totals = page[page.index("Totals of maximum exposure") :]
    assert "200.25" in totals and "100.50" in totals and "300.75" in totals
    assert "50.00" in totals
    with app.app_context():
        amounts = db.session.scalars(sa.select(FiscalCommitment.max_exposure)).all()
    assert sum(amounts) == Decimal("350.75")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_exposure": "-1"}, "at least 0"),
        ({"currency": "EURO"}, "Not a valid choice"),
        ({"start_date": "2030-01-01", "end_date": "2029-01-01"}, "The end cannot be before"),
        ({"nature": "maybe"}, "Not a valid choice"),
    ],
)
def test_bad_commitment_saves_nothing(client, contract, app, fields, message):
    data = {"type": "guarantee", "nature": "contingent", "max_exposure": "10", "currency": "EUR"}
    data.update(fields)
    response = client.post("/manage/projects/harbour-bridge/commitments/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FiscalCommitment)) == 0
