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

import csv
import io
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
BOM = "\ufeff"

_COLUMN_OF_FIELD = {"kpi_id": "kpi_code"}
_SOURCES = {s.value.casefold(): s for s in KpiSource}


@dataclass
class ImportResult:
    """What an import did: the observations it created, or why it created none."""

    created: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the file was imported."""
        return not self.errors

    @property
    def failed(self) -> int:
        """How many of the imported observations missed their target."""
        return sum(1 for o in self.created if not o.met)


def template_csv() -> str:
    """Return a CSV to fill in: the header and one example row."""
    example = ["C-1", "AV-1", "2025-03", "97.5", "2", "operator", "Lane closures on 3 days"]
    return BOM + "".join(stream_csv(COLUMNS, [example]))


def _plain(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


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
                _plain(obs.value),
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
    if not value:
        return None
    source = _SOURCES.get(value.casefold())
    if source is None:
        raise CellError(
            f"“{value}” is not a source. Use one of: {', '.join(s.value for s in KpiSource)}."
        )
    return source


def _lookups(project):
    contracts = db.session.scalars(
        sa.select(Contract).where(Contract.project_id == project.id, Contract.is_deleted.is_(False))
    ).all()
    kpis = db.session.scalars(sa.select(Kpi).where(Kpi.project_id == project.id)).all()
    by_reference = {c.reference.casefold(): c for c in contracts}
    by_code = {(k.contract_id, k.code.casefold()): k for k in kpis}
    return by_reference, by_code, [*contracts, *kpis]


def _parse_row(number, cells, width, index, project, by_reference, by_code, seen):
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        return None, [
            RowError(
                number,
                None,
                f"This row has {len(cells)} cells but the header names {width} columns: "
                "is a comma in a text missing its quotes?",
            )
        ]
    cells = cells + [""] * (width - len(cells))

    def cell(name):
        return unneutralise(cells[index[name]].strip())

    errors = []
    reference, code = cell("contract_reference"), cell("kpi_code")
    contract = by_reference.get(reference.casefold()) if reference else None
    kpi = None
    if not reference:
        errors.append(RowError(number, "contract_reference", "Give the contract's reference."))
    elif contract is None:
        errors.append(
            RowError(
                number,
                "contract_reference",
                f"No contract of this project has the reference “{reference}”.",
            )
        )
    if not code:
        errors.append(RowError(number, "kpi_code", "Give the KPI's code, e.g. AV-1."))
    elif contract is not None:
        kpi = by_code.get((contract.id, code.casefold()))
        if kpi is None:
            errors.append(
                RowError(
                    number,
                    "kpi_code",
                    f"Contract {contract.reference} has no KPI with the code “{code}”.",
                )
            )
    values = {}
    for name, convert in (("events", _events), ("source", _source)):
        try:
            values[name] = convert(cell(name))
        except CellError as error:
            errors.append(RowError(number, name, str(error)))
    if errors:
        return None, errors
    data = ObservationData(
        kpi_id=kpi.id,
        period=cell("period"),
        value=cell("value"),
        events=values["events"],
        source=values["source"],
        note=cell("note"),
    )
    try:
        checked = check_observation(project, data, None)
    except DomainError as error:
        column = _COLUMN_OF_FIELD.get(error.field, error.field)
        return None, [RowError(number, column if column in COLUMNS else None, error.message)]
    key = (kpi.id, checked.period_start)
    if key in seen:
        return None, [
            RowError(
                number,
                "period",
                f"Row {seen[key]} already gives KPI {kpi.code} for "
                f"{periods.label(kpi.frequency, checked.period_start)}: give each period once.",
            )
        ]
    seen[key] = number
    return checked, []


def parse(data: bytes, project) -> tuple[list, list[RowError]]:
    """Read a KPI observation CSV for ``project`` and check every row, changing nothing."""
    if len(data) > MAX_BYTES:
        return [], [
            RowError(
                None,
                None,
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into "
                "smaller files and import them one by one.",
            )
        ]
    try:
        text = decode(data)
    except CellError as error:
        return [], [RowError(None, None, str(error))]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list = []
    errors: list[RowError] = []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return [], [
                RowError(
                    None,
                    None,
                    "The file is empty: start from the template, whose first row names "
                    "the columns.",
                )
            ]
        problem = header_error(
            [h for h in header if h.strip().lower() not in EXPORT_EXTRA], COLUMNS
        )
        if problem:
            return [], [problem]
        index = {name.strip().lower(): i for i, name in enumerate(header)}
        by_reference, by_code, _held = _lookups(project)
        seen: dict = {}
        count = 0
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                return [], [
                    RowError(
                        None,
                        None,
                        f"The file has more than {MAX_ROWS:,} observations; nothing was "
                        "imported. Split it into smaller files.",
                    )
                ]
            if len(errors) >= MAX_ERRORS:
                continue
            checked, row_errors = _parse_row(
                number, cells, len(header), index, project, by_reference, by_code, seen
            )
            errors.extend(row_errors)
            if checked is not None:
                rows.append(checked)
    except csv.Error as error:
        errors.append(
            RowError(reader.line_num or None, None, f"The file is not valid CSV: {error}.")
        )
    if not rows and not errors:
        errors.append(RowError(None, None, "The file has a header but no observations."))
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
