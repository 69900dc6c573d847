"""Amendments: appended, never overwritten; the current terms are derived from them."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.contracts.models import Amendment, Contract
from pptracker.contracts.queries import terms
from pptracker.extensions import db


@pytest.fixture
def contract(auth, make_project, make_contract):
    manager = auth.login_as(Role.MANAGER)
    make_project("harbour-bridge", managers=[manager], published=True)
    return make_contract(
        "harbour-bridge", value="1000000.00", start=date(2020, 2, 1), end=date(2040, 1, 31)
    )


def _amend(client, contract, **fields):
    data = {
        "type": "value",
        "amended_on": "2023-04-01",
        "rationale": "Extra works asked for.",
        "approved_by": "Board",
        "approved_on": "2023-04-01",
    }
    data.update(fields)
    return client.post(
        f"/manage/projects/harbour-bridge/contracts/{contract.id}/amendments/new", data=data
    )


def _terms(app, contract_id):
    with app.app_context():
        return terms(db.session.get(Contract, contract_id))


def test_value_then_duration_amendments(client, contract, app):
    assert _amend(client, contract, new_value="1180000.00").status_code == 302
    assert (
        _amend(
            client,
            contract,
            type="duration",
            new_end="2042-01-31",
            amended_on="2024-01-10",
            approved_on="2024-01-10",
        ).status_code
        == 302
    )
    with app.app_context():
        first, second = db.session.scalars(sa.select(Amendment).order_by(Amendment.number))
        assert (first.number, first.old_value, first.new_value) == (
            1,
            Decimal("1000000.00"),
            Decimal("1180000.00"),
        )
        assert (second.number, second.old_end, second.new_end) == (
            2,
            date(2040, 1, 31),
            date(2042, 1, 31),
        )
        stored = db.session.get(Contract, contract.id)
        assert stored.initial_value == Decimal("1000000.00")  # never overwritten
    current = _terms(app, contract.id)
    assert current.current_value == Decimal("1180000.00")
    assert current.value_change_percent == Decimal("18.0")
    assert current.duration_change_days == 731
    assert current.duration_change_percent == Decimal("10.0")
    page = client.get(f"/projects/harbour-bridge/contracts/{contract.id}").get_data(as_text=True)
    assert "1,180,000.00 EUR" in page and "+18.0 %" in page
    assert "+731 days" in page and "Extra works asked for." in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rationale": ""}, "This field is required."),
        ({"approved_by": ""}, "This field is required."),
        ({}, "A value amendment needs the new value."),
        ({"new_value": "1000000.00"}, "same as the current value"),
        ({"new_value": "-5"}, "at least 0"),
        ({"type": "duration"}, "needs the new end"),
        ({"type": "duration", "new_end": "2019-01-01"}, "The end cannot be before the start."),
        ({"type": "scope"}, "Describe the change of scope."),
        ({"new_value": "1", "amended_on": "2999-01-01"}, "cannot be in the future"),
        (
            {"new_value": "1", "amended_on": "2019-01-01", "approved_on": "2019-01-01"},
            "cannot predate the contract",
        ),
        ({"new_value": "1", "confidential": "y"}, "Say why this is confidential"),
    ],
)
def test_bad_amendments_save_nothing(client, contract, app, fields, message):
    response = _amend(client, contract, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Amendment)) == 0


def test_database_refuses_to_change_or_delete_an_amendment(app, contract, make_amendment):
    amendment_id = make_amendment(contract.id, new_value="1100000.00")
    with app.app_context():
        for statement in (
            "UPDATE amendments SET new_value = 1 WHERE id = :id",
            "UPDATE amendments SET rationale = 'rewritten' WHERE id = :id",
            "DELETE FROM amendments WHERE id = :id",
        ):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(sa.text(statement), {"id": amendment_id})
            db.session.rollback()
        amendment = db.session.get(Amendment, amendment_id)
        assert amendment.new_value == Decimal("1100000.00")


def test_confidentiality_of_an_amendment_can_change(client, contract, make_amendment, app):
    amendment_id = make_amendment(contract.id, new_value="1100000.00")
    url = (
        f"/manage/projects/harbour-bridge/contracts/{contract.id}/amendments/"
        f"{amendment_id}/confidentiality"
    )
    client.post(url, data={"confidential": "y", "confidential_reason": "Under arbitration"})
    with app.app_context():
        amendment = db.session.get(Amendment, amendment_id)
        assert amendment.confidential and amendment.confidential_reason == "Under arbitration"
    refused = client.post(
        url, data={"confidential": "y", "confidential_reason": ""}, follow_redirects=True
    )
    assert "Say why this is confidential" in refused.get_data(as_text=True)


def test_cumulative_change_over_several_value_amendments(app, contract, make_amendment):
    make_amendment(contract.id, new_value="1100000.00")
    make_amendment(contract.id, new_value="950000.00", amended_on=date(2023, 1, 1))
    current = _terms(app, contract.id)
    assert current.current_value == Decimal("950000.00")
    assert current.value_change == Decimal("-50000.00")
    assert current.value_change_percent == Decimal("-5.0")
