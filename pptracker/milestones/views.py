"""Milestone pages: the timeline for everyone who sees the project, the worklist for managers."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from pptracker.codelists import title as codelist_title
from pptracker.contracts.models import Amendment, Contract
from pptracker.contracts.queries import contracts_of
from pptracker.database import today
from pptracker.disclosure import disclose
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, check_button, form_status, show_conflict
from pptracker.milestones import queries, services
from pptracker.milestones.forms import (
    STATUSES,
    MilestoneForm,
    QuickUpdateForm,
    RebaselineForm,
)
from pptracker.milestones.timeline import timeline
from pptracker.permissions import Action, can, permission_required, require
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404
from pptracker.services import check_version

bp = Blueprint("milestones", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/milestones"

#: Fields of the documents service's errors, as named on the quick update form.
_EVIDENCE_FIELDS = {"file": "evidence", "title": "evidence_title", "document_type": "evidence_type"}


def _load_milestone(project, milestone_id: int):
    milestone = queries.get_milestone(project.id, milestone_id)
    if milestone is None:
        abort(404)
    return milestone


def _detail_url(milestone):
    return url_for("milestones.detail", code=milestone.project.code, milestone_id=milestone.id)


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/milestones/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show a project's timeline, physical progress, key milestones and the milestone list."""
    project = visible_project_or_404(code)
    milestones = queries.milestones_of(project.id)
    now = today()
    rows = [(m, queries.slippage_days(m), queries.is_overdue(m, today=now)) for m in milestones]
    return render_template(
        "milestones/index.html",
        project=project,
        rows=rows,
        chart=timeline(milestones, today=now),
        progress=queries.physical_progress(milestones),
        keys=queries.key_milestones(milestones),
        statuses=STATUSES,
        can_edit=can(current_user, Action.EDIT_MILESTONES, project),
        button_form=EmptyForm(),
        # The CSV pages are a separate blueprint; link to them only when mounted.
    )


@bp.route("/projects/<code>/milestones/<int:milestone_id>")
@permission_required(Action.VIEW_PROJECT)
def detail(code: str, milestone_id: int):
    """Show a milestone: dates, baseline history, progress log and evidence."""
    project = visible_project_or_404(code)
    milestone = _load_milestone(project, milestone_id)
    return render_template(
        "milestones/detail.html",
        project=project,
        milestone=milestone,
        slippage=queries.slippage_days(milestone),
        overdue=queries.is_overdue(milestone, today=today()),
        documents=_evidence(project, milestone),
        statuses=STATUSES,
        can_edit=can(current_user, Action.EDIT_MILESTONES, project),
        button_form=EmptyForm(),
    )


def _evidence(project, milestone):
    from pptracker.documents.models import Document
    from pptracker.documents.queries import documents_of

    internal = can(current_user, Action.VIEW_CONFIDENTIAL, project)
    documents = db.session.scalars(
        documents_of(project.id, include_internal=internal).where(
            Document.milestone_id == milestone.id
        )
    ).all()
    return disclose(
        documents,
        user=current_user,
        project=project,
        kind="document",
        # The title of a withheld document can itself be what is withheld.
        label=lambda d: f"A document ({codelist_title('documentType', d.document_type)})",
    )


@bp.route("/manage/my-milestones")
@permission_required(Action.VIEW_MY_MILESTONES)
def mine():
    """List what needs attention on the user's projects: overdue, due soon, recently updated."""
    now = today()
    return render_template(
        "milestones/mine.html",
        work=queries.my_milestones(current_user, today=now),
        today=now,
        statuses=STATUSES,
    )


# --- editing ------------------------------------------------------------------------------


