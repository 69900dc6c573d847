"""A member of the public's message on a project or milestone, and the replies to it."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.database import Audited, Base, TimestampMixin, VersionedMixin
from pptracker.enums import enum_column


class FeedbackStatus(StrEnum):
    """Moderation: new feedback waits; an admin publishes it or hides it with a reason."""

    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"


class FeedbackCategory(StrEnum):
    """What the message is about, so managers can sort their replies."""

    QUESTION = "question"
    DELAY = "delay"
    QUALITY = "quality"
    COST = "cost"
    ENVIRONMENT = "environment"
    COMMUNITY = "community"
    CORRUPTION = "corruption"
    OTHER = "other"


CATEGORY_TITLES: dict[FeedbackCategory, str] = {
    FeedbackCategory.QUESTION: "A question",
    FeedbackCategory.DELAY: "Delays and progress",
    FeedbackCategory.QUALITY: "Quality of works or service",
    FeedbackCategory.COST: "Costs, tariffs and payments",
    FeedbackCategory.ENVIRONMENT: "Environment",
    FeedbackCategory.COMMUNITY: "Impact on the community",
    FeedbackCategory.CORRUPTION: "Possible wrongdoing",
    FeedbackCategory.OTHER: "Something else",
}


class Feedback(Audited, TimestampMixin, VersionedMixin, Base):
    """A message from the public. Moderation never edits it: the original is kept.

    ``created_at`` is when it was received; feedback is never deleted, only
    hidden (with ``hidden_reason``), so what was said stays on record.
    """

    __tablename__ = "feedback"
    __table_args__ = (
        sa.CheckConstraint(
            "status != 'hidden' OR hidden_reason IS NOT NULL", "hidden_needs_reason"
        ),
    )
    # The sender's email and client fingerprint are personal data: the log
    # records that they were set, never their values.
    __audit_redact__ = frozenset({"email", "client_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("milestones.id"), index=True)
    category: Mapped[FeedbackCategory] = mapped_column(enum_column(FeedbackCategory, 20))
    message: Mapped[str] = mapped_column(sa.Text)
    #: Optional; shown with the message when published.
    name: Mapped[str | None] = mapped_column(sa.String(120))
    #: Optional; for the managers to write back. Never shown on a public page or export.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[FeedbackStatus] = mapped_column(
        enum_column(FeedbackStatus, 16), default=FeedbackStatus.PENDING, index=True
    )
    #: Why a moderator hid it (shown to staff only).
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    #: Keyed hash of the sender's address: rate limiting without keeping the address here
    #: (the audit log records the address of every request, as for any other write).
    client_hash: Mapped[str] = mapped_column(sa.String(64), index=True)

    project: Mapped["Project"] = relationship()  # noqa: F821
    milestone: Mapped["Milestone | None"] = relationship()  # noqa: F821
    moderated_by: Mapped["User | None"] = relationship()  # noqa: F821
    replies: Mapped[list["FeedbackReply"]] = relationship(
        back_populates="feedback", order_by="FeedbackReply.created_at"
    )

    @property
    def reference(self) -> str:
        """``#12``: how the audit log names it (never by the sender's email)."""
        return f"#{self.id}"

    def __repr__(self) -> str:
        return f"<Feedback id={self.id} {self.status} project={self.project_id}>"


class FeedbackReply(Audited, TimestampMixin, Base):
    """A manager's (or admin's) public answer to a piece of feedback."""

    __tablename__ = "feedback_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(sa.ForeignKey("feedback.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)

    feedback: Mapped[Feedback] = relationship(back_populates="replies")
    author: Mapped["User"] = relationship()  # noqa: F821

    @property
    def project_id(self) -> int | None:
        """The project of the feedback answered, for the audit log."""
        return self.feedback.project_id if self.feedback else None

    def __repr__(self) -> str:
        return f"<FeedbackReply id={self.id} feedback={self.feedback_id}>"
