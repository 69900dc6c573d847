"""Milestone factories (and the contract ones they build on)."""

from datetime import date

import pytest

from pptracker.extensions import db


@pytest.fixture
def make_contract(app):
    """Register a signed contract on a project (by code); returns it detached."""

    def make(code, *, reference="C-1"):
        from decimal import Decimal

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
                    initial_value=Decimal("1000000.00"),
                    currency="EUR",
                    signature_date=date(2020, 1, 15),
                    initial_start=date(2020, 2, 1),
                    initial_end=date(2040, 1, 31),
                ),
            )
            db.session.commit()
            db.session.refresh(contract)
            db.session.expunge(contract)
            return contract

    return make


@pytest.fixture
def make_amendment(app):
    """Append a duration amendment to a contract; returns its id."""

    def make(contract_id, *, new_end=date(2042, 1, 31)):
        from pptracker.contracts.models import AmendmentType, Contract
        from pptracker.contracts.services import AmendmentData, add_amendment

        with app.app_context():
            amendment = add_amendment(
                db.session.get(Contract, contract_id),
                AmendmentData(
                    amended_on=date(2022, 5, 1),
                    type=AmendmentType.DURATION,
                    rationale="Delay in land acquisition.",
                    approved_by="The board",
                    approved_on=date(2022, 5, 1),
                    new_end=new_end,
                ),
                recorder=None,
            )
            db.session.commit()
            return amendment.id

    return make


@pytest.fixture
def make_milestone(app):
    """Add a milestone to a project (by code); returns its id."""

    def make(project_code, /, *, approve_as=None, **fields):
        from pptracker.milestones.services import (
            MilestoneData,
            approve_milestone,
            create_milestone,
        )
        from pptracker.projects.queries import get_project

        values = {"title": "Financial close", "type": "financing"}
        values.update(fields)
        with app.app_context():
            milestone = create_milestone(
                get_project(project_code), MilestoneData(**values), actor=None
            )
            if approve_as is not None:
                approve_milestone(milestone, approver=approve_as)
            db.session.commit()
            return milestone.id

    return make
