"""Reads for the public site: published, live projects and what the public may see of them.

Every function here starts from ``published()``, the one condition for a
project the public may see, and leaves confidential records out (or counts
them in a notice). Each issues a fixed number of SQL statements whatever the
number of projects, milestones or records: aggregates are computed by the
database (GROUP BY), lists come from one query each.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from pptracker import codelists
from pptracker.audit.models import DATA_ACTIONS, AuditEvent
from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import Amendment, Contract, ContractParty
from pptracker.database import Money
from pptracker.disclosure import WITHDRAWN, Redacted, notices, public_document
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.operations.models import Kpi, KpiObservation
from pptracker.permissions import project_scope
from pptracker.projects.metrics import Amount
from pptracker.projects.models import Party, Project

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")

#: How many entries the dashboard's "latest updates" shows.
LATEST_UPDATES = 10


def published() -> sa.ColumnElement[bool]:
    """Return the SQL condition for a project the public may see: published and live."""
    return project_scope(None)


def _money_sum(expression):
    # Summed in the column's own type: exact on both engines, 0.00 when no row.
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(expression), 0), Money())


def percent(part: int | Decimal, whole: int | Decimal | None) -> Decimal | None:
    """Return ``part`` ÷ ``whole`` × 100 to one decimal (half to even); None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_EVEN)


# --- the dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """The published projects of one sector (or status): how many, and their budgets.

    ``budgets`` adds up the approved budgets (``Project.budget_amount``) per
    currency, never across currencies; ``unbudgeted`` counts the projects
    without an approved budget, which add nothing.
    """

    code: str
    label: str
    projects: int
    budgets: tuple[Amount, ...]
    unbudgeted: int


@dataclass(frozen=True)
class OnTime:
    """How many milestones that fell due (or were met) were met by their baseline date."""

    counted: int
    on_time: int

    @property
    def percent(self) -> Decimal | None:
        """On time ÷ counted × 100, to one decimal; None when nothing is counted."""
        return percent(self.on_time, self.counted)


@dataclass(frozen=True)
class Execution:
    """Paid against planned over the budget lines of the projects in one currency."""

    currency: str
    projects: int
    planned: Decimal
    paid: Decimal

    @property
    def percent(self) -> Decimal | None:
        """Paid ÷ planned × 100, to one decimal; None when nothing is planned."""
        return percent(self.paid, self.planned)


@dataclass(frozen=True)
class Update:
    """One entry of the latest updates: what happened to which project, and when."""

    on: date
    kind: str
    text: str
    project_code: str
    project_title: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the public home page shows, as plain values."""

    today: date
    projects: int
    by_sector: tuple[Group, ...]
    by_status: tuple[Group, ...]
    #: Every published project, by the currency of its budget.
    by_currency: tuple[Group, ...]
    on_time: OnTime
    execution: tuple[Execution, ...]
    updates: tuple[Update, ...]


def _groups(rows, key, label, order=None) -> tuple[Group, ...]:
    """Fold (sector, status, currency) counts and sums into one ``Group`` per ``key``."""
    counts: dict[str, int] = defaultdict(int)
    unbudgeted: dict[str, int] = defaultdict(int)
    sums: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        code = key(row)
        counts[code] += row.projects
        unbudgeted[code] += row.projects - row.budgeted
        if row.budgeted:
            sums[code][row.currency] = sums[code].get(row.currency, ZERO) + row.budget
    groups = [
        Group(
            code=code,
            label=label(code),
            projects=counts[code],
            budgets=tuple(Amount(sums[code][c], c) for c in sorted(sums[code])),
            unbudgeted=unbudgeted[code],
        )
        for code in counts
    ]
    if order is None:
        # Largest first, then by name: the chart reads from the top.
        return tuple(sorted(groups, key=lambda g: (-g.projects, g.label.casefold(), g.code)))
    rank = {code: i for i, code in enumerate(order)}
    return tuple(sorted(groups, key=lambda g: (rank.get(g.code, len(rank)), g.code)))


def _status_title(code: str) -> str:
    return codelists.title("projectStatus", code).capitalize()


def _portfolio_rows():
    """One statement: published projects counted and budgets summed by sector, status, currency."""
    return db.session.execute(
        sa.select(
            Project.sector,
            Project.status,
            Project.currency,
            sa.func.count().label("projects"),
            sa.func.count(Project.budget_amount).label("budgeted"),
            _money_sum(Project.budget_amount).label("budget"),
        )
        .where(published())
        .group_by(Project.sector, Project.status, Project.currency)
    ).all()


