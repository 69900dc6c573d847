"""The project registry and the party pages for signed-in users."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker import codelists
from pptracker.audit import queries as audit_queries
from pptracker.auth.queries import managers as manager_candidates
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, check_button, form_status, show_conflict
from pptracker.permissions import Action, can, permission_required, require
from pptracker.projects import disclosure_score, queries, services
from pptracker.projects.forms import AssignManagersForm, PartyForm, ProjectForm
from pptracker.projects.loaders import visible_project_or_404
from pptracker.services import check_version

bp = Blueprint("projects", __name__, url_prefix="/manage/projects", template_folder="templates")
parties_bp = Blueprint(
    "parties", __name__, url_prefix="/manage/parties", template_folder="templates"
)


def _load_project(code: str):
    return visible_project_or_404(code)


def _filters_from_args() -> queries.ProjectFilters:
    args = request.args
    return queries.ProjectFilters(
        q=args.get("q", "")[:200],
        status=args.get("status", ""),
        sector=args.get("sector", ""),
        ppp_model=args.get("ppp_model", ""),
        mine=args.get("mine") == "1",
        sort=args.get("sort", "title") if args.get("sort") in queries.SORTS else "title",
        desc=args.get("dir") == "desc",
    )


@bp.route("/")
@permission_required(Action.LIST_PROJECTS)
def index():
    """List the projects the user may see, with search, filters and sorting."""
    filters = _filters_from_args()
    page = db.paginate(
        queries.project_list(current_user, filters),
        per_page=current_app.config["PROJECTS_PER_PAGE"],
        max_per_page=100,
        error_out=False,
    )
    return render_template(
        "projects/index.html",
        page=page,
        filters=filters,
        statuses=codelists.choices("projectStatus"),
        sectors=codelists.choices("projectSector"),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.CREATE_PROJECT)
def new():
    """Register a project."""
    form = ProjectForm(parties=db.session.scalars(queries.live_parties()).all())
    if form.validate_on_submit():
        try:
            project = services.create_project(form.to_data(), creator=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Project {project.code} created.", "success")
            return redirect(url_for("projects.detail", code=project.code))
    return render_template("projects/form.html", form=form, project=None), form_status(form)


@bp.route("/<code>")
@permission_required(Action.LIST_PROJECTS)
def detail(code: str):
    """Show one project, with what it publishes of the proactive-disclosure items."""
    project = _load_project(code)
    assign_form = None
    if can(current_user, Action.ASSIGN_MANAGERS):
        assign_form = AssignManagersForm(managers=[m.id for m in project.managers])
        assign_form.managers.choices = {
            u.id: f"{u.name} ({u.email})" for u in db.session.scalars(manager_candidates())
        }
    counts = (
        audit_queries.finding_counts(project.id)
        if can(current_user, Action.VIEW_FINDINGS, project)
        else None
    )
    return render_template(
        "projects/detail.html",
        project=project,
        assign_form=assign_form,
        button_form=EmptyForm(),
        finding_counts=counts,
        disclosure=disclosure_score.score(project),
    )


@bp.route("/<code>/history")
@permission_required(Action.VIEW_HISTORY)
def history(code: str):
    """Show every audit event of the project and its records."""
    project = _load_project(code)
    require(Action.VIEW_HISTORY, project)
    page = audit_queries.event_page(
        audit_queries.filtered_events(audit_queries.AuditFilters(project=project.code)),
        before=_int_arg("before"),
        after=_int_arg("after"),
    )
    return render_template(
        "audit/history.html",
        subject=project.title,
        page=page,
        tabs="projects/_tabs.html",
        project=project,
        project_scope=True,
    )


@bp.route("/<code>/findings")
@permission_required(Action.VIEW_FINDINGS)
def findings(code: str):
    """List the findings raised on the project."""
    project = _load_project(code)
    require(Action.VIEW_FINDINGS, project)
    rows = db.session.scalars(
        audit_queries.finding_list(audit_queries.FindingFilters(), project_ids=[project.id])
    ).all()
    return render_template(
        "projects/findings.html",
        project=project,
        findings=rows,
        counts=audit_queries.finding_counts(project.id),
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/<code>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_PROJECT)
def edit(code: str):
    """Edit a project's details."""
    project = _load_project(code)
    require(Action.EDIT_PROJECT, project)
    parties = db.session.scalars(queries.live_parties()).all()
    form = ProjectForm(obj=project, parties=parties)
    status = None
    if form.validate_on_submit():
        try:
            check_version(project, form.version.data)
            services.update_project(project, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, project, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Project {project.code} saved.", "success")
            return redirect(url_for("projects.detail", code=project.code))
    return (
        render_template("projects/form.html", form=form, project=project),
        status or form_status(form),
    )


@bp.route("/<code>/delete", methods=["GET", "POST"])
@permission_required(Action.DELETE_PROJECT)
def delete(code: str):
    """Confirm, then soft-delete a project."""
    project = _load_project(code)
    form = EmptyForm()
    if form.validate_on_submit():
        services.delete_project(project)
        db.session.commit()
        flash(f"Project {project.code} deleted. Its history is kept.", "success")
        return redirect(url_for("projects.index"))
    return render_template("projects/delete.html", project=project, form=form)


@bp.post("/<code>/publication")
@permission_required(Action.PUBLISH_PROJECT)
def publication(code: str):
    """Publish a project on the public site, or withdraw it."""
    project = _load_project(code)
    check_button()
    publish = request.form.get("publish") == "1"
    services.set_published(project, publish)
    db.session.commit()
    flash(f"Project {project.code} is now {'published' if publish else 'unpublished'}.", "success")
    return redirect(url_for("projects.detail", code=project.code))


@bp.post("/<code>/managers")
@permission_required(Action.ASSIGN_MANAGERS)
def assign(code: str):
    """Set the managers of a project."""
    project = _load_project(code)
    form = AssignManagersForm()
    form.managers.choices = {u.id: u.name for u in db.session.scalars(manager_candidates())}
    if not form.validate_on_submit():
        flash("Choose managers from the list.", "danger")
        return redirect(url_for("projects.detail", code=project.code))
    try:
        services.assign_managers(project, form.managers.data or [])
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash("Managers saved.", "success")
    return redirect(url_for("projects.detail", code=project.code))


@parties_bp.route("/", endpoint="index")
@permission_required(Action.VIEW_PARTIES)
def party_index():
    """List parties, searchable by name and role."""
    q, role = request.args.get("q", "")[:200], request.args.get("role", "")
    page = db.paginate(queries.party_list(q, role), per_page=50, error_out=False)
    return render_template(
        "projects/parties.html", page=page, q=q, role=role, roles=codelists.party_roles()
    )


@parties_bp.route("/new", methods=["GET", "POST"], endpoint="new")
@permission_required(Action.EDIT_PARTY)
def party_new():
    """Register a party."""
    form = PartyForm()
    if form.validate_on_submit():
        try:
            party = services.create_party(form.to_data())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Party {party.name} created.", "success")
            return redirect(url_for("parties.detail", party_id=party.id))
    return render_template("projects/party_form.html", form=form, party=None), form_status(form)


def _load_party(party_id: int):
    party = queries.get_party(party_id)
    if party is None:
        abort(404)
    return party


@parties_bp.route("/<int:party_id>", endpoint="detail")
@permission_required(Action.VIEW_PARTIES)
def party_detail(party_id: int):
    """Show a party and the projects it takes part in."""
    party = _load_party(party_id)
    return render_template(
        "projects/party_detail.html",
        party=party,
        projects=queries.projects_of_party(party, current_user),
        roles=codelists.party_roles(),
        button_form=EmptyForm(),
    )


@parties_bp.route("/<int:party_id>/history", endpoint="history")
@permission_required(Action.VIEW_AUDIT_LOG)
def party_history(party_id: int):
    """Show every audit event of a party."""
    party = _load_party(party_id)
    page = audit_queries.event_page(
        audit_queries.filtered_events(
            audit_queries.AuditFilters(entity_type="Party", entity_id=party.id)
        ),
        before=_int_arg("before"),
        after=_int_arg("after"),
    )
    return render_template("audit/history.html", subject=party.name, page=page, tabs=None)


@parties_bp.route("/<int:party_id>/edit", methods=["GET", "POST"], endpoint="edit")
@permission_required(Action.EDIT_PARTY)
def party_edit(party_id: int):
    """Edit a party."""
    party = _load_party(party_id)
    form = PartyForm(obj=party)
    status = None
    if form.validate_on_submit():
        try:
            check_version(party, form.version.data)
            services.update_party(party, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, party, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Party {party.name} saved.", "success")
            return redirect(url_for("parties.detail", party_id=party.id))
    return (
        render_template("projects/party_form.html", form=form, party=party),
        status or form_status(form),
    )


@parties_bp.post("/<int:party_id>/delete", endpoint="delete")
@permission_required(Action.DELETE_PARTY)
def party_delete(party_id: int):
    """Soft-delete a party that no project uses."""
    party = _load_party(party_id)
    check_button()
    try:
        services.delete_party(party)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("parties.detail", party_id=party.id))
    db.session.commit()
    flash(f"Party {party.name} deleted.", "success")
    return redirect(url_for("parties.index"))
