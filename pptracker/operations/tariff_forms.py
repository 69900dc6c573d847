"""Tariff forms: the tariff's details, and a change of its rate."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from pptracker import codelists
from pptracker.forms import VersionField, contract_choices, optional_int
from pptracker.operations.models import PaidBy
from pptracker.operations.tariff_services import RateChange, TariffData

PAID_BY = {PaidBy.USER.value: "Users", PaidBy.GOVERNMENT.value: "The government"}


def amendment_choices(contracts) -> dict:
    """Return the select choices for the amendments of a project's contracts."""
    choices = {"": "None"}
    for contract in contracts:
        for amendment in contract.amendments:
            choices[amendment.id] = (
                f"{contract.reference}, amendment {amendment.number} ({amendment.amended_on})"
            )
    return choices


class TariffForm(FlaskForm):
    """Edit a tariff's details (its rates change only through a rate change)."""

    contract_id = SelectField("Contract", coerce=optional_int, validators=[DataRequired()])
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=30)],
        description="Unique within the contract, e.g. T-CL1.",
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    paid_by = SelectField("Who pays", choices=PAID_BY, validators=[DataRequired()])
    payer_group = StringField(
        "Payer group",
        validators=[Optional(), Length(max=200)],
        description="Who pays, in words, e.g. “cars and vans, class 1”.",
    )
    unit = StringField(
        "Unit",
        validators=[DataRequired(), Length(max=60)],
        description="What one value buys, e.g. per trip, per m³, per kWh.",
    )
    currency = SelectField("Currency", validators=[DataRequired()])
    setting_method = TextAreaField(
        "How the tariff was set", validators=[Optional(), Length(max=5000)]
    )
    review_method = TextAreaField(
        "How and when it is reviewed or indexed", validators=[Optional(), Length(max=5000)]
    )
    confidential = BooleanField("Confidential (withheld from the public)")
    confidential_reason = StringField(
        "Reason it is confidential",
        validators=[Optional(), Length(max=500)],
        description="The public sees this reason in its place.",
    )
    version = VersionField()

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contract_id.choices = contract_choices(contracts)
        self.currency.choices = {
            code: f"{code} – {name}" for code, name in codelists.codelist("currency").items()
        }

    def to_data(self) -> TariffData:
        """Return the submitted values for the service."""
        return TariffData(
            contract_id=self.contract_id.data,
            code=self.code.data,
            title=self.title.data,
            paid_by=PaidBy(self.paid_by.data),
            unit=self.unit.data,
            currency=self.currency.data,
            payer_group=self.payer_group.data or "",
            setting_method=self.setting_method.data or "",
            review_method=self.review_method.data or "",
            confidential=bool(self.confidential.data),
            confidential_reason=self.confidential_reason.data,
        )


class RateForm(FlaskForm):
    """Record a new value of a tariff from a date on."""

    effective_from = DateField("In force from", validators=[InputRequired()])
    value = StringField(
        "Value",
        validators=[InputRequired(), Length(max=40)],
        description="Zero or more, up to four decimals, with a dot (e.g. 2.7500).",
    )
    reason = TextAreaField(
        "Reason for the change",
        validators=[DataRequired(), Length(max=5000)],
        description="E.g. yearly indexation to CPI (clause 14.2), or the regulator's decision.",
    )
    approved_by = StringField(
        "Approved by",
        validators=[Optional(), Length(max=200)],
        description="The regulator, the authority or the clause that decided it.",
    )
    amendment_id = SelectField(
        "Amendment",
        coerce=optional_int,
        validators=[Optional()],
        description="When a renegotiation of the contract changed the tariff.",
    )

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.amendment_id.choices = amendment_choices(contracts)

    def to_change(self) -> RateChange:
        """Return the submitted rate change for the service."""
        return RateChange(
            effective_from=self.effective_from.data,
            value=self.value.data,
            reason=self.reason.data,
            approved_by=self.approved_by.data or "",
            amendment_id=self.amendment_id.data,
        )


class NewTariffForm(TariffForm):
    """Add a tariff with its first rate."""

    effective_from = DateField("First value in force from", validators=[InputRequired()])
    value = RateForm.value
    reason = TextAreaField(
        "Reason for the first value",
        validators=[DataRequired(), Length(max=5000)],
        description="E.g. the contract's tariff schedule (schedule 7).",
    )
    approved_by = RateForm.approved_by
    amendment_id = SelectField("Amendment", coerce=optional_int, validators=[Optional()])

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, contracts=contracts, **kwargs)
        self.amendment_id.choices = amendment_choices(contracts)

    def to_change(self) -> RateChange:
        """Return the first rate for the service."""
        return RateForm.to_change(self)
