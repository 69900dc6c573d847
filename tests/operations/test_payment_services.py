"""Payment schedule rules: validation, series, deductions, statuses, the budgets link."""

import calendar
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.budgets.models import Transaction, TransactionKind
from pptracker.budgets.services import TransactionData, record_transaction, update_transaction
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import payment_queries as pq
from pptracker.operations import payment_services as ps
from pptracker.operations.models import PaymentType, PerformanceFailure, ScheduledPayment
from pptracker.projects.queries import get_project

TODAY = date(2026, 6, 15)


@pytest.fixture
def road(make_project, make_contract):
    make_project("road-1", currency="EUR")
    return make_contract("road-1", reference="C-1")


def _data(contract, **fields):
    values = dict(
        contract_id=contract.id,
        type=PaymentType.AVAILABILITY_PAYMENT,
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        gross_amount=Decimal("100000.00"),
    )
    values.update(fields)
    return ps.ScheduledPaymentData(**values)


def _create(app, contract, **fields):
    with app.app_context():
        payment = ps.create_scheduled_payment(get_project("road-1"), _data(contract, **fields))
        db.session.commit()
        return payment.id


def _refused(app, contract, **fields) -> DomainError:
    with app.app_context():
        with pytest.raises(DomainError) as caught:
            ps.create_scheduled_payment(get_project("road-1"), _data(contract, **fields))
        db.session.rollback()
    return caught.value


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(ScheduledPayment.id)).where(
                ScheduledPayment.is_deleted.is_(False)
            )
        )


def _failure(app, contract, *, start, imposed, deleted=False):
    with app.app_context():
        db.session.add(
            PerformanceFailure(
                project_id=contract.project_id,
                contract_id=contract.id,
                category="availability",
                period_start=start,
                period_end=start,
                events=1,
                penalty_contracted=Decimal(imposed),
                penalty_imposed=Decimal(imposed),
                penalty_paid=Decimal("0.00"),
                currency="EUR",
                is_deleted=deleted,
            )
        )
        db.session.commit()


def _row(app, payment_id, today=TODAY):
    with app.app_context():
        project = get_project("road-1")
        return pq.payment_figures(project.id, payment_id, today=today)


def _pay(app, contract, payment_id, amount, **fields):
    with app.app_context():
        values = dict(
            kind=TransactionKind.PAYMENT,
            transaction_date=date(2025, 4, 2),
            amount=Decimal(amount),
            currency="EUR",
            scheduled_payment_id=payment_id,
        )
        values.update(fields)
        tx = record_transaction(get_project("road-1"), TransactionData(**values), actor=None)
        db.session.commit()
        return tx.id


# --- creating -----------------------------------------------------------------------------


def test_create_sets_the_contract_currency_and_is_audited(app, road):
    from pptracker.audit.models import AuditEvent

    payment_id = _create(app, road, due_date=date(2025, 4, 15), description=" March ")
    with app.app_context():
        payment = db.session.get(ScheduledPayment, payment_id)
        assert payment.currency == "EUR"
        assert payment.description == "March"
        assert payment.gross_amount == Decimal("100000.00")
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "ScheduledPayment")
        ).all()
    assert [(e.action, e.entity_id) for e in events] == [("create", payment_id)]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"period_start": date(2019, 12, 1), "period_end": date(2019, 12, 31)},
            "period_start",
            "outside the period of contract C-1",
        ),
        (
            {"period_start": date(2040, 1, 1), "period_end": date(2040, 2, 29)},
            "period_start",
            "outside the period of contract C-1 (2020-02-01 to 2040-01-31)",
        ),
        ({"period_end": date(2025, 2, 1)}, "period_end", "cannot end before it starts"),
        ({"gross_amount": Decimal("-1.00")}, "gross_amount", "cannot be negative"),
        ({"gross_amount": 100.5}, "gross_amount", "not a float"),
        ({"gross_amount": Decimal("1.005")}, "gross_amount", "at most two decimals"),
        ({"gross_amount": None}, "gross_amount", "Give the gross amount"),
        ({"due_date": date(2025, 2, 28)}, "due_date", "before the period starts (2025-03-01)"),
        ({"type": "bonus"}, "type", "Choose the type"),
        ({"contract_id": 9999}, "contract_id", "Choose a contract of this project"),
        ({"confidential": True}, "confidential_reason", "Say why this is confidential"),
        ({"period_start": None}, "period_start", "Give the first day of the period"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    app, road, fields, field, words
):
    error = _refused(app, road, **fields)
    assert error.field == field
    assert words in error.message
    assert _count(app) == 0


