"""Budget pages: who sees and edits what, the forms, bad input, conflicts and audit."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.budgets.models import BudgetLine, Transaction
from pptracker.extensions import db

BASE = "/manage/projects/metro-line/budget"
NEW_LINE = f"{BASE}/lines/new"
NEW_TX = f"{BASE}/transactions/new"


def _line_form(**overrides):
    data = {
        "code": "CAP-01",
        "name": "Civil works",
        "category": "capex",
        "planned_amount": "1000.00",
        "funding_source_id": "",
        "start_date": "",
        "end_date": "",
    }
    data.update(overrides)
    return data


def _tx_form(**overrides):
    data = {
        "kind": "payment",
        "transaction_date": "2023-03-01",
        "amount": "100.00",
        "currency": "EUR",
        "rate": "",
        "budget_line_id": "",
        "contract_id": "",
        "milestone_id": "",
        "payer_id": "",
        "payee_id": "",
        "reference": "INV-1",
        "description": "",
    }
    data.update(overrides)
    return data


def _count(app, model):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.is_deleted.is_(False))
        )


@pytest.fixture
def managed(auth, make_project):
    """A signed-in manager and the published project they manage."""
    manager = auth.login_as(Role.MANAGER)
    project = make_project("metro-line", managers=[manager], published=True)
    return manager, project


def test_manager_adds_edits_and_deletes_a_line(client, managed, app):
    response = client.post(NEW_LINE, data=_line_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        line = db.session.scalar(sa.select(BudgetLine))
        line_id, version = line.id, line.version
        assert line.planned_amount == Decimal("1000.00")
    edit = f"{BASE}/lines/{line_id}/edit"
    assert client.get(edit).status_code == 200
    response = client.post(edit, data=_line_form(name="Civil works 1", version=version))
    assert response.status_code == 302
    assert client.post(f"{BASE}/lines/{line_id}/delete").status_code == 302
    assert _count(app, BudgetLine) == 0
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "BudgetLine")
        ).all()
        assert len(actions) == 3 and actions[0] == "create"


def test_zero_planned_amount_is_accepted(client, managed, app):
    assert client.post(NEW_LINE, data=_line_form(planned_amount="0")).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"planned_amount": "-1"}, "at least 0"),
        ({"planned_amount": ""}, "This field is required"),
        ({"planned_amount": "abc"}, "Not a valid decimal"),
        ({"start_date": "2024-02-01", "end_date": "2024-01-01"}, "before the start date"),
        ({"planned_amount": "1.001"}, "two decimals"),
    ],
)
def test_bad_line_input_is_shown_beside_the_field(client, managed, app, overrides, message):
    response = client.post(NEW_LINE, data=_line_form(**overrides))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and "invalid-feedback" in body
    assert _count(app, BudgetLine) == 0


def test_manager_records_a_foreign_currency_payment(client, managed, app):
    response = client.post(NEW_TX, data=_tx_form(currency="USD", rate="1.23456789", amount="0.01"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        tx = db.session.scalar(sa.select(Transaction))
        assert (tx.amount, tx.rate, tx.project_amount) == (
            Decimal("0.01"),
            Decimal("1.23456789"),
            Decimal("0.01"),
        )
    page = client.get("/projects/metro-line/budget/transactions")
    assert page.status_code == 200 and "INV-1" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"currency": "USD"}, "give the rate to EUR"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "-10.00"}, "more than zero"),
        ({"amount": ""}, "This field is required"),
        ({"rate": "1.5"}, "the rate is 1"),
        ({"currency": "USD", "rate": "1.123456789"}, "8 decimals"),
        ({"transaction_date": "2999-01-01"}, "plausible"),
    ],
)
def test_bad_transaction_input_saves_nothing(client, managed, app, overrides, message):
    response = client.post(NEW_TX, data=_tx_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, Transaction) == 0


def test_edit_and_delete_a_transaction(client, managed, app, make_transaction):
    tx = make_transaction("metro-line", amount="10.00")
    edit = f"{BASE}/transactions/{tx.id}/edit"
    assert client.get(edit).status_code == 200
    response = client.post(edit, data=_tx_form(amount="25.50", version=tx.version))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Transaction, tx.id).project_amount == Decimal("25.50")
    assert client.post(f"{BASE}/transactions/{tx.id}/delete").status_code == 302
    assert _count(app, Transaction) == 0
    assert client.get(edit).status_code == 404


def test_optimistic_locking(client, managed, app, make_budget_line):
    line = make_budget_line("metro-line", code="A", planned="100.00")
    edit = f"{BASE}/lines/{line.id}/edit"
    assert (
        client.post(
            edit, data=_line_form(code="A", planned_amount="200.00", version=line.version)
        ).status_code
        == 302
    )
    stale = client.post(
        edit, data=_line_form(code="A", planned_amount="300.00", version=line.version)
    )
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "Someone else changed this record" in body and "Now saved as" in body
    with app.app_context():
        assert db.session.get(BudgetLine, line.id).planned_amount == Decimal("200.00")


def test_budget_page_shows_variance_and_earned_value(
    client, managed, make_budget_line, make_transaction
):
    line = make_budget_line("metro-line", code="A", name="Tunnels", planned="100.00")
    make_transaction("metro-line", kind="commitment", amount="150.00", budget_line_id=line.id)
    make_transaction("metro-line", kind="payment", amount="5.00")
    response = client.get("/projects/metro-line/budget/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Tunnels" in body and "Over-committed" in body
    assert "Committed exceeds planned by 50.00" in body
    assert "Not assigned to a budget line" in body
    assert "no milestone has a planned value" in body
    assert "Earned value divided by planned value" in body


def test_public_reads_budget_but_not_manage_pages(client, make_project, make_budget_line):
    make_project("metro-line", published=True)
    line = make_budget_line("metro-line")
    assert client.get("/projects/metro-line/budget/").status_code == 200
    assert client.get("/projects/metro-line/budget/transactions").status_code == 200
    assert client.get(NEW_LINE).status_code in (302, 401, 403)
    assert client.post(f"{BASE}/lines/{line.id}/delete").status_code in (302, 401, 403)


def test_draft_project_budget_is_not_found(client, make_project):
    make_project("metro-line", published=False)
    assert client.get("/projects/metro-line/budget/").status_code == 404


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.MANAGER])
def test_auditors_and_other_managers_cannot_edit(
    client, auth, make_project, make_user, make_budget_line, make_transaction, app, role
):
    owner = make_user(Role.MANAGER)
    make_project("metro-line", managers=[owner], published=True)
    line = make_budget_line("metro-line")
    tx = make_transaction("metro-line")
    auth.login_as(role)
    urls = [NEW_LINE, f"{BASE}/lines/{line.id}/edit", NEW_TX, f"{BASE}/transactions/{tx.id}/edit"]
    assert [client.get(url).status_code for url in urls] == [403] * 4
    assert client.post(NEW_LINE, data=_line_form(code="B")).status_code == 403
    assert client.post(NEW_TX, data=_tx_form()).status_code == 403
    assert client.post(f"{BASE}/lines/{line.id}/delete").status_code == 403
    assert client.post(f"{BASE}/transactions/{tx.id}/delete").status_code == 403
    assert _count(app, BudgetLine) == 1 and _count(app, Transaction) == 1
    page = client.get("/projects/metro-line/budget/")
    assert page.status_code == 200 and "New budget line" not in page.get_data(as_text=True)


def test_admin_may_edit_any_project(client, auth, make_project):
    make_project("metro-line", published=True)
    auth.login_as(Role.ADMIN)
    assert client.post(NEW_LINE, data=_line_form()).status_code == 302


def test_other_projects_records_are_not_found(
    client, managed, make_project, make_budget_line, make_transaction
):
    make_project("other", published=True)
    line = make_budget_line("other")
    tx = make_transaction("other")
    assert client.get(f"{BASE}/lines/{line.id}/edit").status_code == 404
    assert client.get(f"{BASE}/transactions/{tx.id}/edit").status_code == 404


def test_transactions_are_paginated_newest_first(client, managed, make_transaction):
    for day in range(1, 4):
        make_transaction("metro-line", reference=f"R-{day}", transaction_date=date(2023, 1, day))
    body = client.get("/projects/metro-line/budget/transactions").get_data(as_text=True)
    assert body.index("R-3") < body.index("R-2") < body.index("R-1")
    assert "3 in all" in body


def test_the_public_list_leaves_out_a_confidential_contracts_transactions(
    client, auth, make_project, make_contract, make_transaction, app
):
    manager = auth.make_user("manager")
    make_project("metro-line", published=True, managers=[manager])
    secret = make_contract("metro-line", reference="SECRET-1")
    make_transaction("metro-line", reference="INV-OPEN")
    make_transaction("metro-line", reference="INV-SECRET", contract_id=secret.id)
    with app.app_context():
        from pptracker.contracts.models import Contract

        db.session.get(Contract, secret.id).confidential = True
        db.session.commit()

    public = client.get("/projects/metro-line/budget/transactions").get_data(as_text=True)
    assert "INV-OPEN" in public and "INV-SECRET" not in public
    assert "Withheld: 1 transaction of a confidential contract" in public

    auth.login(manager.email)
    staff = client.get("/projects/metro-line/budget/transactions").get_data(as_text=True)
    assert "INV-OPEN" in staff and "INV-SECRET" in staff and "Withheld" not in staff
