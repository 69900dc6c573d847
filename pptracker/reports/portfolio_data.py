"""What the public portfolio report shows, read from the database as plain data.

Every published, live project in one row, with the figures of
``projects.metrics`` in the public's view: a confidential contract, or a
value set by a confidential amendment, is left out of the contract value
and counted in a redaction notice instead. Three statements whatever the
number of projects.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa

from pptracker import codelists
from pptracker.disclosure import Redacted
from pptracker.extensions import db
from pptracker.permissions import project_scope
from pptracker.projects.metrics import Amount, ProjectMetrics, project_metrics
from pptracker.projects.models import Party, Project
from pptracker.reports.version import DataVersion

ZERO = Decimal("0.00")

#: Why a contract value is left out of the public figures.
WITHHELD_REASON = (
    "the contract is confidential, or a confidential amendment changed its value; "
    "its value is left out of the project's contract value and of the totals"
)


@dataclass(frozen=True)
class PortfolioRow:
    """One published project as the table shows it (see ``projects.metrics`` for the figures)."""

    title: str
    code: str
    sector: str
    status: str
    public_authority: str
    currency: str
    #: The current value of the contracts the public may see, per currency.
    contract_values: tuple[Amount, ...]
    #: Whether some contract's value is withheld (the value shown is then partial or none).
    value_withheld: bool
    percent_complete: Decimal | None
    slippage_days: int | None
    planned: Decimal
    paid: Decimal
    percent_executed: Decimal | None


@dataclass(frozen=True)
class Count:
    """How many projects have one sector or status."""

    label: str
    count: int


@dataclass(frozen=True)
class CurrencyTotal:
    """The totals of one currency; amounts in different currencies are never added up.

    ``projects`` counts the projects whose budget is in this currency;
    ``contract_value`` adds up the contracts in this currency, whatever their
    project's currency.
    """

    currency: str
    projects: int
    #: None when no contract the public may see is in this currency.
    contract_value: Decimal | None
    planned: Decimal
    paid: Decimal

    @property
    def percent_executed(self) -> Decimal | None:
        """Paid / planned × 100, to one decimal; None when nothing is planned."""
        if not self.planned:
            return None
        return (self.paid * 100 / self.planned).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class PortfolioReportData:
    """Everything the portfolio report prints, as plain values."""

    version: DataVersion
    url: str
    rows: tuple[PortfolioRow, ...]
    by_sector: tuple[Count, ...]
    by_status: tuple[Count, ...]
    totals: tuple[CurrencyTotal, ...]
    withheld: tuple[Redacted, ...]


def _status_title(code: str) -> str:
    return codelists.title("projectStatus", code).capitalize()


def _row(project, authority: str, metrics: ProjectMetrics) -> PortfolioRow:
    return PortfolioRow(
        title=project.title,
        code=project.code,
        sector=codelists.title("projectSector", project.sector),
        status=_status_title(project.status),
        public_authority=authority,
        currency=project.currency,
        contract_values=metrics.contract_values,
        value_withheld=metrics.contracts_withheld > 0,
        percent_complete=metrics.percent_complete,
        slippage_days=metrics.slippage_days,
        planned=metrics.planned,
        paid=metrics.paid,
        percent_executed=metrics.percent_executed,
    )


def _totals(rows: list[PortfolioRow]) -> tuple[CurrencyTotal, ...]:
    projects: Counter[str] = Counter()
    value: dict[str, Decimal] = {}
    planned: dict[str, Decimal] = {}
    paid: dict[str, Decimal] = {}
    for row in rows:
        projects[row.currency] += 1
        planned[row.currency] = planned.get(row.currency, ZERO) + row.planned
        paid[row.currency] = paid.get(row.currency, ZERO) + row.paid
        for amount, currency in row.contract_values:
            value[currency] = value.get(currency, ZERO) + amount
    return tuple(
        CurrencyTotal(
            currency=currency,
            projects=projects[currency],
            contract_value=value.get(currency),
            planned=planned.get(currency, ZERO),
            paid=paid.get(currency, ZERO),
        )
        for currency in sorted(set(projects) | set(value))
    )


def _withheld(metrics: dict[int, ProjectMetrics]) -> tuple[Redacted, ...]:
    contracts = sum(m.contracts_withheld for m in metrics.values())
    if not contracts:
        return ()
    projects = sum(1 for m in metrics.values() if m.contracts_withheld)
    label = (
        f"the value of {contracts} contract{'' if contracts == 1 else 's'} "
        f"in {projects} project{'' if projects == 1 else 's'}"
    )
    return (Redacted("contract value", label, WITHHELD_REASON),)


def assemble(version: DataVersion, *, base_url: str) -> PortfolioReportData:
    """Read every published, live project and its public figures as of ``version``.

    Three statements whatever the number of projects: the projects with their
    public authority, then ``projects.metrics.project_metrics`` (two).

    :param base_url: the public site's address; the report points to its home page.
    """
    published = project_scope(None)
    found = db.session.execute(
        sa.select(
            Project.id,
            Project.title,
            Project.code,
            Project.sector,
            Project.status,
            Project.currency,
            Party.name.label("authority"),
        )
        .join(Party, Party.id == Project.public_authority_id)
        .where(published)
    ).all()
    metrics = project_metrics(sa.select(Project.id).where(published), hide_confidential=True)
    rows = sorted(
        (_row(project, project.authority, metrics[project.id]) for project in found),
        key=lambda r: (r.title.casefold(), r.title, r.code),
    )
    sectors = Counter(row.sector for row in rows)
    statuses = Counter(row.status for row in rows)
    status_order = [_status_title(code) for code in codelists.codelist("projectStatus")]
    return PortfolioReportData(
        version=version,
        url=base_url.rstrip("/") + "/",
        rows=tuple(rows),
        by_sector=tuple(
            Count(label, n) for label, n in sorted(sectors.items(), key=lambda i: (-i[1], i[0]))
        ),
        by_status=tuple(
            Count(label, statuses[label])
            for label in [*status_order, *sorted(set(statuses) - set(status_order))]
            if statuses[label]
        ),
        totals=_totals(rows),
        withheld=_withheld(metrics),
    )
