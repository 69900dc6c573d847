"""Payment schedule pages: who reads and edits what, bad input, conflicts, the budgets link."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.budgets.models import Transaction
from pptracker.extensions import db
from pptracker.operations.models import PaymentType, PerformanceFailure, ScheduledPayment

PAGE = "/projects/road-1/operations/payments/"
CSV = "/projects/road-1/operations/payments.csv"
MANAGE = "/manage/projects/road-1/operations/payments"
NEW_TX = "/manage/projects/road-1/budget/transactions/new"


def _form(contract_id, **overrides):
    data = {
        "contract_id": str(contract_id),
        "type": "availabilityPayment",
        "period_start": "2025-03-01",
        "period_end": "2025-03-31",
        "due_date": "2025-04-30",
        "gross_amount": "100000.00",
        "fiscal_commitment_id": "",
        "description": "March availability payment",
        "confidential_reason": "",
    }
    data.update(overrides)
    return data


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(ScheduledPayment.id)).where(
                ScheduledPayment.is_deleted.is_(False)
            )
        )


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER)


@pytest.fixture
def road(make_project, make_contract, manager):
    make_project("road-1", managers=[manager], published=True, currency="EUR")
    return make_contract("road-1", reference="C-1")


@pytest.fixture
def as_manager(auth, manager, road):
    auth.login(manager.email)
    return manager


def _failure(app, contract, start, imposed):
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
            )
        )
        db.session.commit()


# --- reading ------------------------------------------------------------------------------


def test_page_shows_totals_rows_and_mismatch_in_words(
    app, client, as_manager, road, make_scheduled_payment
):
    payment_id = make_scheduled_payment(road, description="March availability")
    make_scheduled_payment(road, period_start=date(2039, 1, 1), period_end=date(2039, 1, 31))
    _failure(app, road, date(2025, 3, 3), "2000.00")
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Fiscal commitment by year" in page
    assert "98,000.00 EUR" in page  # net due of March
    assert "2,000.00" in page  # deductions
    assert "Unpaid: mismatch" in page  # in words, not colour only
    assert "Upcoming" in page
    assert "1 mismatch:" in page
    assert f"{MANAGE}/new" in page and f"{MANAGE}/series" in page and f"{MANAGE}/import" in page
    assert f"{NEW_TX}?scheduled_payment={payment_id}" in page
    # Filters.
    page = client.get(f"{PAGE}?year=2039").get_data(as_text=True)
    assert "March availability" not in page
    assert "2039-01" in page


def test_auditor_reads_but_cannot_edit(app, client, auth, road, make_scheduled_payment):
    payment_id = make_scheduled_payment(
        road, confidential=True, confidential_reason="Sensitive", description="Secret tranche"
    )
    auth.login_as(Role.AUDITOR)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Secret tranche" in page  # auditors see confidential records
    assert f"{MANAGE}/new" not in page
    assert "Record the payment" not in page
    assert client.get(f"{MANAGE}/new").status_code == 403
    assert client.post(f"{MANAGE}/{payment_id}/delete").status_code == 403
    assert client.get("/operations/payment-schedule-template.csv").status_code == 403
    assert client.get(CSV).status_code == 200


def test_public_sees_only_public_rows_with_redaction_notices(
    app, client, road, make_contract, make_scheduled_payment
):
    from pptracker.contracts.models import Contract

    make_scheduled_payment(road, description="Public March payment")
    make_scheduled_payment(
        road,
        type=PaymentType.CAPITAL_SUBSIDY,
        confidential=True,
        confidential_reason="Commercially sensitive",
        description="Secret subsidy",
    )
    hidden = make_contract("road-1", reference="C-HIDDEN")
    make_scheduled_payment(hidden, description="Under a secret contract")
    with app.app_context():
        contract = db.session.get(Contract, hidden.id)
        contract.confidential, contract.confidential_reason = True, "Lender terms"
        db.session.commit()
    page = client.get(PAGE).get_data(as_text=True)
    assert "Public March payment" in page
    assert "Secret subsidy" not in page
    assert "Under a secret contract" not in page and "C-HIDDEN" not in page
    assert "Withheld:</strong> 1 scheduled payment is confidential. Reason: Commercially" in page
    assert "its contract is confidential (Lender terms)" in page
    assert "Schedule a payment" not in page
    body = client.get(CSV).get_data(as_text=True)
    assert "Public March payment" in body
    assert "Secret subsidy" not in body and "C-HIDDEN" not in body
    # Managing needs signing in.
    assert client.get(f"{MANAGE}/new").status_code == 302


def test_unpublished_project_is_not_found_for_the_public(client, make_project):
    make_project("quiet", published=False)
    assert client.get("/projects/quiet/operations/payments/").status_code == 404


def test_export_is_audited_and_formula_safe(app, client, as_manager, road, make_scheduled_payment):
    make_scheduled_payment(road, description="=HYPERLINK(1)")
    response = client.get(CSV)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.splitlines()[0].lstrip("\ufeff").startswith("contract_reference,type,")
    assert "'=HYPERLINK(1)" in body
    assert "unpaid" in body
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "scheduled_payments.export")
        )
    assert event is not None and event.summary == "Exported 1 scheduled payment as CSV"


# --- managing -----------------------------------------------------------------------------


def test_manager_schedules_a_payment_audited(app, client, as_manager, road):
    response = client.post(f"{MANAGE}/new", data=_form(road.id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PAGE)
    with app.app_context():
        payment = db.session.scalar(sa.select(ScheduledPayment))
        assert (payment.currency, payment.gross_amount) == ("EUR", Decimal("100000.00"))
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_type == "ScheduledPayment")
        ).all()
    assert [e.action for e in events] == ["create"]
    assert "Availability payment for 2025-03 scheduled." in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"period_start": "2019-01-01", "period_end": "2019-01-31"},
            "The period is outside the period of contract C-1 (2020-02-01 to 2040-01-31).",
        ),
        ({"gross_amount": "-5.00"}, "Number must be at least 0."),
        ({"gross_amount": "12.345"}, "The gross amount has at most two decimals."),
        ({"gross_amount": "abc"}, "Not a valid decimal value."),
        ({"due_date": "2025-01-01"}, "The due date cannot be before the period starts"),
        ({"period_end": "2025-02-01"}, "The period cannot end before it starts."),
        ({"confidential": "y"}, "Say why this is confidential"),
    ],
)
def test_bad_input_answers_400_and_writes_nothing(
    app, client, as_manager, road, overrides, message
):
    response = client.post(f"{MANAGE}/new", data=_form(road.id, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app) == 0


def test_overlap_is_refused_naming_the_other_period(
    app, client, as_manager, road, make_scheduled_payment
):
    make_scheduled_payment(road)
    response = client.post(
        f"{MANAGE}/new", data=_form(road.id, period_start="2025-03-15", period_end="2025-04-14")
    )
    assert response.status_code == 400
    assert "already has an availability payment scheduled for 2025-03-01 to 2025-03-31" in (
        response.get_data(as_text=True)
    )
    assert _count(app) == 1


def test_stale_edit_answers_409_and_keeps_the_input(
    app, client, as_manager, road, make_scheduled_payment
):
    payment_id = make_scheduled_payment(road)
    url = f"{MANAGE}/{payment_id}/edit"
    assert client.get(url).status_code == 200
    response = client.post(url, data={**_form(road.id, gross_amount="90000.00"), "version": "1"})
    assert response.status_code == 302
    response = client.post(url, data={**_form(road.id, gross_amount="80000.00"), "version": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this record" in page
    assert 'value="80000.00"' in page
    assert "Now saved as: 90000.00" in page
    with app.app_context():
        payment = db.session.get(ScheduledPayment, payment_id)
        assert payment.gross_amount == Decimal("90000.00")
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity_type == "ScheduledPayment", AuditEvent.entity_id == payment_id
            )
        ).all()
    assert actions == ["create", "update"]


def test_delete_is_soft_and_refused_while_paid(
    app, client, as_manager, road, make_scheduled_payment
):
    payment_id = make_scheduled_payment(road)
    other_id = make_scheduled_payment(
        road, period_start=date(2025, 4, 1), period_end=date(2025, 4, 30)
    )
    response = client.post(
        NEW_TX,
        data={
            "kind": "payment",
            "transaction_date": "2025-05-02",
            "amount": "100.00",
            "currency": "EUR",
            "scheduled_payment_id": str(other_id),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.post(f"{MANAGE}/{payment_id}/delete").status_code == 302
    response = client.post(f"{MANAGE}/{other_id}/delete", follow_redirects=True)
    assert "1 payment recorded in the budget settles this scheduled payment" in (
        response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(ScheduledPayment, payment_id).is_deleted
        assert not db.session.get(ScheduledPayment, other_id).is_deleted
        assert db.session.scalar(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity_type == "ScheduledPayment",
                AuditEvent.entity_id == payment_id,
                AuditEvent.action != "create",
            )
        ) in ("delete", "update")


def test_series_form(app, client, as_manager, road):
    data = _form(road.id, every_months="3", count="4")
    data.update(period_start="2025-01-01", period_end="2025-03-31", due_date="")
    response = client.post(f"{MANAGE}/series", data=data)
    assert response.status_code == 302
    with app.app_context():
        ends = db.session.scalars(
            sa.select(ScheduledPayment.period_end).order_by(ScheduledPayment.period_start)
        ).all()
    assert ends == [date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31)]
    # All or nothing: the third period overlaps the existing schedule.
    data.update(period_start="2024-07-01", period_end="2024-09-30")
    response = client.post(f"{MANAGE}/series", data=data)
    assert response.status_code == 400
    assert "Period 3 of the series (2025-01-01 to 2025-03-31)" in response.get_data(as_text=True)
    assert _count(app) == 4


def test_another_projects_manager_is_refused(app, client, auth, road, make_scheduled_payment):
    payment_id = make_scheduled_payment(road)
    auth.login_as(Role.MANAGER)
    assert client.get(f"{MANAGE}/new").status_code == 403
    assert client.post(f"{MANAGE}/new", data=_form(road.id)).status_code == 403
    assert client.get(f"{MANAGE}/{payment_id}/edit").status_code == 403
    assert client.post(f"{MANAGE}/{payment_id}/delete").status_code == 403
    assert client.get(f"{MANAGE}/import").status_code == 403
    assert "Schedule a payment" not in client.get(PAGE).get_data(as_text=True)
    assert _count(app) == 1


# --- the budgets link ---------------------------------------------------------------------


def test_record_the_payment_prefills_the_transaction_form(
    app, client, as_manager, road, make_scheduled_payment
):
    payment_id = make_scheduled_payment(road)
    _failure(app, road, date(2025, 3, 3), "2000.00")
    response = client.get(f"{NEW_TX}?scheduled_payment={payment_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="98000.00"' in page
    assert f'<option selected value="{payment_id}">2025-03 availability payment, C-1 ' in page
    assert "(100,000.00 EUR)</option>" in page
    assert f'<option selected value="{road.id}">' in page
    assert '<option selected value="payment">' in page
    assert "Availability payment for 2025-03, contract C-1" in page


def test_transaction_form_refuses_a_wrong_link(
    app, client, as_manager, road, make_contract, make_scheduled_payment
):
    payment_id = make_scheduled_payment(road)
    other = make_contract("road-1", reference="C-2")
    base = {
        "kind": "payment",
        "transaction_date": "2025-05-02",
        "amount": "100.00",
        "currency": "EUR",
        "scheduled_payment_id": str(payment_id),
    }
    cases = [
        ({"contract_id": str(other.id)}, "The scheduled payment is under contract C-1"),
        ({"currency": "USD", "rate": "0.9"}, "The scheduled payment is in EUR"),
        ({"kind": "receipt"}, "Only a payment settles a scheduled payment"),
    ]
    for overrides, message in cases:
        response = client.post(NEW_TX, data={**base, **overrides})
        assert response.status_code == 400, overrides
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Transaction.id))) == 0
