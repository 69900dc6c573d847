"""KPI, observation, performance failure and KPI import forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from pptracker.documents.services import DocumentData
from pptracker.forms import VersionField, blank_to_none, contract_choices, optional_int
from pptracker.operations.kpi_services import FailureData, KpiData, ObservationData
from pptracker.operations.models import (
    Comparison,
    DeductionBasis,
    FailureCategory,
    Frequency,
    KpiSource,
    KpiUnit,
)

CATEGORIES = {
    FailureCategory.AVAILABILITY.value: "Availability",
    FailureCategory.SERVICE_QUALITY.value: "Service quality",
    FailureCategory.SAFETY.value: "Safety",
    FailureCategory.ENVIRONMENTAL.value: "Environmental",
    FailureCategory.MAINTENANCE.value: "Maintenance",
    FailureCategory.REPORTING.value: "Reporting",
    FailureCategory.OTHER.value: "Other",
}
UNITS = {
    KpiUnit.PERCENT.value: "Percent (0–100)",
    KpiUnit.COUNT.value: "Count (a whole number)",
    KpiUnit.HOURS.value: "Hours",
    KpiUnit.MINUTES.value: "Minutes",
    KpiUnit.DAYS.value: "Days",
    KpiUnit.NUMBER.value: "Number (an index, a score …)",
    KpiUnit.YES_NO.value: "Yes or no (1 = yes, 0 = no)",
}
COMPARISONS = {
    Comparison.AT_LEAST.value: "At least the target (higher is better)",
    Comparison.AT_MOST.value: "At most the target (lower is better)",
}
FREQUENCIES = {
    Frequency.MONTHLY.value: "Monthly",
    Frequency.QUARTERLY.value: "Quarterly",
    Frequency.HALF_YEARLY.value: "Half-yearly",
    Frequency.YEARLY.value: "Yearly",
}
SOURCES = {
    KpiSource.OPERATOR.value: "Operator",
    KpiSource.INDEPENDENT_ENGINEER.value: "Independent engineer",
    KpiSource.PUBLIC_AUTHORITY.value: "Public authority",
    KpiSource.USER_SURVEY.value: "User survey",
}
BASES = {
    DeductionBasis.NONE.value: "No deduction (monitored only)",
    DeductionBasis.AMOUNT.value: "A fixed amount per failure event",
    DeductionBasis.PERCENT.value: "A percentage of the period's scheduled payment per event",
}
EVIDENCE_LABELS = {
    "performanceReport": "Performance report",
    "technicalAuditReport": "Technical audit report",
    "oversightReport": "Oversight (independent engineer) report",
}


class KpiForm(FlaskForm):
    """Add or edit a KPI."""

    contract_id = SelectField("Contract", coerce=optional_int, validators=[DataRequired()])
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=30)],
        description="Unique within the contract, e.g. AV-1.",
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    category = SelectField("Category", choices=CATEGORIES, validators=[DataRequired()])
    unit = SelectField("Unit", choices=UNITS, validators=[DataRequired()])
    comparison = SelectField("Target is met when the value is", choices=COMPARISONS)
    target = StringField(
        "Target",
        validators=[DataRequired()],
        description="In the KPI's unit: 98.5 for a percentage, 1 for yes.",
    )
    frequency = SelectField("Measured", choices=FREQUENCIES, validators=[DataRequired()])
    source = SelectField("Reported by", choices=SOURCES, validators=[DataRequired()])
    deduction_rule = TextAreaField(
        "Deduction rule",
        validators=[Optional(), Length(max=5000)],
        description="The contract's deduction clause, in its own words.",
    )
    deduction_basis = SelectField("Deduction per failure event", choices=BASES)
    deduction_amount = StringField(
        "Deduction amount per event",
        filters=[blank_to_none],
        description="In the contract currency, for a fixed-amount deduction.",
    )
    deduction_percent = StringField(
        "Deduction percentage per event",
        filters=[blank_to_none],
        description="0–100 % of the period's availability or service payment.",
    )
    confidential = BooleanField("Confidential (withheld from the public)")
    confidential_reason = StringField(
        "Reason for confidentiality",
        filters=[blank_to_none],
        validators=[Optional(), Length(max=500)],
        description="Shown to the public in place of the KPI.",
    )
    version = VersionField()

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contract_id.choices = contract_choices(contracts)

    def to_data(self) -> KpiData:
        """Return the submitted values for the service."""
        return KpiData(
            contract_id=self.contract_id.data,
            code=self.code.data,
            name=self.name.data,
            category=FailureCategory(self.category.data),
            unit=KpiUnit(self.unit.data),
            comparison=Comparison(self.comparison.data),
            target=self.target.data,
            frequency=Frequency(self.frequency.data),
            source=KpiSource(self.source.data),
            description=self.description.data or "",
            deduction_rule=self.deduction_rule.data or "",
            deduction_basis=DeductionBasis(self.deduction_basis.data),
            deduction_amount=self.deduction_amount.data,
            deduction_percent=self.deduction_percent.data,
            confidential=bool(self.confidential.data),
            confidential_reason=self.confidential_reason.data,
        )


class ObservationForm(FlaskForm):
    """Record or correct a KPI's value for a period, with evidence if there is some."""

    period = StringField("Period", validators=[DataRequired()])
    value = StringField("Value", validators=[DataRequired()])
    events = StringField(
        "Failure events",
        filters=[blank_to_none],
        description="How many failure events the period counts; empty means 1 when the "
        "target is missed, 0 when it is met.",
    )
    source = SelectField("Reported by", validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])
    evidence = FileField("Evidence file (optional)", description="The report the value comes from.")
    evidence_title = StringField(
        "Title of the evidence", filters=[blank_to_none], validators=[Optional(), Length(max=200)]
    )
    evidence_type = SelectField(
        "Kind of evidence", choices=EVIDENCE_LABELS, default="performanceReport"
    )
    evidence_public = BooleanField("Publish the evidence file with the project")
    version = VersionField()

    def __init__(self, *args, kpi=None, **kwargs):
        super().__init__(*args, **kwargs)
        default = SOURCES.get(kpi.source.value, kpi.source.value) if kpi is not None else ""
        self.source.choices = {"": f"The KPI's source ({default})", **SOURCES}
        if kpi is not None:
            from pptracker.operations import periods

            self.period.description = f"Written like {periods.example(kpi.frequency)}."

    def to_data(self, kpi_id: int) -> ObservationData:
        """Return the submitted values for the service."""
        return ObservationData(
            kpi_id=kpi_id,
            period=self.period.data,
            value=self.value.data,
            events=self.events.data,
            source=KpiSource(self.source.data) if self.source.data else None,
            note=self.note.data or "",
        )

    def evidence_data(self, kpi, period: str) -> DocumentData:
        """Return the description of the evidence file for the documents service."""
        return DocumentData(
            title=self.evidence_title.data or f"Evidence: {kpi.code} {period}"[:200],
            document_type=self.evidence_type.data,
            public=bool(self.evidence_public.data),
        )


