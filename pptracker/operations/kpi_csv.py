"""The KPI observation CSV: a template to fill in, the export, and the all-or-nothing import.

Import columns (any order)::

    contract_reference,kpi_code,period,value,events,source,note

The export writes these and, after them, what the records decided
(``kpi_name``, ``result``, the penalties and their currency); an import
ignores those extra columns, so an export can be corrected and imported into
another project. Text is UTF-8 (a byte-order mark is accepted); values use a
dot for decimals. Periods are written as for the KPI's frequency
(``2025-03``, ``2025-Q1``, ``2025-H2``, ``2025``). A blank ``events`` means 1
for a failed value and 0 for a met one; a blank ``source`` is the KPI's.

An import is all or nothing: every row is checked first under the same rules
as ``kpi_services.record_observation``; one invalid row means nothing is
imported. Each observation (and the failure it may create) is audited.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from pptracker.audit.services import record
from pptracker.contracts.models import Contract
from pptracker.csvimport import BOM as BOM
from pptracker.csvimport import (
    CellError,
    ImportOutcome,
    Row,
    RowError,
    capped,
    cell_choice,
    of_contract,
    read_rows,
    refusal,
    template,
)
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.formatting import plain_number
from pptracker.operations import kpi_queries, periods
from pptracker.operations.kpi_services import (
    ObservationData,
    check_observation,
    write_checked,
)
from pptracker.operations.models import Kpi, KpiSource

COLUMNS = ["contract_reference", "kpi_code", "period", "value", "events", "source", "note"]
#: Written by the export after ``COLUMNS``; ignored on import.
EXPORT_EXTRA = [
    "kpi_name",
    "result",
    "penalty_contracted",
    "penalty_imposed",
    "penalty_paid",
    "currency",
]
EXPORT_COLUMNS = COLUMNS + EXPORT_EXTRA

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024

_COLUMN_OF_FIELD = {"kpi_id": "kpi_code"}
_SOURCES = {s.value.casefold(): s for s in KpiSource}


@dataclass
class ImportResult(ImportOutcome):
    """What an import did: the observations it created, or why it created none."""

    created: list = field(default_factory=list)

    @property
    def failed(self) -> int:
        """How many of the imported observations missed their target."""
        return sum(1 for o in self.created if not o.met)


def template_csv() -> str:
    """Return a CSV to fill in: the header and one example row."""
    example = ["C-1", "AV-1", "2025-03", "97.5", "2", "operator", "Lane closures on 3 days"]
    return template(COLUMNS, [example])


def export_rows(project_id: int, *, hide_confidential: bool) -> list[list]:
    """Return one list of cells per observation, in ``EXPORT_COLUMNS`` order."""
    rows = []
    for obs, kpi, contract, failure in kpi_queries.export_observations(
        project_id, hide_confidential=hide_confidential
    ):
        rows.append(
            [
                contract.reference,
                kpi.code,
                periods.label(kpi.frequency, obs.period_start),
                plain_number(obs.value),
                obs.events,
                obs.source.value,
                obs.note or "",
                kpi.name,
                "Met" if obs.met else "Failed",
                failure.penalty_contracted if failure is not None else "",
                failure.penalty_imposed if failure is not None else "",
                failure.penalty_paid if failure is not None else "",
                failure.currency if failure is not None else "",
            ]
        )
    return rows


# --- import -------------------------------------------------------------------------------


def _events(value: str):
    if not value:
        return None
    if value.lstrip("-").isdigit():
        return int(value)
    raise CellError(f"“{value}” is not a whole number of failure events (0, 1, 2 …).")


def _source(value: str):
    return cell_choice(value, _SOURCES, what="source")


def _lookups(project):
    """Return the live contracts by reference and the KPIs by (contract, code), and the rows.

    The rows are held so that the service's checks find them in the session.
    """
    contracts = db.session.scalars(
        sa.select(Contract).where(Contract.project_id == project.id, Contract.is_deleted.is_(False))
    ).all()
    kpis = db.session.scalars(sa.select(Kpi).where(Kpi.project_id == project.id)).all()
    references = {c.reference: c.id for c in contracts}
    by_code = {(k.contract_id, k.code.casefold()): k for k in kpis}
    return references, by_code, [*contracts, *kpis]


def _parse_row(row: Row, project, references, by_code, seen):
    kpi, errors = of_contract(
        row,
        references,
        by_code,
        column="kpi_code",
        missing="Give the KPI's code, e.g. AV-1.",
        unknown="Contract {reference} has no KPI with the code “{code}”.",
    )
    values, cell_errors = row.convert({"events": _events, "source": _source})
    errors.extend(cell_errors)
    if errors:
        return None, errors
    data = ObservationData(
        kpi_id=kpi.id,
        period=row.cell("period"),
        value=row.cell("value"),
        events=values["events"],
        source=values["source"],
        note=row.cell("note"),
    )
    try:
        checked = check_observation(project, data, None)
    except DomainError as error:
        return None, [refusal(row.number, error, COLUMNS, _COLUMN_OF_FIELD)]
    key = (kpi.id, checked.period_start)
    if key in seen:
        return None, [
            row.error(
                "period",
                f"Row {seen[key]} already gives KPI {kpi.code} for "
                f"{periods.label(kpi.frequency, checked.period_start)}: give each period once.",
            )
        ]
    seen[key] = row.number
    return checked, []


def parse(data: bytes, project) -> tuple[list, list[RowError]]:
    """Read a KPI observation CSV for ``project`` and check every row, changing nothing."""
    references, by_code, _held = _lookups(project)
    seen: dict = {}
    rows, errors = read_rows(
        data,
        COLUMNS,
        lambda row: _parse_row(row, project, references, by_code, seen),
        noun="observations",
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
        ignored=EXPORT_EXTRA,
    )
    return rows, capped(errors)


def import_observations(project, data: bytes, *, actor) -> ImportResult:
    """Record the observations a CSV file describes: all of them, or none.

    Flushes, never commits; on errors the caller rolls back (nothing was written).
    """
    if project.is_deleted:
        return ImportResult(errors=[RowError(None, None, "This project has been deleted.")])
    rows, errors = parse(data, project)
    if errors:
        return ImportResult(errors=errors)
    created = [write_checked(project, checked, actor) for checked in rows]
    record(
        "kpi_observations.import",
        entity=project,
        summary=f"Imported {len(created)} KPI observation{'' if len(created) == 1 else 's'} "
        "from a CSV file",
        changes={"rows": len(created)},
    )
    return ImportResult(created=created)
