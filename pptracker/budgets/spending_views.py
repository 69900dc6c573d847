"""The auditors' view of spending across projects, red flags, and the transaction CSV import."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import aliased, contains_eager
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from pptracker.audit.services import record
from pptracker.budgets import csvio, flags
from pptracker.budgets.models import BudgetLine, Transaction, TransactionKind
from pptracker.contracts.models import Contract
from pptracker.csvutil import csv_download, stream_csv
from pptracker.extensions import db
from pptracker.forms import csv_import_form
from pptracker.permissions import Action, permission_required, require
from pptracker.projects.loaders import visible_project_or_404
from pptracker.projects.models import Party, Project
from pptracker.projects.queries import get_project

bp = Blueprint("spending", __name__, template_folder="templates")

PER_PAGE = 50

EXPORT_COLUMNS = [
    "id",
    "project_code",
    "kind",
    "date",
    "amount",
    "currency",
    "rate",
    "project_amount",
    "project_currency",
    "budget_line_code",
    "contract_reference",
    "payer",
    "payee",
    "reference",
    "description",
    "flagged",
]

_AMOUNT = r"^\d+(\.\d{1,2})?$"
_AMOUNT_MESSAGE = "Write an amount with digits and a dot for decimals, e.g. 1250000.50."


# --- filters -----------------------------------------------------------------------------------


class SpendingFilterForm(FlaskForm):
    """The spending list's filters (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    project = StringField("Project code", validators=[Optional(), Length(max=40)])
    line = StringField("Budget line code", validators=[Optional(), Length(max=30)])
    payee = StringField("Payee name contains", validators=[Optional(), Length(max=200)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    amount_from = StringField(
        "Amount from", validators=[Optional(), Regexp(_AMOUNT, message=_AMOUNT_MESSAGE)]
    )
    amount_to = StringField(
        "Amount to", validators=[Optional(), Regexp(_AMOUNT, message=_AMOUNT_MESSAGE)]
    )
    kind = SelectField(
        "Kind",
        choices={"": "Any", **{k.value: k.value.capitalize() for k in TransactionKind}},
        validators=[Optional()],
    )
    flagged = BooleanField("Flagged only")

    def validate_date_to(self, field):
        """Refuse a range that ends before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end of the range is before its start.")

    def validate_amount_to(self, field):
        """Refuse an amount range that ends below its start."""
        low, high = self.amount_from.data, field.data
        if low and high and _is_amount(low) and _is_amount(high) and Decimal(high) < Decimal(low):
            raise ValidationError("The upper amount is below the lower one.")


def _is_amount(text: str) -> bool:
    return re.fullmatch(_AMOUNT, text) is not None


@dataclass
class SpendingFilters:
    """What the auditor asked the spending list for (amounts in the project currency)."""

    project: str = ""
    line: str = ""
    payee: str = ""
    date_from: date | None = None
    date_to: date | None = None
    amount_from: Decimal | None = None
    amount_to: Decimal | None = None
    kind: str = ""
    flagged: bool = False

    def args(self) -> dict:
        """Return the filters as query-string arguments (for links and the export)."""
        values = {
            "project": self.project,
            "line": self.line,
            "payee": self.payee,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "amount_from": str(self.amount_from) if self.amount_from is not None else "",
            "amount_to": str(self.amount_to) if self.amount_to is not None else "",
            "kind": self.kind,
            "flagged": "y" if self.flagged else "",
        }
        return {k: v for k, v in values.items() if v}


def _filters() -> tuple[SpendingFilterForm, SpendingFilters]:
    form = SpendingFilterForm(request.args)
    if not form.validate():
        return form, SpendingFilters()
    return form, SpendingFilters(
        project=(form.project.data or "").strip(),
        line=(form.line.data or "").strip(),
        payee=(form.payee.data or "").strip(),
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        amount_from=Decimal(form.amount_from.data) if form.amount_from.data else None,
        amount_to=Decimal(form.amount_to.data) if form.amount_to.data else None,
        kind=form.kind.data or "",
        flagged=bool(form.flagged.data),
    )


_payee = aliased(Party, name="payee")
_payer = aliased(Party, name="payer")


def _joined(stmt: sa.Select) -> sa.Select:
    return (
        stmt.join(Project, Project.id == Transaction.project_id)
        .outerjoin(BudgetLine, BudgetLine.id == Transaction.budget_line_id)
        .outerjoin(_payee, _payee.id == Transaction.payee_id)
        .outerjoin(_payer, _payer.id == Transaction.payer_id)
    )


def _conditions(filters: SpendingFilters) -> list:
    conditions = [Transaction.is_deleted.is_(False), Project.is_deleted.is_(False)]
    if filters.project:
        conditions.append(sa.func.lower(Project.code) == filters.project.lower())
    if filters.line:
        conditions.append(sa.func.lower(BudgetLine.code) == filters.line.lower())
    if filters.payee:
        conditions.append(
            sa.func.lower(_payee.name).contains(filters.payee.lower(), autoescape=True)
        )
    if filters.date_from:
        conditions.append(Transaction.transaction_date >= filters.date_from)
    if filters.date_to:
        conditions.append(Transaction.transaction_date <= filters.date_to)
    if filters.amount_from is not None:
        conditions.append(Transaction.project_amount >= filters.amount_from)
    if filters.amount_to is not None:
        conditions.append(Transaction.project_amount <= filters.amount_to)
    if filters.kind:
        conditions.append(Transaction.kind == TransactionKind(filters.kind))
    if filters.flagged:
        conditions.append(Transaction.id.in_(flags.flagged_ids_select()))
    return conditions


def spending_list(filters: SpendingFilters) -> sa.Select:
    """Return the live transactions of live projects matching ``filters``, newest first."""
    return (
        _joined(sa.select(Transaction))
        .where(*_conditions(filters))
        .options(
            contains_eager(Transaction.project),
            contains_eager(Transaction.budget_line),
            contains_eager(Transaction.payee.of_type(_payee)),
            contains_eager(Transaction.payer.of_type(_payer)),
        )
        .order_by(Transaction.transaction_date.desc(), Transaction.id.desc())
    )


def spending_totals(filters: SpendingFilters) -> dict[str, dict]:
    """Return ``{currency: {kind: (count, total)}}`` of the filtered transactions (one query).

    Totals are sums, in SQL, of the amounts in each project's currency.
    """
    stmt = (
        _joined(
            sa.select(
                Project.currency,
                Transaction.kind,
                sa.func.count(Transaction.id),
                sa.func.sum(Transaction.project_amount),
            ).select_from(Transaction)
        )
        .where(*_conditions(filters))
        .group_by(Project.currency, Transaction.kind)
        .order_by(Project.currency, Transaction.kind)
    )
    totals: dict[str, dict] = {}
    for currency, kind, count, total in db.session.execute(stmt):
        totals.setdefault(currency, {})[TransactionKind(kind)] = (count, total)
    return totals


# --- the spending list and its export -------------------------------------------------------


@bp.route("/audit/spending/")
@permission_required(Action.VIEW_SPENDING)
def index():
    """List every project's transactions, filtered, with totals per project currency."""
    form, filters = _filters()
    page = db.paginate(spending_list(filters), per_page=PER_PAGE, error_out=False)
    ids = [tx.id for tx in page.items]
    flagged = set()
    if ids:
        union = flags.flagged_ids_select().subquery()
        flagged = set(db.session.scalars(sa.select(union.c.id).where(union.c.id.in_(ids))))
    return render_template(
        "budgets/spending.html",
        form=form,
        page=page,
        filters=filters,
        args=filters.args(),
        totals=spending_totals(filters),
        flagged=flagged,
    )


@bp.route("/audit/spending/export.csv")
@permission_required(Action.VIEW_SPENDING)
def export():
    """Download the filtered transactions as CSV, streamed in constant memory."""
    form, filters = _filters()
    if form.errors:
        abort(
            400,
            "The filters are not valid: "
            + "; ".join(
                f"{form[name].label.text}: {' '.join(msgs)}" for name, msgs in form.errors.items()
            ),
        )
    record(
        "spending.export",
        summary="Exported the spending list as CSV",
        changes={"filters": filters.args()},
    )
    db.session.commit()
    flagged = flags.flagged_ids_select().subquery()
    stmt = (
        _joined(
            sa.select(
                Transaction.id,
                Project.code,
                Transaction.kind,
                Transaction.transaction_date,
                Transaction.amount,
                Transaction.currency,
                Transaction.rate,
                Transaction.project_amount,
                Project.currency,
                BudgetLine.code,
                Contract.reference,
                _payer.name,
                _payee.name,
                Transaction.reference,
                Transaction.description,
                sa.case((Transaction.id.in_(sa.select(flagged.c.id)), "yes"), else_=""),
            ).select_from(Transaction)
        )
        .outerjoin(Contract, Contract.id == Transaction.contract_id)
        .where(*_conditions(filters))
        .order_by(Transaction.transaction_date, Transaction.id)
    )

    def rows():
        # Its own connection: the request's session may be closed before the
        # client has read the whole download.
        with db.engine.connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(stmt):
                values = list(row)
                values[2] = TransactionKind(values[2]).value
                values[3] = values[3].isoformat()
                values[4] = f"{values[4]:.2f}"
                values[6] = str(values[6])
                values[7] = f"{values[7]:.2f}"
                yield values

    return csv_download(
        stream_with_context(stream_csv(EXPORT_COLUMNS, rows())), "pptracker-spending.csv"
    )


# --- red flags ---------------------------------------------------------------------------------


@bp.route("/audit/flags/")
@permission_required(Action.VIEW_SPENDING)
def red_flags():
    """Show the portfolio's red flags (or one project's), grouped by kind, with their reasons."""
    code = request.args.get("project", "").strip()
    project = None
    if code:
        project = get_project(code)
        if project is None:
            abort(404)
    found = flags.portfolio_flags([project.id] if project else None)
    return render_template(
        "budgets/flags.html",
        groups=flags.group_by_kind(found),
        rules=flags.rules(),
        total=len(found),
        project=project,
    )


# --- the CSV import ----------------------------------------------------------------------------


@bp.route("/budget/template.csv")
@permission_required(Action.EDIT_BUDGET)
def template():
    """Download an import template: the header and one example row."""
    return csv_download(csvio.template_csv(), "transactions-template.csv")


@bp.route("/manage/projects/<code>/budget/import", methods=["GET", "POST"])
@permission_required(Action.EDIT_BUDGET)
def import_transactions(code: str):
    """Import transactions from a CSV file: every row, or none and the list of problems."""
    project = visible_project_or_404(code)
    require(Action.EDIT_BUDGET, project)
    form = csv_import_form("transactions", max_rows=csvio.MAX_ROWS, max_bytes=csvio.MAX_BYTES)
    errors: list[csvio.RowError] = []
    if form.validate_on_submit():
        # Read one byte past the limit, so a larger file is recognised as such.
        data = form.file.data.read(csvio.MAX_BYTES + 1)
        result = csvio.import_transactions(project, data, actor=current_user._get_current_object())
        if result.ok:
            db.session.commit()
            count = result.created
            flash(f"{count:,} transaction{'' if count == 1 else 's'} imported.", "success")
            return redirect(url_for("budgets.transactions", code=project.code))
        db.session.rollback()
        errors = result.errors
    status = 400 if errors or form.errors else 200
    return render_template(
        "budgets/import.html",
        project=project,
        form=form,
        errors=errors,
        columns=csvio.COLUMNS,
        max_rows=csvio.MAX_ROWS,
    ), status
