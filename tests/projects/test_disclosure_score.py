"""The disclosure score: each item's rule, what does not count, applicability, batching, page."""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.budgets.models import BudgetCategory, BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import (
    Allocation,
    Amendment,
    AmendmentType,
    CommitmentNature,
    CommitmentType,
    Contract,
    ContractParty,
    ContractStatus,
    FiscalCommitment,
    PaymentMechanism,
    RiskAllocation,
)
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.operations import models as ops
from pptracker.projects import disclosure_score
from pptracker.projects.disclosure_score import ITEMS, DisclosureScore, Item, ItemResult
from pptracker.projects.models import Project

D = Decimal
KEYS = [item.key for item in ITEMS]
STAGES = ("identification", "preparation", "procurement", "implementation", "operation")
STAGES += ("completion",)
#: Makes references, codes and names unique within a contract.
SERIAL = itertools.count(1)


# --- building a project row by row ----------------------------------------------------------


@dataclass
class World:
    """A project in operation with one bare public contract (no optional fact set)."""

    app: object
    project_id: int
    contract_id: int
    party_id: int

    def add(self, *rows) -> list[int]:
        with self.app.app_context():
            db.session.add_all(rows)
            db.session.commit()
            return [row.id for row in rows]

    def set_project(self, **fields) -> None:
        with self.app.app_context():
            project = db.session.get(Project, self.project_id)
            for name, value in fields.items():
                setattr(project, name, value)
            db.session.commit()

    def contract(self, **fields) -> int:
        """Add another contract (bare unless ``fields`` say otherwise); returns its id."""
        values = dict(
            project_id=self.project_id,
            reference=f"X-{next(SERIAL)}",
            title="Contract",
            status=ContractStatus.PRE_AWARD,
            payment_mechanism=PaymentMechanism.GOVERNMENT_PAYS,
            initial_value=D("1000.00"),
            currency="EUR",
        )
        values.update(fields)
        return self.add(Contract(**values))[0]

    def document(self, document_type: str, **fields) -> int:
        values = dict(
            project_id=self.project_id,
            title=f"A {document_type}",
            document_type=document_type,
            filename="file.pdf",
            media_type="application/pdf",
            size=10,
            sha256="0" * 64,
            public=True,
        )
        values.update(fields)
        return self.add(Document(**values))[0]

    def kpi(self, contract_id: int | None = None, **fields) -> int:
        values = dict(
            project_id=self.project_id,
            contract_id=contract_id or self.contract_id,
            code=f"K-{next(SERIAL)}",
            name="Lane availability",
            category=ops.FailureCategory.AVAILABILITY,
            unit=ops.KpiUnit.PERCENT,
            comparison=ops.Comparison.AT_LEAST,
            target=D("98"),
            frequency=ops.Frequency.MONTHLY,
            source=ops.KpiSource.OPERATOR,
        )
        values.update(fields)
        return self.add(ops.Kpi(**values))[0]

    def observation(self, kpi_id: int) -> int:
        return self.add(
            ops.KpiObservation(
                kpi_id=kpi_id,
                project_id=self.project_id,
                period_start=date(2024, 1, 1),
                period_end=date(2024, 1, 31),
                value=D("99"),
                met=True,
                source=ops.KpiSource.OPERATOR,
            )
        )[0]

    def failure(self, contract_id: int | None = None, kpi_id: int | None = None, **fields):
        values = dict(
            project_id=self.project_id,
            contract_id=contract_id or self.contract_id,
            kpi_id=kpi_id,
            category=ops.FailureCategory.AVAILABILITY,
            period_start=date(2024, 2, 1),
            period_end=date(2024, 2, 29),
            events=2,
            penalty_contracted=D("1000.00"),
            penalty_imposed=D("1000.00"),
            penalty_paid=D("0.00"),
            currency="EUR",
        )
        values.update(fields)
        return self.add(ops.PerformanceFailure(**values))[0]

    def amendment(self, contract_id: int | None = None, **fields) -> int:
        contract_id = contract_id or self.contract_id
        with self.app.app_context():
            number = 1 + db.session.scalar(
                sa.select(sa.func.count(Amendment.id)).where(Amendment.contract_id == contract_id)
            )
        values = dict(
            contract_id=contract_id,
            project_id=self.project_id,
            number=number,
            amended_on=date(2022, 5, 1),
            type=AmendmentType.SCOPE,
            rationale="New junction requested by the city.",
            approved_by="The board",
            approved_on=date(2022, 5, 1),
        )
        values.update(fields)
        return self.add(Amendment(**values))[0]

    def milestone(self, **fields) -> int:
        values = dict(project_id=self.project_id, title="Milestone", type="delivery")
        values.update(fields)
        return self.add(Milestone(**values))[0]

    def payment(self, **fields) -> int:
        values = dict(
            project_id=self.project_id,
            kind=TransactionKind.PAYMENT,
            transaction_date=date(2023, 3, 1),
            amount=D("100.00"),
            currency="EUR",
            rate=D(1),
            project_amount=D("100.00"),
        )
        values.update(fields)
        return self.add(Transaction(**values))[0]

    def tariff(self, contract_id: int | None = None, *, rate=True, **fields) -> int:
        values = dict(
            project_id=self.project_id,
            contract_id=contract_id or self.contract_id,
            code=f"T-{next(SERIAL)}",
            title="Toll, class 1",
            paid_by=ops.PaidBy.USER,
            unit="per trip",
            currency="EUR",
        )
        values.update(fields)
        tariff = ops.Tariff(**values)
        if rate:
            tariff.rates.append(
                ops.TariffRate(
                    project_id=self.project_id,
                    effective_from=date(2021, 1, 1),
                    value=D("2.5"),
                    reason="Contract tariff",
                )
            )
        return self.add(tariff)[0]

    def demand(self, *, actual="1000", **fields) -> int:
        values = dict(
            project_id=self.project_id,
            contract_id=self.contract_id,
            metric=ops.Metric.DEMAND,
            name=f"Traffic {next(SERIAL)}",
            unit="vehicle-trips",
        )
        values.update(fields)
        series = ops.DemandSeries(**values)
        series.values.append(
            ops.DemandValue(
                project_id=self.project_id,
                year=2024,
                forecast=D("900"),
                actual=None if actual is None else D(actual),
            )
        )
        return self.add(series)[0]

    def update(self, model, row_id: int, **fields) -> None:
        with self.app.app_context():
            row = db.session.get(model, row_id)
            for name, value in fields.items():
                setattr(row, name, value)
            db.session.commit()

    def score(self) -> DisclosureScore:
        with self.app.app_context():
            return disclosure_score.score(db.session.get(Project, self.project_id))

    def disclosed(self) -> set[str]:
        """Keys published (whether or not they apply)."""
        return {r.item.key for r in self.score().results if r.disclosed}

    def result(self, key: str) -> ItemResult:
        return next(r for r in self.score().results if r.item.key == key)


