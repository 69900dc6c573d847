"""Pages for tariff tables and their history: read by everyone, changed by the managers."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker.audit.services import record
from pptracker.contracts.queries import contracts_of
from pptracker.csvutil import stream_csv
from pptracker.database import today
from pptracker.disclosure import may_see_confidential
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, form_status, show_conflict
from pptracker.operations import tariff_csv, tariff_queries, tariff_services
from pptracker.operations.tariff_forms import (
    PAID_BY,
    ImportForm,
    NewTariffForm,
    RateForm,
    TariffForm,
)
from pptracker.permissions import Action, can, permission_required
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404
from pptracker.services import check_version

bp = Blueprint("tariffs", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/operations/tariffs"
CSV_MIMETYPE = "text/csv; charset=utf-8"


def _load(project, tariff_id: int):
    tariff = tariff_queries.get_tariff(project.id, tariff_id)
    if tariff is None:
        abort(404)
    return tariff


def _attachment(body, filename: str) -> Response:
    return Response(
        body,
        mimetype=CSV_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/operations/tariffs/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show the tariff table in force today, contract by contract, and every change."""
    project = visible_project_or_404(code)
    table = tariff_queries.tariff_table(
        project.id,
        on=today(),
        hide_confidential=not may_see_confidential(current_user, project),
    )
    return render_template(
        "operations/tariff_index.html",
        project=project,
        table=table,
        paid_by=PAID_BY,
        can_edit=can(current_user, Action.EDIT_OPERATIONS, project),
        button_form=EmptyForm(),
    )


@bp.route("/projects/<code>/operations/tariffs/<int:tariff_id>")
@permission_required(Action.VIEW_PROJECT)
def detail(code: str, tariff_id: int):
    """Show one tariff and every value it has had, with the reasons."""
    project = visible_project_or_404(code)
    tariff = tariff_queries.tariff_history(
        tariff_id, on=today(), hide_confidential=not may_see_confidential(current_user, project)
    )
    if tariff is None or tariff_queries.get_tariff(project.id, tariff_id) is None:
        abort(404)
    return render_template(
        "operations/tariff_detail.html",
        project=project,
        tariff=tariff,
        paid_by=PAID_BY,
        can_edit=can(current_user, Action.EDIT_OPERATIONS, project),
        button_form=EmptyForm(),
    )


@bp.route("/projects/<code>/operations/tariffs.csv")
@permission_required(Action.VIEW_PROJECT)
def export(code: str):
    """Download every rate of the project's tariffs as CSV (public rows for the public)."""
    project = visible_project_or_404(code)
    rows = tariff_queries.export_rows(
        project.id, hide_confidential=not may_see_confidential(current_user, project)
    )
    record(
        "tariffs.export",
        entity=project,
        summary=f"Exported {len(rows)} tariff rate{'' if len(rows) == 1 else 's'} as CSV",
    )
    db.session.commit()
    body = (tariff_csv.BOM, *stream_csv(tariff_csv.EXPORT_COLUMNS, rows))
    return _attachment(body, f"{project.code}-tariffs.csv")


# --- managing -----------------------------------------------------------------------------


@bp.route(f"{MANAGE}/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new(code: str):
    """Add a tariff to a contract, with its first value."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    contracts = contracts_of(project.id)
    form = NewTariffForm(contracts=contracts)
    if request.method == "GET":
        form.currency.data = contracts[0].currency if contracts else project.currency
    if form.validate_on_submit():
        try:
            tariff = tariff_services.create_tariff(
                project, form.to_data(), form.to_change(), actor=current_user
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Tariff {tariff.code} added.", "success")
            return redirect(url_for("tariffs.detail", code=code, tariff_id=tariff.id))
    return render_template(
        "operations/tariff_form.html", form=form, project=project, tariff=None
    ), form_status(form)


@bp.route(f"{MANAGE}/<int:tariff_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def edit(code: str, tariff_id: int):
    """Edit a tariff's details (its rates change only through a rate change)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    tariff = _load(project, tariff_id)
    # A tariff stays with its contract: the only choice offered is its own.
    form = TariffForm(obj=tariff, contracts=[tariff.contract])
    status = None
    if form.validate_on_submit():
        try:
            check_version(tariff, form.version.data)
            tariff_services.update_tariff(tariff, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, tariff, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Tariff {tariff.code} saved.", "success")
            return redirect(url_for("tariffs.detail", code=code, tariff_id=tariff.id))
    return (
        render_template("operations/tariff_form.html", form=form, project=project, tariff=tariff),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/<int:tariff_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete(code: str, tariff_id: int):
    """Delete a tariff entered by mistake (it and its rates stay in the history)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    tariff = _load(project, tariff_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        tariff_services.delete_tariff(tariff)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(f"Tariff {tariff.code} deleted. Its history is kept.", "success")
    return redirect(url_for("tariffs.index", code=code))


@bp.route(f"{MANAGE}/<int:tariff_id>/rates/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def change_rate(code: str, tariff_id: int):
    """Record a new value of a tariff from a date on; earlier values are kept."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    tariff = _load(project, tariff_id)
    form = RateForm(contracts=[tariff.contract])
    current = tariff_services.latest_rate(tariff.id)
    if form.validate_on_submit():
        try:
            rate = tariff_services.change_rate(tariff, form.to_change(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(
                f"Tariff {tariff.code} is {rate.value} {tariff.currency} from "
                f"{rate.effective_from.isoformat()}. The earlier values are kept.",
                "success",
            )
            return redirect(url_for("tariffs.detail", code=code, tariff_id=tariff.id))
    return render_template(
        "operations/tariff_rate_form.html",
        form=form,
        project=project,
        tariff=tariff,
        current=current,
    ), form_status(form)


@bp.route(f"{MANAGE}/import", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def import_(code: str):
    """Import rate changes from a CSV file: every row, or none and the list of problems."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        data = form.file.data.read(tariff_csv.MAX_BYTES + 1)
        result = tariff_csv.import_rates(project, data, actor=current_user._get_current_object())
        if result.ok:
            db.session.commit()
            count = len(result.created)
            flash(f"{count} rate change{'' if count == 1 else 's'} imported.", "success")
            return redirect(url_for("tariffs.index", code=code))
        db.session.rollback()
        errors = result.errors
    status = 400 if errors or form.errors else 200
    return render_template(
        "operations/tariff_import.html",
        project=project,
        form=form,
        errors=errors,
        max_rows=tariff_csv.MAX_ROWS,
    ), status


@bp.route(f"{MANAGE}/template.csv")
@permission_required(Action.EDIT_OPERATIONS)
def template(code: str):
    """Download the rate-change import template: the header and one example row."""
    editable_project_or_404(code, Action.EDIT_OPERATIONS)
    return _attachment(tariff_csv.template_csv(), "tariff-rates-template.csv")
