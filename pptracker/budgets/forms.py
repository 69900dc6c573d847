"""Budget line and transaction forms."""

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from pptracker import codelists
from pptracker.budgets.models import BudgetCategory, TransactionKind
from pptracker.budgets.services import BudgetLineData, TransactionData
from pptracker.forms import VersionField, blank_to_none, optional_int

CATEGORIES = {
    BudgetCategory.CAPEX.value: "Capital expenditure",
    BudgetCategory.OPEX.value: "Operating expenditure",
    BudgetCategory.FINANCING.value: "Financing",
    BudgetCategory.CONTINGENCY.value: "Contingency",
    BudgetCategory.LAND.value: "Land acquisition",
    BudgetCategory.SUPERVISION.value: "Supervision",
    BudgetCategory.OTHER.value: "Other",
}
KINDS = {
    TransactionKind.COMMITMENT.value: "Commitment (an obligation entered)",
    TransactionKind.PAYMENT.value: "Payment (money out)",
    TransactionKind.RECEIPT.value: "Receipt (money in)",
}
KIND_LABELS = {
    TransactionKind.COMMITMENT.value: "Commitment",
    TransactionKind.PAYMENT.value: "Payment",
    TransactionKind.RECEIPT.value: "Receipt",
}


def _party_choices(parties, blank: str):
    return [("", blank)] + [(p.id, p.name) for p in parties]


class BudgetLineForm(FlaskForm):
    """Add or edit a budget line."""

    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=30)],
        description="Unique within the project, e.g. CAP-01.",
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    category = SelectField("Category", choices=CATEGORIES, validators=[DataRequired()])
    planned_amount = DecimalField(
        "Planned amount",
        places=2,
        validators=[InputRequired(), NumberRange(min=0)],
        description="In the project currency; zero is allowed.",
    )
    funding_source_id = SelectField("Funding source", coerce=optional_int, validators=[Optional()])
    start_date = DateField("Start date", validators=[Optional()])
    end_date = DateField("End date", validators=[Optional()])
    version = VersionField()

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.funding_source_id.choices = _party_choices(parties, "None")

    def to_data(self) -> BudgetLineData:
        """Return the submitted values for the service."""
        return BudgetLineData(
            code=self.code.data,
            name=self.name.data,
            category=BudgetCategory(self.category.data),
            planned_amount=self.planned_amount.data,
            funding_source_id=self.funding_source_id.data,
            start_date=self.start_date.data,
            end_date=self.end_date.data,
        )


class TransactionForm(FlaskForm):
    """Record or correct a commitment, payment or receipt."""

    kind = SelectField("Kind", choices=KINDS, validators=[DataRequired()])
    transaction_date = DateField("Date", validators=[DataRequired()])
    amount = DecimalField(
        "Amount",
        places=2,
        validators=[InputRequired()],
        description="More than zero: the kind says which way the money goes.",
    )
    currency = SelectField("Currency", validators=[DataRequired()])
    rate = DecimalField(
        "Exchange rate",
        places=8,
        validators=[Optional()],
        description="Units of the project currency per unit of this currency, up to 8 decimals. "
        "Leave empty when the amount is in the project currency.",
    )
    budget_line_id = SelectField("Budget line", coerce=optional_int, validators=[Optional()])
    contract_id = SelectField("Contract", coerce=optional_int, validators=[Optional()])
    milestone_id = SelectField("Milestone", coerce=optional_int, validators=[Optional()])
    payer_id = SelectField("Payer", coerce=optional_int, validators=[Optional()])
    payee_id = SelectField("Payee", coerce=optional_int, validators=[Optional()])
    reference = StringField(
        "Reference",
        filters=[blank_to_none],
        validators=[Optional(), Length(max=80)],
        description="Invoice or payment certificate number.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    scheduled_payment_id = SelectField(
        "Scheduled payment",
        coerce=optional_int,
        validators=[Optional()],
        description="For a payment that settles a government payment of the payment schedule "
        "(operations); in the scheduled payment's currency and under its contract.",
    )
    version = VersionField()

    def __init__(
        self, *args, lines=(), contracts=(), milestones=(), parties=(), scheduled=(), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.currency.choices = {
            code: f"{code} – {name}" for code, name in codelists.codelist("currency").items()
        }
        self.budget_line_id.choices = [("", "No budget line")] + [
            (line.id, f"{line.code} – {line.name}") for line in lines
        ]
        self.contract_id.choices = [("", "None")] + [
            (c.id, f"{c.reference} – {c.title}") for c in contracts
        ]
        self.milestone_id.choices = [("", "None")] + [(m.id, m.title) for m in milestones]
        self.payer_id.choices = _party_choices(parties, "Not recorded")
        self.payee_id.choices = _party_choices(parties, "Not recorded")
        self.scheduled_payment_id.choices = [("", "None")] + [(p.id, p.label) for p in scheduled]

    def to_data(self) -> TransactionData:
        """Return the submitted values for the service."""
        return TransactionData(
            kind=TransactionKind(self.kind.data),
            transaction_date=self.transaction_date.data,
            amount=self.amount.data,
            currency=self.currency.data,
            rate=self.rate.data,
            budget_line_id=self.budget_line_id.data,
            contract_id=self.contract_id.data,
            milestone_id=self.milestone_id.data,
            payer_id=self.payer_id.data,
            payee_id=self.payee_id.data,
            reference=self.reference.data,
            description=self.description.data or "",
            scheduled_payment_id=self.scheduled_payment_id.data,
        )
