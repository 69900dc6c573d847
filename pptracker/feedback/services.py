"""Feedback rules: receiving a message, the rate limit, moderation and public replies."""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from pptracker.database import utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.feedback import queries
from pptracker.feedback.models import (
    Feedback,
    FeedbackCategory,
    FeedbackReply,
    FeedbackStatus,
)

logger = logging.getLogger(__name__)

MESSAGE_MIN = 10
MESSAGE_MAX = 5000
NAME_MAX = 120
EMAIL_MAX = 254
REASON_MAX = 2000
REPLY_MAX = 5000


@dataclass(frozen=True)
class FeedbackData:
    """A message as sent from the public form."""

    message: str
    category: FeedbackCategory | str | None
    milestone_id: int | None = None
    name: str | None = None
    email: str | None = None


class RateLimited(DomainError):
    """The client sent too many messages recently; ``retry_at`` says when it may again."""

    def __init__(self, message: str, *, retry_at: datetime):
        super().__init__(message)
        self.retry_at = retry_at


def client_hash(address: str | None, *, secret: str | bytes) -> str:
    """Return the keyed hash standing for a client's address (64 hex digits).

    Keyed with the app's secret, so the stored value cannot be turned back into
    an address by hashing every possible one.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, (address or "unknown").encode(), hashlib.sha256).hexdigest()


def check_rate_limit(client: str, *, now: datetime | None = None) -> None:
    """Refuse a client that sent ``FEEDBACK_RATE_LIMIT`` messages in the last window.

    The rows themselves are counted, so the limit holds across processes.

    :raises RateLimited: with the time the oldest counted message leaves the window.
    """
    now = now or utcnow()
    limit = int(current_app.config["FEEDBACK_RATE_LIMIT"])
    window = timedelta(seconds=int(current_app.config["FEEDBACK_RATE_WINDOW"]))
    recent = queries.recent_from_client(client, since=now - window, limit=limit)
    if len(recent) >= limit:
        # Once the limit-th most recent message is out of the window, one more fits.
        retry_at = recent[-1] + window
        raise RateLimited(
            f"You have sent {limit} messages recently, the most we accept from one "
            f"connection in {_duration(window)}. Nothing was saved.",
            retry_at=retry_at,
        )


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "an hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def _optional(value: str | None, *, field: str, what: str, limit: int) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise DomainError(f"The {what} is at most {limit} characters.", field=field)
    return text or None


def _category(value) -> FeedbackCategory:
    try:
        return FeedbackCategory(value)
    except ValueError:
        raise DomainError("Choose what your message is about.", field="category") from None


def _email(value: str | None) -> str | None:
    email = _optional(value, field="email", what="email address", limit=EMAIL_MAX)
    if email is None:
        return None
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(
            "Enter an email address like name@example.org, or leave it empty.", field="email"
        ) from None
    return email


def _message(value: str | None) -> str:
    message = (value or "").strip()
    if len(message) < MESSAGE_MIN:
        raise DomainError(
            f"Write your message: at least {MESSAGE_MIN} characters.", field="message"
        )
    if len(message) > MESSAGE_MAX:
        raise DomainError(
            f"The message is at most {MESSAGE_MAX} characters; it has {len(message)}.",
            field="message",
        )
    return message


def submit_feedback(
    project, data: FeedbackData, *, client: str, milestones, now: datetime | None = None
) -> Feedback:
    """Receive a message from the public on ``project`` or one of its milestones.

    It waits, pending, until a moderator publishes it. The caller has checked
    that the project is published and live.

    :param client: the sender's ``client_hash``, for the rate limit.
    :param milestones: the project's live milestones (those it may be about).
    :param now: when it was received (the demo back-dates its messages).
    :raises RateLimited: when the client sent too many messages recently.
    :raises DomainError: naming the first invalid field.
    """
    now = now or utcnow()
    message = _message(data.message)
    category = _category(data.category)
    if data.milestone_id is not None and data.milestone_id not in {m.id for m in milestones}:
        raise DomainError("Choose the project or one of its milestones.", field="about")
    name = _optional(data.name, field="name", what="name", limit=NAME_MAX)
    email = _email(data.email)
    check_rate_limit(client, now=now)
    feedback = Feedback(
        project_id=project.id,
        milestone_id=data.milestone_id,
        category=category,
        message=message,
        name=name,
        email=email,
        status=FeedbackStatus.PENDING,
        client_hash=client,
        created_at=now,
        updated_at=now,
    )
    db.session.add(feedback)
    db.session.flush()
    logger.info("Feedback %s received on project %s", feedback.id, project.code)
    return feedback


def publish_feedback(feedback: Feedback, *, actor, now: datetime | None = None) -> Feedback:
    """Make feedback public (again, if it was hidden). The message itself is never edited.

    :raises DomainError: when it is published already.
    """
    if feedback.status == FeedbackStatus.PUBLISHED:
        raise DomainError("This feedback is published already.")
    now = now or utcnow()
    feedback.status = FeedbackStatus.PUBLISHED
    feedback.hidden_reason = None
    feedback.published_at = now
    feedback.moderated_by_id = actor.id
    feedback.moderated_at = now
    db.session.flush()
    logger.info("Feedback %s published by %s", feedback.id, actor)
    return feedback


def hide_feedback(
    feedback: Feedback, reason: str | None, *, actor, now: datetime | None = None
) -> Feedback:
    """Keep feedback from the public, with the reason staff will read; the original stays.

    :raises DomainError: without a reason, or when it is hidden already.
    """
    if feedback.status == FeedbackStatus.HIDDEN:
        raise DomainError("This feedback is hidden already.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why it is hidden (staff read this, the public does not).",
            field="hidden_reason",
        )
    if len(reason) > REASON_MAX:
        raise DomainError(f"The reason is at most {REASON_MAX} characters.", field="hidden_reason")
    now = now or utcnow()
    feedback.status = FeedbackStatus.HIDDEN
    feedback.hidden_reason = reason
    feedback.moderated_by_id = actor.id
    feedback.moderated_at = now
    db.session.flush()
    logger.info("Feedback %s hidden by %s", feedback.id, actor)
    return feedback


def reply_to_feedback(
    feedback: Feedback, body: str | None, *, author, now: datetime | None = None
) -> FeedbackReply:
    """Answer published feedback publicly, on behalf of the project team.

    :raises DomainError: when the feedback is not published, or the reply is empty or too long.
    """
    if feedback.status != FeedbackStatus.PUBLISHED:
        raise DomainError(
            "Only published feedback can be answered: the public would not see the reply. "
            "An administrator must publish it first."
        )
    body = (body or "").strip()
    if not body:
        raise DomainError("Write the reply.", field="body")
    if len(body) > REPLY_MAX:
        raise DomainError(f"The reply is at most {REPLY_MAX} characters.", field="body")
    now = now or utcnow()
    reply = FeedbackReply(
        feedback=feedback, author_id=author.id, body=body, created_at=now, updated_at=now
    )
    db.session.add(reply)
    db.session.flush()
    logger.info("Feedback %s answered by %s", feedback.id, author)
    return reply
