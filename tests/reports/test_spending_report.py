"""The auditors' spending report: every transaction, variance, earned value and red flag."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.budgets import flags as budget_flags
from pptracker.budgets import queries as budget_queries
from pptracker.budgets.models import Transaction
from pptracker.contracts.models import Contract
from pptracker.extensions import db
from pptracker.formatting import format_date, format_datetime, format_money
from pptracker.projects.models import Project
from pptracker.projects.queries import get_project
from pptracker.projects.services import delete_project
from pptracker.reports import spending_data, spending_report, version
from tests.projects.test_metrics import _bulk_projects, _statements, build_rich
from tests.reports.conftest import pdf_pages, pdf_text

GREEK = "Ωmega «Дорога» <font size=40> & Co"
CONTRACTOR = "Κατασκευαστική <font size=40> ΑΕ"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pay(project, amount, *, day, reference=None, payee=None, line=None, contract=None, **kw):
    from pptracker.budgets.models import TransactionKind
    from pptracker.budgets.services import TransactionData, record_transaction

    return record_transaction(
        project,
        TransactionData(
            kind=TransactionKind(kw.pop("kind", "payment")),
            transaction_date=day,
            amount=Decimal(amount),
            currency=project.currency,
            budget_line_id=line,
            contract_id=contract,
            payee_id=payee,
            reference=reference,
            **kw,
        ),
        actor=None,
    )


@pytest.fixture
def spending(app, make_project, make_party):
    """A rich published project, an unpublished one and a deleted one, with transactions."""
    make_project("omega-road", title=GREEK, published=True)
    make_project("secret-plant", title="Secret Unpublished Plant", currency="USD")
    make_project("deleted-harbour", title="Deleted Harbour", published=True)
    contractor = make_party(CONTRACTOR, roles=("supplier",))
    payer = make_party("Treasury & Co", roles=("funder",))
    with app.app_context():
        project = get_project("omega-road")
        build_rich(project)
        line = db.session.scalar(sa.select(sa.func.min(Transaction.budget_line_id)))
        secret = db.session.scalar(sa.select(Contract.id).where(Contract.reference == "C-4"))
        # The same invoice twice, taking line L-1 past its 1,000.00.
        for day in (date(2024, 7, 1), date(2024, 8, 1)):
            _pay(project, "400.00", day=day, reference="INV-7", payee=contractor.id, line=line)
        _pay(
            project,
            "12345.67",
            day=date(2024, 9, 1),
            reference="CONF-PAY-1",
            payee=contractor.id,
            payer_id=payer.id,
            line=line,
            contract=secret,
            description="Works under the <b>confidential</b> contract",
        )
        other = get_project("secret-plant")
        _pay(other, "70.00", day=date(2024, 2, 2), reference="SP-1", description="word " * 200)
        _pay(get_project("deleted-harbour"), "99.00", day=date(2024, 2, 2), reference="DH-1")
        delete_project(get_project("deleted-harbour"))
        db.session.commit()


def _build(app, code: str | None):
    with app.app_context():
        current = version.current()
        project = get_project(code) if code else None
        data = spending_data.assemble(project, current)
        return current, data, spending_report.render(data)


def _transaction_text(tx: Transaction) -> str:
    """What a transaction's row reads in the PDF, from the database row."""
    notes = []
    contract = db.session.get(Contract, tx.contract_id) if tx.contract_id else None
    if contract:
        notes.append(contract.reference)
        if contract.confidential:
            notes.append("Confidential")
    flagged = budget_flags.flagged_transaction_ids([tx.project_id])
    if tx.id in flagged:
        notes.append("Flagged")
    line = f"{tx.budget_line.code} {tx.budget_line.name}" if tx.budget_line else ""
    project = db.session.get(Project, tx.project_id)
    parts = [
        format_date(tx.transaction_date),
        tx.kind.value.capitalize(),
        line,
        tx.reference or "",
        tx.payer.name if tx.payer else "",
        tx.payee.name if tx.payee else "",
        tx.description,
        format_money(tx.amount, tx.currency),
        format_money(tx.project_amount, project.currency),
        "; ".join(notes),
    ]
    return _flat(" ".join(parts))


