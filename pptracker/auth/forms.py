"""Sign-in and user administration forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from pptracker.auth.models import Role
from pptracker.auth.services import UserData
from pptracker.forms import VersionField

ROLE_CHOICES = {
    Role.ADMIN.value: "Admin",
    Role.MANAGER.value: "Manager",
    Role.AUDITOR.value: "Auditor",
}


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class UserForm(FlaskForm):
    """Create or edit a user (the password is optional when editing)."""

    email = EmailField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    active = BooleanField("Active (may sign in)", default=True)
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(max=200)],
        description="At least 10 characters. Leave empty to keep the current password.",
    )
    version = VersionField()

    def to_data(self) -> UserData:
        """Return the submitted values for the service."""
        return UserData(
            email=self.email.data,
            name=self.name.data,
            role=Role(self.role.data),
            active=self.active.data,
            password=self.password.data or None,
        )
