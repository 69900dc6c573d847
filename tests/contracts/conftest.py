"""Contract factories."""

from datetime import date
from decimal import Decimal

import pytest

from pptracker.extensions import db


@pytest.fixture
def make_contract(app):
    """Register a contract on a project (by code); returns it detached."""

    def make(
        code,
        *,
        reference="C-1",
        signed=date(2020, 1, 15),
        value="1000000.00",
        start=date(2020, 2, 1),
        end=date(2040, 1, 31),
        confidential=False,
        reason=None,
        status="active",
        parties=(),
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
                    status=ContractStatus(status),
                    payment_mechanism=PaymentMechanism.HYBRID,
                    initial_value=Decimal(value),
                    currency="EUR",
                    nature=["construction"],
                    signature_date=signed,
                    initial_start=start,
                    initial_end=end,
                    confidential=confidential,
                    confidential_reason=reason,
                    parties=list(parties),
                ),
            )
            db.session.commit()
            db.session.refresh(contract)
            db.session.expunge(contract)
            return contract

    return make


@pytest.fixture
def make_amendment(app):
    """Append an amendment to a contract; returns its id."""

    def make(
        contract_id,
        *,
        kind="value",
        new_value=None,
        new_end=None,
        amended_on=date(2022, 5, 1),
        confidential=False,
        reason=None,
    ):
        from pptracker.contracts.models import AmendmentType, Contract
        from pptracker.contracts.services import AmendmentData, add_amendment

        with app.app_context():
            contract = db.session.get(Contract, contract_id)
            amendment = add_amendment(
                contract,
                AmendmentData(
                    amended_on=amended_on,
                    type=AmendmentType(kind),
                    rationale="Because.",
                    approved_by="The board",
                    approved_on=amended_on,
                    description="Scope changed." if kind == "scope" else "",
                    new_value=Decimal(new_value) if new_value else None,
                    new_end=new_end,
                    confidential=confidential,
                    confidential_reason=reason,
                ),
                recorder=None,
            )
            db.session.commit()
            return amendment.id

    return make