class FailureForm(FlaskForm):
    """Record or correct a performance failure found outside the KPI observations."""

    contract_id = SelectField("Contract", coerce=optional_int, validators=[DataRequired()])
    category = SelectField("Category", choices=CATEGORIES, validators=[DataRequired()])
    period_start = DateField("Period from", validators=[DataRequired()])
    period_end = DateField("Period to", validators=[DataRequired()])
    events = StringField("Failure events", validators=[DataRequired()])
    penalty_contracted = DecimalField(
        "Penalty contracted",
        places=2,
        validators=[InputRequired()],
        description="What the contract's rule gives, in the contract currency.",
    )
    penalty_imposed = DecimalField(
        "Penalty imposed",
        places=2,
        validators=[InputRequired()],
        description="What the authority decided to apply.",
    )
    penalty_paid = DecimalField(
        "Penalty paid",
        places=2,
        validators=[InputRequired()],
        description="What was deducted or paid so far; not more than imposed.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    version = VersionField()

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contract_id.choices = contract_choices(contracts)

    def to_data(self) -> FailureData:
        """Return the submitted values for the service."""
        return FailureData(
            contract_id=self.contract_id.data,
            category=FailureCategory(self.category.data),
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            events=self.events.data,
            penalty_contracted=self.penalty_contracted.data,
            penalty_imposed=self.penalty_imposed.data,
            penalty_paid=self.penalty_paid.data,
            description=self.description.data or "",
        )


class LinkedFailureForm(FlaskForm):
    """Correct what was imposed and paid for a failure a KPI observation created."""

    penalty_imposed = DecimalField(
        "Penalty imposed",
        places=2,
        validators=[InputRequired()],
        description="What the authority decided to apply.",
    )
    penalty_paid = DecimalField(
        "Penalty paid",
        places=2,
        validators=[InputRequired()],
        description="What was deducted or paid so far; not more than imposed.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    version = VersionField()

    def to_data(self, failure) -> FailureData:
        """Return the failure's fixed facts with the submitted amounts."""
        return FailureData(
            contract_id=failure.contract_id,
            category=failure.category,
            period_start=failure.period_start,
            period_end=failure.period_end,
            events=failure.events,
            penalty_contracted=failure.penalty_contracted,
            penalty_imposed=self.penalty_imposed.data,
            penalty_paid=self.penalty_paid.data,
            description=self.description.data or "",
        )


class PeriodChoiceForm(FlaskForm):
    """Step 1 of recording a period: which contract, frequency and period (GET)."""

    class Meta:
        csrf = False

    contract_id = SelectField("Contract", coerce=optional_int, validators=[DataRequired()])
    frequency = SelectField("KPIs measured", choices=FREQUENCIES, validators=[DataRequired()])
    period = StringField(
        "Period",
        validators=[DataRequired()],
        description="Written like 2025-03 (month), 2025-Q1, 2025-H2 or 2025.",
    )

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contract_id.choices = contract_choices(contracts)
