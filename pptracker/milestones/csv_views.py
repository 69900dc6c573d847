"""Milestone CSV pages: the template to fill in, the export, and the all-or-nothing import."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from pptracker.audit.services import record
from pptracker.csvutil import csv_download, stream_csv
from pptracker.disclosure import may_see_confidential
from pptracker.extensions import db
from pptracker.forms import csv_import_form
from pptracker.milestones import csvio
from pptracker.permissions import Action, permission_required, require
from pptracker.projects.loaders import visible_project_or_404

bp = Blueprint("milestone_csv", __name__, template_folder="templates")


@bp.route("/milestones/template.csv")
@permission_required(Action.EDIT_MILESTONES)
def template():
    """Download an import template: the header and one example row."""
    return csv_download(csvio.template_csv(), "milestones-template.csv")


@bp.route("/projects/<code>/milestones.csv")
@permission_required(Action.VIEW_PROJECT)
def export(code: str):
    """Download a project's milestones as CSV, in the import format."""
    project = visible_project_or_404(code)
    include_confidential = may_see_confidential(current_user, project)
    # Read everything before the commit below expires the loaded rows.
    rows = list(
        csvio.export_rows(
            csvio.project_milestones(project), include_confidential=include_confidential
        )
    )
    record(
        "milestones.export",
        entity=project,
        summary=f"Exported {len(rows)} milestone{'' if len(rows) == 1 else 's'} as CSV",
    )
    db.session.commit()
    body = (csvio.BOM, *stream_csv(csvio.COLUMNS, rows))
    return csv_download(body, f"{project.code}-milestones.csv")


@bp.route("/manage/projects/<code>/milestones/import", methods=["GET", "POST"])
@permission_required(Action.EDIT_MILESTONES)
def import_(code: str):
    """Import milestones from a CSV file: every row, or none and the list of problems."""
    project = visible_project_or_404(code)
    require(Action.EDIT_MILESTONES, project)
    form = csv_import_form("milestones", max_rows=csvio.MAX_ROWS, max_bytes=csvio.MAX_BYTES)
    errors: list[csvio.RowError] = []
    if form.validate_on_submit():
        # Read one byte past the limit, so a larger file is recognised as such.
        data = form.file.data.read(csvio.MAX_BYTES + 1)
        result = csvio.import_milestones(project, data, actor=current_user._get_current_object())
        if result.ok:
            db.session.commit()
            count = len(result.created)
            flash(f"{count} milestone{'' if count == 1 else 's'} imported.", "success")
            return redirect(url_for("milestones.index", code=project.code))
        db.session.rollback()
        errors = result.errors
    status = 400 if errors or form.errors else 200
    return render_template(
        "milestones/import.html",
        project=project,
        form=form,
        errors=errors,
        columns=csvio.COLUMNS,
        max_rows=csvio.MAX_ROWS,
    ), status
