"""The milestone CSV: one format to export, to fill in from the template, and to import.

Columns (in this order on export; any order on import)::

    title,type,code,description,contract_reference,baseline_date,forecast_date,
    actual_date,status,percent_complete,weight,planned_value

Text is UTF-8 (a byte-order mark is written, for spreadsheets, and accepted);
dates are ISO ``YYYY-MM-DD``; amounts use a dot for decimals, without
thousands separators. An import is all or nothing: every row is checked
first, and one invalid row means nothing is imported.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from pptracker import codelists
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
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.milestones.services import MilestoneData, create_milestone

COLUMNS = [
    "title",
    "type",
    "code",
    "description",
    "contract_reference",
    "baseline_date",
    "forecast_date",
    "actual_date",
    "status",
    "percent_complete",
    "weight",
    "planned_value",
]

#: The most milestones one file may hold (a project has tens, a programme hundreds).
MAX_ROWS = 10_000
#: The largest file accepted, in bytes.
MAX_BYTES = 5 * 1024 * 1024
BOM = "\ufeff"

#: What ``csvutil.safe_cell`` puts an apostrophe before (a spreadsheet formula's start).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHOLE = re.compile(r"\d+")
_AMOUNT = re.compile(r"\d+(\.\d+)?")

#: Which column a service's complaint (named by form field) belongs to.
_COLUMN_OF_FIELD = {"contract_id": "contract_reference"}


@dataclass
class ImportResult:
    """What an import did: the milestones it created, or why it created none."""

    created: list[Milestone] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the file was imported (no error at all)."""
        return not self.errors


# --- export -----------------------------------------------------------------------------


def project_milestones(project) -> list[Milestone]:
    """Return the project's live milestones in export order (by date, undated last)."""
    planned = sa.func.coalesce(Milestone.baseline_date, Milestone.forecast_date)
    return db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.project_id == project.id, Milestone.is_deleted.is_(False))
        .options(selectinload(Milestone.contract))
        .order_by(planned.is_(None), planned, Milestone.id)
    ).all()


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def export_rows(milestones: Iterable[Milestone], *, include_confidential: bool = True) -> Iterator:
    """Yield one list of cells per milestone, in ``COLUMNS`` order.

    :param include_confidential: False for readers who may not see confidential
        records: a confidential contract's reference is left blank.
    """
    for m in milestones:
        contract = m.contract
        reference = ""
        if contract is not None and not contract.is_deleted:
            if include_confidential or not contract.confidential:
                reference = contract.reference
        yield [
            m.title,
            m.type,
            m.code or "",
            m.description or "",
            reference,
            _iso(m.baseline_date),
            _iso(m.forecast_date),
            _iso(m.actual_date),
            MilestoneStatus(m.status).value,
            m.percent_complete,
            m.weight,
            "" if m.planned_value is None else f"{m.planned_value:.2f}",
        ]


def template_csv() -> str:
    """Return a CSV to fill in: the header and one valid example row."""
    example = [
        "Financial close",
        "contractClose",
        "financialClose",
        "Lenders' conditions precedent met and first drawdown made",
        "",
        "2026-06-30",
        "2026-09-30",
        "",
        MilestoneStatus.SCHEDULED.value,
        "0",
        "1",
        "250000.00",
    ]
    return BOM + "".join(stream_csv(COLUMNS, [example]))


# --- import -----------------------------------------------------------------------------


def _lookup(name: str, value: str, what: str) -> str:
    """Return the code of ``value`` in code list ``name`` (case does not matter)."""
    codes = codelists.codelist(name)
    if value in codes:
        return value
    by_lower = {code.lower(): code for code in codes}
    if value.lower() in by_lower:
        return by_lower[value.lower()]
    raise CellError(f"“{value}” is not a {what}. Use one of: {', '.join(codes)}.")


def _text(value: str, column: str) -> str:
    if column == "title":
        if not value:
            raise CellError("Give the milestone a title.")
        if len(value) > 200:
            raise CellError(f"The title is {len(value)} characters long; at most 200.")
    return value


def _date(value: str) -> date | None:
    if not value:
        return None
    if not _DATE.fullmatch(value):
        raise CellError(f"“{value}” is not a date written as YYYY-MM-DD (e.g. 2026-03-31).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(f"“{value}” is not a real date.") from None


_STATUSES = {s.value.lower(): s for s in MilestoneStatus} | {
    s.name.replace("_", "").lower(): s for s in MilestoneStatus
}


def _status(value: str) -> MilestoneStatus:
    if not value:
        return MilestoneStatus.SCHEDULED
    status = _STATUSES.get(re.sub(r"[\s_-]", "", value).lower())
    if status is None:
        raise CellError(
            f"“{value}” is not a milestone status. Use one of: "
            f"{', '.join(s.value for s in MilestoneStatus)}."
        )
    return status


def _whole(value: str, *, default: int, low: int, high: int | None, what: str) -> int:
    value = value.removesuffix("%").strip() if what == "percentage" else value
    if not value:
        return default
    if not _WHOLE.fullmatch(value):
        raise CellError(f"“{value}” is not a whole number.")
    number = int(value)
    if number < low or (high is not None and number > high):
        limit = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise CellError(f"The {what} is a whole number {limit}; this row has {number}.")
    return number


def _amount(value: str) -> Decimal | None:
    if not value:
        return None
    if not _AMOUNT.fullmatch(value):
        raise CellError(
            f"“{value}” is not an amount: write digits with a dot for decimals "
            "(e.g. 1250000.50), without currency or thousands separators, zero or more."
        )
    amount = Decimal(value)
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"“{value}” has more than two decimals.")
    return amount