def test_one_project_lists_every_transaction_in_date_order(app, spending):
    _current, data, content = _build(app, "omega-road")
    text = _flat(pdf_text(content))
    with app.app_context():
        project = get_project("omega-road")
        rows = db.session.scalars(
            budget_queries.transactions_of(project.id).order_by(None)
            .order_by(Transaction.transaction_date, Transaction.id)
        ).all()  # fmt: skip
        expected = [_transaction_text(tx) for tx in rows]
    assert len(expected) == 8  # the deleted one is left out
    positions = [text.index(row) for row in expected]
    assert positions == sorted(positions)
    assert f"Transactions ({len(expected)})" in text
    # A confidential contract's payment is there, marked; user text comes back literally.
    assert (
        f"2024-09-01 Payment L-1 Line L-1 CONF-PAY-1 Treasury & Co {CONTRACTOR} "
        "Works under the <b>confidential</b> contract 12,345.67 EUR 12,345.67 EUR "
        "C-4; Confidential"
    ) in text
    assert "2024-06-01 Payment L-1 Line L-1 250.25 USD 225.22 EUR" in text
    assert data.project.published is True and "Unpublished project" not in text


def test_one_project_variance_earned_value_and_flags(app, spending):
    current, _data, content = _build(app, "omega-road")
    text = _flat(pdf_text(content))
    with app.app_context():
        project = get_project("omega-road")
        variance = budget_queries.variance(project)
        ev = budget_queries.earned_value(project, today=current.today)
        found = budget_flags.project_flags(project)

    def money(value):
        return format_money(value, "EUR")

    for row in [*variance.rows, variance.unassigned]:
        name = f"{row.line.code} {row.line.name}" if row.line else "Without a budget line"
        if row.over_committed:
            name += " (over-committed)"
        executed = "–" if row.percent_executed is None else f"{row.percent_executed} %"
        expected = (
            f"{name} {money(row.planned)} {money(row.committed)} {money(row.paid)} "
            f"{money(row.received)} {money(row.remaining)} {executed}"
        )
        assert expected in text, expected
    total = variance.total
    assert (
        f"Total {money(total.planned)} {money(total.committed)} {money(total.paid)} "
        f"{money(total.received)} {money(total.remaining)} {total.percent_executed} %"
    ) in text
    assert "L-1 Line L-1 1,000.00 EUR 1,000.00 EUR 13,470.89 EUR" in text  # literally
    for label, value in (
        ("Budget at completion (BAC)", money(ev.bac)),
        ("Planned value (PV)", money(ev.pv)),
        ("Earned value (EV)", money(ev.ev)),
        ("Actual cost (AC)", money(ev.ac)),
        ("Schedule performance index (SPI)", str(ev.spi_display)),
        ("Cost performance index (CPI)", str(ev.cpi_display)),
        ("Estimate at completion (EAC)", money(ev.eac)),
    ):
        assert f"{label} {value}" in text
    kinds = {flag.kind for flag in found}
    assert {
        budget_flags.FlagKind.DUPLICATE_INVOICE,
        budget_flags.FlagKind.OVER_BUDGET_LINE,
        budget_flags.FlagKind.NO_BUDGET_LINE,
        budget_flags.FlagKind.MILESTONE_NO_EVIDENCE,
    } <= kinds
    assert f"Red flags ({len(found)})" in text
    with app.app_context():
        rules = budget_flags.rules()
    for kind, flags in budget_flags.group_by_kind(found).items():
        assert f"{rules[kind].title} ({len(flags)})" in text
        for flag in flags:
            assert f"{flag.severity.value.capitalize()} — {_flat(flag.explanation)}" in text


def test_missing_earned_value_figures_say_why(app, spending):
    _current, _data, content = _build(app, "secret-plant")
    text = _flat(pdf_text(content))
    reason = budget_queries.NO_PLANNED_VALUES
    assert f"Schedule performance index (SPI) – ({reason})" in text
    assert f"Estimate at completion (EAC) – ({reason})" in text
    assert "Spending report — Secret Unpublished Plant" in text
    assert "Unpublished project" in text
    # A long description is cut so its row fits on a page.
    assert "word " * 79 + "word… 70.00 USD" in text and "word " * 81 not in text


def test_every_page_says_internal(app, spending):
    current, _data, content = _build(app, "omega-road")
    pages = pdf_pages(content)
    assert _flat(pages[0]).startswith(f"Spending report — {GREEK}")
    for number, page in enumerate(pages, start=1):
        flat = _flat(page)
        assert (
            f"Spending report · Internal: for auditors · data as of {format_datetime(current.at)}"
        ) in flat
        assert f"Page {number} of {len(pages)}" in flat
    text = _flat("\n".join(pages))
    assert f"event {current.seq}, hash {current.hash}" in text


