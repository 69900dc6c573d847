"""The demand-and-revenue CSV: a template, the all-or-nothing import of years, the export.

Import columns (any order)::

    contract_reference,series_name,year,forecast,actual,note

Each row sets one year of an existing series (added, or updated when the
year is recorded). Every row is checked first; one invalid row means
nothing is imported.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from pptracker.audit.services import record
from pptracker.contracts.models import Contract
from pptracker.csvimport import (
    MAX_ERRORS,
    CellError,
    RowError,
    capped,
    decode,
    header_error,
    unneutralise,
)
from pptracker.csvutil import stream_csv
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
BOM = "\ufeff"


@dataclass
class ImportResult:
    """What an import did: the years it wrote, or why it wrote none."""

    written: list[DemandValue] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the file was imported (no error at all)."""
        return not self.errors


def template_csv() -> str:
    """Return a CSV to fill in: the header and two example rows."""
    examples = [
        ["C-1", "Traffic", "2024", "1200000", "1150000", "Independent engineer's count"],
        ["C-1", "Traffic", "2030", "1500000", "", "Contract forecast"],
    ]
    return BOM + "".join(stream_csv(COLUMNS, examples))


def _series(project) -> tuple[dict[tuple[str, str], DemandSeries], set[str]]:
    """Return the live series of live contracts by (reference, name), case-folded."""
    pairs = db.session.execute(
        sa.select(Contract.reference, DemandSeries)
        .join(Contract, Contract.id == DemandSeries.contract_id)
        .where(
            DemandSeries.project_id == project.id,
            DemandSeries.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
        )
    ).all()
    references = {
        ref.casefold()
        for ref in db.session.scalars(
            sa.select(Contract.reference).where(
                Contract.project_id == project.id, Contract.is_deleted.is_(False)
            )
        )
    }
    return {(ref.casefold(), s.name.casefold()): s for ref, s in pairs}, references


def _parse(data: bytes, project):
    """Read every row; return {series: [(row number, YearData)]} and the problems."""
    if len(data) > MAX_BYTES:
        return {}, [
            RowError(None, None, "The file is larger than 5 MB. Split it into smaller files.")
        ]
    try:
        text = decode(data)
    except CellError as error:
        return {}, [RowError(None, None, str(error))]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    grouped: dict[DemandSeries, list[tuple[int, YearData]]] = defaultdict(list)
    errors: list[RowError] = []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return {}, [RowError(None, None, "The file is empty: start from the template.")]
        problem = header_error(header, COLUMNS)
        if problem:
            return {}, [problem]
        index = {name.strip().lower(): i for i, name in enumerate(header)}
        series_of, references = _series(project)
        count = 0
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                return {}, [
                    RowError(
                        None,
                        None,
                        f"The file has more than {MAX_ROWS:,} rows; nothing was imported. "
                        "Split it into smaller files.",
                    )
                ]
            if len(errors) >= MAX_ERRORS:
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                errors.append(
                    RowError(
                        number,
                        None,
                        f"This row has {len(cells)} cells but the header names {len(header)} "
                        "columns: is a comma in a text missing its quotes?",
                    )
                )
                continue
            cells = cells + [""] * (len(header) - len(cells))

            def cell(name: str, cells=cells) -> str:
                return unneutralise(cells[index[name]].strip())

            reference, name = cell("contract_reference"), cell("series_name")
            if not reference:
                errors.append(RowError(number, "contract_reference", "Give the contract."))
                continue
            if reference.casefold() not in references:
                errors.append(
                    RowError(
                        number,
                        "contract_reference",
                        f"No contract of this project has the reference “{reference}”.",
                    )
                )
                continue
            series = series_of.get((reference.casefold(), name.casefold()))
            if series is None:
                errors.append(
                    RowError(
                        number,
                        "series_name",
                        f"Contract {reference} has no series named “{name}”: add the series first."
                        if name
                        else "Give the series name.",
                    )
                )
                continue
            grouped[series].append(
                (
                    number,
                    YearData(
                        year=cell("year"),
                        forecast=cell("forecast") or None,
                        actual=cell("actual") or None,
                        note=cell("note"),
                    ),
                )
            )
    except csv.Error as error:
        errors.append(
            RowError(reader.line_num or None, None, f"The file is not valid CSV: {error}.")
        )
    if not grouped and not errors:
        errors.append(RowError(None, None, "The file has a header but no years."))
    return grouped, errors


def _row_errors(error: YearsError, numbers: list[int]) -> list[RowError]:
    return [
        RowError(numbers[p.index], p.field if p.field in COLUMNS else None, p.message)
        for p in error.problems
    ]


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
