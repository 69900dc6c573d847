"""Contract, amendment, risk and fiscal commitment forms."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from pptracker import codelists
from pptracker.contracts.models import (
    Allocation,
    AmendmentType,
    CommitmentNature,
    CommitmentType,
    ContractStatus,
    PaymentMechanism,
)
from pptracker.contracts.services import AmendmentData, CommitmentData, ContractData, RiskData
from pptracker.forms import VersionField, blank_to_none

PARTY_ROWS = 6

STATUSES = {
    ContractStatus.PRE_AWARD.value: "Pre-award",
    ContractStatus.ACTIVE.value: "Active",
    ContractStatus.CLOSED.value: "Closed",
}
MECHANISMS = {
    PaymentMechanism.USER_PAYS.value: "User pays (tolls, tariffs)",
    PaymentMechanism.GOVERNMENT_PAYS.value: "Government pays (availability)",
    PaymentMechanism.HYBRID.value: "Hybrid",
}
AMENDMENT_TYPES = {
    AmendmentType.VALUE.value: "Value",
    AmendmentType.DURATION.value: "Duration",
    AmendmentType.SCOPE.value: "Scope",
}
ALLOCATIONS = {
    Allocation.PUBLIC.value: "Public authority",
    Allocation.PRIVATE.value: "Private party",
    Allocation.SHARED.value: "Shared",
}
COMMITMENT_TYPES = {
    CommitmentType.GUARANTEE.value: "Guarantee",
    CommitmentType.SUBSIDY.value: "Subsidy / grant",
    CommitmentType.AVAILABILITY_PAYMENT.value: "Availability payments",
    CommitmentType.SERVICE_PAYMENT.value: "Service payments",
    CommitmentType.LAND_OR_ASSET_TRANSFER.value: "Land or asset transfer",
    CommitmentType.OTHER.value: "Other support",
}
NATURES = {
    CommitmentNature.DIRECT.value: "Direct (certain)",
    CommitmentNature.CONTINGENT.value: "Contingent (if triggered)",
}


def _currencies() -> dict[str, str]:
    return {
        "": "Choose a currency",
        **{c: f"{c} – {t}" for c, t in codelists.codelist("currency").items()},
    }


class ConfidentialFields:
    """The confidential flag and its reason, for every disclosable record."""

    confidential = BooleanField("Confidential (withheld from the public)")
    confidential_reason = StringField(
        "Reason it is withheld",
        filters=[blank_to_none],
        validators=[Optional(), Length(max=500)],
        description="Shown to the public in place of the record.",
    )

    def validate_confidential(self, field):
        """A confidential record must say why (checked here: the reason is optional)."""
        if field.data and not self.confidential_reason.data:
            raise ValidationError("Say why this is confidential: give the reason below.")


class PartyRoleForm(Form):
    """One party of a contract, in one role (no CSRF: part of the contract form)."""

    party_id = SelectField("Party", coerce=lambda v: int(v) if v else None, validators=[Optional()])
    role = SelectField("Role", validators=[Optional()])


class ContractForm(ConfidentialFields, FlaskForm):
    """Register or edit a contract."""

    reference = StringField("Reference", validators=[DataRequired(), Length(max=60)])
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Scope of work", validators=[Optional(), Length(max=20000)])
    nature = SelectMultipleField(
        "Nature", validators=[Optional()], description="Hold Ctrl (or Cmd) to choose several."
    )
    status = SelectField("Status", choices=STATUSES, validators=[DataRequired()])
    procurement_method = SelectField(
        "Procurement method", filters=[blank_to_none], validators=[Optional()]
    )
    procurement_method_details = StringField(
        "Procurement details", filters=[blank_to_none], validators=[Optional(), Length(max=500)]
    )
    number_of_tenderers = IntegerField(
        "Number of tenderers", validators=[Optional(), NumberRange(min=0)]
    )
    payment_mechanism = SelectField(
        "Payment mechanism", choices=MECHANISMS, validators=[DataRequired()]
    )
    signature_date = DateField("Signed on", validators=[Optional()])
    financial_close_date = DateField("Financial close", validators=[Optional()])
    initial_value = DecimalField(
        "Initial value",
        places=2,
        validators=[InputRequired(), NumberRange(min=0)],
        description="As signed; never overwritten once signed.",
    )
    currency = SelectField("Currency", validators=[DataRequired()])
    initial_start = DateField("Initial start", validators=[Optional()])
    initial_end = DateField("Initial end", validators=[Optional()])
    parties = FieldList(FormField(PartyRoleForm), min_entries=PARTY_ROWS, max_entries=20)
    version = VersionField()

    def __init__(self, *args, party_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.nature.choices = codelists.contract_natures()
        self.procurement_method.choices = {"": "Not given", **codelists.codelist("method")}
        self.currency.choices = _currencies()
        roles = {"": "Choose a role", **codelists.party_roles()}
        for entry in self.parties:
            entry.party_id.choices = {"": "No party", **(party_choices or {})}
            entry.role.choices = roles

    def validate_initial_end(self, field):
        """Refuse an end before the start."""
        if field.data and self.initial_start.data and field.data < self.initial_start.data:
            raise ValidationError("The end cannot be before the start.")

    def validate_parties(self, field):
        """Each chosen party needs a role, and each role a party."""
        for entry in field:
            if bool(entry.party_id.data) != bool(entry.role.data):
                raise ValidationError("Give each party a role (or leave both empty).")

    def to_data(self) -> ContractData:
        """Return the submitted values for the service."""
        return ContractData(
            reference=self.reference.data,
            title=self.title.data,
            status=ContractStatus(self.status.data),
            payment_mechanism=PaymentMechanism(self.payment_mechanism.data),
            initial_value=self.initial_value.data,
            currency=self.currency.data,
            nature=self.nature.data or [],
            description=self.description.data or "",
            procurement_method=self.procurement_method.data,
            procurement_method_details=self.procurement_method_details.data,
            number_of_tenderers=self.number_of_tenderers.data,
            signature_date=self.signature_date.data,
            financial_close_date=self.financial_close_date.data,
            initial_start=self.initial_start.data,
            initial_end=self.initial_end.data,
            confidential=self.confidential.data,
            confidential_reason=self.confidential_reason.data,
            parties=[
                (e.party_id.data, e.role.data)
                for e in self.parties
                if e.party_id.data and e.role.data
            ],
        )


class AmendmentForm(ConfidentialFields, FlaskForm):
    """Record an amendment (it can never be edited afterwards)."""

    type = SelectField("Type of change", choices=AMENDMENT_TYPES, validators=[DataRequired()])
    amended_on = DateField("Date of the amendment", validators=[DataRequired()])
    rationale = TextAreaField(
        "Rationale",
        validators=[DataRequired(), Length(max=20000)],
        description="Why the contract changed. Required.",
    )
    description = TextAreaField("What changed", validators=[Optional(), Length(max=20000)])
    approved_by = StringField(
        "Approved by",
        validators=[DataRequired(), Length(max=200)],
        description="The person or body that approved it.",
    )
    approved_on = DateField("Approved on", validators=[DataRequired()])
    new_value = DecimalField(
        "New contract value",
        places=2,
        validators=[Optional(), NumberRange(min=0)],
        description="For a value change: the value after this amendment.",
    )
    new_start = DateField("New start", validators=[Optional()])
    new_end = DateField(
        "New end",
        validators=[Optional()],
        description="For a duration change: the end after this amendment.",
    )

    def to_data(self) -> AmendmentData:
        """Return the submitted values for the service."""
        return AmendmentData(
            amended_on=self.amended_on.data,
            type=AmendmentType(self.type.data),
            rationale=self.rationale.data,
            approved_by=self.approved_by.data,
            approved_on=self.approved_on.data,
            description=self.description.data or "",
            new_value=self.new_value.data,
            new_start=self.new_start.data,
            new_end=self.new_end.data,
            confidential=self.confidential.data,
            confidential_reason=self.confidential_reason.data,
        )


class ConfidentialityForm(ConfidentialFields, FlaskForm):
    """Withhold a record from the public, or release it."""


class RiskForm(ConfidentialFields, FlaskForm):
    """One row of the risk allocation matrix."""

    category = SelectField("Risk category", validators=[DataRequired()])
    allocation = SelectField("Borne by", choices=ALLOCATIONS, validators=[DataRequired()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    mitigation = TextAreaField("Mitigation", validators=[Optional(), Length(max=5000)])
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = {"": "Choose a category", **codelists.RISK_CATEGORIES}

    def to_data(self) -> RiskData:
        """Return the submitted values for the service."""
        return RiskData(
            category=self.category.data,
            allocation=Allocation(self.allocation.data),
            description=self.description.data or "",
            mitigation=self.mitigation.data or "",
            confidential=self.confidential.data,
            confidential_reason=self.confidential_reason.data,
        )


class CommitmentForm(ConfidentialFields, FlaskForm):
    """A fiscal commitment of the government."""

    type = SelectField("Type", choices=COMMITMENT_TYPES, validators=[DataRequired()])
    nature = SelectField("Direct or contingent", choices=NATURES, validators=[DataRequired()])
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=5000)],
        description="E.g. the trigger of a guarantee, the beneficiary.",
    )
    max_exposure = DecimalField(
        "Maximum exposure", places=2, validators=[InputRequired(), NumberRange(min=0)]
    )

    currency = SelectField("Currency", validators=[DataRequired()])
    contract_id = SelectField(
        "Under contract", coerce=lambda v: int(v) if v else None, validators=[Optional()]
    )
    start_date = DateField("From", validators=[Optional()])
    end_date = DateField("Until", validators=[Optional()])
    version = VersionField()

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = _currencies()
        self.contract_id.choices = {
            "": "Project-wide",
            **{c.id: f"{c.reference} – {c.title}" for c in contracts},
        }

    def validate_end_date(self, field):
        """Refuse an end before the start."""
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end cannot be before the start.")

    def to_data(self) -> CommitmentData:
        """Return the submitted values for the service."""
        return CommitmentData(
            type=CommitmentType(self.type.data),
            nature=CommitmentNature(self.nature.data),
            max_exposure=self.max_exposure.data,
            currency=self.currency.data,
            description=self.description.data or "",
            contract_id=self.contract_id.data,
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            confidential=self.confidential.data,
            confidential_reason=self.confidential_reason.data,
        )
