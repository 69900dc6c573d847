"""The disclosure score: how much of what the standards ask a project to publish it publishes.

``ITEMS`` is the one list of proactive-disclosure items the data model
covers, taken from the CoST Infrastructure Data Standard (as mapped to
OC4IDS) and the World Bank *Framework for Disclosure in PPP Projects* (as
mapped by the OCDS for PPPs profile); see ``DOMAIN.md``. Each item says in
its ``basis`` where it comes from, what counts as published and when it
applies.

Only what the public can see counts: a confidential record, a record of a
confidential or deleted contract, a document not marked public and a deleted
row are not published. The project's own ``published`` flag is left out on
purpose: the score tells managers what the public would see once it is
published.

An item applies from the project status its stage starts in (preparation
items from ``preparation``, procurement and implementation items from
``implementation``, completion items from ``completion``, operation items
from ``maintenance``); a cancelled project is held to the identification and
preparation items. A few items apply only when there is something to
publish (see ``basis``).

``scores`` reads every fact of any number of projects in one statement:
correlated ``EXISTS`` subqueries that the database answers from the
``project_id`` indexes.
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import (
    Amendment,
    Contract,
    ContractParty,
    FiscalCommitment,
    PaymentMechanism,
    RiskAllocation,
)
from pptracker.documents.models import Document
from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.operations.models import (
    DemandSeries,
    DemandValue,
    Kpi,
    KpiObservation,
    PerformanceFailure,
    ScheduledPayment,
    Tariff,
    TariffRate,
)
from pptracker.projects.models import Project


@dataclass(frozen=True)
class Item:
    """One proactive-disclosure item."""

    #: Stable, e.g. ``"budget"``.
    key: str
    #: What the public sees, e.g. "Project budget".
    title: str
    #: Where the requirement comes from, what counts as published, when it applies.
    basis: str
    #: identification, preparation, procurement, implementation, operation or completion.
    stage: str
    #: For managers: where to add it, e.g. "Edit project → Budget".
    where: str


@dataclass(frozen=True)
class ItemResult:
    """Whether an item applies to a project, and whether the project publishes it."""

    item: Item
    applies: bool
    #: Published to the public (whether or not the item applies yet).
    disclosed: bool


@dataclass(frozen=True)
class DisclosureScore:
    """A project's results for every item of ``ITEMS``, in order."""

    results: tuple[ItemResult, ...]

    @property
    def disclosed(self) -> int:
        """The number of applicable items published."""
        return len(self.present)

    @property
    def applicable(self) -> int:
        """The number of items that apply to the project."""
        return sum(1 for r in self.results if r.applies)

    @property
    def percent(self) -> int | None:
        """Published ÷ applicable × 100, rounded half up; None when no item applies."""
        if not self.applicable:
            return None
        share = Decimal(100 * self.disclosed) / Decimal(self.applicable)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def missing(self) -> tuple[Item, ...]:
        """The applicable items not published, in list order."""
        return tuple(r.item for r in self.results if r.applies and not r.disclosed)

    @property
    def present(self) -> tuple[Item, ...]:
        """The applicable items published, in list order."""
        return tuple(r.item for r in self.results if r.applies and r.disclosed)


# --- the list -----------------------------------------------------------------------------

_ALWAYS = "Applies to every project."
_FROM_PREPARATION = "Applies from the preparation status on."
_FROM_IMPLEMENTATION = "Applies from the implementation status on."
_PUBLIC_CONTRACT = "a contract that is neither confidential nor deleted"
#: Follows "a document of that type, ".
_PUBLIC_DOCUMENT = (
    "live, marked public, not confidential, and not attached to a confidential or deleted "
    "contract or to a confidential amendment"
)

