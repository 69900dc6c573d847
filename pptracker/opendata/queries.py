"""Reads for the open data: what the public may see, a batch or a stream at a time.

Every condition here is the public's view: published, live projects only;
no confidential or deleted contract, nor anything that hangs on one (its
amendments, transactions, documents); no confidential amendment, scheduled
payment, KPI or document; no document that is not meant for the public.

Two ways of reading, both in constant memory whatever the data size:

- ``project_batches`` / ``load_batch`` read whole projects (for OC4IDS) a
  batch at a time, with a fixed number of statements per batch.
- ``*_rows`` stream one table's rows from one query, fetched in chunks.
"""

import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from pptracker.audit.models import AuditChainHead
from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import Amendment, Contract, ContractParty
from pptracker.contracts.queries import masked_old_figures, terms
from pptracker.disclosure import public_amendment, public_document, public_only, public_transaction
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.milestones.models import Milestone
from pptracker.permissions import project_scope
from pptracker.projects.models import Party, Project
from pptracker.reports import version

#: Transaction kinds that move money (OC4IDS transactions); commitments do not.
MONEY_MOVED = (TransactionKind.PAYMENT, TransactionKind.RECEIPT)


def published():
    """Return the SQL condition for the projects the public may see: published and live."""
    return project_scope(None)


# --- whole projects, a batch at a time (OC4IDS) ------------------------------------------


@dataclass
class ProjectRecords:
    """A published project and every record of it the public may see.

    ``amendments`` holds each public contract's amendments in order,
    confidential ones included: a public amendment's "before" figures are
    masked when a confidential one set them (``masked_old_figures``). Only
    the public ones may be written out.
    """

    project: Project
    contracts: list[Contract] = field(default_factory=list)
    #: ``{contract id: [(party id, role), …]}`` in the order they were added.
    contract_parties: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    amendments: dict[int, list[Amendment]] = field(default_factory=dict)
    milestones: list[Milestone] = field(default_factory=list)
    budget_lines: list[BudgetLine] = field(default_factory=list)
    #: Payments and receipts (commitments move no money).
    transactions: list[Transaction] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)


@dataclass
class Batch:
    """Some published projects' records, and every party they refer to."""

    projects: list[ProjectRecords]
    parties: dict[int, Party]


def _by_project(rows, records: dict[int, ProjectRecords], attribute: str) -> None:
    for row in rows:
        getattr(records[row.project_id], attribute).append(row)


def load_batch(projects: Sequence[Project]) -> Batch:
    """Read the public records of ``projects`` (published, live) in eight statements.

    The number of statements does not depend on the number of projects or
    of their records: each kind of record comes from one query over the
    batch, and the parties from one query at the end.

    :param projects: published, live projects, in the order to keep.
    """
    ids = [p.id for p in projects]
    records = {p.id: ProjectRecords(p) for p in projects}
    no_lazy = raiseload("*")
    contracts = db.session.scalars(
        sa.select(Contract)
        .where(Contract.project_id.in_(ids), public_only(Contract))
        .options(no_lazy)
        .order_by(
            Contract.project_id,
            Contract.signature_date.is_(None),
            Contract.signature_date,
            Contract.id,
        )
    ).all()
    shown = sa.select(Contract.id).where(Contract.project_id.in_(ids), public_only(Contract))
    contract_parties = db.session.execute(
        sa.select(ContractParty.contract_id, ContractParty.party_id, ContractParty.role)
        .where(ContractParty.contract_id.in_(shown))
        .order_by(ContractParty.id)
    ).all()
    amendments = db.session.scalars(
        sa.select(Amendment)
        .where(Amendment.contract_id.in_(shown))
        .options(no_lazy)
        .order_by(Amendment.contract_id, Amendment.number)
    ).all()
    planned = sa.func.coalesce(Milestone.baseline_date, Milestone.forecast_date)
    milestones = db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.project_id.in_(ids), Milestone.is_deleted.is_(False))
        .options(no_lazy)
        .order_by(Milestone.project_id, planned.is_(None), planned, Milestone.id)
    ).all()
    lines = db.session.scalars(
        sa.select(BudgetLine)
        .where(BudgetLine.project_id.in_(ids), BudgetLine.is_deleted.is_(False))
        .options(no_lazy)
        .order_by(BudgetLine.project_id, BudgetLine.code, BudgetLine.id)
    ).all()
    transactions = db.session.scalars(
        sa.select(Transaction)
        .where(
            Transaction.project_id.in_(ids),
            Transaction.kind.in_(MONEY_MOVED),
            public_transaction(),
        )
        .options(no_lazy)
        .order_by(Transaction.project_id, Transaction.transaction_date, Transaction.id)
    ).all()
    documents = db.session.scalars(
        sa.select(Document)
        .where(Document.project_id.in_(ids), public_document())
        .options(no_lazy)
        .order_by(Document.project_id, Document.created_at, Document.id)
    ).all()

    by_contract: dict[int, list[Amendment]] = defaultdict(list)
    for amendment in amendments:
        by_contract[amendment.contract_id].append(amendment)
    project_of: dict[int, int] = {}
    for contract in contracts:
        project_of[contract.id] = contract.project_id
        own = by_contract.get(contract.id, [])
        # ``contracts.queries.terms`` reads the collection: fill it from the batch's query.
        set_committed_value(contract, "amendments", own)
        records[contract.project_id].contracts.append(contract)
        records[contract.project_id].amendments[contract.id] = own
    for row in contract_parties:
        records[project_of[row.contract_id]].contract_parties.setdefault(
            row.contract_id, []
        ).append((row.party_id, row.role))
    _by_project(milestones, records, "milestones")
    _by_project(lines, records, "budget_lines")
    _by_project(transactions, records, "transactions")
    _by_project(documents, records, "documents")

    party_ids = {p.public_authority_id for p in projects}
    party_ids.update(p.private_party_id for p in projects)
    party_ids.update(row.party_id for row in contract_parties)
    party_ids.update(line.funding_source_id for line in lines)
    party_ids.update(t.payer_id for t in transactions)
    party_ids.update(t.payee_id for t in transactions)
    party_ids.discard(None)
    parties = db.session.scalars(
        sa.select(Party).where(Party.id.in_(sorted(party_ids))).options(no_lazy)
    ).all()
    return Batch(projects=[records[i] for i in ids], parties={p.id: p for p in parties})


