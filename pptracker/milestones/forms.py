"""Milestone, quick progress update and re-baseline forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from pptracker import codelists
from pptracker.documents.services import DocumentData
from pptracker.forms import VersionField, blank_to_none, optional_int
from pptracker.milestones.models import MilestoneStatus
from pptracker.milestones.services import MilestoneData

STATUSES = {
    MilestoneStatus.SCHEDULED.value: "Scheduled",
    MilestoneStatus.IN_PROGRESS.value: "In progress",
    MilestoneStatus.MET.value: "Met",
    MilestoneStatus.PARTIALLY_MET.value: "Partially met",
    MilestoneStatus.NOT_MET.value: "Not met",
    MilestoneStatus.CANCELLED.value: "Cancelled",
}
EVIDENCE_LABELS = {
    "physicalProgressReport": "Physical progress report",
    "completionCertificate": "Completion certificate",
}


class MilestoneForm(FlaskForm):
    """Add or edit a milestone."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    type = SelectField("Type", validators=[DataRequired()])
    code = SelectField(
        "PPP milestone",
        filters=[blank_to_none],
        validators=[Optional()],
        description="Key PPP milestones (financial close, completion …) are tracked for slippage.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    contract_id = SelectField("Under contract", coerce=optional_int, validators=[Optional()])
    baseline_date = DateField(
        "Baseline date",
        validators=[Optional()],
        description="The committed date. Fixed once approved; then only a re-baseline moves it.",
    )
    forecast_date = DateField("Forecast date", validators=[Optional()])
    actual_date = DateField(
        "Actual date",
        validators=[Optional()],
        description="When it was reached; not in the future.",
    )
    status = SelectField("Status", choices=STATUSES, validators=[DataRequired()])
    percent_complete = IntegerField(
        "Percent complete", default=0, validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    weight = IntegerField(
        "Weight",
        default=1,
        validators=[InputRequired(), NumberRange(min=0)],
        description="Its share of the project's physical progress, relative to the others.",
    )
    planned_value = DecimalField(
        "Planned value",
        places=2,
        validators=[Optional(), NumberRange(min=0)],
        description="Budgeted cost of the work it completes, in the project currency.",
    )
    version = VersionField()

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = {"": "Choose a type", **codelists.codelist("milestoneType")}
        self.code.choices = {"": "None", **codelists.codelist("milestoneCode")}
        self.contract_id.choices = [("", "Project-wide")] + [
            (c.id, f"{c.reference} – {c.title}") for c in contracts
        ]

    def to_data(self) -> MilestoneData:
        """Return the submitted values for the service."""
        return MilestoneData(
            title=self.title.data,
            type=self.type.data,
            code=self.code.data,
            description=self.description.data or "",
            contract_id=self.contract_id.data,
            baseline_date=self.baseline_date.data,
            forecast_date=self.forecast_date.data,
            actual_date=self.actual_date.data,
            status=MilestoneStatus(self.status.data),
            percent_complete=self.percent_complete.data,
            weight=self.weight.data,
            planned_value=self.planned_value.data,
        )


class QuickUpdateForm(FlaskForm):
    """Report progress on a milestone, with evidence if there is some."""

    status = SelectField("Status", choices=STATUSES, validators=[DataRequired()])
    percent_complete = IntegerField(
        "Percent complete", validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    forecast_date = DateField(
        "Forecast date", validators=[Optional()], description="When it is now expected."
    )
    actual_date = DateField(
        "Actual date",
        validators=[Optional()],
        description="When it was reached; not in the future.",
    )
    note = TextAreaField(
        "Note",
        validators=[Optional(), Length(max=5000)],
        description="What happened since the last update.",
    )
    evidence = FileField(
        "Evidence file (optional)", description="A photo, progress report or certificate."
    )
    evidence_title = StringField(
        "Title of the evidence", filters=[blank_to_none], validators=[Optional(), Length(max=200)]
    )
    evidence_type = SelectField(
        "Kind of evidence", choices=EVIDENCE_LABELS, default="physicalProgressReport"
    )
    evidence_public = BooleanField("Publish the evidence file with the project")
    version = VersionField()

    def evidence_data(self, milestone) -> DocumentData:
        """Return the description of the evidence file for the documents service."""
        return DocumentData(
            title=self.evidence_title.data or f"Evidence: {milestone.title}"[:200],
            document_type=self.evidence_type.data,
            public=bool(self.evidence_public.data),
        )


class RebaselineForm(FlaskForm):
    """Move an approved baseline, saying why."""

    new_date = DateField("New baseline date", validators=[DataRequired()])
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(), Length(max=5000)],
        description="Kept with the baseline history, for everyone who sees the milestone.",
    )
    amendment_id = SelectField(
        "Contract amendment",
        coerce=optional_int,
        validators=[Optional()],
        description="The amendment that moved the date, if any.",
    )
    version = VersionField()

    def __init__(self, *args, amendments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.amendment_id.choices = [("", "None")] + [
            (a.id, f"{a.contract.reference}, amendment {a.number} ({a.amended_on})")
            for a in amendments
        ]
