"""The milestone CSV: one format to export, to fill in from the template, and to import.

Columns (in this order on export; any order on import)::

    title,type,code,description,contract_reference,baseline_date,forecast_date,
    actual_date,status,percent_complete,weight,planned_value

Text is UTF-8 (a byte-order mark is written, for spreadsheets, and accepted);
dates are ISO ``YYYY-MM-DD``; amounts use a dot for decimals, without
thousands separators. An import is all or nothing: every row is checked
first, and one invalid row means nothing is imported.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from pptracker import codelists
from pptracker.audit.services import record
from pptracker.csvimport import BOM as BOM
from pptracker.csvimport import (
    CellError,
    ImportOutcome,
    Row,
    RowError,
    apply_rows,
    by_field,
    capped,
    cell_amount,
    cell_choice,
    cell_contract,
    cell_date,
    contract_references,
    read_rows,
    squeezed,
    template,
)
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

_WHOLE = re.compile(r"\d+")

#: Which column a service's complaint (named by form field) belongs to.
_COLUMN_OF_FIELD = {"contract_id": "contract_reference"}


@dataclass
class ImportResult(ImportOutcome):
    """What an import did: the milestones it created, or why it created none."""

    created: list[Milestone] = field(default_factory=list)


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
    return template(COLUMNS, [example])


# --- import -----------------------------------------------------------------------------


def _lookup(name: str, value: str, what: str) -> str:
    """Return the code of ``value`` in code list ``name`` (case does not matter)."""
    codes = codelists.codelist(name)
    return cell_choice(value, {code.casefold(): code for code in codes}, what=what)


def _text(value: str, column: str) -> str:
    if column == "title":
        if not value:
            raise CellError("Give the milestone a title.")
        if len(value) > 200:
            raise CellError(f"The title is {len(value)} characters long; at most 200.")
    return value


_STATUSES = {s.value.lower(): s for s in MilestoneStatus} | {
    s.name.replace("_", "").lower(): s for s in MilestoneStatus
}


def _status(value: str) -> MilestoneStatus:
    return cell_choice(
        value,
        _STATUSES,
        what="milestone status",
        default=MilestoneStatus.SCHEDULED,
        fold=squeezed,
    )


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


def _parse(data: bytes, project) -> tuple[list[tuple[int, MilestoneData]], list[RowError]]:
    """Check every row; return the milestones with their row numbers, and the problems."""
    references = contract_references(project)
    rows, errors = read_rows(
        data,
        COLUMNS,
        lambda row: _parse_row(row, references),
        noun="milestones",
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
    )
    return rows, capped(errors)


def _parse_row(row: Row, references):
    """Return the row as ``(row number, MilestoneData)`` (None when invalid) and its problems."""
    values, errors = row.convert(
        {
            "title": lambda v: _text(v, "title"),
            "type": lambda v: _lookup("milestoneType", v, "milestone type") if v else _missing(),
            "code": lambda v: _lookup("milestoneCode", v, "milestone code") if v else None,
            "description": lambda v: v,
            "contract_reference": lambda v: cell_contract(v, references),
            "baseline_date": cell_date,
            "forecast_date": cell_date,
            "actual_date": cell_date,
            "status": _status,
            "percent_complete": lambda v: _whole(v, default=0, low=0, high=100, what="percentage"),
            "weight": lambda v: _whole(v, default=1, low=0, high=None, what="weight"),
            "planned_value": cell_amount,
        }
    )
    if errors:
        return None, errors
    return (row.number, MilestoneData(**by_field(values, _COLUMN_OF_FIELD))), []


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
    done, errors = apply_rows(
        rows,
        lambda milestone_data: create_milestone(project, milestone_data, actor=actor),
        COLUMNS,
        _COLUMN_OF_FIELD,
    )
    created = [milestone for _number, milestone in done]
    if errors:
        return ImportResult(errors=capped(errors))
    record(
        "milestones.import",
        entity=project,
        summary=f"Imported {len(created)} milestone{'' if len(created) == 1 else 's'} "
        "from a CSV file",
    )
    return ImportResult(created=created)
