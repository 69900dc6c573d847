"""The payment-mismatch red flag: a scheduled payment paid other than its net due."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.budgets import flags
from pptracker.budgets.flags import FlagKind
from pptracker.budgets.models import Transaction
from pptracker.extensions import db
from pptracker.operations.models import PaymentType, PerformanceFailure, ScheduledPayment
from pptracker.projects.queries import get_project


@pytest.fixture
def road(make_project, make_contract):
    make_project("road-1", currency="EUR")
    return make_contract("road-1", reference="C-1")


@pytest.fixture
def failure(app):
    def add(contract, start, imposed):
        with app.app_context():
            db.session.add(
                PerformanceFailure(
                    project_id=contract.project_id,
                    contract_id=contract.id,
                    category="availability",
                    period_start=start,
                    period_end=start,
                    events=2,
                    penalty_contracted=Decimal(imposed),
                    penalty_imposed=Decimal(imposed),
                    penalty_paid=Decimal("0.00"),
                    currency="EUR",
                )
            )
            db.session.commit()

    return add


def _mismatches(app, code="road-1"):
    with app.app_context():
        found = flags.project_flags(get_project(code))
    return [f for f in found if f.kind == FlagKind.PAYMENT_MISMATCH]


@pytest.fixture
def pay(app):
    def record(payment_id, amount, when=date(2025, 4, 5)):
        from pptracker.budgets.models import TransactionKind
        from pptracker.budgets.services import TransactionData, record_transaction

        with app.app_context():
            tx = record_transaction(
                get_project("road-1"),
                TransactionData(
                    kind=TransactionKind.PAYMENT,
                    transaction_date=when,
                    amount=Decimal(amount),
                    currency="EUR",
                    scheduled_payment_id=payment_id,
                ),
                actor=None,
            )
            db.session.commit()
            return tx.id

    return record


def test_overpaid_payment_is_flagged_with_its_figures(
    app, road, failure, pay, make_scheduled_payment
):
    payment_id = make_scheduled_payment(road)
    failure(road, date(2025, 3, 4), "1500.00")
    pay(payment_id, "100000.00")  # the deduction was not applied
    [flag] = _mismatches(app)
    assert flag.project_code == "road-1"
    assert flag.severity.value == "high"
    assert flag.explanation == (
        "The availability payment of contract C-1 for 2025-03 is scheduled at "
        "100,000.00 EUR gross, less 1,500.00 EUR deductions: 98,500.00 EUR net due. "
        "100,000.00 EUR was paid (1 payment recorded), 1,500.00 EUR more than due."
    )
    assert flag.links[0].endpoint == "payment_schedule.index"
    assert flag.links[0].args == {"code": "road-1"}


def test_unpaid_ended_payment_is_flagged(app, road, make_scheduled_payment):
    make_scheduled_payment(road)
    [flag] = _mismatches(app)
    assert "0.00 EUR was paid (no payment recorded), 100,000.00 EUR less than due" in (
        flag.explanation
    )
    assert flag.severity.value == "medium"


def test_paid_exactly_net_due_is_not_flagged(app, road, failure, pay, make_scheduled_payment):
    payment_id = make_scheduled_payment(road)
    failure(road, date(2025, 3, 4), "1500.00")
    pay(payment_id, "60000.00")
    assert len(_mismatches(app)) == 1  # underpaid
    pay(payment_id, "38500.00")
    assert _mismatches(app) == []


def test_periods_not_over_are_flagged_only_when_overpaid(app, road, pay, make_scheduled_payment):
    future = make_scheduled_payment(
        road, period_start=date(2039, 1, 1), period_end=date(2039, 1, 31)
    )
    # Ended, but its due date is still to come.
    make_scheduled_payment(
        road,
        type=PaymentType.SERVICE_PAYMENT,
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        due_date=date(2039, 12, 31),
    )
    assert _mismatches(app) == []
    pay(future, "100000.01")
    [flag] = _mismatches(app)
    assert "0.01 EUR more than due" in flag.explanation


def test_deleted_records_do_not_count(app, road, pay, make_scheduled_payment):
    payment_id = make_scheduled_payment(road)
    tx_id = pay(payment_id, "100000.00")
    assert _mismatches(app) == []
    with app.app_context():
        db.session.get(Transaction, tx_id).is_deleted = True
        db.session.commit()
    assert len(_mismatches(app)) == 1
    with app.app_context():
        db.session.get(ScheduledPayment, payment_id).is_deleted = True
        db.session.commit()
    assert _mismatches(app) == []


def test_flag_is_on_the_auditors_flags_page_also_for_confidential_payments(
    app, client, auth, road, pay, make_scheduled_payment
):
    payment_id = make_scheduled_payment(
        road, confidential=True, confidential_reason="Sensitive", description="Secret tranche"
    )
    pay(payment_id, "100001.00")
    auth.login_as(Role.AUDITOR)
    page = client.get("/audit/flags/?project=road-1").get_data(as_text=True)
    assert "Scheduled payment paid other than due" in page
    assert "100,001.00 EUR was paid (1 payment recorded), 1.00 EUR more than due" in page
    assert "/projects/road-1/operations/payments/" in page
    with app.app_context():
        tx = db.session.scalar(sa.select(Transaction).where(Transaction.id > 0))
        tx.is_deleted = True
        db.session.commit()
    pay(payment_id, "100000.00")
    page = client.get("/audit/flags/?project=road-1").get_data(as_text=True)
    assert "more than due" not in page
    assert "less than due" not in page


def test_rule_is_described(app):
    with app.app_context():
        rule = flags.rules()[FlagKind.PAYMENT_MISMATCH]
    assert "gross minus deductions" in rule.rule