ITEMS: tuple[Item, ...] = (
    # Identification (CoST IDS project identification items).
    Item(
        "title",
        "Project name",
        f"CoST IDS identification: project name; OC4IDS title. {_ALWAYS}",
        "identification",
        "Edit project → Title",
    ),
    Item(
        "description",
        "Project description",
        f"CoST IDS identification: description; OC4IDS description. {_ALWAYS}",
        "identification",
        "Edit project → Description",
    ),
    Item(
        "purpose",
        "Purpose",
        f"CoST IDS identification: purpose; OC4IDS purpose. {_ALWAYS}",
        "identification",
        "Edit project → Purpose",
    ),
    Item(
        "sector",
        "Sector",
        f"CoST IDS identification: sector; OC4IDS sector; WB Framework I.1. {_ALWAYS}",
        "identification",
        "Edit project → Sector",
    ),
    Item(
        "location",
        "Location",
        "CoST IDS identification: location; OC4IDS locations; WB Framework I.1. "
        f"Counts: a location text or map coordinates. {_ALWAYS}",
        "identification",
        "Edit project → Location",
    ),
    Item(
        "public_authority",
        "Project owner (public authority)",
        "CoST IDS identification: project owner; OC4IDS publicAuthority; "
        f"WB Framework I.2. {_ALWAYS}",
        "identification",
        "Edit project → Public authority",
    ),
    # Preparation (CoST IDS project preparation items).
    Item(
        "budget",
        "Project budget",
        f"CoST IDS preparation: project budget; OC4IDS budget.amount. {_FROM_PREPARATION}",
        "preparation",
        "Edit project → Budget",
    ),
    Item(
        "planned_period",
        "Planned start and end dates",
        f"OC4IDS period (planned); WB Framework I.12. Counts: both dates set. {_FROM_PREPARATION}",
        "preparation",
        "Edit project → Planned start and Planned end",
    ),
    Item(
        "funding_sources",
        "Funding sources",
        "CoST IDS preparation: funding sources; OC4IDS budgetBreakdowns.sourceParty; "
        "WB Framework I.16. Counts: a live budget line with a funding source, or a funder, "
        f"lender, lead bank or equity investor named on {_PUBLIC_CONTRACT}. {_FROM_PREPARATION}",
        "preparation",
        "Budget → budget line → Funding source",
    ),
    Item(
        "project_scope",
        "Project scope",
        "CoST IDS preparation: project scope (main output); OC4IDS document type "
        f"projectScope. Counts: a document of that type, {_PUBLIC_DOCUMENT}. {_FROM_PREPARATION}",
        "preparation",
        "Documents → upload, type “Project scope”, public",
    ),
    Item(
        "environmental_impact",
        "Environmental impact assessment",
        "CoST IDS preparation: environmental impact; OC4IDS document type "
        f"environmentalImpact. Counts: a document of that type, {_PUBLIC_DOCUMENT}. "
        f"{_FROM_PREPARATION}",
        "preparation",
        "Documents → upload, type “Environmental impact”, public",
    ),
    Item(
        "land_settlement_impact",
        "Land and settlement impact assessment",
        "CoST IDS preparation: land and settlement impact; OC4IDS document type "
        f"landAndSettlementImpact (or resettlementPlan). Counts: a document of "
        f"either type, {_PUBLIC_DOCUMENT}. {_FROM_PREPARATION}",
        "preparation",
        "Documents → upload, type “Land and settlement impact assessment”, public",
    ),
    # Procurement (CoST IDS contract procurement items; WB Framework I.13–II.8).
    Item(
        "contract_price",
        "Contract price",
        "CoST IDS procurement: contract price; OC4IDS contractingProcesses.summary."
        f"contractValue; WB Framework I.3. Counts: {_PUBLIC_CONTRACT}, signed (its initial "
        f"value is the price at signature). {_FROM_IMPLEMENTATION}",
        "procurement",
        "Contracts → contract → Signed on and Initial value",
    ),
    Item(
        "procurement_method",
        "Procurement method",
        "CoST IDS procurement: procurement process; OC4IDS tender.procurementMethod; "
        f"WB Framework II.1. Counts: {_PUBLIC_CONTRACT} with its method. {_FROM_IMPLEMENTATION}",
        "procurement",
        "Contracts → contract → Procurement method",
    ),
    Item(
        "tenderers",
        "Number of tenderers",
        "CoST IDS procurement: number of firms tendering; OC4IDS tender.numberOfTenderers. "
        f"Counts: {_PUBLIC_CONTRACT} with the number. {_FROM_IMPLEMENTATION}",
        "procurement",
        "Contracts → contract → Number of tenderers",
    ),
    Item(
        "private_party",
        "Private party",
        "CoST IDS procurement: contract firm(s); OC4IDS suppliers; WB Framework II.8, I.15. "
        "Counts: the project's private party, or a private party or supplier named on "
        f"{_PUBLIC_CONTRACT}. {_FROM_IMPLEMENTATION}",
        "procurement",
        "Edit project → Private party (or Contracts → contract → parties)",
    ),
    Item(
        "contract_period",
        "Contract start date and duration",
        "CoST IDS procurement: start date and duration; OC4IDS summary.contractPeriod; "
        f"WB Framework I.12. Counts: {_PUBLIC_CONTRACT} with its initial start and end. "
        f"{_FROM_IMPLEMENTATION}",
        "procurement",
        "Contracts → contract → Initial start and Initial end",
    ),
    Item(
        "signed_contract",
        "Signed contract",
        "WB Framework I.13: contract documents; OC4IDS document type contractSigned (or "
        f"contractSummary). Counts: a document of either type, {_PUBLIC_DOCUMENT}. "
        f"{_FROM_IMPLEMENTATION}",
        "procurement",
        "Documents → upload, type “Signed contract” or “Contract summary”, public",
    ),
    Item(
        "risk_allocation",
        "Risk allocation",
        "WB Framework III.1: risk allocation; OCDS for PPPs riskAllocation. Counts: a risk "
        f"allocation, not confidential, of {_PUBLIC_CONTRACT}. {_FROM_IMPLEMENTATION}",
        "procurement",
        "Contracts → contract → Risk allocation",
    ),
    Item(
        "fiscal_commitments",
        "Government support and fiscal commitments",
        "WB Framework VI.1–VI.5: guarantees, subsidies, payment obligations; PFRAM "
        "contingent liabilities. Counts: a fiscal commitment, not confidential, of the "
        f"project or of {_PUBLIC_CONTRACT}. {_FROM_IMPLEMENTATION}",
        "procurement",
        "Contracts → Fiscal commitments",
    ),
    Item(
        "payment_mechanism",
        "How the private party is paid",
        "WB Framework VI.3 (availability and service payments) and VII.1 (tariffs). Counts: "
        f"a scheduled government payment or a tariff, not confidential, of {_PUBLIC_CONTRACT}. "
        f"{_FROM_IMPLEMENTATION}",
        "procurement",
        "Operations → Payment schedule or Tariffs",
    ),
    # Implementation (CoST IDS contract implementation items; WB Framework I.10–I.12, IX).
    Item(
        "milestones",
        "Milestones with baseline dates",
        "OC4IDS milestones; WB Framework I.10–I.12. Counts: a live milestone with a baseline "
        f"date (set when it is approved). {_FROM_IMPLEMENTATION}",
        "implementation",
        "Milestones → a milestone with its baseline date, approved",
    ),
    Item(
        "financial_close",
        "Financial close",
        "WB Framework I.11: financial close date; OC4IDS milestoneCode financialClose. Counts: "
        f"a live milestone with that code, or {_PUBLIC_CONTRACT} with its financial close "
        f"date. {_FROM_IMPLEMENTATION}",
        "implementation",
        "Milestones → milestone with code “Financial close”",
    ),
    Item(
        "physical_progress",
        "Physical progress",
        "OC4IDS metrics physicalProgress; CoST IDS reactive: progress reports. Counts: a live "
        "milestone with progress (percent complete above 0, met or partly met), or "
        f"a document of type physicalProgressReport, {_PUBLIC_DOCUMENT}. {_FROM_IMPLEMENTATION}",
        "implementation",
        "Milestones → milestone → progress update",
    ),
    Item(
        "payments",
        "Payments made",
        "OC4IDS transactions; CoST IDS reactive: disbursement records. Counts: a live payment "
        f"of the project or of {_PUBLIC_CONTRACT}. {_FROM_IMPLEMENTATION}",
        "implementation",
        "Budget → record a payment",
    ),
    Item(
        "amendments",
        "Contract changes and their reasons",
        "CoST IDS implementation: variations to price, duration and scope and their reasons; "
        "OC4IDS modifications; WB Framework IX.1. Counts: every amendment of a live contract "
        "published (neither it nor its contract confidential). Applies from the "
        "implementation status on, when a live contract has amendments.",
        "implementation",
        "Contracts → contract → amendments (lift confidentiality where the law allows)",
    ),
    # Operation (WB Framework VII and X).
    Item(
        "kpi_results",
        "Performance (KPI) results",
        "WB Framework X.4: KPI performance, year by year. Counts: an observation of a KPI, "
        f"neither deleted nor confidential, of {_PUBLIC_CONTRACT}. Applies from the "
        "maintenance (operation) status on.",
        "operation",
        "Operations → KPIs → record an observation",
    ),
    Item(
        "tariffs",
        "Tariffs",
        "WB Framework VII.1–VII.4: tariffs (user-pays projects). Counts: a tariff with a rate, "
        f"not confidential, of {_PUBLIC_CONTRACT}. Applies from the maintenance (operation) "
        "status on, when a public contract is user-pays or hybrid.",
        "operation",
        "Operations → Tariffs",
    ),
    Item(
        "demand_revenue",
        "Actual demand and revenue",
        "WB Framework X.1–X.2: actual annual demand and revenue. Counts: an actual yearly "
        f"figure of a demand or revenue series, not confidential, of {_PUBLIC_CONTRACT}. "
        "Applies from the maintenance (operation) status on.",
        "operation",
        "Operations → Demand and revenue → actual figures",
    ),
    Item(
        "performance_failures",
        "Performance failures and penalties",
        "WB Framework X.5: performance failures and penalties. Counts: every live failure of "
        "a live contract published (neither its contract nor its KPI confidential). Applies "
        "from the maintenance (operation) status on, when failures are recorded.",
        "operation",
        "Operations → KPIs (lift confidentiality of the KPI or contract where the law allows)",
    ),
    # Completion (CoST IDS completion items).
    Item(
        "audit_evaluation",
        "Audit and evaluation reports",
        "CoST IDS completion: audit and evaluation reports; OC4IDS document types "
        f"financialAuditReport, technicalAuditReport, projectEvaluation. Counts: "
        f"a document of one of these types, {_PUBLIC_DOCUMENT}. Applies from the completion "
        "status on.",
        "completion",
        "Documents → upload, type “Financial audit report”, “Technical audit report” or "
        "“Project evaluation”, public",
    ),
)

