"""Pages for tariff tables and their history: read by everyone, changed by the managers."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker.contracts.queries import contracts_of
from pptracker.csvutil import csv_download
from pptracker.database import today
from pptracker.forms import csv_import_form, form_status, save
from pptracker.operations import tariff_csv, tariff_queries, tariff_services
from pptracker.operations.tariff_forms import (
    PAID_BY,
    NewTariffForm,
    RateForm,
    TariffForm,
)
from pptracker.operations.view_helpers import (
    csv_export,
    csv_import,
    delete_and_redirect,
    hide_confidential,
    or_404,
    page_context,
    plural,
)
from pptracker.permissions import Action, permission_required
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404

bp = Blueprint("tariffs", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/operations/tariffs"


def _load(project, tariff_id: int):
    return or_404(tariff_queries.get_tariff(project.id, tariff_id))


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/operations/tariffs/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show the tariff table in force today, contract by contract, and every change."""
    project = visible_project_or_404(code)
    table = tariff_queries.tariff_table(
        project.id, on=today(), hide_confidential=hide_confidential(project)
    )
    return render_template(
        "operations/tariff_index.html", table=table, paid_by=PAID_BY, **page_context(project)
    )


@bp.route("/projects/<code>/operations/tariffs/<int:tariff_id>")
@permission_required(Action.VIEW_PROJECT)
def detail(code: str, tariff_id: int):
    """Show one tariff and every value it has had, with the reasons."""
    project = visible_project_or_404(code)
    _load(project, tariff_id)  # a live tariff of this project, or 404
    tariff = or_404(
        tariff_queries.tariff_history(
            tariff_id, on=today(), hide_confidential=hide_confidential(project)
        )
    )
    return render_template(
        "operations/tariff_detail.html", tariff=tariff, paid_by=PAID_BY, **page_context(project)
    )


@bp.route("/projects/<code>/operations/tariffs.csv")
@permission_required(Action.VIEW_PROJECT)
def export(code: str):
    """Download every rate of the project's tariffs as CSV (public rows for the public)."""
    project = visible_project_or_404(code)
    rows = tariff_queries.export_rows(project.id, hide_confidential=hide_confidential(project))
    return csv_export(
        project,
        rows=rows,
        header=tariff_csv.EXPORT_COLUMNS,
        bom=tariff_csv.BOM,
        filename=f"{project.code}-tariffs.csv",
        event="tariffs.export",
        summary=f"Exported {plural(len(rows), 'tariff rate')} as CSV",
    )


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
        saved, tariff = save(
            form,
            lambda: tariff_services.create_tariff(
                project, form.to_data(), form.to_change(), actor=current_user
            ),
        )
        if saved:
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
    if form.validate_on_submit():
        saved, _ = save(
            form, lambda: tariff_services.update_tariff(tariff, form.to_data()), record=tariff
        )
        if saved:
            flash(f"Tariff {tariff.code} saved.", "success")
            return redirect(url_for("tariffs.detail", code=code, tariff_id=tariff.id))
    return (
        render_template("operations/tariff_form.html", form=form, project=project, tariff=tariff),
        form_status(form),
    )


@bp.post(f"{MANAGE}/<int:tariff_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete(code: str, tariff_id: int):
    """Delete a tariff entered by mistake (it and its rates stay in the history)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    tariff = _load(project, tariff_id)
    return delete_and_redirect(
        lambda: tariff_services.delete_tariff(tariff),
        done=f"Tariff {tariff.code} deleted. Its history is kept.",
        back=url_for("tariffs.index", code=code),
    )


@bp.route(f"{MANAGE}/<int:tariff_id>/rates/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def change_rate(code: str, tariff_id: int):
    """Record a new value of a tariff from a date on; earlier values are kept."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    tariff = _load(project, tariff_id)
    form = RateForm(contracts=[tariff.contract])
    current = tariff_services.latest_rate(tariff.id)
    if form.validate_on_submit():
        saved, rate = save(
            form, lambda: tariff_services.change_rate(tariff, form.to_change(), actor=current_user)
        )
        if saved:
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
    actor = current_user._get_current_object()
    return csv_import(
        "operations/tariff_import.html",
        project=project,
        form=csv_import_form(
            "rate changes", max_rows=tariff_csv.MAX_ROWS, max_bytes=tariff_csv.MAX_BYTES
        ),
        max_bytes=tariff_csv.MAX_BYTES,
        run=lambda data: tariff_csv.import_rates(project, data, actor=actor),
        done=lambda result: f"{plural(len(result.created), 'rate change')} imported.",
        next_url=url_for("tariffs.index", code=code),
        max_rows=tariff_csv.MAX_ROWS,
    )


@bp.route(f"{MANAGE}/template.csv")
@permission_required(Action.EDIT_OPERATIONS)
def template(code: str):
    """Download the rate-change import template: the header and one example row."""
    editable_project_or_404(code, Action.EDIT_OPERATIONS)
    return csv_download(tariff_csv.template_csv(), "tariff-rates-template.csv")