@pytest.fixture
def world(app, make_project, make_party):
    funder = make_party("National Infrastructure Bank", roles=("funder",))
    project = make_project("road", status="maintenance", budget_amount=None)
    w = World(app, project.id, 0, funder.id)
    w.contract_id = w.contract(reference="C-1")
    return w


# --- the list -----------------------------------------------------------------------------


def test_items_are_one_list_of_unique_keys_with_a_rule_each():
    assert len(KEYS) == len(set(KEYS))
    assert 20 <= len(ITEMS) <= 35
    assert set(disclosure_score._RULES) == set(KEYS)
    for item in ITEMS:
        assert item.stage in STAGES
        assert item.title and item.basis and item.where
    # Shown in lifecycle order.
    order = [STAGES.index(i.stage) for i in ITEMS]
    assert order == sorted(order)


def test_a_bare_project_publishes_only_its_required_fields(world):
    # Required by the form: name, sector, public authority; nothing else yet.
    assert world.disclosed() == {"title", "sector", "public_authority"}
    score = world.score()
    assert score.disclosed == 3
    assert [i.key for i in score.present] == ["title", "sector", "public_authority"]
    assert "budget" in [i.key for i in score.missing]


# --- each rule: the item turns published when the data appear ----------------------------

#: key → (adds the data, other keys allowed to turn published with it).
SETUPS: dict[str, tuple[Callable[[World], object], set[str]]] = {
    "description": (lambda w: w.set_project(description="A 40 km toll road."), set()),
    "purpose": (lambda w: w.set_project(purpose="Cut travel time."), set()),
    "location": (lambda w: w.set_project(location="Between A and B"), set()),
    "budget": (lambda w: w.set_project(budget_amount=D("5000000.00")), set()),
    "planned_period": (
        lambda w: w.set_project(planned_start=date(2020, 1, 1), planned_end=date(2045, 1, 1)),
        set(),
    ),
    "funding_sources": (
        lambda w: w.add(
            BudgetLine(
                project_id=w.project_id,
                code="CAP-01",
                name="Construction",
                category=BudgetCategory.CAPEX,
                planned_amount=D("10.00"),
                funding_source_id=w.party_id,
            )
        ),
        set(),
    ),
    "project_scope": (lambda w: w.document("projectScope"), set()),
    "environmental_impact": (lambda w: w.document("environmentalImpact"), set()),
    "land_settlement_impact": (lambda w: w.document("landAndSettlementImpact"), set()),
    "contract_price": (lambda w: w.contract(signature_date=date(2020, 1, 15)), set()),
    "procurement_method": (lambda w: w.contract(procurement_method="open"), set()),
    "tenderers": (lambda w: w.contract(number_of_tenderers=4), set()),
    "private_party": (lambda w: w.set_project(private_party_id=w.party_id), set()),
    "contract_period": (
        lambda w: w.contract(initial_start=date(2020, 2, 1), initial_end=date(2040, 1, 31)),
        set(),
    ),
    "signed_contract": (lambda w: w.document("contractSigned"), set()),
    "risk_allocation": (
        lambda w: w.add(
            RiskAllocation(
                contract_id=w.contract_id,
                project_id=w.project_id,
                category="construction",
                allocation=Allocation.PRIVATE,
            )
        ),
        set(),
    ),
    "fiscal_commitments": (
        lambda w: w.add(
            FiscalCommitment(
                project_id=w.project_id,
                type=CommitmentType.GUARANTEE,
                nature=CommitmentNature.CONTINGENT,
                max_exposure=D("1000.00"),
                currency="EUR",
            )
        ),
        set(),
    ),
    "payment_mechanism": (
        lambda w: w.add(
            ops.ScheduledPayment(
                project_id=w.project_id,
                contract_id=w.contract_id,
                type=ops.PaymentType.AVAILABILITY_PAYMENT,
                period_start=date(2025, 3, 1),
                period_end=date(2025, 3, 31),
                gross_amount=D("100.00"),
                currency="EUR",
            )
        ),
        set(),
    ),
    "milestones": (lambda w: w.milestone(baseline_date=date(2024, 1, 1)), set()),
    "financial_close": (lambda w: w.milestone(code="financialClose"), set()),
    "physical_progress": (lambda w: w.milestone(percent_complete=40), set()),
    "payments": (lambda w: w.payment(), set()),
    "kpi_results": (lambda w: w.observation(w.kpi()), set()),
    # A tariff is also how a user-pays contract pays the private party.
    "tariffs": (lambda w: w.tariff(), {"payment_mechanism"}),
    "demand_revenue": (lambda w: w.demand(), set()),
    "audit_evaluation": (lambda w: w.document("technicalAuditReport"), set()),
}


