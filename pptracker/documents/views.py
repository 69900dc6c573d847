"""Documents of a project: list, upload, describe, delete and download."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from pptracker.audit.services import record
from pptracker.documents import queries, services, storage
from pptracker.documents.forms import EditForm, UploadForm
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import (
    EmptyForm,
    attach_error,
    check_button,
    form_status,
    safe_next,
    show_conflict,
)
from pptracker.permissions import Action, can, permission_required, require
from pptracker.projects.queries import get_project
from pptracker.services import check_version

bp = Blueprint("documents", __name__, template_folder="templates")


@bp.app_template_filter("filesize")
def human_size(size: int | None) -> str:
    """Return a byte count for people: ``812 bytes``, ``12.3 KB``, ``4.0 MB``."""
    if size is None:
        return "–"
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"
    return ""  # not reached


bp.add_app_template_filter(storage.media_label, "media_label")


def _load_project(code: str):
    project = get_project(code)
    if project is None:
        abort(404)
    require(Action.VIEW_PROJECT, project, hide=True)
    return project


def _load_document(doc_id: int):
    """Return a document the current user may manage: 404 if they may not see it, else 403."""
    document = queries.get_document(doc_id)
    if document is None or not can(current_user, Action.DOWNLOAD_DOCUMENT, document):
        abort(404)
    require(Action.MANAGE_DOCUMENTS, document.project)
    return document


def _too_large() -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"{storage.too_large_message()} Nothing was uploaded. Go back and choose a "
        "smaller file, or split or compress it first."
    )


def _upload_form(**defaults) -> UploadForm:
    try:
        # Reading the form parses the request body, which is where a body
        # over MAX_CONTENT_LENGTH is refused.
        return UploadForm(**defaults)
    except RequestEntityTooLarge:
        raise _too_large() from None


def _targets(contract_id: int | None, amendment_id: int | None):
    """Return the contract and amendment to attach to.

    :raises DomainError: when an id names nothing.
    """
    contract, amendment = queries.attachment_targets(contract_id, amendment_id)
    if (contract_id and contract is None) or (amendment_id and amendment is None):
        raise DomainError("The contract or amendment to attach to no longer exists.")
    return contract, amendment


@bp.route("/manage/projects/<code>/documents/", methods=["GET", "POST"])
@permission_required(Action.LIST_PROJECTS)
def index(code: str):
    """List a project's documents and, for its managers, upload one."""
    project = _load_project(code)
    may_manage = can(current_user, Action.MANAGE_DOCUMENTS, project)
    include_internal = may_manage or can(current_user, Action.VIEW_CONFIDENTIAL, project)
    if request.method == "POST":
        require(Action.MANAGE_DOCUMENTS, project)
    form = contract = amendment = None
    if may_manage:
        form = _upload_form(
            contract_id=request.args.get("contract", type=int),
            amendment_id=request.args.get("amendment", type=int),
            next=safe_next(request.args.get("next")),
        )
        if request.method == "GET":
            try:
                contract, amendment = services.check_attachment(
                    project, *_targets(form.contract_id.data, form.amendment_id.data)
                )
            except DomainError:
                abort(404)  # a link naming a missing contract, or another project's
    if form is not None and form.validate_on_submit():
        try:
            contract, amendment = _targets(form.contract_id.data, form.amendment_id.data)
            document = services.upload_document(
                project,
                form.file.data,
                form.to_data(),
                uploader=current_user,
                contract=contract,
                amendment=amendment,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Document “{document.title}” uploaded.", "success")
            return redirect(
                safe_next(form.next.data) or url_for("documents.index", code=project.code)
            )
    documents = db.session.scalars(
        queries.documents_of(project.id, include_internal=include_internal)
    ).all()
    status = form_status(form) if form is not None else 200
    return render_template(
        "documents/index.html",
        project=project,
        documents=documents,
        form=form,
        may_manage=may_manage,
        include_internal=include_internal,
        contract=contract,
        amendment=amendment,
    ), status


@bp.route("/manage/documents/<int:doc_id>/edit", methods=["GET", "POST"])
@permission_required(Action.MANAGE_DOCUMENTS)
def edit(doc_id: int):
    """Change a document's title, type and disclosure."""
    document = _load_document(doc_id)
    form = EditForm(obj=document)
    status = None
    if form.validate_on_submit():
        try:
            check_version(document, form.version.data)
            services.update_document(document, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, document, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Document “{document.title}” saved.", "success")
            return redirect(url_for("documents.index", code=document.project.code))
    return (
        render_template(
            "documents/edit.html", form=form, document=document, delete_form=EmptyForm()
        ),
        status or form_status(form),
    )


@bp.post("/manage/documents/<int:doc_id>/delete")
@permission_required(Action.MANAGE_DOCUMENTS)
def delete(doc_id: int):
    """Soft-delete a document; its file and history are kept."""
    document = _load_document(doc_id)
    check_button()
    code, title = document.project.code, document.title
    services.delete_document(document)
    db.session.commit()
    flash(f"Document “{title}” deleted. Its history is kept.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("documents.index", code=code))


@bp.route("/documents/<int:doc_id>/download")
@permission_required(Action.DOWNLOAD_DOCUMENT)
def download(doc_id: int):
    """Send a document's file, recording the download in the audit log."""
    document = queries.get_document(doc_id)
    if document is None:
        abort(404)
    require(Action.DOWNLOAD_DOCUMENT, document, hide=True)
    path = storage.path_for(document.sha256)
    if not path.is_file():
        current_app.logger.error(
            "Document %s: file %s is missing from the store", document.id, document.sha256
        )
        abort(404)
    filename, media_type, public = document.filename, document.media_type, document.public
    record(
        "document.download",
        entity=document,
        summary=f"Downloaded {filename} (document “{document.title}”)"[:500],
    )
    db.session.commit()
    response = send_file(
        path,
        mimetype=media_type,
        as_attachment=True,
        download_name=filename,
        conditional=True,
    )
    # Each download is audited, so no shared cache may answer for us; and
    # should a browser ever render it inline, it runs nothing.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if not public:
        response.cache_control.no_store = True
    return response
