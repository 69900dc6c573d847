"""Writing CSV safely and in constant memory, for every export."""

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response

CSV_MIMETYPE = "text/csv; charset=utf-8"

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Return ``value`` as text a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def stream_csv(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield a CSV document line by line: the header, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_download(body: str | Iterable[str], filename: str) -> Response:
    """Answer with ``body`` (text, or streamed chunks) as a CSV file saved as ``filename``."""
    return Response(
        body,
        mimetype=CSV_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
