"""Audit log filters and the findings forms."""

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from pptracker.audit.models import Severity
from pptracker.audit.services import FindingData
from pptracker.forms import VersionField

SEVERITIES = {s.value: s.value.capitalize() for s in Severity}


class AuditFilterForm(FlaskForm):
    """The audit log's filters (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    project = StringField("Project code", validators=[Optional(), Length(max=40)])
    entity_type = SelectField("Record type", validators=[Optional()])
    actor = StringField("Actor (email or cli:…)", validators=[Optional(), Length(max=254)])
    action = StringField(
        "Action",
        validators=[Optional(), Length(max=40)],
        description="e.g. create, update, delete, sign_in, publish",
    )
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    q = StringField("Summary contains", validators=[Optional(), Length(max=200)])

    def __init__(self, *args, entity_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.entity_type.choices = {"": "Any", **{t: t for t in entity_types}}

    def validate_date_to(self, field):
        """Refuse a range that ends before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            from wtforms.validators import ValidationError

            raise ValidationError("The end of the range is before its start.")


class FindingForm(FlaskForm):
    """Raise a finding."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("What was found", validators=[DataRequired(), Length(max=20000)])
    severity = SelectField("Severity", choices=SEVERITIES, validators=[DataRequired()])
    entity_type = HiddenField()
    entity_id = HiddenField()

    def to_data(self) -> FindingData:
        """Return the submitted values for the service."""
        return FindingData(
            title=self.title.data,
            description=self.description.data,
            severity=Severity(self.severity.data),
        )


class AnswerForm(FlaskForm):
    """The managers' answer to a finding."""

    response = TextAreaField("Answer", validators=[DataRequired(), Length(max=20000)])
    version = VersionField()


class CloseForm(FlaskForm):
    """Close or reopen a finding, with an optional note."""

    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])
    version = VersionField()
