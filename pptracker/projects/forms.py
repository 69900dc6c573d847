"""Project and party forms."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    FloatField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from pptracker import codelists
from pptracker.forms import VersionField, blank_to_none
from pptracker.projects.services import PartyData, ProjectData


def _code_choices(name: str, blank: str | None = None):
    return codelists.choices(name, blank=blank)


class ProjectForm(FlaskForm):
    """Create or edit a project."""

    code = StringField(
        "Code",
        validators=[DataRequired(), Length(min=2, max=40)],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        description="Lower-case letters, digits and hyphens; it becomes part of public URLs.",
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=10000)])
    purpose = TextAreaField("Purpose", validators=[Optional(), Length(max=10000)])
    sector = SelectField("Sector", validators=[DataRequired()])
    type = SelectField("Project type", validators=[DataRequired()])
    status = SelectField("Status", validators=[DataRequired()])
    ppp_model = SelectField("PPP model", validators=[DataRequired()])
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    latitude = FloatField("Latitude", validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField("Longitude", validators=[Optional(), NumberRange(-180, 180)])
    public_authority_id = SelectField("Public authority", coerce=int, validators=[DataRequired()])
    private_party_id = SelectField(
        "Private party (SPV)", coerce=lambda v: int(v) if v else None, validators=[Optional()]
    )
    currency = SelectField("Currency", validators=[DataRequired()])
    budget_amount = DecimalField(
        "Budget",
        places=2,
        validators=[Optional(), NumberRange(min=0)],
        description="In the project currency.",
    )
    planned_start = DateField("Planned start", validators=[Optional()])
    planned_end = DateField("Planned end", validators=[Optional()])
    version = VersionField()

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = _code_choices("projectSector", "Choose a sector")
        self.type.choices = _code_choices("projectType", "Choose a type")
        self.status.choices = _code_choices("projectStatus", "Choose a status")
        self.ppp_model.choices = {"": "Choose a model", **codelists.PPP_MODELS}
        self.currency.choices = {
            "": "Choose a currency",
            **{c: f"{c} – {t}" for c, t in codelists.codelist("currency").items()},
        }
        party_choices = {p.id: p.name for p in parties}
        self.public_authority_id.choices = {0: "Choose a party", **party_choices}
        self.private_party_id.choices = {"": "None yet", **party_choices}

    def validate_planned_end(self, field):
        """Refuse an end before the start."""
        if field.data and self.planned_start.data and field.data < self.planned_start.data:
            raise ValidationError("The planned end cannot be before the planned start.")

    def to_data(self) -> ProjectData:
        """Return the submitted values for the service."""
        return ProjectData(
            code=self.code.data,
            title=self.title.data,
            sector=self.sector.data,
            type=self.type.data,
            status=self.status.data,
            ppp_model=self.ppp_model.data,
            public_authority_id=self.public_authority_id.data,
            currency=self.currency.data,
            description=self.description.data or "",
            purpose=self.purpose.data or "",
            location=self.location.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            private_party_id=self.private_party_id.data,
            budget_amount=self.budget_amount.data,
            planned_start=self.planned_start.data,
            planned_end=self.planned_end.data,
        )


class PartyForm(FlaskForm):
    """Create or edit a party."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    roles = SelectMultipleField(
        "Roles", validators=[Optional()], description="Hold Ctrl (or Cmd) to choose several."
    )
    identifier_scheme = StringField(
        "Identifier scheme",
        filters=[blank_to_none],
        validators=[Optional(), Length(max=40)],
        description="An org-id.guide list code, e.g. GB-COH.",
    )
    identifier_id = StringField(
        "Identifier", filters=[blank_to_none], validators=[Optional(), Length(max=80)]
    )
    country = SelectField("Country", filters=[blank_to_none], validators=[Optional()])
    street_address = StringField(
        "Street address", filters=[blank_to_none], validators=[Optional(), Length(max=200)]
    )
    locality = StringField(
        "Town or city", filters=[blank_to_none], validators=[Optional(), Length(max=100)]
    )
    region = StringField(
        "Region", filters=[blank_to_none], validators=[Optional(), Length(max=100)]
    )
    postal_code = StringField(
        "Postal code", filters=[blank_to_none], validators=[Optional(), Length(max=20)]
    )
    contact_name = StringField(
        "Contact name", filters=[blank_to_none], validators=[Optional(), Length(max=120)]
    )
    contact_email = EmailField(
        "Contact email",
        filters=[blank_to_none],
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    contact_telephone = StringField(
        "Contact telephone", filters=[blank_to_none], validators=[Optional(), Length(max=40)]
    )
    url = URLField(
        "Website",
        filters=[blank_to_none],
        validators=[
            Optional(),
            Length(max=300),
            Regexp(r"^https?://[^\s/]+", message="Give an http:// or https:// address."),
        ],
    )
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = codelists.party_roles()
        self.country.choices = {"": "Not given", **codelists.codelist("country")}

    def to_data(self) -> PartyData:
        """Return the submitted values for the service."""
        return PartyData(
            **{name: getattr(self, name).data for name in PartyData.__dataclass_fields__}
        )


class AssignManagersForm(FlaskForm):
    """Choose the managers of a project."""

    managers = SelectMultipleField(
        "Managers",
        coerce=int,
        validators=[Optional()],
        description="Hold Ctrl (or Cmd) to choose several.",
    )