def test_every_item_has_a_setup_or_a_test_of_its_own():
    always = {"title", "sector", "public_authority"}  # required fields, tested below
    when_recorded = {"amendments", "performance_failures"}  # tested below
    assert set(SETUPS) | always | when_recorded == set(KEYS)


@pytest.mark.parametrize("key", list(SETUPS))
def test_an_item_turns_published_when_its_data_appear(world, key):
    setup, also = SETUPS[key]
    if key == "tariffs":
        world.update(Contract, world.contract_id, payment_mechanism=PaymentMechanism.USER_PAYS)
    before = world.disclosed()
    assert key not in before
    setup(world)
    after = world.disclosed()
    assert after - before == {key} | also
    result = world.result(key)
    assert result.applies and result.disclosed
    assert result.item in world.score().present


@pytest.mark.parametrize(
    ("key", "setup"),
    [
        ("location", lambda w: w.set_project(latitude=51.5, longitude=-0.1)),
        ("land_settlement_impact", lambda w: w.document("resettlementPlan")),
        ("signed_contract", lambda w: w.document("contractSummary")),
        ("audit_evaluation", lambda w: w.document("financialAuditReport")),
        ("audit_evaluation", lambda w: w.document("projectEvaluation")),
        ("physical_progress", lambda w: w.document("physicalProgressReport")),
        ("physical_progress", lambda w: w.milestone(status=MilestoneStatus.MET)),
        ("financial_close", lambda w: w.contract(financial_close_date=date(2020, 6, 1))),
        (
            "private_party",
            lambda w: w.add(
                ContractParty(contract_id=w.contract_id, party_id=w.party_id, role="privateParty")
            ),
        ),
        (
            "funding_sources",
            lambda w: w.add(
                ContractParty(contract_id=w.contract_id, party_id=w.party_id, role="lender")
            ),
        ),
        (
            "payment_mechanism",
            lambda w: w.tariff(),
        ),
        ("payments", lambda w: w.payment(contract_id=w.contract_id)),
    ],
)
def test_other_ways_an_item_is_published(world, key, setup):
    assert key not in world.disclosed()
    setup(world)
    assert key in world.disclosed()