#: The first project status (by rank) at which each stage's items apply.
_STATUS_RANK = {
    "identification": 0,
    "preparation": 1,
    "implementation": 2,
    "completion": 3,
    "maintenance": 4,
    "decommissioning": 5,
    "decommissioned": 6,
    # Where a cancelled project stopped is not recorded: hold it to what preceded procurement.
    "cancelled": 1,
}
_STAGE_FROM = {
    "identification": 0,
    "preparation": 1,
    "procurement": 2,
    "implementation": 2,
    "completion": 3,
    "operation": 4,
}

_FUNDER_ROLES = ("funder", "lender", "leadBank", "equityInvestor")
_PRIVATE_ROLES = ("privateParty", "supplier")
_USER_PAYS = (PaymentMechanism.USER_PAYS, PaymentMechanism.HYBRID)


# --- the facts, as SQL --------------------------------------------------------------------


def _exists(stmt: sa.Select) -> sa.ColumnElement[bool]:
    return stmt.correlate(Project).exists()


def _live_contract(*extra) -> sa.ColumnElement[bool]:
    return sa.and_(Contract.is_deleted.is_(False), *extra)


def _public_contract() -> sa.ColumnElement[bool]:
    return _live_contract(Contract.confidential.is_(False))


def _contract_rows(*conditions) -> sa.ColumnElement[bool]:
    """EXISTS a public contract of the project meeting ``conditions``."""
    return _exists(
        sa.select(Contract.id).where(
            Contract.project_id == Project.id, _public_contract(), *conditions
        )
    )


