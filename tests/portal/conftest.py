"""Portal test helpers: read a page's tables, count statements, add many projects fast.

The contract, amendment, budget, milestone, operations and document factories
come from the other areas' tests.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from pptracker.extensions import db
from tests.budgets.conftest import (  # noqa: F401 - fixtures shared with other areas
    make_budget_line,
    make_milestone,
    make_transaction,
)
from tests.contracts.conftest import make_amendment, make_contract  # noqa: F401
from tests.documents.conftest import make_document  # noqa: F401
from tests.operations.conftest import (  # noqa: F401
    make_demand_series,
    make_kpi,
    make_tariff,
)


class _Tables(HTMLParser):
    """Collect every table: its caption and its rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._stack: list[dict] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._svg = 0

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self._svg += 1
        elif tag == "table":
            self._stack.append({"caption": "", "rows": []})
        elif tag == "caption" and self._stack:
            self._caption = []
        elif tag == "tr" and self._stack:
            self._stack[-1]["rows"].append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg -= 1
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "caption" and self._caption is not None:
            self._stack[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._stack[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._svg:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def tables(html: str) -> list[dict]:
    """Return every table of ``html`` as ``{"caption": text, "rows": [[cell text, …], …]}``."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table(html: str, caption_start: str) -> list[list[str]]:
    """Return the rows (header row included) of the one table whose caption starts so."""
    found = [t for t in tables(html) if t["caption"].startswith(caption_start)]
    assert len(found) == 1, [t["caption"] for t in tables(html)]
    return found[0]["rows"]


def body_rows(html: str, caption_start: str) -> dict[str, list[str]]:
    """Return ``{first cell: other cells}`` of a table's rows below its header."""
    return {row[0]: row[1:] for row in table(html, caption_start)[1:]}


def text(html: str) -> str:
    """Return the page's visible text (tags and SVG left out), whitespace collapsed."""
    import re
    from html import unescape

    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    html = re.sub(r"<head>.*?</head>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def statements(app, client, url: str, *, status: int = 200) -> int:
    """Return how many SQL statements a GET of ``url`` issues (after a first, warming GET)."""
    assert client.get(url).status_code == status
    count = 0

    def listener(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return count


def bulk_projects(
    app,
    n: int,
    *,
    prefix: str = "bulk",
    sector: str = "health",
    status: str = "implementation",
    currency: str = "EUR",
    children: int = 1,
) -> list[int]:
    """Add ``n`` published projects quickly (ORM bulk inserts, no audit), each with children.

    Each project gets ``children`` milestones (one met on time), budget
    lines, payments and contracts with an amendment, so every figure of the
    portal has rows to read.
    """
    from pptracker.budgets.models import BudgetCategory, BudgetLine, Transaction, TransactionKind
    from pptracker.contracts.models import (
        Amendment,
        AmendmentType,
        Contract,
        ContractStatus,
        PaymentMechanism,
    )
    from pptracker.milestones.models import Milestone, MilestoneStatus
    from pptracker.projects.models import Party, Project

    published_at = datetime(2024, 1, 1, tzinfo=UTC)
    with app.app_context():
        authority = db.session.execute(
            sa.insert(Party).returning(Party.id),
            [{"name": f"{prefix} authority", "roles": ["publicAuthority"]}],
        ).scalar_one()
        ids = list(
            db.session.scalars(
                sa.insert(Project).returning(Project.id, sort_by_parameter_order=True),
                [
                    {
                        "code": f"{prefix}-{i}",
                        "title": f"{prefix.title()} project {i}",
                        "sector": sector,
                        "type": "construction",
                        "status": status,
                        "ppp_model": "DBFO",
                        "currency": currency,
                        "budget_amount": Decimal("1000.00"),
                        "location": "Somewhere",
                        "public_authority_id": authority,
                        "published": True,
                        "published_at": published_at,
                    }
                    for i in range(n)
                ],
            )
        )
        rows = [(pid, k) for pid in ids for k in range(children)]
        db.session.execute(
            sa.insert(Milestone),
            [
                {
                    "project_id": pid,
                    "title": f"Milestone {k}",
                    "type": "delivery",
                    "baseline_date": date(2023, 1, 1 + k % 28),
                    "actual_date": date(2023, 1, 1) if k == 0 else None,
                    "status": MilestoneStatus.MET if k == 0 else MilestoneStatus.IN_PROGRESS,
                    "percent_complete": 100 if k == 0 else 50,
                    "weight": 1,
                }
                for pid, k in rows
            ],
        )
        lines = list(
            db.session.scalars(
                sa.insert(BudgetLine).returning(BudgetLine.id, sort_by_parameter_order=True),
                [
                    {
                        "project_id": pid,
                        "code": f"L-{k}",
                        "name": f"Line {k}",
                        "category": BudgetCategory.CAPEX,
                        "planned_amount": Decimal("100.00"),
                    }
                    for pid, k in rows
                ],
            )
        )
        contracts = list(
            db.session.scalars(
                sa.insert(Contract).returning(Contract.id, sort_by_parameter_order=True),
                [
                    {
                        "project_id": pid,
                        "reference": f"C-{k}",
                        "title": f"Contract {k}",
                        "status": ContractStatus.ACTIVE,
                        "payment_mechanism": PaymentMechanism.HYBRID,
                        "initial_value": Decimal("10.00"),
                        "currency": currency,
                    }
                    for pid, k in rows
                ],
            )
        )
        db.session.execute(
            sa.insert(Transaction),
            [
                {
                    "project_id": pid,
                    "budget_line_id": line,
                    "contract_id": contract,
                    "kind": TransactionKind.PAYMENT,
                    "transaction_date": date(2023, 6, 1),
                    "amount": Decimal("25.00"),
                    "currency": currency,
                    "rate": Decimal(1),
                    "project_amount": Decimal("25.00"),
                }
                for (pid, _k), line, contract in zip(rows, lines, contracts, strict=True)
            ],
        )
        db.session.execute(
            sa.insert(Amendment),
            [
                {
                    "contract_id": contract,
                    "project_id": pid,
                    "number": 1,
                    "amended_on": date(2023, 3, 1),
                    "type": AmendmentType.SCOPE,
                    "rationale": "More scope.",
                    "approved_by": "Board",
                    "approved_on": date(2023, 3, 1),
                }
                for (pid, _k), contract in zip(rows, contracts, strict=True)
            ],
        )
        db.session.commit()
        return ids


@pytest.fixture
def published(make_project):
    """Make a published project (with a fresh public authority unless given)."""

    def make(code=None, **fields):
        return make_project(code, published=True, **fields)

    return make
