"""Document forms: upload, and edit the description."""

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from pptracker import codelists
from pptracker.documents.services import DocumentData
from pptracker.documents.storage import ACCEPTED_TEXT
from pptracker.forms import VersionField, blank_to_none

#: The documentType codes a PPP team uploads most, offered first.
PPP_DOCUMENT_TYPES = (
    "contractSigned",
    "contractAmendment",
    "contractSummary",
    "riskProvisions",
    "paymentCertificate",
    "physicalProgressReport",
    "financialAuditReport",
)


def document_type_choices() -> list[tuple[str, str]]:
    """Return the documentType choices: a blank, the PPP ones, then the rest by title."""
    codes = codelists.codelist("documentType")
    first = [(code, codes[code]) for code in PPP_DOCUMENT_TYPES if code in codes]
    rest = sorted(
        ((code, title) for code, title in codes.items() if code not in PPP_DOCUMENT_TYPES),
        key=lambda item: item[1].lower(),
    )
    return [("", "Choose a type"), *first, *rest]


def _optional_int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Made before the description's fields: WTForms orders fields by creation, so
# the file comes first on the page and in the error summary.
_FILE = FileField("File", validators=[FileRequired("Choose a file to upload.")])


class _DescriptionForm(FlaskForm):
    """The fields that describe a document, shared by upload and edit."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    document_type = SelectField(
        "Document type",
        validators=[DataRequired(message="Choose a document type.")],
        description="From the OC4IDS documentType list; the most common PPP types come first.",
    )
    public = BooleanField(
        "Public",
        description="Shown and downloadable on the public site once the project is published. "
        "Leave unticked for an internal document.",
    )
    confidential = BooleanField(
        "Confidential",
        description="Withheld from the public even when marked public; the public sees the "
        "reason instead.",
    )
    confidential_reason = TextAreaField(
        "Reason for confidentiality",
        filters=[blank_to_none],
        # No Optional(): it would stop the check that a confidential one has a reason.
        validators=[Length(max=500)],
        description="Required when confidential, e.g. “commercially sensitive pricing, "
        "clause 12”. Shown to the public.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.document_type.choices = document_type_choices()

    def validate_confidential_reason(self, field):
        """Require a reason for a confidential document."""
        if self.confidential.data and not field.data:
            raise ValidationError("Say why the document is confidential.")

    def to_data(self) -> DocumentData:
        """Return the submitted description for the service."""
        return DocumentData(
            title=self.title.data or "",
            document_type=self.document_type.data or "",
            public=bool(self.public.data),
            confidential=bool(self.confidential.data),
            confidential_reason=self.confidential_reason.data,
        )


class UploadForm(_DescriptionForm):
    """Upload a file and describe it."""

    file = _FILE
    contract_id = HiddenField(filters=[_optional_int])
    amendment_id = HiddenField(filters=[_optional_int])
    #: Where to go after the upload (a local path, checked by the view).
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file.description = (
            f"{ACCEPTED_TEXT}; at most {int(current_app.config['MAX_UPLOAD_MB'])} MB. "
            "The kind of file is recognised from its content, not its name."
        )


class EditForm(_DescriptionForm):
    """Change a document's description (its file stays)."""

    version = VersionField()
