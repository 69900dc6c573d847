"""Currency conversion: the one place a foreign amount is rounded."""

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """Return ``amount × rate`` in the project currency, rounded once to cents (half-even).

    Stored on the transaction, so totals are sums of stored cents and never drift.
    """
    if isinstance(amount, float) or isinstance(rate, float):
        raise TypeError("money and rates are Decimal, never float")
    return (Decimal(amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_EVEN)
