"""Pages for the contract's payment schedule against what was paid.

Everyone who sees the project reads the schedule (the public without
confidential payments, which are counted and withheld with their reason);
its managers schedule, correct, delete and import payments.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker.contracts.queries import commitments_of, contracts_of
from pptracker.csvutil import csv_download
from pptracker.database import today
from pptracker.forms import csv_import_form, form_status, save
from pptracker.operations import payment_csv, payment_queries
from pptracker.operations import payment_services as services
from pptracker.operations.payment_forms import ScheduledPaymentForm, SeriesForm
from pptracker.operations.view_helpers import (
    csv_export,
    csv_import,
    delete_and_redirect,
    hide_confidential,
    or_404,
    page_context,
    plural,
)
from pptracker.permissions import Action, can, permission_required
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404

bp = Blueprint("payment_schedule", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/operations/payments"


def _load(project, payment_id: int):
    return or_404(payment_queries.get_payment(project.id, payment_id))


def _choices(project) -> dict:
    return {"contracts": contracts_of(project.id), "commitments": commitments_of(project.id)}


def _index(code: str) -> str:
    return url_for("payment_schedule.index", code=code)


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/operations/payments/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show the payment schedule: yearly totals, then each period against what was paid."""
    project = visible_project_or_404(code)
    hide = hide_confidential(project)
    contract_id = request.args.get("contract", type=int)
    year = request.args.get("year", type=int)
    whole = payment_queries.overview(
        project.id, hide_confidential=hide, today=today(), contract_id=contract_id
    )
    rows = [r for r in whole.rows if year is None or r.period_start.year == year]
    contracts = [c for c in contracts_of(project.id) if not (hide and c.confidential)]
    return render_template(
        "operations/payment_index.html",
        schedule=whole,
        rows=rows,
        mismatches=sum(1 for r in rows if r.mismatch),
        contracts=contracts,
        years=sorted({t.year for t in whole.years}),
        contract_id=contract_id,
        year=year,
        can_record=can(current_user, Action.EDIT_BUDGET, project),
        **page_context(project),
    )


@bp.route("/projects/<code>/operations/payments.csv")
@permission_required(Action.VIEW_PROJECT)
def export(code: str):
    """Download the payment schedule with what was paid, as the reader may see it."""
    project = visible_project_or_404(code)
    hide = hide_confidential(project)
    rows = payment_csv.export_rows(
        payment_queries.schedule(project.id, hide_confidential=hide, today=today())
    )
    return csv_export(
        project,
        rows=rows,
        header=payment_csv.EXPORT_COLUMNS,
        bom=payment_csv.BOM,
        filename=f"{project.code}-payment-schedule.csv",
        event="scheduled_payments.export",
        summary=f"Exported {plural(len(rows), 'scheduled payment')} as CSV",
    )


@bp.route("/operations/payment-schedule-template.csv")
@permission_required(Action.EDIT_OPERATIONS)
def template():
    """Download an import template: the header and one example row."""
    return csv_download(payment_csv.template_csv(), "payment-schedule-template.csv")


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
        saved, payment = save(
            form, lambda: services.create_scheduled_payment(project, form.to_data())
        )
        if saved:
            flash(
                f"{services.type_label(payment.type).capitalize()} for "
                f"{services.period_text(payment.period_start, payment.period_end)} scheduled.",
                "success",
            )
            return redirect(_index(code))
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
    if form.validate_on_submit():
        saved, _ = save(
            form,
            lambda: services.update_scheduled_payment(payment, form.to_data()),
            record=payment,
        )
        if saved:
            flash("Scheduled payment saved.", "success")
            return redirect(_index(code))
    return (
        render_template(
            "operations/payment_form.html", form=form, project=project, payment=payment
        ),
        form_status(form),
    )


@bp.post(f"{MANAGE}/<int:payment_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete(code: str, payment_id: int):
    """Delete a scheduled payment entered by mistake (refused while payments settle it)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    payment = _load(project, payment_id)
    return delete_and_redirect(
        lambda: services.delete_scheduled_payment(payment),
        done="Scheduled payment deleted. Its history is kept.",
        back=_index(code),
    )


@bp.route(f"{MANAGE}/series", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new_series(code: str):
    """Schedule the same payment for many periods: the first one, then every N months."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = SeriesForm(**_choices(project))
    if form.validate_on_submit():
        saved, created = save(
            form,
            lambda: services.create_series(
                project,
                form.to_data(),
                every_months=form.every_months.data,
                count=form.count.data,
            ),
        )
        if saved:
            flash(
                f"{plural(len(created), 'payment')} scheduled, "
                f"{created[0].period_start.isoformat()} to {created[-1].period_end.isoformat()}.",
                "success",
            )
            return redirect(_index(code))
    return render_template(
        "operations/payment_series.html", form=form, project=project
    ), form_status(form)


@bp.route(f"{MANAGE}/import", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def import_(code: str):
    """Import a payment schedule from CSV: every row, or none and the list of problems."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    actor = current_user._get_current_object()
    return csv_import(
        "operations/payment_import.html",
        project=project,
        form=csv_import_form(
            "payments", max_rows=payment_csv.MAX_ROWS, max_bytes=payment_csv.MAX_BYTES
        ),
        max_bytes=payment_csv.MAX_BYTES,
        run=lambda data: payment_csv.import_schedule(project, data, actor=actor),
        done=lambda result: f"{plural(len(result.created), 'scheduled payment')} imported.",
        next_url=_index(code),
        max_rows=payment_csv.MAX_ROWS,
    )
