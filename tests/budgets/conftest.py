"""Budget factories (and the contract and milestone ones they build on)."""

from datetime import date
from decimal import Decimal

import pytest

from pptracker.extensions import db


@pytest.fixture
def make_contract(app):
    """Register a signed contract on a project (by code); returns it detached."""

    def make(
        code, *, reference="C-1", value="1000000.00", start=date(2020, 2, 1), end=date(2040, 1, 31)
    ):
        from pptracker.contracts.models import ContractStatus, PaymentMechanism
        from pptracker.contracts.services import ContractData, create_contract
        from pptracker.projects.queries import get_project

        with app.app_context():
            contract = create_contract(
                get_project(code),
                ContractData(
                    reference=reference,
                    title=f"Contract {reference}",
                    status=ContractStatus.ACTIVE,
                    payment_mechanism=PaymentMechanism.HYBRID,
                    initial_value=Decimal(value),
                    currency="EUR",
                    signature_date=date(2020, 1, 15),
                    initial_start=start,
                    initial_end=end,
                ),
            )
            db.session.commit()
            db.session.refresh(contract)
            db.session.expunge(contract)
            return contract

    return make


@pytest.fixture
def make_milestone(app):
    """Add a milestone to a project (by code); returns its id.

    ``planned_value`` may be given as a string; it becomes a Decimal.
    """

    def make(project_code, /, **fields):
        from pptracker.milestones.services import MilestoneData, create_milestone
        from pptracker.projects.queries import get_project

        values = {"title": "Financial close", "type": "financing"}
        values.update(fields)
        if isinstance(values.get("planned_value"), str):
            values["planned_value"] = Decimal(values["planned_value"])
        with app.app_context():
            milestone = create_milestone(
                get_project(project_code), MilestoneData(**values), actor=None
            )
            db.session.commit()
            return milestone.id

    return make


@pytest.fixture
def make_budget_line(app):
    """Add a budget line to a project (by code); returns it detached.

    ``planned`` may be a string or a Decimal.
    """
    counter = iter(range(1, 10_000))

    def make(
        project_code,
        /,
        *,
        code=None,
        name=None,
        category="capex",
        planned="1000.00",
        funding_source_id=None,
        start_date=None,
        end_date=None,
    ):
        from pptracker.budgets.models import BudgetCategory
        from pptracker.budgets.services import BudgetLineData, create_budget_line
        from pptracker.projects.queries import get_project

        n = next(counter)
        with app.app_context():
            line = create_budget_line(
                get_project(project_code),
                BudgetLineData(
                    code=code or f"L-{n:02d}",
                    name=name or f"Budget line {n}",
                    category=BudgetCategory(category),
                    planned_amount=Decimal(planned),
                    funding_source_id=funding_source_id,
                    start_date=start_date,
                    end_date=end_date,
                ),
            )
            db.session.commit()
            db.session.refresh(line)
            db.session.expunge(line)
            return line

    return make


@pytest.fixture
def make_transaction(app):
    """Record a transaction on a project (by code); returns it detached.

    ``amount`` and ``rate`` may be strings or Decimals; ``currency`` defaults
    to the project's, with rate 1.
    """

    def make(
        project_code,
        /,
        *,
        kind="payment",
        amount="100.00",
        currency=None,
        rate=None,
        transaction_date=date(2023, 3, 1),
        budget_line_id=None,
        contract_id=None,
        milestone_id=None,
        payer_id=None,
        payee_id=None,
        reference=None,
        description="",
    ):
        from pptracker.budgets.models import TransactionKind
        from pptracker.budgets.services import TransactionData, record_transaction
        from pptracker.projects.queries import get_project

        with app.app_context():
            project = get_project(project_code)
            tx = record_transaction(
                project,
                TransactionData(
                    kind=TransactionKind(kind),
                    transaction_date=transaction_date,
                    amount=Decimal(amount),
                    currency=currency or project.currency,
                    rate=Decimal(rate) if rate is not None else None,
                    budget_line_id=budget_line_id,
                    contract_id=contract_id,
                    milestone_id=milestone_id,
                    payer_id=payer_id,
                    payee_id=payee_id,
                    reference=reference,
                    description=description,
                ),
                actor=None,
            )
            db.session.commit()
            db.session.refresh(tx)
            db.session.expunge(tx)
            return tx

    return make