def test_another_projects_contract_is_refused(app, road, make_project, make_contract):
    make_project("other")
    theirs = make_contract("other", reference="X-1")
    error = _refused(app, road, contract_id=theirs.id)
    assert error.field == "contract_id"


def test_fiscal_commitment_must_be_of_the_project_and_contract(
    app, road, make_project, make_contract
):
    from pptracker.contracts.models import CommitmentNature, CommitmentType, FiscalCommitment

    second = make_contract("road-1", reference="C-2")
    make_project("other")

    def commitment(project_code, contract_id):
        with app.app_context():
            row = FiscalCommitment(
                project_id=get_project(project_code).id,
                contract_id=contract_id,
                type=CommitmentType.AVAILABILITY_PAYMENT,
                nature=CommitmentNature.DIRECT,
                max_exposure=Decimal("1.00"),
                currency="EUR",
            )
            db.session.add(row)
            db.session.commit()
            return row.id

    foreign = commitment("other", None)
    of_c2 = commitment("road-1", second.id)
    project_wide = commitment("road-1", None)
    assert "of this project" in _refused(app, road, fiscal_commitment_id=foreign).message
    error = _refused(app, road, fiscal_commitment_id=of_c2)
    assert error.field == "fiscal_commitment_id"
    assert "another contract" in error.message
    assert _create(app, road, fiscal_commitment_id=project_wide)


def test_overlapping_period_of_the_same_contract_and_type_is_refused(app, road):
    _create(app, road)
    error = _refused(app, road, period_start=date(2025, 3, 15), period_end=date(2025, 4, 14))
    assert error.field == "period_start"
    assert "already has an availability payment scheduled for 2025-03-01 to 2025-03-31" in (
        error.message
    )
    assert _count(app) == 1
    # Another type, or the next month, is fine.
    _create(app, road, type=PaymentType.OPERATING_SUBSIDY)
    _create(app, road, period_start=date(2025, 4, 1), period_end=date(2025, 4, 30))
    assert _count(app) == 3


def test_update_checks_version_free_rules_and_ignores_itself(app, road):
    payment_id = _create(app, road)
    other = _create(app, road, period_start=date(2025, 4, 1), period_end=date(2025, 4, 30))
    with app.app_context():
        payment = db.session.get(ScheduledPayment, payment_id)
        ps.update_scheduled_payment(payment, _data(road, gross_amount=Decimal("90000.00")))
        db.session.commit()
        assert payment.version == 2
        with pytest.raises(DomainError, match="overlaps"):
            ps.update_scheduled_payment(
                db.session.get(ScheduledPayment, other), _data(road, period_end=date(2025, 4, 30))
            )
        db.session.rollback()


def test_delete_is_soft_and_refused_while_payments_settle_it(app, road):
    payment_id = _create(app, road)
    tx_id = _pay(app, road, payment_id, "100.00")
    with app.app_context():
        payment = db.session.get(ScheduledPayment, payment_id)
        with pytest.raises(DomainError, match="1 payment recorded in the budget settles"):
            ps.delete_scheduled_payment(payment)
        db.session.rollback()
        db.session.get(Transaction, tx_id).is_deleted = True
        db.session.commit()
        ps.delete_scheduled_payment(db.session.get(ScheduledPayment, payment_id))
        db.session.commit()
        assert db.session.get(ScheduledPayment, payment_id).is_deleted
    # A deleted payment frees its period.
    assert _create(app, road)


# --- series -------------------------------------------------------------------------------


