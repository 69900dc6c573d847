"""Budget pages: variance and earned value for everyone who sees the project, edited by its
managers."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker.budgets import queries, services
from pptracker.budgets.forms import CATEGORIES, KIND_LABELS, BudgetLineForm, TransactionForm
from pptracker.budgets.models import TransactionKind
from pptracker.contracts.queries import contracts_of
from pptracker.database import today
from pptracker.disclosure import may_see_confidential
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, check_button, form_status, show_conflict
from pptracker.milestones.queries import milestones_of
from pptracker.operations import payment_queries
from pptracker.permissions import Action, can, permission_required
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404
from pptracker.projects.queries import live_parties
from pptracker.services import check_version

bp = Blueprint("budgets", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/budget"
TRANSACTIONS_PER_PAGE = 50


def _load_line(project, line_id: int):
    line = queries.get_line(project.id, line_id)
    if line is None:
        abort(404)
    return line


def _load_transaction(project, tx_id: int):
    tx = queries.get_transaction(project.id, tx_id)
    if tx is None:
        abort(404)
    return tx


def _parties():
    return db.session.scalars(live_parties()).all()


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/budget/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show a project's budget lines with their variance, the totals and earned value."""
    project = visible_project_or_404(code)
    return render_template(
        "budgets/index.html",
        project=project,
        variance=queries.variance(project),
        ev=queries.earned_value(project, today=today()),
        categories=CATEGORIES,
        can_edit=can(current_user, Action.EDIT_BUDGET, project),
        button_form=EmptyForm(),
    )


@bp.route("/projects/<code>/budget/transactions")
@permission_required(Action.VIEW_PROJECT)
def transactions(code: str):
    """List a project's transactions, newest first, a page at a time."""
    project = visible_project_or_404(code)
    hide = not may_see_confidential(current_user, project)
    page = db.paginate(
        queries.transactions_of(project.id, hide_confidential=hide),
        per_page=TRANSACTIONS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "budgets/transactions.html",
        project=project,
        page=page,
        withheld=queries.withheld_transactions(project.id) if hide else 0,
        kinds=KIND_LABELS,
        can_edit=can(current_user, Action.EDIT_BUDGET, project),
        button_form=EmptyForm(),
    )


# --- budget lines -------------------------------------------------------------------------


@bp.route(f"{MANAGE}/lines/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_BUDGET)
def new_line(code: str):
    """Add a line to the project's budget."""
    project = editable_project_or_404(code, Action.EDIT_BUDGET)
    form = BudgetLineForm(parties=_parties())
    if form.validate_on_submit():
        try:
            line = services.create_budget_line(project, form.to_data())
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Budget line {line.code} added.", "success")
            return redirect(url_for("budgets.index", code=code))
    return render_template(
        "budgets/line_form.html", form=form, project=project, line=None
    ), form_status(form)


@bp.route(f"{MANAGE}/lines/<int:line_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_BUDGET)
def edit_line(code: str, line_id: int):
    """Edit a budget line."""
    project = editable_project_or_404(code, Action.EDIT_BUDGET)
    line = _load_line(project, line_id)
    form = BudgetLineForm(obj=line, parties=_parties())
    status = None
    if form.validate_on_submit():
        try:
            check_version(line, form.version.data)
            services.update_budget_line(line, form.to_data())
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, line, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"Budget line {line.code} saved.", "success")
            return redirect(url_for("budgets.index", code=code))
    return (
        render_template("budgets/line_form.html", form=form, project=project, line=line),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/lines/<int:line_id>/delete")
@permission_required(Action.EDIT_BUDGET)
def delete_line(code: str, line_id: int):
    """Delete a budget line entered by mistake (refused while transactions use it)."""
    project = editable_project_or_404(code, Action.EDIT_BUDGET)
    line = _load_line(project, line_id)
    check_button()
    try:
        services.delete_budget_line(line)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(f"Budget line {line.code} deleted. Its history is kept.", "success")
    return redirect(url_for("budgets.index", code=code))


# --- transactions -------------------------------------------------------------------------


def _transaction_form(project, **kwargs) -> TransactionForm:
    return TransactionForm(
        lines=queries.lines_of(project.id),
        contracts=contracts_of(project.id),
        milestones=milestones_of(project.id),
        parties=_parties(),
        scheduled=payment_queries.choices_for(project.id),
        **kwargs,
    )


def _prefill_from_schedule(project, form: TransactionForm) -> None:
    """Fill a new payment in from ``?scheduled_payment=<id>``: what remains due of it."""
    payment_id = request.args.get("scheduled_payment", type=int)
    if payment_id is None:
        return
    row = payment_queries.payment_figures(project.id, payment_id, today=today())
    if row is None or row.contract_deleted:
        return
    form.kind.data = TransactionKind.PAYMENT.value
    form.scheduled_payment_id.data = row.id
    form.contract_id.data = row.contract_id
    form.currency.data = row.currency
    if row.outstanding > 0:
        form.amount.data = row.outstanding
    form.description.data = (
        f"{row.type_label.capitalize()} for {row.period}, contract {row.contract_reference}"
    )


@bp.route(f"{MANAGE}/transactions/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_BUDGET)
def new_transaction(code: str):
    """Record a commitment, payment or receipt."""
    project = editable_project_or_404(code, Action.EDIT_BUDGET)
    form = _transaction_form(project)
    if request.method == "GET":
        form.currency.data = project.currency
        form.transaction_date.data = today()
        _prefill_from_schedule(project, form)
    if form.validate_on_submit():
        try:
            tx = services.record_transaction(project, form.to_data(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"{KIND_LABELS[tx.kind.value]} recorded.", "success")
            return redirect(url_for("budgets.transactions", code=code))
    return render_template(
        "budgets/transaction_form.html", form=form, project=project, tx=None
    ), form_status(form)


@bp.route(f"{MANAGE}/transactions/<int:tx_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_BUDGET)
def edit_transaction(code: str, tx_id: int):
    """Correct a transaction."""
    project = editable_project_or_404(code, Action.EDIT_BUDGET)
    tx = _load_transaction(project, tx_id)
    form = _transaction_form(project, obj=tx)
    status = None
    if form.validate_on_submit():
        try:
            check_version(tx, form.version.data)
            services.update_transaction(tx, form.to_data(), actor=current_user)
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, tx, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"{KIND_LABELS[tx.kind.value]} saved.", "success")
            return redirect(url_for("budgets.transactions", code=code))
    return (
        render_template("budgets/transaction_form.html", form=form, project=project, tx=tx),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/transactions/<int:tx_id>/delete")
@permission_required(Action.EDIT_BUDGET)
def delete_transaction(code: str, tx_id: int):
    """Delete a transaction entered by mistake (its history stays)."""
    project = editable_project_or_404(code, Action.EDIT_BUDGET)
    tx = _load_transaction(project, tx_id)
    check_button()
    try:
        services.delete_transaction(tx)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash("Transaction deleted. Its history is kept.", "success")
    return redirect(url_for("budgets.transactions", code=code))
