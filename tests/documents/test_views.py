"""Document pages: upload, list, edit, delete and download, with their permissions."""

import hashlib

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.documents import storage
from pptracker.documents.models import Document
from pptracker.extensions import db
from tests.documents.conftest import stored_files, upload
from tests.documents.samples import HTML, TEXT, docx_bytes, pdf_bytes, png_bytes, random_zip_bytes


def _documents(app, **where):
    with app.app_context():
        stmt = sa.select(Document).order_by(Document.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Document, key) == value)
        return db.session.scalars(stmt).all()


def _events(app, **where):
    with app.app_context():
        stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return db.session.scalars(stmt).all()


@pytest.fixture
def own(auth, make_project):
    """A published project managed by the signed-in manager."""
    manager = auth.login_as(Role.MANAGER)
    make_project("toll-road", managers=[manager], published=True)
    return manager


@pytest.mark.parametrize(
    ("content", "filename", "media_type"),
    [
        (pdf_bytes(), "contract.pdf", "application/pdf"),
        (png_bytes(), "site-photo.png", "image/png"),
        (docx_bytes(), "summary.docx", storage.DOCX),
    ],
    ids=["pdf", "png", "docx"],
)
def test_manager_uploads_a_document(client, own, app, store, content, filename, media_type):
    response = upload(client, "toll-road", content, filename, title="Signed concession")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/manage/projects/toll-road/documents/"
    [document] = _documents(app)
    digest = hashlib.sha256(content).hexdigest()
    assert (document.title, document.filename, document.media_type) == (
        "Signed concession",
        filename,
        media_type,
    )
    assert (document.size, document.sha256) == (len(content), digest)
    assert document.uploaded_by_id == own.id and document.public is True
    assert stored_files(store) == [store / digest[:2] / digest]
    assert (store / digest[:2] / digest).read_bytes() == content
    [event] = _events(app, entity_type="Document", action="create")
    assert event.entity_id == document.id and event.actor_id == own.id
    page = client.get("/manage/projects/toll-road/documents/").get_data(as_text=True)
    assert "Signed concession" in page and filename in page and "Signed contract" in page
    assert f"/documents/{document.id}/download" in page


def test_same_bytes_uploaded_twice_are_stored_once(client, own, app, store):
    content = pdf_bytes()
    assert upload(client, "toll-road", content, "a.pdf", title="First").status_code == 302
    assert upload(client, "toll-road", content, "b.pdf", title="Second").status_code == 302
    documents = _documents(app)
    assert [d.title for d in documents] == ["First", "Second"]
    assert documents[0].sha256 == documents[1].sha256
    assert len(stored_files(store)) == 1


def test_text_named_pdf_is_refused_with_the_exact_message(client, own, app, store):
    response = upload(client, "toll-road", TEXT, "contract.pdf", "application/pdf")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in body and 'id="file-error"' in body
    assert "This file is named like a PDF but is not a PDF." in body
    assert 'value="Concession agreement"' in body  # what was typed is kept
    assert _documents(app) == []
    assert stored_files(store) == []  # no file, no temporary file


@pytest.mark.parametrize(
    ("content", "filename"),
    [(HTML, "page.html"), (random_zip_bytes(), "archive.zip"), (HTML, "looks-fine.png")],
)
def test_other_kinds_are_refused(client, own, app, store, content, filename):
    response = upload(client, "toll-road", content, filename)
    assert response.status_code == 400
    assert "This kind of file is not accepted" in response.get_data(as_text=True)
    assert _documents(app) == [] and stored_files(store) == []


def test_body_over_the_limit_gets_a_clear_413(client, own, app, store):
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    content = b"%PDF-1.4\n" + b"0" * (1536 * 1024) + b"\n%%EOF\n"
    response = upload(client, "toll-road", content, "big.pdf")
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The file is larger than the 1 MB limit." in body
    assert _documents(app) == [] and stored_files(store) == []


def test_file_over_the_limit_is_refused_by_the_store_too(client, own, app, store):
    # The request limit is looser here, so the store's own check decides.
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    content = b"%PDF-1.4\n" + b"0" * (1536 * 1024) + b"\n%%EOF\n"
    response = upload(client, "toll-road", content, "big.pdf")
    assert response.status_code == 400
    assert "The file is larger than the 1 MB limit." in response.get_data(as_text=True)
    assert _documents(app) == [] and stored_files(store) == []


