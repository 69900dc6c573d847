"""The file store: uploads recognised by content and kept once per SHA-256.

Files live at ``<DOCUMENTS_DIR>/<first two hex digits>/<sha256>`` (by default
``<instance>/documents``). A name given by a user never becomes part of a
path: it is cleaned (``clean_filename``) and only ever shown, or sent back as
the download name. An upload is streamed to a temporary file in the store's
own directory, hashed and measured as it arrives, recognised from its bytes
(``sniff``), and only then moved into place, so a refused or failed upload
leaves nothing behind.
"""

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from pptracker.errors import DomainError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
#: How much of the start of a file ``sniff`` is given.
HEAD_SIZE = 8 * 1024
#: A PDF's ``%%EOF`` marker must sit this close to the end (PDF 1.7, 7.5.5
#: allows trailing junk; a kilobyte is what readers tolerate in practice).
PDF_TAIL_SIZE = 1024
#: A ZIP with more members than this is not an office document we accept.
ZIP_MAX_MEMBERS = 10_000

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"

#: Every accepted media type: a short label, then the file name endings that
#: fit it (the first is added to a download name that ends otherwise).
MEDIA_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    PDF: ("PDF", (".pdf",)),
    "image/png": ("PNG image", (".png",)),
    "image/jpeg": ("JPEG image", (".jpg", ".jpeg", ".jpe")),
    "image/gif": ("GIF image", (".gif",)),
    "image/tiff": ("TIFF image", (".tif", ".tiff")),
    "image/webp": ("WebP image", (".webp",)),
    DOCX: ("Word document", (".docx",)),
    XLSX: ("Excel workbook", (".xlsx",)),
    PPTX: ("PowerPoint presentation", (".pptx",)),
    ODT: ("OpenDocument text", (".odt",)),
    ODS: ("OpenDocument spreadsheet", (".ods",)),
    ODP: ("OpenDocument presentation", (".odp",)),
    DOC: ("Word 97–2003 document", (".doc", ".dot")),
    XLS: ("Excel 97–2003 workbook", (".xls", ".xlt")),
    PPT: ("PowerPoint 97–2003 presentation", (".ppt", ".pps", ".pot")),
}

ACCEPTED_TEXT = (
    "PDF, images (PNG, JPEG, GIF, TIFF, WebP) and office documents "
    "(Word, Excel, PowerPoint, OpenDocument)"
)
NOT_A_PDF = "This file is named like a PDF but is not a PDF."
MACROS = (
    "Office files with macros are not accepted. Save it without macros (as .docx, .xlsx, "
    ".pptx or OpenDocument) and upload that."
)
REFUSED = f"This kind of file is not accepted. Upload one of: {ACCEPTED_TEXT}."

_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_OLE2_BY_EXTENSION = {ext: media for media in (DOC, XLS, PPT) for ext in MEDIA_TYPES[media][1]}
_ODF_TYPES = {ODT, ODS, ODP}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NEW_FILES = "documents_new_files"


@dataclass(frozen=True)
class StoredFile:
    """A file in the store, as ``save`` left it."""

    sha256: str
    size: int
    media_type: str
    path: Path
    #: True when this save wrote the file; False when the same bytes were
    #: already stored (and must then never be removed on this upload's behalf).
    created: bool = False


def documents_dir() -> Path:
    """Return the store's root folder: ``DOCUMENTS_DIR``, else ``<instance>/documents``.

    A relative ``DOCUMENTS_DIR`` is taken inside the instance folder, never
    the working directory (``send_file`` would otherwise look elsewhere).
    """
    instance = Path(current_app.instance_path)
    return instance / (current_app.config.get("DOCUMENTS_DIR") or "documents")


def limit_bytes() -> int:
    """Return the largest accepted file, in bytes (``MAX_UPLOAD_MB``)."""
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def too_large_message() -> str:
    """Return the message for a file over the size limit."""
    return f"The file is larger than the {int(current_app.config['MAX_UPLOAD_MB'])} MB limit."


