"""Built reports on disk, one file per report and data version.

Files live under the instance folder (or ``REPORT_CACHE_DIR``), so every
worker process shares them and they outlive a restart. Writing a new
version of a report removes the older ones.
"""

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import current_app

#: Folders this process has made sure exist (a syscall saved per download).
_MADE: set[Path] = set()


def folder() -> Path:
    """Return the cache folder, creating it when missing."""
    configured = current_app.config.get("REPORT_CACHE_DIR")
    path = Path(current_app.instance_path) / (configured or "report-cache")
    if path not in _MADE:
        path.mkdir(parents=True, exist_ok=True)
        _MADE.add(path)
    return path


def _path(name: str, key: str) -> Path:
    return folder() / f"{name}.{key}.pdf"


def open_file(name: str, key: str) -> BinaryIO | None:
    """Return report ``name`` at ``key`` opened for reading (the caller closes it), or None.

    Opened, not just found: a newer version may remove the file at any moment,
    and an open file stays readable.
    """
    try:
        return _path(name, key).open("rb")
    except FileNotFoundError:
        return None


def put(name: str, key: str, content: bytes) -> None:
    """Keep ``content`` as report ``name`` at ``key``, and drop its older versions.

    The file appears whole or not at all (written aside, then renamed), so a
    concurrent reader never gets half a PDF.
    """
    target = _path(name, key)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".build-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for older in target.parent.glob(f"{name}.*.pdf"):
        # Only this report's own versions: "<name>.<64 hex>.pdf".
        if older != target and len(older.name) == len(target.name):
            older.unlink(missing_ok=True)
