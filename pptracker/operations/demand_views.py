"""Pages for demand and revenue, forecast against actual: read by everyone, kept by managers."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from pptracker.contracts.queries import contracts_of
from pptracker.csvutil import csv_download
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, csv_import_form, form_status, save
from pptracker.operations import demand_csv, demand_queries, demand_services
from pptracker.operations.demand_chart import ChartYear, demand_chart
from pptracker.operations.demand_forms import METRICS, SeriesForm, YearsForm
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
from pptracker.services import check_version

bp = Blueprint("demand", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/operations/demand"


def _load(project, series_id: int):
    return or_404(demand_queries.get_series(project.id, series_id))


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/operations/demand/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show each series: its chart and forecast against actual with the variance."""
    project = visible_project_or_404(code)
    overview = demand_queries.demand_overview(
        project.id, hide_confidential=hide_confidential(project)
    )
    charts = {
        series.id: demand_chart(
            series.name,
            series.unit,
            [ChartYear(r.year, r.forecast, r.actual) for r in series.rows],
            id_prefix=f"demand-chart-{series.id}",
        )
        for series in overview.series
    }
    return render_template(
        "operations/demand_index.html",
        overview=overview,
        charts=charts,
        metrics=METRICS,
        **page_context(project),
    )


@bp.route("/projects/<code>/operations/demand.csv")
@permission_required(Action.VIEW_PROJECT)
def export(code: str):
    """Download every year of the project's series as CSV (public rows for the public)."""
    project = visible_project_or_404(code)
    rows = demand_queries.export_rows(project.id, hide_confidential=hide_confidential(project))
    return csv_export(
        project,
        rows=rows,
        header=demand_csv.EXPORT_COLUMNS,
        bom=demand_csv.BOM,
        filename=f"{project.code}-demand.csv",
        event="demand.export",
        summary=f"Exported {plural(len(rows), 'year')} of demand and revenue as CSV",
    )


# --- series -------------------------------------------------------------------------------


@bp.route(f"{MANAGE}/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new(code: str):
    """Add a demand or revenue series to a contract."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = SeriesForm(contracts=contracts_of(project.id))
    if form.validate_on_submit():
        saved, series = save(form, lambda: demand_services.create_series(project, form.to_data()))
        if saved:
            flash(f"Series {series.name} added. Now enter its years.", "success")
            return redirect(url_for("demand.edit_years", code=code, series_id=series.id))
    return render_template(
        "operations/demand_series_form.html", form=form, project=project, series=None
    ), form_status(form)


@bp.route(f"{MANAGE}/<int:series_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def edit(code: str, series_id: int):
    """Edit a series' details (its years are kept)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    series = _load(project, series_id)
    form = SeriesForm(obj=series, contracts=[series.contract])
    if form.validate_on_submit():
        saved, _ = save(
            form, lambda: demand_services.update_series(series, form.to_data()), record=series
        )
        if saved:
            flash(f"Series {series.name} saved.", "success")
            return redirect(url_for("demand.index", code=code))
    return (
        render_template(
            "operations/demand_series_form.html", form=form, project=project, series=series
        ),
        form_status(form),
    )


@bp.post(f"{MANAGE}/<int:series_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete(code: str, series_id: int):
    """Delete a series entered by mistake (it and its years stay in the history)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    series = _load(project, series_id)
    return delete_and_redirect(
        lambda: demand_services.delete_series(series),
        done=f"Series {series.name} deleted. Its history is kept.",
        back=url_for("demand.index", code=code),
    )


# --- years --------------------------------------------------------------------------------


@bp.route(f"{MANAGE}/<int:series_id>/years", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def edit_years(code: str, series_id: int):
    """Enter or correct the forecast and actual of several years at once."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    series = _load(project, series_id)
    overview = demand_queries.demand_overview(
        project.id, hide_confidential=False, series_id=series.id
    ).series[0]
    form = YearsForm()
    status = None
    if request.method == "GET":
        form.prefill(overview.rows, metric=series.metric)
        form.version.data = series.version
    elif form.validate_on_submit():
        filled = form.filled()
        try:
            check_version(series, form.version.data)
            demand_services.set_years(series, [row.to_year() for _i, row in filled])
        except ConflictError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            form.version.data = series.version
            status = 409
        except demand_services.YearsError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            for problem in error.problems:
                row = filled[problem.index][1]
                target = getattr(row, problem.field or "", None) or row.year
                target.errors = [*target.errors, problem.message]
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(f"The years of {series.name} are saved.", "success")
            return redirect(url_for("demand.index", code=code) + f"#series-{series.id}")
    return (
        render_template(
            "operations/demand_years_form.html",
            form=form,
            project=project,
            series=series,
            overview=overview,
            button_form=EmptyForm(),
        ),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/<int:series_id>/years/<int:value_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete_year(code: str, series_id: int, value_id: int):
    """Remove a year recorded by mistake (the audit log keeps it)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    series = _load(project, series_id)
    value = or_404(demand_queries.get_value(series.id, value_id))
    return delete_and_redirect(
        lambda: demand_services.delete_year(value),
        done=f"{value.year} removed from {series.name}.",
        back=url_for("demand.edit_years", code=code, series_id=series.id),
    )


# --- CSV ----------------------------------------------------------------------------------


@bp.route(f"{MANAGE}/import", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def import_(code: str):
    """Import years from a CSV file: every row, or none and the list of problems."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    return csv_import(
        "operations/demand_import.html",
        project=project,
        form=csv_import_form("years", max_rows=demand_csv.MAX_ROWS, max_bytes=demand_csv.MAX_BYTES),
        max_bytes=demand_csv.MAX_BYTES,
        run=lambda data: demand_csv.import_years(project, data),
        done=lambda result: f"{plural(len(result.written), 'year')} imported.",
        next_url=url_for("demand.index", code=code),
        max_rows=demand_csv.MAX_ROWS,
    )


@bp.route(f"{MANAGE}/template.csv")
@permission_required(Action.EDIT_OPERATIONS)
def template(code: str):
    """Download the years import template: the header and example rows."""
    editable_project_or_404(code, Action.EDIT_OPERATIONS)
    return csv_download(demand_csv.template_csv(), "demand-template.csv")