def path_for(sha256: str) -> Path:
    """Return where the file with this SHA-256 is stored.

    :param sha256: 64 lower-case hex digits; anything else could walk out of
        the store, so it is refused.
    :raises ValueError: for anything that is not such a hash.
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return documents_dir() / sha256[:2] / sha256


def open_stored(document) -> BinaryIO:
    """Open a document's stored bytes for reading.

    :raises FileNotFoundError: when the file is missing from the store.
    """
    return path_for(document.sha256).open("rb")


def media_label(media_type: str | None) -> str:
    """Return a short human name for an accepted media type (``Word document``)."""
    if not media_type:
        return ""
    return MEDIA_TYPES.get(media_type, (media_type, ()))[0]


def clean_filename(name: str | None) -> str:
    """Return a safe name to show and to offer as the download name.

    Directories (``../../etc/passwd`` → ``passwd``, also with backslashes),
    control and bidirectional-override characters, characters Windows refuses
    and leading dots are dropped; the result is at most 255 characters and
    never empty (``document``). It is never used as a path.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if category[0] == "C":  # control, format (e.g. U+202E), unassigned …
            continue
        if category in ("Zl", "Zp") or char.isspace():
            kept.append(" ")
        elif char in '<>:"|?*':
            kept.append("_")
        else:
            kept.append(char)
    name = " ".join("".join(kept).split())  # collapse runs of spaces
    name = name.lstrip(". ").rstrip(". ")
    if len(name) > 255:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: 255 - len(suffix)].rstrip(". ") + suffix
    return name or "document"


def download_name(name: str | None, media_type: str) -> str:
    """Return the cleaned ``name``, ending in an extension that fits ``media_type``.

    A PNG uploaded as ``notes.html`` is offered as ``notes.html.png``, so a
    saved download never opens as something other than what it is.
    """
    name = clean_filename(name)
    endings = MEDIA_TYPES.get(media_type, ("", ()))[1]
    if endings and not name.lower().endswith(endings):
        name = (name[: 255 - len(endings[0])] + endings[0]) if name else endings[0]
    return name


def _claims_pdf(filename: str | None, mimetype: str | None) -> bool:
    named = (filename or "").strip().lower().endswith(".pdf")
    return named or (mimetype or "").split(";")[0].strip().lower() == PDF


