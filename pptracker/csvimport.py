"""What every CSV importer shares: decoding, the header check, row errors and their cap.

The milestone and transaction importers differ only in their columns and in
how a row becomes data; the rules for a file as a whole live here once.
"""

from dataclasses import dataclass

from pptracker.csvutil import FORMULA_START

#: Problems listed at most; past that, one more line says there are more.
MAX_ERRORS = 200


@dataclass(frozen=True)
class RowError:
    """A problem in the file: where (spreadsheet row and column) and what.

    ``row`` counts as a spreadsheet does: the header is row 1, so the first
    data row is row 2. None when the problem is the file as a whole.
    """

    row: int | None
    column: str | None
    message: str


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