def test_series_follows_calendar_months(app, road):
    with app.app_context():
        created = ps.create_series(
            get_project("road-1"),
            _data(
                road,
                period_start=date(2024, 12, 1),
                period_end=date(2024, 12, 31),
                due_date=date(2025, 1, 31),
            ),
            every_months=1,
            count=4,
        )
        db.session.commit()
        periods = [(p.period_start, p.period_end, p.due_date) for p in created]
    assert periods == [
        (date(2024, 12, 1), date(2024, 12, 31), date(2025, 1, 31)),
        (date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 28)),
        (date(2025, 2, 1), date(2025, 2, 28), date(2025, 3, 31)),
        (date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 30)),
    ]


def test_quarterly_series(app, road):
    with app.app_context():
        created = ps.create_series(
            get_project("road-1"),
            _data(road, period_start=date(2025, 1, 1), period_end=date(2025, 3, 31)),
            every_months=3,
            count=3,
        )
        db.session.commit()
        assert [p.period_end for p in created] == [
            date(2025, 3, 31),
            date(2025, 6, 30),
            date(2025, 9, 30),
        ]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"every_months": 2, "count": 3}, "1, 3, 6 or 12"),
        ({"every_months": 1, "count": 0}, "from 1 to 600"),
        ({"every_months": 1, "count": 601}, "from 1 to 600"),
    ],
)
def test_series_arguments_are_checked(app, road, kwargs, words):
    with app.app_context(), pytest.raises(DomainError, match=words):
        ps.create_series(get_project("road-1"), _data(road), **kwargs)
    assert _count(app) == 0


def test_series_is_all_or_nothing(app, road):
    # The contract ends 2040-01-31: a yearly series from 2036 runs out of it.
    with app.app_context():
        with pytest.raises(DomainError) as caught:
            ps.create_series(
                get_project("road-1"),
                _data(road, period_start=date(2036, 1, 1), period_end=date(2036, 12, 31)),
                every_months=12,
                count=6,
            )
        db.session.rollback()
    assert "Period 5 of the series (2040-01-01 to 2040-12-31)" in caught.value.message
    assert "outside the period of contract C-1" in caught.value.message
    assert _count(app) == 0
    # Overlapping an existing payment: nothing either.
    _create(app, road, period_start=date(2025, 5, 1), period_end=date(2025, 5, 31))
    with app.app_context():
        with pytest.raises(DomainError, match="Period 3 of the series"):
            ps.create_series(get_project("road-1"), _data(road), every_months=1, count=5)
        db.session.rollback()
    assert _count(app) == 1


def test_series_of_periods_longer_than_the_step_is_refused(app, road):
    with app.app_context(), pytest.raises(DomainError, match="would overlap"):
        ps.create_series(
            get_project("road-1"),
            _data(road, period_start=date(2025, 1, 1), period_end=date(2025, 3, 31)),
            every_months=1,
            count=2,
        )


# --- deductions, net due, paid, statuses -------------------------------------------------


def test_deductions_come_from_failures_starting_in_the_period(app, road, make_contract):
    payment_id = _create(app, road)
    subsidy_id = _create(app, road, type=PaymentType.OPERATING_SUBSIDY)
    _failure(app, road, start=date(2025, 3, 1), imposed="1000.00")
    _failure(app, road, start=date(2025, 3, 31), imposed="500.50")
    _failure(app, road, start=date(2025, 4, 1), imposed="7000.00")  # next period
    _failure(app, road, start=date(2025, 3, 10), imposed="9000.00", deleted=True)
    other = make_contract("road-1", reference="C-2")
    _failure(app, other, start=date(2025, 3, 10), imposed="8000.00")  # other contract
    row = _row(app, payment_id)
    assert row.deductions == Decimal("1500.50")
    assert row.net_due == Decimal("98499.50")
    # Subsidies are not reduced by performance deductions.
    subsidy = _row(app, subsidy_id)
    assert (subsidy.deductions, subsidy.net_due) == (Decimal("0.00"), Decimal("100000.00"))


