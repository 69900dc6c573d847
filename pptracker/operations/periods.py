"""Reporting periods of operations data, their contract and the period they must fall in.

KPI periods are calendar months, quarters, halves or years; a period is
named by its first day and written the way people write it: ``2025-03``,
``2025-Q1``, ``2025-H2``, ``2025``.
"""

import calendar
import re
from datetime import date

from pptracker.contracts.models import Contract
from pptracker.contracts.queries import terms
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations.models import Frequency
from pptracker.values import EARLIEST, LATEST

_MONTHS_IN = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}

_PATTERNS = {
    Frequency.MONTHLY: (re.compile(r"^(\d{4})-(\d{1,2})$"), "2025-03"),
    Frequency.QUARTERLY: (re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE), "2025-Q1"),
    Frequency.HALF_YEARLY: (re.compile(r"^(\d{4})-?H([12])$", re.IGNORECASE), "2025-H2"),
    Frequency.YEARLY: (re.compile(r"^(\d{4})$"), "2025"),
}

#: Periods outside these years are typing mistakes (as dates outside them are).
EARLIEST_YEAR, LATEST_YEAR = EARLIEST.year, LATEST.year


def months_in(frequency: Frequency) -> int:
    """Return how many months one period of ``frequency`` spans."""
    return _MONTHS_IN[Frequency(frequency)]


def period_of(frequency: Frequency, day: date) -> tuple[date, date]:
    """Return the first and last day of the ``frequency`` period containing ``day``."""
    size = months_in(frequency)
    first_month = (day.month - 1) // size * size + 1
    last_month = first_month + size - 1
    return (
        date(day.year, first_month, 1),
        date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]),
    )


def is_period_start(frequency: Frequency, day: date) -> bool:
    """Tell whether ``day`` is the first day of a ``frequency`` period."""
    return period_of(frequency, day)[0] == day


def label(frequency: Frequency, start: date) -> str:
    """Return the period starting on ``start`` as people write it (``2025-Q1``)."""
    frequency = Frequency(frequency)
    if frequency == Frequency.MONTHLY:
        return f"{start.year}-{start.month:02d}"
    if frequency == Frequency.QUARTERLY:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if frequency == Frequency.HALF_YEARLY:
        return f"{start.year}-H{(start.month - 1) // 6 + 1}"
    return str(start.year)


def example(frequency: Frequency) -> str:
    """Return an example of how a ``frequency`` period is written."""
    return _PATTERNS[Frequency(frequency)][1]


def parse(frequency: Frequency, text: str | None, *, field: str = "period") -> tuple[date, date]:
    """Return the first and last day of the period written as ``text``.

    :raises DomainError: naming ``field`` when ``text`` is not a period of
        ``frequency`` (e.g. ``2025-Q1`` given for a monthly KPI).
    """
    frequency = Frequency(frequency)
    pattern, shown = _PATTERNS[frequency]
    match = pattern.match((text or "").strip())
    words = {
        Frequency.MONTHLY: "a month",
        Frequency.QUARTERLY: "a quarter",
        Frequency.HALF_YEARLY: "a half-year",
        Frequency.YEARLY: "a year",
    }[frequency]
    if not match:
        raise DomainError(f"Give {words}, written like {shown}.", field=field)
    year = int(match.group(1))
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DomainError(f"Give a year between {EARLIEST_YEAR} and {LATEST_YEAR}.", field=field)
    index = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 1
    if frequency == Frequency.MONTHLY and not 1 <= index <= 12:
        raise DomainError(f"Give {words}, written like {shown}.", field=field)
    month = (index - 1) * months_in(frequency) + 1
    return period_of(frequency, date(year, month, 1))


def live_contract(project, contract_id, *, field: str = "contract_id") -> Contract:
    """Return the live contract of ``project`` with this id (what operations records belong to).

    :raises DomainError: naming ``field`` when there is none.
    """
    contract = db.session.get(Contract, contract_id) if isinstance(contract_id, int) else None
    if contract is None or contract.is_deleted or contract.project_id != project.id:
        raise DomainError(
            "Choose a contract of this project from the list of its contracts.", field=field
        )
    return contract


def contract_period(contract) -> tuple[date | None, date | None]:
    """Return the contract's current period (initial, as amended)."""
    current = terms(contract)
    return current.current_start, current.current_end


def check_within_contract(
    contract, start: date, end: date | None = None, *, field: str, what: str = "The period"
) -> None:
    """Refuse a period (or a date, when ``end`` is None) outside the contract's current period.

    An open end of the contract's period accepts anything after its start.

    :raises DomainError: naming ``field`` and the contract's period.
    """
    end = end or start
    first, last = contract_period(contract)
    if (first is not None and start < first) or (last is not None and end > last):
        shown = f"{first.isoformat() if first else '…'} to {last.isoformat() if last else '…'}"
        raise DomainError(
            f"{what} is outside the period of contract {contract.reference} ({shown}).",
            field=field,
        )


def check_year_within_contract(contract, year: int, *, field: str = "year") -> None:
    """Refuse a year that does not overlap the contract's current period.

    :raises DomainError: naming ``field``.
    """
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DomainError(f"Give a year between {EARLIEST_YEAR} and {LATEST_YEAR}.", field=field)
    first, last = contract_period(contract)
    if (first is not None and year < first.year) or (last is not None and year > last.year):
        raise DomainError(
            f"{year} is outside the period of contract {contract.reference} "
            f"({first.year if first else '…'}–{last.year if last else '…'}).",
            field=field,
        )