def test_blank_text_is_not_published(world):
    world.set_project(description="   \n", purpose=" ", location=" ")
    assert not {"description", "purpose", "location"} & world.disclosed()


def test_half_a_planned_period_is_not_published(world):
    world.set_project(planned_start=date(2020, 1, 1))
    assert "planned_period" not in world.disclosed()


def test_a_milestone_without_progress_is_no_physical_progress(world):
    world.milestone(percent_complete=0, status=MilestoneStatus.IN_PROGRESS)
    assert "physical_progress" not in world.disclosed()


# --- only what the public can see counts --------------------------------------------------


def _confidential_contract(w: World, **fields) -> int:
    return w.contract(confidential=True, confidential_reason="Commercially sensitive", **fields)


def _deleted_contract(w: World, **fields) -> int:
    return w.contract(is_deleted=True, **fields)


#: (key, adds data the public cannot see)
HIDDEN = [
    ("project_scope", lambda w: w.document("projectScope", public=False)),
    (
        "project_scope",
        lambda w: w.document("projectScope", confidential=True, confidential_reason="Draft"),
    ),
    ("project_scope", lambda w: w.document("projectScope", is_deleted=True)),
    (
        "signed_contract",
        lambda w: w.document("contractSigned", contract_id=_confidential_contract(w)),
    ),
    ("signed_contract", lambda w: w.document("contractSigned", contract_id=_deleted_contract(w))),
    (
        "signed_contract",
        lambda w: w.document(
            "contractSigned",
            contract_id=w.contract_id,
            amendment_id=w.amendment(confidential=True, confidential_reason="Arbitration"),
        ),
    ),
    ("contract_price", lambda w: _confidential_contract(w, signature_date=date(2020, 1, 1))),
    ("contract_price", lambda w: _deleted_contract(w, signature_date=date(2020, 1, 1))),
    ("procurement_method", lambda w: _confidential_contract(w, procurement_method="open")),
    ("tenderers", lambda w: _deleted_contract(w, number_of_tenderers=3)),
    (
        "contract_period",
        lambda w: _confidential_contract(
            w, initial_start=date(2020, 1, 1), initial_end=date(2030, 1, 1)
        ),
    ),
    (
        "private_party",
        lambda w: w.add(
            ContractParty(
                contract_id=_confidential_contract(w), party_id=w.party_id, role="privateParty"
            )
        ),
    ),
    (
        "funding_sources",
        lambda w: w.add(
            ContractParty(contract_id=_deleted_contract(w), party_id=w.party_id, role="lender")
        ),
    ),
    (
        "funding_sources",
        lambda w: w.add(
            BudgetLine(
                project_id=w.project_id,
                code="DEL",
                name="Deleted line",
                category=BudgetCategory.CAPEX,
                planned_amount=D("1.00"),
                funding_source_id=w.party_id,
                is_deleted=True,
            )
        ),
    ),
    (
        "risk_allocation",
        lambda w: w.add(
            RiskAllocation(
                contract_id=w.contract_id,
                project_id=w.project_id,
                category="revenue",
                allocation=Allocation.SHARED,
                confidential=True,
                confidential_reason="Under negotiation",
            )
        ),
    ),
    (
        "risk_allocation",
        lambda w: w.add(
            RiskAllocation(
                contract_id=_confidential_contract(w),
                project_id=w.project_id,
                category="revenue",
                allocation=Allocation.SHARED,
            )
        ),
    ),
    (
        "risk_allocation",
        lambda w: w.add(
            RiskAllocation(
                contract_id=w.contract_id,
                project_id=w.project_id,
                category="revenue",
                allocation=Allocation.SHARED,
                is_deleted=True,
            )
        ),
    ),
    (
        "fiscal_commitments",
        lambda w: w.add(
            FiscalCommitment(
                project_id=w.project_id,
                contract_id=_deleted_contract(w),
                type=CommitmentType.SUBSIDY,
                nature=CommitmentNature.DIRECT,
                max_exposure=D("1.00"),
                currency="EUR",
            )
        ),
    ),
    (
        "fiscal_commitments",
        lambda w: w.add(
            FiscalCommitment(
                project_id=w.project_id,
                type=CommitmentType.GUARANTEE,
                nature=CommitmentNature.CONTINGENT,
                max_exposure=D("1.00"),
                currency="EUR",
                confidential=True,
                confidential_reason="Cabinet decision pending",
            )
        ),
    ),
    (
        "payment_mechanism",
        lambda w: w.add(
            ops.ScheduledPayment(
                project_id=w.project_id,
                contract_id=w.contract_id,
                type=ops.PaymentType.SERVICE_PAYMENT,
                period_start=date(2025, 3, 1),
                period_end=date(2025, 3, 31),
                gross_amount=D("100.00"),
                currency="EUR",
                confidential=True,
                confidential_reason="Pricing",
            )
        ),
    ),
    ("milestones", lambda w: w.milestone(baseline_date=date(2024, 1, 1), is_deleted=True)),
    ("financial_close", lambda w: w.milestone(code="financialClose", is_deleted=True)),
    ("payments", lambda w: w.payment(contract_id=_confidential_contract(w))),
    ("payments", lambda w: w.payment(is_deleted=True)),
    ("payments", lambda w: w.payment(kind=TransactionKind.COMMITMENT)),
    (
        "kpi_results",
        lambda w: w.observation(w.kpi(confidential=True, confidential_reason="Pricing")),
    ),
    ("kpi_results", lambda w: w.observation(w.kpi(is_deleted=True))),
    ("kpi_results", lambda w: w.observation(w.kpi(contract_id=_confidential_contract(w)))),
    ("tariffs", lambda w: w.tariff(confidential=True, confidential_reason="Pricing")),
    ("tariffs", lambda w: w.tariff(rate=False)),
    ("tariffs", lambda w: w.tariff(contract_id=_deleted_contract(w))),
    ("demand_revenue", lambda w: w.demand(actual=None)),
    ("demand_revenue", lambda w: w.demand(confidential=True, confidential_reason="Traffic")),
    ("demand_revenue", lambda w: w.demand(is_deleted=True)),
]