def _contract_references(project) -> dict[str, int]:
    return dict(
        db.session.execute(
            sa.select(Contract.reference, Contract.id).where(
                Contract.project_id == project.id, Contract.is_deleted.is_(False)
            )
        ).all()
    )


def _contract(value: str, references: dict[str, int]) -> int | None:
    if not value:
        return None
    if value in references:
        return references[value]
    folded = [ref for ref in references if ref.casefold() == value.casefold()]
    if len(folded) == 1:
        return references[folded[0]]
    raise CellError(
        f"No contract of this project has the reference “{value}”. "
        "Leave it blank, or use the reference shown on the contract's page."
    )


def _parse(data: bytes, project) -> tuple[list[tuple[int, MilestoneData]], list[RowError]]:
    """Check every row; return the milestones with their row numbers, and the problems."""
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
    rows: list[tuple[int, MilestoneData]] = []
    errors: list[RowError] = []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return [], [
                RowError(
                    None,
                    None,
                    "The file is empty: start from the template, whose first "
                    "row names the columns.",
                )
            ]
        problem = header_error(header, COLUMNS)
        if problem:
            return [], [problem]
        index = {name.strip().lower(): i for i, name in enumerate(header)}
        references = _contract_references(project)
        count = 0
        # Spreadsheet row numbers: the header is row 1. A quoted cell may run
        # over several lines of the file but is still one spreadsheet row.
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line, e.g. at the end of the file
            count += 1
            if count > MAX_ROWS:
                return [], [
                    RowError(
                        None,
                        None,
                        f"The file has more than {MAX_ROWS:,} milestones; nothing was "
                        "imported. Split it into smaller files.",
                    )
                ]
            if len(errors) >= MAX_ERRORS:
                continue  # keep counting rows, stop checking them
            data_row, row_errors = _parse_row(number, cells, header, index, references)
            errors.extend(row_errors)
            if data_row is not None:
                rows.append((number, data_row))
    except csv.Error as error:
        errors.append(
            RowError(reader.line_num or None, None, f"The file is not valid CSV: {error}.")
        )
    if not rows and not errors:
        errors.append(RowError(None, None, "The file has a header but no milestones."))
    return rows, capped(errors)


def _parse_row(number: int, cells: list[str], header, index, references):
    """Return the row as ``MilestoneData`` (None when invalid) and its problems."""
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
        return None, [
            RowError(
                number,
                None,
                f"This row has {len(cells)} cells but the header names {len(header)} columns: "
                "is a comma in a text missing its quotes?",
            )
        ]
    cells = cells + [""] * (len(header) - len(cells))  # a short row is padded with blanks

    def cell(name: str) -> str:
        return unneutralise(cells[index[name]].strip())

    converters = {
        "title": lambda v: _text(v, "title"),
        "type": lambda v: _lookup("milestoneType", v, "milestone type") if v else _missing(),
        "code": lambda v: _lookup("milestoneCode", v, "milestone code") if v else None,
        "description": lambda v: v,
        "contract_reference": lambda v: _contract(v, references),
        "baseline_date": _date,
        "forecast_date": _date,
        "actual_date": _date,
        "status": _status,
        "percent_complete": lambda v: _whole(v, default=0, low=0, high=100, what="percentage"),
        "weight": lambda v: _whole(v, default=1, low=0, high=None, what="weight"),
        "planned_value": _amount,
    }
    values, errors = {}, []
    for name, convert in converters.items():
        try:
            values[name] = convert(cell(name))
        except CellError as error:
            errors.append(RowError(number, name, str(error)))
    if errors:
        return None, errors
    values["contract_id"] = values.pop("contract_reference")
    return MilestoneData(**values), []


def _missing():
    raise CellError("Give the milestone type (an OC4IDS milestoneType code).")


def parse(data: bytes, project) -> tuple[list[MilestoneData], list[RowError]]:
    """Read a milestone CSV for ``project`` and check every row, changing nothing.

    :param data: the file's bytes (UTF-8, with or without a byte-order mark).
    :param project: whose contracts the ``contract_reference`` column names.
    :return: the milestones, in file order, and the problems found; row
        numbers count as a spreadsheet does (the header is row 1).
    """
    rows, errors = _parse(data, project)
    return [milestone for _number, milestone in rows], errors


def import_milestones(project, data: bytes, *, actor) -> ImportResult:
    """Create the milestones a CSV file describes: all of them, or none.

    The rows are checked first; if any is invalid nothing is created. Then
    each row goes through ``create_milestone``; if the service refuses any
    row, the refusals are reported by row and the caller must roll back (the
    view does). Flushes, never commits.

    :param data: the uploaded file's bytes.
    :param actor: the user importing.
    :return: the created milestones, or the problems (and nothing created).
    """
    rows, errors = _parse(data, project)
    if errors:
        return ImportResult(errors=errors)
    created: list[Milestone] = []
    # No savepoints: on SQLite (pysqlite's own transaction handling) releasing
    # the outermost savepoint would commit. The service checks a row before it
    # writes anything, so a refused row leaves the session clean; the caller
    # rolls the whole import back when any row was refused.
    for number, milestone_data in rows:
        try:
            milestone = create_milestone(project, milestone_data, actor=actor)
        except DomainError as error:
            column = _COLUMN_OF_FIELD.get(error.field, error.field)
            errors.append(RowError(number, column if column in COLUMNS else None, error.message))
            if len(errors) >= MAX_ERRORS:
                break
        else:
            created.append(milestone)
    if errors:
        return ImportResult(errors=capped(errors))
    record(
        "milestones.import",
        entity=project,
        summary=f"Imported {len(created)} milestone{'' if len(created) == 1 else 's'} "
        "from a CSV file",
    )
    return ImportResult(created=created)
