"""Feedback forms: the public's message, moderation and the project team's reply."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from pptracker.feedback import services
from pptracker.feedback.models import CATEGORY_TITLES
from pptracker.feedback.services import FeedbackData
from pptracker.forms import VersionField, optional_int

#: The honeypot's name: people never see it, form-filling bots fill it in.
HONEYPOT = "website"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(value):
    # Browsers send line breaks as CRLF but count them as one character (maxlength):
    # store them as LF so the limits mean the same on both sides.
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class FeedbackForm(FlaskForm):
    """A message from the public on a project or one of its milestones.

    Field ids carry a ``feedback-`` prefix: the form also sits inside the
    portal's project page, next to other forms.
    """

    about = SelectField("What is it about?", coerce=optional_int, id="feedback-about")
    category = SelectField(
        "Topic",
        choices={"": "Choose a topic"} | {c.value: t for c, t in CATEGORY_TITLES.items()},
        validators=[DataRequired("Choose what your message is about.")],
        id="feedback-category",
    )
    message = TextAreaField(
        "Your message",
        filters=[_text],
        validators=[
            DataRequired(f"Write your message: at least {services.MESSAGE_MIN} characters."),
            Length(
                min=services.MESSAGE_MIN,
                max=services.MESSAGE_MAX,
                message=(
                    f"Write between {services.MESSAGE_MIN} and {services.MESSAGE_MAX:,} characters."
                ),
            ),
        ],
        description=(
            f"Between {services.MESSAGE_MIN} and {services.MESSAGE_MAX:,} characters. "
            "A moderator reads it before it is published on the project page."
        ),
        id="feedback-message",
    )
    name = StringField(
        "Your name (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=services.NAME_MAX, message=f"At most {services.NAME_MAX} characters."),
        ],
        description="Shown with your message. Leave it empty to appear as “Anonymous”.",
        id="feedback-name",
    )
    email = EmailField(
        "Your email address (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=services.EMAIL_MAX, message=f"At most {services.EMAIL_MAX} characters."),
            Email("Enter an email address like name@example.org, or leave it empty."),
        ],
        description=("Never shown publicly. Only the project team uses it, to write back to you."),
        id="feedback-email",
    )
    # The honeypot: visually hidden and out of the tab order (see _form.html).
    website = StringField("Leave this field empty", id="feedback-website")

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.about.choices = {"": "The project as a whole"} | {
            m.id: f"Milestone: {m.title}" for m in milestones
        }
        if not self.is_submitted():
            wanted = optional_int_or_none(request.args.get("milestone"))
            if wanted in {m.id for m in milestones}:
                self.about.data = wanted

    def bot_filled_honeypot(self) -> bool:
        """Tell whether the hidden field came back filled in (a bot, not a person)."""
        return bool((request.form.get(HONEYPOT) or "").strip())

    def to_data(self) -> FeedbackData:
        """Return the message for ``services.submit_feedback``."""
        return FeedbackData(
            message=self.message.data or "",
            category=self.category.data,
            milestone_id=self.about.data,
            name=self.name.data,
            email=self.email.data,
        )


def optional_int_or_none(value) -> int | None:
    """Return ``value`` as an id, or None when it is not one (a preselection from the URL)."""
    try:
        return optional_int(value)
    except (TypeError, ValueError):
        return None


class PublishForm(FlaskForm):
    """Publish feedback (a POST button carrying the version it was read at)."""

    version = VersionField(id="publish-version")


class HideForm(FlaskForm):
    """Hide feedback from the public, with the reason staff will read."""

    hidden_reason = TextAreaField(
        "Why is it hidden?",
        filters=[_text],
        validators=[
            DataRequired("Say why it is hidden."),
            Length(max=services.REASON_MAX),
        ],
        description="Staff read this reason; the public never sees it. The message is kept.",
    )
    version = VersionField(id="hide-version")


class ReplyForm(FlaskForm):
    """The project team's public reply."""

    body = TextAreaField(
        "Reply",
        filters=[_text],
        validators=[DataRequired("Write the reply."), Length(max=services.REPLY_MAX)],
        description="Published on the project page as a reply from the project team.",
    )