@pytest.mark.parametrize(("key", "setup"), HIDDEN)
def test_what_the_public_cannot_see_does_not_count(world, key, setup):
    # User-pays, so that tariffs apply.
    world.update(Contract, world.contract_id, payment_mechanism=PaymentMechanism.HYBRID)
    setup(world)
    result = world.result(key)
    assert result.applies
    assert not result.disclosed


def test_a_confidential_contract_hides_its_scheduled_payments_and_tariffs(world):
    secret = _confidential_contract(world, payment_mechanism=PaymentMechanism.USER_PAYS)
    world.tariff(contract_id=secret)
    world.add(
        ops.ScheduledPayment(
            project_id=world.project_id,
            contract_id=secret,
            type=ops.PaymentType.AVAILABILITY_PAYMENT,
            period_start=date(2025, 3, 1),
            period_end=date(2025, 3, 31),
            gross_amount=D("100.00"),
            currency="EUR",
        )
    )
    assert not {"payment_mechanism", "tariffs"} & world.disclosed()
    # How a confidential contract is paid is withheld too, so it cannot make tariffs
    # due: the public's list of missing items would reveal it.
    assert not world.result("tariffs").applies


# --- applicability ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "stages"),
    [
        ("identification", {"identification"}),
        ("preparation", {"identification", "preparation"}),
        ("cancelled", {"identification", "preparation"}),
        ("implementation", {"identification", "preparation", "procurement", "implementation"}),
        (
            "completion",
            {"identification", "preparation", "procurement", "implementation", "completion"},
        ),
        ("maintenance", set(STAGES)),
        ("decommissioned", set(STAGES)),
    ],
)
def test_items_apply_by_project_status(world, status, stages):
    world.set_project(status=status)
    score = world.score()
    applying = {r.item.key for r in score.results if r.applies}
    # Items that also need something recorded, or a user-pays contract, do not apply here.
    conditional = {"amendments", "performance_failures", "tariffs"}
    expected = {i.key for i in ITEMS if i.stage in stages} - conditional
    assert applying == expected
    assert score.applicable == len(expected)