def _zip_type(path: Path) -> str | None:
    """Recognise an Office Open XML or OpenDocument file; None for any other ZIP.

    Only the central directory and (for OpenDocument) the tiny ``mimetype``
    member are read; nothing is extracted.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if not members or len(members) > ZIP_MAX_MEMBERS:
                return None
            first = members[0]
            names = {member.filename for member in members}
            if first.filename == "mimetype" and first.file_size <= 100:
                declared = archive.read(first).decode("ascii", "replace").strip()
                if declared not in _ODF_TYPES:
                    return None
                if any(name.startswith(("Basic/", "Scripts/")) for name in names):
                    raise DomainError(MACROS, field="file")
                return declared
            if "[Content_Types].xml" not in names:
                return None
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise DomainError(MACROS, field="file")
            for prefix, media_type in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
                if any(name.startswith(prefix) for name in names):
                    return media_type
            return None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        RuntimeError,
    ):
        # Damaged, encrypted or otherwise unreadable (an unsupported compression
        # method raises a RuntimeError subclass): not something we accept.
        return None


def _pdf_is_complete(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - PDF_TAIL_SIZE))
        return b"%%EOF" in fh.read()


def sniff(head: bytes, path: Path | str | None = None, *, hint: str | None = None) -> str | None:
    """Recognise a file's media type from its content, never from its name.

    :param head: the first bytes of the file (``HEAD_SIZE`` is enough).
    :param path: the whole file, needed for PDFs (the ``%%EOF`` near the end)
        and ZIP-based office documents (the member list); without it those
        are not recognised.
    :param hint: the name the file was uploaded under. Legacy (OLE2) Office
        files all share one signature, so the extension only chooses the
        label among Word, Excel and PowerPoint; an OLE2 file named otherwise
        (an installer, a mail message …) is refused.
    :return: an accepted media type, or None.
    :raises DomainError: for an office document with macros: recognised, and
        refused with its own message.
    """
    path = Path(path) if path is not None else None
    if head.startswith(b"%PDF-"):
        return PDF if path is not None and _pdf_is_complete(path) else None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path) if path is not None else None
    if head.startswith(_OLE2_MAGIC):
        return _OLE2_BY_EXTENSION.get(PurePosixPath((hint or "").lower()).suffix)
    return None


def save(
    stream: BinaryIO, *, filename: str | None = None, mimetype: str | None = None
) -> StoredFile:
    """Store an upload once per SHA-256, after recognising it by content.

    :param stream: the uploaded bytes (e.g. ``FileStorage.stream``), read in chunks.
    :param filename: the name the user gave, only to word messages and to
        label legacy Office files; it never becomes part of a path.
    :param mimetype: the type the browser claimed, only to word messages.
    :return: where and what the stored file is; ``created`` tells whether
        this call wrote it.
    :raises DomainError: (``field="file"``) when the file is empty, larger
        than ``MAX_UPLOAD_MB``, or not an accepted kind. Nothing is left in
        the store then, nor after any other exception.
    """
    root = documents_dir()
    root.mkdir(parents=True, exist_ok=True)
    limit = limit_bytes()
    digest = hashlib.sha256()
    size = 0
    head = b""
    # A hidden name with a .part suffix: never a valid hash, so never served.
    tmp = tempfile.NamedTemporaryFile(dir=root, prefix=".upload-", suffix=".part", delete=False)
    tmp_path = Path(tmp.name)
    try:
        with tmp:
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise DomainError(too_large_message(), field="file")
                if len(head) < HEAD_SIZE:
                    head += chunk[: HEAD_SIZE - len(head)]
                digest.update(chunk)
                tmp.write(chunk)
        if size == 0:
            raise DomainError("The file is empty.", field="file")
        media_type = sniff(head, tmp_path, hint=filename)
        if media_type is None:
            raise DomainError(_refusal(head, filename, mimetype), field="file")
        sha256 = digest.hexdigest()
        final = path_for(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp_path.unlink()
            created = False
        else:
            os.replace(tmp_path, final)
            created = True
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    logger.info("Stored %s (%s, %d bytes, new=%s)", sha256, media_type, size, created)
    return StoredFile(sha256, size, media_type, final, created)


def _refusal(head: bytes, filename: str | None, mimetype: str | None) -> str:
    if head.startswith(b"%PDF-"):
        return (
            "This PDF is incomplete (it has no end-of-file marker); the upload may have "
            "been cut short. Save or export it again and upload the new file."
        )
    if _claims_pdf(filename, mimetype):
        return NOT_A_PDF
    if head.startswith(_OLE2_MAGIC):
        return (
            "Legacy Office files are accepted only when named .doc, .xls or .ppt. "
            "Better still, save it as .docx, .xlsx or .pptx and upload that."
        )
    return REFUSED


def discard(stored: StoredFile) -> None:
    """Remove a file this upload created, when the upload is abandoned.

    A file that was already stored before (``created`` is False) belongs to
    other documents and is kept.
    """
    if stored.created:
        stored.path.unlink(missing_ok=True)
        logger.info("Removed %s: its upload was not saved", stored.sha256)


def discard_unless_committed(session: Session, stored: StoredFile) -> None:
    """Remove ``stored`` if ``session``'s transaction ends without committing.

    The service flushes; the view commits. Should that commit fail (or the
    request end in a rollback), the file written for it goes too, so no
    orphan file outlives a failed upload.
    """
    if stored.created:
        session.info.setdefault(_NEW_FILES, []).append(stored)


def _keep_new_files(session) -> None:
    if not session.in_nested_transaction():  # a savepoint's release commits nothing yet
        session.info.pop(_NEW_FILES, None)


def _drop_new_files(session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint; the real outcome comes later
        return
    for stored in session.info.pop(_NEW_FILES, ()):
        discard(stored)


# after_commit runs before after_transaction_end, so committed files are
# forgotten first; any other end (rollback, close) removes them.
sa.event.listen(Session, "after_commit", _keep_new_files)
sa.event.listen(Session, "after_transaction_end", _drop_new_files)
