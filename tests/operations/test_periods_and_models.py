"""Period arithmetic, the contract-period check and the append-only tariff rates."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import periods
from pptracker.operations.models import Frequency, TariffRate


@pytest.mark.parametrize(
    ("frequency", "text", "start", "end"),
    [
        (Frequency.MONTHLY, "2025-03", date(2025, 3, 1), date(2025, 3, 31)),
        (Frequency.MONTHLY, "2024-2", date(2024, 2, 1), date(2024, 2, 29)),
        (Frequency.QUARTERLY, "2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        (Frequency.QUARTERLY, "2025q1", date(2025, 1, 1), date(2025, 3, 31)),
        (Frequency.HALF_YEARLY, "2025-H2", date(2025, 7, 1), date(2025, 12, 31)),
        (Frequency.YEARLY, "2030", date(2030, 1, 1), date(2030, 12, 31)),
    ],
)
def test_parse_gives_the_calendar_period(frequency, text, start, end):
    assert periods.parse(frequency, text) == (start, end)
    assert periods.parse(frequency, periods.label(frequency, start)) == (start, end)


@pytest.mark.parametrize(
    ("frequency", "text"),
    [
        (Frequency.MONTHLY, "2025-13"),
        (Frequency.MONTHLY, "2025-Q1"),
        (Frequency.QUARTERLY, "2025-Q5"),
        (Frequency.YEARLY, "1800"),
        (Frequency.YEARLY, ""),
        (Frequency.HALF_YEARLY, "March"),
    ],
)
def test_parse_refuses_what_is_not_a_period_of_the_frequency(frequency, text):
    with pytest.raises(DomainError) as error:
        periods.parse(frequency, text, field="period")
    assert error.value.field == "period"


def test_period_of_and_starts():
    assert periods.period_of(Frequency.QUARTERLY, date(2025, 5, 17)) == (
        date(2025, 4, 1),
        date(2025, 6, 30),
    )
    assert periods.is_period_start(Frequency.HALF_YEARLY, date(2025, 7, 1))
    assert not periods.is_period_start(Frequency.MONTHLY, date(2025, 7, 2))


def test_periods_outside_the_contract_are_refused(app, make_project, make_contract):
    make_project("ops-1")
    contract = make_contract("ops-1", start=date(2020, 2, 1), end=date(2040, 1, 31))
    with app.app_context():
        from pptracker.contracts.models import Contract

        contract = db.session.get(Contract, contract.id)
        periods.check_within_contract(contract, date(2020, 2, 1), date(2040, 1, 31), field="p")
        with pytest.raises(DomainError, match="outside the period of contract C-1"):
            periods.check_within_contract(contract, date(2020, 1, 1), date(2020, 1, 31), field="p")
        with pytest.raises(DomainError):
            periods.check_within_contract(contract, date(2041, 1, 1), field="p")
        periods.check_year_within_contract(contract, 2020)
        with pytest.raises(DomainError, match="2041 is outside"):
            periods.check_year_within_contract(contract, 2041)


def test_tariff_rates_are_append_only(app, make_project, make_contract, make_tariff):
    make_project("ops-2")
    tariff_id = make_tariff(make_contract("ops-2"))
    with app.app_context():
        rate = db.session.scalars(
            sa.select(TariffRate).where(TariffRate.tariff_id == tariff_id)
        ).one()
        for statement in (
            sa.update(TariffRate).where(TariffRate.id == rate.id).values(value=Decimal("9")),
            sa.delete(TariffRate).where(TariffRate.id == rate.id),
        ):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.get(TariffRate, rate.id).value == Decimal("2.5000")
