"""The payment schedule CSV: template, all-or-nothing import with errors by row and column."""

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.operations import payment_csv
from pptracker.operations.models import PaymentType, ScheduledPayment
from pptracker.projects.queries import get_project

IMPORT = "/manage/projects/road-1/operations/payments/import"
TEMPLATE = "/operations/payment-schedule-template.csv"
HEADER = "contract_reference,type,period_start,period_end,due_date,gross_amount,description\n"


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER)


@pytest.fixture
def road(make_project, make_contract, manager):
    make_project("road-1", managers=[manager], published=True, currency="EUR")
    return make_contract("road-1", reference="C-1")


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(ScheduledPayment.id)))


def _import(app, text: str):
    with app.app_context():
        result = payment_csv.import_schedule(
            get_project("road-1"), text.encode("utf-8"), actor=None
        )
        if result.ok:
            db.session.commit()
        else:
            db.session.rollback()
        return [(e.row, e.column, e.message) for e in result.errors], len(result.created)


def test_good_file_is_imported_and_audited(app, road):
    errors, created = _import(
        app,
        HEADER
        + "C-1,availabilityPayment,2025-01-01,2025-01-31,2025-02-15,100000.00,January\n"
        + "c-1,Availability payment,2025-02-01,2025-02-28,,100000,February\n"
        + "C-1,capitalSubsidy,2025-01-01,2025-12-31,,5000000.50,\n",
    )
    assert (errors, created) == ([], 3)
    with app.app_context():
        rows = db.session.scalars(sa.select(ScheduledPayment).order_by(ScheduledPayment.id)).all()
        assert [(r.type, r.gross_amount, r.currency) for r in rows] == [
            (PaymentType.AVAILABILITY_PAYMENT, Decimal("100000.00"), "EUR"),
            (PaymentType.AVAILABILITY_PAYMENT, Decimal("100000.00"), "EUR"),
            (PaymentType.CAPITAL_SUBSIDY, Decimal("5000000.50"), "EUR"),
        ]
        summaries = db.session.scalars(
            sa.select(AuditEvent.summary).where(AuditEvent.action == "scheduled_payments.import")
        ).all()
    assert summaries == ["Imported 3 scheduled payments from a CSV file"]


def test_any_bad_row_imports_nothing_and_lists_every_problem(app, road):
    errors, created = _import(
        app,
        HEADER
        + "C-1,availabilityPayment,2025-01-01,2025-01-31,,100000.00,fine\n"
        + "C-9,availabilityPayment,2025-02-01,2025-02-28,,100000.00,\n"
        + "C-1,bonus,2025-03-01,2025-03-31,,-5,\n"
        + "C-1,availabilityPayment,2019-01-01,2019-01-31,,1.5,\n"
        + "C-1,availabilityPayment,2025-05-01,2025-05-31,,1.005,\n"
        + "C-1,availabilityPayment,2025-06-31,2025-06-30,,1,\n",
    )
    assert created == 0
    assert _count(app) == 0
    by_cell = {(row, column): message for row, column, message in errors}
    assert (
        "No contract of this project has the reference “C-9”" in by_cell[(3, "contract_reference")]
    )
    assert "“bonus” is not a payment type" in by_cell[(4, "type")]
    assert "cannot be negative" in by_cell[(4, "gross_amount")]
    assert "outside the period of contract C-1" in by_cell[(5, "period_start")]
    assert "more than two decimals" in by_cell[(6, "gross_amount")]
    assert "not a real date" in by_cell[(7, "period_start")]


def test_overlaps_in_the_file_and_with_the_schedule_are_refused(app, road, make_scheduled_payment):
    make_scheduled_payment(road, period_start=date(2025, 3, 1), period_end=date(2025, 3, 31))
    errors, created = _import(
        app,
        HEADER
        + "C-1,availabilityPayment,2025-01-01,2025-01-31,,1.00,\n"
        + "C-1,availabilityPayment,2025-01-15,2025-02-14,,1.00,\n"
        + "C-1,availabilityPayment,2025-03-01,2025-03-31,,1.00,\n"
        + "C-1,servicePayment,2025-01-01,2025-01-31,,1.00,\n",
    )
    assert created == 0
    assert _count(app) == 1
    assert errors[0][:2] == (3, "period_start")
    assert "overlaps row 2 (2025-01-01 to 2025-01-31)" in errors[0][2]
    assert errors[1][:2] == (4, "period_start")
    assert "already has an availability payment scheduled for 2025-03-01" in errors[1][2]
    assert len(errors) == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "The file is empty"),
        (b"contract_reference,type\n", "missing: period_start"),
        (HEADER.encode(), "a header but no payments"),
        (b"\xff\xfe" + HEADER.encode(), "not UTF-8"),
    ],
)
def test_whole_file_problems(app, road, data, words):
    with app.app_context():
        result = payment_csv.import_schedule(get_project("road-1"), data, actor=None)
    assert not result.ok
    assert words in result.errors[0].message


def test_export_can_be_imported_again(app, client, auth, manager, road, make_scheduled_payment):
    make_scheduled_payment(road, description="=cmd")
    auth.login(manager.email)
    exported = client.get("/projects/road-1/operations/payments.csv").get_data()
    with app.app_context():
        db.session.execute(sa.update(ScheduledPayment).values(is_deleted=True))
        db.session.commit()
    response = client.post(
        IMPORT,
        data={"file": (io.BytesIO(exported), "schedule.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        descriptions = db.session.scalars(
            sa.select(ScheduledPayment.description).where(ScheduledPayment.is_deleted.is_(False))
        ).all()
    assert descriptions == ["=cmd"]


def test_import_page_shows_errors_by_row_and_column(app, client, auth, manager, road):
    auth.login(manager.email)
    assert client.get(IMPORT).status_code == 200
    bad = HEADER + "C-1,availabilityPayment,2025-01-01,2025-01-31,,100.5.0,\n"
    response = client.post(
        IMPORT,
        data={"file": (io.BytesIO(bad.encode()), "schedule.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported: the file has 1 problem" in page
    assert "<code>gross_amount</code>" in page
    assert _count(app) == 0


def test_template_is_for_managers_and_imports_cleanly(app, client, auth, manager, road):
    assert client.get(TEMPLATE).status_code == 302  # sign in first
    auth.login(manager.email)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.lstrip("\ufeff").startswith(HEADER.strip())
    errors, created = _import(app, text.lstrip("\ufeff"))
    assert (errors, created) == ([], 1)
