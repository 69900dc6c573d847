"""The operations overview: one page summing up every operations section."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.operations.models import KpiObservation, PerformanceFailure


def _operating_project(make_project, make_contract, manager=None):
    make_project("road-ops", published=True, managers=[manager] if manager else [])
    return make_contract("road-ops", start=date(2020, 2, 1), end=date(2040, 1, 31))


def _fail(app, contract, kpi_id):
    with app.app_context():
        observation = KpiObservation(
            kpi_id=kpi_id,
            project_id=contract.project_id,
            period_start=date(2025, 3, 1),
            period_end=date(2025, 3, 31),
            value=Decimal("96"),
            met=False,
            events=2,
            source="operator",
        )
        db.session.add(observation)
        db.session.flush()
        db.session.add(
            PerformanceFailure(
                project_id=contract.project_id,
                contract_id=contract.id,
                kpi_id=kpi_id,
                observation_id=observation.id,
                category="availability",
                period_start=date(2025, 3, 1),
                period_end=date(2025, 3, 31),
                events=2,
                penalty_contracted=Decimal("1000.00"),
                penalty_imposed=Decimal("1000.00"),
                penalty_paid=Decimal("0.00"),
                currency="EUR",
            )
        )
        db.session.commit()


def test_overview_sums_up_each_section(
    app,
    client,
    make_project,
    make_contract,
    make_kpi,
    make_scheduled_payment,
    make_tariff,
    make_demand_series,
):
    contract = _operating_project(make_project, make_contract)
    _fail(app, contract, make_kpi(contract))
    make_scheduled_payment(contract)
    make_tariff(contract, value="2.5000")
    make_demand_series(contract, years={2024: ("1000", "900")})

    page = client.get("/projects/road-ops/operations/").get_data(as_text=True)

    assert "1 KPI monitored" in page and "0 met" in page and "1 failed" in page
    assert "1,000.00" in page  # the penalty imposed
    assert "Toll, class 1" in page and "2.5000 EUR per trip" in page
    assert "Traffic" in page and "-10.0 %" in page
    assert "Remaining commitment" in page
    assert "1 payment differs from what was due" in page  # March 2025 ended, nothing paid


def test_overview_withholds_confidential_items_from_the_public(
    app, client, auth, make_user, make_project, make_contract, make_kpi, make_tariff
):
    manager = make_user(Role.MANAGER)
    contract = _operating_project(make_project, make_contract, manager)
    make_kpi(contract, confidential=True, confidential_reason="Under arbitration")
    make_tariff(
        contract,
        title="Secret offtake tariff",
        confidential=True,
        confidential_reason="Single offtaker price",
    )

    public = client.get("/projects/road-ops/operations/").get_data(as_text=True)
    assert "Secret offtake tariff" not in public and "Lane availability" not in public
    assert "Under arbitration" in public and "Single offtaker price" in public
    assert "No KPI recorded" in public

    auth.login(manager.email)
    own = client.get("/projects/road-ops/operations/").get_data(as_text=True)
    assert "Secret offtake tariff" in own and "1 KPI monitored" in own
    assert "Add" not in own or "Withheld" not in own


def test_overview_of_an_unpublished_project_is_hidden(client, make_project):
    make_project("quiet-ops")
    assert client.get("/projects/quiet-ops/operations/").status_code == 404


def test_overview_issues_the_same_number_of_statements_whatever_the_data(
    app,
    client,
    make_project,
    make_contract,
    make_kpi,
    make_scheduled_payment,
    make_tariff,
    make_demand_series,
):
    contract = _operating_project(make_project, make_contract)

    def statements() -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            assert client.get("/projects/road-ops/operations/").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)
        return count

    make_kpi(contract)
    make_tariff(contract)
    make_demand_series(contract, years={2024: ("1", "1")})
    make_scheduled_payment(contract)
    few = statements()
    for n in range(2, 6):
        make_kpi(contract, code=f"K-{n}")
        make_tariff(contract, code=f"T-{n}")
        make_demand_series(contract, name=f"Series {n}", years={2023: ("1", "2"), 2024: ("3", "4")})
        make_scheduled_payment(
            contract, period_start=date(2025, n, 1), period_end=date(2025, n, 28)
        )
    assert statements() == few
