"""JSON text for the open data: exact decimals, written a piece at a time.

``json.dumps`` would turn a ``Decimal`` into a float (or refuse it); money
must reach the reader exactly as stored, so amounts are written as JSON
numbers with their own digits.
"""

import json
import math
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

#: Flush a streamed document once this much text has built up.
FLUSH_AT = 64_000

_string = json.JSONEncoder(ensure_ascii=False).encode


def dumps(value) -> str:
    """Return ``value`` (dicts, lists, text, numbers, dates, None) as compact JSON."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a JSON number: {value}")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a JSON number: {value}")
        return repr(value)
    if isinstance(value, datetime | date):
        return _string(value.isoformat())
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return _string(str(value))


def stream_array(items: Iterable, *, head: str = "", tail: str = "") -> Iterator[str]:
    """Yield ``head``, a JSON array of ``items`` (one per line), then ``tail``, in pieces.

    :param head: text before the array (e.g. the start of an enclosing object).
    :param tail: text after it.
    """
    parts = [head, "["]
    size = 0
    separator = "\n"
    for item in items:
        text = dumps(item)
        parts.append(separator)
        parts.append(text)
        separator = ",\n"
        size += len(text)
        if size > FLUSH_AT:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n]" + tail)
    yield "".join(parts)
