"""What the operations pages share: who reads, loading or 404, CSV files, deletes, uploads.

The KPI, payment schedule, tariff and demand pages differ in their records and
words; how they answer a reader, a download, an import or a delete button is
the same, and lives here once.
"""

from collections.abc import Callable

from flask import Response, abort, flash, redirect, render_template
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from pptracker.audit.services import record
from pptracker.csvutil import csv_download, stream_csv
from pptracker.disclosure import may_see_confidential
from pptracker.documents import storage
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, check_button
from pptracker.permissions import Action, can

# --- reading ------------------------------------------------------------------------------


def hide_confidential(project) -> bool:
    """Tell whether the current user reads ``project`` as the public (no confidential rows)."""
    return not may_see_confidential(current_user, project)


def page_context(project) -> dict:
    """Return what every operations page is given: the project, may-edit, a POST-button form."""
    return {
        "project": project,
        "can_edit": can(current_user, Action.EDIT_OPERATIONS, project),
        "button_form": EmptyForm(),
    }


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """Return "1 year", "2 years" (``nouns`` for an irregular plural)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def or_404(found):
    """Return ``found``, or answer 404 when a lookup found nothing."""
    if found is None:
        abort(404)
    return found


def project_record_or_404(model, record_id: int, project):
    """Return the ``model`` row ``record_id`` of ``project`` (not a deleted one), else 404."""
    found = db.session.get(model, record_id)
    if found is None or found.project_id != project.id or getattr(found, "is_deleted", False):
        abort(404)
    return found


# --- CSV ----------------------------------------------------------------------------------


def csv_export(
    project, *, rows: list, header: list[str], bom: str, filename: str, event: str, summary: str
) -> Response:
    """Record the export of ``rows`` in the audit log, then send them as a CSV file.

    ``rows`` must be read already: the commit that keeps the audit event expires
    the loaded records.
    """
    record(event, entity=project, summary=summary)
    db.session.commit()
    return csv_download((bom, *stream_csv(header, rows)), filename)


def csv_import(
    template: str,
    *,
    project,
    form,
    max_bytes: int,
    run: Callable,
    done: Callable[..., str],
    next_url: str,
    **context,
):
    """Show a CSV import page; on a valid upload, import every row or none.

    :param run: imports the file's bytes; returns a result with ``ok`` and ``errors``.
    :param done: the success message for that result, flashed once it is committed
        before going on to ``next_url``. On errors everything is rolled back and the
        page lists the problems (status 400).
    """
    errors = []
    if form.validate_on_submit():
        # Read one byte past the limit, so a larger file is recognised as such.
        result = run(form.file.data.read(max_bytes + 1))
        if result.ok:
            db.session.commit()
            flash(done(result), "success")
            return redirect(next_url)
        db.session.rollback()
        errors = result.errors
    status = 400 if errors or form.errors else 200
    return render_template(template, project=project, form=form, errors=errors, **context), status


# --- writing ------------------------------------------------------------------------------


def delete_and_redirect(delete: Callable[[], object], *, done: str, back: str):
    """Answer a delete button: run ``delete``, flash ``done`` or why it was refused, go back."""
    check_button()
    try:
        delete()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(back)


def upload_form(form_class, **kwargs):
    """Build ``form_class`` from a request that may carry a file over the upload limit.

    Reading the form parses the body, where such a file is refused: the answer
    says so plainly, and that nothing was saved.
    """
    try:
        return form_class(**kwargs)
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge(
            f"{storage.too_large_message()} Nothing was saved. Go back and choose a smaller file."
        ) from None