@bp.route(f"{MANAGE}/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_MILESTONES)
def new(code: str):
    """Add a milestone to the project."""
    project = editable_project_or_404(code, Action.EDIT_MILESTONES)
    form = MilestoneForm(contracts=contracts_of(project.id))
    if form.validate_on_submit():
        try:
            milestone = services.create_milestone(project, form.to_data(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Milestone “{milestone.title}” added.", "success")
            return redirect(url_for("milestones.detail", code=code, milestone_id=milestone.id))
    return render_template(
        "milestones/form.html", form=form, project=project, milestone=None
    ), form_status(form)


@bp.route(f"{MANAGE}/<int:milestone_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_MILESTONES)
def edit(code: str, milestone_id: int):
    """Edit a milestone (an approved baseline stays as approved)."""
    project = editable_project_or_404(code, Action.EDIT_MILESTONES)
    milestone = _load_milestone(project, milestone_id)
    form = MilestoneForm(obj=milestone, contracts=contracts_of(project.id))
    status = None
    if form.validate_on_submit():
        try:
            check_version(milestone, form.version.data)
            services.update_milestone(milestone, form.to_data(), actor=current_user)
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, milestone, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Milestone “{milestone.title}” saved.", "success")
            return redirect(url_for("milestones.detail", code=code, milestone_id=milestone.id))
    return (
        render_template("milestones/form.html", form=form, project=project, milestone=milestone),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/<int:milestone_id>/approve")
@permission_required(Action.APPROVE_MILESTONE)
def approve(code: str, milestone_id: int):
    """Approve a milestone, fixing its baseline date."""
    project = visible_project_or_404(code)
    require(Action.APPROVE_MILESTONE, project)
    milestone = _load_milestone(project, milestone_id)
    check_button()
    try:
        services.approve_milestone(milestone, approver=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(f"Milestone “{milestone.title}” approved: its baseline is now fixed.", "success")
    return redirect(url_for("milestones.detail", code=code, milestone_id=milestone_id))


def _amendments(project):
    return db.session.scalars(
        sa.select(Amendment)
        .join(Contract, Contract.id == Amendment.contract_id)
        .where(Contract.project_id == project.id, Contract.is_deleted.is_(False))
        .order_by(Contract.reference, Amendment.number)
    ).all()


@bp.route(f"{MANAGE}/<int:milestone_id>/rebaseline", methods=["GET", "POST"])
@permission_required(Action.REBASELINE_MILESTONE)
def rebaseline(code: str, milestone_id: int):
    """Move an approved baseline, with the reason (every earlier baseline is kept)."""
    project = visible_project_or_404(code)
    require(Action.REBASELINE_MILESTONE, project)
    milestone = _load_milestone(project, milestone_id)
    form = RebaselineForm(amendments=_amendments(project))
    if request.method == "GET":
        form.version.data = milestone.version
    status = None
    if form.validate_on_submit():
        try:
            check_version(milestone, form.version.data)
            services.rebaseline(
                milestone,
                form.new_date.data,
                reason=form.reason.data,
                actor=current_user,
                amendment=form.amendment_id.data,
            )
        except ConflictError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            form.version.data = milestone.version
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(
                f"Milestone “{milestone.title}” re-baselined to {milestone.baseline_date}.",
                "success",
            )
            return redirect(url_for("milestones.detail", code=code, milestone_id=milestone.id))
    return (
        render_template(
            "milestones/rebaseline.html", form=form, project=project, milestone=milestone
        ),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/<int:milestone_id>/cancel")
@permission_required(Action.EDIT_MILESTONES)
def cancel(code: str, milestone_id: int):
    """Cancel a milestone; it stays on record."""
    project = editable_project_or_404(code, Action.EDIT_MILESTONES)
    milestone = _load_milestone(project, milestone_id)
    check_button()
    try:
        services.cancel_milestone(milestone, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(f"Milestone “{milestone.title}” cancelled.", "success")
    return redirect(url_for("milestones.detail", code=code, milestone_id=milestone_id))


@bp.post(f"{MANAGE}/<int:milestone_id>/delete")
@permission_required(Action.EDIT_MILESTONES)
def delete(code: str, milestone_id: int):
    """Delete a milestone entered by mistake (its history stays)."""
    project = editable_project_or_404(code, Action.EDIT_MILESTONES)
    milestone = _load_milestone(project, milestone_id)
    check_button()
    try:
        services.delete_milestone(milestone, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("milestones.detail", code=code, milestone_id=milestone_id))
    db.session.commit()
    flash(f"Milestone “{milestone.title}” deleted. Its history is kept.", "success")
    return redirect(url_for("milestones.index", code=code))


# --- quick progress update ----------------------------------------------------------------


def _quick_form(milestone) -> QuickUpdateForm:
    try:
        # Reading the form parses the body, where an upload over the limit is refused.
        return QuickUpdateForm(obj=milestone if request.method == "GET" else None)
    except RequestEntityTooLarge:
        from pptracker.documents import storage

        raise RequestEntityTooLarge(
            f"{storage.too_large_message()} Nothing was saved. Go back and choose a smaller file."
        ) from None


@bp.route("/manage/milestones/<int:milestone_id>/update", methods=["GET", "POST"])
@permission_required(Action.EDIT_MILESTONES)
def quick_update(milestone_id: int):
    """Report progress on a milestone (status, percent, dates, note, evidence)."""
    milestone = queries.get_live_milestone(milestone_id)
    if milestone is None:
        abort(404)
    project = editable_project_or_404(milestone.project.code, Action.EDIT_MILESTONES)
    form = _quick_form(milestone)
    if request.method == "GET":
        form.note.data = ""
    status = None
    if form.validate_on_submit():
        try:
            check_version(milestone, form.version.data)
            services.quick_update(
                milestone,
                status=form.status.data,
                percent_complete=form.percent_complete.data,
                forecast_date=form.forecast_date.data,
                actual_date=form.actual_date.data,
                note=form.note.data,
                actor=current_user,
            )
            if form.evidence.data and getattr(form.evidence.data, "filename", ""):
                services.attach_evidence(
                    milestone,
                    form.evidence.data,
                    form.evidence_data(milestone),
                    uploader=current_user,
                )
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, milestone, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            if error.field in _EVIDENCE_FIELDS:
                error.field = _EVIDENCE_FIELDS[error.field]
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Progress on “{milestone.title}” saved.", "success")
            target = request.args.get("next")
            if target != "mine":
                return redirect(_detail_url(milestone))
            return redirect(url_for("milestones.mine"))
    return (
        render_template(
            "milestones/quick_update.html", form=form, project=project, milestone=milestone
        ),
        status or form_status(form),
    )