@pytest.mark.parametrize(
    ("mechanism", "status", "applies"),
    [
        (PaymentMechanism.USER_PAYS, "maintenance", True),
        (PaymentMechanism.HYBRID, "decommissioning", True),
        (PaymentMechanism.GOVERNMENT_PAYS, "maintenance", False),
        (PaymentMechanism.USER_PAYS, "implementation", False),
    ],
)
def test_tariffs_apply_to_user_pays_projects_in_operation(world, mechanism, status, applies):
    world.update(Contract, world.contract_id, payment_mechanism=mechanism)
    world.set_project(status=status)
    assert world.result("tariffs").applies is applies


def test_a_deleted_user_pays_contract_does_not_make_tariffs_apply(world):
    _deleted_contract(world, payment_mechanism=PaymentMechanism.USER_PAYS)
    assert not world.result("tariffs").applies


def test_amendments_apply_once_recorded_and_count_only_when_all_are_public(world):
    assert not world.result("amendments").applies
    world.amendment()
    assert world.result("amendments") == ItemResult(
        world.result("amendments").item, applies=True, disclosed=True
    )
    world.amendment(confidential=True, confidential_reason="Under arbitration")
    result = world.result("amendments")
    assert result.applies and not result.disclosed
    assert result.item in world.score().missing


def test_an_amendment_of_a_confidential_contract_is_not_published(world):
    world.amendment(contract_id=_confidential_contract(world))
    result = world.result("amendments")
    assert result.applies and not result.disclosed


def test_amendments_of_a_deleted_contract_are_left_out(world):
    withdrawn = world.contract()
    world.amendment(contract_id=withdrawn, confidential=True, confidential_reason="Secret")
    world.update(Contract, withdrawn, is_deleted=True)
    assert not world.result("amendments").applies


def test_amendments_do_not_apply_before_implementation(world):
    world.amendment()
    world.set_project(status="preparation")
    assert not world.result("amendments").applies


def test_performance_failures_apply_once_recorded_in_operation(world):
    assert not world.result("performance_failures").applies
    world.failure(kpi_id=world.kpi())
    assert world.result("performance_failures").applies
    assert world.result("performance_failures").disclosed
    world.failure(kpi_id=world.kpi(confidential=True, confidential_reason="Pricing"))
    assert not world.result("performance_failures").disclosed


def test_a_failure_of_a_confidential_contract_is_not_published(world):
    world.failure(contract_id=_confidential_contract(world))
    result = world.result("performance_failures")
    assert result.applies and not result.disclosed


def test_deleted_failures_and_failures_before_operation_do_not_apply(world):
    world.failure(is_deleted=True)
    assert not world.result("performance_failures").applies
    world.failure()
    world.set_project(status="implementation")
    assert not world.result("performance_failures").applies


def test_completion_items_apply_only_once_completed(world):
    world.document("projectEvaluation")
    world.set_project(status="implementation")
    result = world.result("audit_evaluation")
    # Published, but not yet due: it does not count.
    assert result.disclosed and not result.applies
    assert result.item not in world.score().present
    world.set_project(status="completion")
    assert world.result("audit_evaluation").item in world.score().present


# --- the score's arithmetic ---------------------------------------------------------------


def _made_up(*flags: tuple[bool, bool]) -> DisclosureScore:
    return DisclosureScore(
        tuple(
            ItemResult(Item(f"k{n}", f"Item {n}", "basis", "identification", "here"), a, d)
            for n, (a, d) in enumerate(flags)
        )
    )


@pytest.mark.parametrize(
    ("published", "applicable", "percent"),
    [(1, 3, 33), (2, 3, 67), (1, 8, 13), (5, 8, 63), (3, 8, 38), (0, 4, 0), (4, 4, 100)],
)
def test_percent_is_rounded_half_up(published, applicable, percent):
    flags = [(True, True)] * published + [(True, False)] * (applicable - published)
    # Items that do not apply never count, published or not.
    flags += [(False, True), (False, False)]
    score = _made_up(*flags)
    assert (score.disclosed, score.applicable, score.percent) == (published, applicable, percent)


