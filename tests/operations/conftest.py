"""Operations factories: rows written straight through the models, for any slice's tests.

The contract, budget and milestone factories come from the budgets tests.
Each factory returns the new row's id.
"""

from datetime import date
from decimal import Decimal

import pytest

from pptracker.extensions import db
from tests.budgets.conftest import (  # noqa: F401 - fixtures shared with the budgets tests
    make_budget_line,
    make_contract,
    make_milestone,
    make_transaction,
)


def _add(app, row) -> int:
    with app.app_context():
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.fixture
def make_kpi(app):
    """Add a KPI to a contract; monthly availability, target at least 98 %, 500.00 per failure."""

    def make(contract, /, **fields):
        from pptracker.operations import models as m

        values = {
            "code": "AV-1",
            "name": "Lane availability",
            "category": m.FailureCategory.AVAILABILITY,
            "unit": m.KpiUnit.PERCENT,
            "comparison": m.Comparison.AT_LEAST,
            "target": Decimal("98"),
            "frequency": m.Frequency.MONTHLY,
            "source": m.KpiSource.OPERATOR,
            "deduction_rule": "500 per failure event (schedule 5, clause 3)",
            "deduction_basis": m.DeductionBasis.AMOUNT,
            "deduction_amount": Decimal("500.00"),
        }
        values.update(fields)
        return _add(app, m.Kpi(project_id=contract.project_id, contract_id=contract.id, **values))

    return make


@pytest.fixture
def make_scheduled_payment(app):
    """Add a scheduled availability payment of 100,000.00 for March 2025 to a contract."""

    def make(contract, /, **fields):
        from pptracker.operations import models as m

        values = {
            "type": m.PaymentType.AVAILABILITY_PAYMENT,
            "period_start": date(2025, 3, 1),
            "period_end": date(2025, 3, 31),
            "gross_amount": Decimal("100000.00"),
            "currency": contract.currency,
        }
        values.update(fields)
        return _add(
            app,
            m.ScheduledPayment(project_id=contract.project_id, contract_id=contract.id, **values),
        )

    return make


@pytest.fixture
def make_tariff(app):
    """Add a user-paid tariff to a contract with one rate (``value`` from ``effective_from``)."""

    def make(
        contract,
        /,
        *,
        value="2.5000",
        effective_from=date(2021, 1, 1),
        reason="Contract tariff",
        **fields,
    ):
        from pptracker.operations import models as m

        values = {
            "code": "T-1",
            "title": "Toll, class 1",
            "paid_by": m.PaidBy.USER,
            "payer_group": "Cars and vans",
            "unit": "per trip",
            "currency": contract.currency,
        }
        values.update(fields)
        tariff = m.Tariff(project_id=contract.project_id, contract_id=contract.id, **values)
        tariff.rates.append(
            m.TariffRate(
                project_id=contract.project_id,
                effective_from=effective_from,
                value=Decimal(value),
                reason=reason,
            )
        )
        return _add(app, tariff)

    return make


@pytest.fixture
def make_demand_series(app):
    """Add a demand series to a contract; ``years`` maps a year to (forecast, actual)."""

    def make(contract, /, *, years=None, **fields):
        from pptracker.operations import models as m

        values = {"metric": m.Metric.DEMAND, "name": "Traffic", "unit": "vehicle-trips"}
        values.update(fields)
        series = m.DemandSeries(project_id=contract.project_id, contract_id=contract.id, **values)
        for year, (forecast, actual) in (years or {}).items():
            series.values.append(
                m.DemandValue(
                    project_id=contract.project_id,
                    year=year,
                    forecast=None if forecast is None else Decimal(forecast),
                    actual=None if actual is None else Decimal(actual),
                )
            )
        return _add(app, series)

    return make
