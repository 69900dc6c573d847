"""Document fixtures: a private file store per test, documents and contracts."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from pptracker.extensions import db
from tests.documents.samples import pdf_bytes


@pytest.fixture(autouse=True)
def store(request, tmp_path) -> Path:
    """The file store's folder: under tmp_path, never the repository's instance/."""
    root = tmp_path / "documents"
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["DOCUMENTS_DIR"] = str(root)
    return root


def stored_files(root: Path) -> list[Path]:
    """Every file under the store, temporary ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, code, content: bytes, filename="contract.pdf", mimetype=None, **fields):
    """POST an upload form for project ``code``; returns the response."""
    data = {
        "title": "Concession agreement",
        "document_type": "contractSigned",
        "public": "y",
        **fields,
        "file": (io.BytesIO(content), filename, mimetype or "application/octet-stream"),
    }
    return client.post(
        f"/manage/projects/{code}/documents/", data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def make_document(app, make_user):
    """Upload a document to a project (by code) through the service; returns its id."""
    uploader = {}

    def make(
        code,
        content=None,
        *,
        filename="contract.pdf",
        title="Concession agreement",
        public=True,
        confidential=False,
        reason=None,
        deleted=False,
        contract_id=None,
    ) -> int:
        from pptracker.documents import services
        from pptracker.projects.queries import get_project

        if "user" not in uploader:
            uploader["user"] = make_user("admin")
        content = pdf_bytes(title) if content is None else content
        with app.app_context():
            contract = None
            if contract_id is not None:
                from pptracker.contracts.models import Contract

                contract = db.session.get(Contract, contract_id)
            document = services.upload_document(
                get_project(code),
                FileStorage(io.BytesIO(content), filename=filename),
                services.DocumentData(
                    title=title,
                    document_type="contractSigned",
                    public=public,
                    confidential=confidential,
                    confidential_reason=reason,
                ),
                uploader=uploader["user"],
                contract=contract,
            )
            if deleted:
                services.delete_document(document)
            db.session.commit()
            return document.id

    return make


@pytest.fixture
def make_contract(app):
    """Add a contract to a project (by code); returns its id."""

    def make(code, reference="C-1") -> int:
        from pptracker.contracts.models import Contract
        from pptracker.projects.queries import get_project

        with app.app_context():
            project = get_project(code)
            contract = Contract(
                project_id=project.id,
                reference=reference,
                title=f"Contract {reference}",
                status="active",
                payment_mechanism="governmentPays",
                initial_value=Decimal("1000.00"),
                currency="EUR",
                initial_start=date(2026, 1, 1),
                initial_end=date(2046, 1, 1),
            )
            db.session.add(contract)
            db.session.commit()
            return contract.id

    return make
