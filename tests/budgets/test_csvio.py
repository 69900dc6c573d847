"""Transaction CSV: the template, the all-or-nothing import, large files and who may import."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.budgets import csvio
from pptracker.budgets.csvio import COLUMNS
from pptracker.budgets.models import Transaction, TransactionKind
from pptracker.database import today
from pptracker.extensions import db
from pptracker.projects.queries import get_project

IMPORT = "/manage/projects/{}/budget/import"
TEMPLATE = "/budget/template.csv"

GOOD = {
    "kind": "payment",
    "date": "2023-03-31",
    "amount": "1250.50",
    "currency": "",
    "rate": "",
    "budget_line_code": "CAP-01",
    "contract_reference": "MT-1",
    "payer": "Metro Authority",
    "payee": "Builder Ltd",
    "reference": "INV-1",
    "description": "Interim certificate, with a comma",
}


def _csv(*rows: dict, header=COLUMNS, bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def _row(**overrides) -> dict:
    return {**GOOD, **overrides}


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Transaction))


def _import(app, code, data: bytes):
    with app.app_context():
        result = csvio.import_transactions(get_project(code), data, actor=None)
        if result.ok:
            db.session.commit()
        else:
            db.session.rollback()
        return result


def _post(client, code, data: bytes, filename="transactions.csv"):
    return client.post(
        IMPORT.format(code),
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def metro(make_project, make_party, make_budget_line, make_contract):
    """The project ``metro`` (EUR) with line CAP-01, contract MT-1 and two parties."""
    make_project("metro", currency="EUR")
    make_party("Metro Authority")
    make_party("Builder Ltd", roles=["privateParty"])
    make_budget_line("metro", code="CAP-01", planned="1000000.00")
    return make_contract("metro", reference="MT-1")


# --- the template ---------------------------------------------------------------------------


def test_template_has_every_column_and_imports_cleanly(app, make_project):
    make_project("metro")
    text = csvio.template_csv()
    assert text.startswith("\ufeff")
    header, example = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header == COLUMNS
    result = _import(app, "metro", text.encode("utf-8"))
    assert result.ok and result.created == 1, result.errors
    with app.app_context():
        tx = db.session.scalar(sa.select(Transaction))
        assert tx.kind == TransactionKind.PAYMENT and tx.amount == Decimal(example[2])
        assert tx.currency == "EUR" and tx.rate == 1 and tx.reference == example[9]


def test_template_download_needs_edit_budget(client, auth):
    assert client.get(TEMPLATE).status_code in (302, 401, 403)
    auth.login_as(Role.AUDITOR)
    assert client.get(TEMPLATE).status_code == 403
    auth.logout()
    auth.login_as(Role.MANAGER)
    response = client.get(TEMPLATE)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith(",".join(COLUMNS))


# --- a good file ------------------------------------------------------------------------------


def test_good_file_is_imported_with_every_field(app, metro):
    data = _csv(
        _row(),
        {},  # a blank line is skipped
        _row(
            kind="Commitment",
            budget_line_code="cap-01",
            contract_reference="mt-1",
            amount="10",
            payer="",
            payee="",
            reference="",
            description="'=SUM(A1)",
        ),
        _row(
            kind="receipt",
            currency="usd",
            rate="0.91234567",
            amount="100.00",
            budget_line_code="",
            contract_reference="",
        ),
        bom=True,
    )
    result = _import(app, "metro", data)
    assert result.ok and result.created == 3, result.errors
    with app.app_context():
        rows = db.session.scalars(sa.select(Transaction).order_by(Transaction.id)).all()
        first, commitment, receipt = rows
        assert first.kind == TransactionKind.PAYMENT
        assert first.transaction_date == date(2023, 3, 31)
        assert first.amount == Decimal("1250.50") and first.project_amount == Decimal("1250.50")
        assert first.budget_line.code == "CAP-01" and first.contract_id == metro.id
        assert first.payer.name == "Metro Authority" and first.payee.name == "Builder Ltd"
        assert first.description == "Interim certificate, with a comma"
        assert commitment.kind == TransactionKind.COMMITMENT and commitment.reference is None
        assert commitment.description == "=SUM(A1)"  # the export's apostrophe is taken off
        assert receipt.currency == "USD" and receipt.rate == Decimal("0.91234567")
        assert receipt.project_amount == Decimal("91.23")  # converted once, half-even
        assert receipt.budget_line_id is None
        events = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "Transaction")
        ).all()
        assert events == ["create"] * 3  # the audit trail records each row
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.action == "budgets.import")
            )
            == 1
        )


def test_columns_in_any_order(app, metro):
    header = list(reversed(COLUMNS))
    assert _import(app, "metro", _csv(_row(), header=header)).ok


def test_import_crossing_a_batch_boundary(app, metro, monkeypatch):
    monkeypatch.setattr(csvio, "BATCH", 7)
    data = _csv(*(_row(amount=f"{n + 1}.00", reference=f"INV-{n}") for n in range(20)))
    result = _import(app, "metro", data)
    assert result.ok and result.created == 20
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(Transaction.project_amount))) == Decimal(
            "210.00"
        )


# --- bad files: nothing saved ------------------------------------------------------------------


def _errors(app, data: bytes):
    result = _import(app, "metro", data)
    assert not result.ok
    assert _count(app) == 0  # all or nothing
    return [(e.row, e.column) for e in result.errors], " ".join(e.message for e in result.errors)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (COLUMNS[:-1], "missing: description"),
        ([*COLUMNS, "colour"], "not recognised: colour"),
        ([*COLUMNS, "amount"], "more than once: amount"),
    ],
)
def test_wrong_columns(app, metro, header, words):
    where, text = _errors(app, _csv(_row(), header=header))
    assert where == [(1, None)] and words in text


def test_not_utf8(app, metro):
    data = _csv(_row(payee="Bâtisseur")).decode("utf-8").encode("latin-1")
    where, text = _errors(app, data)
    assert where == [(None, None)] and "not UTF-8" in text


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("amount", "1,250.50", "not an amount"),
        ("amount", "1e3", "not an amount"),
        ("amount", "-5", "not an amount"),
        ("amount", "12.345", "more than two decimals"),
        ("amount", "NaN", "not an amount"),
        ("amount", "", "Give the amount"),
        ("amount", "0", "more than zero"),
        ("rate", "1,2", "not a rate"),
        ("kind", "refund", "not a kind"),
        ("date", "31/03/2023", "YYYY-MM-DD"),
        ("date", "2023-02-30", "not a real date"),
        ("date", (today() + timedelta(days=2)).isoformat(), "future"),
        ("currency", "euro", "three letters"),
        ("currency", "XYZ", "currency"),
        ("budget_line_code", "OPS-99", "no budget line"),
        ("contract_reference", "NOPE", "No contract"),
        ("payer", "Metro", "No party is named"),
        ("payee", "builder ltd", "No party is named"),
    ],
)
def test_bad_cell(app, metro, column, value, words):
    where, text = _errors(app, _csv(_row(), _row(**{column: value})))
    assert where == [(3, column)], text
    assert words in text


def test_rate_rules_of_the_service(app, metro):
    where, text = _errors(
        app,
        _csv(
            _row(currency="USD", rate=""),  # a foreign amount needs its rate
            _row(currency="EUR", rate="1.5"),  # the project currency's rate is 1
        ),
    )
    assert where == [(2, "rate"), (3, "rate")]
    assert "give the rate" in text and "the rate is 1" in text


def test_ambiguous_party_name(app, metro, make_party):
    make_party("Builder Ltd", roles=["privateParty"])
    where, text = _errors(app, _csv(_row()))
    assert where == [(2, "payee")] and "2 parties are named" in text


def test_every_problem_is_listed_by_row_and_column(app, metro):
    where, _text = _errors(
        app,
        _csv(
            _row(),
            _row(amount="abc", date="yesterday"),
            _row(),
            _row(payee="Nobody"),
        ),
    )
    assert where == [(3, "date"), (3, "amount"), (5, "payee")]


def test_other_project_line_is_unknown(app, metro, make_project, make_budget_line):
    make_project("port")
    make_budget_line("port", code="PORT-1")
    where, _ = _errors(app, _csv(_row(budget_line_code="PORT-1")))
    assert where == [(2, "budget_line_code")]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (_csv(), "no transactions"),
        (_csv(_row()) + b'payment,2023-01-01,"5\n', "not valid CSV"),
        (_csv(_row()) + b"payment,2023-01-01,5,,,,,,,,,extra\n", "is a comma"),
    ],
)
def test_broken_files(app, metro, data, words):
    _where, text = _errors(app, data)
    assert words in text


def test_too_many_rows_or_bytes(app, metro, monkeypatch):
    monkeypatch.setattr(csvio, "MAX_ROWS", 2)
    _where, text = _errors(app, _csv(_row(), _row(), _row()))
    assert "more than 2 transactions" in text
    monkeypatch.setattr(csvio, "MAX_BYTES", 100)
    _where, text = _errors(app, _csv(_row(), _row()))
    assert "larger than" in text


# --- the page ---------------------------------------------------------------------------------


@pytest.fixture
def manager(auth, metro, app):
    """Sign in a manager of ``metro``."""
    from pptracker.projects.services import assign_managers

    user = auth.login_as(Role.MANAGER)
    with app.app_context():
        assign_managers(get_project("metro"), [user.id])
        db.session.commit()
    return user


def test_manager_imports_a_file(client, app, manager):
    assert client.get(IMPORT.format("metro")).status_code == 200
    response = _post(client, "metro", _csv(_row(), _row(reference="INV-2")))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/projects/metro/budget/transactions")
    assert _count(app) == 2


def test_page_lists_the_problems_and_saves_nothing(client, app, manager):
    response = _post(client, "metro", _csv(_row(), _row(budget_line_code="NOPE")))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page and "budget_line_code" in page and ">3<" in page
    assert _count(app) == 0
    assert _post(client, "metro", b"").status_code == 400  # no file chosen


def test_others_may_not_import(client, auth, app, metro):
    assert _post(client, "metro", _csv(_row())).status_code in (302, 401, 403)
    auth.login_as(Role.MANAGER)  # not a manager of metro, which is unpublished: hidden
    assert client.get(IMPORT.format("metro")).status_code == 404
    assert _post(client, "metro", _csv(_row())).status_code == 404
    auth.logout()
    auth.login_as(Role.AUDITOR)
    assert _post(client, "metro", _csv(_row())).status_code == 403
    assert _count(app) == 0


def test_manager_of_another_project_is_refused(client, auth, app, make_project):
    make_project("open", published=True)
    auth.login_as(Role.MANAGER)
    assert client.get(IMPORT.format("open")).status_code == 403
    assert (
        _post(client, "open", _csv(_row(budget_line_code="", contract_reference=""))).status_code
        == 403
    )


def test_admin_may_import(client, auth, app, metro):
    auth.login_as(Role.ADMIN)
    assert _post(client, "metro", _csv(_row())).status_code == 302
    assert _count(app) == 1


# --- a large file -----------------------------------------------------------------------------


# SQLite only, to keep the suite fast; PostgreSQL runs the batch-boundary test.
@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_ten_thousand_rows(app, metro):
    rows = (
        _row(
            amount=f"{n % 997 + 1}.{n % 100:02d}",
            currency="USD" if n % 5 == 0 else "",
            rate="1.08250000" if n % 5 == 0 else "",
            date=f"2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
            reference=f"INV-{n}",
        )
        for n in range(10_000)
    )
    data = _csv(*rows)
    result = _import(app, "metro", data)
    assert result.ok and result.created == 10_000, result.errors[:3]
    assert _count(app) == 10_000
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.entity_type == "Transaction")
            )
            == 10_000
        )
