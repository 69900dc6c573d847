"""What every CSV importer shares: reading the file, its cells, and reporting problems.

The importers (transactions, milestones, KPI observations, the payment
schedule, tariff rates, demand and revenue) differ only in their columns and
in how a row becomes data; the rules for a file as a whole (decoding, the
header, row and size limits, "row N, column X" problems and their cap) and
for the cells they share (dates, amounts, choices, contract references) live
here once.
"""

import csv
import io
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from pptracker.contracts.models import Contract
from pptracker.csvutil import FORMULA_START, stream_csv
from pptracker.errors import DomainError
from pptracker.extensions import db

#: Problems listed at most; past that, one more line says there are more.
MAX_ERRORS = 200
#: Written first in a template or export, so spreadsheets read the file as UTF-8.
BOM = "\ufeff"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AMOUNT = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class RowError:
    """A problem in the file: where (spreadsheet row and column) and what.

    ``row`` counts as a spreadsheet does: the header is row 1, so the first
    data row is row 2. None when the problem is the file as a whole.
    """

    row: int | None
    column: str | None
    message: str


@dataclass
class ImportOutcome:
    """What an import did: each importer's result adds what it created; here, why not."""

    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the file was imported (no error at all)."""
        return not self.errors


class CellError(ValueError):
    """A value that cannot be read; the message is for the user."""


def decode(data: bytes) -> str:
    """Return the file's text without a byte-order mark.

    :raises CellError: when it is not UTF-8.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CellError(
            f"The file is not UTF-8 (the first bad byte is at position {error.start}). "
            "Save it again as “CSV UTF-8” (in Excel: File › Save As › CSV UTF-8) and retry."
        ) from None


def unneutralise(text: str) -> str:
    """Take off the "'" an export put before a cell a spreadsheet would run as a formula."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def header_error(header: list[str], columns: list[str]) -> RowError | None:
    """Return what is wrong with the header row (missing, unknown or repeated columns)."""
    seen = [name.strip().lower() for name in header]
    missing = [name for name in columns if name not in seen]
    unknown = [name for name in seen if name not in columns]
    doubled = sorted({name for name in seen if name in columns and seen.count(name) > 1})
    if not (missing or unknown or doubled):
        return None
    problems = []
    if missing:
        problems.append(f"missing: {', '.join(missing)}")
    if unknown:
        problems.append(f"not recognised: {', '.join(n or '(blank)' for n in unknown)}")
    if doubled:
        problems.append(f"more than once: {', '.join(doubled)}")
    return RowError(
        1,
        None,
        "The header row (row 1) does not have the expected columns ("
        + "; ".join(problems)
        + "). It must name each of these once: "
        + ",".join(columns)
        + ". Start from the template to get it right.",
    )


def capped(errors: list[RowError]) -> list[RowError]:
    """Return at most ``MAX_ERRORS`` problems, and a line saying when there are more."""
    if len(errors) <= MAX_ERRORS:
        return errors
    return [
        *errors[:MAX_ERRORS],
        RowError(None, None, f"There are more problems; only the first {MAX_ERRORS} are listed."),
    ]


def template(columns: list[str], examples: Iterable[list]) -> str:
    """Return a CSV to fill in: a byte-order mark, the header and the example rows."""
    return BOM + "".join(stream_csv(columns, examples))


def refusal(
    number: int, error, columns: Collection[str], renamed: Mapping[str, str] | None = None
) -> RowError:
    """Return a service's refusal of row ``number`` as a problem in the column at fault.

    :param error: a ``DomainError`` (or anything with ``field`` and ``message``).
    :param renamed: the column of a form field named otherwise (``contract_id``
        → ``contract_reference``); a field that is no column puts the problem on
        the row as a whole.
    """
    column = (renamed or {}).get(error.field, error.field)
    return RowError(number, column if column in columns else None, error.message)


def by_field(values: Mapping[str, Any], renamed: Mapping[str, str] | None = None) -> dict:
    """Return a row's values keyed by the service's field names, not the columns.

    :param renamed: the column of each field named otherwise (``contract_id``
        → ``contract_reference``), as for ``refusal``.
    """
    field_of = {column: name for name, column in (renamed or {}).items()}
    return {field_of.get(column, column): value for column, value in values.items()}


# --- a row and its cells -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A data row of the file: its spreadsheet number, and its cells by column name."""

    number: int
    cells: list[str]
    index: Mapping[str, int]

    def cell(self, name: str) -> str:
        """Return the cell of column ``name``, trimmed, with an export's "'" taken off."""
        return unneutralise(self.cells[self.index[name]].strip())

    def error(self, column: str | None, message: str) -> RowError:
        """Return a problem of this row (in ``column``, or the row as a whole when None)."""
        return RowError(self.number, column, message)

    def convert(self, converters: Mapping[str, Callable[[str], Any]]):
        """Read each named cell with its converter; return the values and the problems.

        A converter raises ``CellError`` for a value it cannot read.
        """
        values, errors = {}, []
        for name, convert in converters.items():
            try:
                values[name] = convert(self.cell(name))
            except CellError as error:
                errors.append(self.error(name, str(error)))
        return values, errors