def _public_document(*types: str) -> sa.ColumnElement[bool]:
    amendment = aliased(Amendment)
    return _exists(
        sa.select(Document.id)
        .outerjoin(Contract, Contract.id == Document.contract_id)
        .outerjoin(amendment, amendment.id == Document.amendment_id)
        .where(
            Document.project_id == Project.id,
            Document.document_type.in_(types),
            Document.public.is_(True),
            Document.confidential.is_(False),
            Document.is_deleted.is_(False),
            sa.or_(Document.contract_id.is_(None), _public_contract()),
            sa.or_(Document.amendment_id.is_(None), amendment.confidential.is_(False)),
        )
    )


def _of_public_contract(model, *conditions) -> sa.ColumnElement[bool]:
    """EXISTS a live, not confidential ``model`` row of a public contract of the project."""
    return _exists(
        sa.select(model.id)
        .join(Contract, Contract.id == model.contract_id)
        .where(
            model.project_id == Project.id,
            model.is_deleted.is_(False),
            model.confidential.is_(False),
            _public_contract(),
            *conditions,
        )
    )


def _contract_party(roles: tuple[str, ...]) -> sa.ColumnElement[bool]:
    return _exists(
        sa.select(ContractParty.id)
        .join(Contract, Contract.id == ContractParty.contract_id)
        .where(Contract.project_id == Project.id, _public_contract(), ContractParty.role.in_(roles))
    )


