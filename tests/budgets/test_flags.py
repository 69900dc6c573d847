"""Red flags: each rule raised by a case that breaks it and quiet on one that does not."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import Severity
from pptracker.budgets import flags
from pptracker.budgets.flags import FlagKind
from pptracker.extensions import db
from pptracker.projects.queries import get_project


@pytest.fixture
def amend(app):
    """Append a value and/or end amendment to a contract."""

    def make(contract_id, *, new_value=None, new_end=None, amended_on=date(2022, 5, 1)):
        from pptracker.contracts.models import AmendmentType, Contract
        from pptracker.contracts.services import AmendmentData, add_amendment

        with app.app_context():
            add_amendment(
                db.session.get(Contract, contract_id),
                AmendmentData(
                    amended_on=amended_on,
                    type=AmendmentType.VALUE if new_value else AmendmentType.DURATION,
                    rationale="Because.",
                    approved_by="The board",
                    approved_on=amended_on,
                    new_value=Decimal(new_value) if new_value else None,
                    new_end=new_end,
                ),
                recorder=None,
            )
            db.session.commit()

    return make


@pytest.fixture
def attach_evidence(app):
    """Attach a (metadata-only) evidence document to a milestone."""

    def attach(project_code, milestone_id, *, deleted=False):
        from pptracker.documents.models import Document

        with app.app_context():
            db.session.add(
                Document(
                    project_id=get_project(project_code).id,
                    milestone_id=milestone_id,
                    title="Completion certificate",
                    document_type="completionCertificate",
                    filename="certificate.pdf",
                    media_type="application/pdf",
                    size=10,
                    sha256="0" * 64,
                    is_deleted=deleted,
                )
            )
            db.session.commit()

    return attach


def _flags(app, code=None, kind=None):
    with app.app_context():
        found = flags.project_flags(get_project(code)) if code else flags.portfolio_flags()
    return [f for f in found if kind is None or f.kind == kind]


def _ids(app, **kwargs):
    with app.app_context():
        return flags.flagged_transaction_ids(**kwargs)


@pytest.fixture
def metro(make_project):
    return make_project("metro", currency="EUR")


# --- (a) beyond the budget line ------------------------------------------------------------


def test_payment_crossing_its_budget_line_is_flagged(
    app, metro, make_budget_line, make_transaction
):
    line = make_budget_line("metro", code="CAP-01", planned="1000.00")
    make_transaction(
        "metro", amount="600.00", budget_line_id=line.id, transaction_date=date(2023, 1, 10)
    )
    # Commitments do not count: only payments use up the line.
    make_transaction("metro", kind="commitment", amount="5000.00", budget_line_id=line.id)
    crossing = make_transaction(
        "metro",
        amount="500.00",
        budget_line_id=line.id,
        transaction_date=date(2023, 2, 10),
        reference="INV-7",
    )
    after = make_transaction(
        "metro", amount="50.00", budget_line_id=line.id, transaction_date=date(2023, 3, 10)
    )
    [flag] = _flags(app, "metro", FlagKind.OVER_BUDGET_LINE)
    assert flag.severity == Severity.HIGH
    assert flag.transaction_ids == (crossing.id,)
    assert "1,100.00 EUR" in flag.explanation and "100.00 EUR more" in flag.explanation
    assert "CAP-01" in flag.explanation and "INV-7" in flag.explanation
    assert [link.endpoint for link in flag.links] == ["budgets.transactions", "budgets.index"]
    assert crossing.id in _ids(app) and after.id not in _ids(app)


def test_payments_up_to_the_planned_amount_are_not_flagged(
    app, metro, make_budget_line, make_transaction
):
    line = make_budget_line("metro", planned="1000.00")
    make_transaction("metro", amount="600.00", budget_line_id=line.id)
    make_transaction("metro", amount="400.00", budget_line_id=line.id)
    assert _flags(app, "metro", FlagKind.OVER_BUDGET_LINE) == []


def test_foreign_currency_payment_counts_in_project_currency(
    app, metro, make_budget_line, make_transaction
):
    line = make_budget_line("metro", planned="1000.00")
    make_transaction(
        "metro", amount="900.00", currency="USD", rate="1.10000000", budget_line_id=line.id
    )  # 990.00 EUR
    assert _flags(app, "metro", FlagKind.OVER_BUDGET_LINE) == []
    tx = make_transaction(
        "metro", amount="20.00", budget_line_id=line.id, transaction_date=date(2023, 4, 1)
    )
    [flag] = _flags(app, "metro", FlagKind.OVER_BUDGET_LINE)
    assert flag.transaction_ids == (tx.id,) and "1,010.00 EUR" in flag.explanation


# --- (a) beyond the contract's current value ----------------------------------------------


def test_payment_crossing_the_contract_value_is_flagged(
    app, metro, make_contract, make_budget_line, make_transaction
):
    line = make_budget_line("metro", planned="10000000.00")
    contract = make_contract("metro", reference="MT-1", value="1000.00")
    make_transaction(
        "metro",
        amount="800.00",
        contract_id=contract.id,
        budget_line_id=line.id,
        transaction_date=date(2023, 1, 1),
    )
    tx = make_transaction(
        "metro",
        amount="300.00",
        contract_id=contract.id,
        budget_line_id=line.id,
        transaction_date=date(2023, 2, 1),
    )
    [flag] = _flags(app, "metro", FlagKind.OVER_CONTRACT_VALUE)
    assert flag.transaction_ids == (tx.id,)
    assert "MT-1" in flag.explanation and "1,100.00 EUR" in flag.explanation
    assert (
        "Contract MT-1",
        "contracts.detail",
        {"code": "metro", "contract_id": contract.id},
    ) in flag.links


def test_contract_value_is_the_amended_value(
    app, metro, make_contract, make_budget_line, make_transaction, amend
):
    line = make_budget_line("metro", planned="10000000.00")
    contract = make_contract("metro", value="1000.00")
    amend(contract.id, new_value="2000.00")
    make_transaction("metro", amount="800.00", contract_id=contract.id, budget_line_id=line.id)
    make_transaction("metro", amount="300.00", contract_id=contract.id, budget_line_id=line.id)
    assert _flags(app, "metro", FlagKind.OVER_CONTRACT_VALUE) == []
    amend(contract.id, new_value="1050.00")  # the latest amendment is the current value
    [flag] = _flags(app, "metro", FlagKind.OVER_CONTRACT_VALUE)
    assert "1,050.00 EUR" in flag.explanation


# --- (b) the same invoice twice -------------------------------------------------------------


def test_same_reference_for_one_payee_is_flagged(
    app, metro, make_party, make_budget_line, make_transaction
):
    line = make_budget_line("metro", planned="1000000.00")
    builder = make_party("Builder Ltd", roles=["privateParty"])
    first = make_transaction(
        "metro",
        payee_id=builder.id,
        reference="INV-001",
        budget_line_id=line.id,
        transaction_date=date(2023, 1, 5),
    )
    second = make_transaction(
        "metro",
        payee_id=builder.id,
        reference="  inv-001 ",
        budget_line_id=line.id,
        transaction_date=date(2023, 2, 5),
    )
    [flag] = _flags(app, "metro", FlagKind.DUPLICATE_INVOICE)
    assert flag.transaction_ids == (first.id, second.id)
    assert "Builder Ltd" in flag.explanation and "INV-001" in flag.explanation
    assert {first.id, second.id} <= _ids(app)


def test_same_reference_for_other_payees_or_receipts_is_not_flagged(
    app, metro, make_party, make_budget_line, make_transaction
):
    line = make_budget_line("metro", planned="1000000.00")
    one, two = make_party("One"), make_party("Two")
    make_transaction("metro", payee_id=one.id, reference="INV-1", budget_line_id=line.id)
    make_transaction("metro", payee_id=two.id, reference="INV-1", budget_line_id=line.id)
    make_transaction(
        "metro", kind="receipt", payee_id=one.id, reference="INV-1", budget_line_id=line.id
    )
    make_transaction("metro", payee_id=one.id, reference="INV-2", budget_line_id=line.id)
    assert _flags(app, "metro", FlagKind.DUPLICATE_INVOICE) == []


# --- (c) outside the contract's period ------------------------------------------------------


def test_payment_before_signature_or_after_end_is_flagged(
    app, metro, make_contract, make_budget_line, make_transaction
):
    line = make_budget_line("metro", planned="1000000.00")
    contract = make_contract("metro", end=date(2021, 12, 31))  # signed 2020-01-15
    early = make_transaction(
        "metro", contract_id=contract.id, budget_line_id=line.id, transaction_date=date(2020, 1, 5)
    )
    make_transaction(
        "metro", contract_id=contract.id, budget_line_id=line.id, transaction_date=date(2020, 1, 15)
    )
    make_transaction(
        "metro",
        contract_id=contract.id,
        budget_line_id=line.id,
        transaction_date=date(2021, 12, 31),
    )
    late = make_transaction(
        "metro", contract_id=contract.id, budget_line_id=line.id, transaction_date=date(2022, 1, 3)
    )
    found = _flags(app, "metro", FlagKind.OUTSIDE_CONTRACT_PERIOD)
    assert [f.transaction_ids for f in found] == [(early.id,), (late.id,)]
    assert "10 days before" in found[0].explanation
    assert "3 days after" in found[1].explanation


def test_payment_within_the_amended_period_is_not_flagged(
    app, metro, make_contract, make_budget_line, make_transaction, amend
):
    line = make_budget_line("metro", planned="1000000.00")
    contract = make_contract("metro", end=date(2021, 12, 31))
    make_transaction(
        "metro", contract_id=contract.id, budget_line_id=line.id, transaction_date=date(2022, 6, 1)
    )
    assert len(_flags(app, "metro", FlagKind.OUTSIDE_CONTRACT_PERIOD)) == 1
    amend(contract.id, new_end=date(2023, 12, 31))
    assert _flags(app, "metro", FlagKind.OUTSIDE_CONTRACT_PERIOD) == []


# --- (d) payments ahead of physical progress ------------------------------------------------


def test_payments_ahead_of_progress_are_flagged(
    app, metro, make_budget_line, make_transaction, make_milestone
):
    line = make_budget_line("metro", planned="1000.00")
    make_budget_line("metro", planned="1000.00")
    make_transaction("metro", amount="700.00", budget_line_id=line.id)  # 35 % of 2,000
    make_milestone("metro", percent_complete=20, weight=1, status="inProgress")
    make_milestone("metro", percent_complete=10, weight=3, status="inProgress")
    # A cancelled milestone does not count.
    make_milestone("metro", percent_complete=100, weight=5, status="cancelled")
    [flag] = _flags(app, "metro", FlagKind.PAYMENTS_AHEAD)
    # Progress (20×1 + 10×3) / 4 = 12.5 %; paid 35.0 %; 22.5 points ahead, > 2 × 10.
    assert flag.severity == Severity.HIGH
    assert "35.0 %" in flag.explanation and "12.5 %" in flag.explanation
    assert "22.5 percentage points" in flag.explanation


def test_payments_within_the_margin_are_not_flagged(
    app, metro, make_budget_line, make_transaction, make_milestone
):
    line = make_budget_line("metro", planned="1000.00")
    make_transaction("metro", amount="300.00", budget_line_id=line.id)  # 30 %
    make_milestone("metro", percent_complete=20, status="inProgress")  # exactly 10 points
    assert _flags(app, "metro", FlagKind.PAYMENTS_AHEAD) == []


def test_payments_ahead_margin_comes_from_the_config(
    app, metro, make_budget_line, make_transaction, make_milestone
):
    line = make_budget_line("metro", planned="1000.00")
    make_transaction("metro", amount="300.00", budget_line_id=line.id)
    make_milestone("metro", percent_complete=20, status="inProgress")
    app.config["PAYMENTS_AHEAD_MARGIN"] = 5
    [flag] = _flags(app, "metro", FlagKind.PAYMENTS_AHEAD)
    assert flag.severity == Severity.MEDIUM


# --- (e) amendments raising the value ---------------------------------------------------------


def test_amendments_raising_value_beyond_threshold_are_flagged(app, metro, make_contract, amend):
    contract = make_contract("metro", reference="MT-9", value="1000.00")
    amend(contract.id, new_value="1100.00")
    amend(contract.id, new_value="1160.00")  # cumulative: +16 %
    [flag] = _flags(app, "metro", FlagKind.AMENDMENT_VALUE)
    assert "16.0 %" in flag.explanation and "2 value amendments" in flag.explanation
    assert flag.links[0].endpoint == "contracts.detail"


def test_amendments_within_threshold_are_not_flagged(app, metro, make_contract, amend):
    contract = make_contract("metro", value="1000.00")
    amend(contract.id, new_value="1150.00")  # exactly 15 %: not more than
    other = make_contract("metro", reference="C-2", value="1000.00")
    amend(other.id, new_value="2000.00")
    amend(other.id, new_value="1100.00")  # raised then cut back: +10 % now
    assert _flags(app, "metro", FlagKind.AMENDMENT_VALUE) == []


# --- (f) milestones met without evidence ----------------------------------------------------


def test_met_milestone_without_evidence_is_flagged(app, metro, make_milestone, attach_evidence):
    met = make_milestone(
        "metro",
        title="Completion",
        status="met",
        percent_complete=100,
        actual_date=date(2023, 5, 1),
    )
    attach_evidence("metro", met, deleted=True)  # a deleted document is no evidence
    make_milestone("metro", title="Design", status="inProgress", percent_complete=50)
    [flag] = _flags(app, "metro", FlagKind.MILESTONE_NO_EVIDENCE)
    assert "Completion" in flag.explanation and "2023-05-01" in flag.explanation
    assert flag.links[0].args == {"code": "metro", "milestone_id": met}


def test_met_milestone_with_evidence_is_not_flagged(app, metro, make_milestone, attach_evidence):
    met = make_milestone("metro", status="met", percent_complete=100, actual_date=date(2023, 5, 1))
    attach_evidence("metro", met)
    assert _flags(app, "metro", FlagKind.MILESTONE_NO_EVIDENCE) == []


# --- (g) no budget line -----------------------------------------------------------------------


def test_transaction_without_budget_line_is_flagged(app, metro, make_budget_line, make_transaction):
    line = make_budget_line("metro")
    make_transaction("metro", budget_line_id=line.id)
    loose = make_transaction("metro", kind="commitment", amount="250.00")
    [flag] = _flags(app, "metro", FlagKind.NO_BUDGET_LINE)
    assert flag.transaction_ids == (loose.id,) and flag.severity == Severity.LOW
    assert "commitment" in flag.explanation and "250.00 EUR" in flag.explanation
    assert _ids(app) == {loose.id}


# --- scope and cost ---------------------------------------------------------------------------


def test_portfolio_and_project_scopes(app, make_project, make_transaction):
    make_project("one")
    make_project("two")
    deleted = make_project("gone")
    a = make_transaction("one")
    b = make_transaction("two")
    make_transaction("gone")
    with app.app_context():
        from pptracker.projects.services import delete_project

        delete_project(get_project("gone"))
        db.session.commit()
        assert {f.project_code for f in flags.portfolio_flags()} == {"one", "two"}
        assert flags.flagged_transaction_ids([get_project("one").id]) == {a.id}
        assert flags.flagged_transaction_ids() == {a.id, b.id}
    assert deleted.code == "gone"


def test_no_flags_on_a_clean_project(app, metro, make_budget_line, make_transaction):
    line = make_budget_line("metro", planned="1000.00")
    make_transaction("metro", amount="100.00", budget_line_id=line.id)
    assert _flags(app, "metro") == []


def test_flags_take_a_constant_number_of_queries(
    app, metro, make_budget_line, make_contract, make_party, make_milestone, make_transaction
):
    payee = make_party("Builder")
    contract = make_contract("metro", value="100.00")
    line = make_budget_line("metro", planned="100.00")
    make_milestone("metro", status="met", percent_complete=100, actual_date=date(2023, 1, 1))

    def count_queries():
        statements = []
        with app.app_context():
            project = get_project("metro")

            def listener(*_args):
                statements.append(1)

            sa.event.listen(db.engine, "before_cursor_execute", listener)
            try:
                found = flags.project_flags(project)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), found

    before, _ = count_queries()
    for n in range(12):
        make_transaction(
            "metro",
            amount="30.00",
            contract_id=contract.id,
            budget_line_id=line.id if n % 2 else None,
            payee_id=payee.id,
            reference=f"INV-{n % 3}",
            transaction_date=date(2019, 12, 1 + n),
        )
    after, found = count_queries()
    assert before == after == 9
    # (Scheduled payments are operations records: see tests/operations/test_payment_flags.py.)
    assert {f.kind for f in found} == set(FlagKind) - {
        FlagKind.AMENDMENT_VALUE,
        FlagKind.PAYMENT_MISMATCH,
    }


def test_rules_describe_every_kind(app):
    with app.app_context():
        described = flags.rules()
    assert list(described) == list(FlagKind)
    assert "10 percentage points" in described[FlagKind.PAYMENTS_AHEAD].rule
    assert "15 %" in described[FlagKind.AMENDMENT_VALUE].rule
