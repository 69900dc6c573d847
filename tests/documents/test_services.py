"""Document services and queries: no file outlives a failed upload; list semantics."""

import io
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import FileStorage

from pptracker.documents import queries, services
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.projects.queries import get_project
from tests.documents.conftest import stored_files
from tests.documents.samples import pdf_bytes


def _data(**overrides):
    return services.DocumentData(
        **{"title": "Concession", "document_type": "contractSigned", "public": True, **overrides}
    )


def _file(content=None, filename="contract.pdf"):
    return FileStorage(io.BytesIO(pdf_bytes() if content is None else content), filename=filename)


@pytest.fixture
def project(make_project):
    return make_project("toll-road", published=True)


def test_file_is_removed_when_the_row_cannot_be_written(app, project, store):
    ghost = SimpleNamespace(id=987654)  # no such user: the flush breaks a foreign key
    with app.app_context():
        with pytest.raises(Exception, match="(?i)foreign key"):
            services.upload_document(get_project("toll-road"), _file(), _data(), uploader=ghost)
        db.session.rollback()
    assert stored_files(store) == []


def test_file_is_removed_when_the_transaction_is_rolled_back(app, project, make_user, store):
    user = make_user()
    with app.app_context():
        services.upload_document(get_project("toll-road"), _file(), _data(), uploader=user)
        assert len(stored_files(store)) == 1
        db.session.rollback()
    assert stored_files(store) == []


def test_file_is_kept_once_committed(app, project, make_user, store):
    user = make_user()
    with app.app_context():
        services.upload_document(get_project("toll-road"), _file(), _data(), uploader=user)
        db.session.commit()
        db.session.rollback()  # a later rollback must not touch committed uploads
    assert len(stored_files(store)) == 1


def test_rollback_keeps_a_file_other_documents_share(app, project, make_user, store):
    user = make_user()
    with app.app_context():
        services.upload_document(get_project("toll-road"), _file(), _data(), uploader=user)
        db.session.commit()
        services.upload_document(get_project("toll-road"), _file(), _data(), uploader=user)
        db.session.rollback()
    assert len(stored_files(store)) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"document_type": "recipe"}, "document_type"),
        ({"confidential": True, "confidential_reason": "  "}, "confidential_reason"),
    ],
)
def test_description_is_checked_before_the_file_is_stored(
    app, project, make_user, store, overrides, field
):
    user = make_user()
    with app.app_context(), pytest.raises(DomainError) as caught:
        services.upload_document(
            get_project("toll-road"), _file(), _data(**overrides), uploader=user
        )
    assert caught.value.field == field
    assert stored_files(store) == []


def test_reason_is_dropped_when_not_confidential(app, project, make_user):
    user = make_user()
    with app.app_context():
        document = services.upload_document(
            get_project("toll-road"),
            _file(),
            _data(title="  Spaced  ", confidential_reason="stale reason"),
            uploader=user,
        )
        assert document.title == "Spaced" and document.confidential_reason is None


def test_documents_of_lists_live_documents_newest_first(app, project, make_contract, make_document):
    contract_id = make_contract("toll-road")
    older = make_document("toll-road", title="older")
    internal = make_document("toll-road", title="internal", public=False)
    withheld = make_document("toll-road", title="withheld", confidential=True, reason="Why")
    attached = make_document("toll-road", title="attached", contract_id=contract_id)
    make_document("toll-road", title="gone", deleted=True)
    with app.app_context():
        pid = get_project("toll-road").id

        def ids(**kwargs):
            return [d.id for d in db.session.scalars(queries.documents_of(pid, **kwargs))]

        assert ids(include_internal=True) == [attached, withheld, internal, older]
        # Confidential ones stay, for the redaction notice; internal ones go.
        assert ids(include_internal=False) == [attached, withheld, older]
        assert ids(contract_id=contract_id, include_internal=False) == [attached]
        assert queries.get_document(attached).title == "attached"
        assert queries.get_document(attached + 1) is None  # the deleted one
        assert queries.get_document(10_000) is None