def test_net_due_is_never_negative(app, road):
    payment_id = _create(app, road, gross_amount=Decimal("1000.00"))
    _failure(app, road, start=date(2025, 3, 5), imposed="2500.00")
    row = _row(app, payment_id)
    assert row.net_due == Decimal("0.00")
    assert row.status == pq.SETTLED


def test_statuses(app, road):
    payment_id = _create(app, road, due_date=date(2025, 4, 30))
    _failure(app, road, start=date(2025, 3, 5), imposed="1000.00")
    assert _row(app, payment_id, today=date(2025, 2, 1)).status == pq.UPCOMING
    assert _row(app, payment_id, today=date(2025, 3, 20)).status == pq.IN_PERIOD
    assert _row(app, payment_id, today=date(2025, 4, 10)).status == pq.DUE
    assert _row(app, payment_id, today=date(2025, 5, 1)).status == pq.UNPAID
    assert _row(app, payment_id).status_text == "Unpaid: mismatch"
    _pay(app, road, payment_id, "50000.00")
    row = _row(app, payment_id)
    assert (row.paid, row.status, row.transactions) == (Decimal("50000.00"), pq.UNDERPAID, 1)
    assert row.difference == Decimal("-49000.00")
    assert row.outstanding == Decimal("49000.00")
    _pay(app, road, payment_id, "49000.00")
    assert _row(app, payment_id).status == pq.SETTLED
    _pay(app, road, payment_id, "1000.00")  # the deduction not applied
    row = _row(app, payment_id)
    assert (row.status, row.difference) == (pq.OVERPAID, Decimal("1000.00"))
    # Overpaid shows even before the period ends.
    assert _row(app, payment_id, today=date(2025, 3, 2)).status == pq.OVERPAID


def test_receipts_commitments_and_deleted_payments_do_not_count_as_paid(app, road):
    payment_id = _create(app, road)
    tx_id = _pay(app, road, payment_id, "100.00")
    _pay(app, road, None, "500.00", kind=TransactionKind.COMMITMENT, scheduled_payment_id=None)
    with app.app_context():
        db.session.get(Transaction, tx_id).is_deleted = True
        db.session.commit()
    row = _row(app, payment_id)
    assert (row.paid, row.transactions) == (Decimal("0.00"), 0)


def test_yearly_totals_and_remaining_commitment(app, road):
    first = _create(app, road, period_start=date(2025, 11, 1), period_end=date(2025, 11, 30))
    _create(app, road, period_start=date(2025, 12, 1), period_end=date(2025, 12, 31))
    _create(app, road, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31))
    _failure(app, road, start=date(2025, 11, 3), imposed="2000.00")
    _pay(app, road, first, "98000.00")
    with app.app_context():
        project = get_project("road-1")
        years = pq.yearly_totals(project.id, hide_confidential=False, today=TODAY)
        contracts = pq.contract_totals(project.id, hide_confidential=False, today=TODAY)
    assert [(y.year, y.currency) for y in years] == [(2025, "EUR"), (2026, "EUR")]
    y2025 = years[0]
    assert y2025.gross == Decimal("200000.00")
    assert y2025.deductions == Decimal("2000.00")
    assert y2025.net_due == Decimal("198000.00")
    assert y2025.paid == Decimal("98000.00")
    assert y2025.remaining == Decimal("100000.00")
    assert years[1].remaining == Decimal("100000.00")
    assert contracts[0].contract_reference == "C-1"
    assert contracts[0].remaining == Decimal("200000.00")


def test_public_schedule_hides_confidential_payments_and_contracts(app, road, make_contract):
    from pptracker.contracts.models import Contract

    _create(app, road)
    _create(
        app,
        road,
        type=PaymentType.CAPITAL_SUBSIDY,
        confidential=True,
        confidential_reason="Commercially sensitive",
    )
    secret = make_contract("road-1", reference="C-S")
    _create(app, secret)
    with app.app_context():
        contract = db.session.get(Contract, secret.id)
        contract.confidential, contract.confidential_reason = True, "Lender terms"
        db.session.commit()
        project = get_project("road-1")
        public = pq.overview(project.id, hide_confidential=True, today=TODAY)
        everything = pq.overview(project.id, hide_confidential=False, today=TODAY)
    assert [r.contract_reference for r in public.rows] == ["C-1"]
    assert public.hidden == 2
    assert {(n.label, n.reason) for n in public.redacted} == {
        ("1 scheduled payment", "Commercially sensitive"),
        ("1 scheduled payment", "its contract is confidential (Lender terms)"),
    }
    assert sum(y.gross for y in public.years) == Decimal("100000.00")
    assert len(everything.rows) == 3 and everything.redacted == []