def on_time(today: date) -> OnTime:
    """Return the share of milestones met on time, over the published projects (one statement).

    Counted: the live, not cancelled milestones of published projects that
    have a baseline date and either fell due (baseline on or before
    ``today``) or were met. On time: met on or before the baseline date.
    """
    met = Milestone.status == MilestoneStatus.MET
    counted = sa.and_(
        Milestone.is_deleted.is_(False),
        Milestone.status != MilestoneStatus.CANCELLED,
        Milestone.baseline_date.is_not(None),
        sa.or_(Milestone.baseline_date <= today, met),
    )
    on_time_case = sa.case(
        (sa.and_(met, Milestone.actual_date <= Milestone.baseline_date), 1), else_=0
    )
    row = db.session.execute(
        sa.select(sa.func.count().label("counted"), sa.func.sum(on_time_case).label("on_time"))
        .select_from(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(published(), counted)
    ).one()
    return OnTime(counted=row.counted, on_time=int(row.on_time or 0))


def execution(projects: dict[str, int]) -> tuple[Execution, ...]:
    """Return paid against planned per project currency, over the published projects.

    The figures of ``projects.metrics.project_metrics`` added up per currency
    (as the portfolio report's totals): the planned amounts of the live
    budget lines, and the live payments in the project currency. Two
    statements whatever the number of projects.

    :param projects: how many published projects each currency has.
    """
    planned = dict(
        db.session.execute(
            sa.select(Project.currency, _money_sum(BudgetLine.planned_amount))
            .join(Project, Project.id == BudgetLine.project_id)
            .where(published(), BudgetLine.is_deleted.is_(False))
            .group_by(Project.currency)
        ).all()
    )
    paid = dict(
        db.session.execute(
            sa.select(Project.currency, _money_sum(Transaction.project_amount))
            .join(Project, Project.id == Transaction.project_id)
            .where(
                published(),
                Transaction.is_deleted.is_(False),
                Transaction.kind == TransactionKind.PAYMENT,
            )
            .group_by(Project.currency)
        ).all()
    )
    return tuple(
        Execution(
            currency=c,
            projects=projects.get(c, 0),
            planned=planned.get(c, ZERO),
            paid=paid.get(c, ZERO),
        )
        for c in sorted(set(planned) | set(paid))
    )


def latest_updates(limit: int = LATEST_UPDATES) -> tuple[Update, ...]:
    """Return the latest milestones met, public amendments and publications, newest first.

    Three statements (one per kind, each limited), merged here. Only published,
    live projects; amendments only when neither they nor their contract are
    confidential and the contract is live.
    """
    milestones = db.session.execute(
        sa.select(
            Milestone.title,
            Milestone.actual_date,
            Milestone.baseline_date,
            Project.code,
            Project.title.label("project_title"),
        )
        .join(Project, Project.id == Milestone.project_id)
        .where(
            published(),
            Milestone.is_deleted.is_(False),
            Milestone.status == MilestoneStatus.MET,
            Milestone.actual_date.is_not(None),
        )
        .order_by(Milestone.actual_date.desc(), Milestone.id.desc())
        .limit(limit)
    ).all()
    amendments = db.session.execute(
        sa.select(
            Amendment.number,
            Amendment.amended_on,
            Amendment.type,
            Contract.reference,
            Project.code,
            Project.title.label("project_title"),
        )
        .join(Contract, Contract.id == Amendment.contract_id)
        .join(Project, Project.id == Contract.project_id)
        .where(
            published(),
            Contract.is_deleted.is_(False),
            Contract.confidential.is_(False),
            Amendment.confidential.is_(False),
        )
        .order_by(Amendment.amended_on.desc(), Amendment.id.desc())
        .limit(limit)
    ).all()
    projects = db.session.execute(
        sa.select(Project.code, Project.title, Project.published_at)
        .where(published(), Project.published_at.is_not(None))
        .order_by(Project.published_at.desc(), Project.id.desc())
        .limit(limit)
    ).all()
    updates = [
        Update(
            on=m.actual_date,
            kind="Milestone met",
            text=f"{m.title}: met{_lateness(m.actual_date, m.baseline_date)}",
            project_code=m.code,
            project_title=m.project_title,
        )
        for m in milestones
    ]
    updates += [
        Update(
            on=a.amended_on,
            kind="Contract amended",
            text=(f"Contract {a.reference}, amendment {a.number} (change of {a.type.value})"),
            project_code=a.code,
            project_title=a.project_title,
        )
        for a in amendments
    ]
    updates += [
        Update(
            on=p.published_at.date(),
            kind="Project published",
            text="Published on this site",
            project_code=p.code,
            project_title=p.title,
        )
        for p in projects
    ]
    updates.sort(key=lambda u: u.on, reverse=True)  # stable: ties keep the kinds' order
    return tuple(updates[:limit])


def _lateness(actual: date, baseline: date | None) -> str:
    if baseline is None:
        return ""
    late = (actual - baseline).days
    if late <= 0:
        return " on time"
    return f" {late} day{'' if late == 1 else 's'} late"


def dashboard(today: date) -> Dashboard:
    """Return the public dashboard's figures as of ``today``, in seven statements.

    :param today: the date milestones fall due on.
    """
    rows = _portfolio_rows()
    by_currency = _groups(rows, lambda r: r.currency, lambda c: c, order=[])
    return Dashboard(
        today=today,
        projects=sum(row.projects for row in rows),
        by_sector=_groups(rows, lambda r: r.sector, lambda c: codelists.title("projectSector", c)),
        by_status=_groups(
            rows, lambda r: r.status, _status_title, order=list(codelists.codelist("projectStatus"))
        ),
        by_currency=by_currency,
        on_time=on_time(today),
        execution=execution({g.code: g.projects for g in by_currency}),
        updates=latest_updates(),
    )


# --- the project list ---------------------------------------------------------------------

#: Sort keys of the public list: the column, and whether missing values go last.
SORTS: dict[str, tuple[str, sa.ColumnElement]] = {
    "title": ("Title", Project.title),
    "published": ("Date published", Project.published_at),
    "budget": ("Approved budget", Project.budget_amount),
    "end": ("Planned end", Project.planned_end),
    "code": ("Code", Project.code),
}


@dataclass(frozen=True)
class ListQuery:
    """What the public project list was asked for, already checked."""

    q: str = ""
    sector: str = ""
    status: str = ""
    ppp_model: str = ""
    authority: int | None = None
    sort: str = "title"
    desc: bool = False

    def args(self) -> dict[str, str]:
        """Return the query string that asks for this list again (defaults left out)."""
        args = {
            "q": self.q,
            "sector": self.sector,
            "status": self.status,
            "ppp_model": self.ppp_model,
            "authority": "" if self.authority is None else str(self.authority),
        }
        args = {k: v for k, v in args.items() if v}
        if self.sort != "title":
            args["sort"] = self.sort
        if self.desc:
            args["dir"] = "desc"
        return args

    @property
    def filtered(self) -> bool:
        """Tell whether any search or filter narrows the list."""
        return bool(self.q or self.sector or self.status or self.ppp_model or self.authority)


def authorities() -> list[tuple[int, str]]:
    """Return ``(id, name)`` of the public authorities of published projects, by name."""
    return [
        (row.id, row.name)
        for row in db.session.execute(
            sa.select(Party.id, Party.name)
            .where(
                sa.exists().where(Project.public_authority_id == Party.id, published()),
            )
            .order_by(Party.name, Party.id)
        )
    ]


def project_list(query: ListQuery) -> sa.Select:
    """Return the published projects matching ``query``, sorted, their public authority loaded.

    Search is case-insensitive on title, code and location.
    """
    authority = aliased(Party)
    stmt = (
        sa.select(Project)
        .join(authority, Project.public_authority)
        .where(published())
        .options(contains_eager(Project.public_authority.of_type(authority)))
    )
    if query.q:
        needle = query.q.strip().lower()
        stmt = stmt.where(
            sa.or_(
                *(
                    sa.func.lower(column).contains(needle, autoescape=True)
                    for column in (Project.title, Project.code, Project.location)
                )
            )
        )
    if query.sector:
        # A family code ("transport") also finds its sub-sectors ("transport.road").
        stmt = stmt.where(
            sa.or_(Project.sector == query.sector, Project.sector.like(f"{query.sector}.%"))
        )
    if query.status:
        stmt = stmt.where(Project.status == query.status)
    if query.ppp_model:
        stmt = stmt.where(Project.ppp_model == query.ppp_model)
    if query.authority is not None:
        stmt = stmt.where(Project.public_authority_id == query.authority)
    column = SORTS[query.sort][1]
    # Missing values last in either direction, the same on both engines.
    order = [column.is_(None), column.desc() if query.desc else column.asc()]
    if query.sort != "title":
        order.append(Project.title)
    return stmt.order_by(*order, Project.id)


# --- the project page ---------------------------------------------------------------------


def public_project(code: str) -> Project | None:
    """Return the published, live project with this code (parties loaded), or None."""
    authority, private = aliased(Party), aliased(Party)
    return db.session.scalar(
        sa.select(Project)
        .join(authority, Project.public_authority)
        .outerjoin(private, Project.private_party)
        .where(Project.code == code, published())
        .options(
            contains_eager(Project.public_authority.of_type(authority)),
            contains_eager(Project.private_party.of_type(private)),
        )
    )


@dataclass(frozen=True)
class ContractPartyRow:
    """A party to a public contract, and its role there."""

    contract_reference: str
    party: str
    role: str


def contract_parties(project_id: int) -> tuple[ContractPartyRow, ...]:
    """Return the parties of the public, live contracts of a project, with roles (one statement)."""
    roles = codelists.party_roles()
    rows = db.session.execute(
        sa.select(Contract.reference, Party.name, ContractParty.role)
        .join(Contract, Contract.id == ContractParty.contract_id)
        .join(Party, Party.id == ContractParty.party_id)
        .where(
            Contract.project_id == project_id,
            Contract.is_deleted.is_(False),
            Contract.confidential.is_(False),
        )
        .order_by(Contract.signature_date.is_(None), Contract.signature_date, Contract.id)
        .order_by(ContractParty.id)
    ).all()
    return tuple(
        ContractPartyRow(row.reference, row.name, roles.get(row.role, row.role)) for row in rows
    )


@dataclass(frozen=True)
class PublicDocument:
    """A document the public may download."""

    id: int
    title: str
    document_type: str
    filename: str
    media_type: str
    size: int
    added: datetime
    contract_reference: str | None


def public_documents(project_id: int) -> tuple[tuple[PublicDocument, ...], tuple[Redacted, ...]]:
    """Return the project's public documents, newest first, and notices for those withheld.

    Whether a document reaches the public is ``disclosure.public_document()``,
    the rule the download and the exports follow too: live, meant for the
    public, not confidential, and nothing it hangs on (contract, amendment,
    the KPI it is evidence for and that KPI's contract) withheld. Documents
    not meant for the public (internal ones) are left out without a notice;
    the others withheld get one, with the reason. One statement.
    """
    contract, amendment = aliased(Contract), aliased(Amendment)
    rows = db.session.execute(
        sa.select(
            Document.id,
            Document.title,
            Document.document_type,
            Document.filename,
            Document.media_type,
            Document.size,
            Document.created_at,
            Document.confidential,
            Document.confidential_reason,
            contract.reference.label("contract_reference"),
            contract.confidential.label("contract_confidential"),
            contract.confidential_reason.label("contract_reason"),
            contract.is_deleted.label("contract_deleted"),
            amendment.confidential.label("amendment_confidential"),
            amendment.confidential_reason.label("amendment_reason"),
            Kpi.confidential.label("kpi_confidential"),
            Kpi.confidential_reason.label("kpi_reason"),
            # The one rule decides; the columns above only say why.
            public_document().label("shown"),
        )
        .outerjoin(contract, contract.id == Document.contract_id)
        .outerjoin(amendment, amendment.id == Document.amendment_id)
        .outerjoin(KpiObservation, KpiObservation.id == Document.kpi_observation_id)
        .outerjoin(Kpi, Kpi.id == KpiObservation.kpi_id)
        .where(
            Document.project_id == project_id,
            Document.is_deleted.is_(False),
            Document.public.is_(True),
        )
        .order_by(Document.created_at.desc(), Document.id.desc())
    ).all()
    shown, hidden = [], []
    for row in rows:
        if not row.shown:
            hidden.append(_document_withheld(row))
            continue
        shown.append(
            PublicDocument(
                id=row.id,
                title=row.title,
                document_type=codelists.title("documentType", row.document_type),
                filename=row.filename,
                media_type=row.media_type,
                size=row.size,
                added=row.created_at,
                contract_reference=row.contract_reference,
            )
        )
    return tuple(shown), tuple(notices(hidden, "document", "documents"))


def _document_withheld(row) -> str:
    if row.contract_deleted:
        return WITHDRAWN
    if row.contract_confidential:
        return f"its contract is confidential ({row.contract_reason or 'withheld'})"
    if row.amendment_confidential:
        return f"its amendment is confidential ({row.amendment_reason or 'withheld'})"
    if row.kpi_confidential:
        return f"its KPI is confidential ({row.kpi_reason or 'withheld'})"
    if row.confidential:
        return row.confidential_reason or "withheld"
    return "withheld"  # e.g. the contract of the KPI it is evidence for is withheld


def milestone_choices(project_id: int) -> list:
    """Return the ``id`` and ``title`` of the project's live milestones, by date (one statement).

    What the feedback form offers to write about, in the order of the milestone table.
    """
    planned = sa.func.coalesce(Milestone.baseline_date, Milestone.forecast_date)
    return db.session.execute(
        sa.select(Milestone.id, Milestone.title)
        .where(Milestone.project_id == project_id, Milestone.is_deleted.is_(False))
        .order_by(planned.is_(None), planned, Milestone.id)
    ).all()


def last_updated(project_id: int) -> datetime | None:
    """Return when the project's data last changed: its latest create, update or delete event.

    Feedback from the public is left out: it is not the project's data, and a
    message still awaiting moderation must not show, not even as a date.
    One statement, answered from the ``(project_id, seq)`` index read backwards.
    """
    return db.session.scalar(
        sa.select(AuditEvent.occurred_at)
        .where(
            AuditEvent.project_id == project_id,
            AuditEvent.action.in_(sorted(DATA_ACTIONS)),
            sa.or_(AuditEvent.entity_type.is_(None), AuditEvent.entity_type != "Feedback"),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