def project_batches(size: int) -> Iterator[Batch]:
    """Yield the published projects, by code, ``size`` at a time with their records.

    Each batch costs one statement for its projects and ``load_batch``'s
    eight: the statements grow with the number of batches, never per project.
    """
    after = None
    while True:
        stmt = (
            sa.select(Project)
            .where(published())
            .options(raiseload("*"))
            .order_by(Project.code)
            .limit(size)
        )
        if after is not None:
            stmt = stmt.where(Project.code > after)
        projects = db.session.scalars(stmt).all()
        if not projects:
            return
        yield load_batch(projects)
        if len(projects) < size:
            return
        after = projects[-1].code


def published_project(code: str) -> tuple[Project, version.DataVersion] | None:
    """Return the published, live project with this code and the data version, in one statement.

    None when there is no such project (unpublished or deleted ones included).
    """
    row = db.session.execute(
        sa.select(Project, *version.COLUMNS)
        .join(AuditChainHead, version.HEAD_ROW)
        .where(Project.code == code, published())
        .options(raiseload("*"))
    ).one_or_none()
    if row is None:
        return None
    return row.Project, version.of(row)


# --- the tables, streamed -----------------------------------------------------------------


def _stream(stmt, rows_per_fetch: int):
    return db.session.execute(stmt.execution_options(yield_per=rows_per_fetch))


def project_rows(rows_per_fetch: int):
    """Stream the published projects, by code, with their public authority and private party."""
    authority, private = aliased(Party), aliased(Party)
    return _stream(
        sa.select(
            Project,
            authority.name.label("authority_name"),
            private.name.label("private_name"),
        )
        .join(authority, authority.id == Project.public_authority_id)
        .outerjoin(private, private.id == Project.private_party_id)
        .where(published())
        .options(raiseload("*"))
        .order_by(Project.code),
        rows_per_fetch,
    )


def milestone_rows(rows_per_fetch: int):
    """Stream the live milestones of published projects, each with its public contract's reference.

    Milestones are never confidential; the reference of a withheld contract is left out.
    """
    contract = aliased(Contract)
    planned = sa.func.coalesce(Milestone.baseline_date, Milestone.forecast_date)
    return _stream(
        sa.select(
            Milestone,
            Project.code.label("project_code"),
            Project.currency.label("project_currency"),
            contract.reference.label("contract_reference"),
        )
        .join(Project, Project.id == Milestone.project_id)
        .outerjoin(contract, sa.and_(contract.id == Milestone.contract_id, public_only(contract)))
        .where(published(), Milestone.is_deleted.is_(False))
        .options(raiseload("*"))
        .order_by(Project.code, planned.is_(None), planned, Milestone.id),
        rows_per_fetch,
    )


@dataclass(frozen=True)
class ContractRow:
    """A public contract with its project's code and its parties (``(name, role)`` pairs).

    The contract's ``amendments`` are loaded (confidential ones too, for ``contract_terms``).
    """

    contract: Contract
    project_code: str
    parties: tuple[tuple[str, str], ...]


def contract_rows(rows_per_fetch: int) -> Iterator[ContractRow]:
    """Yield the public contracts of published projects, by project and reference.

    Each fetch of contracts costs two more statements, for their parties and
    their amendments, whatever the number of either.
    """
    result = _stream(
        sa.select(Contract, Project.code.label("project_code"))
        .join(Project, Project.id == Contract.project_id)
        .where(published(), public_only(Contract))
        .options(raiseload("*"))
        .order_by(Project.code, Contract.reference),
        rows_per_fetch,
    )
    for chunk in result.partitions():
        ids = [row.Contract.id for row in chunk]
        parties: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for contract_id, name, role in db.session.execute(
            sa.select(ContractParty.contract_id, Party.name, ContractParty.role)
            .join(Party, Party.id == ContractParty.party_id)
            .where(ContractParty.contract_id.in_(ids))
            .order_by(ContractParty.id)
        ):
            parties[contract_id].append((name, role))
        amendments: dict[int, list[Amendment]] = defaultdict(list)
        for amendment in db.session.scalars(
            sa.select(Amendment)
            .where(Amendment.contract_id.in_(ids))
            .options(raiseload("*"))
            .order_by(Amendment.contract_id, Amendment.number)
        ):
            amendments[amendment.contract_id].append(amendment)
        for row in chunk:
            contract = row.Contract
            set_committed_value(contract, "amendments", amendments.get(contract.id, []))
            yield ContractRow(contract, row.project_code, tuple(parties.get(contract.id, ())))


