"""Budget lines, transactions, variance and earned value: rules and exact money."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.budgets import money, queries, services
from pptracker.budgets.models import BudgetCategory, BudgetLine, Transaction, TransactionKind
from pptracker.database import today
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.milestones.models import MilestoneStatus
from pptracker.projects.queries import get_project

CODE = "metro-line"


@pytest.fixture
def project(make_project):
    return make_project(CODE, published=True)


def _line(**overrides):
    values = dict(
        code="CAP-01",
        name="Civil works",
        category=BudgetCategory.CAPEX,
        planned_amount=Decimal("1000.00"),
    )
    values.update(overrides)
    return services.BudgetLineData(**values)


def _tx(**overrides):
    values = dict(
        kind=TransactionKind.PAYMENT,
        transaction_date=date(2023, 3, 1),
        amount=Decimal("100.00"),
        currency="EUR",
    )
    values.update(overrides)
    return services.TransactionData(**values)


def _refused(data, field, match=None, *, line=False):
    if line:
        call = lambda: services.create_budget_line(get_project(CODE), data)  # noqa: E731
    else:
        call = lambda: services.record_transaction(get_project(CODE), data, actor=None)  # noqa: E731
    with pytest.raises(DomainError, match=match) as caught:
        call()
    assert caught.value.field == field
    db.session.rollback()


# --- money round trips --------------------------------------------------------------------


def test_decimal_round_trip_with_awkward_rate(app, project, make_transaction):
    tx = make_transaction(CODE, amount="0.01", currency="USD", rate="1.23456789")
    with app.app_context():
        db.session.expire_all()
        stored = db.session.get(Transaction, tx.id)
        assert stored.amount == Decimal("0.01") and isinstance(stored.amount, Decimal)
        assert stored.rate == Decimal("1.23456789")
        assert stored.project_amount == Decimal("0.01")  # 0.0123456789 rounded once
        assert stored.currency == "USD"


def test_large_amounts_round_trip(app, project, make_transaction, make_budget_line):
    big = "99999999999999.99"
    line = make_budget_line(CODE, planned=big)
    tx = make_transaction(CODE, amount=big, budget_line_id=line.id)
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(BudgetLine, line.id).planned_amount == Decimal(big)
        assert db.session.get(Transaction, tx.id).project_amount == Decimal(big)
        assert queries.project_budget(get_project(CODE).id) == Decimal(big)


def test_conversion_rounds_half_even_once(app, project, make_transaction):
    tx = make_transaction(CODE, amount="10.00", currency="USD", rate="0.12345000")
    assert tx.project_amount == Decimal("1.23")  # 1.2345 → 1.23 (half-even)
    assert money.convert(Decimal("10.00"), Decimal("0.12350000")) == Decimal("1.24")


def test_totals_equal_the_sum_of_rows(app, project):
    rng = random.Random(20261128)
    with app.app_context():
        p = get_project(CODE)
        line = services.create_budget_line(p, _line(planned_amount=Decimal("50000.00")))
        expected = {kind: Decimal("0.00") for kind in TransactionKind}
        unassigned_paid = Decimal("0.00")
        for i in range(1000):
            kind = list(TransactionKind)[i % 3]
            amount = Decimal(rng.randint(1, 9999)).scaleb(-2)
            rate = Decimal(rng.randint(1, 999_999_999)).scaleb(-8)
            on_line = i % 7 != 0
            tx = services.record_transaction(
                p,
                _tx(
                    kind=kind,
                    amount=amount,
                    currency="USD",
                    rate=rate,
                    budget_line_id=line.id if on_line else None,
                ),
                actor=None,
            )
            assert tx.project_amount == money.convert(amount, rate)
            if on_line:
                expected[kind] += tx.project_amount
            elif kind == TransactionKind.PAYMENT:
                unassigned_paid += tx.project_amount
        db.session.commit()
        db.session.expire_all()
        stored = db.session.scalars(sa.select(Transaction.project_amount)).all()
        assert len(stored) == 1000
        result = queries.variance(get_project(CODE))
        (row,) = result.rows
        assert row.committed == expected[TransactionKind.COMMITMENT]
        assert row.paid == expected[TransactionKind.PAYMENT]
        assert row.received == expected[TransactionKind.RECEIPT]
        assert result.unassigned.paid == unassigned_paid
        total = result.total
        assert total.committed + total.paid + total.received == sum(stored, Decimal("0.00"))
        assert total.paid == row.paid + result.unassigned.paid
        for value in (total.committed, total.paid, total.received):
            assert value == value.quantize(Decimal("0.01"))


# --- budget line rules --------------------------------------------------------------------


def test_create_update_delete_line_audited(app, project):
    with app.app_context():
        line = services.create_budget_line(get_project(CODE), _line())
        db.session.commit()
        services.update_budget_line(line, _line(name="Civil works, phase 1"))
        db.session.commit()
        services.delete_budget_line(line)
        db.session.commit()
        assert line.is_deleted
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "BudgetLine")
        ).all()
        assert {"create", "update"} <= set(actions)
        assert len(actions) >= 3
        assert queries.lines_of(get_project(CODE).id) == []


def test_line_rules(app, project, make_party):
    gone = make_party("Gone funder")
    with app.app_context():
        from pptracker.projects.models import Party

        db.session.get(Party, gone.id).is_deleted = True
        db.session.commit()
        services.create_budget_line(get_project(CODE), _line())
        db.session.commit()
        _refused(_line(), "code", "already used", line=True)
        _refused(_line(code="cap-01"), "code", "already used", line=True)
        _refused(_line(code=" "), "code", line=True)
        _refused(_line(code="X", name=""), "name", line=True)
        _refused(
            _line(code="X", planned_amount=Decimal("-0.01")),
            "planned_amount",
            "negative",
            line=True,
        )
        _refused(
            _line(code="X", planned_amount=Decimal("1.001")),
            "planned_amount",
            "two decimals",
            line=True,
        )
        _refused(_line(code="X", planned_amount=1.5), "planned_amount", "float", line=True)
        _refused(
            _line(code="X", start_date=date(2024, 1, 2), end_date=date(2024, 1, 1)),
            "end_date",
            "before the start",
            line=True,
        )
        _refused(_line(code="X", start_date=date(1900, 1, 1)), "start_date", "plausible", line=True)
        _refused(_line(code="X", funding_source_id=gone.id), "funding_source_id", line=True)
        # Zero is a valid plan.
        services.create_budget_line(get_project(CODE), _line(code="Z", planned_amount=Decimal(0)))


def test_line_with_live_transactions_cannot_be_deleted(
    app, project, make_budget_line, make_transaction
):
    line = make_budget_line(CODE)
    tx = make_transaction(CODE, budget_line_id=line.id)
    with app.app_context():
        stored = db.session.get(BudgetLine, line.id)
        with pytest.raises(DomainError, match="1 transaction is recorded"):
            services.delete_budget_line(stored)
        services.delete_transaction(db.session.get(Transaction, tx.id))
        services.delete_budget_line(stored)
        assert stored.is_deleted


def test_code_of_a_deleted_line_stays_taken(app, project, make_budget_line):
    line = make_budget_line(CODE, code="OLD")
    with app.app_context():
        services.delete_budget_line(db.session.get(BudgetLine, line.id))
        db.session.commit()
        _refused(_line(code="OLD"), "code", "deleted line", line=True)


# --- transaction rules --------------------------------------------------------------------


def test_record_transaction_and_audit(app, project, make_user):
    from pptracker.auth.models import Role

    manager = make_user(Role.MANAGER)
    with app.app_context():
        tx = services.record_transaction(
            get_project(CODE), _tx(reference=" INV-1 ", description=" Stage 1 "), actor=manager
        )
        db.session.commit()
        assert tx.rate == Decimal(1) and tx.project_amount == Decimal("100.00")
        assert tx.reference == "INV-1" and tx.description == "Stage 1"
        services.update_transaction(
            tx, _tx(amount=Decimal("50.00"), currency="USD", rate=Decimal("2")), actor=manager
        )
        db.session.commit()
        assert tx.project_amount == Decimal("100.00") and tx.currency == "USD"
        services.delete_transaction(tx)
        db.session.commit()
        with pytest.raises(DomainError, match="already been deleted"):
            services.delete_transaction(tx)
        with pytest.raises(DomainError, match="deleted"):
            services.update_transaction(tx, _tx(), actor=manager)
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "Transaction")
        ).all()
        assert [e.action for e in events][:1] == ["create"]
        assert len(events) == 3
        assert {"amount", "currency", "rate"} <= set(events[1].changes)


def test_transaction_rules(
    app, project, make_party, make_contract, make_milestone, make_project, make_budget_line
):
    other = make_project("other-project")
    foreign_line = make_budget_line(other.code)
    foreign_contract = make_contract(other.code, reference="X-1")
    foreign_milestone = make_milestone(other.code)
    gone = make_party("Gone payee")
    with app.app_context():
        from pptracker.projects.models import Party

        db.session.get(Party, gone.id).is_deleted = True
        db.session.commit()
        _refused(_tx(amount=Decimal("0")), "amount", "more than zero")
        _refused(_tx(amount=Decimal("-5.00")), "amount", "more than zero")
        _refused(_tx(amount=Decimal("1.005")), "amount", "two decimals")
        _refused(_tx(amount=1.5), "amount", "float")
        _refused(_tx(amount=Decimal("NaN")), "amount")
        _refused(_tx(currency="XXY"), "currency", "ISO 4217")
        _refused(_tx(currency="USD"), "rate", "give the rate to EUR")
        _refused(_tx(rate=Decimal("1.1")), "rate", "rate is 1")
        _refused(_tx(currency="USD", rate=Decimal("0")), "rate", "more than zero")
        _refused(_tx(currency="USD", rate=Decimal("-1")), "rate", "more than zero")
        _refused(_tx(currency="USD", rate=Decimal("1.123456789")), "rate", "8 decimals")
        _refused(_tx(currency="USD", rate=1.1), "rate", "float")
        _refused(
            _tx(amount=Decimal("0.01"), currency="JPY", rate=Decimal("0.0001")),
            "amount",
            "less than a cent",
        )
        _refused(_tx(transaction_date=date(1900, 1, 1)), "transaction_date", "plausible")
        _refused(_tx(transaction_date=today() + timedelta(days=1)), "transaction_date", "future")
        _refused(_tx(kind="refund"), "kind")
        _refused(_tx(budget_line_id=foreign_line.id), "budget_line_id", "this project")
        _refused(_tx(contract_id=foreign_contract.id), "contract_id", "this project")
        _refused(_tx(milestone_id=foreign_milestone), "milestone_id", "this project")
        _refused(_tx(payee_id=gone.id), "payee_id")
        _refused(_tx(payer_id=999_999), "payer_id")
        _refused(_tx(reference="R" * 81), "reference")
        assert db.session.scalar(sa.select(sa.func.count(Transaction.id))) == 0
        # Same currency, rate 1 given explicitly: fine; lower-case currency is cleaned.
        tx = services.record_transaction(
            get_project(CODE), _tx(currency="eur", rate=Decimal("1.00000000")), actor=None
        )
        assert tx.currency == "EUR" and tx.rate == 1


def test_links_within_the_project_are_accepted(
    app, project, make_party, make_contract, make_milestone, make_budget_line, make_transaction
):
    payer, payee = make_party("Ministry"), make_party("Builder", roles=("privateParty",))
    contract = make_contract(CODE)
    milestone_id = make_milestone(CODE)
    line = make_budget_line(CODE)
    tx = make_transaction(
        CODE,
        budget_line_id=line.id,
        contract_id=contract.id,
        milestone_id=milestone_id,
        payer_id=payer.id,
        payee_id=payee.id,
    )
    assert (tx.contract_id, tx.milestone_id, tx.payer_id) == (contract.id, milestone_id, payer.id)


# --- variance -----------------------------------------------------------------------------


def test_variance_per_line_and_total(app, project, make_budget_line, make_transaction):
    a = make_budget_line(CODE, code="A", planned="1000.00")
    b = make_budget_line(CODE, code="B", planned="500.00")
    make_budget_line(CODE, code="Z", planned="0.00")
    make_transaction(CODE, kind="commitment", amount="800.00", budget_line_id=a.id)
    make_transaction(CODE, kind="payment", amount="300.00", budget_line_id=a.id)
    make_transaction(CODE, kind="commitment", amount="600.00", budget_line_id=b.id)
    make_transaction(CODE, kind="payment", amount="550.00", budget_line_id=b.id)
    make_transaction(CODE, kind="receipt", amount="200.00", budget_line_id=b.id)
    make_transaction(CODE, kind="payment", amount="20.00")
    deleted = make_transaction(CODE, kind="payment", amount="9999.00", budget_line_id=a.id)
    with app.app_context():
        services.delete_transaction(db.session.get(Transaction, deleted.id))
        db.session.commit()
        result = queries.variance(get_project(CODE))
        ra, rb, rz = result.rows
        assert (ra.planned, ra.committed, ra.paid, ra.received) == (
            Decimal("1000.00"),
            Decimal("800.00"),
            Decimal("300.00"),
            Decimal("0.00"),
        )
        assert ra.remaining == Decimal("200.00")  # 1000 − max(800, 300)
        assert ra.percent_executed == Decimal("30.0")
        assert not ra.over_committed
        assert rb.remaining == Decimal("-100.00")  # 500 − max(600, 550)
        assert rb.over_committed and rb.received == Decimal("200.00")
        assert rb.percent_executed == Decimal("110.0")
        assert rz.percent_executed is None and rz.remaining == Decimal("0.00")
        assert result.over_committed_lines == [rb]
        assert result.unassigned.paid == Decimal("20.00") and result.unassigned.planned is None
        assert result.unassigned.remaining is None and not result.unassigned.over_committed
        total = result.total
        assert total.planned == Decimal("1500.00")
        assert total.committed == Decimal("1400.00")
        assert total.paid == Decimal("870.00")
        assert total.received == Decimal("200.00")
        assert total.remaining == Decimal("100.00")
        assert total.percent_executed == Decimal("58.0")
        assert queries.project_budget(get_project(CODE).id) == Decimal("1500.00")


def test_variance_of_an_empty_project(app, project):
    with app.app_context():
        result = queries.variance(get_project(CODE))
        assert result.rows == [] and result.unassigned is None
        assert result.total.planned == Decimal("0.00")
        assert result.total.percent_executed is None
        assert queries.project_budget(get_project(CODE).id) == Decimal("0.00")


# --- earned value -------------------------------------------------------------------------


def test_earned_value_figures(app, project, make_milestone, make_transaction):
    now = today()
    make_milestone(
        CODE,
        title="Design",
        baseline_date=now - timedelta(days=100),
        planned_value="1000.00",
        percent_complete=100,
        status=MilestoneStatus.MET,
        actual_date=now - timedelta(days=90),
    )
    make_milestone(
        CODE,
        title="Build",
        baseline_date=now - timedelta(days=10),
        planned_value="3000.00",
        percent_complete=50,
        status=MilestoneStatus.IN_PROGRESS,
    )
    make_milestone(
        CODE, title="Open", baseline_date=now + timedelta(days=300), planned_value="1000.00"
    )
    make_milestone(CODE, title="Dropped", planned_value="7777.00", status=MilestoneStatus.CANCELLED)
    make_milestone(CODE, title="Unvalued", baseline_date=now - timedelta(days=5))
    make_transaction(CODE, amount="2000.00", transaction_date=now - timedelta(days=20))
    make_transaction(CODE, amount="1000.00", transaction_date=now - timedelta(days=1))
    make_transaction(CODE, kind="commitment", amount="9000.00")
    with app.app_context():
        ev = queries.earned_value(get_project(CODE), today=now)
        assert ev.bac == Decimal("5000.00")
        assert ev.pv == Decimal("4000.00")
        assert ev.ev == Decimal("2500.00")
        assert ev.ac == Decimal("3000.00")
        assert ev.spi == Decimal("0.625")
        assert ev.cpi_display == Decimal("0.83")
        assert ev.eac == Decimal("5000.00") / (Decimal("2500.00") / Decimal("3000.00"))
        assert ev.eac.quantize(Decimal("0.01")) == Decimal("6000.00")
        assert ev.vac.quantize(Decimal("0.01")) == Decimal("-1000.00")
        assert ev.reasons == {}
        # Payments after "today" are not actual cost yet.
        earlier = queries.earned_value(get_project(CODE), today=now - timedelta(days=15))
        assert earlier.ac == Decimal("2000.00")


def test_earned_value_not_enough_data(app, project, make_milestone, make_transaction):
    now = today()
    with app.app_context():
        ev = queries.earned_value(get_project(CODE), today=now)
        assert ev.bac == ev.pv == ev.ev == ev.ac == Decimal("0.00")
        assert ev.spi is ev.cpi is ev.eac is ev.vac is None
        assert "no milestone has a planned value" in ev.reasons["spi"]
        assert set(ev.reasons) == {"spi", "cpi", "eac", "vac"}
    make_milestone(
        CODE, title="Later", baseline_date=now + timedelta(days=30), planned_value="1000.00"
    )
    with app.app_context():
        ev = queries.earned_value(get_project(CODE), today=now)
        assert ev.spi is None and "no planned value is due yet" in ev.reasons["spi"]
        assert ev.cpi is None and ev.reasons["cpi"] == queries.NO_PAYMENTS
        assert ev.eac is None and ev.reasons["eac"] == queries.NO_PAYMENTS
    make_transaction(CODE, amount="10.00", transaction_date=now)
    with app.app_context():
        ev = queries.earned_value(get_project(CODE), today=now)
        assert ev.cpi == 0
        assert ev.eac is None and ev.reasons["eac"] == queries.NO_EARNED_VALUE
        assert ev.vac is None
