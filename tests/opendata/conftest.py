"""Open data test helpers: the official OC4IDS validator, statement counts, a rich project.

The validator and the OC4IDS 0.9.5 schema are copied into ``oc4ids_standard/``
so the tests run on a clean clone, without network access (see its README).
"""

import importlib.util
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from pptracker.budgets.models import BudgetCategory, TransactionKind
from pptracker.budgets.services import (
    BudgetLineData,
    TransactionData,
    create_budget_line,
    record_transaction,
)
from pptracker.contracts import services as contract_services
from pptracker.contracts.models import AmendmentType, ContractStatus, PaymentMechanism
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.milestones.models import MilestoneStatus
from pptracker.milestones.services import MilestoneData, create_milestone
from pptracker.projects.queries import get_project
from tests.budgets.conftest import (  # noqa: F401 - fixtures shared with the budgets tests
    make_contract,
    make_milestone,
    make_transaction,
)

STANDARD = Path(__file__).parent / "oc4ids_standard"


def _load_validator():
    spec = importlib.util.spec_from_file_location(
        "validate_oc4ids_offline", STANDARD / "validate_oc4ids_offline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


validator = _load_validator()


def assert_valid_oc4ids(package: dict) -> None:
    """Fail unless the official validator (strict) accepts ``package``; print why if not."""
    result = validator.validate(json_data=package, schema_dir=str(STANDARD))
    summary = validator.summarize(result)
    if not validator.is_valid(result, strict=True):
        print(json.dumps(summary, indent=2, default=str))
    assert validator.is_valid(result, strict=True), summary
    # Closed code lists: nothing unknown, even where the schema has no enum.
    assert not result.get("additional_closed_codelist_values")


def count_statements(app, call) -> tuple[int, object]:
    """Run ``call()`` and return how many SQL statements it issued, and its result."""
    statements = []
    with app.app_context():
        engine = db.engine

    def listener(*_args):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        result = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements), result


def _document(project_id, title, **fields) -> Document:
    values = {
        "document_type": "contractSigned",
        "filename": "file.pdf",
        "media_type": "application/pdf",
        "size": 1234,
        "sha256": "0" * 64,
        "public": True,
    }
    values.update(fields)
    return Document(project_id=project_id, title=title, **values)


@dataclass
class Rich:
    """The rich project's code and the ids and figures the tests look for."""

    code: str
    public_contract: int
    secret_contract: int
    public_documents: tuple[int, ...]
    #: Text and figures that only withheld records hold.
    secrets: tuple[str, ...]