def transaction_rows(rows_per_fetch: int):
    """Stream the public transactions of published projects, by project and date."""
    payer, payee = aliased(Party), aliased(Party)
    contract, line, milestone = aliased(Contract), aliased(BudgetLine), aliased(Milestone)
    return _stream(
        sa.select(
            Transaction,
            Project.code.label("project_code"),
            Project.currency.label("project_currency"),
            contract.reference.label("contract_reference"),
            line.code.label("budget_line_code"),
            milestone.id.label("milestone_id"),
            milestone.title.label("milestone_title"),
            payer.name.label("payer_name"),
            payee.name.label("payee_name"),
        )
        .join(Project, Project.id == Transaction.project_id)
        .outerjoin(contract, contract.id == Transaction.contract_id)
        .outerjoin(line, sa.and_(line.id == Transaction.budget_line_id, line.is_deleted.is_(False)))
        .outerjoin(
            milestone,
            sa.and_(milestone.id == Transaction.milestone_id, milestone.is_deleted.is_(False)),
        )
        .outerjoin(payer, payer.id == Transaction.payer_id)
        .outerjoin(payee, payee.id == Transaction.payee_id)
        .where(published(), public_transaction())
        .options(raiseload("*"))
        .order_by(Project.code, Transaction.transaction_date, Transaction.id),
        rows_per_fetch,
    )


@dataclass(frozen=True)
class AmendmentRow:
    """A public amendment with its contract, and whether its "before" figures are withheld."""

    amendment: Amendment
    project_code: str
    contract_reference: str
    currency: str
    old_value_withheld: bool
    old_period_withheld: bool


def amendment_rows(rows_per_fetch: int) -> Iterator[AmendmentRow]:
    """Yield the public amendments of public contracts of published projects, in order.

    Confidential amendments are read (one contract's at a time) only to
    mask the "before" figures they set; they are never yielded.
    """
    result = _stream(
        sa.select(
            Amendment,
            Project.code.label("project_code"),
            Contract.reference.label("contract_reference"),
            Contract.currency.label("currency"),
        )
        .join(Contract, Contract.id == Amendment.contract_id)
        .join(Project, Project.id == Contract.project_id)
        .where(published(), public_only(Contract))
        .options(raiseload("*"))
        .order_by(Project.code, Contract.reference, Amendment.number),
        rows_per_fetch,
    )
    for _contract, group in itertools.groupby(result, key=lambda row: row.Amendment.contract_id):
        rows = list(group)
        masked = masked_old_figures([row.Amendment for row in rows])
        for row in rows:
            amendment = row.Amendment
            if amendment.confidential:
                continue
            yield AmendmentRow(
                amendment=amendment,
                project_code=row.project_code,
                contract_reference=row.contract_reference,
                currency=row.currency,
                old_value_withheld=amendment.id in masked.old_value,
                old_period_withheld=amendment.id in masked.old_period,
            )


def contract_terms(contract: Contract):
    """Return the public's view of a contract's current terms (``contracts.queries.terms``)."""
    return terms(contract, hide_confidential=True)


# --- the open data page -------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """How many records each export holds, and how many the public may not see."""

    projects: int
    milestones: int
    contracts: int
    contracts_withheld: int
    amendments: int
    amendments_withheld: int
    transactions: int
    transactions_withheld: int
    documents: int


def counts() -> Counts:
    """Return the number of records published and withheld, in one statement."""

    def count(model, *conditions):
        return (
            sa.select(sa.func.count())
            .select_from(model)
            .join(Project, Project.id == model.project_id)
            .where(published(), *conditions)
            .scalar_subquery()
        )

    live_contract = Contract.is_deleted.is_(False)
    row = db.session.execute(
        sa.select(
            sa.select(sa.func.count()).select_from(Project).where(published()).scalar_subquery(),
            count(Milestone, Milestone.is_deleted.is_(False)),
            count(Contract, public_only(Contract)),
            count(Contract, live_contract, Contract.confidential.is_(True)),
            count(Amendment, public_amendment()),
            count(Amendment, sa.not_(public_amendment()), _live_contract(Amendment.contract_id)),
            count(Transaction, public_transaction()),
            count(Transaction, Transaction.is_deleted.is_(False), sa.not_(public_transaction())),
            count(Document, public_document()),
        )
    ).one()
    return Counts(*row)


def _live_contract(column) -> sa.ColumnElement[bool]:
    contract = aliased(Contract)
    return sa.exists().where(contract.id == column, contract.is_deleted.is_(False))
