"""Reads about documents."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from pptracker.documents.models import Document
from pptracker.extensions import db


def documents_of(
    project_id: int,
    *,
    contract_id: int | None = None,
    amendment_id: int | None = None,
    include_internal: bool,
) -> sa.Select:
    """Return a project's live documents, newest first.

    :param contract_id: only the documents attached to this contract (its
        amendments' documents included).
    :param amendment_id: only the documents attached to this amendment.
    :param include_internal: True for every document (managers, auditors,
        admins). False keeps only ``public`` ones, **confidential ones
        included**: they are meant for the public but withheld, and the caller
        must show a redaction notice with ``confidential_reason`` in their
        place, never their title, file or download link. Internal
        (non-public) documents are left out entirely.
    :return: a ``Select`` of ``Document``; the uploader comes in the same load.
    """
    stmt = (
        sa.select(Document)
        .where(Document.project_id == project_id, Document.is_deleted.is_(False))
        .options(selectinload(Document.uploaded_by))
        .order_by(Document.created_at.desc(), Document.id.desc())
    )
    if contract_id is not None:
        stmt = stmt.where(Document.contract_id == contract_id)
    if amendment_id is not None:
        stmt = stmt.where(Document.amendment_id == amendment_id)
    if not include_internal:
        stmt = stmt.where(Document.public.is_(True))
    return stmt


def get_document(document_id: int) -> Document | None:
    """Return the live document with this id, or None."""
    document = db.session.get(Document, document_id)
    return document if document is not None and not document.is_deleted else None


def attachment_targets(contract_id: int | None, amendment_id: int | None):
    """Return the contract and amendment with these ids (None where absent or unknown).

    Ownership is checked by ``services.upload_document``, not here.
    """
    from pptracker.contracts.models import Amendment, Contract

    contract = db.session.get(Contract, contract_id) if contract_id else None
    amendment = db.session.get(Amendment, amendment_id) if amendment_id else None
    return contract, amendment
