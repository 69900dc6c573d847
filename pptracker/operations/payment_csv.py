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

from dataclasses import dataclass, field

from pptracker.audit.services import record
from pptracker.csvimport import BOM as BOM
from pptracker.csvimport import (
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

_TYPES = {t.value.lower(): t for t in PaymentType} | {
    label.replace(" ", "").lower(): PaymentType(value)
    for value, label in services.TYPE_LABELS.items()
}
#: Which column a service's complaint (named by form field) belongs to.
_COLUMN_OF_FIELD = {"contract_id": "contract_reference"}


@dataclass
class ImportResult(ImportOutcome):
    """What an import did: the payments it scheduled, or why it scheduled none."""

    created: list[ScheduledPayment] = field(default_factory=list)


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
    return template(COLUMNS, [example])


# --- import -------------------------------------------------------------------------------


def _type(value: str) -> PaymentType:
    return cell_choice(
        value,
        _TYPES,
        what="payment type",
        missing="Give the payment type, e.g. availabilityPayment.",
        fold=squeezed,
    )


def _parse_row(row: Row, references):
    values, errors = row.convert(
        {
            "contract_reference": lambda v: cell_contract(v, references, required=True),
            "type": _type,
            "period_start": lambda v: cell_date(
                v, missing="Give the first day of the period, written as YYYY-MM-DD."
            ),
            "period_end": lambda v: cell_date(
                v, missing="Give the last day of the period, written as YYYY-MM-DD."
            ),
            "due_date": cell_date,
            "gross_amount": lambda v: cell_amount(
                v, missing="Give the gross amount (zero or more).", name="gross amount"
            ),
            "description": lambda v: v,
        }
    )
    if errors:
        return None, errors
    return (row.number, services.ScheduledPaymentData(**by_field(values, _COLUMN_OF_FIELD))), []


def _read(data: bytes, project):
    """Return ``[(row number, data)]`` and the problems, checking cells only."""
    references = contract_references(project)
    return read_rows(
        data,
        COLUMNS,
        lambda row: _parse_row(row, references),
        noun="payments",
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
        ignored=COMPUTED,
    )


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
    validated, errors = apply_rows(
        rows,
        lambda item: services.validate(project, item),
        COLUMNS,
        _COLUMN_OF_FIELD,
        errors=errors,
    )
    cleaned = [(number, clean, contract) for number, (clean, contract) in validated]
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
