"""The transaction CSV: a template to fill in, and the all-or-nothing import.

Columns (any order on import)::

    kind,date,amount,currency,rate,budget_line_code,contract_reference,payer,payee,
    reference,description

Text is UTF-8 (a byte-order mark is accepted); dates are ISO ``YYYY-MM-DD``;
amounts and rates are plain decimals with a dot, without thousands separators
or exponents, read with ``Decimal`` (never through a float). A blank currency
is the project's. Budget lines are named by code, contracts by reference and
parties by their exact name.

An import is all or nothing: every row is checked first (cells, then the
same rules as ``services.record_transaction``), and one invalid row means
nothing is imported. It is built for large files (100,000 rows): the budget
lines, contracts and parties are read once, each row is checked in memory,
and the transactions are then added through the ORM a thousand at a time,
so the audit trail still records each one.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from pptracker.audit.services import record
from pptracker.budgets import services
from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import Contract
from pptracker.csvimport import (
    CellError,
    ImportOutcome,
    Row,
    RowError,
    by_field,
    capped,
    cell_amount,
    cell_choice,
    cell_contract,
    cell_date,
    read_rows,
    refusal,
    template,
)
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.projects.models import Party

COLUMNS = [
    "kind",
    "date",
    "amount",
    "currency",
    "rate",
    "budget_line_code",
    "contract_reference",
    "payer",
    "payee",
    "reference",
    "description",
]

#: The most transactions one file may hold.
MAX_ROWS = 100_000
#: The largest file accepted, in bytes (100,000 rows of about 200 bytes, and room to spare).
MAX_BYTES = 32 * 1024 * 1024
#: Transactions added to the session between two flushes.
BATCH = 1_000

_RATE = re.compile(r"\d+(\.\d+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")

#: Which column a service's complaint (named by form field) belongs to.
_COLUMN_OF_FIELD = {
    "transaction_date": "date",
    "budget_line_id": "budget_line_code",
    "contract_id": "contract_reference",
    "payer_id": "payer",
    "payee_id": "payee",
}


@dataclass
class ImportResult(ImportOutcome):
    """What an import did: how many transactions it created, or why it created none."""

    created: int = 0


# --- the template --------------------------------------------------------------------------


def template_csv() -> str:
    """Return a CSV to fill in: the header and one example row that imports into any project."""
    example = [
        TransactionKind.PAYMENT.value,
        "2025-03-31",
        "125000.50",
        "",
        "",
        "",
        "",
        "",
        "",
        "INV-2025-0042",
        "Interim payment certificate 7: earthworks",
    ]
    return template(COLUMNS, [example])


# --- reading cells -----------------------------------------------------------------------------


_KINDS = {k.value: k for k in TransactionKind}


def _kind(value: str) -> TransactionKind:
    return cell_choice(
        value,
        _KINDS,
        what="kind of transaction",
        missing="Give the kind: commitment, payment or receipt.",
    )


def _rate(value: str) -> Decimal | None:
    if not value:
        return None
    if not _RATE.fullmatch(value):
        raise CellError(
            f"“{value}” is not a rate: write digits with a dot for decimals (e.g. 1.08250000)."
        )
    return Decimal(value)


def _currency(value: str, project_currency: str) -> str:
    if not value:
        return project_currency
    if not _CURRENCY.fullmatch(value):
        raise CellError(f"“{value}” is not a currency code: use three letters, e.g. EUR.")
    return value.upper()


def _by_name(value: str, names: dict[str, list[int]], what: str) -> int | None:
    if not value:
        return None
    ids = names.get(value)
    if not ids:
        raise CellError(
            f"No party is named “{value}” exactly. Use the name as shown in the list of "
            f"parties, or leave the {what} blank."
        )
    if len(ids) > 1:
        raise CellError(
            f"{len(ids)} parties are named “{value}”: the {what} cannot be told apart. "
            "Rename one of them, or leave it blank and set it on the transaction's page."
        )
    return ids[0]


def _line(value: str, codes: dict[str, int]) -> int | None:
    if not value:
        return None
    line_id = codes.get(value.casefold())
    if line_id is None:
        raise CellError(
            f"This project has no budget line with the code “{value}”. Use a code shown on "
            "its budget page, or leave it blank."
        )
    return line_id


@dataclass
class _Lookups:
    """What the rows name, read once per import (and held, so the session keeps them)."""

    lines: dict[str, int]
    contracts: dict[str, int]
    parties: dict[str, list[int]]
    #: The loaded rows themselves: the service's checks find them in the session.
    held: list


def _lookups(project) -> _Lookups:
    lines = db.session.scalars(
        sa.select(BudgetLine).where(
            BudgetLine.project_id == project.id, BudgetLine.is_deleted.is_(False)
        )
    ).all()
    contracts = db.session.scalars(
        sa.select(Contract).where(Contract.project_id == project.id, Contract.is_deleted.is_(False))
    ).all()
    parties = db.session.scalars(sa.select(Party).where(Party.is_deleted.is_(False))).all()
    by_name: dict[str, list[int]] = {}
    for party in parties:
        by_name.setdefault(party.name, []).append(party.id)
    return _Lookups(
        lines={line.code.casefold(): line.id for line in lines},
        contracts={c.reference: c.id for c in contracts},
        parties=by_name,
        held=[*lines, *contracts, *parties],
    )


# --- the file ----------------------------------------------------------------------------------


def _parse_row(row: Row, project, lookups: _Lookups):
    """Return the row as checked ``(TransactionData, project_amount)`` (None) and its problems."""
    values, errors = row.convert(
        {
            "kind": _kind,
            "date": lambda v: cell_date(
                v, missing="Give the date of the transaction, written as YYYY-MM-DD."
            ),
            "amount": lambda v: cell_amount(v, missing="Give the amount."),
            "currency": lambda v: _currency(v, project.currency),
            "rate": _rate,
            "budget_line_code": lambda v: _line(v, lookups.lines),
            "contract_reference": lambda v: cell_contract(v, lookups.contracts),
            "payer": lambda v: _by_name(v, lookups.parties, "payer"),
            "payee": lambda v: _by_name(v, lookups.parties, "payee"),
            "reference": lambda v: v or None,
            "description": lambda v: v,
        }
    )
    if errors:
        return None, errors
    data = services.TransactionData(**by_field(values, _COLUMN_OF_FIELD))
    # The service's own rules (plausible, not future dates; the currency and
    # rate; the conversion), checked without writing anything: the very
    # checks record_transaction makes before it adds a row.
    try:
        return services.validate_transaction(project, data), []
    except DomainError as error:
        return None, [refusal(row.number, error, COLUMNS, _COLUMN_OF_FIELD)]


def _parse(data: bytes, project) -> tuple[list, list[RowError]]:
    """Check every row; return the checked transactions and the problems."""
    lookups = _lookups(project)
    rows, errors = read_rows(
        data,
        COLUMNS,
        lambda row: _parse_row(row, project, lookups),
        noun="transactions",
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
    )
    return rows, capped(errors)


def parse(data: bytes, project) -> tuple[list, list[RowError]]:
    """Read a transaction CSV for ``project`` and check every row, changing nothing.

    :return: the checked ``(TransactionData, project_amount)`` pairs, in file
        order, and the problems found (rows counted as in a spreadsheet).
    """
    return _parse(data, project)


def import_transactions(project, data: bytes, *, actor) -> ImportResult:
    """Record the transactions a CSV file describes: all of them, or none.

    Every row is checked first; if any is invalid nothing is written. Then the
    transactions are added through the ORM, flushed a thousand at a time (the
    audit trail records each one as it would through the service). No
    savepoints: on any error the caller rolls back. Flushes, never commits.

    :param data: the uploaded file's bytes.
    :param actor: the user importing (the audit trail takes it from the session).
    :return: how many were created, or the problems (and nothing created).
    """
    if project.is_deleted:
        return ImportResult(errors=[RowError(None, None, "This project has been deleted.")])
    rows, errors = _parse(data, project)
    if errors:
        return ImportResult(errors=errors)
    count = len(rows)
    for start in range(0, count, BATCH):
        chunk = rows[start : start + BATCH]
        db.session.add_all(
            Transaction(project_id=project.id, project_amount=project_amount, **vars(checked))
            for checked, project_amount in chunk
        )
        db.session.flush()
    record(
        "budgets.import",
        entity=project,
        summary=f"Imported {count} transaction{'' if count == 1 else 's'} from a CSV file",
        changes={"rows": count},
    )
    return ImportResult(created=count)
