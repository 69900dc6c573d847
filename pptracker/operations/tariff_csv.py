"""The tariff-rate CSV: a template to fill in, the all-or-nothing import, and the export.

Import columns (any order)::

    contract_reference,tariff_code,effective_from,value,reason,approved_by

Each row appends one rate change to an existing tariff. Every row is
checked first, including the date order of one tariff's rows within the
file; one invalid row means nothing is imported.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

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
from pptracker.operations.models import Tariff, TariffRate
from pptracker.operations.tariff_services import MAX_RATE, RATE_PLACES, RateChange, change_rate
from pptracker.operations.tariff_services import number as _number

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
BOM = "\ufeff"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class ImportResult:
    """What an import did: the rates it appended, or why it appended none."""

    created: list[TariffRate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the file was imported (no error at all)."""
        return not self.errors


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
    return BOM + "".join(stream_csv(COLUMNS, [example]))


def _date(value: str) -> date:
    if not value:
        raise CellError("Give the date the value takes effect, written YYYY-MM-DD.")
    if not _DATE.fullmatch(value):
        raise CellError(f"“{value}” is not a date written as YYYY-MM-DD (e.g. 2026-01-01).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(f"“{value}” is not a real date.") from None


def _value(value: str):
    try:
        return _number(value, field="value", what="value", places=RATE_PLACES, maximum=MAX_RATE)
    except DomainError as error:
        raise CellError(error.message) from None


def _tariffs(project) -> dict[tuple[str, str], Tariff]:
    """Return the project's live tariffs of live contracts by (reference, code), case-folded."""
    pairs = db.session.execute(
        sa.select(Contract.reference, Tariff)
        .join(Contract, Contract.id == Tariff.contract_id)
        .where(
            Tariff.project_id == project.id,
            Tariff.is_deleted.is_(False),
            Contract.is_deleted.is_(False),
        )
    ).all()
    return {(ref.casefold(), tariff.code.casefold()): tariff for ref, tariff in pairs}


def _references(project) -> set[str]:
    return {
        ref.casefold()
        for ref in db.session.scalars(
            sa.select(Contract.reference).where(
                Contract.project_id == project.id, Contract.is_deleted.is_(False)
            )
        )
    }


def _parse(data: bytes, project):
    """Check every row; return (row number, tariff, change) triples and the problems."""
    if len(data) > MAX_BYTES:
        return [], [
            RowError(None, None, "The file is larger than 5 MB. Split it into smaller files.")
        ]
    try:
        text = decode(data)
    except CellError as error:
        return [], [RowError(None, None, str(error))]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, errors = [], []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return [], [RowError(None, None, "The file is empty: start from the template.")]
        problem = header_error(header, COLUMNS)
        if problem:
            return [], [problem]
        index = {name.strip().lower(): i for i, name in enumerate(header)}
        tariffs, references = _tariffs(project), _references(project)
        last_in_file: dict[int, tuple[int, date]] = {}
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

            row_errors = []
            reference, code = cell("contract_reference"), cell("tariff_code")
            tariff = tariffs.get((reference.casefold(), code.casefold()))
            if not reference:
                row_errors.append(RowError(number, "contract_reference", "Give the contract."))
            elif reference.casefold() not in references:
                row_errors.append(
                    RowError(
                        number,
                        "contract_reference",
                        f"No contract of this project has the reference “{reference}”.",
                    )
                )
            elif tariff is None:
                row_errors.append(
                    RowError(
                        number,
                        "tariff_code",
                        f"Contract {reference} has no tariff with the code “{code}”: "
                        "add the tariff first."
                        if code
                        else "Give the tariff code.",
                    )
                )
            values = {}
            for name, convert in (("effective_from", _date), ("value", _value)):
                try:
                    values[name] = convert(cell(name))
                except CellError as error:
                    row_errors.append(RowError(number, name, str(error)))
            if not cell("reason"):
                row_errors.append(RowError(number, "reason", "Give the reason for the change."))
            if len(cell("approved_by")) > 200:
                row_errors.append(RowError(number, "approved_by", "At most 200 characters."))
            if tariff is not None and "effective_from" in values:
                before = last_in_file.get(tariff.id)
                if before is not None and values["effective_from"] <= before[1]:
                    row_errors.append(
                        RowError(
                            number,
                            "effective_from",
                            f"Rows of tariff {tariff.code} must be in date order: row "
                            f"{before[0]} already gives {before[1].isoformat()}, so this row's "
                            "date must be later.",
                        )
                    )
                else:
                    last_in_file[tariff.id] = (number, values["effective_from"])
            if row_errors:
                errors.extend(row_errors)
                continue
            rows.append(
                (
                    number,
                    tariff,
                    RateChange(
                        effective_from=values["effective_from"],
                        value=values["value"],
                        reason=cell("reason"),
                        approved_by=cell("approved_by"),
                    ),
                )
            )
    except csv.Error as error:
        errors.append(
            RowError(reader.line_num or None, None, f"The file is not valid CSV: {error}.")
        )
    if not rows and not errors:
        errors.append(RowError(None, None, "The file has a header but no rate changes."))
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
    created = []
    # No savepoints (see milestones.csvio): the service checks before writing,
    # and the view rolls the whole import back on any refusal.
    for number, tariff, change in rows:
        try:
            created.append(change_rate(tariff, change, actor=actor))
        except DomainError as error:
            column = error.field if error.field in COLUMNS else None
            errors.append(RowError(number, column, error.message))
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        return ImportResult(errors=capped(errors))
    record(
        "tariffs.import",
        entity=project,
        summary=f"Imported {len(created)} tariff rate change{'' if len(created) == 1 else 's'} "
        "from a CSV file",
    )
    return ImportResult(created=created)
