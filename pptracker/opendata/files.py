"""Whole exports on disk, one file per export and data version, written as they stream.

At 10,000 projects the full OC4IDS package is a quarter of a gigabyte and
takes more than a minute to build. The first download after a change streams
it as it is built and keeps a copy; every later download of that version is
the file, sent by the server (sendfile) in seconds. Files live in the report
cache folder (shared by every worker, kept over restarts); a new version
replaces the old one, and a build that stops half-way (the reader left)
leaves nothing behind.
"""

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from pptracker.reports import cache

#: Suffix of every kept export (so a version's siblings are found by name).
SUFFIX = ".export"


def _folder() -> Path:
    path = cache.folder() / "opendata"
    path.mkdir(exist_ok=True)
    return path


def _path(name: str, key: str) -> Path:
    return _folder() / f"{name}.{key}{SUFFIX}"


def open_file(name: str, key: str) -> BinaryIO | None:
    """Return export ``name`` at ``key`` opened for reading (the caller closes it), or None."""
    try:
        return _path(name, key).open("rb")
    except FileNotFoundError:
        return None


def tee(name: str, key: str, chunks: Iterable[str | bytes]) -> Iterator[bytes]:
    """Yield ``chunks`` as bytes and keep them as export ``name`` at ``key`` once all are sent."""
    target = _path(name, key)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".build-")
    done = False
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                data = chunk.encode() if isinstance(chunk, str) else chunk
                fh.write(data)
                yield data
        os.replace(temporary, target)
        done = True
    finally:
        if not done:
            Path(temporary).unlink(missing_ok=True)
    for older in target.parent.glob(f"{name}.*{SUFFIX}"):
        # Only this export's own versions: "<name>.<64 hex><SUFFIX>".
        if older != target and len(older.name) == len(target.name):
            older.unlink(missing_ok=True)
