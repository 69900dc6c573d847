"""Money and date formatting shared by templates and PDF builders."""

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def quantize_money(amount: Decimal) -> Decimal:
    """Round ``amount`` to cents, banker's rounding: the one rounding rule."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def plain_number(number: Decimal) -> str:
    """Return ``number`` without trailing zeros or exponent (98.5000 → 98.5, 1E+2 → 100)."""
    text = format(Decimal(number), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_money(amount: Decimal | None, currency: str | None = None) -> str:
    """Return ``1,234,567.89 EUR`` (or an en dash when there is no amount)."""
    if amount is None:
        return "–"
    text = f"{quantize_money(Decimal(amount)):,.2f}"
    return f"{text} {currency}" if currency else text


def format_date(value: date | datetime | None) -> str:
    """Return an ISO date (``2026-11-28``), unambiguous in every language."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def format_datetime(value: datetime | None) -> str:
    """Return ``2026-11-28 14:05 UTC``."""
    if value is None:
        return "–"
    return value.strftime("%Y-%m-%d %H:%M UTC")
