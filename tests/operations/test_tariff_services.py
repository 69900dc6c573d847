"""Tariff rules: the tariff table, rates appended in date order and never overwritten."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import tariff_queries
from pptracker.operations.models import PaidBy, Tariff, TariffRate
from pptracker.operations.tariff_services import (
    RateChange,
    TariffData,
    change_rate,
    create_tariff,
    delete_tariff,
    update_tariff,
)
from pptracker.projects.queries import get_project


@pytest.fixture
def contract(make_project, make_contract):
    make_project("toll-road", published=True)
    return make_contract("toll-road")


def _data(contract, **overrides):
    values = dict(
        contract_id=contract.id,
        code="T-CL1",
        title="Toll, class 1",
        paid_by=PaidBy.USER,
        unit="per trip",
        currency=None,
        payer_group="Cars and vans",
        setting_method="Bid in the tender",
        review_method="Yearly CPI indexation",
    )
    values.update(overrides)
    return TariffData(**values)


def _first(**overrides):
    values = dict(effective_from=date(2021, 1, 1), value="2.5000", reason="Contract schedule 7")
    values.update(overrides)
    return RateChange(**values)


def _rates(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TariffRate))


def test_create_tariff_with_its_first_rate_defaults_the_currency(app, contract):
    with app.app_context():
        tariff = create_tariff(
            get_project("toll-road"), _data(contract), _first(approved_by="Regulator"), actor=None
        )
        db.session.commit()
        assert tariff.currency == "EUR"
        assert [(r.effective_from, r.value, r.reason) for r in tariff.rates] == [
            (date(2021, 1, 1), Decimal("2.5000"), "Contract schedule 7")
        ]
        types = db.session.scalars(sa.select(AuditEvent.entity_type)).all()
    assert "Tariff" in types and "TariffRate" in types


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"code": " "}, "code", "tariff code"),
        ({"title": ""}, "title", "title"),
        ({"unit": ""}, "unit", "unit"),
        ({"currency": "XXY"}, "currency", "ISO 4217"),
        ({"confidential": True, "confidential_reason": ""}, "confidential_reason", "why"),
        ({"contract_id": 999}, "contract_id", "contracts"),
    ],
)
def test_invalid_tariffs_are_refused(app, contract, overrides, field, words):
    with app.app_context():
        with pytest.raises(DomainError) as error:
            create_tariff(
                get_project("toll-road"), _data(contract, **overrides), _first(), actor=None
            )
        db.session.rollback()
    assert error.value.field == field
    assert words in error.value.message
    assert _rates(app) == 0


def test_the_code_is_unique_per_contract(app, contract, make_tariff):
    make_tariff(contract, code="T-CL1")
    with app.app_context():
        with pytest.raises(DomainError, match="already used") as error:
            create_tariff(
                get_project("toll-road"), _data(contract, code="t-cl1"), _first(), actor=None
            )
    assert error.value.field == "code"


def test_a_contract_of_another_project_is_refused(app, contract, make_project, make_contract):
    make_project("other")
    other = make_contract("other", reference="O-1")
    with app.app_context():
        with pytest.raises(DomainError) as error:
            create_tariff(get_project("toll-road"), _data(other), _first(), actor=None)
    assert error.value.field == "contract_id"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"effective_from": date(2019, 12, 31)}, "effective_from", "outside the period"),
        ({"effective_from": date(2041, 1, 1)}, "effective_from", "outside the period"),
        ({"effective_from": date(2021, 1, 1)}, "effective_from", "2021-01-01"),
        ({"effective_from": date(2020, 6, 1)}, "effective_from", "date order"),
        ({"value": "-1"}, "value", "negative"),
        ({"value": "abc"}, "value", "wrong type"),
        ({"value": 2.75}, "value", "wrong type"),
        ({"value": "2.12345"}, "value", "4 decimals"),
        ({"value": "2.5"}, "value", "no change"),
        ({"reason": "  "}, "reason", "reason"),
        ({"amendment_id": 12345}, "amendment_id", "amendment of contract C-1"),
    ],
)
def test_bad_rate_changes_are_refused_and_change_nothing(
    app, contract, make_tariff, change, field, words
):
    tariff_id = make_tariff(contract)
    values = dict(effective_from=date(2022, 1, 1), value="2.7500", reason="CPI indexation")
    values.update(change)
    with app.app_context():
        tariff = db.session.get(Tariff, tariff_id)
        with pytest.raises(DomainError) as error:
            change_rate(tariff, RateChange(**values), actor=None)
        db.session.rollback()
    assert error.value.field == field
    assert words in error.value.message
    assert _rates(app) == 1


def test_changes_are_appended_and_the_history_is_never_overwritten(app, contract, make_tariff):
    tariff_id = make_tariff(contract)
    with app.app_context():
        tariff = db.session.get(Tariff, tariff_id)
        change_rate(
            tariff,
            RateChange(date(2022, 1, 1), "2.7500", "CPI indexation", "Regulator"),
            actor=None,
        )
        change_rate(
            tariff, RateChange(date(2023, 1, 1), Decimal("2.6"), "Renegotiation"), actor=None
        )
        db.session.commit()
        rates = db.session.scalars(
            sa.select(TariffRate)
            .where(TariffRate.tariff_id == tariff_id)
            .order_by(TariffRate.effective_from)
        ).all()
        assert [(r.value, r.reason) for r in rates] == [
            (Decimal("2.5000"), "Contract tariff"),
            (Decimal("2.7500"), "CPI indexation"),
            (Decimal("2.6000"), "Renegotiation"),
        ]
        history = tariff_queries.tariff_history(tariff_id, on=date(2022, 6, 1))
        assert history.value == Decimal("2.7500")
        assert history.in_force_since == date(2022, 1, 1)
        assert history.change_since_first_percent == Decimal("10.0")
        assert [r.change for r in history.history] == [None, Decimal("0.25"), Decimal("-0.15")]
        assert history.history[2].change_percent == Decimal("-5.5")
        assert history.history[1].approved_by == "Regulator"
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "TariffRate")
        ).all()
        assert [e.action for e in events] == ["create"] * 3  # the factory's, then two


def test_the_database_refuses_to_update_or_delete_a_rate(app, contract, make_tariff):
    make_tariff(contract)
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text("UPDATE tariff_rates SET value = '9'"))
        db.session.rollback()
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text("DELETE FROM tariff_rates"))
        db.session.rollback()
    assert _rates(app) == 1


def test_an_amendment_of_the_contract_may_be_named(app, contract, make_tariff):
    from pptracker.contracts.models import AmendmentType, Contract
    from pptracker.contracts.services import AmendmentData, add_amendment

    tariff_id = make_tariff(contract)
    with app.app_context():
        amendment = add_amendment(
            db.session.get(Contract, contract.id),
            AmendmentData(
                amended_on=date(2022, 5, 1),
                type=AmendmentType.SCOPE,
                rationale="Tariff rebalancing",
                description="Tariff schedule replaced",
                approved_by="Minister",
                approved_on=date(2022, 5, 1),
            ),
            recorder=None,
        )
        rate = change_rate(
            db.session.get(Tariff, tariff_id),
            RateChange(date(2022, 6, 1), "3", "Amendment 1", amendment_id=amendment.id),
            actor=None,
        )
        db.session.commit()
        assert rate.amendment_id == amendment.id
        history = tariff_queries.tariff_history(tariff_id)
        assert history.history[-1].amendment_number == amendment.number


def test_update_never_touches_rates_and_delete_is_soft(app, contract, make_tariff):
    tariff_id = make_tariff(contract)
    with app.app_context():
        tariff = db.session.get(Tariff, tariff_id)
        update_tariff(tariff, _data(contract, code="T-1", title="Toll, cars"))
        db.session.commit()
        assert tariff.title == "Toll, cars" and tariff.version == 2
        with pytest.raises(DomainError, match="stays with its contract"):
            update_tariff(tariff, _data(contract, contract_id=contract.id + 1, code="T-1"))
        db.session.rollback()
        delete_tariff(db.session.get(Tariff, tariff_id))
        db.session.commit()
        assert db.session.get(Tariff, tariff_id).is_deleted
        table = tariff_queries.tariff_table(
            contract.project_id, on=date(2025, 1, 1), hide_confidential=False
        )
        assert table.rows == []
    assert _rates(app) == 1


def test_the_table_gives_the_value_in_force_on_a_date(app, contract, make_tariff):
    first = make_tariff(contract, code="T-1")
    make_tariff(contract, code="T-2", effective_from=date(2030, 1, 1))
    with app.app_context():
        change_rate(
            db.session.get(Tariff, first), RateChange(date(2024, 1, 1), "3", "CPI"), actor=None
        )
        db.session.commit()
        table = tariff_queries.tariff_table(
            contract.project_id, on=date(2025, 1, 1), hide_confidential=False
        )
    by_code = {row.code: row for row in table.rows}
    assert by_code["T-1"].value == Decimal("3.0000")
    assert by_code["T-1"].in_force_since == date(2024, 1, 1)
    assert by_code["T-1"].change_since_first_percent == Decimal("20.0")
    assert not by_code["T-2"].in_force and by_code["T-2"].value is None


def test_the_public_table_withholds_confidential_tariffs_and_contracts(
    app, contract, make_tariff, make_contract
):
    make_tariff(contract, code="T-1")
    make_tariff(contract, code="T-SECRET", confidential=True, confidential_reason="Pricing")
    hidden = make_contract("toll-road", reference="C-2")
    make_tariff(hidden, code="T-X")
    with app.app_context():
        from pptracker.contracts.models import Contract

        row = db.session.get(Contract, hidden.id)
        row.confidential, row.confidential_reason = True, "Under negotiation"
        db.session.commit()
        public = tariff_queries.tariff_table(
            contract.project_id, on=date(2025, 1, 1), hide_confidential=True
        )
        insider = tariff_queries.tariff_table(
            contract.project_id, on=date(2025, 1, 1), hide_confidential=False
        )
    assert [r.code for r in public.rows] == ["T-1"]
    assert sorted(r.reason for r in public.redacted) == ["Pricing", "Under negotiation"]
    assert sorted(r.code for r in insider.rows) == ["T-1", "T-SECRET", "T-X"]