def _milestones(*conditions) -> sa.ColumnElement[bool]:
    return _exists(
        sa.select(Milestone.id).where(
            Milestone.project_id == Project.id, Milestone.is_deleted.is_(False), *conditions
        )
    )


def _amendments(*conditions) -> sa.ColumnElement[bool]:
    return _exists(
        sa.select(Amendment.id)
        .join(Contract, Contract.id == Amendment.contract_id)
        .where(Amendment.project_id == Project.id, _live_contract(), *conditions)
    )


def _failures(*conditions) -> sa.ColumnElement[bool]:
    return _exists(
        sa.select(PerformanceFailure.id)
        .join(Contract, Contract.id == PerformanceFailure.contract_id)
        .outerjoin(Kpi, Kpi.id == PerformanceFailure.kpi_id)
        .where(
            PerformanceFailure.project_id == Project.id,
            PerformanceFailure.is_deleted.is_(False),
            _live_contract(),
            *conditions,
        )
    )


def _facts() -> dict[str, sa.ColumnElement[bool]]:
    """Every fact the rules read beyond the project's own columns, by name."""
    tariff_rate = sa.select(TariffRate.id).where(TariffRate.tariff_id == Tariff.id).exists()
    actual = (
        sa.select(DemandValue.id)
        .where(DemandValue.series_id == DemandSeries.id, DemandValue.actual.is_not(None))
        .exists()
    )
    commitment_contract = aliased(Contract)
    return {
        "funding_line": _exists(
            sa.select(BudgetLine.id).where(
                BudgetLine.project_id == Project.id,
                BudgetLine.is_deleted.is_(False),
                BudgetLine.funding_source_id.is_not(None),
            )
        ),
        "funding_party": _contract_party(_FUNDER_ROLES),
        "doc_scope": _public_document("projectScope"),
        "doc_environment": _public_document("environmentalImpact"),
        "doc_land": _public_document("landAndSettlementImpact", "resettlementPlan"),
        "contract_signed": _contract_rows(Contract.signature_date.is_not(None)),
        "contract_method": _contract_rows(
            Contract.procurement_method.is_not(None), Contract.procurement_method != ""
        ),
        "contract_tenderers": _contract_rows(Contract.number_of_tenderers.is_not(None)),
        "contract_private": _contract_party(_PRIVATE_ROLES),
        "contract_period": _contract_rows(
            Contract.initial_start.is_not(None), Contract.initial_end.is_not(None)
        ),
        "doc_contract": _public_document("contractSigned", "contractSummary"),
        "risks": _of_public_contract(RiskAllocation),
        "commitments": _exists(
            sa.select(FiscalCommitment.id)
            .outerjoin(commitment_contract, commitment_contract.id == FiscalCommitment.contract_id)
            .where(
                FiscalCommitment.project_id == Project.id,
                FiscalCommitment.is_deleted.is_(False),
                FiscalCommitment.confidential.is_(False),
                sa.or_(
                    FiscalCommitment.contract_id.is_(None),
                    sa.and_(
                        commitment_contract.is_deleted.is_(False),
                        commitment_contract.confidential.is_(False),
                    ),
                ),
            )
        ),
        "scheduled_payments": _of_public_contract(ScheduledPayment),
        "tariffs": _of_public_contract(Tariff, tariff_rate),
        "baselines": _milestones(Milestone.baseline_date.is_not(None)),
        "close_milestone": _milestones(Milestone.code == "financialClose"),
        "close_contract": _contract_rows(Contract.financial_close_date.is_not(None)),
        "progress": _milestones(
            sa.or_(
                Milestone.percent_complete > 0,
                Milestone.status.in_((MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)),
            )
        ),
        "doc_progress": _public_document("physicalProgressReport"),
        "payments": _exists(
            sa.select(Transaction.id)
            .outerjoin(Contract, Contract.id == Transaction.contract_id)
            .where(
                Transaction.project_id == Project.id,
                Transaction.is_deleted.is_(False),
                Transaction.kind == TransactionKind.PAYMENT,
                sa.or_(Transaction.contract_id.is_(None), _public_contract()),
            )
        ),
        "amendments": _amendments(),
        "amendments_withheld": _amendments(
            sa.or_(Amendment.confidential.is_(True), Contract.confidential.is_(True))
        ),
        "kpi_results": _exists(
            sa.select(KpiObservation.id)
            .join(Kpi, Kpi.id == KpiObservation.kpi_id)
            .join(Contract, Contract.id == Kpi.contract_id)
            .where(
                KpiObservation.project_id == Project.id,
                Kpi.is_deleted.is_(False),
                Kpi.confidential.is_(False),
                _public_contract(),
            )
        ),
        # Only a public contract's mechanism may decide: the public's list of
        # missing items must not reveal how a confidential contract is paid.
        "user_pays": _exists(
            sa.select(Contract.id).where(
                Contract.project_id == Project.id,
                _public_contract(),
                Contract.payment_mechanism.in_(_USER_PAYS),
            )
        ),
        "demand": _of_public_contract(DemandSeries, actual),
        "failures": _failures(),
        "failures_withheld": _failures(
            sa.or_(Contract.confidential.is_(True), Kpi.confidential.is_(True))
        ),
        "doc_audit": _public_document(
            "financialAuditReport", "technicalAuditReport", "projectEvaluation"
        ),
    }