def cell_date(value: str, *, missing: str | None = None) -> date | None:
    """Read a date written ``YYYY-MM-DD``.

    :param missing: the message for a blank cell; None when blank means no date.
    """
    if not value:
        if missing is not None:
            raise CellError(missing)
        return None
    if not _DATE.fullmatch(value):
        raise CellError(f"“{value}” is not a date written as YYYY-MM-DD (e.g. 2026-03-31).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(f"“{value}” is not a real date.") from None


def cell_amount(value: str, *, missing: str | None = None, name: str | None = None):
    """Read an amount of money: digits with a dot, at most two decimals, never a float.

    :param missing: the message for a blank cell; None when blank means no amount.
    :param name: what the amount is ("gross amount"): a minus sign is then
        refused as a negative amount, by that name; without it "-5" is not an amount.
    """
    if not value:
        if missing is not None:
            raise CellError(missing)
        return None
    if not _AMOUNT.fullmatch(value) or (name is None and value.startswith("-")):
        raise CellError(
            f"“{value}” is not an amount: write digits with a dot for decimals "
            "(e.g. 1250000.50), without currency, sign or thousands separators."
        )
    amount = Decimal(value)
    if amount < 0:
        raise CellError(f"The {name} cannot be negative; this row has {value}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"“{value}” has more than two decimals.")
    return amount


def cell_choice(
    value: str,
    choices: Mapping[str, Any],
    *,
    what: str,
    missing: str | None = None,
    default: Any = None,
    fold: Callable[[str], str] = str.casefold,
):
    """Read one of ``choices`` (keyed by their folded spelling: case does not matter).

    :param what: the kind of value, for the message ("payment type").
    :param missing: the message for a blank cell; None when blank means ``default``.
    :param fold: how a spelling is folded to its key (the keys are folded alike).
    """
    if not value:
        if missing is not None:
            raise CellError(missing)
        return default
    found = choices.get(fold(value))
    if found is None:
        options = dict.fromkeys(getattr(choice, "value", choice) for choice in choices.values())
        raise CellError(f"“{value}” is not a {what}. Use one of: {', '.join(options)}.")
    return found


def squeezed(value: str) -> str:
    """Fold a spelling without case, spaces, "_" or "-" ("In progress" → "inprogress")."""
    return re.sub(r"[\s_-]", "", value).lower()


# --- contracts named by reference ----------------------------------------------------------------


def contract_references(project) -> dict[str, int]:
    """Return the references of ``project``'s live contracts, with their ids."""
    return dict(
        db.session.execute(
            sa.select(Contract.reference, Contract.id).where(
                Contract.project_id == project.id, Contract.is_deleted.is_(False)
            )
        ).all()
    )


def _reference(value: str, references: Mapping[str, Any]) -> str | None:
    """Return the reference ``value`` names: itself, else the one equal but for case."""
    if value in references:
        return value
    folded = [ref for ref in references if ref.casefold() == value.casefold()]
    return folded[0] if len(folded) == 1 else None


def cell_contract(value: str, references: Mapping[str, Any], *, required: bool = False):
    """Read a contract reference; return what ``references`` holds for it.

    :param required: refuse a blank cell; otherwise blank means no contract (None).
    """
    if not value:
        if required:
            raise CellError("Give the reference of one of this project's contracts.")
        return None
    found = _reference(value, references)
    if found is None:
        raise CellError(
            f"No contract of this project has the reference “{value}”"
            + (
                ": use the reference shown on the contract's page."
                if required
                else ". Leave it blank, or use the reference shown on the contract's page."
            )
        )
    return references[found]


def of_contract(
    row: Row,
    references: Mapping[str, int],
    records: Mapping[tuple[int, str], Any],
    *,
    column: str,
    missing: str,
    unknown: str,
):
    """Find the record a row names by its contract's reference and its own code or name.

    :param records: the records by (contract id, code or name case-folded).
    :param column: the column of the code or name.
    :param missing: the message when that column is blank.
    :param unknown: the message when the contract has no such record, with
        ``{reference}`` and ``{code}`` to fill in.
    :return: the record (None when not found) and the row's problems.
    """
    errors = []
    try:
        contract_id = cell_contract(row.cell("contract_reference"), references, required=True)
    except CellError as error:
        errors.append(row.error("contract_reference", str(error)))
        contract_id = None
    code = row.cell(column)
    record = None
    if not code:
        errors.append(row.error(column, missing))
    elif contract_id is not None:
        record = records.get((contract_id, code.casefold()))
        if record is None:
            reference = _reference(row.cell("contract_reference"), references)
            errors.append(row.error(column, unknown.format(reference=reference, code=code)))
    return record, errors


# --- the file ------------------------------------------------------------------------------------


def read_rows(
    data: bytes,
    columns: list[str],
    check: Callable[[Row], tuple[Any, list[RowError]]],
    *,
    noun: str,
    max_rows: int,
    max_bytes: int,
    ignored: Collection[str] = (),
) -> tuple[list, list[RowError]]:
    """Read a CSV file and check each data row; return what the rows gave and the problems.

    The file must be UTF-8 (a byte-order mark is accepted), at most
    ``max_bytes`` long, with a header naming each of ``columns`` once (in any
    order; ``ignored`` columns, such as an export's computed ones, may be
    there too) and at most ``max_rows`` data rows; blank lines are skipped.
    Past ``MAX_ERRORS`` problems the rows are counted but no longer checked.
    The problems are not capped: the caller adds its own and caps them.

    :param check: reads one row: returns what it gives (None when invalid)
        and its problems. A row with more cells than the header is refused
        before it is checked; a short one is padded with blank cells.
    :param noun: what the rows are, for the messages ("transactions").
    :return: the non-None results of ``check``, in file order, and the problems.
    """
    if len(data) > max_bytes:
        return [], [
            RowError(
                None,
                None,
                f"The file is larger than {max_bytes // (1024 * 1024)} MB. Split it into "
                "smaller files and import them one by one.",
            )
        ]
    try:
        text = decode(data)
    except CellError as error:
        return [], [RowError(None, None, str(error))]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    results: list = []
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
        named = [name.strip().lower() for name in header]
        problem = header_error([name for name in named if name not in ignored], columns)
        if problem:
            return [], [problem]
        index = {name: i for i, name in enumerate(named)}
        width = len(header)
        count = 0
        # Spreadsheet row numbers: the header is row 1. A quoted cell may run
        # over several lines of the file but is still one spreadsheet row.
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line, e.g. at the end of the file
            count += 1
            if count > max_rows:
                return [], [
                    RowError(
                        None,
                        None,
                        f"The file has more than {max_rows:,} {noun}; nothing was "
                        "imported. Split it into smaller files.",
                    )
                ]
            if len(errors) >= MAX_ERRORS:
                continue  # keep counting rows, stop checking them
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                errors.append(
                    RowError(
                        number,
                        None,
                        f"This row has {len(cells)} cells but the header names {width} "
                        "columns: is a comma in a text missing its quotes?",
                    )
                )
                continue
            result, row_errors = check(Row(number, cells + [""] * (width - len(cells)), index))
            errors.extend(row_errors)
            if result is not None:
                results.append(result)
    except csv.Error as error:
        errors.append(
            RowError(reader.line_num or None, None, f"The file is not valid CSV: {error}.")
        )
    if not results and not errors:
        errors.append(RowError(None, None, f"The file has a header but no {noun}."))
    return results, errors


def apply_rows(
    rows: Iterable[tuple[int, Any]],
    apply: Callable,
    columns: Collection[str],
    renamed: Mapping[str, str] | None = None,
    *,
    errors: list[RowError] | None = None,
) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """Run a service on each checked row; its refusals become problems of their rows.

    Stops at ``MAX_ERRORS`` problems (counting those already in ``errors``,
    which the refusals are added to when given). No savepoints (on SQLite, pysqlite's
    own transaction handling would commit on releasing the outermost one):
    the services check before they write, and the caller rolls the whole
    import back when anything was refused.

    :param rows: ``(row number, what the row gave)`` pairs.
    :return: ``(row number, what the service returned)`` pairs, and the problems.
    """
    done: list[tuple[int, Any]] = []
    errors = [] if errors is None else errors
    for number, item in rows:
        try:
            done.append((number, apply(item)))
        except DomainError as error:
            errors.append(refusal(number, error, columns, renamed))
            if len(errors) >= MAX_ERRORS:
                break
    return done, errors
