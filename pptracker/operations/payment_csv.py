"""The payment schedule CSV: the template to fill in, the export, and the all-or-nothing import.

Import columns (any order)::

    contract_reference,type,period_start,period_end,due_date,gross_amount,description

The export writes these first, then what was computed (currency, deductions,
net_due, paid, difference, status, confidential); an import ignores those, so
an export can be edited and imported elsewhere. Dates are ``YYYY-MM-DD``;
amounts use a dot for decimals, no thousands separators. Every row is checked
(also against the others in the file) before anything is written: one invalid
row and nothing is imported.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

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
from pptracker.operations import payment_services as services
from pptracker.operations.models import PaymentType, ScheduledPayment

COLUMNS = [
    "contract_reference",
    "type",
    "period_start",
    "period_end",
    "due_date",
    "gross_amount",
    "description",
]
#: Written by the export after ``COLUMNS``; ignored by the import.
COMPUTED = [
    "currency",
    "deductions",
    "net_due",
    "paid",
    "difference",
    "status",
    "confidential",
]
EXPORT_COLUMNS = COLUMNS + COMPUTED

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
BOM = "\ufeff"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMOUNT = re.compile(r"-?\d+(\.\d+)?")
_TYPES = {t.value.lower(): t for t in PaymentType} | {
    label.replace(" ", "").lower(): PaymentType(value)
    for value, label in services.TYPE_LABELS.items()
}
#: Which column a service's complaint (named by form field) belongs to.
_COLUMN_OF_FIELD = {"contract_id": "contract_reference"}


@dataclass
class ImportResult:
    """What an import did: the payments it scheduled, or why it scheduled none."""

    created: list[ScheduledPayment] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- export and template -------------------------------------------------------------------


def export_rows(rows) -> list[list]:
    """Return one list of cells per schedule row (``payment_queries.ScheduleRow``)."""
    return [
        [
            row.contract_reference,
            row.type.value,
            row.period_start.isoformat(),
            row.period_end.isoformat(),
            row.due_date.isoformat() if row.due_date else "",
            f"{row.gross:.2f}",
            row.description,
            row.currency,
            f"{row.deductions:.2f}",
            f"{row.net_due:.2f}",
            f"{row.paid:.2f}",
            f"{row.difference:.2f}",
            row.status,
            "yes" if row.confidential else "no",
        ]
        for row in rows
    ]


def template_csv() -> str:
    """Return a CSV to fill in: the header and one valid example row."""
    example = [
        "C-1",
        PaymentType.AVAILABILITY_PAYMENT.value,
        "2026-01-01",
        "2026-03-31",
        "2026-04-30",
        "1250000.00",
        "Quarterly availability payment (schedule 6)",
    ]
    return BOM + "".join(stream_csv(COLUMNS, [example]))


# --- import -------------------------------------------------------------------------------


def _date(value: str, *, required: bool, what: str) -> date | None:
    if not value:
        if required:
            raise CellError(f"Give the {what}, written as YYYY-MM-DD.")
        return None
    if not _DATE.fullmatch(value):
        raise CellError(f"“{value}” is not a date written as YYYY-MM-DD (e.g. 2026-03-31).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(f"“{value}” is not a real date.") from None


def _amount(value: str) -> Decimal:
    if not value:
        raise CellError("Give the gross amount (zero or more).")
    if not _AMOUNT.fullmatch(value):
        raise CellError(
            f"“{value}” is not an amount: write digits with a dot for decimals "
            "(e.g. 1250000.50), without currency or thousands separators."
        )
    amount = Decimal(value)
    if amount < 0:
        raise CellError(f"The gross amount cannot be negative; this row has {value}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"“{value}” has more than two decimals.")
    return amount


def _type(value: str) -> PaymentType:
    found = _TYPES.get(re.sub(r"[\s_-]", "", value).lower()) if value else None
    if found is None:
        raise CellError(
            f"“{value}” is not a payment type. Use one of: "
            f"{', '.join(t.value for t in PaymentType)}."
            if value
            else "Give the payment type, e.g. availabilityPayment."
        )
    return found


def _contract(value: str, references: dict[str, int]) -> int:
    if not value:
        raise CellError("Give the reference of one of this project's contracts.")
    if value in references:
        return references[value]
    folded = [ref for ref in references if ref.casefold() == value.casefold()]
    if len(folded) == 1:
        return references[folded[0]]
    raise CellError(
        f"No contract of this project has the reference “{value}”: use the reference shown "
        "on the contract's page."
    )


def _parse_row(number, cells, header, index, references):
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
        return None, [
            RowError(
                number,
                None,
                f"This row has {len(cells)} cells but the header names {len(header)} columns: "
                "is a comma in a text missing its quotes?",
            )
        ]
    cells = cells + [""] * (len(header) - len(cells))

    def cell(name: str) -> str:
        return unneutralise(cells[index[name]].strip())

    converters = {
        "contract_reference": lambda v: _contract(v, references),
        "type": _type,
        "period_start": lambda v: _date(v, required=True, what="first day of the period"),
        "period_end": lambda v: _date(v, required=True, what="last day of the period"),
        "due_date": lambda v: _date(v, required=False, what="due date"),
        "gross_amount": _amount,
        "description": lambda v: v,
    }
    values, errors = {}, []
    for name, convert in converters.items():
        try:
            values[name] = convert(cell(name))
        except CellError as error:
            errors.append(RowError(number, name, str(error)))
    if errors:
        return None, errors
    return services.ScheduledPaymentData(
        contract_id=values["contract_reference"],
        type=values["type"],
        period_start=values["period_start"],
        period_end=values["period_end"],
        gross_amount=values["gross_amount"],
        due_date=values["due_date"],
        description=values["description"],
    ), []


def _read(data: bytes, project):
    """Return ``[(row number, data)]`` and the problems, checking cells only."""
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
    rows, errors = [], []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return [], [
                RowError(
                    None,
                    None,
                    "The file is empty: start from the template, whose first row names the "
                    "columns.",
                )
            ]
        named = [name.strip().lower() for name in header]
        problem = header_error([n for n in named if n not in COMPUTED], COLUMNS)
        if problem:
            return [], [problem]
        index = {name: i for i, name in enumerate(named)}
        references = dict(
            db.session.execute(
                sa.select(Contract.reference, Contract.id).where(
                    Contract.project_id == project.id, Contract.is_deleted.is_(False)
                )
            ).all()
        )
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
                        f"The file has more than {MAX_ROWS:,} payments; nothing was imported. "
                        "Split it into smaller files.",
                    )
                ]
            if len(errors) >= MAX_ERRORS:
                continue
            item, row_errors = _parse_row(number, cells, header, index, references)
            errors.extend(row_errors)
            if item is not None:
                rows.append((number, item))
    except csv.Error as error:
        errors.append(
            RowError(reader.line_num or None, None, f"The file is not valid CSV: {error}.")
        )
    if not rows and not errors:
        errors.append(RowError(None, None, "The file has a header but no payments."))
    return rows, errors


def _overlaps_in_file(cleaned) -> list[RowError]:
    """Refuse rows whose period overlaps an earlier row's, same contract and type."""
    errors = []
    by_key: dict[tuple, list] = {}
    for number, item, contract in cleaned:
        by_key.setdefault((contract.id, item.type), []).append((number, item, contract))
    for group in by_key.values():
        group.sort(key=lambda entry: (entry[1].period_start, entry[0]))
        latest = None  # the row reaching furthest so far
        for number, item, contract in group:
            if latest is not None and item.period_start <= latest[1].period_end:
                errors.append(
                    RowError(
                        number,
                        "period_start",
                        f"This period ({item.period_start.isoformat()} to "
                        f"{item.period_end.isoformat()}) overlaps row {latest[0]} "
                        f"({latest[1].period_start.isoformat()} to "
                        f"{latest[1].period_end.isoformat()}): the same "
                        f"{services.type_label(item.type)} of contract {contract.reference} "
                        "is in the file twice.",
                    )
                )
            if latest is None or item.period_end > latest[1].period_end:
                latest = (number, item)
    return sorted(errors, key=lambda e: e.row)