def test_path_in_the_file_name_is_dropped(client, own, app, store, tmp_path):
    content = pdf_bytes()
    response = upload(client, "toll-road", content, "../../evil.pdf")
    assert response.status_code == 302
    [document] = _documents(app)
    assert document.filename == "evil.pdf"
    assert list(tmp_path.iterdir()) == [store]  # nothing written beside the store
    assert [p.name for p in stored_files(store)] == [hashlib.sha256(content).hexdigest()]
    page = client.get("/manage/projects/toll-road/documents/").get_data(as_text=True)
    assert "evil.pdf" in page and "../" not in page
    download = client.get(f"/documents/{document.id}/download")
    assert "filename=evil.pdf" in download.headers["Content-Disposition"]
    download.close()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"document_type": "recipe"}, "document_type", "Not a valid choice"),
        ({"document_type": ""}, "document_type", "Choose a document type."),
        ({"confidential": "y"}, "confidential_reason", "Say why the document is confidential."),
    ],
)
def test_bad_description_is_shown_beside_the_field(client, own, app, store, fields, field, message):
    response = upload(client, "toll-road", pdf_bytes(), **fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in body and message in body
    assert _documents(app) == [] and stored_files(store) == []


def test_missing_file_is_asked_for(client, own, app):
    response = client.post(
        "/manage/projects/toll-road/documents/",
        data={"title": "T", "document_type": "contractSigned"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_upload_form_is_accessible_and_works_without_javascript(client, own):
    page = client.get("/manage/projects/toll-road/documents/").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "novalidate" in page
    assert '<label class="form-label" for="file">File</label>' in page
    assert 'aria-describedby="file-hint"' in page and "at most 25 MB" in page
    assert "<script" not in page and "style=" not in page
    # The PPP types come first, right after the blank choice.
    assert page.index('value="contractSigned"') < page.index('value="awardNotice"')


def test_confidential_document_is_withheld_from_the_public_list(
    client, auth, make_project, make_user, make_document
):
    manager = make_user(Role.MANAGER)
    make_project("toll-road", managers=[manager], published=True)
    make_document(
        "toll-road",
        title="Tariff model",
        confidential=True,
        reason="Commercially sensitive pricing, clause 12",
    )
    make_document("toll-road", title="Internal memo", public=False)
    make_document("toll-road", title="Signed concession")

    auth.login_as(Role.MANAGER)  # a manager of another project
    page = client.get("/manage/projects/toll-road/documents/").get_data(as_text=True)
    assert "Signed concession" in page
    assert "Commercially sensitive pricing, clause 12" in page
    assert "Tariff model" not in page and "Internal memo" not in page
    assert "Upload a document" not in page

    auth.logout()
    auth.login(manager.email)
    page = client.get("/manage/projects/toll-road/documents/").get_data(as_text=True)
    for text in ("Signed concession", "Tariff model", "Internal memo", "Upload a document"):
        assert text in page


def test_auditor_sees_everything_but_cannot_upload(
    client, auth, make_project, make_document, app, store
):
    make_project("toll-road")
    make_document("toll-road", title="Internal memo", public=False)
    auth.login_as(Role.AUDITOR)
    page = client.get("/manage/projects/toll-road/documents/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Internal memo" in body and "Upload a document" not in body
    assert "/edit" not in body
    files = stored_files(store)
    assert upload(client, "toll-road", pdf_bytes("other")).status_code == 403
    assert len(_documents(app)) == 1 and stored_files(store) == files


def test_other_manager_cannot_upload(client, auth, make_project, app):
    make_project("toll-road", published=True)
    auth.login_as(Role.MANAGER)
    assert upload(client, "toll-road", pdf_bytes()).status_code == 403
    assert _documents(app) == []


def test_list_needs_sign_in_and_hides_unpublished_projects(client, auth, make_project):
    make_project("toll-road", published=True)
    make_project("secret-road")
    response = client.get("/manage/projects/toll-road/documents/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login_as(Role.MANAGER)
    assert client.get("/manage/projects/secret-road/documents/").status_code == 404
    assert client.get("/manage/projects/nowhere/documents/").status_code == 404


@pytest.fixture
def library(make_project, make_user, make_document):
    """Documents of every disclosure, on a published and an unpublished project."""
    manager = make_user(Role.MANAGER)
    make_project("toll-road", managers=[manager], published=True)
    make_project("draft-road", managers=[manager])
    content = pdf_bytes("public")
    return {
        "manager": manager,
        "content": content,
        "public": make_document("toll-road", content, filename="public.pdf"),
        "internal": make_document("toll-road", public=False, title="internal"),
        "confidential": make_document(
            "toll-road", title="confidential", confidential=True, reason="Pricing"
        ),
        "unpublished": make_document("draft-road", title="draft"),
        "deleted": make_document("toll-road", title="deleted", deleted=True),
    }


CAN_DOWNLOAD = {
    "anonymous": {"public"},
    "other manager": {"public"},
    "manager": {"public", "internal", "confidential", "unpublished"},
    "auditor": {"public", "internal", "confidential", "unpublished"},
    "admin": {"public", "internal", "confidential", "unpublished"},
}


@pytest.mark.parametrize("who", list(CAN_DOWNLOAD))
def test_download_permissions(client, auth, library, who):
    if who == "manager":
        auth.login(library["manager"].email)
    elif who == "other manager":
        auth.login_as(Role.MANAGER)
    elif who != "anonymous":
        auth.login_as(Role(who))
    for kind in ("public", "internal", "confidential", "unpublished", "deleted"):
        response = client.get(f"/documents/{library[kind]}/download")
        expected = 200 if kind in CAN_DOWNLOAD[who] else 404
        assert response.status_code == expected, (who, kind)
        response.close()


def test_anonymous_download_sends_the_bytes_as_an_attachment(client, library, app):
    response = client.get(f"/documents/{library['public']}/download")
    assert response.status_code == 200
    assert response.data == library["content"]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=public.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"]
    [event] = _events(app, action="document.download")
    assert event.entity_type == "Document" and event.entity_id == library["public"]
    assert event.actor == "anonymous" and "public.pdf" in event.summary


def test_each_download_is_audited(client, auth, library, app):
    auth.login_as(Role.AUDITOR)
    for _ in range(2):
        client.get(f"/documents/{library['confidential']}/download").close()
    events = _events(app, action="document.download")
    assert len(events) == 2
    assert {e.entity_id for e in events} == {library["confidential"]}
    assert all(e.actor.startswith("auditor") for e in events)


def test_refused_download_is_not_audited(client, library, app):
    client.get(f"/documents/{library['internal']}/download")
    assert _events(app, action="document.download") == []


def test_missing_file_is_a_404_not_a_crash(client, library, app, store):
    for path in stored_files(store):
        path.unlink()
    assert client.get(f"/documents/{library['public']}/download").status_code == 404


def test_manager_edits_a_document(client, own, make_document, app):
    doc_id = make_document("toll-road", title="Draft title")
    page = client.get(f"/manage/documents/{doc_id}/edit")
    assert page.status_code == 200 and 'value="Draft title"' in page.get_data(as_text=True)
    response = client.post(
        f"/manage/documents/{doc_id}/edit",
        data={
            "title": "Signed concession",
            "document_type": "contractSummary",
            "confidential": "y",
            "confidential_reason": "Pricing annex",
            "version": "1",
        },
    )
    assert response.status_code == 302
    [document] = _documents(app)
    assert (document.title, document.document_type, document.public) == (
        "Signed concession",
        "contractSummary",
        False,
    )
    assert document.confidential and document.confidential_reason == "Pricing annex"
    assert document.version == 2
    [event] = _events(app, entity_type="Document", action="update")
    assert event.entity_id == doc_id


def test_stale_edit_is_refused_with_409(client, own, make_document, app):
    doc_id = make_document("toll-road", title="Draft title")
    form = {"title": "First", "document_type": "contractSigned", "public": "y", "version": "1"}
    assert client.post(f"/manage/documents/{doc_id}/edit", data=form).status_code == 302
    response = client.post(f"/manage/documents/{doc_id}/edit", data={**form, "title": "Second"})
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record after you opened it" in body
    assert 'value="Second"' in body  # the user's edit is kept in the form
    [document] = _documents(app)
    assert document.title == "First" and document.version == 2


def test_manager_soft_deletes_a_document(client, own, make_document, app, store):
    doc_id = make_document("toll-road", title="Obsolete")
    files = stored_files(store)
    response = client.post(f"/manage/documents/{doc_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/projects/toll-road/documents/"
    [document] = _documents(app)
    assert document.is_deleted and document.deleted_at is not None
    assert stored_files(store) == files  # the bytes stay for the history
    page = client.get("/manage/projects/toll-road/documents/").get_data(as_text=True)
    assert "Document “Obsolete” deleted. Its history is kept." in page  # the flash
    page = client.get("/manage/projects/toll-road/documents/").get_data(as_text=True)
    assert "Obsolete" not in page
    assert client.get(f"/documents/{doc_id}/download").status_code == 404
    assert client.get(f"/manage/documents/{doc_id}/edit").status_code == 404
    [event] = _events(app, entity_type="Document", action="delete")
    assert event.entity_id == doc_id


def test_delete_returns_to_a_local_next_only(client, own, make_document):
    first, second = make_document("toll-road"), make_document("toll-road")
    response = client.post(
        f"/manage/documents/{first}/delete", data={"next": "/manage/projects/toll-road"}
    )
    assert response.headers["Location"] == "/manage/projects/toll-road"
    response = client.post(
        f"/manage/documents/{second}/delete", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/manage/projects/toll-road/documents/"


@pytest.mark.parametrize(
    ("who", "public", "expected"),
    [("other manager", True, 403), ("other manager", False, 404), ("auditor", False, 403)],
)
def test_only_the_projects_managers_edit_and_delete(
    client, auth, make_project, make_document, app, who, public, expected
):
    make_project("toll-road", published=True)
    doc_id = make_document("toll-road", title="Kept", public=public)
    auth.login_as(Role.AUDITOR if who == "auditor" else Role.MANAGER)
    form = {"title": "Changed", "document_type": "contractSigned", "version": "1"}
    assert client.post(f"/manage/documents/{doc_id}/edit", data=form).status_code == expected
    assert client.post(f"/manage/documents/{doc_id}/delete").status_code == expected
    [document] = _documents(app)
    assert document.title == "Kept" and not document.is_deleted


def test_upload_attached_to_a_contract(client, own, make_contract, app):
    contract_id = make_contract("toll-road", reference="MT-2015/07")
    page = client.get(
        f"/manage/projects/toll-road/documents/?contract={contract_id}&next=/manage/projects/toll-road"
    ).get_data(as_text=True)
    assert "attached to contract MT-2015/07" in page
    assert f'name="contract_id" type="hidden" value="{contract_id}"' in page
    response = upload(
        client,
        "toll-road",
        pdf_bytes(),
        contract_id=str(contract_id),
        next="/manage/projects/toll-road",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/projects/toll-road"
    [document] = _documents(app)
    assert document.contract_id == contract_id


def test_contract_of_another_project_cannot_be_named(
    client, own, make_project, make_contract, app, store
):
    make_project("other-road")
    foreign = make_contract("other-road")
    url = f"/manage/projects/toll-road/documents/?contract={foreign}"
    assert client.get(url).status_code == 404
    response = upload(client, "toll-road", pdf_bytes(), contract_id=str(foreign))
    assert response.status_code == 400
    assert "not one of this project" in response.get_data(as_text=True)
    assert _documents(app) == [] and stored_files(store) == []


def test_a_public_document_of_a_confidential_contract_is_withheld_with_it(
    client, auth, library, make_contract, make_document, app
):
    contract_id = make_contract("toll-road", reference="SECRET-1")
    document = make_document("toll-road", title="Annex to a secret deal", contract_id=contract_id)
    assert client.get(f"/documents/{document}/download").status_code == 200
    with app.app_context():
        from pptracker.contracts.models import Contract

        db.session.get(Contract, contract_id).confidential = True
        db.session.commit()

    assert client.get(f"/documents/{document}/download").status_code == 404
    auth.login(library["manager"].email)
    assert client.get(f"/documents/{document}/download").status_code == 200
