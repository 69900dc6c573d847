"""Document rules: upload, describe, delete."""

import logging
from dataclasses import dataclass

from pptracker import codelists
from pptracker.database import utcnow
from pptracker.documents import storage
from pptracker.documents.models import Document
from pptracker.errors import DomainError
from pptracker.extensions import db

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentData:
    """A document's description, as the forms give it."""

    title: str
    document_type: str
    public: bool = False
    confidential: bool = False
    confidential_reason: str | None = None


def _clean(data: DocumentData) -> DocumentData:
    """Return ``data`` trimmed and checked.

    :raises DomainError: naming the first invalid field.
    """
    title = (data.title or "").strip()
    if not title:
        raise DomainError("A document needs a title.", field="title")
    if len(title) > 200:
        raise DomainError("The title can be at most 200 characters.", field="title")
    if data.document_type not in codelists.codelist("documentType"):
        raise DomainError(
            f"Document type: '{data.document_type}' is not in the OC4IDS documentType list.",
            field="document_type",
        )
    reason = (data.confidential_reason or "").strip() or None
    if data.confidential and not reason:
        raise DomainError(
            "Say why the document is confidential; the public sees this reason in its place.",
            field="confidential_reason",
        )
    if reason and len(reason) > 500:
        raise DomainError("The reason can be at most 500 characters.", field="confidential_reason")
    return DocumentData(
        title=title,
        document_type=data.document_type,
        public=bool(data.public),
        confidential=bool(data.confidential),
        # A reason without the flag would mislead whoever reads it later.
        confidential_reason=reason if data.confidential else None,
    )


def check_attachment(project, contract, amendment):
    """Return the (contract, amendment) pair after checking it belongs to ``project``.

    An amendment implies its contract.

    :raises DomainError: when either belongs elsewhere or is deleted.
    """
    if amendment is not None:
        if amendment.project_id != project.id or (
            contract is not None and amendment.contract_id != contract.id
        ):
            raise DomainError("That amendment is not one of this project's contracts.")
        contract = contract if contract is not None else amendment.contract
    if contract is not None and (contract.project_id != project.id or contract.is_deleted):
        raise DomainError("That contract is not one of this project's contracts.")
    return contract, amendment


def upload_document(
    project, file_storage, data: DocumentData, *, uploader, contract=None, amendment=None
) -> Document:
    """Store an uploaded file and describe it as a document of ``project``.

    Everything is checked before the file is stored; if the row then cannot
    be written (now, or when the caller's transaction ends without a
    commit), a file this upload created is removed again.

    :param project: the live project the document belongs to.
    :param file_storage: the upload (a Werkzeug ``FileStorage``).
    :param data: the description from ``UploadForm.to_data()``.
    :param uploader: the user uploading, recorded on the document.
    :param contract: a contract of ``project`` to attach the document to.
    :param amendment: an amendment of that contract (its contract is implied).
    :return: the new document, flushed.
    :raises DomainError: for an invalid description or attachment, or a file
        that is missing, too large or not an accepted kind.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data = _clean(data)
    contract, amendment = check_attachment(project, contract, amendment)
    if file_storage is None or not file_storage.filename:
        raise DomainError("Choose a file to upload.", field="file")
    stored = storage.save(
        file_storage.stream, filename=file_storage.filename, mimetype=file_storage.mimetype
    )
    try:
        document = Document(
            project_id=project.id,
            contract_id=contract.id if contract is not None else None,
            amendment_id=amendment.id if amendment is not None else None,
            title=data.title,
            document_type=data.document_type,
            filename=storage.download_name(file_storage.filename, stored.media_type),
            media_type=stored.media_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=uploader.id,
            public=data.public,
            confidential=data.confidential,
            confidential_reason=data.confidential_reason,
        )
        db.session.add(document)
        db.session.flush()
    except BaseException:
        storage.discard(stored)
        raise
    storage.discard_unless_committed(db.session, stored)
    logger.info("Document %s uploaded to %s by %s", document.id, project.code, uploader.id)
    return document


def update_document(document: Document, data: DocumentData) -> Document:
    """Change a document's title, type and disclosure (its file never changes).

    :raises DomainError: naming the first invalid field.
    """
    data = _clean(data)
    for key, value in vars(data).items():
        setattr(document, key, value)
    db.session.flush()
    return document


def delete_document(document: Document) -> None:
    """Soft-delete a document: gone from every list and download, bytes kept.

    The file stays in the store because the audit history refers to it (and
    other documents may share its bytes).
    """
    document.is_deleted, document.deleted_at = True, utcnow()
    db.session.flush()