# --- the rules ----------------------------------------------------------------------------


def _text(value: str | None) -> bool:
    return bool(value and value.strip())


#: key → (published?, extra condition for applying beyond the stage); both read a row.
_Rule = tuple[Callable[[Mapping], bool], Callable[[Mapping], bool] | None]
_RULES: dict[str, _Rule] = {
    "title": (lambda r: _text(r["title"]), None),
    "description": (lambda r: _text(r["description"]), None),
    "purpose": (lambda r: _text(r["purpose"]), None),
    "sector": (lambda r: _text(r["sector"]), None),
    "location": (lambda r: _text(r["location"]) or r["latitude"] is not None, None),
    "public_authority": (lambda r: r["public_authority_id"] is not None, None),
    "budget": (lambda r: r["budget_amount"] is not None, None),
    "planned_period": (
        lambda r: r["planned_start"] is not None and r["planned_end"] is not None,
        None,
    ),
    "funding_sources": (lambda r: r["funding_line"] or r["funding_party"], None),
    "project_scope": (lambda r: r["doc_scope"], None),
    "environmental_impact": (lambda r: r["doc_environment"], None),
    "land_settlement_impact": (lambda r: r["doc_land"], None),
    "contract_price": (lambda r: r["contract_signed"], None),
    "procurement_method": (lambda r: r["contract_method"], None),
    "tenderers": (lambda r: r["contract_tenderers"], None),
    "private_party": (
        lambda r: r["private_party_id"] is not None or r["contract_private"],
        None,
    ),
    "contract_period": (lambda r: r["contract_period"], None),
    "signed_contract": (lambda r: r["doc_contract"], None),
    "risk_allocation": (lambda r: r["risks"], None),
    "fiscal_commitments": (lambda r: r["commitments"], None),
    "payment_mechanism": (lambda r: r["scheduled_payments"] or r["tariffs"], None),
    "milestones": (lambda r: r["baselines"], None),
    "financial_close": (lambda r: r["close_milestone"] or r["close_contract"], None),
    "physical_progress": (lambda r: r["progress"] or r["doc_progress"], None),
    "payments": (lambda r: r["payments"], None),
    "amendments": (
        lambda r: r["amendments"] and not r["amendments_withheld"],
        lambda r: r["amendments"],
    ),
    "kpi_results": (lambda r: r["kpi_results"], None),
    "tariffs": (lambda r: r["tariffs"], lambda r: r["user_pays"]),
    "demand_revenue": (lambda r: r["demand"], None),
    "performance_failures": (
        lambda r: r["failures"] and not r["failures_withheld"],
        lambda r: r["failures"],
    ),
    "audit_evaluation": (lambda r: r["doc_audit"], None),
}