def build_rich_project(app, make_project, make_party, code="harbour-tunnel") -> Rich:
    """Create a published project with everything the export maps, confidential records too."""
    authority = make_party(
        "Harbour Authority",
        roles=("publicAuthority",),
        identifier_scheme="XX-GOV",
        identifier_id="HA-1",
        country="PT",
        street_address="1 Quay Street",
        locality="Porto",
        postal_code="4000-001",
        contact_name="Projects office",
        contact_email="projects@harbour.example.org",
        url="https://harbour.example.org",
    )
    spv = make_party("Tunnel SPV S.A.", roles=("privateParty",), country="PT")
    lender = make_party("Coastal Bank", roles=("lender",))
    funder = make_party("National Infrastructure Fund", roles=("funder",))
    procurer = make_party("Central Procurement Office", roles=("procuringEntity",))
    make_project(
        code,
        title="Harbour Tunnel",
        published=True,
        public_authority_id=authority.id,
        private_party_id=spv.id,
        description="A 2 km immersed tube tunnel under the harbour.",
        purpose="Take lorries out of the old town.",
        location="Porto harbour",
        latitude=41.14,
        longitude=-8.61,
        status="implementation",
        planned_start=date(2020, 1, 1),
        planned_end=date(2045, 12, 31),
        budget_amount=Decimal("850000000.00"),
    )
    with app.app_context():
        project = get_project(code)
        public = contract_services.create_contract(
            project,
            contract_services.ContractData(
                reference="HT-1",
                title="Harbour tunnel concession",
                description="Design, build, finance and operate the tunnel.",
                status=ContractStatus.ACTIVE,
                payment_mechanism=PaymentMechanism.GOVERNMENT_PAYS,
                nature=["design", "construction", "operation"],
                procurement_method="open",
                procurement_method_details="Competitive dialogue",
                number_of_tenderers=3,
                initial_value=Decimal("700000000.00"),
                currency="EUR",
                signature_date=date(2020, 3, 1),
                financial_close_date=date(2020, 6, 30),
                initial_start=date(2020, 7, 1),
                initial_end=date(2045, 6, 30),
                parties=[
                    (spv.id, "privateParty"),
                    (lender.id, "lender"),
                    (procurer.id, "procuringEntity"),
                    (authority.id, "buyer"),
                ],
            ),
        )
        secret = contract_services.create_contract(
            project,
            contract_services.ContractData(
                reference="HT-SIDE",
                title="Secret side letter on ventilation",
                status=ContractStatus.ACTIVE,
                payment_mechanism=PaymentMechanism.GOVERNMENT_PAYS,
                initial_value=Decimal("4444444.44"),
                currency="EUR",
                signature_date=date(2021, 1, 10),
                confidential=True,
                confidential_reason="Commercially sensitive pricing",
                parties=[(spv.id, "supplier")],
            ),
        )

        def amend(contract, when, **fields):
            values = {
                "amended_on": when,
                "type": AmendmentType.VALUE,
                "rationale": "Extra ventilation shaft required by the fire service",
                "approved_by": "Council of Ministers",
                "approved_on": when,
            }
            values.update(fields)
            return contract_services.add_amendment(
                contract, contract_services.AmendmentData(**values), recorder=None
            )

        amend(
            public,
            date(2021, 5, 1),
            new_value=Decimal("720000000.00"),
            description="Second ventilation shaft added.",
        )
        amend(
            public,
            date(2022, 2, 1),
            new_value=Decimal("733333333.33"),
            rationale="Hidden arbitration settlement with the builder",
            confidential=True,
            confidential_reason="Arbitration pending",
        )
        amend(
            public,
            date(2023, 4, 1),
            new_value=Decimal("750000000.00"),
            rationale="Steel prices indexed under clause 14",
        )
        amend(
            public,
            date(2023, 9, 1),
            type=AmendmentType.DURATION,
            new_end=date(2046, 6, 30),
            rationale="Archaeological finds stopped the works for a year",
        )
        amend(
            secret,
            date(2022, 1, 1),
            new_value=Decimal("4888888.88"),
            rationale="Secret uplift of the side letter",
        )
        approval = create_milestone(
            project,
            MilestoneData(
                title="Project approved",
                type="approval",
                code="projectApproval",
                baseline_date=date(2019, 11, 1),
                actual_date=date(2019, 11, 5),
                status=MilestoneStatus.MET,
                percent_complete=100,
            ),
            actor=None,
        )
        create_milestone(
            project,
            MilestoneData(
                title="Tunnel open to traffic",
                type="delivery",
                code="completion",
                contract_id=public.id,
                baseline_date=date(2025, 6, 30),
                forecast_date=date(2026, 6, 30),
                status=MilestoneStatus.IN_PROGRESS,
                percent_complete=40,
                weight=3,
                planned_value=Decimal("600000000.00"),
            ),
            actor=None,
        )
        create_milestone(
            project,
            MilestoneData(
                title="Toll plaza (dropped)",
                type="delivery",
                status=MilestoneStatus.CANCELLED,
            ),
            actor=None,
        )
        line = create_budget_line(
            project,
            BudgetLineData(
                code="CAP-01",
                name="Construction",
                category=BudgetCategory.CAPEX,
                planned_amount=Decimal("650000000.00"),
                funding_source_id=funder.id,
                start_date=date(2020, 1, 1),
                end_date=date(2026, 12, 31),
            ),
        )

        def pay(amount, **fields):
            values = {
                "kind": TransactionKind.PAYMENT,
                "transaction_date": date(2023, 3, 1),
                "amount": Decimal(amount),
                "currency": "EUR",
            }
            values.update(fields)
            return record_transaction(project, TransactionData(**values), actor=None)

        pay(
            "12500000.00",
            contract_id=public.id,
            budget_line_id=line.id,
            milestone_id=approval.id,
            payer_id=authority.id,
            payee_id=spv.id,
            reference="PC-001",
            description="Availability payment, March 2023",
        )
        pay(
            "250000.00",
            kind=TransactionKind.RECEIPT,
            payer_id=spv.id,
            payee_id=authority.id,
            description="Revenue share",
        )
        pay("5000000.00", kind=TransactionKind.COMMITMENT, payee_id=spv.id)
        pay("9999999.99", contract_id=secret.id, payer_id=authority.id, payee_id=spv.id)
        documents = [
            _document(project.id, "Signed concession agreement", contract_id=public.id),
            _document(
                project.id, "Environmental impact study", document_type="environmentalImpact"
            ),
            _document(
                project.id,
                "Confidential financial model",
                confidential=True,
                confidential_reason="Lender terms",
            ),
            _document(project.id, "Internal briefing note", public=False),
            _document(project.id, "Side letter scan", contract_id=secret.id),
        ]
        db.session.add_all(documents)
        db.session.commit()
        return Rich(
            code=code,
            public_contract=public.id,
            secret_contract=secret.id,
            public_documents=(documents[0].id, documents[1].id),
            secrets=(
                "Secret side letter on ventilation",
                "HT-SIDE",
                "4444444.44",
                "4888888.88",
                "Secret uplift of the side letter",
                "Hidden arbitration settlement with the builder",
                "733333333.33",
                "9999999.99",
                "Confidential financial model",
                "Internal briefing note",
                "Side letter scan",
                "Arbitration pending",
                "Commercially sensitive pricing",
            ),
        )


@pytest.fixture
def rich(app, make_project, make_party) -> Rich:
    """A published project with public and confidential contracts, amendments, money, documents."""
    return build_rich_project(app, make_project, make_party)


@pytest.fixture
def hidden(app, make_project, make_party):
    """An unpublished project and a deleted one, each with a contract; returns their codes."""
    make_project("hidden-harbour", title="Hidden harbour expansion")
    make_project("gone-bridge", title="Withdrawn bridge scheme", published=True)
    with app.app_context():
        for code in ("hidden-harbour", "gone-bridge"):
            contract_services.create_contract(
                get_project(code),
                contract_services.ContractData(
                    reference=f"{code}-C",
                    title=f"Concession of {code}",
                    status=ContractStatus.ACTIVE,
                    payment_mechanism=PaymentMechanism.USER_PAYS,
                    initial_value=Decimal("1000.00"),
                    currency="EUR",
                    signature_date=date(2021, 1, 1),
                ),
            )
        get_project("gone-bridge").is_deleted = True
        db.session.commit()
    return ("hidden-harbour", "gone-bridge")
