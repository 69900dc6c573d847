"""What the auditors' spending report shows, read from the database as plain data.

For auditors only: nothing is redacted. Confidential records (a transaction
under a confidential contract) and unpublished projects are included and
marked as such, so a reader knows the report must not be published.

One project: its variance by budget line (``budgets.queries.variance``),
earned value (``budgets.queries.earned_value``), red flags and every
transaction. The portfolio: each live project's variance total and earned
value (``projects.metrics``, one statement for all), every red flag, and
the transactions grouped by project. Either way the number of statements
is fixed, whatever the number of projects and transactions.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from pptracker.budgets import flags as budget_flags
from pptracker.budgets import queries as budget_queries
from pptracker.budgets.forms import KIND_LABELS
from pptracker.budgets.models import BudgetLine, Transaction
from pptracker.budgets.queries import EarnedValue, VarianceRow
from pptracker.contracts.models import Contract
from pptracker.extensions import db
from pptracker.projects.metrics import earned_values, project_metrics
from pptracker.projects.models import Party, Project
from pptracker.reports.version import DataVersion

ZERO = Decimal("0.00")

#: At most this many transactions are listed (a PDF of 100,000 rows takes
#: minutes and gigabytes to lay out): one project's report, and the portfolio's.
#: The flagged ones come first, then the latest; in the portfolio, projects take
#: turns, so each gets its first rows before any gets more. The spending CSV
#: export has every transaction.
PROJECT_TRANSACTION_LIMIT = 10_000
PORTFOLIO_TRANSACTION_LIMIT = 5_000

#: A transaction's description is cut at this many characters (a table row
#: cannot run over a page); the spending CSV export has the full text.
DESCRIPTION_LIMIT = 400

WITHOUT_LINE = "Without a budget line"


@dataclass(frozen=True)
class ProjectHeading:
    """Which project a part of the report is about."""

    id: int
    code: str
    title: str
    currency: str
    published: bool


@dataclass(frozen=True)
class LineVariance:
    """A row of the variance table: a budget line, the unassigned transactions, or the total.

    Amounts in the project currency; ``planned``, ``remaining`` and
    ``percent_executed`` are None for the transactions without a line.
    The project report prints these rows too (with the line's ``category``).
    A plain copy rather than the ``VarianceRow`` itself: that one holds the
    ``BudgetLine`` (an ORM object) the labels come from.
    """

    code: str
    name: str
    planned: Decimal | None
    committed: Decimal
    paid: Decimal
    received: Decimal
    remaining: Decimal | None
    percent_executed: Decimal | None
    over_committed: bool = False
    #: The budget line's category, in words ("" for the unassigned and total rows).
    category: str = ""

    @classmethod
    def of(cls, row: VarianceRow, *, code: str, name: str, category: str = "") -> "LineVariance":
        """Return the plain copy of a ``budgets.queries.VarianceRow``."""
        return cls(
            code=code,
            name=name,
            category=category,
            planned=row.planned,
            committed=row.committed,
            paid=row.paid,
            received=row.received,
            remaining=row.remaining,
            percent_executed=row.percent_executed,
            over_committed=row.over_committed,
        )


@dataclass(frozen=True)
class ProjectSpending:
    """One project's variance total and earned value (a row of the portfolio table)."""

    project: ProjectHeading
    total: LineVariance
    earned_value: EarnedValue


@dataclass(frozen=True)
class CurrencyTotal:
    """The variance totals of the projects budgeted in one currency."""

    currency: str
    projects: int
    planned: Decimal
    committed: Decimal
    paid: Decimal
    received: Decimal


@dataclass(frozen=True)
class FlagRow:
    """One red flag as listed: how serious, which project, why (with the figures)."""

    severity: str
    project_code: str
    explanation: str


@dataclass(frozen=True)
class FlagGroup:
    """The red flags of one kind, with the rule that raised them."""

    title: str
    rule: str
    flags: tuple[FlagRow, ...]


@dataclass(frozen=True)
class TransactionRow:
    """One transaction, with everything an auditor needs to trace it."""

    id: int
    date: date
    kind: str
    budget_line: str
    reference: str
    payer: str
    payee: str
    description: str
    amount: Decimal
    currency: str
    project_amount: Decimal
    project_currency: str
    #: The contract's reference, "" when none.
    contract: str
    #: Recorded under a confidential contract.
    confidential: bool
    #: Recorded under a contract since deleted.
    contract_withdrawn: bool
    #: Some red flag is about it.
    flagged: bool


@dataclass(frozen=True)
class ProjectTransactions:
    """A project's transactions, by date; ``count`` is how many it has in all."""

    project: ProjectHeading
    rows: tuple[TransactionRow, ...]
    count: int

    @property
    def omitted(self) -> int:
        """How many are not listed (beyond the report's limit: not flagged, and older)."""
        return self.count - len(self.rows)


@dataclass(frozen=True)
class SpendingReportData:
    """Everything the spending report prints, as plain values.

    ``project`` is the project of a one-project report, None for the
    portfolio; ``lines`` is filled for one project only.
    """

    version: DataVersion
    title: str
    project: ProjectHeading | None
    projects: tuple[ProjectSpending, ...]
    totals: tuple[CurrencyTotal, ...]
    lines: tuple[LineVariance, ...]
    flags: tuple[FlagGroup, ...]
    flag_count: int
    transactions: tuple[ProjectTransactions, ...]
    #: The most transactions the report lists (see ``PORTFOLIO_TRANSACTION_LIMIT``).
    transaction_limit: int

    @property
    def unpublished(self) -> int:
        """How many of the projects in the report are not published."""
        return sum(1 for p in self.projects if not p.project.published)


def _heading(project) -> ProjectHeading:
    return ProjectHeading(
        id=project.id,
        code=project.code,
        title=project.title,
        currency=project.currency,
        published=bool(project.published),
    )


def _flag_groups(found) -> tuple[FlagGroup, ...]:
    rules = budget_flags.rules()
    return tuple(
        FlagGroup(
            title=rules[kind].title,
            rule=rules[kind].rule,
            flags=tuple(
                FlagRow(f.severity.value.capitalize(), f.project_code, f.explanation) for f in items
            ),
        )
        for kind, items in budget_flags.group_by_kind(found).items()
    )


def _cut(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    return text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"


def _transactions(
    headings: dict[int, ProjectHeading], project_id: int | None, limit: int
) -> tuple[ProjectTransactions, ...]:
    """Read the transactions of one project (or of every live one), in one statement.

    :param limit: list at most this many: each project's flagged ones first,
        then its latest; projects take turns (every project's first before
        any project's second). Listed by project, then date and entry order.
    """
    payer, payee = aliased(Party), aliased(Party)
    scope = [Transaction.is_deleted.is_(False), Project.is_deleted.is_(False)]
    if project_id is not None:
        scope.append(Transaction.project_id == project_id)
    flagged_ids = budget_flags.flagged_ids_select(None if project_id is None else [project_id])
    rows_ = (
        sa.select(
            Transaction.id.label("id"),
            Transaction.project_id.label("project_id"),
            Transaction.transaction_date.label("day"),
            Transaction.kind.label("kind"),
            Transaction.reference.label("reference"),
            Transaction.description.label("description"),
            Transaction.amount.label("amount"),
            Transaction.currency.label("currency"),
            Transaction.project_amount.label("project_amount"),
            BudgetLine.code.label("line_code"),
            BudgetLine.name.label("line_name"),
            payer.name.label("payer"),
            payee.name.label("payee"),
            Contract.reference.label("contract"),
            Contract.confidential.label("confidential"),
            Contract.is_deleted.label("contract_deleted"),
            sa.case((Transaction.id.in_(flagged_ids), 1), else_=0).label("flagged"),
        )
        .join(Project, Project.id == Transaction.project_id)
        .outerjoin(BudgetLine, BudgetLine.id == Transaction.budget_line_id)
        .outerjoin(payer, payer.id == Transaction.payer_id)
        .outerjoin(payee, payee.id == Transaction.payee_id)
        .outerjoin(Contract, Contract.id == Transaction.contract_id)
        .where(*scope)
        .subquery()
    )
    ranked = sa.select(
        rows_,
        sa.func.row_number()
        .over(
            partition_by=rows_.c.project_id,
            order_by=(rows_.c.flagged.desc(), rows_.c.day.desc(), rows_.c.id.desc()),
        )
        .label("turn"),
        sa.func.count().over(partition_by=rows_.c.project_id).label("count"),
    ).subquery()
    queued = sa.select(
        ranked,
        sa.func.row_number().over(order_by=(ranked.c.turn, ranked.c.project_id)).label("place"),
    ).subquery()
    stmt = (
        sa.select(queued)
        .where(queued.c.place <= limit)
        .order_by(queued.c.project_id, queued.c.day, queued.c.id)
    )
    rows: dict[int, list[TransactionRow]] = defaultdict(list)
    counts: dict[int, int] = {}
    for row in db.session.execute(stmt):
        heading = headings[row.project_id]
        counts[row.project_id] = row.count
        rows[row.project_id].append(
            TransactionRow(
                id=row.id,
                date=row.day,
                kind=KIND_LABELS.get(str(row.kind), str(row.kind)),
                budget_line=f"{row.line_code} {row.line_name}" if row.line_code else "",
                reference=row.reference or "",
                payer=row.payer or "",
                payee=row.payee or "",
                description=_cut(row.description),
                amount=row.amount,
                currency=row.currency,
                project_amount=row.project_amount,
                project_currency=heading.currency,
                contract=row.contract or "",
                confidential=bool(row.confidential),
                contract_withdrawn=bool(row.contract_deleted),
                flagged=bool(row.flagged),
            )
        )
    return tuple(
        ProjectTransactions(heading, tuple(rows[pid]), counts[pid])
        for pid, heading in headings.items()
        if pid in counts
    )


def _one_project(project, version: DataVersion) -> SpendingReportData:
    heading = _heading(project)
    variance = budget_queries.variance(project)
    lines = [LineVariance.of(row, code=row.line.code, name=row.line.name) for row in variance.rows]
    if variance.unassigned is not None:
        lines.append(LineVariance.of(variance.unassigned, code="", name=WITHOUT_LINE))
    total = LineVariance.of(variance.total, code="", name="Total")
    found = budget_flags.project_flags(project, on=version.today)
    return SpendingReportData(
        version=version,
        title=f"Spending report — {project.title}",
        project=heading,
        projects=(
            ProjectSpending(
                heading, total, budget_queries.earned_value(project, today=version.today)
            ),
        ),
        totals=(),
        lines=(*lines, total),
        flags=_flag_groups(found),
        flag_count=len(found),
        transactions=_transactions({heading.id: heading}, project.id, PROJECT_TRANSACTION_LIMIT),
        transaction_limit=PROJECT_TRANSACTION_LIMIT,
    )


def _portfolio(version: DataVersion) -> SpendingReportData:
    live = Project.is_deleted.is_(False)
    found_projects = db.session.execute(
        sa.select(
            Project.id, Project.code, Project.title, Project.currency, Project.published
        ).where(live)
    ).all()
    ordered = sorted(found_projects, key=lambda p: (p.title.casefold(), p.title, p.code))
    headings = {p.id: _heading(p) for p in ordered}
    ids = sa.select(Project.id).where(live)
    metrics = project_metrics(ids, hide_confidential=False)
    values = earned_values(ids, today=version.today)
    projects = tuple(
        ProjectSpending(
            heading,
            LineVariance.of(metrics[pid].total, code="", name="Total"),
            values[pid],
        )
        for pid, heading in headings.items()
    )
    totals: dict[str, list] = {}
    for item in projects:
        bucket = totals.setdefault(item.project.currency, [0, ZERO, ZERO, ZERO, ZERO])
        bucket[0] += 1
        bucket[1] += item.total.planned or ZERO
        bucket[2] += item.total.committed
        bucket[3] += item.total.paid
        bucket[4] += item.total.received
    found = budget_flags.portfolio_flags(on=version.today)
    return SpendingReportData(
        version=version,
        title="Spending report — portfolio",
        project=None,
        projects=projects,
        totals=tuple(
            CurrencyTotal(currency, *bucket) for currency, bucket in sorted(totals.items())
        ),
        lines=(),
        flags=_flag_groups(found),
        flag_count=len(found),
        transactions=_transactions(headings, None, PORTFOLIO_TRANSACTION_LIMIT),
        transaction_limit=PORTFOLIO_TRANSACTION_LIMIT,
    )


def assemble(project, version: DataVersion) -> SpendingReportData:
    """Read the spending of ``project`` (None: of every live project) as of ``version``.

    Nothing is withheld: this is for auditors. A fixed number of statements:
    for one project, variance (up to 3), earned value (2), flags (9)
    and the transactions (1); for the portfolio, the projects (1), their metrics (3),
    flags (9) and the transactions (1).

    :param project: a live ``Project``, or None for the portfolio.
    :param version: the data version; its date is "today" for earned value.
    """
    if project is None:
        return _portfolio(version)
    return _one_project(project, version)