def test_portfolio_totals_earned_value_flags_and_transactions(app, spending):
    current, data, content = _build(app, None)
    text = _flat(pdf_text(content))
    assert text.startswith("Spending report — portfolio")
    assert "2 projects, 1 of them unpublished" in text
    with app.app_context():
        projects = db.session.scalars(sa.select(Project).where(Project.is_deleted.is_(False))).all()
        for project in projects:
            total = budget_queries.variance(project).total
            ev = budget_queries.earned_value(project, today=current.today)
            spi = str(ev.spi_display) if ev.spi is not None else "– [a]"
            cpi = str(ev.cpi_display) if ev.cpi is not None else "– [a]"
            executed = "–" if total.percent_executed is None else f"{total.percent_executed} %"
            expected = " ".join(
                [
                    format_money(total.planned),
                    format_money(total.committed),
                    format_money(total.paid),
                    format_money(total.remaining),
                    executed,
                    format_money(ev.pv),
                    format_money(ev.ev),
                    format_money(ev.ac),
                    spi,
                    cpi,
                    "–" if ev.eac is None else format_money(ev.eac),
                ]
            )
            marker = "" if project.published else " · Unpublished"
            assert (
                f"{project.title} {project.code} · {project.currency}{marker} {expected}"
            ) in text
        found = budget_flags.portfolio_flags()
    assert f"Red flags ({len(found)})" in text
    for flag in found:
        severity = flag.severity.value.capitalize()
        assert f"{severity} · {flag.project_code} — {_flat(flag.explanation)}" in text
    assert "USD 1 0.00 USD 0.00 USD 70.00 USD 0.00 USD" in text
    # Transactions grouped by project, by title; the deleted project is not there.
    secret = text.index("Secret Unpublished Plant (secret-plant) · Unpublished")
    greek = text.index(f"{GREEK} (omega-road)")
    assert secret < text.index("SP-1", secret) < greek < text.index("CONF-PAY-1", greek)
    assert "Deleted Harbour" not in text and "DH-1" not in text
    assert [g.project.code for g in data.transactions] == ["secret-plant", "omega-road"]


def test_a_limit_lists_flagged_then_latest_projects_taking_turns(app, spending, monkeypatch):
    monkeypatch.setattr(spending_data, "PORTFOLIO_TRANSACTION_LIMIT", 3)
    monkeypatch.setattr(spending_data, "PROJECT_TRANSACTION_LIMIT", 4)
    _current, data, content = _build(app, None)
    text = _flat(pdf_text(content))
    greek, secret = (
        next(g for g in data.transactions if g.project.code == code)
        for code in ("omega-road", "secret-plant")
    )
    # Flagged: 2024-07-01 and 2024-08-01 (the same invoice), 2025-01-01 (no line).
    assert [(tx.date, tx.flagged) for tx in greek.rows] == [
        (date(2024, 8, 1), True),
        (date(2025, 1, 1), True),
    ]
    assert (greek.count, greek.omitted, secret.count, secret.omitted) == (8, 6, 1, 0)
    assert "6 of the 9 transactions are not listed: a report lists at most 3" in text
    assert "8 transactions; 2 listed (the flagged ones, then the latest), 6 older" in text

    _current, data, content = _build(app, "omega-road")
    (only,) = data.transactions
    assert [tx.reference for tx in only.rows] == ["INV-7", "INV-7", "CONF-PAY-1", ""]
    assert "4 of the 8 transactions are not listed" in _flat(pdf_text(content))


def test_same_data_same_bytes(app, spending):
    assert _build(app, "omega-road")[2] == _build(app, "omega-road")[2]
    assert _build(app, None)[2] == _build(app, None)[2]


def test_statements_do_not_grow_with_the_number_of_projects(app):
    ids = _bulk_projects(app, 30)

    def assemble(project_id):
        def call():
            project = db.session.get(Project, project_id) if project_id else None
            data = spending_data.assemble(project, current)
            assert data.transactions

        return call

    with app.app_context():
        current = version.current()
    portfolio = _statements(app, assemble(None))
    one = _statements(app, assemble(ids[0]))
    # Add projects: the portfolio costs the same; so does one project with more rows.
    _bulk_projects_more(app)
    assert _statements(app, assemble(None)) == portfolio
    assert _statements(app, assemble(ids[0])) == one


def _bulk_projects_more(app):
    from pptracker.budgets.models import TransactionKind
    from pptracker.projects.models import Party

    with app.app_context():
        authority = db.session.scalar(sa.select(Party.id))
        for i in range(5):
            project = Project(
                code=f"more-{i}", title=f"More {i}", sector="health", type="construction",
                status="implementation", ppp_model="BOT", currency="EUR",
                public_authority_id=authority,
            )  # fmt: skip
            db.session.add(project)
            db.session.flush()
        first = db.session.scalar(sa.select(sa.func.min(Project.id)))
        for day in range(1, 20):
            db.session.add(
                Transaction(
                    project_id=first, kind=TransactionKind.RECEIPT,
                    transaction_date=date(2024, 3, day), amount=Decimal("1.00"), currency="EUR",
                    rate=Decimal(1), project_amount=Decimal("1.00"),
                )
            )  # fmt: skip
        db.session.commit()
