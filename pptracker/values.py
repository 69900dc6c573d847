"""Reading the values services are given: exact numbers, money, counts, dates and currencies.

Forms, importers and the demo hand services what people typed (text) or
what a form already converted (``Decimal``, ``int``, ``date``). Every area
checks such a value here, once, so a value means the same, and is refused
with the same words, on every page and in every import.

Each reader raises ``DomainError`` naming the form field at fault.
"""

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from pptracker import codelists
from pptracker.errors import DomainError

#: Dates outside this range are typing mistakes, not budgets, payments or periods.
EARLIEST = date(1950, 1, 1)
LATEST = date(2150, 12, 31)

#: One cent: money has two decimals.
CENT = Decimal("0.01")
#: The largest amount a ``Money`` column holds (NUMERIC(18, 2)).
MAX_AMOUNT = Decimal("9999999999999999.99")
#: The largest count accepted (failure events …): more is a typing mistake.
MAX_COUNT = 1_000_000_000


def parse_decimal(
    value,
    *,
    field: str,
    what: str,
    places: int | None = None,
    minimum: Decimal | int | None = None,
    maximum: Decimal | None = None,
) -> Decimal:
    """Return ``value`` as an exact, finite Decimal, or refuse it clearly.

    Text is read as a number written with a dot for decimals; floats are
    refused (they are not exact), so are booleans and anything else.

    :param field: the form field to name in the refusal.
    :param what: the value in words ("gross amount"), for the messages.
    :param places: at most this many decimals; the result is quantized to them.
    :param minimum: the smallest value accepted (0: "cannot be negative").
    :param maximum: the largest size accepted, either side of zero.
    :raises DomainError: naming ``field`` with what is wrong.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(f"Give the {what}.", field=field)
    if isinstance(value, bool | float):
        raise DomainError(
            f"The {what} is of the wrong type: give an exact number (a decimal), not a float.",
            field=field,
        )
    if not isinstance(value, Decimal | int | str):
        raise DomainError(f"The {what} is of the wrong type: give a number.", field=field)
    text = value.strip() if isinstance(value, str) else value
    try:
        number = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise DomainError(
            f"“{text}” is not a number (wrong type): write the {what} with digits and a dot "
            "for decimals, e.g. 2.75.",
            field=field,
        )
    _check_minimum(number, minimum, field=field, what=what)
    if places is not None:
        exact = _quantized(number, Decimal(1).scaleb(-places), field=field, what=what)
        if number != exact:
            raise DomainError(
                f"The {what} has at most {places} decimal{'s' if places != 1 else ''}.",
                field=field,
            )
        number = exact
    if maximum is not None and abs(number) > maximum:
        raise DomainError(f"The {what} is too large.", field=field)
    return number


def _quantized(number: Decimal, step: Decimal, *, field: str, what: str) -> Decimal:
    """Return ``number`` rounded to ``step``; one too long to round is too large."""
    try:
        return number.quantize(step)
    except InvalidOperation:
        raise DomainError(f"The {what} is too large.", field=field) from None


def _check_minimum(number: Decimal, minimum, *, field: str, what: str) -> None:
    if minimum is not None and number < minimum:
        raise DomainError(
            f"The {what} cannot be negative."
            if minimum == 0
            else f"The {what} is {minimum} or more.",
            field=field,
        )


def parse_money(value, *, field: str, what: str, minimum: Decimal | int | None = None) -> Decimal:
    """Return ``value`` as an amount of money: exact, at most two decimals, not too large.

    :param minimum: the smallest amount accepted (0: "cannot be negative").
    :raises DomainError: naming ``field`` with what is wrong.
    """
    amount = parse_decimal(value, field=field, what=what)
    exact = _quantized(amount, CENT, field=field, what=what)
    if amount != exact:
        raise DomainError(f"The {what} has at most two decimals.", field=field)
    if abs(amount) > MAX_AMOUNT:
        raise DomainError(f"The {what} is too large.", field=field)
    _check_minimum(amount, minimum, field=field, what=what)
    return exact


def parse_count(value, *, field: str, what: str, maximum: int = MAX_COUNT) -> int:
    """Return ``value`` as a whole number, 0 or more (a count of events …).

    Text of digits and whole Decimals are accepted; fractions, floats and
    booleans are not.

    :raises DomainError: naming ``field`` with what is wrong.
    """
    if isinstance(value, bool) or value is None:
        raise DomainError(f"Give the {what}.", field=field)
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise DomainError(f"The {what} is a whole number, 0 or more.", field=field)
        value = int(value)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise DomainError(f"The {what} is a whole number, 0 or more.", field=field)
        value = int(value)
    if not isinstance(value, int):
        raise DomainError(f"The {what} is a whole number, 0 or more.", field=field)
    if value < 0:
        raise DomainError(
            f"The {what} cannot be negative: give a whole number, 0 or more.", field=field
        )
    if value > maximum:
        raise DomainError(f"The {what} is too large.", field=field)
    return value


def check_plausible(day: date | None, *, field: str) -> None:
    """Refuse a date outside ``EARLIEST`` … ``LATEST`` (a typing mistake); None passes.

    :raises DomainError: naming ``field``.
    """
    if day is not None and not EARLIEST <= day <= LATEST:
        raise DomainError(
            f"This date is not plausible: give a date between {EARLIEST.year} and {LATEST.year}.",
            field=field,
        )


def currency_code(value: str | None, default: str = "", *, field: str = "currency") -> str:
    """Return an ISO 4217 code (``default`` when blank).

    :raises DomainError: when it is not in the currency code list.
    """
    code = (value or "").strip().upper() or default
    if code not in codelists.codelist("currency"):
        raise DomainError(
            "Choose a currency from the list (an ISO 4217 code such as EUR).", field=field
        )
    return code


def percent_change(new: Decimal, old: Decimal) -> Decimal | None:
    """Return the change from ``old`` to ``new`` in percent (one decimal), None from zero."""
    if not old:
        return None
    return ((new - old) * 100 / old).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