def import_schedule(project, data: bytes, *, actor) -> ImportResult:
    """Schedule the payments a CSV file describes: all of them, or none.

    Every row is checked (cells, the service's rules, overlaps with the
    schedule and within the file) before anything is written. Flushes, never
    commits; on errors nothing was added.
    """
    rows, errors = _read(data, project)
    if not rows:
        return ImportResult(errors=capped(errors))
    # The rows whose cells could be read get the service's checks too, so one
    # upload lists every problem.
    cleaned = []
    for number, item in rows:
        try:
            clean, contract = services.validate(project, item)
        except DomainError as error:
            column = _COLUMN_OF_FIELD.get(error.field, error.field)
            errors.append(RowError(number, column if column in COLUMNS else None, error.message))
            if len(errors) >= MAX_ERRORS:
                break
        else:
            cleaned.append((number, clean, contract))
    errors.extend(_overlaps_in_file(cleaned))
    if errors:
        return ImportResult(errors=capped(sorted(errors, key=lambda e: e.row or 0)))
    created = [services.add(project, item, contract) for _n, item, contract in cleaned]
    db.session.flush()
    record(
        "scheduled_payments.import",
        entity=project,
        summary=f"Imported {len(created)} scheduled payment{'' if len(created) == 1 else 's'} "
        "from a CSV file",
    )
    return ImportResult(created=created)
