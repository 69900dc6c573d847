"""Bulk project metrics: the same figures as the per-project functions, in fixed statements."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.budgets import queries as budget_queries
from pptracker.contracts import queries as contract_queries
from pptracker.extensions import db
from pptracker.milestones import queries as milestone_queries
from pptracker.milestones.models import MilestoneStatus
from pptracker.projects import metrics
from pptracker.projects.models import Project
from pptracker.projects.queries import get_project

D = Decimal


def _contract(project, reference, value, *, currency="EUR", confidential=False, deleted=False):
    from pptracker.contracts.models import ContractStatus, PaymentMechanism
    from pptracker.contracts.services import ContractData, create_contract, delete_contract

    contract = create_contract(
        project,
        ContractData(
            reference=reference,
            title=f"Contract {reference}",
            status=ContractStatus.ACTIVE,
            payment_mechanism=PaymentMechanism.HYBRID,
            initial_value=D(value),
            currency=currency,
            signature_date=date(2020, 1, 15),
            initial_start=date(2020, 2, 1),
            initial_end=date(2040, 1, 31),
            confidential=confidential,
            confidential_reason="Commercially sensitive" if confidential else None,
        ),
    )
    if deleted:
        delete_contract(contract)
    return contract


def _amend(contract, value, *, confidential=False):
    from pptracker.contracts.models import AmendmentType
    from pptracker.contracts.services import AmendmentData, add_amendment

    return add_amendment(
        contract,
        AmendmentData(
            amended_on=date(2022, 5, 1),
            type=AmendmentType.VALUE,
            rationale="Extra works",
            approved_by="Board",
            approved_on=date(2022, 5, 1),
            new_value=D(value),
            confidential=confidential,
            confidential_reason="Under arbitration" if confidential else None,
        ),
        recorder=None,
    )


def _milestone(project, title, **fields):
    from pptracker.milestones.services import MilestoneData, create_milestone

    return create_milestone(
        project, MilestoneData(title=title, type="delivery", **fields), actor=None
    )


def _line(project, code, planned):
    from pptracker.budgets.models import BudgetCategory
    from pptracker.budgets.services import BudgetLineData, create_budget_line

    return create_budget_line(
        project,
        BudgetLineData(
            code=code, name=f"Line {code}", category=BudgetCategory.CAPEX, planned_amount=D(planned)
        ),
    )


def _tx(
    project,
    kind,
    amount,
    *,
    line=None,
    currency=None,
    rate=None,
    day=date(2023, 3, 1),
    contract=None,
):
    from pptracker.budgets.models import TransactionKind
    from pptracker.budgets.services import TransactionData, record_transaction

    return record_transaction(
        project,
        TransactionData(
            kind=TransactionKind(kind),
            transaction_date=day,
            amount=D(amount),
            currency=currency or project.currency,
            rate=D(rate) if rate else None,
            budget_line_id=line.id if line else None,
            contract_id=contract.id if contract else None,
        ),
        actor=None,
    )


def build_rich(project) -> None:
    """Give ``project`` (EUR) every case the metrics must handle; the caller commits."""
    from pptracker.budgets.services import delete_budget_line, delete_transaction
    from pptracker.milestones.services import cancel_milestone, delete_milestone

    # Progress: (3×50 + 1×100 + 2×33) / 6 = 52.67 → 52.7; slippage max(2, 9) = 9.
    _milestone(
        project, "Leap-year slip", weight=3, percent_complete=50,
        baseline_date=date(2024, 2, 28), forecast_date=date(2024, 3, 1), planned_value=D("1000.01"),
    )  # fmt: skip
    _milestone(
        project, "Met late", weight=1, percent_complete=100, status=MilestoneStatus.MET,
        baseline_date=date(2023, 1, 1), actual_date=date(2023, 1, 10),
        forecast_date=date(2022, 12, 1), planned_value=D("333.33"),
    )  # fmt: skip
    _milestone(
        project, "No forecast", weight=2, percent_complete=33, baseline_date=date(2025, 6, 1)
    )
    cancelled = _milestone(
        project, "Cancelled", weight=5, percent_complete=10, planned_value=D("5000.00"),
        baseline_date=date(2020, 1, 1), forecast_date=date(2026, 1, 1),
    )  # fmt: skip
    cancel_milestone(cancelled, actor=None)
    deleted = _milestone(
        project, "Deleted", weight=10, percent_complete=0, planned_value=D("7000.00"),
        baseline_date=date(2020, 1, 1), forecast_date=date(2029, 1, 1),
    )  # fmt: skip
    delete_milestone(deleted, actor=None)

    # Planned 1,000.00 + 2,500.50 = 3,500.50 (the deleted line does not count).
    first = _line(project, "L-1", "1000.00")
    _line(project, "L-2", "2500.50")
    delete_budget_line(_line(project, "L-3", "999.00"))

    # Paid 100.00 + 225.22 (250.25 USD at 0.9, half to even) + 10.00 = 335.22: 9.6 % executed.
    _tx(project, "payment", "100.00", line=first, day=date(2023, 1, 5))
    _tx(project, "payment", "250.25", line=first, currency="USD", rate="0.9", day=date(2024, 6, 1))
    _tx(project, "payment", "10.00", day=date(2025, 1, 1))  # no line
    _tx(project, "commitment", "1000.00", line=first)
    _tx(project, "receipt", "50.00", line=first)
    delete_transaction(_tx(project, "payment", "999.99", line=first))

    # Public: EUR 1,200,000.00 and USD 300,000.00, two contracts withheld.
    _amend(_contract(project, "C-1", "1000000.00"), "1200000.00")
    _amend(_contract(project, "C-2", "500000.00"), "650000.00", confidential=True)
    _contract(project, "C-3", "300000.00", currency="USD")
    _contract(project, "C-4", "700000.00", confidential=True)
    _contract(project, "C-5", "50000.00", deleted=True)


def build_early(project) -> None:
    """A project whose only dated milestone is early and whose weights are all zero."""
    _milestone(
        project, "Early", weight=0, percent_complete=100, status=MilestoneStatus.MET,
        baseline_date=date(2024, 1, 10), actual_date=date(2024, 1, 5), planned_value=D("100.00"),
    )  # fmt: skip


@pytest.fixture
def three(app, make_project):
    """Three projects: every case, nothing at all, early and weightless. Returns their ids."""
    rich = make_project("rich", currency="EUR")
    empty = make_project("empty", currency="GBP")
    early = make_project("early", currency="USD")
    with app.app_context():
        build_rich(get_project("rich"))
        build_early(get_project("early"))
        db.session.commit()
    return rich.id, empty.id, early.id


def test_figures_of_every_case(app, three):
    rich, empty, early = three
    with app.app_context():
        found = metrics.project_metrics([rich, empty, early])
    r = found[rich]
    assert r.currency == "EUR"
    assert r.percent_complete == D("52.7")
    assert r.slippage_days == 9
    assert r.planned == D("3500.50")
    assert r.paid == D("335.22")
    assert r.committed == D("1000.00") and r.received == D("50.00")
    assert r.percent_executed == D("9.6")
    assert r.contract_values == (
        metrics.Amount(D("1200000.00"), "EUR"),
        metrics.Amount(D("300000.00"), "USD"),
    )
    assert r.contracts_withheld == 2

    e = found[empty]
    assert (e.currency, e.percent_complete, e.slippage_days) == ("GBP", None, None)
    assert (e.planned, e.paid, e.percent_executed) == (D("0.00"), D("0.00"), None)
    assert (e.contract_values, e.contracts_withheld) == ((), 0)

    x = found[early]
    assert x.percent_complete is None  # all weight zero
    assert x.slippage_days == -5


def test_auditors_see_every_live_contract_value(app, three):
    rich = three[0]
    with app.app_context():
        found = metrics.project_metrics([rich], hide_confidential=False)[rich]
    # 1,200,000 + 650,000 (confidential amendment) + 700,000 (confidential contract).
    assert found.contract_values == (
        metrics.Amount(D("2550000.00"), "EUR"),
        metrics.Amount(D("300000.00"), "USD"),
    )
    assert found.contracts_withheld == 0


def _expected_contract_values(project_id: int, *, hide: bool) -> dict[str, Decimal]:
    values: dict[str, Decimal] = {}
    for contract in contract_queries.contracts_of(project_id):
        if hide and contract.confidential:
            continue
        terms = contract_queries.terms(contract, hide_confidential=hide)
        if terms.current_value is not None:
            values[contract.currency] = values.get(contract.currency, D(0)) + terms.current_value
    return values


def test_figures_match_the_per_project_functions(app, three):
    with app.app_context():
        projects = db.session.scalars(sa.select(Project).order_by(Project.id)).all()
        for hide in (True, False):
            found = metrics.project_metrics(sa.select(Project.id), hide_confidential=hide)
            assert set(found) == {p.id for p in projects}
            for project in projects:
                m = found[project.id]
                milestones = milestone_queries.milestones_of(project.id)
                slips = [
                    milestone_queries.slippage_days(x)
                    for x in milestones
                    if x.status != MilestoneStatus.CANCELLED
                ]
                slips = [s for s in slips if s is not None]
                assert m.percent_complete == milestone_queries.physical_progress(milestones)
                assert m.slippage_days == (max(slips) if slips else None)
                assert m.planned == budget_queries.project_budget(project.id)
                total = budget_queries.variance(project).total
                assert m.total == total
                assert m.percent_executed == total.percent_executed
                assert {a.currency: a.amount for a in m.contract_values} == (
                    _expected_contract_values(project.id, hide=hide)
                )


def test_earned_values_match_earned_value(app, three):
    with app.app_context():
        for today in (date(2022, 12, 31), date(2023, 1, 5), date(2024, 3, 1), date(2035, 1, 1)):
            found = metrics.earned_values(list(three), today=today)
            for project_id in three:
                project = db.session.get(Project, project_id)
                assert found[project_id] == budget_queries.earned_value(project, today=today)


def test_earned_value_reasons_and_figures(app, three):
    rich, empty, _early = three
    with app.app_context():
        found = metrics.earned_values([rich, empty], today=date(2024, 3, 1))
    ev = found[rich]
    # Valued milestones: 1,000.01 (50 %) and 333.33 (100 %), both due by 2024-03-01.
    assert ev.bac == ev.pv == D("1333.34")
    assert ev.ev == D("833.335")
    assert ev.ac == D("100.00")  # the later payments are after "today"
    assert ev.spi == D("833.335") / D("1333.34") and ev.reasons == {}
    assert found[empty].reasons == dict.fromkeys(
        ("spi", "cpi", "eac", "vac"), budget_queries.NO_PLANNED_VALUES
    )


def test_ids_as_a_select_or_a_list(app, three):
    with app.app_context():
        as_list = metrics.project_metrics(list(three))
        as_select = metrics.project_metrics(sa.select(Project.id).where(Project.id.in_(three)))
        assert as_list == as_select
        assert metrics.project_metrics([]) == {}
        assert metrics.earned_values([], today=date(2024, 1, 1)) == {}
        assert metrics.project_metrics([999_999]) == {}


def _bulk_projects(app, n: int) -> list[int]:
    """Add ``n`` projects, each with a milestone, a line, a payment and a contract."""
    from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
    from pptracker.contracts.models import Contract, ContractStatus, PaymentMechanism
    from pptracker.milestones.models import Milestone
    from pptracker.projects.models import Party

    with app.app_context():
        authority = Party(name="Authority", roles=["publicAuthority"])
        db.session.add(authority)
        db.session.flush()
        ids = []
        for i in range(n):
            project = Project(
                code=f"bulk-{i}", title=f"Bulk {i}", sector="health", type="construction",
                status="implementation", ppp_model="BOT", currency="EUR",
                public_authority_id=authority.id, published=True,
            )  # fmt: skip
            db.session.add(project)
            db.session.flush()
            line = BudgetLine(
                project_id=project.id, code="L", name="L", category="capex",
                planned_amount=D("100.00"),
            )  # fmt: skip
            db.session.add_all(
                [
                    line,
                    Milestone(
                        project_id=project.id, title="M", type="delivery", weight=1,
                        percent_complete=40, baseline_date=date(2024, 1, 1),
                        forecast_date=date(2024, 2, 1), planned_value=D("50.00"),
                    ),
                    Contract(
                        project_id=project.id, reference="C", title="C",
                        status=ContractStatus.ACTIVE, payment_mechanism=PaymentMechanism.HYBRID,
                        initial_value=D("10.00"), currency="EUR",
                    ),
                ]
            )  # fmt: skip
            db.session.flush()
            db.session.add(
                Transaction(
                    project_id=project.id, budget_line_id=line.id, kind=TransactionKind.PAYMENT,
                    transaction_date=date(2024, 1, 1), amount=D("25.00"), currency="EUR",
                    rate=D(1), project_amount=D("25.00"),
                )
            )  # fmt: skip
            ids.append(project.id)
        db.session.commit()
        return ids


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


def test_statements_do_not_grow_with_the_number_of_projects(app):
    ids = _bulk_projects(app, 30)
    few, many = ids[:3], ids

    def run(chosen, expected: int):
        def call():
            found = metrics.project_metrics(chosen)
            assert len(found) == expected
            assert all(m.percent_executed == D("25.0") for m in found.values())
            assert all(m.slippage_days == 31 for m in found.values())
            values = metrics.earned_values(chosen, today=date(2025, 1, 1))
            assert all(v.ev == D("20.00") for v in values.values())

        return call

    small, large = _statements(app, run(few, 3)), _statements(app, run(many, 30))
    assert small == large == 3  # metrics: 2, earned values: 1
    assert _statements(app, run(sa.select(Project.id), 30)) == 3