_PROJECT_COLUMNS = (
    Project.id,
    Project.status,
    Project.title,
    Project.description,
    Project.purpose,
    Project.sector,
    Project.location,
    Project.latitude,
    Project.public_authority_id,
    Project.private_party_id,
    Project.budget_amount,
    Project.planned_start,
    Project.planned_end,
)


def _score(row: Mapping) -> DisclosureScore:
    rank = _STATUS_RANK.get(row["status"], 0)
    results = []
    for item in ITEMS:
        published, condition = _RULES[item.key]
        applies = rank >= _STAGE_FROM[item.stage] and (condition is None or bool(condition(row)))
        results.append(ItemResult(item=item, applies=applies, disclosed=bool(published(row))))
    return DisclosureScore(results=tuple(results))


def _project_id(project) -> int | None:
    # The identity key, not ``project.id``: reading an attribute of an expired
    # instance (after a commit) would reload it, one statement per project.
    identity = sa.inspect(project).identity
    return identity[0] if identity else project.id


def scores(projects: Sequence[Project]) -> dict[int, DisclosureScore]:
    """Return the disclosure score of each project, in one SQL statement whatever their number.

    The project's own fields are read in the same statement, so an expired
    or stale instance costs nothing more and the score reflects the database.

    :param projects: persistent projects (deleted ones are scored too).
    :return: ``{project id: score}`` for every project given that exists.
    """
    ids = sorted({i for i in (_project_id(p) for p in projects) if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(_statement(), {"ids": ids}).mappings()
    return {row["id"]: _score(row) for row in rows}


@functools.cache
def _statement() -> sa.Select:
    # Built once: composing its thirty-odd subqueries took longer than running them.
    return sa.select(
        *_PROJECT_COLUMNS, *(fact.label(name) for name, fact in _facts().items())
    ).where(Project.id.in_(sa.bindparam("ids", expanding=True)))


def score(project: Project) -> DisclosureScore:
    """Return the disclosure score of one project (one SQL statement)."""
    return scores([project])[_project_id(project)]