def test_schedule_takes_one_query(app, road):
    for month in range(1, 7):
        last = calendar.monthrange(2025, month)[1]
        payment_id = _create(
            app, road, period_start=date(2025, month, 1), period_end=date(2025, month, last)
        )
        _failure(app, road, start=date(2025, month, 2), imposed="10.00")
        _pay(app, road, payment_id, "5.00")
    statements = []
    with app.app_context():
        project_id = get_project("road-1").id

        def listener(*_args):
            statements.append(1)

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            rows = pq.schedule(project_id, hide_confidential=True, today=TODAY)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(rows) == 6
    assert len(statements) == 1


# --- the budgets link ---------------------------------------------------------------------


def test_transaction_takes_the_contract_of_its_scheduled_payment(app, road):
    payment_id = _create(app, road)
    tx_id = _pay(app, road, payment_id, "100.00")
    with app.app_context():
        tx = db.session.get(Transaction, tx_id)
        assert (tx.contract_id, tx.scheduled_payment_id) == (road.id, payment_id)


def test_transaction_link_is_validated(app, road, make_contract, make_project):
    payment_id = _create(app, road)
    other = make_contract("road-1", reference="C-2")
    make_project("elsewhere")
    cases = [
        ({"contract_id": other.id}, "contract_id", "under contract C-1"),
        ({"currency": "USD", "rate": Decimal("0.9")}, "currency", "is in EUR"),
        ({"kind": TransactionKind.RECEIPT}, "scheduled_payment_id", "Only a payment"),
        ({"kind": TransactionKind.COMMITMENT}, "scheduled_payment_id", "Only a payment"),
        ({"scheduled_payment_id": 9999}, "scheduled_payment_id", "of this project"),
    ]
    for fields, field, words in cases:
        with app.app_context():
            values = dict(
                kind=TransactionKind.PAYMENT,
                transaction_date=date(2025, 4, 2),
                amount=Decimal("10.00"),
                currency="EUR",
                scheduled_payment_id=payment_id,
            )
            values.update(fields)
            with pytest.raises(DomainError) as caught:
                record_transaction(get_project("road-1"), TransactionData(**values), actor=None)
            db.session.rollback()
        assert caught.value.field == field, fields
        assert words in caught.value.message
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Transaction.id))) == 0
        # Another project's transaction may not point here either.
        with pytest.raises(DomainError, match="of this project"):
            record_transaction(
                get_project("elsewhere"),
                TransactionData(
                    kind=TransactionKind.PAYMENT,
                    transaction_date=date(2025, 4, 2),
                    amount=Decimal("10.00"),
                    currency="EUR",
                    scheduled_payment_id=payment_id,
                ),
                actor=None,
            )


def test_update_transaction_validates_the_link(app, road):
    payment_id = _create(app, road)
    tx_id = _pay(app, road, None, "10.00", scheduled_payment_id=None)
    with app.app_context():
        tx = db.session.get(Transaction, tx_id)
        data = TransactionData(
            kind=TransactionKind.RECEIPT,
            transaction_date=date(2025, 4, 2),
            amount=Decimal("10.00"),
            currency="EUR",
            scheduled_payment_id=payment_id,
        )
        with pytest.raises(DomainError, match="Only a payment"):
            update_transaction(tx, data, actor=None)
        db.session.rollback()
        data.kind = TransactionKind.PAYMENT
        update_transaction(db.session.get(Transaction, tx_id), data, actor=None)
        db.session.commit()
        assert db.session.get(Transaction, tx_id).scheduled_payment_id == payment_id
