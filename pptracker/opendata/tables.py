"""The open data tables: their fields, what each means, and their rows.

One definition serves the CSV and the JSON file of a table and the field
list on the open data page, so the three never disagree.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pptracker.opendata import queries
from pptracker.opendata.settings import Settings


@dataclass(frozen=True)
class Field:
    """A column of a table (a key of its JSON objects) and what it holds."""

    name: str
    description: str


@dataclass(frozen=True)
class Table:
    """A table of the open data."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    rows: Callable[[Settings], Iterator[tuple]]

    @property
    def header(self) -> list[str]:
        """The field names, in order."""
        return [f.name for f in self.fields]


def timestamp(value: datetime | None) -> str | None:
    """Return a UTC time as ISO 8601 text with a ``Z`` (whole seconds), or None."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain(value: Decimal | None) -> Decimal | None:
    """Return a non-money decimal without trailing zeros (``1`` for ``1.00000000``).

    Engines keep a rate's scale differently; this gives the same digits on each.
    """
    if value is None:
        return None
    return Decimal(format(value.normalize(), "f"))


_PROJECT = (
    Field("project_code", "The project's code: stable, unique, and part of its web address."),
    Field("oc4ids_id", "The project's OC4IDS identifier: the OC4IDS prefix, a hyphen, the code."),
)


def _project_rows(settings: Settings) -> Iterator[tuple]:
    for row in queries.project_rows(settings.rows_per_fetch):
        p = row.Project
        yield (
            p.code,
            settings.project_id(p.code),
            p.title,
            p.description,
            p.purpose,
            p.sector,
            p.type,
            p.status,
            p.ppp_model,
            p.location,
            p.latitude,
            p.longitude,
            row.authority_name,
            row.private_name,
            p.currency,
            p.budget_amount,
            p.planned_start,
            p.planned_end,
            timestamp(p.published_at),
            timestamp(p.updated_at),
            settings.url(f"/projects/{p.code}"),
        )


PROJECTS = Table(
    name="projects",
    title="Projects",
    description="One row per published project: what it is, where, who is responsible, "
    "its budget and its planned dates.",
    fields=(
        *_PROJECT,
        Field("title", "The project's name."),
        Field("description", "What the project is."),
        Field("purpose", "Why the project is needed: the problem it solves."),
        Field("sector", "Sector, an OC4IDS projectSector code (e.g. transport.road)."),
        Field("type", "Type of works, an OC4IDS projectType code (e.g. construction)."),
        Field("status", "Current stage, an OC4IDS projectStatus code (e.g. implementation)."),
        Field("ppp_model", "The PPP model, e.g. BOT, DBFO, concession."),
        Field("location", "Where the project is, in words."),
        Field("latitude", "Latitude of the project's location (WGS 84), if recorded."),
        Field("longitude", "Longitude of the project's location (WGS 84), if recorded."),
        Field("public_authority", "The public authority responsible for the project."),
        Field("private_party", "The private party (usually the project company), if any."),
        Field("currency", "The project's currency, an ISO 4217 code."),
        Field("budget_amount", "The approved project budget, in the project's currency."),
        Field("planned_start", "Planned start date (YYYY-MM-DD)."),
        Field("planned_end", "Planned end date (YYYY-MM-DD)."),
        Field("published_at", "When the project was published (UTC)."),
        Field("updated_at", "When the project's own details last changed (UTC)."),
        Field("url", "The project's public page."),
    ),
    rows=_project_rows,
)


def _milestone_rows(settings: Settings) -> Iterator[tuple]:
    for row in queries.milestone_rows(settings.rows_per_fetch):
        m = row.Milestone
        yield (
            row.project_code,
            settings.project_id(row.project_code),
            m.id,
            m.title,
            m.description,
            m.type,
            m.code,
            row.contract_reference,
            m.baseline_date,
            m.forecast_date,
            m.actual_date,
            m.status.value,
            m.percent_complete,
            m.weight,
            m.planned_value,
            row.project_currency,
            timestamp(m.updated_at),
        )


MILESTONES = Table(
    name="milestones",
    title="Milestones",
    description="One row per milestone of a published project: its committed (baseline), "
    "expected and actual dates, status and progress.",
    fields=(
        *_PROJECT,
        Field("milestone_id", "The milestone's identifier, unique in this tracker."),
        Field("title", "What the milestone is."),
        Field("description", "More about it."),
        Field("type", "An OC4IDS milestoneType code (e.g. financing, delivery)."),
        Field("code", "An OC4IDS milestoneCode for PPP key dates (e.g. financialClose)."),
        Field(
            "contract_reference",
            "The contract it belongs to, if any (left empty for a withheld contract).",
        ),
        Field("baseline_date", "The committed date; it changes only by a recorded re-baseline."),
        Field("forecast_date", "The date now expected."),
        Field("actual_date", "The date it was met (or partly met)."),
        Field(
            "status",
            "scheduled, inProgress, met, notMet, partiallyMet or cancelled "
            "(OC4IDS milestoneStatus, plus inProgress and cancelled).",
        ),
        Field("percent_complete", "How much of it is done, 0 to 100."),
        Field("weight", "Its share of the project's physical progress, relative to the others."),
        Field("planned_value", "Budgeted cost of the work it completes (for earned value)."),
        Field("currency", "The currency of planned_value: the project's currency."),
        Field("updated_at", "When the milestone last changed (UTC)."),
    ),
    rows=_milestone_rows,
)


def _names(parties: tuple[tuple[str, str], ...], roles: tuple[str, ...]) -> str:
    names = []
    for name, role in parties:
        if role in roles and name not in names:
            names.append(name)
    return "; ".join(names)


def _contract_rows(settings: Settings) -> Iterator[tuple]:
    for row in queries.contract_rows(settings.rows_per_fetch):
        c = row.contract
        terms = queries.contract_terms(c)
        yield (
            row.project_code,
            settings.project_id(row.project_code),
            c.reference,
            c.title,
            c.description,
            c.status.value,
            " ".join(c.nature or []),
            c.procurement_method,
            c.procurement_method_details,
            c.number_of_tenderers,
            c.payment_mechanism.value,
            _names(row.parties, ("privateParty", "supplier")),
            _names(row.parties, ("procuringEntity",)),
            c.signature_date,
            c.financial_close_date,
            c.currency,
            terms.initial_value,
            terms.initial_start,
            terms.initial_end,
            terms.current_value,
            terms.current_start,
            terms.current_end,
            "value" in terms.withheld,
            "period" in terms.withheld,
            sum(1 for a in c.amendments if not a.confidential),
        )


CONTRACTS = Table(
    name="contracts",
    title="Contracts",
    description="One row per public contract of a published project: value and period as "
    "signed and as amended since.",
    fields=(
        *_PROJECT,
        Field("reference", "The contract's reference, unique within its project."),
        Field("title", "The contract's title."),
        Field("description", "The scope of work."),
        Field("status", "pre-award, active or closed (OC4IDS contractingProcessStatus)."),
        Field(
            "nature",
            "What it covers, space-separated: design, construction, supervision "
            "(OC4IDS contractNature) or operation.",
        ),
        Field("procurement_method", "open, selective, limited or direct (OCDS method)."),
        Field("procurement_method_details", "The procurement procedure, in words."),
        Field("number_of_tenderers", "How many firms tendered."),
        Field(
            "payment_mechanism",
            "Who pays the private party: userPays, governmentPays or hybrid.",
        ),
        Field("suppliers", "The private party or suppliers, separated by semicolons."),
        Field("procuring_entity", "The procuring entity, if recorded."),
        Field("signature_date", "When the contract was signed."),
        Field("financial_close_date", "When its financing was closed."),
        Field("currency", "The contract's currency, an ISO 4217 code."),
        Field("initial_value", "The value at signature; never overwritten."),
        Field("initial_start", "The contract period's start at signature."),
        Field("initial_end", "The contract period's end at signature."),
        Field(
            "current_value",
            "The value after the amendments; empty when a confidential amendment set it.",
        ),
        Field("current_start", "The period's start after the amendments (empty if withheld)."),
        Field("current_end", "The period's end after the amendments (empty if withheld)."),
        Field("value_withheld", "true when the current value is withheld (see above)."),
        Field("period_withheld", "true when the current period is withheld."),
        Field("amendments", "How many public amendments it has (see the amendments table)."),
    ),
    rows=_contract_rows,
)


def _transaction_rows(settings: Settings) -> Iterator[tuple]:
    for row in queries.transaction_rows(settings.rows_per_fetch):
        t = row.Transaction
        yield (
            row.project_code,
            settings.project_id(row.project_code),
            t.id,
            t.transaction_date,
            t.kind.value,
            t.amount,
            t.currency,
            plain(t.rate),
            t.project_amount,
            row.project_currency,
            row.contract_reference,
            row.budget_line_code,
            row.milestone_id,
            row.milestone_title,
            row.payer_name,
            row.payee_name,
            t.reference,
            t.description,
        )


TRANSACTIONS = Table(
    name="transactions",
    title="Transactions",
    description="One row per commitment, payment or receipt recorded for a published project, "
    "except those of a withheld contract or scheduled payment.",
    fields=(
        *_PROJECT,
        Field("transaction_id", "The transaction's identifier, unique in this tracker."),
        Field("date", "The date of the transaction."),
        Field(
            "kind",
            "commitment (an obligation entered), payment (money paid out) or receipt "
            "(money received).",
        ),
        Field("amount", "The amount, in currency."),
        Field("currency", "The transaction's currency, an ISO 4217 code."),
        Field("rate", "Units of the project currency per unit of currency (1 when the same)."),
        Field("project_amount", "The amount in the project currency (amount × rate, rounded)."),
        Field("project_currency", "The project's currency."),
        Field("contract_reference", "The contract it is paid under, if any."),
        Field("budget_line_code", "The budget line it is recorded against, if any."),
        Field("milestone_id", "The milestone it pays for, if any (see the milestones table)."),
        Field("milestone_title", "That milestone's title."),
        Field("payer", "Who paid."),
        Field("payee", "Who was paid."),
        Field("reference", "The invoice or payment certificate number."),
        Field("description", "What it is for."),
    ),
    rows=_transaction_rows,
)


def _amendment_rows(settings: Settings) -> Iterator[tuple]:
    for row in queries.amendment_rows(settings.rows_per_fetch):
        a = row.amendment
        yield (
            row.project_code,
            settings.project_id(row.project_code),
            row.contract_reference,
            a.number,
            a.amended_on,
            a.type.value,
            a.description,
            a.rationale,
            a.approved_by,
            a.approved_on,
            row.currency,
            None if row.old_value_withheld else a.old_value,
            a.new_value,
            None if row.old_period_withheld else a.old_start,
            None if row.old_period_withheld else a.old_end,
            a.new_start,
            a.new_end,
            row.old_value_withheld,
            row.old_period_withheld,
        )


AMENDMENTS = Table(
    name="amendments",
    title="Amendments",
    description="One row per public amendment (renegotiation) of a public contract: what "
    "changed, from what to what, why, and who approved it.",
    fields=(
        *_PROJECT,
        Field("contract_reference", "The contract amended (see the contracts table)."),
        Field("number", "1, 2, 3 … within the contract, in order."),
        Field("amended_on", "When the amendment was made."),
        Field("type", "value, duration or scope (OC4IDS modificationType)."),
        Field("description", "What changed."),
        Field("rationale", "Why it changed."),
        Field("approved_by", "Who approved it (a person or a body)."),
        Field("approved_on", "When it was approved."),
        Field("currency", "The contract's currency."),
        Field("old_value", "The contract's value just before (empty if withheld or unchanged)."),
        Field("new_value", "The value it became (empty if the value did not change)."),
        Field("old_start", "The period's start just before (empty if withheld or unchanged)."),
        Field("old_end", "The period's end just before (empty if withheld or unchanged)."),
        Field("new_start", "The start it became (empty if unchanged)."),
        Field("new_end", "The end it became (empty if unchanged)."),
        Field(
            "old_value_withheld",
            "true when old_value is withheld: a confidential amendment set it.",
        ),
        Field("old_period_withheld", "true when the old period is withheld, likewise."),
    ),
    rows=_amendment_rows,
)

#: Every table, in the order the open data page lists them.
TABLES: dict[str, Table] = {
    t.name: t for t in (PROJECTS, MILESTONES, CONTRACTS, TRANSACTIONS, AMENDMENTS)
}
