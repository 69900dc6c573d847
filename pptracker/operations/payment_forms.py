"""Forms of the payment schedule: one scheduled payment, a series, a CSV import."""

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from pptracker.contracts.forms import ConfidentialFields
from pptracker.forms import VersionField, optional_int
from pptracker.operations.models import PaymentType
from pptracker.operations.payment_services import (
    MAX_SERIES,
    TYPE_LABELS,
    ScheduledPaymentData,
)

TYPES = {value: label.capitalize() for value, label in TYPE_LABELS.items()}
STEPS = {
    1: "Every month",
    3: "Every quarter (3 months)",
    6: "Every half-year (6 months)",
    12: "Every year (12 months)",
}


class _PaymentFields(ConfidentialFields):
    contract_id = SelectField("Contract", coerce=optional_int, validators=[DataRequired()])
    type = SelectField("Type of payment", choices=TYPES, validators=[DataRequired()])
    period_start = DateField("First day of the period", validators=[DataRequired()])
    period_end = DateField("Last day of the period", validators=[DataRequired()])
    gross_amount = DecimalField(
        "Gross amount",
        places=2,
        validators=[InputRequired(), NumberRange(min=0)],
        description="Before deductions, in the contract's currency; zero or more, two decimals "
        "at most.",
    )
    due_date = DateField(
        "Due date",
        validators=[Optional()],
        description="When the government must pay; not before the period starts.",
    )
    fiscal_commitment_id = SelectField(
        "Fiscal commitment", coerce=optional_int, validators=[Optional()]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])

    def _choices(self, contracts, commitments):
        self.contract_id.choices = {
            "": "Choose a contract",
            **{c.id: f"{c.reference} – {c.title} ({c.currency})" for c in contracts},
        }
        self.fiscal_commitment_id.choices = {
            "": "None",
            **{
                c.id: f"{c.type.value} – {c.description[:60] or c.id} ({c.currency})"
                for c in commitments
            },
        }

    def to_data(self) -> ScheduledPaymentData:
        """Return the submitted values for the service."""
        return ScheduledPaymentData(
            contract_id=self.contract_id.data,
            type=PaymentType(self.type.data),
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            gross_amount=self.gross_amount.data,
            due_date=self.due_date.data,
            fiscal_commitment_id=self.fiscal_commitment_id.data,
            description=self.description.data or "",
            confidential=self.confidential.data,
            confidential_reason=self.confidential_reason.data,
        )


class ScheduledPaymentForm(_PaymentFields, FlaskForm):
    """Schedule, or correct, one government payment."""

    version = VersionField()

    def __init__(self, *args, contracts=(), commitments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._choices(contracts, commitments)


class SeriesForm(_PaymentFields, FlaskForm):
    """Schedule a payment for many periods at once: the first period, then every N months."""

    every_months = SelectField(
        "Repeat", choices=STEPS, coerce=int, validators=[InputRequired()], default=1
    )
    count = IntegerField(
        "Number of periods",
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SERIES)],
        description=f"Including the first; at most {MAX_SERIES}.",
    )

    def __init__(self, *args, contracts=(), commitments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._choices(contracts, commitments)
