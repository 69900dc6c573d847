"""The auditors' spending list, its totals and export, and the red flags page."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db

SPENDING = "/audit/spending/"
EXPORT = "/audit/spending/export.csv"
FLAGS = "/audit/flags/"


@pytest.fixture
def spending(make_project, make_party, make_budget_line, make_transaction):
    """Two projects in two currencies, with payments, a commitment and a receipt.

    Returns the transactions by name.
    """
    make_project("metro", currency="EUR")
    make_project("port", currency="USD")
    builder = make_party("Builder Ltd", roles=["privateParty"])
    dredger = make_party("=Dredging Co", roles=["privateParty"])
    cap = make_budget_line("metro", code="CAP-01", planned="1000.00")
    make_budget_line("port", code="CAP-01", planned="100000.00")
    return {
        "big": make_transaction(
            "metro",
            amount="900.00",
            budget_line_id=cap.id,
            payee_id=builder.id,
            reference="INV-1",
            transaction_date=date(2023, 1, 10),
        ),
        "crossing": make_transaction(
            "metro",
            amount="200.00",
            budget_line_id=cap.id,
            payee_id=builder.id,
            reference="INV-2",
            transaction_date=date(2023, 2, 10),
        ),
        "commitment": make_transaction(
            "metro",
            kind="commitment",
            amount="5000.00",
            budget_line_id=cap.id,
            transaction_date=date(2022, 12, 1),
        ),
        "usd": make_transaction(
            "metro",
            amount="100.00",
            currency="USD",
            rate="0.90000000",
            budget_line_id=cap.id,
            transaction_date=date(2023, 3, 1),
            description='=HYPERLINK("http://evil")',
        ),
        "port": make_transaction(
            "port", amount="300.00", payee_id=dredger.id, transaction_date=date(2023, 4, 1)
        ),
        "receipt": make_transaction(
            "port", kind="receipt", amount="50.00", transaction_date=date(2023, 5, 1)
        ),
    }


def _rows(response):
    text = response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text)))


# --- who may see it ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SPENDING, EXPORT, FLAGS])
@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditors_and_admins_may_see_spending(client, auth, spending, url, role):
    auth.login_as(role)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", [SPENDING, EXPORT, FLAGS])
def test_managers_are_refused(client, auth, spending, url):
    auth.login_as(Role.MANAGER)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [SPENDING, EXPORT, FLAGS])
def test_anonymous_visitors_are_refused(client, spending, url):
    response = client.get(url)
    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


# --- the list, its filters and totals ----------------------------------------------------------


def test_list_shows_every_transaction_with_links_and_totals(client, auth, spending):
    auth.login_as(Role.AUDITOR)
    page = client.get(SPENDING).get_data(as_text=True)
    assert "/projects/metro/budget/transactions" in page
    assert "/projects/port/budget/transactions" in page
    # Totals per project currency and kind, summed in the project currency:
    # metro payments 900 + 200 + 90 (100 USD at 0.9) = 1,190.00 EUR.
    assert "1,190.00 EUR" in page and "5,000.00 EUR" in page
    assert "300.00 USD" in page and "50.00 USD" in page
    assert "6 in all" in page
    assert page.count("Flagged</a>") >= 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"project": "metro"}, {"big", "crossing", "commitment", "usd"}),
        ({"project": "PORT"}, {"port", "receipt"}),
        ({"line": "cap-01", "project": "port"}, set()),
        ({"line": "CAP-01"}, {"big", "crossing", "commitment", "usd"}),
        ({"payee": "builder"}, {"big", "crossing"}),
        ({"payee": "dredg"}, {"port"}),
        ({"date_from": "2023-02-10", "date_to": "2023-04-01"}, {"crossing", "usd", "port"}),
        ({"amount_from": "200", "amount_to": "900.00"}, {"big", "crossing", "port"}),
        ({"kind": "commitment"}, {"commitment"}),
        ({"kind": "receipt"}, {"receipt"}),
        # Flagged: the payment crossing CAP-01, and the port's two lineless rows.
        ({"flagged": "y"}, {"crossing", "port", "receipt"}),
        ({"flagged": "y", "project": "metro"}, {"crossing"}),
    ],
)
def test_filters(client, auth, spending, args, expected):
    auth.login_as(Role.AUDITOR)
    rows = _rows(client.get(EXPORT, query_string=args))
    ids = {name for name, tx in spending.items() if str(tx.id) in {r["id"] for r in rows}}
    assert ids == expected
    page = client.get(SPENDING, query_string=args).get_data(as_text=True)
    assert f"{len(expected)} in all" in page if expected else "No transaction matches" in page


def test_totals_follow_the_filters(client, auth, spending):
    auth.login_as(Role.AUDITOR)
    page = client.get(SPENDING, query_string={"payee": "builder"}).get_data(as_text=True)
    assert (
        "1,100.00 EUR" in page and "USD" not in page.split("totals-title")[1].split("</table>")[0]
    )


def test_invalid_filters_are_reported_and_ignored(client, auth, spending):
    auth.login_as(Role.AUDITOR)
    page = client.get(SPENDING, query_string={"amount_from": "1,000"}).get_data(as_text=True)
    assert "Some filters were not valid" in page and "6 in all" in page
    assert client.get(EXPORT, query_string={"amount_from": "1e3"}).status_code == 400
    page = client.get(
        SPENDING, query_string={"date_from": "2023-05-01", "date_to": "2023-01-01"}
    ).get_data(as_text=True)
    assert "before its start" in page


def test_list_is_paginated_in_a_constant_number_of_queries(
    app, client, auth, spending, make_transaction
):
    from pptracker.budgets import spending_views

    auth.login_as(Role.AUDITOR)
    for n in range(spending_views.PER_PAGE):
        make_transaction("metro", amount="1.00", transaction_date=date(2021, 1, 1 + n % 28))
    statements = []

    def listener(*_args):
        statements.append(1)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        first = client.get(SPENDING)
        count_first = len(statements)
        statements.clear()
        second = client.get(SPENDING, query_string={"page": 2})
        count_second = len(statements)
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert first.status_code == second.status_code == 200
    assert "page 2 of 2" in second.get_data(as_text=True)
    assert count_first == count_second < 12


# --- the export ----------------------------------------------------------------------------


def test_export_is_complete_formula_safe_and_audited(app, client, auth, spending):
    auth.login_as(Role.AUDITOR)
    response = client.get(EXPORT, query_string={"project": "metro"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert [r["id"] for r in rows] == [
        str(spending[name].id) for name in ("commitment", "big", "crossing", "usd")
    ]
    usd = rows[-1]
    assert usd["amount"] == "100.00" and usd["currency"] == "USD"
    assert usd["rate"] == "0.90000000" and usd["project_amount"] == "90.00"
    assert usd["project_currency"] == "EUR" and usd["budget_line_code"] == "CAP-01"
    assert usd["description"].startswith("'=")  # neutralised for spreadsheets
    assert rows[2]["flagged"] == "yes" and rows[1]["flagged"] == ""
    assert rows[1]["payee"] == "Builder Ltd"
    port = _rows(client.get(EXPORT, query_string={"project": "port", "kind": "payment"}))
    assert port[0]["payee"] == "'=Dredging Co"
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "spending.export")
        ).all()
    assert len(events) == 2
    assert '"project":"metro"' in events[0].changes_json.replace(" ", "")


# --- the red flags page -------------------------------------------------------------------


def test_flags_page_groups_flags_with_reasons_and_links(client, auth, spending):
    auth.login_as(Role.AUDITOR)
    page = client.get(FLAGS).get_data(as_text=True)
    assert "Payments beyond the budget line" in page
    assert "Transaction without a budget line" in page
    assert "1,100.00 EUR" in page  # the figures are in the explanation
    assert "/projects/metro/budget/transactions" in page
    assert "/projects/metro/budget/" in page
    assert "Raise a finding" in page
    assert "3 red flags:" in page
    one = client.get(FLAGS, query_string={"project": "metro"}).get_data(as_text=True)
    assert "1 red flag:" in one and "Show the whole portfolio" in one
    assert client.get(FLAGS, query_string={"project": "nowhere"}).status_code == 404


def test_flags_page_without_flags(client, auth):
    auth.login_as(Role.ADMIN)
    page = client.get(FLAGS).get_data(as_text=True)
    assert "No red flag" in page and "Raise a finding" not in page
