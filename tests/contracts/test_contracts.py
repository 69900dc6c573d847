"""Contracts: registering, editing, the signed terms that never change, and their pages."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.contracts.models import Contract
from pptracker.extensions import db


def _form(**overrides):
    data = {
        "reference": "HB-2024/01",
        "title": "Harbour Bridge concession",
        "status": "active",
        "payment_mechanism": "userPays",
        "nature": ["design", "operation"],
        "procurement_method": "open",
        "number_of_tenderers": "4",
        "signature_date": "2024-03-01",
        "financial_close_date": "2024-05-01",
        "initial_value": "250000000.00",
        "currency": "EUR",
        "initial_start": "2024-06-01",
        "initial_end": "2054-05-31",
    }
    data.update(overrides)
    return data


def _contracts(app):
    with app.app_context():
        return db.session.scalars(sa.select(Contract)).all()


@pytest.fixture
def managed(auth, make_project):
    """A signed-in manager and the project they manage."""
    manager = auth.login_as(Role.MANAGER)
    project = make_project("harbour-bridge", managers=[manager], published=True)
    return manager, project


def test_manager_registers_a_contract_with_parties(client, managed, make_party, app):
    _, project = managed
    spv = make_party("Harbour SPV", roles=["privateParty"])
    data = _form(
        **{
            "parties-0-party_id": str(spv.id),
            "parties-0-role": "privateParty",
            "parties-1-party_id": str(project.public_authority_id),
            "parties-1-role": "buyer",
        }
    )
    response = client.post("/manage/projects/harbour-bridge/contracts/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    (contract,) = _contracts(app)
    assert contract.initial_value == Decimal("250000000.00")
    assert contract.nature == ["design", "operation"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Harbour Bridge concession" in page and "Harbour SPV — privateParty" in page
    assert "250,000,000.00 EUR" in page
    with app.app_context():
        kinds = set(
            db.session.scalars(
                sa.select(AuditEvent.entity_type).where(AuditEvent.action == "create")
            )
        )
    assert {"Contract", "ContractParty"} <= kinds


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reference": ""}, "This field is required."),
        ({"initial_value": "-1"}, "at least 0"),
        ({"initial_value": "abc"}, "Not a valid decimal value"),
        ({"initial_end": "2020-01-01"}, "The end cannot be before the start."),
        ({"currency": "XYZ"}, "Not a valid choice"),
        ({"signature_date": "2999-01-01", "financial_close_date": ""}, "cannot be in the future"),
        ({"signature_date": ""}, "An active or closed contract has a signature date."),
        ({"financial_close_date": "2024-01-01"}, "Financial close cannot come before"),
        ({"number_of_tenderers": "-2"}, "at least 0"),
        ({"nature": ["teleportation"]}, "is not a valid choice"),
        ({"confidential": "y"}, "Say why this is confidential"),
        ({"parties-0-role": "buyer"}, "Give each party a role"),
    ],
)
def test_bad_contract_input_saves_nothing(client, managed, app, overrides, message):
    response = client.post("/manage/projects/harbour-bridge/contracts/new", data=_form(**overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body, body[body.find("There is a problem") :][:600]
    assert 'value="Harbour Bridge concession"' in body
    assert _contracts(app) == []


def test_duplicate_reference_is_refused(client, managed, make_contract, app):
    make_contract("harbour-bridge", reference="HB-2024/01")
    response = client.post("/manage/projects/harbour-bridge/contracts/new", data=_form())
    assert response.status_code == 400
    assert "already has a contract" in response.get_data(as_text=True)
    assert len(_contracts(app)) == 1


def test_signed_terms_cannot_be_edited_through_the_form(client, managed, make_contract, app):
    contract = make_contract("harbour-bridge", value="1000000.00")
    response = client.post(
        f"/manage/projects/harbour-bridge/contracts/{contract.id}/edit",
        data=_form(
            reference="C-1",
            initial_value="2000000.00",
            signature_date="2020-01-15",
            initial_start="2020-02-01",
            initial_end="2040-01-31",
            financial_close_date="",
            version=contract.version,
        ),
    )
    assert response.status_code == 400
    assert "Record an amendment" in response.get_data(as_text=True)
    assert _contracts(app)[0].initial_value == Decimal("1000000.00")


def test_other_details_of_a_signed_contract_can_be_edited(client, managed, make_contract, app):
    contract = make_contract("harbour-bridge", value="1000000.00")
    response = client.post(
        f"/manage/projects/harbour-bridge/contracts/{contract.id}/edit",
        data=_form(
            reference="C-1",
            title="Renamed",
            initial_value="1000000.00",
            signature_date="2020-01-15",
            initial_start="2020-02-01",
            initial_end="2040-01-31",
            financial_close_date="",
            version=contract.version,
        ),
    )
    assert response.status_code == 302
    assert _contracts(app)[0].title == "Renamed"


def test_database_refuses_to_overwrite_signed_terms(app, make_project, make_contract):
    make_project("harbour-bridge")
    contract = make_contract("harbour-bridge")
    with app.app_context():
        for statement in (
            "UPDATE contracts SET initial_value = 1 WHERE id = :id",
            "UPDATE contracts SET initial_end = '2099-01-01' WHERE id = :id",
            "UPDATE contracts SET signature_date = NULL WHERE id = :id",
        ):
            with pytest.raises(sa.exc.DatabaseError, match="never overwritten"):
                db.session.execute(sa.text(statement), {"id": contract.id})
            db.session.rollback()
        # Other columns stay editable.
        db.session.execute(
            sa.text("UPDATE contracts SET title = 'ok' WHERE id = :id"), {"id": contract.id}
        )
        db.session.commit()
    assert _contracts(app)[0].initial_value == Decimal("1000000.00")


def test_pre_award_estimate_can_be_corrected(client, managed, make_contract, app):
    contract = make_contract("harbour-bridge", signed=None, status="pre-award")
    response = client.post(
        f"/manage/projects/harbour-bridge/contracts/{contract.id}/edit",
        data=_form(
            reference="C-1",
            status="pre-award",
            signature_date="",
            financial_close_date="",
            initial_value="1500000.00",
            version=contract.version,
        ),
    )
    assert response.status_code == 302
    assert _contracts(app)[0].initial_value == Decimal("1500000.00")


def test_stale_contract_edit_is_refused(client, managed, make_contract, app):
    contract = make_contract("harbour-bridge")
    with app.app_context():
        db.session.get(Contract, contract.id).title = "Saved by a colleague"
        db.session.commit()
    response = client.post(
        f"/manage/projects/harbour-bridge/contracts/{contract.id}/edit",
        data=_form(
            reference="C-1",
            title="Mine",
            initial_value="1000000.00",
            signature_date="2020-01-15",
            initial_start="2020-02-01",
            initial_end="2040-01-31",
            financial_close_date="",
            version=contract.version,
        ),
    )
    assert response.status_code == 409
    assert _contracts(app)[0].title == "Saved by a colleague"


def test_soft_delete_keeps_history(client, managed, make_contract, app):
    contract = make_contract("harbour-bridge")
    client.post(f"/manage/projects/harbour-bridge/contracts/{contract.id}/delete")
    assert _contracts(app)[0].is_deleted
    assert client.get(f"/projects/harbour-bridge/contracts/{contract.id}").status_code == 404
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "Contract")
        ).all()
    assert actions == ["create", "delete"]


def test_auditor_reads_but_cannot_register(client, auth, make_project, make_contract):
    make_project("harbour-bridge")
    make_contract("harbour-bridge")
    auth.login_as(Role.AUDITOR)
    assert client.get("/projects/harbour-bridge/contracts/").status_code == 200
    assert (
        client.post("/manage/projects/harbour-bridge/contracts/new", data=_form()).status_code
        == 403
    )


def test_manager_of_another_project_cannot_edit(client, auth, make_project, make_contract):
    make_project("harbour-bridge", published=True)
    contract = make_contract("harbour-bridge")
    auth.login_as(Role.MANAGER)
    assert (
        client.get(f"/manage/projects/harbour-bridge/contracts/{contract.id}/edit").status_code
        == 403
    )
    make_project("hidden-one")
    assert client.get("/manage/projects/hidden-one/contracts/new").status_code == 404


def test_contract_history_includes_amendments(
    client, auth, make_project, make_contract, make_amendment
):
    make_project("harbour-bridge")
    contract = make_contract("harbour-bridge")
    make_amendment(contract.id, new_value="1200000.00")
    auth.login_as(Role.AUDITOR)
    page = client.get(f"/manage/projects/harbour-bridge/contracts/{contract.id}/history").get_data(
        as_text=True
    )
    assert "Created Contract C-1" in page and "Created Amendment" in page


def test_dates_on_the_page_are_the_contracts(client, managed, make_contract):
    contract = make_contract("harbour-bridge", start=date(2021, 1, 1), end=date(2031, 12, 31))
    page = client.get(f"/projects/harbour-bridge/contracts/{contract.id}").get_data(as_text=True)
    assert "2021-01-01 – 2031-12-31" in page
