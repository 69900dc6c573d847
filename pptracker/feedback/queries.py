"""Reads about feedback: the staff queue, one message, the public list, overdue replies."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from pptracker import database
from pptracker.extensions import db
from pptracker.feedback.models import CATEGORY_TITLES, Feedback, FeedbackReply, FeedbackStatus
from pptracker.permissions import Action, can
from pptracker.projects.models import Project, project_managers

#: The queue's status filter: a status, or every one.
STATUS_FILTERS = ("pending", "published", "hidden", "all")


# --- overdue replies ----------------------------------------------------------------------


def reply_days() -> int:
    """Return after how many days without a reply published feedback is overdue."""
    return int(current_app.config["FEEDBACK_REPLY_DAYS"])


def reply_threshold(*, today: date, days: int | None = None) -> datetime:
    """Return the instant before which unanswered feedback received is overdue.

    Feedback is overdue once it has waited more than ``days`` whole days: received
    on day D, it is overdue from day D + days + 1. Counting in days keeps the
    public "awaiting a reply since" and the staff flag in step whatever the hour.
    """
    days = reply_days() if days is None else days
    return datetime.combine(today - timedelta(days=days), time.min, tzinfo=UTC)


def overdue_since(feedback, *, today: date, days: int | None = None) -> date | None:
    """Return the day ``feedback`` was received if it still awaits an overdue reply, else None.

    Only published feedback awaits a reply. ``feedback.replies`` must be loaded.
    """
    if feedback.status != FeedbackStatus.PUBLISHED or feedback.replies:
        return None
    if feedback.created_at >= reply_threshold(today=today, days=days):
        return None
    return feedback.created_at.date()


def _unreplied():
    return ~sa.exists().where(FeedbackReply.feedback_id == Feedback.id)


def overdue_condition(*, today: date):
    """Return the SQL condition for published feedback overdue for a reply on ``today``."""
    return sa.and_(
        Feedback.status == FeedbackStatus.PUBLISHED,
        Feedback.created_at < reply_threshold(today=today),
        _unreplied(),
    )


def _managed_by(user):
    return sa.exists().where(
        project_managers.c.project_id == Feedback.project_id,
        project_managers.c.user_id == user.id,
    )


def _sees_all(user) -> bool:
    # Auditors and admins read every project; managers only theirs (the same
    # split as the findings list).
    return can(user, Action.VIEW_UNPUBLISHED)


def awaiting_reply_count(user, *, today: date | None = None) -> int:
    """Return how much published feedback has waited too long for a reply, for ``user``.

    Counts feedback on the projects ``user`` may reply on: the ones assigned to
    a manager, every project for an admin; nothing for anyone else. One statement.
    """
    if not can(user, Action.REPLY_FEEDBACK):
        return 0
    today = today or database.today()
    query = (
        sa.select(sa.func.count())
        .select_from(Feedback)
        .join(Project, Project.id == Feedback.project_id)
        .where(overdue_condition(today=today), Project.is_deleted.is_(False))
    )
    if not _sees_all(user):
        query = query.where(_managed_by(user))
    return db.session.scalar(query)


# --- the staff queue ----------------------------------------------------------------------


@dataclass
class FeedbackFilters:
    """What the feedback queue was asked for."""

    status: str = "pending"
    project: str = ""
    overdue: bool = False


def feedback_list(user, filters: FeedbackFilters, *, today: date) -> sa.Select:
    """Return the feedback ``user`` may read that matches ``filters``.

    Managers get the feedback on their projects only. Work queues (pending,
    overdue) come oldest first; other lists newest first. The project,
    milestone and replies are loaded with the page, in a constant number of
    statements.
    """
    query = (
        sa.select(Feedback)
        .join(Project, Project.id == Feedback.project_id)
        .where(Project.is_deleted.is_(False))
        .options(
            selectinload(Feedback.project),
            selectinload(Feedback.milestone),
            selectinload(Feedback.replies),
        )
    )
    if not _sees_all(user):
        query = query.where(_managed_by(user))
    if filters.status in ("pending", "published", "hidden"):
        query = query.where(Feedback.status == FeedbackStatus(filters.status))
    if filters.project:
        query = query.where(Project.code == filters.project)
    if filters.overdue:
        query = query.where(overdue_condition(today=today))
    if filters.status == "pending" or filters.overdue:
        return query.order_by(Feedback.created_at, Feedback.id)
    return query.order_by(Feedback.created_at.desc(), Feedback.id.desc())


def may_read(user, feedback: Feedback) -> bool:
    """Tell whether ``user`` may read ``feedback``: staff who see every project, or its managers."""
    return can(user, Action.VIEW_FEEDBACK, feedback)


def get_feedback(feedback_id: int) -> Feedback | None:
    """Return one feedback with its project, milestone, moderator and replies, or None.

    Feedback on a deleted project is not found.
    """
    return db.session.scalar(
        sa.select(Feedback)
        .join(Project, Project.id == Feedback.project_id)
        .where(Feedback.id == feedback_id, Project.is_deleted.is_(False))
        .options(
            selectinload(Feedback.project).selectinload(Project.managers),
            selectinload(Feedback.milestone),
            selectinload(Feedback.moderated_by),
            selectinload(Feedback.replies).selectinload(FeedbackReply.author),
        )
    )


# --- what the public sees -----------------------------------------------------------------


@dataclass(frozen=True)
class PublicReply:
    """A reply as the public reads it (the author is "the project team")."""

    replied_on: date
    body: str


@dataclass(frozen=True)
class PublicFeedback:
    """Published feedback as the public reads it: no email, no moderation notes."""

    id: int
    category: str
    milestone_title: str | None
    name: str | None
    received_on: date
    message: str
    replies: tuple[PublicReply, ...]
    awaiting_reply_since: date | None


def public_feedback(project_id: int, *, milestones, today: date) -> list[PublicFeedback]:
    """Return a project's published feedback with its replies, newest first.

    Two statements whatever the number of messages. ``milestones`` are the
    project's live milestones (the caller has them already), which name the
    milestone a message is about without loading it again.
    """
    titles = {m.id: m.title for m in milestones}
    found = db.session.scalars(
        sa.select(Feedback)
        .where(Feedback.project_id == project_id, Feedback.status == FeedbackStatus.PUBLISHED)
        .options(selectinload(Feedback.replies))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    ).all()
    days = reply_days()
    return [
        PublicFeedback(
            id=f.id,
            category=CATEGORY_TITLES[f.category],
            milestone_title=titles.get(f.milestone_id),
            name=f.name,
            received_on=f.created_at.date(),
            message=f.message,
            replies=tuple(PublicReply(r.created_at.date(), r.body) for r in f.replies),
            awaiting_reply_since=overdue_since(f, today=today, days=days),
        )
        for f in found
    ]


# --- rate limiting ------------------------------------------------------------------------


def recent_from_client(client_hash: str, *, since: datetime, limit: int) -> list[datetime]:
    """Return when the client sent its latest messages after ``since``, newest first.

    At most ``limit`` of them: enough to tell whether the limit is reached, and when
    one more message fits.
    """
    return list(
        db.session.scalars(
            sa.select(Feedback.created_at)
            .where(Feedback.client_hash == client_hash, Feedback.created_at > since)
            .order_by(Feedback.created_at.desc())
            .limit(limit)
        )
    )
