"""The tariff-rate CSV: a template to fill in, the all-or-nothing import, and the export.

Import columns (any order)::

    contract_reference,tariff_code,effective_from,value,reason,approved_by

Each row appends one rate change to an existing tariff. Every row is
checked first, including the date order of one tariff's rows within the
file; one invalid row means nothing is imported.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from pptracker.audit.services import record
from pptracker.contracts.models import Contract
from pptracker.csvimport import BOM as BOM
from pptracker.csvimport import (
    CellError,
    ImportOutcome,
    Row,
    apply_rows,
    capped,
    cell_date,
    contract_references,
    of_contract,
    read_rows,
    template,
)
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations.models import Tariff, TariffRate
from pptracker.operations.tariff_services import MAX_RATE, RATE_PLACES, RateChange, change_rate
from pptracker.values import parse_decimal

COLUMNS = ["contract_reference", "tariff_code", "effective_from", "value", "reason", "approved_by"]
#: The export adds what a reader needs to understand each rate.
EXPORT_COLUMNS = [
    *COLUMNS,
    "tariff_title",
    "paid_by",
    "payer_group",
    "unit",
    "currency",
    "amendment_number",
]
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class ImportResult(ImportOutcome):
    """What an import did: the rates it appended, or why it appended none."""

    created: list[TariffRate] = field(default_factory=list)


def template_csv() -> str:
    """Return a CSV to fill in: the header and one example row."""
    example = [
        "C-1",
        "T-CL1",
        "2026-01-01",
        "2.7500",
        "Yearly indexation to CPI (clause 14.2)",
        "Transport regulator",
    ]
    return template(COLUMNS, [example])


def _date(value: str) -> date:
    return cell_date(value, missing="Give the date the value takes effect, written YYYY-MM-DD.")


def _value(value: str):
    try:
        return parse_decimal(
            value, field="value", what="value", places=RATE_PLACES, minimum=0, maximum=MAX_RATE
        )
    except DomainError as error:
        raise CellError(error.message) from None


def _tariffs(project) -> dict[tuple[int, str], Tariff]:
    """Return the project's live tariffs of live contracts by (contract, code case-folded)."""
    tariffs = db.session.scalars(
        sa.select(Tariff)
        .join(Contract, Contract.id == Tariff.contract_id)
        .where(
            Tariff.project_id == project.id,
            Tariff.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
        )
    ).all()
    return {(tariff.contract_id, tariff.code.casefold()): tariff for tariff in tariffs}


def _parse_row(row: Row, references, tariffs, last_in_file: dict[int, tuple[int, date]]):
    """Return the row as ``(row number, tariff, change)`` (None when invalid) and its problems."""
    tariff, errors = of_contract(
        row,
        references,
        tariffs,
        column="tariff_code",
        missing="Give the tariff code.",
        unknown="Contract {reference} has no tariff with the code “{code}”: add the tariff first.",
    )
    values, cell_errors = row.convert({"effective_from": _date, "value": _value})
    errors.extend(cell_errors)
    if not row.cell("reason"):
        errors.append(row.error("reason", "Give the reason for the change."))
    if len(row.cell("approved_by")) > 200:
        errors.append(row.error("approved_by", "At most 200 characters."))
    if tariff is not None and "effective_from" in values:
        before = last_in_file.get(tariff.id)
        if before is not None and values["effective_from"] <= before[1]:
            errors.append(
                row.error(
                    "effective_from",
                    f"Rows of tariff {tariff.code} must be in date order: row "
                    f"{before[0]} already gives {before[1].isoformat()}, so this row's "
                    "date must be later.",
                )
            )
        else:
            last_in_file[tariff.id] = (row.number, values["effective_from"])
    if errors:
        return None, errors
    change = RateChange(
        effective_from=values["effective_from"],
        value=values["value"],
        reason=row.cell("reason"),
        approved_by=row.cell("approved_by"),
    )
    return (row.number, (tariff, change)), []


def _parse(data: bytes, project):
    """Check every row; return (row number, (tariff, change)) pairs and the problems."""
    references, tariffs = contract_references(project), _tariffs(project)
    last_in_file: dict[int, tuple[int, date]] = {}
    rows, errors = read_rows(
        data,
        COLUMNS,
        lambda row: _parse_row(row, references, tariffs, last_in_file),
        noun="rate changes",
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
    )
    return rows, capped(errors)


def import_rates(project, data: bytes, *, actor) -> ImportResult:
    """Append the rate changes a CSV file describes: all of them, or none.

    Flushes, never commits; when the result has errors the caller rolls back.

    :param data: the uploaded file's bytes.
    :param actor: the user importing (kept on each rate).
    :return: the rates appended, or the problems by row and column.
    """
    rows, errors = _parse(data, project)
    if errors:
        return ImportResult(errors=errors)
    done, errors = apply_rows(
        rows, lambda pair: change_rate(pair[0], pair[1], actor=actor), COLUMNS
    )
    created = [rate for _number, rate in done]
    if errors:
        return ImportResult(errors=capped(errors))
    record(
        "tariffs.import",
        entity=project,
        summary=f"Imported {len(created)} tariff rate change{'' if len(created) == 1 else 's'} "
        "from a CSV file",
    )
    return ImportResult(created=created)