def test_percent_is_none_when_nothing_applies():
    score = _made_up((False, True), (False, False))
    assert score.percent is None
    assert score.applicable == score.disclosed == 0
    assert score.missing == score.present == ()


def test_missing_and_present_keep_the_list_order():
    score = _made_up((True, False), (True, True), (False, False), (True, False), (True, True))
    assert [i.key for i in score.missing] == ["k0", "k3"]
    assert [i.key for i in score.present] == ["k1", "k4"]


def test_the_score_of_a_project(world):
    world.set_project(status="identification", description="A road.")
    score = world.score()
    # Name, description, sector, public authority of six identification items.
    assert (score.disclosed, score.applicable, score.percent) == (4, 6, 67)
    assert [i.key for i in score.missing] == ["purpose", "location"]


# --- many projects in one statement ---------------------------------------------------------


def _statements(app, call) -> int:
    count = 0

    def listener(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            call()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    return count


def test_scores_of_many_projects_take_one_statement(app, make_project, make_party):
    authority = make_party("Ministry")
    codes = [f"p{n}" for n in range(30)]
    for n, code in enumerate(codes):
        make_project(code, public_authority_id=authority.id, status="maintenance")
        if n % 2:
            w = World(app, 0, 0, authority.id)
            with app.app_context():
                w.project_id = db.session.scalar(sa.select(Project.id).where(Project.code == code))
            w.contract_id = w.contract(reference="C")
            w.document("projectScope")
            w.tariff(contract_id=w.contract_id)
            w.amendment(confidential=True, confidential_reason="Secret")

    def run(chosen: list[str]) -> int:
        found = {}

        def call():
            projects = db.session.scalars(
                sa.select(Project).where(Project.code.in_(chosen)).order_by(Project.code)
            ).all()
            # Expired instances (as after a commit) must not reload one by one.
            db.session.expire_all()
            found.update(disclosure_score.scores(projects))
            assert len(found) == len(chosen)

        statements = _statements(app, call) - 1  # the select of the projects
        with app.app_context():
            by_code = dict(db.session.execute(sa.select(Project.code, Project.id)).all())
        for code in chosen:
            result = {r.item.key: r for r in found[by_code[code]].results}
            odd = int(code[1:]) % 2 == 1
            assert result["project_scope"].disclosed is odd
            assert result["payment_mechanism"].disclosed is odd
            # The only amendment is confidential: due, and missing.
            assert result["amendments"].applies is odd
            assert not result["amendments"].disclosed
        return statements

    few, many = run(codes[:3]), run(codes)
    assert few == many <= 2


def test_scores_of_no_project_take_no_statement(app):
    assert _statements(app, lambda: disclosure_score.scores([])) == 0


# --- the staff page -----------------------------------------------------------------------


def test_the_project_page_shows_a_manager_the_missing_items(world, client, auth):
    manager = auth.login_as(Role.MANAGER)
    with world.app.app_context():
        from pptracker.projects.services import assign_managers

        assign_managers(db.session.get(Project, world.project_id), [manager.id])
        db.session.commit()
    world.set_project(status="preparation")
    world.document("projectScope")

    page = client.get("/manage/projects/road")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Proactive disclosure" in html
    score = world.score()
    assert (score.disclosed, score.applicable) == (4, 12)
    assert "4 of 12 items published (33 %)" in html
    assert "Items not published yet, and where to add them" in html
    missing = html.split("Items not published yet")[1].split("<details>")[0]
    assert "Environmental impact assessment" in missing
    shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", missing)
    assert "Documents → upload, type “Environmental impact”, public" in re.sub(
        r"<a [^>]*>(.*?)</a>", r"\1", shown
    )
    assert 'href="/manage/projects/road/edit"' in missing  # the manager may edit
    assert "Project scope" not in missing
    published = html.split("<details>")[1].split("</details>")[0]
    assert "Published items (4)" in published
    assert "Project scope" in published
    # Not yet due at preparation.
    assert "Contract price" not in html


def test_the_project_page_names_the_place_to_an_auditor_without_a_link(world, client, auth):
    auth.login_as(Role.AUDITOR)
    page = client.get("/manage/projects/road")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"3 of {world.score().applicable} items published" in html
    # An auditor may not edit the project: the place is named, not linked.
    assert 'href="/manage/projects/road/edit"' not in html
    assert "Edit project → Description" in html
