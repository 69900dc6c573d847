"""The demand-and-revenue CSV: a template, the all-or-nothing import of years, the export.

Import columns (any order)::

    contract_reference,series_name,year,forecast,actual,note

Each row sets one year of an existing series (added, or updated when the
year is recorded). Every row is checked first; one invalid row means
nothing is imported.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from pptracker.audit.services import record
from pptracker.contracts.models import Contract
from pptracker.csvimport import BOM as BOM
from pptracker.csvimport import (
    ImportOutcome,
    Row,
    RowError,
    capped,
    contract_references,
    of_contract,
    read_rows,
    refusal,
    template,
)
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations.demand_services import (
    YearData,
    YearsError,
    check_years,
    set_years,
)
from pptracker.operations.models import DemandSeries, DemandValue

COLUMNS = ["contract_reference", "series_name", "year", "forecast", "actual", "note"]
#: The export adds what a reader needs to understand each figure.
EXPORT_COLUMNS = [*COLUMNS, "metric", "unit", "variance", "variance_percent"]
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class ImportResult(ImportOutcome):
    """What an import did: the years it wrote, or why it wrote none."""

    written: list[DemandValue] = field(default_factory=list)


def template_csv() -> str:
    """Return a CSV to fill in: the header and two example rows."""
    examples = [
        ["C-1", "Traffic", "2024", "1200000", "1150000", "Independent engineer's count"],
        ["C-1", "Traffic", "2030", "1500000", "", "Contract forecast"],
    ]
    return template(COLUMNS, examples)


def _series(project) -> dict[tuple[int, str], DemandSeries]:
    """Return the live series of live contracts by (contract, name case-folded)."""
    series = db.session.scalars(
        sa.select(DemandSeries)
        .join(Contract, Contract.id == DemandSeries.contract_id)
        .where(
            DemandSeries.project_id == project.id,
            DemandSeries.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
        )
    ).all()
    return {(s.contract_id, s.name.casefold()): s for s in series}


def _parse_row(row: Row, references, series_of):
    """Return the row as ``(series, row number, YearData)`` (None when invalid) and its problem."""
    series, errors = of_contract(
        row,
        references,
        series_of,
        column="series_name",
        missing="Give the series name.",
        unknown="Contract {reference} has no series named “{code}”: add the series first.",
    )
    if errors:
        return None, errors
    year = YearData(
        year=row.cell("year"),
        forecast=row.cell("forecast") or None,
        actual=row.cell("actual") or None,
        note=row.cell("note"),
    )
    return (series, row.number, year), []


def _parse(data: bytes, project):
    """Read every row; return {series: [(row number, YearData)]} and the problems."""
    references, series_of = contract_references(project), _series(project)
    rows, errors = read_rows(
        data,
        COLUMNS,
        lambda row: _parse_row(row, references, series_of),
        noun="years",
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
    )
    grouped: dict[DemandSeries, list[tuple[int, YearData]]] = defaultdict(list)
    for series, number, year in rows:
        grouped[series].append((number, year))
    return grouped, errors


def _row_errors(error: YearsError, numbers: list[int]) -> list[RowError]:
    return [refusal(numbers[p.index], p, COLUMNS) for p in error.problems]


def import_years(project, data: bytes) -> ImportResult:
    """Set the years a CSV file describes: all of them, or none.

    Every row of every series is checked before anything is written.
    Flushes, never commits; when the result has errors the caller rolls back.

    :return: the years written, or the problems by row and column.
    """
    grouped, errors = _parse(data, project)
    for series, rows in grouped.items():
        try:
            check_years(series, [year for _n, year in rows])
        except YearsError as error:
            errors.extend(_row_errors(error, [n for n, _y in rows]))
    if errors:
        return ImportResult(errors=capped(sorted(errors, key=lambda e: e.row or 0)))
    written = []
    for series, rows in grouped.items():
        try:
            written.extend(set_years(series, [year for _n, year in rows]))
        except YearsError as error:  # pragma: no cover - checked just above
            errors.extend(_row_errors(error, [n for n, _y in rows]))
        except DomainError as error:
            errors.append(RowError(rows[0][0], None, error.message))
    if errors:
        return ImportResult(errors=capped(errors))
    record(
        "demand.import",
        entity=project,
        summary=f"Imported {len(written)} year{'' if len(written) == 1 else 's'} of demand and "
        "revenue from a CSV file",
    )
    return ImportResult(written=written)
