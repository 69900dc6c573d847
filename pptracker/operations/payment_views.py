"""Pages for the contract's payment schedule against what was paid.

Everyone who sees the project reads the schedule (the public without
confidential payments, which are counted and withheld with their reason);
its managers schedule, correct, delete and import payments.
"""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker.audit.services import record
from pptracker.contracts.queries import commitments_of, contracts_of
from pptracker.csvutil import stream_csv
from pptracker.database import today
from pptracker.disclosure import may_see_confidential
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, form_status, show_conflict
from pptracker.operations import payment_csv, payment_queries
from pptracker.operations import payment_services as services
from pptracker.operations.payment_forms import ImportForm, ScheduledPaymentForm, SeriesForm
from pptracker.permissions import Action, can, permission_required
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404
from pptracker.services import check_version

bp = Blueprint("payment_schedule", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/operations/payments"
CSV_MIMETYPE = "text/csv; charset=utf-8"


def _attachment(body, filename: str) -> Response:
    return Response(
        body,
        mimetype=CSV_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _load(project, payment_id: int):
    payment = payment_queries.get_payment(project.id, payment_id)
    if payment is None:
        abort(404)
    return payment


def _choices(project) -> dict:
    return {"contracts": contracts_of(project.id), "commitments": commitments_of(project.id)}


def _back(code: str):
    return redirect(url_for("payment_schedule.index", code=code))


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/operations/payments/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show the payment schedule: yearly totals, then each period against what was paid."""
    project = visible_project_or_404(code)
    hide = not may_see_confidential(current_user, project)
    contract_id = request.args.get("contract", type=int)
    year = request.args.get("year", type=int)
    whole = payment_queries.overview(
        project.id, hide_confidential=hide, today=today(), contract_id=contract_id
    )
    rows = [r for r in whole.rows if year is None or r.period_start.year == year]
    contracts = [c for c in contracts_of(project.id) if not (hide and c.confidential)]
    return render_template(
        "operations/payment_index.html",
        project=project,
        schedule=whole,
        rows=rows,
        mismatches=sum(1 for r in rows if r.mismatch),
        contracts=contracts,
        years=sorted({t.year for t in whole.years}),
        contract_id=contract_id,
        year=year,
        can_edit=can(current_user, Action.EDIT_OPERATIONS, project),
        can_record=can(current_user, Action.EDIT_BUDGET, project),
        button_form=EmptyForm(),
    )


@bp.route("/projects/<code>/operations/payments.csv")
@permission_required(Action.VIEW_PROJECT)
def export(code: str):
    """Download the payment schedule with what was paid, as the reader may see it."""
    project = visible_project_or_404(code)
    hide = not may_see_confidential(current_user, project)
    rows = payment_csv.export_rows(
        payment_queries.schedule(project.id, hide_confidential=hide, today=today())
    )
    record(
        "scheduled_payments.export",
        entity=project,
        summary=f"Exported {len(rows)} scheduled payment{'' if len(rows) == 1 else 's'} as CSV",
    )
    db.session.commit()
    body = (payment_csv.BOM, *stream_csv(payment_csv.EXPORT_COLUMNS, rows))
    return _attachment(body, f"{project.code}-payment-schedule.csv")


@bp.route("/operations/payment-schedule-template.csv")
@permission_required(Action.EDIT_OPERATIONS)
def template():
    """Download an import template: the header and one example row."""
    return _attachment(payment_csv.template_csv(), "payment-schedule-template.csv")


# --- managing -----------------------------------------------------------------------------


@bp.route(f"{MANAGE}/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new(code: str):
    """Schedule one government payment."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = ScheduledPaymentForm(**_choices(project))
    if request.method == "GET" and request.args.get("contract", type=int):
        form.contract_id.data = request.args.get("contract", type=int)
    if form.validate_on_submit():
        try:
            payment = services.create_scheduled_payment(project, form.to_data())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(
                f"{services.type_label(payment.type).capitalize()} for "
                f"{services.period_text(payment.period_start, payment.period_end)} scheduled.",
                "success",
            )
            return _back(code)
    return render_template(
        "operations/payment_form.html", form=form, project=project, payment=None
    ), form_status(form)


@bp.route(f"{MANAGE}/<int:payment_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def edit(code: str, payment_id: int):
    """Correct a scheduled payment (refused over someone else's newer save)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    payment = _load(project, payment_id)
    form = ScheduledPaymentForm(obj=payment, **_choices(project))
    status = None
    if form.validate_on_submit():
        try:
            check_version(payment, form.version.data)
            services.update_scheduled_payment(payment, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, payment, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash("Scheduled payment saved.", "success")
            return _back(code)
    return (
        render_template(
            "operations/payment_form.html", form=form, project=project, payment=payment
        ),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/<int:payment_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete(code: str, payment_id: int):
    """Delete a scheduled payment entered by mistake (refused while payments settle it)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    payment = _load(project, payment_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        services.delete_scheduled_payment(payment)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash("Scheduled payment deleted. Its history is kept.", "success")
    return _back(code)


@bp.route(f"{MANAGE}/series", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new_series(code: str):
    """Schedule the same payment for many periods: the first one, then every N months."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = SeriesForm(**_choices(project))
    if form.validate_on_submit():
        try:
            created = services.create_series(
                project,
                form.to_data(),
                every_months=form.every_months.data,
                count=form.count.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(
                f"{len(created)} payment{'' if len(created) == 1 else 's'} scheduled, "
                f"{created[0].period_start.isoformat()} to {created[-1].period_end.isoformat()}.",
                "success",
            )
            return _back(code)
    return render_template(
        "operations/payment_series.html", form=form, project=project
    ), form_status(form)


@bp.route(f"{MANAGE}/import", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def import_(code: str):
    """Import a payment schedule from CSV: every row, or none and the list of problems."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        data = form.file.data.read(payment_csv.MAX_BYTES + 1)
        result = payment_csv.import_schedule(
            project, data, actor=current_user._get_current_object()
        )
        if result.ok:
            db.session.commit()
            count = len(result.created)
            flash(f"{count} scheduled payment{'' if count == 1 else 's'} imported.", "success")
            return _back(code)
        db.session.rollback()
        errors = result.errors
    return render_template(
        "operations/payment_import.html",
        project=project,
        form=form,
        errors=errors,
        max_rows=payment_csv.MAX_ROWS,
    ), (400 if errors or form.errors else 200)
